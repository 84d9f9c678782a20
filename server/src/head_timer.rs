//! hyper's header read timeout (`--header-timeout`) with one timer per
//! HTTP/1 connection instead of one per request.
//!
//! hyper arms a new sleep each time it waits for a request head and drops
//! it once the head has arrived: with tokio's timer, an entry put into the
//! timer wheel and taken out again for every request. Here the sleep hyper
//! holds only notes its deadline in its connection's [`Slot`]. One watcher
//! per connection, polled in the connection's own task, sleeps until the
//! noted deadline; when it passes with that sleep still held, the watcher
//! fires it and wakes the connection, which fails its head read exactly as
//! with tokio's timer. While requests keep arriving the watcher wakes about
//! once per `--header-timeout`, whatever the request rate.

use crate::sync::lock;
use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex, Weak},
    task::{Context, Poll, Waker},
    time::{Duration, Instant},
};

/// The [`hyper::rt::Timer`] of one HTTP/1 connection.
pub(crate) struct HeadTimer {
    slot: Arc<Mutex<Slot>>,
}

/// What a connection's sleeps and its watcher share.
#[derive(Default)]
struct Slot {
    /// The id the next sleep gets.
    next: u64,
    /// The sleep hyper holds, if any: its id and deadline.
    armed: Option<(u64, Instant)>,
    /// The sleep whose deadline has passed.
    fired: Option<u64>,
    /// Wakes the task that polled the armed sleep.
    waker: Option<Waker>,
}

impl HeadTimer {
    /// A timer for one connection, and the watcher that must be polled
    /// with it, in the connection's task (it never resolves; it ends its
    /// work once the connection, and with it the timer, is gone).
    ///
    /// `period` is the header read timeout: how long the watcher sleeps
    /// when no sleep is armed. hyper asks for sleeps of that length only,
    /// so a sleep armed while the watcher sleeps ends after the watcher
    /// wakes, and fires on time; a shorter one would fire up to `period`
    /// late.
    pub(crate) fn new(period: Duration) -> (HeadTimer, Watcher) {
        let slot = Arc::new(Mutex::new(Slot::default()));
        let watcher = Watcher {
            slot: Arc::downgrade(&slot),
            period,
            sleep: Box::pin(tokio::time::sleep(period)),
            waiting: false,
        };
        (HeadTimer { slot }, watcher)
    }
}

/// Fires each armed sleep of a connection once its deadline has passed.
pub(crate) struct Watcher {
    slot: Weak<Mutex<Slot>>,
    period: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
    /// Whether `sleep` has been polled since it was last set.
    waiting: bool,
}

impl Future for Watcher {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Polled with every wake of the connection's task. tokio's sleep
        // keeps the waker it was last polled with, and only that task polls
        // it: while it runs, a look at it is enough.
        if self.waiting && !self.sleep.is_elapsed() {
            return Poll::Pending;
        }
        loop {
            if self.sleep.as_mut().poll(cx).is_pending() {
                self.waiting = true;
                return Poll::Pending;
            }
            let Some(slot) = self.slot.upgrade() else {
                // The connection is gone.
                self.waiting = false;
                return Poll::Pending;
            };
            let next = fire_due(&slot, self.period);
            self.sleep.as_mut().reset(next.into());
        }
    }
}

/// Fires the armed sleep if its deadline has passed; when to look again.
fn fire_due(slot: &Mutex<Slot>, period: Duration) -> Instant {
    let now = Instant::now();
    let mut s = lock(slot);
    let (next, wake) = match s.armed {
        Some((id, deadline)) if deadline <= now => {
            s.fired = Some(id);
            (now + period, s.waker.take())
        }
        Some((_, deadline)) => (deadline, None),
        None => (now + period, None),
    };
    drop(s);
    if let Some(waker) = wake {
        waker.wake();
    }
    next
}

impl hyper::rt::Timer for HeadTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        let mut s = lock(&self.slot);
        let id = s.next;
        s.next += 1;
        s.armed = Some((id, deadline));
        drop(s);
        Box::pin(HeadSleep {
            slot: self.slot.clone(),
            id,
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HeadSleep>() {
            Some(held) => {
                let mut s = lock(&held.slot);
                if s.fired != Some(held.id) {
                    s.armed = Some((held.id, new_deadline));
                }
            }
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// The sleep hyper holds while it waits for a request head.
struct HeadSleep {
    slot: Arc<Mutex<Slot>>,
    id: u64,
}

impl Future for HeadSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = lock(&self.slot);
        if s.fired == Some(self.id) {
            return Poll::Ready(());
        }
        match &s.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => s.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl hyper::rt::Sleep for HeadSleep {}

impl Drop for HeadSleep {
    fn drop(&mut self) {
        let mut s = lock(&self.slot);
        if s.armed.is_some_and(|(id, _)| id == self.id) {
            s.armed = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Timer;

    /// Polls `sleep` with the watcher until it fires (at most 10 s); how
    /// long that took.
    async fn fired_after(
        sleep: Pin<Box<dyn hyper::rt::Sleep>>,
        watcher: impl Future<Output = ()>,
    ) -> Duration {
        let started = Instant::now();
        let fired = tokio::time::timeout(Duration::from_secs(10), async {
            tokio::select! {
                () = sleep => true,
                () = watcher => false,
            }
        })
        .await;
        assert_eq!(fired, Ok(true), "the sleep did not fire");
        started.elapsed()
    }

    const PERIOD: Duration = Duration::from_millis(100);

    #[tokio::test]
    async fn an_armed_sleep_fires_once_its_deadline_has_passed_and_not_before() {
        let (timer, watcher) = HeadTimer::new(PERIOD);
        let sleep = timer.sleep(PERIOD);
        assert!(fired_after(sleep, watcher).await >= PERIOD);
    }

    #[tokio::test]
    async fn a_dropped_sleep_never_fires_and_the_next_keeps_its_own_deadline() {
        let (timer, watcher) = HeadTimer::new(PERIOD);
        let started = Instant::now();
        drop(timer.sleep(PERIOD));
        // The next request head is awaited a little later.
        tokio::time::sleep(Duration::from_millis(30)).await;
        let second = timer.sleep(PERIOD);
        fired_after(second, watcher).await;
        assert!(started.elapsed() >= PERIOD + Duration::from_millis(30));
    }

    #[tokio::test]
    async fn a_reset_sleep_fires_at_its_new_deadline() {
        let (timer, watcher) = HeadTimer::new(PERIOD);
        let started = Instant::now();
        let mut sleep = timer.sleep(PERIOD);
        timer.reset(&mut sleep, started + PERIOD * 2);
        fired_after(sleep, watcher).await;
        assert!(started.elapsed() >= PERIOD * 2);
    }

    #[tokio::test]
    async fn a_sleep_armed_while_the_watcher_idles_fires_on_time() {
        // The watcher goes to sleep for its whole period with nothing
        // armed; a sleep armed then must still fire at its own deadline.
        let (timer, mut watcher) = HeadTimer::new(PERIOD);
        let idle = tokio::time::timeout(Duration::from_millis(20), &mut watcher).await;
        assert!(idle.is_err(), "the watcher never resolves");
        let sleep = timer.sleep(PERIOD);
        let took = fired_after(sleep, watcher).await;
        assert!(took >= PERIOD, "{took:?}");
    }

    #[tokio::test]
    async fn the_watcher_lets_go_once_the_timer_is_gone() {
        let (timer, watcher) = HeadTimer::new(Duration::from_millis(10));
        let slot = Arc::downgrade(&timer.slot);
        drop(timer);
        let waited = tokio::time::timeout(Duration::from_millis(100), watcher).await;
        assert!(waited.is_err(), "the watcher never resolves");
        assert!(slot.upgrade().is_none());
    }
}
