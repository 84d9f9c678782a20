//! What can be known of a stub for a gRPC method when it is created: that
//! its `jsonBody` fits the method's output message and that its
//! `grpc-status-name` is a status. A templated body is known only when it
//! answers (`INTERNAL` naming the field then).

use fake_servicer_grpc::{Catalog, Code};
use serde_json::Value;

/// A reason to refuse a mapping: the JSON pointer and the title.
pub(crate) type Refused = (String, String);

/// Checks the mapping `m` (WireMock's JSON) against the method its request
/// names, when a descriptor of `catalog` defines it.
pub(crate) fn mapping(catalog: &Catalog, m: &Value) -> Result<(), Refused> {
    let request = m.get("request");
    let path = ["urlPath", "url"]
        .iter()
        .find_map(|k| request.and_then(|r| r.get(*k)).and_then(Value::as_str));
    let Some(method) = path.and_then(|p| catalog.method(p)) else {
        return Ok(());
    };
    let Some(response) = m.get("response") else {
        return Ok(());
    };
    if let Some(name) = response
        .get("headers")
        .and_then(|h| h.get("grpc-status-name"))
        .and_then(Value::as_str)
        && Code::from_name(name).is_none()
    {
        return Err((
            "/response/headers/grpc-status-name".to_owned(),
            format!("{name:?} is not a gRPC status (OK, NOT_FOUND, UNAVAILABLE, … or a number)"),
        ));
    }
    let Some(body) = response.get("jsonBody") else {
        return Ok(());
    };
    let templated = response
        .get("transformers")
        .and_then(Value::as_array)
        .is_some_and(|t| t.iter().any(|t| t == "response-template"))
        || body.to_string().contains("{{");
    if templated {
        return Ok(());
    }
    let items: Vec<(String, &Value)> = match body {
        Value::Array(items) if method.server_streaming() => items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("/response/jsonBody/{i}"), v))
            .collect(),
        Value::Array(_) => {
            return Err((
                "/response/jsonBody".to_owned(),
                format!(
                    "{} answers one {}, not a list",
                    method.path(),
                    method.output_name()
                ),
            ));
        }
        one => vec![("/response/jsonBody".to_owned(), one)],
    };
    for (pointer, value) in items {
        method
            .response_from_json(value)
            .map_err(|e| (pointer, format!("{}: {e}", method.path())))?;
    }
    Ok(())
}
