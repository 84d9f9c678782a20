//! The body of an HTTP stream: the answer's own items, then (live) what
//! is pushed, each item its own chunk (HTTP/1.1) or DATA frame (HTTP/2),
//! flushed as it comes. Dropping it (the client went, the answer ended)
//! forgets the stream.

use super::{Closed, Open, Streams};
use axum::body::Body;
use bytes::Bytes;
use fake_servicer_wiremock::stream::Item;
use std::{
    convert::Infallible,
    sync::{Arc, Weak},
    time::Duration,
};

/// What an SSE stream says last when the server stops.
pub const STOPPING_COMMENT: &str = ": fake-servicer is stopping\n\n";

/// The body of `open`: `items`, then, if `live`, what is pushed until it is
/// closed or idle for `idle`.
pub fn body(streams: &Arc<Streams>, open: Arc<Open>, items: Vec<Item>, live: bool) -> Body {
    let reader = Reader {
        idle: streams.limits().idle_timeout,
        streams: Arc::downgrade(streams),
        open,
        own: items.into_iter(),
        live,
        done: false,
    };
    Body::from_stream(futures_util::stream::unfold(reader, |mut r| async move {
        let bytes = r.next().await?;
        Some((Ok::<_, Infallible>(bytes), r))
    }))
}

struct Reader {
    streams: Weak<Streams>,
    open: Arc<Open>,
    own: std::vec::IntoIter<Item>,
    live: bool,
    idle: Duration,
    done: bool,
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(streams) = self.streams.upgrade() {
            streams.forget(self.open.id);
        }
    }
}

impl Reader {
    /// The next bytes to send; `None` at the end.
    async fn next(&mut self) -> Option<Bytes> {
        while !self.done {
            let (item, pushed) = match self.open.closed_early() {
                Some(Closed::Stopping) => return self.last_words(),
                Some(_) => {
                    self.done = true;
                    return None;
                }
                _ => match self.own.next() {
                    Some(item) => (item, false),
                    None => (self.pushed().await?, true),
                },
            };
            match item {
                Item::Pause(d) => {
                    // Closed meanwhile: the loop's next look says how.
                    let _ = self.open.pause(d).await;
                }
                Item::Close(_) => self.done = true,
                item => {
                    if let Some(bytes) = item.http_bytes().filter(|b| !b.is_empty()) {
                        self.open.sent(bytes.len());
                        if pushed && let Some(streams) = self.streams.upgrade() {
                            streams.note(&self.open, true, false, &bytes);
                        }
                        return Some(bytes);
                    }
                }
            }
        }
        None
    }

    /// An SSE stream's last comment when the server stops; the end.
    fn last_words(&mut self) -> Option<Bytes> {
        self.done = true;
        self.open
            .sse
            .then(|| Bytes::from_static(STOPPING_COMMENT.as_bytes()))
    }

    /// The next pushed item: waits for one while live, open and not idle.
    async fn pushed(&mut self) -> Option<Item> {
        let open = self.open.clone();
        loop {
            let woken = open.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if let Some(item) = open.pop() {
                return Some(item);
            }
            let closed = crate::sync::lock(&open.queue).closed;
            match closed {
                Some(Closed::Stopping) => return self.last_words().map(Item::Bytes),
                Some(_) => return None,
                None if !self.live => return None,
                None => {}
            }
            if tokio::time::timeout(self.idle, woken).await.is_err() {
                tracing::info!(
                    stream = self.open.id,
                    url = %self.open.request.url(),
                    "stream closed: nothing sent for {:?} (--stream-idle-timeout)",
                    self.idle
                );
                self.done = true;
                return None;
            }
        }
    }
}
