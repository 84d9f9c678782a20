//! Why an extractor refused a request.

use crate::response::{IntoResponse, Response};
use http::StatusCode;

/// An extractor's refusal: answered as JSON naming the field and the reason.
///
/// ```
/// use fake_servicer::{IntoResponse, Rejection, StatusCode};
///
/// let r = Rejection::bad_request("invalid query string", Some("id"), "invalid digit found in string");
/// let resp = r.into_response();
/// assert_eq!(resp.status_code(), StatusCode::BAD_REQUEST);
/// let body: serde_json::Value = serde_json::from_slice(resp.body_bytes()).unwrap();
/// assert_eq!(body["field"], "id");
/// assert_eq!(body["reason"], "invalid digit found in string");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Status to answer with (400, or 415 for a wrong content type).
    pub status: StatusCode,
    /// What failed, e.g. `invalid path parameter`.
    pub error: String,
    /// The offending field, when one can be named.
    pub field: Option<String>,
    /// Why it failed.
    pub reason: String,
}

impl Rejection {
    /// A 400 rejection.
    pub fn bad_request(
        error: impl Into<String>,
        field: Option<&str>,
        reason: impl Into<String>,
    ) -> Self {
        Rejection {
            status: StatusCode::BAD_REQUEST,
            error: error.into(),
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }

    /// A rejection from a deserializer error, naming the field from its path.
    pub(crate) fn from_path_error<E: std::fmt::Display>(
        error: &str,
        err: serde_path_to_error::Error<E>,
        fallback_field: Option<&str>,
    ) -> Self {
        let path = err.path().to_string();
        let reason = err.into_inner().to_string();
        let field = if path != "." && !path.is_empty() {
            Some(path)
        } else {
            missing_field(&reason)
                .map(str::to_owned)
                .or(fallback_field.map(str::to_owned))
        };
        Rejection {
            status: StatusCode::BAD_REQUEST,
            error: error.to_owned(),
            field,
            reason,
        }
    }
}

/// serde reports a missing field only in its message: "missing field `id`".
fn missing_field(reason: &str) -> Option<&str> {
    let rest = reason.strip_prefix("missing field `")?;
    rest.split('`').next()
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: `{}`: {}", self.error, field, self.reason),
            None => write!(f, "{}: {}", self.error, self.reason),
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.error,
            "field": self.field,
            "reason": self.reason,
        });
        Response::new().status(self.status).json(&body)
    }
}
