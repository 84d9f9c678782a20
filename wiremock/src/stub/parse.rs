//! Parsing a WireMock mapping into a [`Stub`], with a JSON pointer to
//! whatever is wrong.

use super::*;
use crate::shapes::{mapping::Mapping, read};

/// Parses a mapping. `seq` orders it among stubs of equal priority.
pub fn parse_mapping(v: &Value, seq: u64, file: Option<&Path>) -> Result<Stub> {
    let m: Mapping = read(v, "")?;
    let obj = v
        .as_object()
        .ok_or_else(|| PatternError::new("", "expected a mapping object"))?;
    let id = match m.id.or(m.uuid) {
        Some(s) => Uuid::parse_str(&s)
            .map_err(|_| PatternError::new("/id", format!("{s:?} is not a UUID")))?,
        None => Uuid::new_v4(),
    };
    let request = RequestPattern::parse(
        m.request
            .as_ref()
            .filter(|r| !r.is_null())
            .ok_or_else(|| PatternError::new("/request", "a mapping needs a request"))?,
        "/request",
    )?;
    let response = StubResponse::try_from(m.response.unwrap_or_default())?;
    let priority = m.priority.unwrap_or(DEFAULT_PRIORITY);
    let scenario = m.scenario_name.map(|name| ScenarioRule {
        name,
        required: m.required_scenario_state,
        new_state: m.new_scenario_state,
    });
    let scope = match m.metadata.and_then(|m| m.ours).and_then(|o| o.scope) {
        Some(s) => {
            if s.trim().is_empty() || s.len() > fake_servicer_core::MAX_SCOPE_LEN {
                return Err(PatternError::new(
                    "/metadata/fake-servicer/scope",
                    format!(
                        "a scope is 1 to {} bytes, not blank",
                        fake_servicer_core::MAX_SCOPE_LEN
                    ),
                ));
            }
            Some(Arc::from(s.trim()))
        }
        None => None,
    };
    let listeners = crate::webhook::parse(
        m.serve_event_listeners.as_ref(),
        m.post_serve_actions.as_ref(),
    )?;
    let mut json = Map::new();
    json.insert("id".into(), Value::String(id.to_string()));
    for (k, val) in obj {
        if k != "id" && k != "uuid" {
            json.insert(k.clone(), val.clone());
        }
    }
    // As WireMock stores it: `postServeActions` of name → parameters as a
    // list of listeners.
    if let Some(Value::Object(actions)) = json.get("postServeActions") {
        let list = actions
            .iter()
            .map(|(name, parameters)| serde_json::json!({"name": name, "parameters": parameters}))
            .collect();
        json.insert("postServeActions".into(), Value::Array(list));
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
        listeners: listeners.into_boxed_slice(),
    })
}
