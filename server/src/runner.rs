//! Where plugin handlers run.
//!
//! A handler is native code that may block: sleep, spin, deadlock. The safe
//! place for it is tokio's blocking pool, but the hop there and back costs
//! about half the throughput of a short answer. So a route whose calls keep
//! returning quickly runs *inline*, on the worker that read the request,
//! under three rules that keep a handler that blocks after all from
//! stalling anyone else:
//!
//! 1. **Proven fast.** A route runs inline only after [`PROVEN`] calls in a
//!    row returned within [`FAST`]; one slower call sends it back to the
//!    pool until it has proven itself again.
//! 2. **A spare worker.** At most `workers - 1` inline calls run at once
//!    (`--workers`, at least 2 by default), so at least one worker is always
//!    free; the tasks queued on a blocked worker are stolen by the free ones.
//!    A call finding the inline slots taken lets the other tasks have a
//!    turn and looks once more (the holder is most likely microseconds
//!    from returning); still taken, it goes to the pool.
//! 3. **A watchdog.** A thread that looks at the inline calls every few
//!    milliseconds. A call running longer than [`NUDGE_AFTER`] gets a no-op
//!    task spawned: a blocked worker polls no sockets, and a sibling parked
//!    on its condition variable would not otherwise wake up to take over.
//!    A call still running after `--handler-timeout` is cut off at the
//!    same moment the pool path would answer 504: on plain HTTP/1 the
//!    watchdog writes that 504 on the socket itself, then closes it; on
//!    HTTP/2 (plain or TLS) it closes the connection, whose streams all
//!    end (HTTP/2 clients see the connection reset, gRPC clients
//!    `UNAVAILABLE`). HTTP/1 over TLS, where raw bytes would not do and a
//!    lone request's connection is not worth cutting, always takes the pool.

use crate::sync::lock;
use crate::{
    conn::{Conn, Socket},
    plan::Plan,
    plugin::{Service, scoped::Scoped},
    request::Recorded,
    routing::Route,
};
use abi_stable::std_types::{RSlice, RStr};
use fake_servicer::abi::{FfiHeader, FfiParam, FfiRequest, HandlerFn};
use http::Method;
use smallvec::SmallVec;
use std::{
    io::Write,
    mem::ManuallyDrop,
    os::fd::{FromRawFd, RawFd},
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

/// A call that returns within this is fast.
pub const FAST: Duration = Duration::from_millis(1);

/// Fast calls in a row before a route runs inline.
pub const PROVEN: u32 = 16;

/// An inline call running this long makes the watchdog wake a free worker.
pub const NUDGE_AFTER: Duration = Duration::from_millis(2);

/// How often the watchdog looks while inline calls are being made...
const BUSY_TICK: Duration = Duration::from_millis(2);
/// ...and after this many looks found none.
const IDLE_AFTER: u32 = 500;
const IDLE_TICK: Duration = Duration::from_millis(20);
/// How a handler call ended.
pub enum Ran {
    /// The handler returned (an answer, or the SDK's message for a panic
    /// it caught).
    Returned(Result<Plan, String>),
    /// Something panicked outside the handler's own guard.
    Failed(String),
    /// Still running after the handler timeout (logged; an inline call has
    /// already been answered 504 on its socket): answer [`crate::refusal::Refusal::HandlerTimedOut`].
    TimedOut,
}

/// One handler call, owned so it can move to a blocking thread.
pub struct Call {
    /// Keeps the library version being called alive (and findable) until
    /// its answer has been copied.
    pub service: Arc<Service>,
    pub handler: HandlerFn,
    pub request: Arc<Recorded>,
    pub params: Vec<(String, String)>,
    /// The scope the handler is told, for a plugin keeping state per scope.
    pub scope: Option<Scoped>,
}

impl Call {
    fn run(self) -> Result<Plan, String> {
        let req = &self.request;
        let mut headers: SmallVec<[FfiHeader<'_>; 16]> = req
            .headers
            .iter()
            .map(|(name, value)| FfiHeader {
                name: RStr::from_str(name.as_str()),
                value: RSlice::from_slice(value.as_bytes()),
            })
            .collect();
        if let Some(scope) = &self.scope {
            headers.push(scope.header());
        }
        let params: Vec<FfiParam<'_>> = self
            .params
            .iter()
            .map(|(name, value)| FfiParam {
                name: RStr::from_str(name),
                value: RStr::from_str(value),
            })
            .collect();
        let ffi = FfiRequest {
            method: RStr::from_str(req.method.as_str()),
            path: RStr::from_str(req.service().map_or("/", |(_, rel)| rel)),
            query: RStr::from_str(req.query.as_deref().unwrap_or("")),
            headers: RSlice::from_slice(&headers),
            params: RSlice::from_slice(&params),
            body: RSlice::from_slice(&req.body),
        };
        let answer = (self.handler)(&ffi);
        // Copy the plugin-allocated answer before the library may go.
        let plan = match &self.scope {
            None => Plan::from_ffi(&answer),
            Some(scope) => Plan::from_ffi_with(&answer, scope.answered(&answer.headers)),
        };
        drop(answer);
        drop(self.service);
        plan
    }
}

/// Runs handler calls inline or on the blocking pool (see the module docs).
pub struct Runner {
    slots: Arc<[Slot]>,
    timeout: Duration,
}

/// One inline call at a time.
#[derive(Default)]
struct Slot {
    busy: AtomicBool,
    watch: Mutex<Watch>,
}

#[derive(Default)]
struct Watch {
    /// The call in this slot, while it runs; taken by the watchdog when it
    /// answers instead (under the lock, so the socket is still open).
    call: Option<Watched>,
    /// The service and route of the last call, for the watchdog's answer:
    /// kept, so that the next call of the same route takes no reference
    /// (an atomic write to memory every worker shares).
    names: Option<(Arc<str>, Arc<str>)>,
}

struct Watched {
    /// Valid while the call runs: the caller holds the `Conn`, and with
    /// it the socket (see [`Socket`]).
    fd: RawFd,
    /// Whether the watchdog writes a 504 before closing.
    http1: bool,
    head: bool,
    started: Instant,
    nudged: bool,
}

impl Runner {
    /// A runner allowing `inline_slots` inline calls at once (0: every call
    /// goes to the blocking pool), answering 504 after `timeout`.
    /// Must be called within the tokio runtime that serves the requests.
    pub fn new(inline_slots: usize, timeout: Duration) -> Runner {
        let slots: Arc<[Slot]> = (0..inline_slots).map(|_| Slot::default()).collect();
        if inline_slots > 0 {
            let watched = Arc::downgrade(&slots);
            let runtime = tokio::runtime::Handle::current();
            let spawned = std::thread::Builder::new()
                .name("handler-watchdog".to_owned())
                .spawn(move || watchdog(watched, timeout, runtime));
            if let Err(e) = spawned {
                tracing::warn!(
                    "cannot start the handler watchdog ({e}): every handler runs on the blocking pool"
                );
                return Runner {
                    slots: Arc::new([]),
                    timeout,
                };
            }
        }
        Runner { slots, timeout }
    }

    /// The handler timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Calls `route`'s handler with `call`, inline when the rules allow.
    pub async fn run(&self, call: Call, route: &Route, conn: Option<&Conn>) -> Ran {
        let streak = &route.fast_streak;
        if streak.load(Ordering::Relaxed) >= PROVEN
            && let Some(socket) = conn.and_then(|c| c.socket.as_ref())
            && let Some(slot) = self.claim_soon().await
        {
            return self.run_inline(slot, call, route, socket);
        }
        let streak = streak.clone();
        let service = call.service.clone();
        let pooled = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let result = call.run();
            note(&streak, started.elapsed());
            result
        });
        match tokio::time::timeout(self.timeout, pooled).await {
            Ok(Ok(result)) => Ran::Returned(result),
            Ok(Err(join)) => Ran::Failed(format!("handler call failed: {join}")),
            Err(_) => {
                let timeout = self.timeout;
                tracing::warn!(service = %service.name, route = %route.label, "handler still running after {timeout:?}: answered 504");
                Ran::TimedOut
            }
        }
    }

    /// A free slot, now or after the other tasks have had a turn: a taken
    /// slot is most likely held by a call microseconds from returning, and
    /// a turn costs far less than the pool's two thread hops.
    async fn claim_soon(&self) -> Option<&Slot> {
        if let Some(slot) = self.claim() {
            return Some(slot);
        }
        tokio::task::yield_now().await;
        self.claim()
    }

    fn claim(&self) -> Option<&Slot> {
        self.slots.iter().find(|s| {
            s.busy
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        })
    }

    fn run_inline(&self, slot: &Slot, call: Call, route: &Route, socket: &Socket) -> Ran {
        let started = Instant::now();
        {
            let mut watch = lock(&slot.watch);
            let named = watch.names.as_ref().is_some_and(|(service, label)| {
                Arc::ptr_eq(service, &call.service.name) && Arc::ptr_eq(label, &route.label)
            });
            if !named {
                watch.names = Some((call.service.name.clone(), route.label.clone()));
            }
            watch.call = Some(Watched {
                fd: socket.fd(),
                http1: socket.speaks_http1(),
                head: call.request.method == Method::HEAD,
                started,
                nudged: false,
            });
        }
        let result = catch_unwind(AssertUnwindSafe(|| call.run()));
        note(&route.fast_streak, started.elapsed());
        let answered_by_watchdog = lock(&slot.watch).call.take().is_none();
        slot.busy.store(false, Ordering::Release);
        match result {
            _ if answered_by_watchdog => Ran::TimedOut,
            Ok(result) => Ran::Returned(result),
            Err(panic) => Ran::Failed(format!(
                "handler call failed: {}",
                panic_message(panic.as_ref())
            )),
        }
    }
}

/// Counts a call of `took` into its route's streak (no write once proven).
fn note(streak: &AtomicU32, took: Duration) {
    if took > FAST {
        streak.store(0, Ordering::Relaxed);
    } else if streak.load(Ordering::Relaxed) < PROVEN {
        streak.fetch_add(1, Ordering::Relaxed);
    }
}

/// The body of a 504 for a handler still running after `timeout`.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}

/// Wakes a free worker for inline calls past [`NUDGE_AFTER`] and answers
/// 504 for those past `timeout`, until the runner is gone.
fn watchdog(slots: Weak<[Slot]>, timeout: Duration, runtime: tokio::runtime::Handle) {
    let mut quiet_looks = 0u32;
    loop {
        std::thread::sleep(if quiet_looks < IDLE_AFTER {
            BUSY_TICK
        } else {
            IDLE_TICK
        });
        let Some(slots) = slots.upgrade() else {
            return;
        };
        let mut busy = false;
        for slot in slots.iter() {
            if !slot.busy.load(Ordering::Acquire) {
                continue;
            }
            busy = true;
            let mut watch = lock(&slot.watch);
            let Some(w) = watch.call.as_mut() else {
                continue;
            };
            let ran = w.started.elapsed();
            if ran >= timeout {
                if let Some(w) = watch.call.take() {
                    let (service, route) = watch
                        .names
                        .as_ref()
                        .map_or(("", ""), |(service, route)| (&**service, &**route));
                    tracing::warn!(
                        service,
                        route,
                        "handler still running after {timeout:?}: {}, connection closed",
                        if w.http1 {
                            "answered 504"
                        } else {
                            "not answered"
                        }
                    );
                    answer_timeout(&w, service, route, timeout);
                }
            } else if ran >= NUDGE_AFTER && !w.nudged {
                w.nudged = true;
                drop(runtime.spawn(async {}));
            }
        }
        quiet_looks = if busy {
            0
        } else {
            quiet_looks.saturating_add(1)
        };
    }
}

/// Writes the 504 the pool path would give (HTTP/1 only), then shuts the
/// socket down so the handler's late answer goes nowhere.
fn answer_timeout(w: &Watched, service: &str, route: &str, timeout: Duration) {
    // SAFETY: the fd belongs to the connection whose request is blocked in
    // this very call, which holds it open (see [`Socket`]) until the call
    // leaves its slot, which waits for the lock the caller holds.
    // ManuallyDrop: not ours to close.
    let stream = ManuallyDrop::new(unsafe { std::net::TcpStream::from_raw_fd(w.fd) });
    if w.http1 {
        let _ = (&*stream).write_all(http1_timeout(w.head, service, route, timeout).as_bytes());
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// The raw HTTP/1 504 for a call still running after `timeout`.
fn http1_timeout(head: bool, service: &str, route: &str, timeout: Duration) -> String {
    let body = crate::refusal::Refusal::HandlerTimedOut {
        service,
        route,
        timeout,
    }
    .body()
    .to_string();
    let mut answer = format!(
        "HTTP/1.1 504 Gateway Timeout\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    if !head {
        answer.push_str(&body);
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn a_call_finding_the_slots_taken_takes_one_freed_meanwhile() {
        let runner = Runner::new(1, Duration::from_secs(1));
        assert!(runner.claim().is_some(), "the one slot, taken");
        let slots = runner.slots.clone();
        // The call holding it returns while the next one waits its turn.
        tokio::spawn(async move { slots[0].busy.store(false, Ordering::Release) });
        assert!(runner.claim_soon().await.is_some());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_call_finding_the_slots_still_taken_goes_to_the_pool() {
        let runner = Runner::new(1, Duration::from_secs(1));
        assert!(runner.claim().is_some());
        assert!(runner.claim_soon().await.is_none());
    }

    #[test]
    fn a_route_is_proven_by_fast_calls_in_a_row_and_demoted_by_one_slow_call() {
        let streak = AtomicU32::new(0);
        for _ in 0..PROVEN - 1 {
            note(&streak, Duration::ZERO);
        }
        note(&streak, FAST * 2);
        assert_eq!(streak.load(Ordering::Relaxed), 0);
        for _ in 0..PROVEN * 2 {
            note(&streak, Duration::ZERO);
        }
        assert_eq!(streak.load(Ordering::Relaxed), PROVEN);
        note(&streak, FAST * 2);
        assert_eq!(streak.load(Ordering::Relaxed), 0);
    }
}
