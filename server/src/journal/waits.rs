//! Blocking waits on the journal (`POST /__admin/requests/wait`): how many
//! may be in progress, how long one may last, and the wait itself — the
//! entries already recorded, then each new one as it is recorded.

use super::{Entry, Journal};
use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio::sync::broadcast::error::RecvError;

/// Default of `--max-waiters`.
pub const DEFAULT_MAX_WAITERS: usize = 10_000;
/// Default of `--max-wait-timeout`: the longest a wait may last.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(300);
/// `timeoutMs` of a wait that gives none.
pub const DEFAULT_WAIT_MS: u64 = 10_000;

/// The waits in progress, capped.
pub struct Waiters {
    now: AtomicUsize,
    max: usize,
    /// The longest a wait may last (`--max-wait-timeout`).
    pub max_wait: Duration,
}

impl Default for Waiters {
    fn default() -> Waiters {
        Waiters::new(DEFAULT_MAX_WAITERS, DEFAULT_MAX_WAIT)
    }
}

impl Waiters {
    /// At most `max` at once, each at most `max_wait` long.
    pub fn new(max: usize, max_wait: Duration) -> Waiters {
        Waiters {
            now: AtomicUsize::new(0),
            max,
            max_wait,
        }
    }

    /// A place for one more wait, or the cap when all are taken.
    pub fn seat(&self) -> Result<Seat<'_>, usize> {
        if self.now.fetch_add(1, Ordering::AcqRel) >= self.max {
            self.now.fetch_sub(1, Ordering::AcqRel);
            return Err(self.max);
        }
        Ok(Seat(&self.now))
    }
}

/// One wait's place among the [`Waiters`], given back on drop (also when
/// the client goes away mid-wait).
pub struct Seat<'a>(&'a AtomicUsize);

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Journal {
    /// Waits until `count` entries that `matches` are recorded, for at most
    /// `timeout`; whether they were, and those found (oldest first). Sleeps
    /// until the journal records a request: an idle wait costs no CPU.
    pub async fn wait_for(
        &self,
        matches: impl Fn(&Entry) -> bool,
        count: usize,
        timeout: Duration,
    ) -> (bool, Vec<Arc<Entry>>) {
        // Subscribe first, then read the journal: every entry is in one or
        // the other (or both: counted once by sequence number).
        let mut listener = self.listen();
        let mut seen: HashSet<u64> = HashSet::new();
        let mut found: Vec<Arc<Entry>> = Vec::new();
        let rescan = |seen: &mut HashSet<u64>, found: &mut Vec<Arc<Entry>>| {
            for e in self.all().into_iter().rev() {
                if matches(&e) && seen.insert(e.seq) {
                    found.push(e);
                }
            }
        };
        rescan(&mut seen, &mut found);
        let deadline = tokio::time::Instant::now() + timeout;
        let reached = loop {
            if found.len() >= count {
                break true;
            }
            tokio::select! {
                news = listener.news.recv() => match news {
                    Ok(e) => {
                        if matches(&e) && seen.insert(e.seq) {
                            found.push(e);
                        }
                    }
                    Err(RecvError::Lagged(_)) => rescan(&mut seen, &mut found),
                    Err(RecvError::Closed) => break false,
                },
                _ = tokio::time::sleep_until(deadline) => break false,
            }
        };
        drop(listener);
        found.sort_by_key(|e| e.seq);
        (reached, found)
    }
}
