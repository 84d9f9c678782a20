//! One gRPC call answered by stubs, as WireMock's gRPC extension does it:
//! the request's messages become proto3 JSON, matched by ordinary stubs on
//! `POST /<package>.<Service>/<Method>`; the answer's JSON body becomes
//! the method's output message (a JSON list: a stream of them, for a
//! server-streaming method), and the headers `grpc-status-name` and
//! `grpc-status-reason` its status.

use super::Grpc;
use crate::{journal::AnsweredBy, plan::Plan, plan::PlanBody};
use axum::{body::Body, response::Response};
use bytes::Bytes;
use fake_servicer_grpc::{Code, Method, decode_messages, encode_message, encode_message_text};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use http_body::Frame;
use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");
const STATUS_NAME: &str = "grpc-status-name";
const STATUS_REASON: &str = "grpc-status-reason";
static APPLICATION_GRPC: HeaderValue = HeaderValue::from_static("application/grpc");

/// A gRPC call.
pub(crate) struct Call {
    /// Its method, when a descriptor defines it.
    method: Option<Method>,
    /// `/<package>.<Service>/<Method>`.
    path: String,
    /// The client's deadline (`grpc-timeout`), from when the call came.
    timeout: Option<Duration>,
}

/// The call `path` makes and, when a descriptor defines its method, its
/// messages as JSON (one message: its JSON; several: a JSON list of them);
/// or the status to answer at once (a message that does not decode). A
/// method no descriptor defines may be a plugin's: its body stays as it
/// came.
pub(crate) fn read(
    grpc: &Grpc,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Call, Option<Bytes>), Plan> {
    let timeout = headers
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_timeout);
    let Some(method) = grpc.catalog().method(path) else {
        let call = Call {
            method: None,
            path: path.to_owned(),
            timeout,
        };
        return Ok((call, None));
    };
    let encoding = headers.get("grpc-encoding").and_then(|v| v.to_str().ok());
    let messages = decode_messages(body, encoding, grpc.max_message_bytes)
        .map_err(|e| status(e.code, &e.message))?;
    let mut json = Vec::with_capacity(messages.len());
    for message in &messages {
        let text = method
            .request_to_json(message)
            .map_err(|e| status(Code::InvalidArgument, &e.to_string()))?;
        json.push(text);
    }
    let body = match json.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(",")),
    };
    let call = Call {
        method: Some(method),
        path: path.to_owned(),
        timeout,
    };
    Ok((call, Some(Bytes::from(body))))
}

/// The server's own refusal of a call (413, 408) as its gRPC status.
pub(crate) fn refused(plan: &Plan) -> Plan {
    let text = json_text(plan, "error");
    let code = match plan.status {
        StatusCode::PAYLOAD_TOO_LARGE => Code::ResourceExhausted,
        StatusCode::REQUEST_TIMEOUT => Code::DeadlineExceeded,
        other => Code::from_http(other.as_u16()),
    };
    status(
        code,
        text.as_deref().unwrap_or_else(|| plan.status.as_str()),
    )
}

/// A status answered with no message (gRPC's "trailers-only" answer).
pub(crate) fn status(code: Code, message: &str) -> Plan {
    let mut plan = Plan::empty(StatusCode::OK);
    plan.headers = status_headers(code, message);
    plan
}

fn status_headers(code: Code, message: &str) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = vec![
        (header::CONTENT_TYPE, APPLICATION_GRPC.clone()),
        (GRPC_STATUS, HeaderValue::from(code.number())),
    ];
    if !message.is_empty()
        && let Ok(text) = HeaderValue::from_str(&encode_message_text(message))
    {
        headers.push((GRPC_MESSAGE, text));
    }
    headers
}

impl Call {
    /// `plan`, what answered the call as HTTP, made its gRPC answer;
    /// returns the trailers to send after the messages (none for an
    /// answer made of a status alone, or a fault).
    pub fn answer(&self, plan: &mut Plan, by: &AnsweredBy) -> Option<HeaderMap> {
        if plan.fault.is_some() {
            return None;
        }
        if matches!(by, AnsweredBy::Plugin { .. }) {
            return plugin_answer(plan);
        }
        // A status of the server's own (an override's, a refusal's).
        if plan.headers.iter().any(|(n, _)| n == GRPC_STATUS) {
            return None;
        }
        // An answer delayed past the client's deadline: the deadline's
        // status, when it passes (the client has given up by then).
        if let Some(timeout) = self.timeout
            && plan.delay > timeout
        {
            *plan = status(
                Code::DeadlineExceeded,
                &format!(
                    "the answer's delay of {:?} passes the call's grpc-timeout of {timeout:?}",
                    plan.delay
                ),
            );
            plan.delay = timeout;
            return None;
        }
        let method = match (by, &self.method) {
            (AnsweredBy::Nothing, None) => {
                *plan = status(
                    Code::Unimplemented,
                    &format!(
                        "{}: no gRPC descriptor or plugin defines this method",
                        self.path
                    ),
                );
                return None;
            }
            (AnsweredBy::Nothing, Some(method)) => {
                *plan = status(Code::NotFound, &not_found(method, plan));
                return None;
            }
            // An override armed by the call's metadata: nothing to say.
            (AnsweredBy::Armed, _) => {
                *plan = status(Code::Ok, "");
                return None;
            }
            (_, method) => method.as_ref(),
        };
        let named = header_text(plan, STATUS_NAME);
        let reason = header_text(plan, STATUS_REASON).unwrap_or_default();
        let code = match named.as_deref().map(Code::from_name) {
            Some(Some(code)) => code,
            Some(None) => {
                let name = named.unwrap_or_default();
                *plan = status(
                    Code::Internal,
                    &format!("grpc-status-name {name:?} is not a gRPC status"),
                );
                return None;
            }
            None if plan.status.is_success() => Code::Ok,
            None => Code::from_http(plan.status.as_u16()),
        };
        if code != Code::Ok {
            let delay = plan.delay;
            *plan = status(code, &reason);
            plan.delay = delay;
            return None;
        }
        let Some(method) = method else {
            *plan = status(
                Code::Internal,
                &format!(
                    "{}: no gRPC descriptor defines this method, so a stub cannot answer it with a message (see --proto-dir)",
                    self.path
                ),
            );
            return None;
        };
        match messages(method, &plan.body) {
            Ok(frames) => {
                let metadata = plan.headers.iter().filter(|(n, _)| is_metadata(n)).cloned();
                let mut headers = vec![(header::CONTENT_TYPE, APPLICATION_GRPC.clone())];
                headers.extend(metadata);
                plan.headers = headers;
                plan.status = StatusCode::OK;
                plan.reason = None;
                plan.body = PlanBody::Chunks(
                    frames
                        .into_iter()
                        .map(|f| (Default::default(), f))
                        .collect(),
                );
                let mut trailers = HeaderMap::new();
                trailers.insert(GRPC_STATUS, HeaderValue::from(Code::Ok.number()));
                Some(trailers)
            }
            Err(why) => {
                *plan = status(Code::Internal, &why);
                None
            }
        }
    }
}

/// The answer's body as the method's output messages, framed.
fn messages(method: &Method, body: &PlanBody) -> Result<Vec<Bytes>, String> {
    let bytes = body.first_bytes(usize::MAX);
    let output = method.output_name().to_owned();
    let json: serde_json::Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Object(Default::default())
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|e| format!("the stub's body is not JSON for {output}: {e}"))?
    };
    let values = match json {
        serde_json::Value::Array(items) if method.server_streaming() => items,
        serde_json::Value::Array(_) => {
            return Err(format!(
                "the stub's body is a list, and {} answers one {output}",
                method.path()
            ));
        }
        one => vec![one],
    };
    values
        .iter()
        .map(|v| {
            method
                .response_from_json(v)
                .map(|m| encode_message(&m))
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// A plugin's answer to a call: the SDK writes the status in
/// `grpc-status` (and `grpc-message`, `grpc-status-details-bin`); after
/// messages they go in the trailers. An answer without one (the server's
/// own 500 for a panic, 504 past `--handler-timeout`) is that status.
fn plugin_answer(plan: &mut Plan) -> Option<HeaderMap> {
    let has_status = plan.headers.iter().any(|(n, _)| n == GRPC_STATUS);
    if !has_status {
        let code = match plan.status {
            StatusCode::INTERNAL_SERVER_ERROR => Code::Internal,
            StatusCode::GATEWAY_TIMEOUT => Code::DeadlineExceeded,
            s if s.is_success() => Code::Ok,
            s => Code::from_http(s.as_u16()),
        };
        if code != Code::Ok || plan.body.is_empty() {
            let message = match &plan.body {
                PlanBody::Full(b) => String::from_utf8_lossy(b).into_owned(),
                PlanBody::Chunks(_) | PlanBody::Stream(_) | PlanBody::WebSocket(_) => String::new(),
            };
            let delay = plan.delay;
            *plan = status(code, &message);
            plan.delay = delay;
            return None;
        }
        let mut trailers = HeaderMap::new();
        trailers.insert(GRPC_STATUS, HeaderValue::from(Code::Ok.number()));
        return Some(trailers);
    }
    if plan.body.is_empty() {
        return None;
    }
    let mut trailers = HeaderMap::new();
    plan.headers.retain(|(name, value)| {
        let trailing = name == GRPC_STATUS
            || name == GRPC_MESSAGE
            || name.as_str() == "grpc-status-details-bin";
        if trailing {
            trailers.append(name.clone(), value.clone());
        }
        !trailing
    });
    Some(trailers)
}

/// `grpc-timeout`: at most 8 digits and a unit (`H`, `M`, `S`, `m`, `u`,
/// `n`).
fn parse_timeout(text: &str) -> Option<Duration> {
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// The stub's header `name`, taken out of the answer.
fn header_text(plan: &mut Plan, name: &str) -> Option<String> {
    let at = plan.headers.iter().position(|(n, _)| n.as_str() == name)?;
    let (_, value) = plan.headers.remove(at);
    Some(String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// Whether a stub's header is sent as the call's metadata (not one gRPC
/// or HTTP owns).
fn is_metadata(name: &HeaderName) -> bool {
    name != header::CONTENT_TYPE
        && name != header::CONTENT_LENGTH
        && name != header::CONTENT_ENCODING
        && name != header::TRANSFER_ENCODING
        && !name.as_str().starts_with("grpc-")
}

/// The text field `key` of the server's own JSON answer in `plan`.
fn json_text(plan: &Plan, key: &str) -> Option<String> {
    match &plan.body {
        PlanBody::Full(body) => serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get(key).and_then(|t| t.as_str()).map(str::to_owned)),
        PlanBody::Chunks(_) | PlanBody::Stream(_) | PlanBody::WebSocket(_) => None,
    }
}

/// `NOT_FOUND`'s message: the closest stub the 404 named.
fn not_found(method: &Method, plan: &Plan) -> String {
    let closest = json_text(plan, "closest");
    match closest {
        Some(closest) => format!("no stub answers {}; {closest}", method.path()),
        None => format!("no stub answers {}", method.path()),
    }
}

/// `response` with `trailers` sent after its body.
pub(crate) fn with_trailers(response: Response, trailers: HeaderMap) -> Response {
    response.map(|body| {
        Body::new(Trailed {
            body,
            trailers: Some(trailers),
        })
    })
}

/// A body, then trailers.
struct Trailed {
    body: Body,
    trailers: Option<HeaderMap>,
}

impl http_body::Body for Trailed {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        match Pin::new(&mut self.body).poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(self.trailers.take().map(|t| Ok(Frame::trailers(t)))),
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.trailers.is_none() && self.body.is_end_stream()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_are_read_in_every_unit_and_nonsense_is_ignored() {
        assert_eq!(parse_timeout("100m"), Some(Duration::from_millis(100)));
        assert_eq!(parse_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_timeout("5u"), Some(Duration::from_micros(5)));
        assert_eq!(parse_timeout("123456789S"), None);
        assert_eq!(parse_timeout("S"), None);
        assert_eq!(parse_timeout(""), None);
        assert_eq!(parse_timeout("10x"), None);
    }

    #[test]
    fn a_status_alone_is_sent_in_the_headers_with_its_message_encoded() {
        let plan = status(Code::NotFound, "no stub: 100%");
        let get = |name: &str| {
            plan.headers
                .iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, v)| v.to_str().unwrap_or_default().to_owned())
        };
        assert_eq!(get("grpc-status").as_deref(), Some("5"));
        assert_eq!(get("grpc-message").as_deref(), Some("no stub: 100%25"));
        assert_eq!(get("content-type").as_deref(), Some("application/grpc"));
        assert!(plan.body.is_empty());
    }
}
