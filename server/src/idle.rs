//! When an HTTP/2 connection is idle: no stream open for a while.
//!
//! hyper closes an idle HTTP/1 connection itself (its header read timeout
//! runs while a kept-alive connection waits for the next request); HTTP/2
//! has no such timer. [`Streams`] counts a connection's open streams — from
//! the request's arrival until its answer's body is sent or dropped — and
//! [`Streams::idle_for`] resolves once none has been open for a given time.

use hyper::body::{Body, Frame, SizeHint};
use std::{
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};
use tokio::sync::Notify;

/// The open streams of one HTTP/2 connection.
#[derive(Debug, Default)]
pub(crate) struct Streams {
    open: AtomicUsize,
    changed: Notify,
}

impl Streams {
    /// Counts a stream as open until the returned guard is dropped.
    pub(crate) fn open(self: &Arc<Self>) -> OpenStream {
        self.open.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
        OpenStream(self.clone())
    }

    /// Resolves once no stream has been open for `limit` in a row.
    pub(crate) async fn idle_for(&self, limit: Duration) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before the count is read, so no change is missed.
            changed.as_mut().enable();
            if self.open.load(Ordering::SeqCst) == 0 {
                if tokio::time::timeout(limit, changed).await.is_err() {
                    return;
                }
            } else {
                changed.await;
            }
        }
    }
}

/// One open stream; dropping it closes it.
#[derive(Debug)]
pub(crate) struct OpenStream(Arc<Streams>);

/// An open HTTP/2 stream whose request becomes something that outlives
/// its answer (an extended CONNECT's WebSocket): held there, in the
/// request's extensions first, so that the connection is not idle.
#[derive(Debug, Clone)]
pub(crate) struct KeepOpen {
    pub _held: Arc<OpenStream>,
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}

/// An answer's body that keeps its stream open until it is sent or
/// dropped, so a long delayed or dribbled answer never counts as idle.
pub(crate) struct Tracked<B> {
    body: B,
    _open: OpenStream,
}

impl<B> Tracked<B> {
    pub(crate) fn new(body: B, open: OpenStream) -> Self {
        Tracked { body, _open: open }
    }
}

impl<B: Body + Unpin> Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
