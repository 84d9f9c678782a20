//! A serve event: a request the server received and what it answered, as
//! WireMock's journal shows it (`GET /__admin/requests`). WireMock's
//! clients parse these strictly: every field is here, in WireMock's
//! names.

use serde::Serialize;
use serde_json::{Map, Value};

/// WireMock's `ServeEvent`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServeEvent {
    pub id: String,
    pub request: LoggedRequest,
    /// The stub's response definition as created, or `{"status"}` (with
    /// `"fromConfiguredStub": false` when nothing matched).
    pub response_definition: Value,
    pub response: LoggedResponse,
    pub was_matched: bool,
    pub timing: Timing,
    pub sub_events: Vec<Value>,
    /// Our extension (`?extensions=true`): what answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<Value>,
    /// The stub that answered: as created, or only its id once removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stub_mapping: Option<Value>,
}

/// WireMock's `LoggedRequest`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    pub url: String,
    pub absolute_url: String,
    pub method: String,
    pub client_ip: String,
    /// Title-cased name → its value, or the list of its values.
    pub headers: Map<String, Value>,
    pub cookies: Map<String, Value>,
    pub browser_proxy_request: bool,
    /// Milliseconds since the epoch.
    pub logged_date: u64,
    pub logged_date_string: String,
    pub body_as_base64: String,
    pub body: String,
    pub query_params: Map<String, Value>,
    pub protocol: &'static str,
    pub scheme: &'static str,
    /// Our extension: the service the request resolved to.
    pub service: Option<String>,
    /// Our extension: the scopes the request carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Value>,
}

/// WireMock's `LoggedResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedResponse {
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<Map<String, Value>>,
    pub body_as_base64: String,
    /// The fault acted out instead of an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<&'static str>,
    pub body: String,
}

/// WireMock's `Timing`, in milliseconds.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    pub added_delay: u64,
    pub process_time: u64,
    pub response_send_time: u64,
    pub serve_time: u64,
    pub total_time: u64,
}

/// Header pairs as WireMock writes them: one string per (title-cased)
/// name, or the list of its values when there are several.
pub fn headers<'a>(pairs: impl Iterator<Item = (&'a str, String)>) -> Map<String, Value> {
    let mut headers: Map<String, Value> = Map::new();
    for (name, value) in pairs {
        let key = fake_servicer_core::headers::title_case(name);
        match headers.get_mut(&key) {
            None => {
                headers.insert(key, Value::String(value));
            }
            Some(Value::Array(a)) => a.push(Value::String(value)),
            Some(one) => {
                let first = one.take();
                *one = Value::Array(vec![first, Value::String(value)]);
            }
        }
    }
    headers
}

/// Query parameters as WireMock writes them: name → `{"key", "values"}`.
pub fn query_params(pairs: impl IntoIterator<Item = (String, String)>) -> Map<String, Value> {
    let mut query = Map::new();
    for (k, v) in pairs {
        let e = query
            .entry(k.clone())
            .or_insert_with(|| serde_json::json!({"key": k, "values": []}));
        if let Some(values) = e["values"].as_array_mut() {
            values.push(Value::String(v));
        }
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_keep_every_value_in_order() {
        let q = query_params(
            [("a", "1"), ("b", "x"), ("a", "2")].map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        assert_eq!(
            serde_json::Value::Object(q),
            serde_json::json!({"a": {"key": "a", "values": ["1", "2"]}, "b": {"key": "b", "values": ["x"]}})
        );
    }

    #[test]
    fn a_name_with_several_values_lists_them() {
        let h = headers(
            [
                ("x-a", "1".to_owned()),
                ("X-A", "2".to_owned()),
                ("b", "3".to_owned()),
            ]
            .into_iter(),
        );
        assert_eq!(
            serde_json::Value::Object(h),
            serde_json::json!({"X-A": ["1", "2"], "B": "3"})
        );
    }
}
