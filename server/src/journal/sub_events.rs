//! What happened after an answer, kept with its journal entry: the
//! webhooks sent and their outcomes (WireMock's `subEvents`). They come
//! after the entry is recorded and are added to it through the
//! [`EntryRef`] recording returned, while the entry is kept. An entry keeps
//! at most [`MAX_PER_ENTRY`], each body cut to [`MAX_BODY`] bytes and each
//! message to [`MAX_MESSAGE`]; what they keep counts in the journal's byte
//! budget.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use std::{mem::size_of, time::SystemTime};

/// Most sub events one entry keeps; later ones are left out.
pub const MAX_PER_ENTRY: usize = 16;
/// Most bytes of one body a sub event keeps.
pub const MAX_BODY: usize = 64 * 1024;
/// Most bytes of one error message a sub event keeps.
pub const MAX_MESSAGE: usize = 4 * 1024;

/// One thing that happened after an answer.
#[derive(Debug, Clone)]
pub enum SubEvent {
    /// A webhook was sent (WireMock's `WEBHOOK_REQUEST`).
    WebhookRequest(WebhookRequest),
    /// A webhook was answered (`WEBHOOK_RESPONSE`).
    WebhookResponse(WebhookResponse),
    /// A webhook was not sent, or got no answer (`ERROR`).
    Error(Box<str>),
    /// A stream's message: a pushed item sent on an HTTP stream, a
    /// WebSocket message either way (`STREAM_MESSAGE`).
    Message(StreamMessage),
}

/// One message of a stream, as kept with its entry.
#[derive(Debug, Clone)]
pub struct StreamMessage {
    /// Sent by the server (`out`), or received from the client (`in`).
    pub sent: bool,
    /// A WebSocket binary message (kept as base64).
    pub binary: bool,
    /// Its bytes, cut to [`MAX_BODY`].
    pub body: Bytes,
    /// When.
    pub at: SystemTime,
}

/// A webhook as sent.
#[derive(Debug, Clone)]
pub struct WebhookRequest {
    /// The method sent.
    pub method: Method,
    /// The absolute URL.
    pub url: Box<str>,
    /// Its headers, as the webhook gives them (not those of the framing).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// `None`: sent without a body.
    pub body: Option<Bytes>,
    /// When it was sent.
    pub sent_at: SystemTime,
}

/// What a webhook's target answered.
#[derive(Debug, Clone)]
pub struct WebhookResponse {
    /// Its status.
    pub status: u16,
    /// Its headers, as received.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Its body, cut to [`MAX_BODY`].
    pub body: Bytes,
}

/// An entry's sub events and the bytes they keep.
#[derive(Debug, Default)]
pub(super) struct List {
    /// In the order they came.
    pub events: Vec<SubEvent>,
    /// What they keep, charged to the journal's byte budget.
    pub bytes: usize,
}

/// The entry a request was recorded as, to add its sub events to later
/// ([`super::Journal::add_sub_events`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef(pub(super) u64);

impl SubEvent {
    /// An `ERROR` saying `message`.
    pub fn error(message: impl Into<String>) -> SubEvent {
        SubEvent::Error(message.into().into_boxed_str())
    }

    /// This event cut to what an entry keeps: bodies to [`MAX_BODY`],
    /// messages to [`MAX_MESSAGE`].
    pub(super) fn bounded(self) -> SubEvent {
        // A copy: a slice would keep all of what it was cut from.
        let cut = |b: Bytes| {
            if b.len() > MAX_BODY {
                Bytes::copy_from_slice(&b[..MAX_BODY])
            } else {
                b
            }
        };
        match self {
            SubEvent::WebhookRequest(mut r) => {
                r.body = r.body.map(cut);
                SubEvent::WebhookRequest(r)
            }
            SubEvent::WebhookResponse(mut r) => {
                r.body = cut(r.body);
                SubEvent::WebhookResponse(r)
            }
            SubEvent::Message(mut m) => {
                m.body = cut(m.body);
                SubEvent::Message(m)
            }
            SubEvent::Error(m) if m.len() > MAX_MESSAGE => {
                let mut end = MAX_MESSAGE;
                while !m.is_char_boundary(end) {
                    end -= 1;
                }
                SubEvent::Error(m[..end].into())
            }
            other => other,
        }
    }

    /// The bytes it keeps.
    pub(super) fn bytes(&self) -> usize {
        let headers = |h: &[(HeaderName, HeaderValue)]| {
            h.iter()
                .map(|(n, v)| size_of::<(HeaderName, HeaderValue)>() + n.as_str().len() + v.len())
                .sum::<usize>()
        };
        size_of::<SubEvent>()
            + match self {
                SubEvent::WebhookRequest(r) => {
                    r.url.len() + headers(&r.headers) + r.body.as_ref().map_or(0, Bytes::len)
                }
                SubEvent::WebhookResponse(r) => headers(&r.headers) + r.body.len(),
                SubEvent::Error(m) => m.len(),
                SubEvent::Message(m) => m.body.len(),
            }
    }
}
