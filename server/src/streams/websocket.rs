//! WebSocket answers: a request asking for a WebSocket — HTTP/1.1's
//! `Upgrade: websocket`, or HTTP/2's extended CONNECT (RFC 8441) — that a
//! stub with `"webSocket"` answers is upgraded (101, or 200 on HTTP/2),
//! and the socket is served by a task of its own: the stub's `send` items
//! on open, a reply to each message its `replies` match, and what tests
//! push (`POST /__admin/streams/push`), until either side closes, the
//! stream is closed by a test, idle for `--stream-idle-timeout`, or the
//! server stops (close 1001).
//!
//! A message is at most `--max-body-bytes` (larger: close 1009); what is
//! pushed waits in the stream's queue, capped as for HTTP streams; a send
//! to a client that does not read gives up after the idle timeout.

use super::{Closed, Open, Streams};
use crate::{
    plan::{PlanBody, SocketAnswer},
    plugin::Service,
    request::Recorded,
    routing::Route,
    runner::{Call, Ran, Runner},
};
use axum::{body::Body, response::Response};
use bytes::Bytes;
use fake_servicer_wiremock::stream::Item;
use futures_util::{SinkExt, StreamExt};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use hyper_util::rt::TokioIo;
use std::{sync::Arc, time::Duration};
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{
        Message,
        protocol::{CloseFrame, Role, WebSocketConfig, frame::coding::CloseCode},
    },
};

/// A request's ask for a WebSocket, taken out of its parts.
pub struct Upgrade {
    on: hyper::upgrade::OnUpgrade,
    /// HTTP/1.1's `Sec-WebSocket-Key`; `None` on HTTP/2.
    key: Option<HeaderValue>,
    /// HTTP/2: keeps the connection from being closed as idle while the
    /// socket is served.
    _keep_open: Option<crate::idle::KeepOpen>,
}

/// Whether `headers`' `name` lists `token` (comma-separated, any case).
fn lists(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    })
}

impl Upgrade {
    /// The WebSocket `parts` ask for, if any. An HTTP/2 extended CONNECT is
    /// then read as the `GET` it stands for, as stubs match it.
    pub fn take(parts: &mut http::request::Parts) -> Option<Upgrade> {
        let h2 = parts.method == Method::CONNECT
            && parts
                .extensions
                .get::<hyper::ext::Protocol>()
                .is_some_and(|p| p.as_str().eq_ignore_ascii_case("websocket"));
        let h1 = parts.method == Method::GET
            && lists(&parts.headers, header::UPGRADE, "websocket")
            && lists(&parts.headers, header::CONNECTION, "upgrade");
        if !h1 && !h2 {
            return None;
        }
        let key = if h1 {
            Some(parts.headers.get(header::SEC_WEBSOCKET_KEY)?.clone())
        } else {
            None
        };
        let on = parts.extensions.remove::<hyper::upgrade::OnUpgrade>()?;
        if h2 {
            parts.method = Method::GET;
        }
        Some(Upgrade {
            on,
            key,
            _keep_open: parts.extensions.remove::<crate::idle::KeepOpen>(),
        })
    }

    /// Whether it came over HTTP/2 (RFC 8441).
    pub fn is_http2(&self) -> bool {
        self.key.is_none()
    }

    /// The answer accepting it: 101 with the handshake's headers (HTTP/1.1)
    /// or 200 (HTTP/2), and `headers` (the stub's).
    fn accepted(&self, headers: &[(HeaderName, HeaderValue)]) -> Response {
        let mut response = Response::new(Body::empty());
        let sent = response.headers_mut();
        for (name, value) in headers {
            if name != header::CONTENT_LENGTH && name != header::TRANSFER_ENCODING {
                sent.append(name.clone(), value.clone());
            }
        }
        match &self.key {
            Some(key) => {
                *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
                let accept =
                    tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
                let sent = response.headers_mut();
                sent.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
                sent.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
                if let Ok(accept) = HeaderValue::from_str(&accept) {
                    sent.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
                }
            }
            None => *response.status_mut() = StatusCode::OK,
        }
        response
    }
}

/// Accepts `upgrade` for `open`, whose socket `answer` serves from a task
/// of its own; the answer to send (101 or 200) with `headers`.
pub(crate) fn accept(
    upgrade: Upgrade,
    streams: Arc<Streams>,
    open: Arc<Open>,
    answer: SocketAnswer,
    headers: &[(HeaderName, HeaderValue)],
) -> Response {
    let response = upgrade.accepted(headers);
    let limits = streams.limits();
    let config = WebSocketConfig::default()
        .max_message_size(Some(limits.max_message_bytes))
        .max_frame_size(Some(limits.max_message_bytes));
    tokio::spawn(async move {
        let io = match upgrade.on.await {
            Ok(io) => io,
            Err(e) => {
                tracing::debug!(stream = open.id, "WebSocket upgrade failed: {e}");
                streams.forget(open.id);
                return;
            }
        };
        let ws =
            WebSocketStream::from_raw_socket(TokioIo::new(io), Role::Server, Some(config)).await;
        Session {
            ws,
            idle: limits.idle_timeout,
            streams,
            open,
            _keep_open: upgrade._keep_open,
        }
        .run(&answer)
        .await;
    });
    response
}

/// One WebSocket being served.
struct Session {
    _keep_open: Option<crate::idle::KeepOpen>,
    ws: WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>,
    idle: Duration,
    streams: Arc<Streams>,
    open: Arc<Open>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.streams.forget(self.open.id);
    }
}

/// What woke a session.
enum Event {
    Heard(Option<Result<Message, tokio_tungstenite::tungstenite::Error>>),
    Woken,
    Idle,
}

/// What the queue holds for a session.
enum Queued {
    Items(Vec<Item>),
    Closed(Closed),
    Nothing,
}

impl Session {
    async fn run(mut self, answer: &SocketAnswer) {
        let greeting = match answer {
            SocketAnswer::Stub(ws) => &ws.send,
            SocketAnswer::Plugin { open, .. } => open,
        };
        if !self.send_all(greeting).await {
            return;
        }
        let open = self.open.clone();
        loop {
            let woken = open.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            match self.queued() {
                Queued::Items(items) => {
                    if !self.send_all(&items).await {
                        return;
                    }
                    continue;
                }
                Queued::Closed(why) => return self.close(why).await,
                Queued::Nothing => {}
            }
            let event = tokio::select! {
                heard = self.ws.next() => Event::Heard(heard),
                () = &mut woken => Event::Woken,
                () = tokio::time::sleep(self.idle) => Event::Idle,
            };
            match event {
                Event::Heard(Some(Ok(message))) => {
                    let (bytes, binary) = match &message {
                        Message::Text(t) => (Bytes::copy_from_slice(t.as_bytes()), false),
                        Message::Binary(b) => (b.clone(), true),
                        // The close handshake: the next read sends the
                        // answer to it, then ends.
                        Message::Close(_) => continue,
                        _ => continue,
                    };
                    self.streams.note(&self.open, false, binary, &bytes);
                    let sent = match answer {
                        SocketAnswer::Stub(ws) => match ws.reply_to(&bytes) {
                            Some(items) => self.send_all(items).await,
                            None => true,
                        },
                        SocketAnswer::Plugin {
                            calls: Some(calls), ..
                        } => match calls.reply(&bytes, binary).await {
                            Ok(items) => self.send_all(&items).await,
                            Err(error) => {
                                tracing::warn!(
                                    stream = self.open.id,
                                    service = %calls.service.name,
                                    route = %calls.route.label,
                                    "WebSocket closed: {error}"
                                );
                                self.send_close(CloseCode::Error, &error).await;
                                false
                            }
                        },
                        SocketAnswer::Plugin { calls: None, .. } => true,
                    };
                    if !sent {
                        return;
                    }
                }
                Event::Heard(Some(Err(tokio_tungstenite::tungstenite::Error::Capacity(e)))) => {
                    tracing::info!(
                        stream = self.open.id,
                        "WebSocket closed: {e} (--max-body-bytes)"
                    );
                    return self
                        .send_close(CloseCode::Size, "message larger than --max-body-bytes")
                        .await;
                }
                Event::Heard(Some(Err(e))) => {
                    tracing::debug!(stream = self.open.id, "WebSocket ended: {e}");
                    return;
                }
                Event::Heard(None) => return,
                Event::Woken => {}
                Event::Idle => {
                    tracing::info!(
                        stream = self.open.id,
                        url = %self.open.request.url(),
                        "WebSocket closed: nothing sent or received for {:?} (--stream-idle-timeout)",
                        self.idle
                    );
                    return self.send_close(CloseCode::Normal, "idle").await;
                }
            }
        }
    }

    /// What tests pushed, all of it, or why the stream was closed.
    fn queued(&self) -> Queued {
        let mut queue = crate::sync::lock(&self.open.queue);
        if !queue.items.is_empty() {
            queue.bytes = 0;
            return Queued::Items(queue.items.drain(..).map(|(item, _)| item).collect());
        }
        queue.closed.map_or(Queued::Nothing, Queued::Closed)
    }

    /// Sends `items`; false once the socket is done (closed, broken, or a
    /// `close` item sent).
    async fn send_all(&mut self, items: &[Item]) -> bool {
        for item in items {
            let message = match item {
                Item::Pause(d) => {
                    let open = self.open.clone();
                    if let Some(why) = open.pause(*d).await {
                        self.close(why).await;
                        return false;
                    }
                    continue;
                }
                Item::Close(c) => {
                    self.send_close(CloseCode::from(c.code), &c.reason).await;
                    return false;
                }
                Item::Bytes(b) | Item::Binary(b) => Message::Binary(b.clone()),
                Item::Json(v) => Message::text(v.to_string()),
                other => match other.http_bytes() {
                    Some(text) => Message::text(String::from_utf8_lossy(&text).into_owned()),
                    None => continue,
                },
            };
            let (bytes, binary) = match &message {
                Message::Binary(b) => (b.clone(), true),
                m => (
                    Bytes::copy_from_slice(m.to_text().unwrap_or("").as_bytes()),
                    false,
                ),
            };
            // A client that does not read: given up after the idle timeout.
            match tokio::time::timeout(self.idle, self.ws.send(message)).await {
                Ok(Ok(())) => {
                    self.open.sent(bytes.len());
                    self.streams.note(&self.open, true, binary, &bytes);
                }
                Ok(Err(e)) => {
                    tracing::debug!(stream = self.open.id, "WebSocket send failed: {e}");
                    return false;
                }
                Err(_) => {
                    tracing::info!(
                        stream = self.open.id,
                        "WebSocket dropped: its client read nothing for {:?}",
                        self.idle
                    );
                    return false;
                }
            }
        }
        true
    }

    /// Ends the socket as `why` says.
    async fn close(&mut self, why: Closed) {
        let (code, reason) = match why {
            Closed::Finished => (CloseCode::Normal, ""),
            Closed::Deleted => (CloseCode::Normal, "closed by the test"),
            Closed::Overflow => (
                CloseCode::Policy,
                "the client read too slowly (--max-stream-queue-bytes)",
            ),
            Closed::Stopping => (CloseCode::Away, "fake-servicer is stopping"),
        };
        self.send_close(code, reason).await;
    }

    /// Sends a close frame (within the idle timeout) and ends; the reason
    /// is cut to the 123 bytes a frame has room for.
    async fn send_close(&mut self, code: CloseCode, reason: &str) {
        let mut end = reason.len().min(123);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let frame = CloseFrame {
            code,
            reason: reason[..end].to_owned().into(),
        };
        let _ = tokio::time::timeout(self.idle, self.ws.close(Some(frame))).await;
    }
}

/// A plugin's WebSocket route, called for each message of a socket its
/// handshake opened. It holds the plugin version that answered the
/// handshake, which stays loaded until the socket closes.
pub struct PluginCalls {
    pub runner: Arc<Runner>,
    pub service: Arc<Service>,
    pub route: Route,
    /// The handshake: every call sees its path, query and headers.
    pub request: Arc<Recorded>,
    pub params: Vec<(String, String)>,
    /// The handshake's scope, for a plugin keeping state per scope: every
    /// message's call is made in it.
    pub scope: Option<crate::plugin::scoped::Scoped>,
}

impl std::fmt::Debug for PluginCalls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginCalls")
            .field("service", &self.service.name)
            .field("route", &self.route.label)
            .finish()
    }
}

impl PluginCalls {
    /// What the route answers `message`: the items to send, or why the
    /// socket is to close.
    async fn reply(&self, message: &Bytes, binary: bool) -> Result<Vec<Item>, String> {
        let mut headers = self.request.headers.clone();
        headers.insert(
            HeaderName::from_static(fake_servicer::abi::WEBSOCKET_MESSAGE_HEADER),
            HeaderValue::from_static(if binary { "binary" } else { "text" }),
        );
        let call = Call {
            service: self.service.clone(),
            handler: self.route.handler,
            request: Arc::new(Recorded {
                headers,
                body: message.clone(),
                ..(*self.request).clone()
            }),
            params: self.params.clone(),
            scope: self.scope.clone(),
        };
        match self.runner.run(call, &self.route, None).await {
            Ran::Returned(Ok(plan)) => match plan.body {
                PlanBody::WebSocket(SocketAnswer::Plugin { open, .. }) => Ok(open),
                body => {
                    // The SDK's refusals and caught panics: JSON naming why.
                    let text = body.first_bytes(1024);
                    let why = serde_json::from_slice::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| {
                            ["message", "error"]
                                .iter()
                                .find_map(|k| v.get(*k).and_then(|m| m.as_str()).map(str::to_owned))
                        })
                        .unwrap_or_else(|| String::from_utf8_lossy(&text).into_owned());
                    Err(format!(
                        "{} answered, not a WebSocket reply: {why}",
                        plan.status.as_u16()
                    ))
                }
            },
            Ran::Returned(Err(error)) | Ran::Failed(error) => Err(error),
            Ran::TimedOut => Err(format!(
                "the handler did not return within {:?}",
                self.runner.timeout()
            )),
        }
    }
}
