//! Parsing a WireMock mapping into a [`Stub`], with a JSON pointer to
//! whatever is wrong.

use super::*;

pub(super) fn int(v: &Value, pointer: &str) -> Result<i64> {
    v.as_i64()
        .ok_or_else(|| PatternError::new(pointer, "expected an integer"))
}

pub(super) fn non_negative(v: &Value, pointer: &str) -> Result<u64> {
    v.as_u64()
        .ok_or_else(|| PatternError::new(pointer, "expected a non-negative integer"))
}

/// Milliseconds of a delay: at most [`MAX_DELAY_MS`].
pub(super) fn delay_ms(v: &Value, pointer: &str) -> Result<u64> {
    let ms = non_negative(v, pointer)?;
    if ms > MAX_DELAY_MS {
        return Err(PatternError::new(
            pointer,
            format!("{ms} ms is longer than the longest delay, {MAX_DELAY_MS} ms"),
        ));
    }
    Ok(ms)
}

/// A delay given as a number of milliseconds: at most [`MAX_DELAY_MS`].
pub(super) fn delay_number(v: &Value, pointer: &str) -> Result<f64> {
    let ms = number(v, pointer)?;
    if ms > MAX_DELAY_MS as f64 {
        return Err(PatternError::new(
            pointer,
            format!("{ms} ms is longer than the longest delay, {MAX_DELAY_MS} ms"),
        ));
    }
    Ok(ms)
}

/// The largest `sigma` of a lognormal delay: beyond it nearly every draw is
/// 0 or the longest delay.
pub(super) const MAX_SIGMA: f64 = 10.0;

pub(super) fn number(v: &Value, pointer: &str) -> Result<f64> {
    v.as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| PatternError::new(pointer, "expected a non-negative number"))
}

pub(super) fn string(v: &Value, pointer: &str) -> Result<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| PatternError::new(pointer, "expected a string"))
}

/// Parses a mapping. `seq` orders it among stubs of equal priority.
pub fn parse_mapping(v: &Value, seq: u64, file: Option<&Path>) -> Result<Stub> {
    let obj = v
        .as_object()
        .ok_or_else(|| PatternError::new("", "expected a mapping object"))?;
    let get = |k: &str| obj.get(k).filter(|v| !v.is_null());
    let id = match get("id").or_else(|| get("uuid")) {
        Some(id) => {
            let s = string(id, "/id")?;
            Uuid::parse_str(&s)
                .map_err(|_| PatternError::new("/id", format!("{s:?} is not a UUID")))?
        }
        None => Uuid::new_v4(),
    };
    let request = RequestPattern::parse(
        get("request").ok_or_else(|| PatternError::new("/request", "a mapping needs a request"))?,
        "/request",
    )?;
    let response = match get("response") {
        Some(r) => StubResponse::parse(r)?,
        None => StubResponse::parse(&Value::Object(Map::new()))?,
    };
    let priority = get("priority")
        .map(|p| int(p, "/priority"))
        .transpose()?
        .unwrap_or(DEFAULT_PRIORITY);
    let scenario = match get("scenarioName") {
        Some(name) => Some(ScenarioRule {
            name: string(name, "/scenarioName")?,
            required: get("requiredScenarioState")
                .map(|s| string(s, "/requiredScenarioState"))
                .transpose()?,
            new_state: get("newScenarioState")
                .map(|s| string(s, "/newScenarioState"))
                .transpose()?,
        }),
        None => None,
    };
    let scope = match get("metadata")
        .and_then(|m| m.get(METADATA_KEY))
        .and_then(|m| m.get("scope"))
        .filter(|s| !s.is_null())
    {
        Some(s) => {
            let s = string(s, "/metadata/fake-servicer/scope")?;
            if s.trim().is_empty() || s.len() > crate::scope::MAX_LEN {
                return Err(PatternError::new(
                    "/metadata/fake-servicer/scope",
                    format!("a scope is 1 to {} bytes, not blank", crate::scope::MAX_LEN),
                ));
            }
            Some(Arc::from(s.trim()))
        }
        None => None,
    };
    let mut json = Map::new();
    json.insert("id".into(), Value::String(id.to_string()));
    for (k, val) in obj {
        if k != "id" && k != "uuid" {
            json.insert(k.clone(), val.clone());
        }
    }
    if !json.contains_key("priority") && obj.contains_key("priority") {
        json.insert("priority".into(), Value::from(priority));
    }
    json.insert("uuid".into(), Value::String(id.to_string()));
    Ok(Stub {
        id,
        seq,
        priority,
        request,
        response,
        scenario,
        json: Value::Object(json),
        file: file.map(Path::to_owned),
        scope,
    })
}
