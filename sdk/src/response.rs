//! What a handler answers: [`IntoResponse`] and the [`Response`] builder.

use crate::abi::{FfiChunk, FfiFault, FfiResponse, FfiResponseHeader};
use abi_stable::std_types::{RString, RVec};
use http::StatusCode;
use serde::Serialize;
use std::{convert::Infallible, time::Duration};

/// A connection-level failure for the server to act out instead of
/// answering (WireMock's faults).
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(get, "/flaky")]
/// fn flaky() -> Response {
///     Response::new().fault(Fault::ConnectionResetByPeer)
/// }
/// # fn main() {}
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Reset the TCP connection (RST) without answering.
    ConnectionResetByPeer,
    /// Close the connection without sending a byte.
    EmptyResponse,
    /// Send a 200 status line and headers, then garbage, then close.
    MalformedResponseChunk,
    /// Send random bytes, then close.
    RandomDataThenClose,
}

impl From<Fault> for FfiFault {
    fn from(f: Fault) -> FfiFault {
        match f {
            Fault::ConnectionResetByPeer => FfiFault::ConnectionResetByPeer,
            Fault::EmptyResponse => FfiFault::EmptyResponse,
            Fault::MalformedResponseChunk => FfiFault::MalformedResponseChunk,
            Fault::RandomDataThenClose => FfiFault::RandomDataThenClose,
        }
    }
}

/// A response plan: status, headers, body (whole or as delayed chunks), a
/// delay before answering, or a fault. The server carries out delays, chunks
/// and faults asynchronously, so a slow mock holds no thread.
///
/// ```
/// use fake_servicer::prelude::*;
/// use std::time::Duration;
///
/// #[route(get, "/slow")]
/// fn slow() -> Response {
///     Response::new()
///         .status(StatusCode::ACCEPTED)
///         .header("x-mock", "yes")
///         .delay(Duration::from_millis(200))
///         .json(&serde_json::json!({"queued": true}))
/// }
///
/// # fn main() {
/// let r = slow();
/// assert_eq!(r.status_code(), StatusCode::ACCEPTED);
/// assert_eq!(r.header_value("X-Mock"), Some(&b"yes"[..]));
/// assert_eq!(r.body_bytes(), br#"{"queued":true}"#);
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    status: StatusCode,
    /// Kept in the form the server reads, so that [`Response::into_ffi`]
    /// hands the list over without copying it.
    headers: Vec<FfiResponseHeader>,
    body: Vec<u8>,
    chunks: Vec<(Duration, Vec<u8>)>,
    delay: Duration,
    fault: Option<Fault>,
}

impl Default for Response {
    fn default() -> Self {
        Response::new()
    }
}

impl Response {
    /// An empty `200 OK`.
    pub fn new() -> Self {
        Response {
            status: StatusCode::OK,
            headers: Vec::new(),
            body: Vec::new(),
            chunks: Vec::new(),
            delay: Duration::ZERO,
            fault: None,
        }
    }

    /// Sets the status.
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Adds a header line (repeat the call for a multi-valued header).
    pub fn header(mut self, name: impl Into<String>, value: impl AsRef<[u8]>) -> Self {
        self.headers.push(FfiResponseHeader {
            name: RString::from(name.into()),
            value: RVec::from(value.as_ref().to_vec()),
        });
        self
    }

    /// Sets a header, replacing any earlier value of the same name.
    pub fn set_header(mut self, name: impl Into<String>, value: impl AsRef<[u8]>) -> Self {
        let name = name.into();
        self.headers
            .retain(|h| !h.name.as_str().eq_ignore_ascii_case(&name));
        self.header(name, value)
    }

    /// Sets the body bytes (no Content-Type is added).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a text body with `Content-Type: text/plain; charset=utf-8`.
    pub fn text(self, text: impl Into<String>) -> Self {
        self.set_header("content-type", "text/plain; charset=utf-8")
            .body(text.into())
    }

    /// Serializes `value` as the body with `Content-Type: application/json`.
    /// A value that cannot be serialized turns the response into a 500 naming
    /// the error.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(bytes) => self
                .set_header("content-type", "application/json")
                .body(bytes),
            Err(e) => Response::new()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .text(format!("response could not be serialized as JSON: {e}")),
        }
    }

    /// Waits `delay` before sending the status line.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sends the body as these chunks, each after its own delay (replaces any
    /// body set with [`body`](Self::body)).
    ///
    /// ```
    /// use fake_servicer::Response;
    /// use std::time::Duration;
    ///
    /// let r = Response::new().chunks([
    ///     (Duration::ZERO, "first "),
    ///     (Duration::from_millis(100), "second"),
    /// ]);
    /// assert_eq!(r.body_bytes(), b"first second");
    /// ```
    pub fn chunks<B: Into<Vec<u8>>>(
        mut self,
        chunks: impl IntoIterator<Item = (Duration, B)>,
    ) -> Self {
        self.chunks = chunks.into_iter().map(|(d, b)| (d, b.into())).collect();
        self.body = self
            .chunks
            .iter()
            .flat_map(|(_, b)| b.iter().copied())
            .collect();
        self
    }

    /// Acts out a connection fault instead of answering.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// The status.
    pub fn status_code(&self) -> StatusCode {
        self.status
    }

    /// The first value of a header (case-insensitive).
    pub fn header_value(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|h| h.name.as_str().eq_ignore_ascii_case(name))
            .map(|h| h.value.as_slice())
    }

    /// The whole body (the chunks joined, for a chunked body).
    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    /// The delay before answering.
    pub fn delay_duration(&self) -> Duration {
        self.delay
    }

    /// The fault, if any.
    pub fn fault_kind(&self) -> Option<Fault> {
        self.fault
    }

    /// Converts into the FFI plan handed to the server.
    pub fn into_ffi(self) -> FfiResponse {
        let chunked = !self.chunks.is_empty();
        FfiResponse {
            status: self.status.as_u16(),
            headers: RVec::from(self.headers),
            body: if chunked {
                RVec::new()
            } else {
                RVec::from(self.body)
            },
            chunks: self
                .chunks
                .into_iter()
                .map(|(delay, data)| FfiChunk {
                    delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    data: RVec::from(data),
                })
                .collect(),
            delay_ms: u64::try_from(self.delay.as_millis()).unwrap_or(u64::MAX),
            fault: self.fault.map_or(FfiFault::None, FfiFault::from),
        }
    }
}

/// Anything a handler can return.
///
/// Implemented for [`Response`], [`Json<T>`](crate::Json), `&str` and
/// `String` (text/plain), `Vec<u8>`, `()`, [`StatusCode`],
/// `(StatusCode, R)`, `Result<R, E>` and `Option<R>` (`None` → 404).
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(get, "/maybe/{id}")]
/// fn maybe(Path(id): Path<u32>) -> Result<Option<String>, (StatusCode, &'static str)> {
///     match id {
///         0 => Err((StatusCode::FORBIDDEN, "Auth error")),
///         1 => Ok(Some("found".to_owned())),
///         _ => Ok(None),
///     }
/// }
///
/// # fn main() {
/// assert_eq!(maybe(Path(0)).into_response().status_code(), StatusCode::FORBIDDEN);
/// assert_eq!(maybe(Path(1)).into_response().body_bytes(), b"found");
/// assert_eq!(maybe(Path(2)).into_response().status_code(), StatusCode::NOT_FOUND);
/// # }
/// ```
pub trait IntoResponse {
    /// Builds the response.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for &str {
    fn into_response(self) -> Response {
        Response::new().text(self)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        Response::new().text(self)
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        Response::new().body(self)
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new()
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        Response::new().status(self)
    }
}

impl IntoResponse for Infallible {
    fn into_response(self) -> Response {
        match self {}
    }
}

impl<R: IntoResponse> IntoResponse for (StatusCode, R) {
    fn into_response(self) -> Response {
        self.1.into_response().status(self.0)
    }
}

impl<R: IntoResponse, E: IntoResponse> IntoResponse for Result<R, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        }
    }
}

impl<R: IntoResponse> IntoResponse for Option<R> {
    fn into_response(self) -> Response {
        match self {
            Some(r) => r.into_response(),
            None => Response::new()
                .status(StatusCode::NOT_FOUND)
                .json(&serde_json::json!({"error": "not found"})),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffi_plan_carries_everything() {
        let ffi = Response::new()
            .status(StatusCode::CREATED)
            .header("a", "1")
            .header("a", "2")
            .chunks([(Duration::from_millis(5), "x"), (Duration::ZERO, "y")])
            .delay(Duration::from_millis(7))
            .fault(Fault::EmptyResponse)
            .into_ffi();
        assert_eq!(ffi.status, 201);
        assert_eq!(ffi.headers.len(), 2);
        assert!(ffi.body.is_empty());
        assert_eq!(ffi.chunks.len(), 2);
        assert_eq!(ffi.chunks[0].delay_ms, 5);
        assert_eq!(ffi.delay_ms, 7);
        assert_eq!(ffi.fault, FfiFault::EmptyResponse);
    }

    #[test]
    fn text_sets_content_type_once() {
        let r = "a".into_response().text("b");
        assert_eq!(r.headers.len(), 1);
        assert_eq!(r.body_bytes(), b"b");
    }
}
