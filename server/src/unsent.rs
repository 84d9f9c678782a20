//! Bytes of answers not yet sent, and clients that stop reading them.
//!
//! An answer's body is charged to one [`Budget`] shared by every
//! connection (`--max-unsent-bytes`) from the moment its plan is carried
//! out (before its delay) until hyper has written its bytes to the socket,
//! or dropped them; an answer that would take the budget past its cap is
//! refused instead of being held (see [`crate::plan`]). The parts:
//!
//! - [`Ledger`]: one connection's part — the bytes hyper holds (taken
//!   from a body, not yet written), the bodies with bytes ready to go,
//!   and the bytes written so far, which the connection's
//!   [`crate::conn::FaultIo`] reports (on HTTP/2 only the payload of DATA
//!   frames, counted by [`DataFrames`]).
//! - [`Reservation`]: bytes taken from the budget for one answer.
//! - [`Charged`]: an answer's body holding its reservation. Each frame
//!   hyper takes owns its part of the charge (`Bytes::from_owner`), given
//!   back when hyper drops the frame's bytes: once written, or discarded
//!   (a reset stream, a dropped connection). What the body never handed
//!   out goes back when it is dropped.
//! - [`Watchdog`]: resolves once a connection has had bytes ready to send
//!   and written none for `--send-timeout`; the connection is then dropped.
//!   A body waiting on its own time (a delay, a dribble's pause) has no
//!   bytes ready, so only a client that does not read is timed out.

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};
use tokio::time::{Instant, Sleep};

/// `--max-unsent-bytes`'s default: 256 MiB.
pub const DEFAULT_MAX_BYTES: usize = 256 * 1024 * 1024;

/// `--send-timeout`'s default.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The bytes of answers not yet sent, over every connection, and their cap.
#[derive(Debug)]
pub struct Budget {
    held: AtomicUsize,
    max: usize,
}

impl Budget {
    /// A budget of `max` bytes.
    pub fn new(max: usize) -> Arc<Budget> {
        Arc::new(Budget {
            held: AtomicUsize::new(0),
            max,
        })
    }

    /// The bytes charged now.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }

    /// Takes `n` bytes unless the total would pass the cap.
    fn try_take(&self, n: usize) -> Result<(), usize> {
        self.held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                held.checked_add(n).filter(|&total| total <= self.max)
            })
            .map(|_| ())
    }

    /// Takes `n` bytes whatever the cap.
    fn take(&self, n: usize) {
        if n > 0 {
            self.held.fetch_add(n, Ordering::AcqRel);
        }
    }

    /// Gives `n` bytes back.
    fn give(&self, n: usize) {
        if n > 0 {
            self.held.fetch_sub(n, Ordering::AcqRel);
        }
    }
}

/// One connection's unsent bytes.
#[derive(Debug)]
pub struct Ledger {
    budget: Arc<Budget>,
    /// Bytes hyper took from the bodies and still holds.
    handed: AtomicUsize,
    /// Bodies with bytes ready to go: not ended, and not waiting on their
    /// own time (their last poll was not `Pending`).
    ready: AtomicUsize,
    /// Answer bytes written so far: the connection's progress.
    written: AtomicU64,
}

impl Ledger {
    /// The ledger of a new connection, charging `budget`.
    pub fn new(budget: Arc<Budget>) -> Arc<Ledger> {
        Arc::new(Ledger {
            budget,
            handed: AtomicUsize::new(0),
            ready: AtomicUsize::new(0),
            written: AtomicU64::new(0),
        })
    }

    /// `n` bytes of answers were written to the socket: progress.
    pub fn written(&self, n: usize) {
        if n > 0 {
            self.written.fetch_add(n as u64, Ordering::AcqRel);
        }
    }

    /// The answer bytes written so far (on HTTP/2, DATA payload only).
    pub fn progress(&self) -> u64 {
        self.written.load(Ordering::Acquire)
    }

    /// The progress so far, when the connection has bytes ready to send.
    fn pending(&self) -> Option<u64> {
        (self.handed.load(Ordering::Acquire) > 0 || self.ready.load(Ordering::Acquire) > 0)
            .then(|| self.written.load(Ordering::Acquire))
    }
}

/// An answer refused: it would take the unsent bytes past the cap.
#[derive(Clone, Copy, Debug)]
pub struct OverCap {
    /// The answer's bytes.
    pub asked: usize,
    /// The cap (`--max-unsent-bytes`).
    pub max: usize,
}

/// Bytes taken from the budget for one answer, given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    ledger: Arc<Ledger>,
    bytes: usize,
}

impl Reservation {
    /// `bytes` for an answer on `ledger`'s connection, unless they would
    /// take the budget past its cap.
    pub fn within_cap(ledger: &Arc<Ledger>, bytes: usize) -> Result<Reservation, OverCap> {
        match ledger.budget.try_take(bytes) {
            Ok(()) => Ok(Reservation {
                ledger: ledger.clone(),
                bytes,
            }),
            Err(_) => Err(OverCap {
                asked: bytes,
                max: ledger.budget.max,
            }),
        }
    }

    /// `bytes` whatever the cap (the admin API's answers).
    pub fn forced(ledger: &Arc<Ledger>, bytes: usize) -> Reservation {
        ledger.budget.take(bytes);
        Reservation {
            ledger: ledger.clone(),
            bytes,
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.ledger.budget.give(self.bytes);
    }
}

/// An answer's body, charged until its bytes are written.
pub struct Charged<B> {
    body: B,
    reserved: Reservation,
    /// Whether it counts among the ledger's bodies with bytes ready.
    ready: bool,
}

impl<B: Body> Charged<B> {
    /// `body`, holding `reserved` (its length).
    pub fn new(body: B, reserved: Reservation) -> Charged<B> {
        let ready = !body.is_end_stream();
        if ready {
            reserved.ledger.ready.fetch_add(1, Ordering::AcqRel);
        }
        Charged {
            body,
            reserved,
            ready,
        }
    }

    /// `body`, charged whatever the cap: its length now when known, else
    /// each frame as hyper takes it.
    pub fn forced(body: B, ledger: &Arc<Ledger>) -> Charged<B> {
        let bytes = body
            .size_hint()
            .exact()
            .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
        Charged::new(body, Reservation::forced(ledger, bytes))
    }
}

impl<B> Charged<B> {
    fn set_ready(&mut self, ready: bool) {
        if self.ready != ready {
            self.ready = ready;
            let count = &self.reserved.ledger.ready;
            if ready {
                count.fetch_add(1, Ordering::AcqRel);
            } else {
                count.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }

    /// hyper takes `data`: its charge moves from the reservation to the
    /// bytes themselves (a body longer than it said is charged for the
    /// rest now), given back when hyper drops them.
    fn hand(&mut self, data: Bytes) -> Bytes {
        let n = data.len();
        if n == 0 {
            return data;
        }
        let covered = n.min(self.reserved.bytes);
        self.reserved.bytes -= covered;
        let ledger = &self.reserved.ledger;
        ledger.budget.take(n - covered);
        ledger.handed.fetch_add(n, Ordering::AcqRel);
        Bytes::from_owner(Handed {
            data,
            ledger: ledger.clone(),
        })
    }

    /// The body has ended: what it did not send goes back.
    fn finish(&mut self) {
        self.set_ready(false);
        self.reserved
            .ledger
            .budget
            .give(std::mem::take(&mut self.reserved.bytes));
    }
}

impl<B> Drop for Charged<B> {
    fn drop(&mut self) {
        self.set_ready(false);
    }
}

/// Bytes hyper took from a charged body, holding their charge until hyper
/// drops them.
struct Handed {
    data: Bytes,
    ledger: Arc<Ledger>,
}

impl AsRef<[u8]> for Handed {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for Handed {
    fn drop(&mut self) {
        let n = self.data.len();
        self.ledger.handed.fetch_sub(n, Ordering::AcqRel);
        self.ledger.budget.give(n);
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Charged<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let polled = match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) => Poll::Ready(Some(Ok(Frame::data(this.hand(data))))),
                Err(other) => Poll::Ready(Some(Ok(other))),
            },
            polled => polled,
        };
        match &polled {
            // Waiting on its own time (a dribble's pause): nothing ready.
            Poll::Pending => this.set_ready(false),
            Poll::Ready(Some(Ok(_))) if !this.body.is_end_stream() => this.set_ready(true),
            Poll::Ready(_) => this.finish(),
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Resolves once its connection has had bytes ready to send and written
/// none of them for the send timeout. Polled in the connection's task
/// after the connection itself, so it sees every change: bytes are written
/// there and, on HTTP/1, taken from bodies there; on HTTP/2 a stream's
/// task charges its answer and then wakes the connection to send its head
/// (or a frame). Its timer is set only while bytes wait, and moved at most
/// once per timeout while they flow.
pub struct Watchdog {
    ledger: Arc<Ledger>,
    timeout: Duration,
    /// The progress seen, and since when bytes have waited without any.
    mark: Option<(u64, Instant)>,
    /// Wakes the connection at (or before) the deadline.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Watchdog {
    /// The watchdog of `ledger`'s connection.
    pub fn new(ledger: Arc<Ledger>, timeout: Duration) -> Watchdog {
        Watchdog {
            ledger,
            timeout,
            mark: None,
            sleep: None,
        }
    }
}

impl Future for Watchdog {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let Some(written) = this.ledger.pending() else {
            this.mark = None;
            return Poll::Pending;
        };
        let since = match this.mark {
            Some((seen, since)) if seen == written => since,
            _ => {
                let now = Instant::now();
                this.mark = Some((written, now));
                now
            }
        };
        let Some(deadline) = since.checked_add(this.timeout) else {
            // Longer than this clock can count: never.
            return Poll::Pending;
        };
        // A sleep set for an earlier deadline (progress was made since)
        // wakes this early; it is then set again.
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        loop {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            if Instant::now() >= deadline {
                return Poll::Ready(());
            }
            sleep.as_mut().reset(deadline);
        }
    }
}

/// Counts the payload bytes of DATA frames in what an HTTP/2 server
/// writes (frames may be split across writes): the bytes of answers'
/// bodies, as opposed to heads, settings, pings and window updates.
#[derive(Debug, Default)]
pub struct DataFrames {
    /// The frame header read so far.
    head: [u8; 9],
    head_len: usize,
    /// Payload bytes left in the current frame.
    left: usize,
    /// Whether the current frame is a DATA frame.
    data: bool,
}

impl DataFrames {
    /// Goes over `written`; how many of its bytes were DATA payload.
    pub fn feed(&mut self, mut written: &[u8]) -> usize {
        let mut data = 0;
        while !written.is_empty() {
            if self.left > 0 {
                let n = self.left.min(written.len());
                if self.data {
                    data += n;
                }
                self.left -= n;
                written = &written[n..];
                continue;
            }
            let n = (self.head.len() - self.head_len).min(written.len());
            self.head[self.head_len..self.head_len + n].copy_from_slice(&written[..n]);
            self.head_len += n;
            written = &written[n..];
            if self.head_len == self.head.len() {
                self.head_len = 0;
                let [a, b, c, kind, ..] = self.head;
                self.left = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
                self.data = kind == 0;
            }
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let len = payload.len();
        let mut f = vec![
            (len >> 16) as u8,
            (len >> 8) as u8,
            len as u8,
            kind,
            0,
            0,
            0,
            0,
            1,
        ];
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn only_data_payload_counts_however_the_frames_are_split() {
        let mut bytes = frame(4, &[0; 6]); // SETTINGS
        bytes.extend(frame(1, &[7; 20])); // HEADERS
        bytes.extend(frame(0, &[1; 300])); // DATA
        bytes.extend(frame(6, &[0; 8])); // PING
        bytes.extend(frame(0, &[])); // an empty DATA
        bytes.extend(frame(0, &[2; 5]));
        for split in [1, 2, 7, 9, 10, 100, bytes.len()] {
            let mut frames = DataFrames::default();
            let counted: usize = bytes.chunks(split).map(|c| frames.feed(c)).sum();
            assert_eq!(counted, 305, "written {split} bytes at a time");
        }
    }

    #[test]
    fn an_answer_over_the_cap_is_refused_and_one_within_it_is_not() {
        let budget = Budget::new(10);
        let ledger = Ledger::new(budget.clone());
        let first = Reservation::within_cap(&ledger, 6).expect("within the cap");
        assert!(Reservation::within_cap(&ledger, 5).is_err());
        let second = Reservation::within_cap(&ledger, 4).expect("exactly the cap");
        assert_eq!(budget.held(), 10);
        drop((first, second));
        assert_eq!(budget.held(), 0);
    }

    #[tokio::test]
    async fn a_bodys_bytes_stay_charged_until_hyper_drops_them() {
        let budget = Budget::new(1 << 20);
        let ledger = Ledger::new(budget.clone());
        let reserved = Reservation::within_cap(&ledger, 100).expect("within the cap");
        let mut body = Charged::new(Full::new(Bytes::from(vec![0u8; 100])), reserved);
        assert_eq!(budget.held(), 100);
        assert!(ledger.pending().is_some(), "ready before hyper takes it");
        let frame = body.frame().await.expect("a frame").expect("data");
        let Ok(mut data) = frame.into_data() else {
            panic!("a data frame");
        };
        drop(body);
        assert_eq!(budget.held(), 100, "taken by hyper, not written");
        let head = data.split_to(30);
        drop(head);
        assert_eq!(budget.held(), 100, "part of it still held");
        assert!(ledger.pending().is_some());
        drop(data);
        assert_eq!(budget.held(), 0);
        assert!(ledger.pending().is_none());
    }

    #[tokio::test]
    async fn a_body_dropped_before_it_is_sent_gives_its_bytes_back() {
        let budget = Budget::new(1 << 20);
        let ledger = Ledger::new(budget.clone());
        let reserved = Reservation::within_cap(&ledger, 10).expect("within the cap");
        let body = Charged::new(Full::new(Bytes::from_static(b"0123456789")), reserved);
        assert_eq!(budget.held(), 10);
        drop(body);
        assert_eq!(budget.held(), 0);
        assert!(ledger.pending().is_none());
    }

    #[tokio::test]
    async fn the_watchdog_fires_only_while_bytes_wait_without_progress() {
        let budget = Budget::new(1 << 20);
        let ledger = Ledger::new(budget.clone());
        let timeout = Duration::from_millis(100);
        let mut dog = Watchdog::new(ledger.clone(), timeout);
        // Nothing to send: never.
        let quiet = tokio::time::timeout(timeout * 3, &mut dog).await;
        assert!(quiet.is_err());
        // Bytes waiting, written now and then: not while they flow.
        let reserved = Reservation::within_cap(&ledger, 10).expect("within the cap");
        let body = Charged::new(Full::new(Bytes::from_static(b"0123456789")), reserved);
        for _ in 0..4 {
            let flowing = tokio::time::timeout(timeout / 2, &mut dog).await;
            assert!(flowing.is_err());
            ledger.written(1);
        }
        let started = Instant::now();
        tokio::time::timeout(timeout * 5, &mut dog)
            .await
            .expect("fires once nothing is written");
        assert!(
            started.elapsed() >= timeout * 9 / 10,
            "{:?}",
            started.elapsed()
        );
        drop(body);
        assert_eq!(budget.held(), 0);
    }
}
