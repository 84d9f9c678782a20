//! Open streams: answers sent item by item ([`fake_servicer_wiremock::stream`])
//! that may stay open ("live") for the items tests push
//! (`POST /__admin/streams/push`).
//!
//! Each open stream is an [`Open`] in the [`Streams`] registry, found by
//! its opening request (and that request's scopes) when a test pushes. Its
//! reader ([`reader`]) sends the stub's items, then what is pushed. Every
//! buffer has an owner and a cap: at most `--max-streams` are open (503
//! past it); a stream's queue of pushed items holds at most
//! `--max-stream-queue-bytes` (a reader that does not keep up is closed,
//! its queue dropped, the drop logged); a live stream sent nothing for
//! `--stream-idle-timeout` is closed. On stop every stream ends cleanly
//! (SSE: a last comment first).

mod opening;
pub(crate) mod reader;
pub(crate) mod websocket;

pub(crate) use opening::Opening;

use crate::matchers::RequestPattern;
use crate::{journal::EntryRef, request::Recorded, scope::Scopes};
use fake_servicer_wiremock::stream::Item;
use serde_json::{Value, json};
use std::{
    collections::{BTreeMap, VecDeque},
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, SystemTime},
};
use tokio::sync::Notify;

/// Default of `--max-streams`.
pub const DEFAULT_MAX_STREAMS: usize = 10_000;
/// Default of `--max-stream-queue-bytes`: 1 MiB.
pub const DEFAULT_MAX_QUEUED_BYTES: usize = 1024 * 1024;
/// Default of `--stream-idle-timeout`: 5 minutes.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// The caps on streams.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `--max-streams`: open at once.
    pub max_streams: usize,
    /// `--max-stream-queue-bytes`: pushed to one stream and not yet sent.
    pub max_queued_bytes: usize,
    /// `--stream-idle-timeout`: a live stream that sends nothing this long
    /// is closed.
    pub idle_timeout: Duration,
    /// `--max-body-bytes`: the largest WebSocket message received.
    pub max_message_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_streams: DEFAULT_MAX_STREAMS,
            max_queued_bytes: DEFAULT_MAX_QUEUED_BYTES,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_message_bytes: crate::request::MAX_BODY,
        }
    }
}

/// Why a stream was closed before its reader was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// A push with `"close": true`: it ends after what is queued.
    Finished,
    /// `DELETE /__admin/streams…`, a reset, or its scope deleted: it ends
    /// at once.
    Deleted,
    /// Its reader left more than `--max-stream-queue-bytes` unread.
    Overflow,
    /// The server is stopping.
    Stopping,
}

/// The open streams.
pub struct Streams {
    open: Mutex<BTreeMap<u64, Arc<Open>>>,
    next_id: AtomicU64,
    limits: Limits,
    stopping: AtomicBool,
    /// Where a stream's messages are noted (its entry's sub-events).
    journal: Option<Arc<crate::journal::Journal>>,
    /// Told of every stream once it is open (the Kubernetes API's
    /// watches: a stream is registered after its answer is made).
    opened: OnceLock<OpenedHook>,
}

/// What [`Streams::on_open`] calls.
pub type OpenedHook = Box<dyn Fn(&Arc<Open>) + Send + Sync>;

/// One open stream.
#[derive(Debug)]
pub struct Open {
    pub id: u64,
    /// What opened it: what pushes are matched against.
    pub request: Arc<Recorded>,
    pub scopes: Scopes,
    pub opened: SystemTime,
    /// Whether it is sent as server-sent events (a last comment on stop).
    pub sse: bool,
    /// Its journal entry, for the items it sends.
    pub entry: OnceLock<EntryRef>,
    queue: Mutex<Queue>,
    wake: Notify,
    items_sent: AtomicU64,
    bytes_sent: AtomicU64,
    /// Messages noted in the journal so far.
    noted: std::sync::atomic::AtomicUsize,
}

#[derive(Debug, Default)]
struct Queue {
    /// Each item with its size, computed once per push.
    items: VecDeque<(Item, usize)>,
    bytes: usize,
    closed: Option<Closed>,
}

/// The stream cap was reached.
#[derive(Debug)]
pub struct TooMany {
    pub max: usize,
}

/// What a push reached.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pushed {
    /// Streams that took the items.
    pub reached: usize,
    /// Streams closed instead: their readers had left too much unread.
    pub overflowed: usize,
}

impl Streams {
    /// No stream open yet; messages are noted in `journal`'s entries.
    pub fn new(limits: Limits, journal: Option<Arc<crate::journal::Journal>>) -> Streams {
        Streams {
            open: Mutex::default(),
            next_id: AtomicU64::new(1),
            limits,
            stopping: AtomicBool::new(false),
            journal,
            opened: OnceLock::new(),
        }
    }

    /// Calls `hook` with every stream once it is open (not under any lock
    /// of the registry); set once.
    pub fn on_open(&self, hook: OpenedHook) {
        if self.opened.set(hook).is_err() {
            tracing::warn!("a second hook on opened streams was ignored");
        }
    }

    /// Queues `items` on `open` alone: refused with why when it is closed,
    /// or is closed now because its queue would pass
    /// `--max-stream-queue-bytes` (then forgotten).
    pub fn push_to(&self, open: &Open, items: &[Item]) -> Result<(), Closed> {
        let sized: Vec<(Item, usize)> = items.iter().map(|i| (i.clone(), i.size())).collect();
        let pushed = open.push(&sized, self.limits.max_queued_bytes, false);
        if pushed == Err(Closed::Overflow) {
            self.forget(open.id);
        }
        pushed
    }

    /// Notes a message of `open` in its journal entry (at most
    /// [`crate::journal::sub_events::MAX_PER_ENTRY`] per stream).
    pub fn note(&self, open: &Open, sent: bool, binary: bool, body: &bytes::Bytes) {
        let (Some(journal), Some(entry)) = (&self.journal, open.entry.get()) else {
            return;
        };
        if open.noted.fetch_add(1, Ordering::Relaxed) >= crate::journal::sub_events::MAX_PER_ENTRY {
            return;
        }
        journal.add_sub_events(
            *entry,
            [crate::journal::SubEvent::Message(
                crate::journal::StreamMessage {
                    sent,
                    binary,
                    body: body.clone(),
                    at: SystemTime::now(),
                },
            )],
        );
    }

    /// The caps.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Registers a stream opened by `request`, unless `--max-streams` are
    /// open.
    pub fn open(
        &self,
        request: Arc<Recorded>,
        scopes: Scopes,
        sse: bool,
    ) -> Result<Arc<Open>, TooMany> {
        let mut open = crate::sync::lock(&self.open);
        if open.len() >= self.limits.max_streams {
            return Err(TooMany {
                max: self.limits.max_streams,
            });
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let stream = Arc::new(Open {
            id,
            request,
            scopes,
            opened: SystemTime::now(),
            sse,
            entry: OnceLock::new(),
            queue: Mutex::new(Queue {
                closed: self
                    .stopping
                    .load(Ordering::Relaxed)
                    .then_some(Closed::Stopping),
                ..Queue::default()
            }),
            wake: Notify::new(),
            items_sent: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            noted: std::sync::atomic::AtomicUsize::new(0),
        });
        open.insert(id, stream.clone());
        drop(open);
        if let Some(hook) = self.opened.get() {
            hook(&stream);
        }
        Ok(stream)
    }

    /// Forgets stream `id` (its reader is gone).
    pub fn forget(&self, id: u64) {
        crate::sync::lock(&self.open).remove(&id);
    }

    /// The open streams matching `pattern` (and in `scope`, when given).
    fn matching(&self, pattern: &RequestPattern, scope: Option<&str>) -> Vec<Arc<Open>> {
        crate::sync::lock(&self.open)
            .values()
            .filter(|s| s.in_scope(scope) && pattern.matches(&s.request))
            .cloned()
            .collect()
    }

    /// Queues `items` on every open stream matching `pattern` (in
    /// `scope`), then closes them if `close`.
    pub fn push(
        &self,
        pattern: &RequestPattern,
        scope: Option<&str>,
        items: &[Item],
        close: bool,
    ) -> Pushed {
        let mut pushed = Pushed::default();
        // Sized once, not once per stream (a JSON or SSE item's size is
        // its encoding's).
        let sized: Vec<(Item, usize)> = items.iter().map(|i| (i.clone(), i.size())).collect();
        for stream in self.matching(pattern, scope) {
            match stream.push(&sized, self.limits.max_queued_bytes, close) {
                Ok(()) => pushed.reached += 1,
                Err(Closed::Overflow) => {
                    self.forget(stream.id);
                    pushed.overflowed += 1;
                }
                Err(_) => {}
            }
        }
        pushed
    }

    /// Closes the streams `which` selects: how many.
    pub fn close_where(&self, which: impl Fn(&Open) -> bool, why: Closed) -> usize {
        let closed: Vec<Arc<Open>> = {
            let mut open = crate::sync::lock(&self.open);
            let ids: Vec<u64> = open.values().filter(|s| which(s)).map(|s| s.id).collect();
            ids.iter().filter_map(|id| open.remove(id)).collect()
        };
        for stream in &closed {
            stream.close(why);
        }
        closed.len()
    }

    /// Ends every stream: the server is stopping. Streams opened from now
    /// on end after their own items.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        self.close_where(|_| true, Closed::Stopping);
    }

    /// How many are open.
    pub fn len(&self) -> usize {
        crate::sync::lock(&self.open).len()
    }

    /// Whether none is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `GET /__admin/streams`'s list, oldest first (in `scope`, when given).
    pub fn to_json(&self, scope: Option<&str>) -> Value {
        let open: Vec<Arc<Open>> = crate::sync::lock(&self.open)
            .values()
            .filter(|s| s.in_scope(scope))
            .cloned()
            .collect();
        Value::Array(open.iter().map(|s| s.to_json()).collect())
    }
}

impl Open {
    /// Queues `items`, then closes if `close`; refused with why when the
    /// stream is closed, or is closed now because its queue would pass
    /// `max_bytes` (the queue is dropped).
    fn push(&self, items: &[(Item, usize)], max_bytes: usize, close: bool) -> Result<(), Closed> {
        let size: usize = items.iter().map(|(_, size)| size).sum();
        let mut queue = crate::sync::lock(&self.queue);
        if let Some(closed) = queue.closed {
            return Err(closed);
        }
        if queue.bytes + size > max_bytes {
            tracing::warn!(
                stream = self.id,
                url = %self.request.url(),
                "stream closed: its reader left {} bytes unread and a push of {size} more would pass --max-stream-queue-bytes {max_bytes}",
                queue.bytes
            );
            *queue = Queue {
                closed: Some(Closed::Overflow),
                ..Queue::default()
            };
            drop(queue);
            self.wake.notify_one();
            return Err(Closed::Overflow);
        }
        queue.items.extend(items.iter().cloned());
        queue.bytes += size;
        if close {
            queue.closed = Some(Closed::Finished);
        }
        drop(queue);
        self.wake.notify_one();
        Ok(())
    }

    /// Closes it: its reader ends after what is queued when `why` is
    /// [`Closed::Finished`], at once otherwise.
    pub fn close(&self, why: Closed) {
        let mut queue = crate::sync::lock(&self.queue);
        if queue.closed.is_none() {
            queue.closed = Some(why);
        }
        if why != Closed::Finished {
            queue.items.clear();
            queue.bytes = 0;
        }
        drop(queue);
        self.wake.notify_one();
    }

    /// Whether it was opened in `scope` (any stream, for none).
    pub fn in_scope(&self, scope: Option<&str>) -> bool {
        scope.is_none_or(|scope| self.scopes.contains(scope))
    }

    /// The next pushed item, if one is queued.
    fn pop(&self) -> Option<Item> {
        let mut queue = crate::sync::lock(&self.queue);
        let (item, size) = queue.items.pop_front()?;
        queue.bytes = queue.bytes.saturating_sub(size);
        Some(item)
    }

    /// Why it was closed, when that ends it before what is queued: any
    /// close but a push's `"close": true`, which waits its turn.
    fn closed_early(&self) -> Option<Closed> {
        crate::sync::lock(&self.queue)
            .closed
            .filter(|c| *c != Closed::Finished)
    }

    /// Waits `d`, unless it is closed early meanwhile: then why. A push
    /// does not shorten it: pushed items wait their turn.
    async fn pause(&self, d: Duration) -> Option<Closed> {
        let until = tokio::time::Instant::now() + d.min(crate::plan::MAX_DELAY);
        loop {
            let woken = self.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let closed = self.closed_early();
            if closed.is_some() {
                return closed;
            }
            if tokio::time::timeout_at(until, woken).await.is_err() {
                return None;
            }
        }
    }

    /// Notes an item sent: `bytes` of it.
    fn sent(&self, bytes: usize) {
        self.items_sent.fetch_add(1, Ordering::Relaxed);
        self.bytes_sent.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Its line of `GET /__admin/streams`.
    pub fn to_json(&self) -> Value {
        let queued = crate::sync::lock(&self.queue).bytes;
        json!({
            "id": self.id.to_string(),
            "service": self.request.service().map(|(s, _)| s),
            "method": self.request.method.as_str(),
            "url": self.request.url(),
            "scopes": self.scopes.to_json(),
            "opened": crate::timestamp::rfc3339(self.opened),
            "itemsSent": self.items_sent.load(Ordering::Relaxed),
            "bytesSent": self.bytes_sent.load(Ordering::Relaxed),
            "bytesQueued": queued,
        })
    }
}

#[cfg(test)]
mod tests;
