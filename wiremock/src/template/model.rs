//! The request model templates see, as WireMock names it: `request.url`,
//! `.path`, `.pathSegments`, `.pathParameters`, `.query`, `.method`,
//! `.host`, `.port`, `.scheme`, `.baseUrl`, `.headers`, `.cookies`, `.body`,
//! `.bodyAsBase64`, `.clientIp`.
//!
//! Query parameters, headers and cookies are lists of values (a template
//! that writes one directly writes the first, see `rewrite`); header names
//! are lower case (templates' names are lowered to match).

use super::Input;
use base64::Engine;
use serde_json::{Map, Value, json};

/// The `request` object for `input`; `base64`: with `bodyAsBase64`.
pub fn request(input: &Input, base64: bool) -> Value {
    let req = input.req;
    let path = req
        .path_for(input.service)
        .unwrap_or(req.path.as_str())
        .to_owned();
    let segments: Vec<Value> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| Value::String(decode(s)))
        .collect();
    let mut query = Map::new();
    for (k, v) in req.query_params() {
        push(&mut query, k, v);
    }
    let mut headers = Map::new();
    let mut cookies = Map::new();
    for (name, value) in &req.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == http::header::COOKIE {
            for pair in value.split(';') {
                if let Some((k, v)) = pair.trim().split_once('=') {
                    push(&mut cookies, k.to_owned(), v.to_owned());
                }
            }
        }
        push(&mut headers, name.as_str().to_owned(), value);
    }
    let host_header = req.host().unwrap_or_default();
    let (host, port) = match host_header.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => match p.parse::<u16>() {
            Ok(p) => (h.to_owned(), p),
            Err(_) => (host_header.to_owned(), 80),
        },
        _ => (host_header.to_owned(), 80),
    };
    let base_url = if port == 80 {
        format!("http://{host}")
    } else {
        format!("http://{host}:{port}")
    };
    json!({
        "url": crate::request::with_query(&path, req.query.as_deref()),
        "path": path,
        "pathSegments": segments,
        "pathParameters": path_parameters(input.path_template, &path),
        "query": query,
        "method": req.method.as_str(),
        "host": host,
        "port": port,
        "scheme": "http",
        "baseUrl": base_url,
        "headers": headers,
        "cookies": cookies,
        "body": String::from_utf8_lossy(&req.body),
        "bodyAsBase64": base64.then(|| base64::engine::general_purpose::STANDARD.encode(&req.body)),
        "clientIp": req.client.map(|c| c.ip().to_string()),
    })
}

/// Appends `value` to the list under `key`.
fn push(map: &mut Map<String, Value>, key: String, value: String) {
    match map.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
        Value::Array(list) => list.push(Value::String(value)),
        other => *other = Value::Array(vec![Value::String(value)]),
    }
}

/// A path segment percent-decoded (lossily).
fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// `{name}` segments of a `urlPathTemplate` and what `path` has there.
fn path_parameters(template: Option<&str>, path: &str) -> Value {
    let mut out = Map::new();
    if let Some(t) = template {
        for (t, p) in t.split('/').zip(path.split('/')) {
            if let Some(name) = t.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                out.insert(name.to_owned(), Value::String(decode(p)));
            }
        }
    }
    Value::Object(out)
}
