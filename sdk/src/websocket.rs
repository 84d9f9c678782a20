//! WebSocket routes: a handler taking a [`WebSocketMessage`] and answering
//! a [`WebSocket`] makes its route a WebSocket. The server calls it once
//! for the handshake ([`WebSocketMessage::Open`]: what it answers is sent
//! when the socket opens), then once per message the client sends (what
//! it answers is sent in reply). Every call sees the handshake's path,
//! query and headers; a test's pushes (`POST /__admin/streams/push`) reach
//! the socket as they reach any stream (see `docs/streams.md`).
//!
//! The socket holds the plugin version that answered its handshake: it is
//! called, and stays loaded, until the socket closes, even across a
//! reload.

use crate::{
    abi::{WEBSOCKET_HEADER, WEBSOCKET_MESSAGE_HEADER},
    extract::FromRequest,
    request::Request,
    response::{IntoResponse, Response},
};
use http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};
use std::{convert::Infallible, time::Duration};

/// Why a WebSocket route's handler is called: the handshake, or a message.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(get, "/chat")]
/// fn chat(message: WebSocketMessage) -> WebSocket {
///     match message {
///         WebSocketMessage::Open => WebSocket::new().text("welcome"),
///         WebSocketMessage::Text(t) if t == "ping" => WebSocket::new().text("pong"),
///         WebSocketMessage::Text(t) => WebSocket::new().json(&serde_json::json!({"echo": t})),
///         WebSocketMessage::Binary(bytes) => WebSocket::new().bytes(bytes),
///     }
/// }
/// # fn main() {}
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebSocketMessage {
    /// The handshake: the socket is opening.
    Open,
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
}

impl FromRequest for WebSocketMessage {
    type Rejection = Infallible;

    fn from_request(req: &Request<'_>) -> Result<Self, Infallible> {
        Ok(match req.header(WEBSOCKET_MESSAGE_HEADER) {
            Some("text") => {
                WebSocketMessage::Text(String::from_utf8_lossy(req.body()).into_owned())
            }
            Some("binary") => WebSocketMessage::Binary(req.body().to_vec()),
            _ => WebSocketMessage::Open,
        })
    }
}

/// The messages a WebSocket route sends: on open, or in reply to one
/// message. Empty: nothing is sent.
///
/// ```
/// use fake_servicer::WebSocket;
/// use std::time::Duration;
///
/// let reply = WebSocket::new()
///     .text("hello")
///     .pause(Duration::from_millis(50))
///     .json(&serde_json::json!({"n": 1}))
///     .bytes([0u8, 1])
///     .close(1000, "bye");
/// assert_eq!(reply.items().len(), 5);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebSocket {
    items: Vec<Value>,
    error: Option<String>,
}

impl WebSocket {
    /// No message yet.
    ///
    /// ```
    /// assert!(fake_servicer::WebSocket::new().items().is_empty());
    /// ```
    pub fn new() -> WebSocket {
        WebSocket::default()
    }

    /// A text message.
    ///
    /// ```
    /// let reply = fake_servicer::WebSocket::new().text("hi");
    /// assert_eq!(reply.items(), [serde_json::json!({"text": "hi"})]);
    /// ```
    pub fn text(mut self, text: impl Into<String>) -> WebSocket {
        self.items.push(json!({"text": text.into()}));
        self
    }

    /// A text message of `value` as compact JSON (a failure to serialize
    /// answers 500 naming it, and the socket is closed).
    ///
    /// ```
    /// let reply = fake_servicer::WebSocket::new().json(&[1, 2]);
    /// assert_eq!(reply.items(), [serde_json::json!({"json": [1, 2]})]);
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> WebSocket {
        match serde_json::to_value(value) {
            Ok(v) => self.items.push(json!({"json": v})),
            Err(e) => self.error = Some(format!("cannot serialize a WebSocket message: {e}")),
        }
        self
    }

    /// A binary message.
    ///
    /// ```
    /// let reply = fake_servicer::WebSocket::new().bytes([1u8, 2]);
    /// assert_eq!(reply.items(), [serde_json::json!({"binary": "AQI="})]);
    /// ```
    pub fn bytes(mut self, bytes: impl AsRef<[u8]>) -> WebSocket {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes.as_ref());
        self.items.push(json!({"binary": encoded}));
        self
    }

    /// A pause before the next message (whole milliseconds).
    ///
    /// ```
    /// use std::time::Duration;
    /// let reply = fake_servicer::WebSocket::new().pause(Duration::from_millis(20));
    /// assert_eq!(reply.items(), [serde_json::json!({"delayMs": 20})]);
    /// ```
    pub fn pause(mut self, pause: Duration) -> WebSocket {
        let ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX);
        self.items.push(json!({"delayMs": ms}));
        self
    }

    /// A close frame with `code` and `reason`: the socket ends after it.
    ///
    /// ```
    /// let reply = fake_servicer::WebSocket::new().close(4000, "done");
    /// assert_eq!(reply.items(), [serde_json::json!({"close": {"code": 4000, "reason": "done"}})]);
    /// ```
    pub fn close(mut self, code: u16, reason: impl Into<String>) -> WebSocket {
        self.items
            .push(json!({"close": {"code": code, "reason": reason.into()}}));
        self
    }

    /// The messages, as the JSON items the server reads.
    ///
    /// ```
    /// assert_eq!(fake_servicer::WebSocket::new().text("a").items().len(), 1);
    /// ```
    pub fn items(&self) -> &[Value] {
        &self.items
    }
}

impl IntoResponse for WebSocket {
    fn into_response(self) -> Response {
        if let Some(error) = self.error {
            return Response::new()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .text(error);
        }
        Response::new()
            .set_header(WEBSOCKET_HEADER, "reply")
            .body(Value::Array(self.items).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_marked_and_carries_its_items_as_json() {
        let r = WebSocket::new().text("a").into_response();
        assert_eq!(r.header_value(WEBSOCKET_HEADER), Some(&b"reply"[..]));
        let items: Value = serde_json::from_slice(r.body_bytes()).expect("JSON");
        assert_eq!(items, json!([{"text": "a"}]));
    }

    #[test]
    fn a_value_that_does_not_serialize_answers_500() {
        let mut bad = std::collections::HashMap::new();
        bad.insert(vec![1u8], 2);
        let r = WebSocket::new().json(&bad).into_response();
        assert_eq!(r.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
