//! Where the request path opens a stream: an answer whose plan is a
//! stream or a WebSocket is registered (or refused) before the journal
//! records it, and carried out after.

use super::{Open, Streams, TooMany, reader, websocket::Upgrade};
use crate::{
    conn::Conn,
    journal::EntryRef,
    plan::{Plan, PlanBody, SocketAnswer},
    refusal::Refusal,
    request::Recorded,
    scope::Scopes,
};
use axum::response::Response;
use fake_servicer_wiremock::stream::{Item, StreamAnswer};
use http::{HeaderName, HeaderValue, StatusCode, header::CONTENT_TYPE};
use std::sync::Arc;

/// A stream being opened.
pub(crate) enum Opening {
    /// Sent as an HTTP body.
    Http {
        open: Arc<Open>,
        answer: Arc<StreamAnswer>,
    },
    /// A WebSocket.
    Socket {
        open: Arc<Open>,
        answer: SocketAnswer,
        upgrade: Upgrade,
    },
}

impl Opening {
    /// The stream `plan` opens for `request`, if it is a stream or a
    /// WebSocket answer: registered now; the plan to answer instead past
    /// `--max-streams`, or for a WebSocket answer to a request that asked
    /// for none (426). A stream's plan gets a content type when it has
    /// none and its items say which (`sse`: `text/event-stream`, `json`:
    /// `application/x-ndjson`); a WebSocket's gets the handshake's status
    /// (101; 200 on HTTP/2), as the journal records it.
    pub fn of(
        streams: &Streams,
        plan: &mut Plan,
        request: &Arc<Recorded>,
        scopes: &Scopes,
        upgrade: &mut Option<Upgrade>,
    ) -> Result<Option<Opening>, Plan> {
        let too_many = |TooMany { max }| Refusal::TooManyStreams { max }.plan();
        match &plan.body {
            PlanBody::Stream(answer) => {
                let answer = answer.clone();
                default_content_type(plan, &answer.items);
                let sse = plan.headers.iter().any(|(name, value)| {
                    name == CONTENT_TYPE && value.as_bytes().starts_with(b"text/event-stream")
                });
                let open = streams
                    .open(request.clone(), scopes.clone(), sse)
                    .map_err(too_many)?;
                Ok(Some(Opening::Http { open, answer }))
            }
            PlanBody::WebSocket(answer) => {
                let answer = answer.clone();
                let Some(upgrade) = upgrade.take() else {
                    return Err(Refusal::UpgradeRequired.plan());
                };
                let open = streams
                    .open(request.clone(), scopes.clone(), false)
                    .map_err(too_many)?;
                plan.status = upgrade.status();
                Ok(Some(Opening::Socket {
                    open,
                    answer,
                    upgrade,
                }))
            }
            _ => Ok(None),
        }
    }

    /// The journal entry its messages are noted in.
    pub fn recorded_as(&self, entry: Option<EntryRef>) {
        let (Opening::Http { open, .. } | Opening::Socket { open, .. }) = self;
        if let Some(entry) = entry {
            let _ = open.entry.set(entry);
        }
    }

    /// Carries `plan` out: its delay, then the stream's body, or the
    /// handshake's answer (the socket is served by a task of its own).
    pub async fn answer(
        self,
        streams: &Arc<Streams>,
        plan: Plan,
        conn: Option<&Conn>,
        headers: &[(HeaderName, HeaderValue)],
    ) -> Response {
        match self {
            Opening::Http { open, answer } => {
                let body = reader::body(streams, open, answer.items.clone(), answer.live);
                plan.execute(conn, headers, None, Some(body)).await
            }
            Opening::Socket {
                open,
                answer,
                upgrade,
            } => {
                if !plan.delay.is_zero() {
                    tokio::time::sleep(plan.delay.min(crate::plan::MAX_DELAY)).await;
                }
                super::websocket::accept(upgrade, streams.clone(), open, answer, headers)
            }
        }
    }
}

/// Gives `plan` the content type its `items` say, when it has none.
fn default_content_type(plan: &mut Plan, items: &[Item]) {
    if plan.headers.iter().any(|(name, _)| name == CONTENT_TYPE) {
        return;
    }
    let sent = || {
        items
            .iter()
            .filter(|i| !matches!(i, Item::Pause(_) | Item::Close(_)))
    };
    let kind = if sent().next().is_none() {
        None
    } else if sent().all(|i| matches!(i, Item::Sse(_))) {
        Some("text/event-stream")
    } else if sent().all(|i| matches!(i, Item::Json(_))) {
        Some("application/x-ndjson")
    } else {
        None
    };
    if let Some(kind) = kind {
        plan.headers
            .push((CONTENT_TYPE, HeaderValue::from_static(kind)));
    }
}

impl Upgrade {
    /// The handshake's status: 101, or 200 on HTTP/2.
    pub fn status(&self) -> StatusCode {
        if self.is_http2() {
            StatusCode::OK
        } else {
            StatusCode::SWITCHING_PROTOCOLS
        }
    }
}
