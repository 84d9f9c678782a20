//! Header helpers shared by stubs, overrides and the journal: the JSON
//! object of headers WireMock mappings and the
//! `X-Fake-Servicer-Next-Request-Headers` header carry, and header names as
//! WireMock shows them.

use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::Value;

/// Pairs in the order given; a name with a list of values gives one pair
/// per value.
pub type HeaderPairs = Vec<(HeaderName, HeaderValue)>;

/// What is wrong with a JSON object of headers, and where: `pointer` is a
/// JSON pointer relative to the object (`/x-a`, `/x-a/1`; empty for the
/// object itself).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct HeadersError {
    pub pointer: String,
    pub reason: String,
}

fn error(pointer: String, reason: impl Into<String>) -> HeadersError {
    HeadersError {
        pointer,
        reason: reason.into(),
    }
}

/// Reads `{"name": "value", "multi": ["a", "b"], "n": 1}`: a string, a
/// list of strings, or any other JSON value as its text.
pub fn from_json(value: &Value) -> Result<HeaderPairs, HeadersError> {
    let object = value
        .as_object()
        .ok_or_else(|| error(String::new(), "expected an object of headers"))?;
    let mut pairs = Vec::new();
    for (name, value) in object {
        let at = format!("/{name}");
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| error(at.clone(), format!("invalid header name {name:?}")))?;
        let mut push = |text: &str, at: String| {
            let v = HeaderValue::from_str(text)
                .map_err(|_| error(at, format!("invalid value for header {name:?}")))?;
            pairs.push((header.clone(), v));
            Ok::<_, HeadersError>(())
        };
        match value {
            Value::String(s) => push(s, at)?,
            Value::Array(values) => {
                for (i, one) in values.iter().enumerate() {
                    let item = format!("{at}/{i}");
                    let text = one.as_str().ok_or_else(|| {
                        error(item.clone(), format!("header {name:?}: expected a string"))
                    })?;
                    push(text, item)?;
                }
            }
            other => push(&other.to_string(), at)?,
        }
    }
    Ok(pairs)
}

/// `code` as a status to send: 100 to 599 (RFC 9110's classes); hyper
/// would send up to 999.
pub fn status(code: u16) -> Option<StatusCode> {
    (100..=599)
        .contains(&code)
        .then(|| StatusCode::from_u16(code).ok())
        .flatten()
}

/// Header pairs as a JSON object (several values of one name as a list).
pub fn to_json(pairs: &[(HeaderName, HeaderValue)]) -> Value {
    let mut object = serde_json::Map::new();
    for (name, value) in pairs {
        let text = Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned());
        match object.get_mut(name.as_str()) {
            Some(Value::Array(list)) => list.push(text),
            Some(single) => *single = Value::Array(vec![single.take(), text]),
            None => {
                object.insert(name.as_str().to_owned(), text);
            }
        }
    }
    Value::Object(object)
}

/// `content-type` → `Content-Type`: each dash-separated word capitalised,
/// as WireMock shows header names and as the override headers are named.
pub fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// A header map of `pairs`, in order (a name given twice has two values).
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_lists_and_other_values_become_pairs_in_order() {
        let pairs = from_json(&json!({"x-a": "1", "x-b": ["2", "3"], "x-n": 4})).unwrap();
        let text: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
            .collect();
        assert_eq!(
            text,
            [("x-a", "1"), ("x-b", "2"), ("x-b", "3"), ("x-n", "4")]
        );
        assert_eq!(
            to_json(&pairs),
            json!({"x-a": "1", "x-b": ["2", "3"], "x-n": "4"})
        );
    }

    #[test]
    fn errors_point_at_the_bad_part() {
        let err = |v: Value| from_json(&v).unwrap_err();
        assert_eq!(err(json!([1])).pointer, "");
        assert_eq!(err(json!({"bad name": "x"})).pointer, "/bad name");
        assert_eq!(err(json!({"x": "a\nb"})).pointer, "/x");
        let e = err(json!({"x": ["a", 2]}));
        assert_eq!(e.pointer, "/x/1");
        assert_eq!(e.reason, "header \"x\": expected a string");
    }

    #[test]
    fn title_case_capitalises_each_word() {
        assert_eq!(title_case("content-type"), "Content-Type");
        assert_eq!(
            title_case("x-fake-servicer-next-request-status"),
            "X-Fake-Servicer-Next-Request-Status"
        );
        assert_eq!(title_case("a--b"), "A--B");
    }
}
