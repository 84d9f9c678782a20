//! Response plans: what a plugin handler, a stub or an override asks the
//! server to send, in server memory (a plugin's answer is copied out of the
//! plugin here), carried out asynchronously — a delay before the status
//! line, a body dribbled as delayed chunks, or a connection fault.
//!
//! An answer's body is charged to `--max-unsent-bytes` from the moment its
//! plan is carried out until it is sent ([`crate::unsent`]); one that would
//! pass the cap is answered 503 instead.

use crate::{
    conn::Conn,
    fault::Fault,
    mappings::StubResponse,
    unsent::{Charged, OverCap, Reservation},
};
use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use fake_servicer::abi::{FfiResponse, FfiResponseHeader};
use fake_servicer_wiremock::stream::{Item, StreamAnswer, WebSocketAnswer};
use http::{HeaderName, HeaderValue, StatusCode, header};
use http_body_util::Full;
use std::{sync::Arc, time::Duration};

pub use fake_servicer_core::delay::{MAX_DELAY, MAX_DELAY_MS};

pub use fake_servicer_core::headers::status;

/// The body of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanBody {
    Full(Bytes),
    /// Sent with chunked encoding, each chunk after its delay.
    Chunks(Vec<(Duration, Bytes)>),
    /// Items sent one by one, then (live) what tests push: carried out by
    /// [`crate::streams`], whose queues have a cap of their own.
    Stream(Arc<StreamAnswer>),
    /// A WebSocket, for a request asking for one
    /// ([`crate::streams::websocket`]).
    WebSocket(SocketAnswer),
}

/// A WebSocket answer.
#[derive(Clone, Debug)]
pub enum SocketAnswer {
    /// A stub's `webSocket`, shared.
    Stub(Arc<WebSocketAnswer>),
    /// A plugin route's ([`fake_servicer::WebSocket`]): what it sends on
    /// open, and the route to call for each message (set by
    /// [`crate::answer::plugins`] once the handshake's call returns).
    Plugin {
        open: Vec<Item>,
        calls: Option<Arc<crate::streams::websocket::PluginCalls>>,
    },
}

impl PartialEq for SocketAnswer {
    fn eq(&self, other: &SocketAnswer) -> bool {
        match (self, other) {
            (SocketAnswer::Stub(a), SocketAnswer::Stub(b)) => Arc::ptr_eq(a, b),
            (
                SocketAnswer::Plugin { open: a, calls: x },
                SocketAnswer::Plugin { open: b, calls: y },
            ) => a == b && x.is_some() == y.is_some(),
            _ => false,
        }
    }
}

impl Eq for SocketAnswer {}

impl PlanBody {
    /// Its bytes charged to `--max-unsent-bytes` (none for a stream).
    pub fn len(&self) -> usize {
        match self {
            PlanBody::Full(bytes) => bytes.len(),
            PlanBody::Chunks(chunks) => chunks.iter().map(|(_, c)| c.len()).sum(),
            PlanBody::Stream(_) | PlanBody::WebSocket(_) => 0,
        }
    }

    /// The bytes it starts with, joined, at most `max` of them (for the
    /// journal).
    pub fn first_bytes(&self, max: usize) -> Bytes {
        /// `pieces` joined, at most `max` bytes of them.
        fn joined(pieces: impl Iterator<Item = Bytes>, max: usize) -> Bytes {
            let mut all = Vec::new();
            for piece in pieces {
                let room = max.saturating_sub(all.len());
                if room == 0 {
                    break;
                }
                all.extend_from_slice(&piece[..piece.len().min(room)]);
            }
            Bytes::from(all)
        }
        match self {
            PlanBody::Full(b) => b.clone(),
            PlanBody::Chunks(chunks) => joined(chunks.iter().map(|(_, c)| c.clone()), max),
            PlanBody::Stream(s) => joined(s.items.iter().filter_map(Item::http_bytes), max),
            PlanBody::WebSocket(_) => Bytes::new(),
        }
    }

    /// Whether it has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A response to carry out.
#[derive(Clone, Debug)]
pub struct Plan {
    pub status: StatusCode,
    /// A reason phrase other than the standard one (`statusMessage`).
    pub reason: Option<String>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: PlanBody,
    pub delay: Duration,
    pub fault: Option<Fault>,
}

/// `text/plain; charset=utf-8`, checked once at compile time.
static TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
/// `application/json`, checked once at compile time.
static APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A header value from a plugin; the content types the SDK sets are
/// shared, not copied.
fn header_value(bytes: &[u8]) -> Result<HeaderValue, http::header::InvalidHeaderValue> {
    match bytes {
        b"text/plain; charset=utf-8" => Ok(TEXT_PLAIN.clone()),
        b"application/json" => Ok(APPLICATION_JSON.clone()),
        other => HeaderValue::from_bytes(other),
    }
}

/// A header name from a plugin; the one the SDK sets for every text and
/// JSON answer is not parsed.
fn header_name(name: &str) -> Result<HeaderName, http::header::InvalidHeaderName> {
    match name {
        "content-type" => Ok(header::CONTENT_TYPE),
        other => HeaderName::from_bytes(other.as_bytes()),
    }
}

/// Bodies up to this long are copied next to their reference count.
const SMALL_BODY: usize = 64;

/// A small body and its reference count in one allocation.
struct SmallBody {
    len: u8,
    data: [u8; SMALL_BODY],
}

impl AsRef<[u8]> for SmallBody {
    fn as_ref(&self) -> &[u8] {
        &self.data[..usize::from(self.len)]
    }
}

/// A copy of `bytes` that the journal shares with the answer.
///
/// A copied `Vec` takes a second allocation, for its reference count, the
/// first time it is shared; a small body gets one allocation holding
/// both.
fn shareable_copy(bytes: &[u8]) -> Bytes {
    match u8::try_from(bytes.len()) {
        Ok(0) => Bytes::new(),
        Ok(len) if bytes.len() <= SMALL_BODY => {
            let mut data = [0; SMALL_BODY];
            data[..bytes.len()].copy_from_slice(bytes);
            Bytes::from_owner(SmallBody { len, data })
        }
        _ => Bytes::copy_from_slice(bytes),
    }
}

/// The stream a plugin answered: its body, a JSON list of items, and its
/// [`fake_servicer::abi::STREAM_HEADER`] value, `live` or `end`.
fn stream_of_ffi(body: &[u8], live: &[u8]) -> Result<StreamAnswer, String> {
    let live = match live {
        b"live" => true,
        b"end" => false,
        other => {
            return Err(format!(
                "the handler answered {}: {:?} (expected live or end)",
                fake_servicer::abi::STREAM_HEADER,
                String::from_utf8_lossy(other)
            ));
        }
    };
    Ok(StreamAnswer {
        items: items_of_ffi(body)?,
        live,
        templated: false,
    })
}

/// The stream items of a plugin's answer: its body, a JSON list.
fn items_of_ffi(body: &[u8]) -> Result<Vec<Item>, String> {
    let json: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| format!("the handler's stream items are not JSON: {e}"))?;
    fake_servicer_wiremock::stream::parse_items(&json, "").map_err(|e| {
        format!(
            "the handler's stream item at {:?} is invalid: {}",
            e.pointer, e.title
        )
    })
}

impl Plan {
    /// Copies a plugin's plan into server memory, checking status and
    /// headers (an invalid one is reported, not sent).
    pub fn from_ffi(ffi: &FfiResponse) -> Result<Plan, String> {
        Plan::from_ffi_with(ffi, &ffi.headers)
    }

    /// [`Plan::from_ffi`] with `headers` in place of the answer's (some of
    /// them: the server's marks taken out).
    pub fn from_ffi_with(
        ffi: &FfiResponse,
        ffi_headers: &[FfiResponseHeader],
    ) -> Result<Plan, String> {
        let status = status(ffi.status).ok_or_else(|| {
            format!(
                "the handler answered an invalid status {} (expected 100-599)",
                ffi.status
            )
        })?;
        let mut headers = Vec::with_capacity(ffi_headers.len());
        for h in ffi_headers {
            let name = header_name(h.name.as_str()).map_err(|_| {
                format!(
                    "the handler answered an invalid header name {:?}",
                    h.name.as_str()
                )
            })?;
            let value = header_value(h.value.as_slice()).map_err(|_| {
                format!(
                    "the handler answered an invalid value for header {:?}",
                    h.name.as_str()
                )
            })?;
            headers.push((name, value));
        }
        let marked = |marker: &str| headers.iter().position(|(name, _)| name.as_str() == marker);
        let body = if let Some(at) = marked(fake_servicer::abi::STREAM_HEADER) {
            let (_, value) = headers.remove(at);
            PlanBody::Stream(Arc::new(stream_of_ffi(
                ffi.body.as_slice(),
                value.as_bytes(),
            )?))
        } else if let Some(at) = marked(fake_servicer::abi::WEBSOCKET_HEADER) {
            headers.remove(at);
            PlanBody::WebSocket(SocketAnswer::Plugin {
                open: items_of_ffi(ffi.body.as_slice())?,
                calls: None,
            })
        } else if ffi.chunks.is_empty() {
            PlanBody::Full(shareable_copy(ffi.body.as_slice()))
        } else {
            PlanBody::Chunks(
                ffi.chunks
                    .iter()
                    .map(|c| {
                        (
                            Duration::from_millis(c.delay_ms),
                            Bytes::copy_from_slice(c.data.as_slice()),
                        )
                    })
                    .collect(),
            )
        };
        Ok(Plan {
            status,
            reason: None,
            headers,
            body,
            delay: Duration::from_millis(ffi.delay_ms),
            fault: Fault::from_ffi(ffi.fault),
        })
    }

    /// An empty answer with `status`.
    pub fn empty(status: StatusCode) -> Plan {
        Plan {
            status,
            reason: None,
            headers: Vec::new(),
            body: PlanBody::Full(Bytes::new()),
            delay: Duration::ZERO,
            fault: None,
        }
    }

    /// A JSON answer made by the server itself.
    pub fn json(status: StatusCode, value: &serde_json::Value) -> Plan {
        Plan {
            status,
            reason: None,
            headers: vec![(header::CONTENT_TYPE, APPLICATION_JSON.clone())],
            body: PlanBody::Full(Bytes::from(value.to_string())),
            delay: Duration::ZERO,
            fault: None,
        }
    }

    /// The plan of an answer refused for `--max-unsent-bytes`: 503, JSON
    /// naming the flag, as the request path's other refusals.
    fn over_cap(over: OverCap) -> Plan {
        let mut plan = Plan::json(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({
                "error": format!(
                    "an answer of {} bytes would take the bytes of answers not yet sent past {} (--max-unsent-bytes)",
                    over.asked, over.max
                ),
                "flag": "--max-unsent-bytes",
                "cap": over.max,
            }),
        );
        plan.headers
            .push((header::RETRY_AFTER, HeaderValue::from_static("1")));
        plan
    }

    /// Charges the plan's body to the connection's `--max-unsent-bytes`
    /// from now until it is sent: the reservation to carry it out with,
    /// or, when it would pass the cap, the 503 plan to answer instead (the
    /// journal then records what is sent).
    pub fn reserve(&self, conn: Option<&Conn>) -> Result<Option<Reservation>, Plan> {
        match conn.and_then(|c| c.unsent.as_ref()) {
            Some(ledger) if self.fault.is_none() && !self.body.is_empty() => {
                match Reservation::within_cap(ledger, self.body.len()) {
                    Ok(reserved) => Ok(Some(reserved)),
                    Err(over) => {
                        tracing::debug!(
                            "refused an answer of {} bytes: --max-unsent-bytes {}",
                            over.asked,
                            over.max
                        );
                        Err(Plan::over_cap(over))
                    }
                }
            }
            _ => Ok(None),
        }
    }

    /// Carries the plan out: waits its delay (holding no thread), then
    /// answers, dribbles, or arms the connection's fault. The headers sent
    /// are `headers` (the plan's own, or the journal's record of them),
    /// not the plan's.
    ///
    /// `reserved` is what [`Plan::reserve`] charged for the body (its
    /// delay included) until it is sent. `opened`: the body of the stream
    /// opened for a [`PlanBody::Stream`] (without it, such a plan sends
    /// nothing).
    pub async fn execute(
        self,
        conn: Option<&Conn>,
        headers: &[(HeaderName, HeaderValue)],
        reserved: Option<Reservation>,
        opened: Option<Body>,
    ) -> Response {
        let Plan {
            status,
            reason,
            body,
            delay,
            fault,
            ..
        } = self;
        if !delay.is_zero() {
            tokio::time::sleep(delay.min(MAX_DELAY)).await;
        }
        if let (Some(fault), Some(conn)) = (fault, conn) {
            conn.fault.arm(fault);
            let mut r = Response::new(Body::empty());
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return r;
        }
        let body = match body {
            PlanBody::Stream(_) | PlanBody::WebSocket(_) => opened.unwrap_or_else(Body::empty),
            PlanBody::Full(bytes) => match reserved {
                Some(reserved) => Body::new(Charged::new(Full::new(bytes), reserved)),
                None => Body::from(bytes),
            },
            PlanBody::Chunks(chunks) => {
                let body = Body::from_stream(futures_util::stream::unfold(
                    chunks.into_iter(),
                    |mut rest| async move {
                        let (delay, data) = rest.next()?;
                        if !delay.is_zero() {
                            tokio::time::sleep(delay.min(MAX_DELAY)).await;
                        }
                        Some((Ok::<_, std::convert::Infallible>(data), rest))
                    },
                ));
                match reserved {
                    Some(reserved) => Body::new(Charged::new(body, reserved)),
                    None => body,
                }
            }
        };
        respond(status, reason, body, headers)
    }
}

/// The response: `status`, `reason`, `headers` but those of the framing,
/// and `body`.
fn respond(
    status: StatusCode,
    reason: Option<String>,
    body: Body,
    headers: &[(HeaderName, HeaderValue)],
) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    if let Some(reason) = reason
        && let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(reason)
    {
        response.extensions_mut().insert(phrase);
    }
    let sent = response.headers_mut();
    for (name, value) in headers {
        if !is_framing(name, value) {
            sent.append(name.clone(), value.clone());
        }
    }
    response
}

/// Whether a header describes the message's framing, which the server
/// owns: `Content-Length` and `Transfer-Encoding` always describe the
/// bytes actually sent, whoever asked for other values; of `Connection`
/// only `close` is kept (and carried out).
fn is_framing(name: &HeaderName, value: &HeaderValue) -> bool {
    name == header::CONTENT_LENGTH
        || name == header::TRANSFER_ENCODING
        || (name == header::CONNECTION && !value.as_bytes().eq_ignore_ascii_case(b"close"))
}

impl Plan {
    /// The plan for one answer of a stub's `response`; `extra_delay` is the
    /// global fixed delay.
    pub fn of_stub(response: &StubResponse, extra_delay: Duration) -> Plan {
        Plan::of_stub_with(
            response,
            response.body.clone(),
            response.headers.clone(),
            extra_delay,
        )
    }

    /// The plan for one answer of `response` with this body and these
    /// headers (rendered from the stub's templates).
    pub fn of_stub_with(
        response: &StubResponse,
        body: Bytes,
        headers: Vec<(HeaderName, HeaderValue)>,
        extra_delay: Duration,
    ) -> Plan {
        let body = match (&response.web_socket, &response.stream, response.dribble) {
            (Some(ws), _, _) => PlanBody::WebSocket(SocketAnswer::Stub(ws.clone())),
            (None, Some(stream), _) => PlanBody::Stream(stream.clone()),
            (None, None, Some((n, total))) if n > 0 && !body.is_empty() => {
                let n = (n as usize).min(body.len());
                let size = body.len().div_ceil(n);
                let each = total / n as u32;
                PlanBody::Chunks(
                    body.chunks(size)
                        .map(|c| (each, Bytes::copy_from_slice(c)))
                        .collect(),
                )
            }
            _ => PlanBody::Full(body),
        };
        Plan {
            status: response.status,
            reason: response.reason.clone(),
            headers,
            body,
            delay: response.delay.sample() + extra_delay,
            fault: response.fault,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fake_servicer::{Fault as SdkFault, Response as SdkResponse};

    #[test]
    fn a_shareable_copy_holds_the_same_bytes_at_every_length() {
        for len in [0, 1, SMALL_BODY - 1, SMALL_BODY, SMALL_BODY + 1, 300] {
            let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let copy = shareable_copy(&bytes);
            assert_eq!(copy, bytes, "{len} bytes");
            let shared = copy.clone();
            assert_eq!(
                shared.as_ptr(),
                copy.as_ptr(),
                "{len} bytes: shared, not copied"
            );
        }
    }

    #[test]
    fn ffi_plan_is_copied_whole() {
        let ffi = SdkResponse::new()
            .status(StatusCode::CREATED)
            .header("x-a", "1")
            .header("x-a", "2")
            .chunks([(Duration::from_millis(3), "ab"), (Duration::ZERO, "c")])
            .delay(Duration::from_millis(9))
            .fault(SdkFault::RandomDataThenClose)
            .into_ffi();
        let plan = Plan::from_ffi(&ffi).unwrap();
        assert_eq!(plan.status, StatusCode::CREATED);
        assert_eq!(plan.headers.len(), 2);
        assert_eq!(
            plan.body,
            PlanBody::Chunks(vec![
                (Duration::from_millis(3), Bytes::from_static(b"ab")),
                (Duration::ZERO, Bytes::from_static(b"c"))
            ])
        );
        assert_eq!(plan.delay, Duration::from_millis(9));
        assert_eq!(plan.fault, Some(Fault::RandomDataThenClose));
    }

    #[test]
    fn invalid_status_and_headers_are_reported() {
        let mut ffi = SdkResponse::new().into_ffi();
        ffi.status = 1000;
        assert!(
            Plan::from_ffi(&ffi)
                .unwrap_err()
                .contains("invalid status 1000")
        );
        let ffi = SdkResponse::new().header("bad name", "x").into_ffi();
        assert!(Plan::from_ffi(&ffi).unwrap_err().contains("\"bad name\""));
        let ffi = SdkResponse::new().header("x", "a\nb").into_ffi();
        assert!(Plan::from_ffi(&ffi).unwrap_err().contains("invalid value"));
    }
}
