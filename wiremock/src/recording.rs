//! Recording: WireMock mappings made from proxied exchanges (the bodies
//! of `recordings/start` and `recordings/snapshot`, and the stubs they
//! make).

use crate::matchers::{PatternError, RequestPattern};
use crate::shapes::{read, recording::RecordSpec};
use crate::stub::{
    STARTED,
    proxy::{Upstream, check_base_url},
};
use base64::Engine;
use fake_servicer_core::request::Recorded;
use http::StatusCode;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use uuid::Uuid;

/// What to make stubs of, and how (the body of `recordings/start` and
/// `recordings/snapshot`).
#[derive(Debug, Clone)]
pub struct Spec {
    /// `targetBaseUrl` (start only).
    pub target: Option<String>,
    /// `filters`: only exchanges whose request matches.
    pub filters: Option<RequestPattern>,
    /// `captureHeaders`: request headers the stubs match, with
    /// `caseInsensitive`.
    pub capture: Vec<(String, bool)>,
    /// `persist`: mark the stubs persistent and write them to the
    /// `--mappings` directory.
    pub persist: bool,
    /// `repeatsAsScenarios`: identical requests become a scenario (else
    /// only the first is kept).
    pub repeats_as_scenarios: bool,
}

impl Spec {
    /// Parses the JSON body (`null` for none); `needs_target`: whether
    /// `targetBaseUrl` must be there (start) or not (snapshot).
    pub fn parse(v: &Value, needs_target: bool) -> Result<Spec, PatternError> {
        let spec = if v.is_null() {
            RecordSpec::default()
        } else {
            read::<RecordSpec>(v, "")?
        };
        Spec::from_json(spec, needs_target)
    }

    /// The spec the server runs.
    pub fn from_json(spec: RecordSpec, needs_target: bool) -> Result<Spec, PatternError> {
        let target = match spec.target_base_url {
            Some(t) => Some(check_base_url(&t, "/targetBaseUrl")?),
            None if needs_target => {
                return Err(PatternError::new(
                    "/targetBaseUrl",
                    "missing: the base URL to record from",
                ));
            }
            None => None,
        };
        let filters = match spec.filters {
            None => None,
            Some(mut f) => {
                f.remove("ids");
                f.remove("allowNonProxied");
                Some(RequestPattern::parse(&Value::Object(f), "/filters")?)
            }
        };
        let capture = spec
            .capture_headers
            .unwrap_or_default()
            .into_iter()
            .map(|(name, opts)| {
                let ci = opts
                    .get("caseInsensitive")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                (name, ci)
            })
            .collect();
        Ok(Spec {
            target,
            filters,
            capture,
            persist: spec.persist.unwrap_or(true),
            repeats_as_scenarios: spec.repeats_as_scenarios.unwrap_or(true),
        })
    }
}

/// Stubs for `exchanges` (relayed requests and their answers, oldest
/// first), in the same order.
pub fn make_mappings<'a>(
    exchanges: impl Iterator<Item = (&'a Recorded, &'a Upstream)>,
    spec: &Spec,
) -> Vec<Value> {
    let mut made: Vec<(String, Value)> = Vec::new();
    for (req, response) in exchanges {
        if spec.filters.as_ref().is_some_and(|f| !f.matches(req)) {
            continue;
        }
        let request = request_json(req, spec);
        let key = request.to_string();
        let name = stub_name(&req.path);
        let id = Uuid::new_v4().to_string();
        let mut m = Map::new();
        m.insert("id".into(), json!(id));
        m.insert("name".into(), json!(name));
        m.insert("request".into(), request);
        m.insert("response".into(), response_json(response));
        m.insert("uuid".into(), json!(id));
        made.push((key, Value::Object(m)));
    }
    let mut groups: HashMap<&str, usize> = HashMap::new();
    for (key, _) in &made {
        *groups.entry(key.as_str()).or_default() += 1;
    }
    if !spec.repeats_as_scenarios {
        let mut seen = std::collections::HashSet::new();
        return made
            .iter()
            .filter(|(key, _)| seen.insert(key.clone()))
            .map(|(_, m)| m.clone())
            .collect();
    }
    // Identical requests: a scenario stepping through their answers.
    let mut scenarios: HashMap<&str, (String, usize)> = HashMap::new();
    let mut out = Vec::with_capacity(made.len());
    for (key, m) in &made {
        let mut m = m.clone();
        let total = groups.get(key.as_str()).copied().unwrap_or(1);
        if total > 1 {
            let n = scenarios.len() + 1;
            let (name, step) = scenarios.entry(key.as_str()).or_insert_with(|| {
                (
                    format!("scenario-{n}-{}", m["name"].as_str().unwrap_or_default()),
                    0,
                )
            });
            *step += 1;
            let state = |i: usize| {
                if i == 1 {
                    STARTED.to_owned()
                } else {
                    format!("{name}-{i}")
                }
            };
            m["scenarioName"] = json!(name);
            m["requiredScenarioState"] = json!(state(*step));
            if *step < total {
                m["newScenarioState"] = json!(state(*step + 1));
            }
        }
        out.push(m);
    }
    out
}

/// A stub name from a path: `/users/7` → `users_7`, `/` → `(root)`.
fn stub_name(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return "(root)".to_owned();
    }
    trimmed
        .chars()
        .map(|c| match c {
            '/' => '_',
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' => c,
            _ => '-',
        })
        .take(100)
        .collect()
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The request pattern matching `req`: method and URL (`url`, or
/// `urlPath` with `queryParameters`), captured headers, and the body.
fn request_json(req: &Recorded, spec: &Spec) -> Value {
    let mut r = Map::new();
    match req.query.as_deref().filter(|q| !q.is_empty()) {
        None => {
            r.insert("url".into(), json!(req.path));
        }
        Some(q) => {
            r.insert("urlPath".into(), json!(req.path));
            let mut params: Vec<(String, Vec<String>)> = Vec::new();
            for pair in q.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let (k, v) = (decode(k), decode(v));
                match params.iter_mut().find(|(name, _)| *name == k) {
                    Some((_, values)) => values.push(v),
                    None => params.push((k, vec![v])),
                }
            }
            let mut qp = Map::new();
            for (k, mut values) in params {
                let m = if values.len() == 1 {
                    json!({"equalTo": values.remove(0)})
                } else {
                    json!({"hasExactly": values.into_iter().map(|v| json!({"equalTo": v})).collect::<Vec<_>>()})
                };
                qp.insert(k, m);
            }
            r.insert("queryParameters".into(), Value::Object(qp));
        }
    }
    r.insert("method".into(), json!(req.method.as_str()));
    let mut headers = Map::new();
    for (name, ci) in &spec.capture {
        if let Some(v) = req.headers.get(name.as_str()).and_then(|v| v.to_str().ok()) {
            let mut m = json!({"equalTo": v});
            if *ci {
                m["caseInsensitive"] = json!(true);
            }
            headers.insert(name.clone(), m);
        }
    }
    if !headers.is_empty() {
        r.insert("headers".into(), Value::Object(headers));
    }
    if !req.body.is_empty() {
        let content_type = req
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let text = std::str::from_utf8(&req.body).ok();
        let pattern = match text {
            Some(t)
                if content_type.contains("json") && serde_json::from_str::<Value>(t).is_ok() =>
            {
                json!({"equalToJson": t, "ignoreArrayOrder": true, "ignoreExtraElements": true})
            }
            Some(t) => json!({"equalTo": t}),
            None => json!({
                "binaryEqualTo": base64::engine::general_purpose::STANDARD.encode(&req.body)
            }),
        };
        r.insert("bodyPatterns".into(), json!([pattern]));
    }
    Value::Object(r)
}

/// Whether a content type names text.
fn is_text(content_type: &str) -> bool {
    let ct = content_type.to_ascii_lowercase();
    ct.starts_with("text/")
        || [
            "json",
            "xml",
            "javascript",
            "x-www-form-urlencoded",
            "yaml",
            "csv",
        ]
        .iter()
        .any(|t| ct.contains(t))
}

/// The response definition replaying `up`: status, body (`body` for a
/// text content type, else — no content type too — `base64Body`, as
/// WireMock records), headers.
fn response_json(up: &Upstream) -> Value {
    let mut r = Map::new();
    r.insert("status".into(), json!(up.status.as_u16()));
    let content_type = up
        .headers
        .iter()
        .find(|(n, _)| n == http::header::CONTENT_TYPE)
        .and_then(|(_, v)| v.to_str().ok())
        .unwrap_or("");
    let encoded = up
        .headers
        .iter()
        .any(|(n, _)| n == http::header::CONTENT_ENCODING);
    if !up.body.is_empty() {
        match std::str::from_utf8(&up.body) {
            Ok(text) if !encoded && is_text(content_type) => {
                r.insert("body".into(), json!(text));
            }
            _ => {
                r.insert(
                    "base64Body".into(),
                    json!(base64::engine::general_purpose::STANDARD.encode(&up.body)),
                );
            }
        }
    }
    let mut headers: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in &up.headers {
        let Ok(v) = value.to_str() else { continue };
        let name = fake_servicer_core::headers::title_case(name.as_str());
        match headers.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(v.to_owned()),
            None => headers.push((name, vec![v.to_owned()])),
        }
    }
    if !headers.is_empty() {
        let mut h = Map::new();
        for (name, mut values) in headers {
            let v = if values.len() == 1 {
                json!(values.remove(0))
            } else {
                json!(values)
            };
            h.insert(name, v);
        }
        r.insert("headers".into(), Value::Object(h));
    }
    Value::Object(r)
}

/// WireMock's answer to `recordings/stop` while not recording.
pub fn not_recording() -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({"errors": [{"code": 30, "title": "Not currently recording."}]}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stub_names_come_from_the_path() {
        assert_eq!(stub_name("/users/7"), "users_7");
        assert_eq!(stub_name("/"), "(root)");
        assert_eq!(stub_name("/a b"), "a-b");
    }
}
