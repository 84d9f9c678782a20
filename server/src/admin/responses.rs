//! `POST /__admin/responses`: a thin form of a stub, for teams coming from
//! an older tool whose README sketches it:
//! `{"filter": {"path", "method"?, "service"?}, "response": "body" | {"status"?, "body" | "json", "headers"?}}`.
//! It is turned into the WireMock mapping it stands for and created as
//! `POST /__admin/mappings` creates one: same answer, same scope header,
//! listed and removed like any stub.

use super::{ApiError, ApiResult, parse_json};
use crate::state::App;
use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use serde::{Deserialize, Deserializer, de::Error as _};
use serde_json::{Map, Value, json};

pub fn routes() -> Router<App> {
    Router::new().route("/__admin/responses", post(create))
}

async fn create(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let thin = Thin::deserialize(parse_json(&body)?).map_err(|e| invalid("", e.to_string()))?;
    super::mappings::create_stub(&app, &headers, thin.into_mapping()?)
}

fn invalid(pointer: &str, title: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, Some(pointer), title)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Thin {
    filter: Filter,
    response: Reply,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Filter {
    #[serde(deserialize_with = "path")]
    path: String,
    #[serde(default, deserialize_with = "method")]
    method: Option<String>,
    #[serde(default, deserialize_with = "service")]
    service: Option<String>,
}

/// A string, or (as the old tool's sketch writes it) a list of one.
#[derive(Deserialize)]
#[serde(untagged, expecting = "expected a string or a list of one string")]
enum OneOrList {
    One(String),
    List(Vec<String>),
}

fn path<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    String::deserialize(d).map_err(|e| D::Error::custom(format!("filter.path: {e}")))
}

fn method<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    one("method", d).map(Some)
}

fn service<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    one("service", d).map(Some)
}

/// The string of `filter.{field}`, given bare or as a list of one.
fn one<'de, D: Deserializer<'de>>(field: &str, d: D) -> Result<String, D::Error> {
    let fail = |why: &dyn std::fmt::Display| D::Error::custom(format!("filter.{field}: {why}"));
    match OneOrList::deserialize(d).map_err(|e| fail(&e))? {
        OneOrList::One(s) => Ok(s),
        OneOrList::List(list) => <[String; 1]>::try_from(list)
            .map(|[s]| s)
            .map_err(|list| fail(&format!("expected a list of one, not {}", list.len()))),
    }
}

/// The body alone (status 200), or the whole answer.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "response: expected a body string or an object of status, body or json, and headers"
)]
enum Reply {
    Body(String),
    Full(Full),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Full {
    status: Option<u16>,
    body: Option<String>,
    json: Option<Value>,
    headers: Option<Map<String, Value>>,
}

impl Thin {
    /// The WireMock mapping this stands for; the stub parser checks the
    /// rest (a status out of range, a bad header) at the same pointers.
    fn into_mapping(self) -> Result<Value, ApiError> {
        let Filter {
            path,
            method,
            service,
        } = self.filter;
        let mut request = json!({"urlPath": path});
        if let Some(m) = method {
            request["method"] = m.into();
        }
        if let Some(s) = service {
            request["service"] = s.into();
        }
        let response = match self.response {
            Reply::Body(body) => json!({"status": 200, "body": body}),
            Reply::Full(full) => {
                let mut r = json!({"status": full.status.unwrap_or(200)});
                if let Some(h) = full.headers {
                    r["headers"] = Value::Object(h);
                }
                match (full.body, full.json) {
                    (Some(_), Some(_)) => {
                        return Err(invalid(
                            "/response",
                            "response: give body or json, not both",
                        ));
                    }
                    (Some(body), None) => r["body"] = body.into(),
                    (None, Some(json)) => r["jsonBody"] = json,
                    (None, None) => {}
                }
                r
            }
        };
        Ok(json!({"request": request, "response": response}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(v: Value) -> Result<Value, String> {
        let thin = Thin::deserialize(v).map_err(|e| e.to_string())?;
        thin.into_mapping().map_err(|e| e.title)
    }

    #[test]
    fn the_thin_form_becomes_the_wiremock_mapping_it_stands_for() {
        assert_eq!(
            mapping(
                json!({"filter": {"path": "/p", "method": ["GET"], "service": "pay"},
                           "response": {"status": 201, "json": {"b": 1, "a": 2}, "headers": {"X": "y"}}})
            ),
            Ok(json!({
                "request": {"urlPath": "/p", "method": "GET", "service": "pay"},
                "response": {"status": 201, "headers": {"X": "y"}, "jsonBody": {"b": 1, "a": 2}}
            }))
        );
        assert_eq!(
            mapping(json!({"filter": {"path": "/p"}, "response": "hi"})),
            Ok(json!({"request": {"urlPath": "/p"}, "response": {"status": 200, "body": "hi"}}))
        );
    }

    #[test]
    fn bad_thin_forms_are_refused_naming_the_field() {
        for (body, names) in [
            (json!({"filter": {}, "response": "x"}), "`path`"),
            (
                json!({"filter": {"path": 5}, "response": "x"}),
                "filter.path",
            ),
            (
                json!({"filter": {"path": "/p", "service": ["a", "b"]}, "response": "x"}),
                "filter.service",
            ),
            (
                json!({"filter": {"path": "/p", "method": 1}, "response": "x"}),
                "filter.method",
            ),
            (
                json!({"filter": {"path": "/p", "verb": "GET"}, "response": "x"}),
                "`verb`",
            ),
            (json!({"filter": {"path": "/p"}, "response": 5}), "response"),
            (
                json!({"filter": {"path": "/p"}, "response": {"body": "a", "json": {}}}),
                "body or json",
            ),
        ] {
            let e = mapping(body.clone()).expect_err("refused");
            assert!(e.contains(names), "{body}: {e}");
        }
    }
}
