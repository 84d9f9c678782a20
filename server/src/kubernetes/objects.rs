//! What the API server does to the objects it stores: their `apiVersion`
//! and `kind` checked, their `metadata`, the defaults it fills in on
//! create, what counts as a change of spec, names made from
//! `generateName`, and its timestamps.

use super::{kinds::Kind, status::Failure};
use serde_json::{Map, Value, json};
use std::time::SystemTime;

/// `object` with its `apiVersion` and `kind` checked against `kind`,
/// the kind served at its path (set when left out).
pub(super) fn checked_type(kind: &Kind, mut object: Value) -> Result<Value, Failure> {
    let api_version = kind.api_version();
    for (field, want) in [
        ("apiVersion", api_version.as_str()),
        ("kind", kind.kind.as_str()),
    ] {
        match object.get(field).and_then(Value::as_str) {
            Some(given) if !given.is_empty() && given != want => {
                return Err(Failure::bad_request(format!(
                    "the {field} of the object ({given}) does not match the one of the path ({want})"
                )));
            }
            _ => object[field] = json!(want),
        }
    }
    Ok(object)
}

/// `object`'s `metadata`, made an object if it was not one.
pub(super) fn metadata(object: &mut Value) -> &mut Map<String, Value> {
    if !object.is_object() {
        *object = json!({});
    }
    let meta = &mut object["metadata"];
    if !meta.is_object() {
        *meta = json!({});
    }
    match meta {
        Value::Object(m) => m,
        _ => unreachable!("made an object above"),
    }
}

/// What counts as a change of spec for `generation`: all but `metadata`
/// and `status`.
pub(super) fn spec_of(object: &Value) -> Value {
    let mut rest = object.clone();
    if let Some(o) = rest.as_object_mut() {
        o.remove("metadata");
        o.remove("status");
    }
    rest
}

/// What the API server fills in on create: a pod's `Pending` phase, a
/// namespace's `Active` phase and label.
pub(super) fn defaults(kind: &str, name: &str, object: &mut Value) {
    match kind {
        "Pod" if object.get("status").is_none_or(Value::is_null) => {
            object["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"});
        }
        "Namespace" => {
            object["status"] = json!({"phase": "Active"});
            object["spec"] = json!({"finalizers": ["kubernetes"]});
            let meta = metadata(object);
            if !meta.get("labels").is_some_and(Value::is_object) {
                meta.insert("labels".into(), json!({}));
            }
            meta["labels"]["kubernetes.io/metadata.name"] = json!(name);
        }
        _ => {}
    }
}

/// A `generateName` suffix: five of the API server's characters.
pub(super) fn random_suffix() -> String {
    const CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut bytes = [0u8; 5];
    rand::fill(&mut bytes[..]);
    bytes
        .iter()
        .map(|b| CHARS[usize::from(*b) % CHARS.len()] as char)
        .collect()
}

/// RFC 3339 to the second, as the API server writes times.
pub(super) fn timestamp(t: SystemTime) -> String {
    let full = crate::timestamp::rfc3339(t);
    format!("{}Z", full.get(..19).unwrap_or(&full))
}
