//! The error answers of the request path, as typed values: what went wrong
//! and the JSON a client gets for it. (The admin API's are `ApiError`.)

use crate::plan::Plan;
use http::{HeaderValue, Method, StatusCode, header};
use serde_json::{Value, json};
use std::time::Duration;

/// An answer that refuses or reports a failure.
pub(crate) enum Refusal<'a> {
    /// Arming an override without the admin token (401).
    ArmingUnauthorized,
    /// An override header that does not parse (400).
    ArmingInvalid { header: &'a str, reason: &'a str },
    /// The armed overrides are at their cap (507).
    ArmingFull {
        message: &'a str,
        flag: &'a str,
        cap: usize,
    },
    /// No service of that name (404).
    UnknownService {
        guess: Option<&'a str>,
        known: Vec<String>,
    },
    /// A service only stubs define, and none of them matches (404).
    NoStubMatches {
        service: &'a str,
        method: &'a Method,
        path: &'a str,
        stubs: Vec<Value>,
    },
    /// A stub could not make its answer (500): its response template
    /// failed to render, or its body file could not be read. `part` says
    /// which.
    StubFailed {
        stub: uuid::Uuid,
        part: &'static str,
        error: String,
    },
    /// The plugin has no route for the path (404).
    NoRoute {
        service: &'a str,
        method: &'a Method,
        path: &'a str,
        routes: Vec<String>,
    },
    /// The plugin has the path, not for this method (405, with `Allow`).
    MethodNotAllowed {
        service: &'a str,
        method: &'a Method,
        path: &'a str,
        allowed: Vec<&'a str>,
    },
    /// The handler failed or panicked (500).
    HandlerFailed {
        service: &'a str,
        route: &'a str,
        error: String,
    },
    /// The handler did not return in time (504).
    HandlerTimedOut {
        service: &'a str,
        route: &'a str,
        timeout: Duration,
    },
    /// The request body is over `--max-body-bytes` (413).
    BodyTooLarge { max: usize },
    /// The request body did not arrive in time (408; the connection closes).
    BodyTimedOut { timeout: Duration },
    /// The request body could not be read (400).
    BodyUnreadable { error: String },
    /// The request body says it is gzip and does not decode (500, as
    /// WireMock answers it).
    BodyNotGzip { error: String },
    /// The request carries this server's own `Via` mark: a proxying stub
    /// sent it here again (508).
    ProxyLoop { via: &'a str },
    /// No source answered (a list without its last, catch-all source).
    NoSource,
    /// `--max-streams` streams are open (503).
    TooManyStreams { max: usize },
    /// A WebSocket answer to a request that did not ask for one (426).
    UpgradeRequired,
}

impl Refusal<'_> {
    /// The status it is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::ArmingUnauthorized => StatusCode::UNAUTHORIZED,
            Refusal::ArmingInvalid { .. } | Refusal::BodyUnreadable { .. } => {
                StatusCode::BAD_REQUEST
            }
            Refusal::ArmingFull { .. } => StatusCode::INSUFFICIENT_STORAGE,
            Refusal::UnknownService { .. }
            | Refusal::NoStubMatches { .. }
            | Refusal::NoRoute { .. }
            | Refusal::NoSource => StatusCode::NOT_FOUND,
            Refusal::StubFailed { .. }
            | Refusal::HandlerFailed { .. }
            | Refusal::BodyNotGzip { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            Refusal::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Refusal::HandlerTimedOut { .. } => StatusCode::GATEWAY_TIMEOUT,
            Refusal::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::BodyTimedOut { .. } => StatusCode::REQUEST_TIMEOUT,
            Refusal::ProxyLoop { .. } => StatusCode::LOOP_DETECTED,
            Refusal::TooManyStreams { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::UpgradeRequired => StatusCode::UPGRADE_REQUIRED,
        }
    }

    /// The JSON body it is answered with.
    pub fn body(&self) -> Value {
        match self {
            Refusal::ArmingUnauthorized => json!({
                "error": "arming a next-request override needs `Authorization: Bearer <token>` (--admin-token)",
                "armed": false,
            }),
            Refusal::ArmingInvalid { header, reason } => json!({
                "error": format!("invalid {header}: {reason}"),
                "header": header,
                "armed": false,
            }),
            Refusal::ArmingFull { message, flag, cap } => json!({
                "error": message,
                "flag": flag,
                "cap": cap,
                "armed": false,
            }),
            Refusal::UnknownService { guess, known } => json!({
                "error": match guess {
                    Some(name) => format!("no service named {name:?}"),
                    None => "no service named in this request".to_owned(),
                },
                "service": guess,
                "known_services": known,
                "hint": "call http://<service>/<path> or http://<this host>/<service>/<path>",
            }),
            Refusal::NoStubMatches {
                service,
                method,
                path,
                stubs,
            } => json!({
                "error": format!("no stub of service {service:?} matches {method} {path}"),
                "service": service,
                "stubs": stubs,
            }),
            Refusal::StubFailed { stub, part, error } => json!({
                "error": format!("stub {stub}: {part}: {error}"),
                "stub": stub.to_string(),
            }),
            Refusal::NoRoute {
                service,
                method,
                path,
                routes,
            } => json!({
                "error": format!("no route for {method} {path}"),
                "service": service,
                "routes": routes,
            }),
            Refusal::MethodNotAllowed {
                service,
                method,
                path,
                allowed,
            } => json!({
                "error": format!("{method} is not allowed on {path}"),
                "service": service,
                "allowed": allowed,
            }),
            Refusal::HandlerFailed {
                service,
                route,
                error,
            } => json!({"error": error, "service": service, "route": route}),
            Refusal::HandlerTimedOut {
                service,
                route,
                timeout,
            } => json!({
                "error": format!("handler did not return within {timeout:?}"),
                "service": service,
                "route": route,
            }),
            Refusal::BodyTooLarge { max } => {
                json!({"error": format!("request body larger than {max} bytes (--max-body-bytes)")})
            }
            Refusal::BodyTimedOut { timeout } => json!({
                "error": format!("the request body did not arrive within {timeout:?} (--body-timeout)"),
            }),
            Refusal::BodyUnreadable { error } => {
                json!({"error": format!("cannot read the request body: {error}")})
            }
            Refusal::BodyNotGzip { error } => json!({
                "error": format!("the request body is not valid gzip: {error}"),
                "hint": "send it gzipped, without `Content-Encoding: gzip`, or start the server with --disable-gzip",
            }),
            Refusal::ProxyLoop { via } => json!({
                "error": format!("this server proxied this request to itself (Via: {via}): a proxying stub's target leads back here"),
                "via": via,
            }),
            Refusal::NoSource => json!({"error": "nothing answers this request"}),
            Refusal::TooManyStreams { max } => json!({
                "error": format!("{max} streams are open (--max-streams): close some (DELETE /__admin/streams) or raise the cap"),
                "flag": "--max-streams",
                "cap": max,
            }),
            Refusal::UpgradeRequired => json!({
                "error": "this answer is a WebSocket: connect with a WebSocket client (Upgrade: websocket)",
            }),
        }
    }

    /// The whole answer: status, JSON body and the headers it needs.
    pub fn plan(&self) -> Plan {
        self.plan_with(|_| {})
    }

    /// [`plan`](Self::plan), with `add` filling in more of the body (the
    /// near misses of a 404).
    pub fn plan_with(&self, add: impl FnOnce(&mut Value)) -> Plan {
        let mut body = self.body();
        add(&mut body);
        let mut plan = Plan::json(self.status(), &body);
        match self {
            Refusal::MethodNotAllowed { allowed, .. } => {
                if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
                    plan.headers.push((header::ALLOW, v));
                }
            }
            Refusal::BodyTimedOut { .. } => plan
                .headers
                .push((header::CONNECTION, HeaderValue::from_static("close"))),
            Refusal::TooManyStreams { .. } => plan
                .headers
                .push((header::RETRY_AFTER, HeaderValue::from_static("1"))),
            Refusal::UpgradeRequired => {
                plan.headers
                    .push((header::UPGRADE, HeaderValue::from_static("websocket")));
                plan.headers
                    .push((header::CONNECTION, HeaderValue::from_static("upgrade")));
            }
            _ => {}
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_not_allowed_names_the_allowed_ones_in_allow() {
        let plan = Refusal::MethodNotAllowed {
            service: "example",
            method: &Method::DELETE,
            path: "/users",
            allowed: vec!["GET", "POST"],
        }
        .plan();
        assert_eq!(plan.status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(
            plan.headers
                .iter()
                .any(|(n, v)| n == header::ALLOW && v == "GET, POST")
        );
    }

    #[test]
    fn a_body_that_did_not_arrive_closes_the_connection() {
        let plan = Refusal::BodyTimedOut {
            timeout: Duration::from_secs(1),
        }
        .plan();
        assert_eq!(plan.status, StatusCode::REQUEST_TIMEOUT);
        assert!(
            plan.headers
                .iter()
                .any(|(n, v)| n == header::CONNECTION && v == "close")
        );
    }
}
