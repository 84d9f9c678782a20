//! Errors as the API server gives them: a `Status` object with its HTTP
//! code and reason (`NotFound`, `AlreadyExists`, `Conflict`, `Invalid`,
//! …), which clients (kubectl, client-go, the Python client) read.

use crate::plan::Plan;
use http::StatusCode;
use serde_json::{Value, json};

/// A failed request: what the API server would answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub code: StatusCode,
    pub reason: &'static str,
    pub message: String,
    /// `details` (name, kind, causes), when there are any.
    pub details: Option<Value>,
}

impl Failure {
    fn new(code: StatusCode, reason: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    /// 404 `NotFound`: `pods "web" not found`.
    pub fn not_found(resource: &str, name: &str) -> Failure {
        Failure::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("{resource} \"{name}\" not found"),
        )
        .with_details(json!({"name": name, "kind": kind_of(resource)}))
    }

    /// 404 `NotFound` for a path the API does not serve.
    pub fn no_such_path() -> Failure {
        Failure::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the server could not find the requested resource",
        )
    }

    /// 409 `AlreadyExists`.
    pub fn already_exists(resource: &str, name: &str) -> Failure {
        Failure::new(
            StatusCode::CONFLICT,
            "AlreadyExists",
            format!("{resource} \"{name}\" already exists"),
        )
        .with_details(json!({"name": name, "kind": kind_of(resource)}))
    }

    /// 409 `Conflict`: an update from a stale `resourceVersion`.
    pub fn conflict(resource: &str, name: &str) -> Failure {
        Failure::new(
            StatusCode::CONFLICT,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
            ),
        )
        .with_details(json!({"name": name, "kind": kind_of(resource)}))
    }

    /// 422 `Invalid`: `field` (`metadata.name`) is wrong, as `why` says.
    pub fn invalid(kind: &str, name: &str, field: &str, why: &str) -> Failure {
        let shown = if name.is_empty() { "<unknown>" } else { name };
        Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            format!("{kind} \"{shown}\" is invalid: {field}: {why}"),
        )
        .with_details(json!({
            "name": name,
            "kind": kind,
            "causes": [{"reason": "FieldValueInvalid", "message": why, "field": field}],
        }))
    }

    /// 400 `BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// 405 `MethodNotAllowed`.
    pub fn method_not_allowed(method: &http::Method) -> Failure {
        Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("the server does not allow this method on the requested resource ({method})"),
        )
    }

    /// 415 `UnsupportedMediaType`.
    pub fn unsupported_media_type(what: &str) -> Failure {
        Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json ({what})"
            ),
        )
    }

    /// 410 `Expired`: a watch from a `resourceVersion` older than the
    /// history kept.
    pub fn expired(asked: u64, oldest: u64) -> Failure {
        Failure::new(
            StatusCode::GONE,
            "Expired",
            format!("too old resource version: {asked} ({oldest})"),
        )
    }

    /// 500 `InternalError`: the server could not answer.
    pub fn internal(message: String) -> Failure {
        Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", message)
    }

    /// 507: a cap (`flag`) would be passed; nothing was changed.
    pub fn over_cap(flag: &'static str, message: String) -> Failure {
        Failure::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "InsufficientStorage",
            format!("{message} ({flag}); nothing was changed"),
        )
        .with_details(json!({"causes": [{"reason": "OverCap", "field": flag, "message": flag}]}))
    }

    fn with_details(mut self, details: Value) -> Failure {
        self.details = Some(details);
        self
    }

    /// The `Status` object.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code.as_u16(),
        });
        if let Some(details) = &self.details {
            status["details"] = details.clone();
        }
        status
    }

    /// The answer.
    pub fn plan(&self) -> Plan {
        Plan::json(self.code, &self.to_status())
    }
}

/// A plain message (a selector's) as a 400 `BadRequest`.
impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::bad_request(message)
    }
}

/// `pods.apps` → `pods`: `details.kind` as the API server gives it.
fn kind_of(resource: &str) -> &str {
    resource.split('.').next().unwrap_or(resource)
}
