//! Blocking waits on the journal (`POST /__admin/requests/wait`): how many
//! may be in progress, how long one may last, and the wait itself — the
//! entries already recorded, then each new one as it is recorded.
//!
//! A wait is a tally, not a collection: it counts every matching entry
//! and lists the oldest [`MAX_LISTED`] of them, and the entries all waits
//! list take at most [`LISTED_BYTES_BUDGET`] together (each entry counted
//! once however many waits list it). What a wait holds is thus bounded
//! whatever its `count` and however many requests arrive.
//!
//! Evaluation is incremental. A wait registers, then reads the journal
//! once, shard by shard, on a blocking thread (sharing the places of the
//! server's other heavy work, see [`crate::offload`]): under a shard's
//! lock it only takes the entries and notes how many the shard has taken
//! in so far; matching is done after.
//! From then on, recording an entry checks it once against each wait of
//! its scopes and each unscoped one (one [`RequestContext`] shared by all),
//! and counts it for a wait only if the shard took it in after the wait
//! read the shard: every entry is counted once, by the scan or as news.
//! No wait ever reads the journal again; a timed-out wait's near misses
//! rank the newest [`NEAR_MISS_CANDIDATES`] entries of its scope, on a
//! blocking thread too.

use super::{Entry, Journal, MAX_SHARDS};
use crate::matchers::RequestContext;
use crate::sync::lock;
use std::{
    cell::OnceCell,
    cmp::{Ordering as ByOrder, Reverse},
    collections::{BinaryHeap, HashMap},
    mem::size_of,
    sync::{
        Arc, Mutex, PoisonError, RwLock,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

/// Default of `--max-waiters`.
pub const DEFAULT_MAX_WAITERS: usize = 10_000;
/// Default of `--max-wait-timeout`: the longest a wait may last.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(300);
/// `timeoutMs` of a wait that gives none.
pub const DEFAULT_WAIT_MS: u64 = 10_000;
/// Most requests a wait's answer lists (the oldest that matched); it
/// counts the others in `count`.
pub const MAX_LISTED: usize = 1_000;
/// Bytes the entries listed by all waits take together at most: each
/// listed entry once (as the journal charges it), however many waits list
/// it, plus [`LISTING_BYTES`] per listing. Past it a wait lists no more
/// entries, and still counts them.
pub const LISTED_BYTES_BUDGET: usize = 64 * 1024 * 1024;
/// What one wait's listing of an entry costs besides the entry.
pub const LISTING_BYTES: usize = size_of::<Listed>();
/// Newest journal entries of its scope a timed-out wait ranks for its
/// near misses.
pub const NEAR_MISS_CANDIDATES: usize = 1_000;

/// Whether a request matches a wait's pattern (its scope is checked
/// apart).
pub type Matcher = Box<dyn Fn(&RequestContext<'_>) -> bool + Send + Sync>;

/// A shard a wait has not read yet.
const NOT_YET: u64 = u64::MAX;

/// The waits in progress: a cap on how many, and those that count new
/// entries.
pub struct Waiters {
    now: AtomicUsize,
    max: usize,
    /// Bytes of the requests of the waits in progress.
    pattern_bytes: AtomicUsize,
    /// The longest a wait may last (`--max-wait-timeout`).
    pub max_wait: Duration,
    /// Waits registered: none, and recording checks nothing.
    registered: AtomicUsize,
    next_id: AtomicU64,
    registry: RwLock<Registry>,
    budget: Arc<Budget>,
}

impl Default for Waiters {
    fn default() -> Waiters {
        Waiters::new(DEFAULT_MAX_WAITERS, DEFAULT_MAX_WAIT)
    }
}

/// The registered waits, by the scope they keep to: recording an entry
/// looks only at the unscoped ones and those of the entry's scopes.
#[derive(Default)]
struct Registry {
    unscoped: HashMap<u64, Arc<Waiter>>,
    scoped: HashMap<Arc<str>, HashMap<u64, Arc<Waiter>>>,
}

impl Waiters {
    /// At most `max` at once, each at most `max_wait` long.
    pub fn new(max: usize, max_wait: Duration) -> Waiters {
        Waiters::with_budget(max, max_wait, LISTED_BYTES_BUDGET)
    }

    /// [`Waiters::new`] whose waits list at most `budget` bytes together.
    fn with_budget(max: usize, max_wait: Duration, budget: usize) -> Waiters {
        Waiters {
            now: AtomicUsize::new(0),
            max,
            pattern_bytes: AtomicUsize::new(0),
            max_wait,
            registered: AtomicUsize::new(0),
            next_id: AtomicU64::new(0),
            registry: RwLock::new(Registry::default()),
            budget: Arc::new(Budget {
                used: Mutex::new(0),
                max: budget,
            }),
        }
    }

    /// A place for one more wait whose request (its pattern) is
    /// `pattern_bytes` long, or the cap it would pass: `--max-waiters`, or
    /// [`MAX_PATTERN_BYTES`] for the patterns of every wait in progress.
    pub fn seat(&self, pattern_bytes: usize) -> Result<Seat<'_>, SeatRefused> {
        if self.now.fetch_add(1, Ordering::AcqRel) >= self.max {
            self.now.fetch_sub(1, Ordering::AcqRel);
            return Err(SeatRefused::Waiters(self.max));
        }
        let before = self
            .pattern_bytes
            .fetch_add(pattern_bytes, Ordering::AcqRel);
        let seat = Seat {
            waiters: &self.now,
            bytes: &self.pattern_bytes,
            charged: pattern_bytes,
        };
        if before + pattern_bytes > MAX_PATTERN_BYTES {
            drop(seat);
            return Err(SeatRefused::PatternBytes(MAX_PATTERN_BYTES));
        }
        Ok(seat)
    }

    /// Whether any wait counts new entries.
    pub(super) fn any(&self) -> bool {
        self.registered.load(Ordering::SeqCst) > 0
    }

    /// Bytes the entries waits list take now (see [`LISTED_BYTES_BUDGET`]).
    pub fn listed_bytes(&self) -> usize {
        *lock(&self.budget.used)
    }

    /// A new wait for `wanted` entries of `scope` that `matches`, counting
    /// from now on each entry recorded in a shard it has read.
    fn register(&self, scope: Option<&str>, matches: Matcher, wanted: u64) -> Arc<Waiter> {
        let waiter = Arc::new(Waiter {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            scope: scope.map(Arc::from),
            matches,
            wanted,
            read_from: std::array::from_fn(|_| AtomicU64::new(NOT_YET)),
            tally: Mutex::new(Tally::default()),
            reached: tokio::sync::Notify::new(),
            budget: self.budget.clone(),
        });
        let mut registry = self
            .registry
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let same = match &waiter.scope {
            None => &mut registry.unscoped,
            Some(s) => registry.scoped.entry(s.clone()).or_default(),
        };
        same.insert(waiter.id, waiter.clone());
        self.registered.fetch_add(1, Ordering::SeqCst);
        waiter
    }

    /// Stops `waiter` counting.
    fn unregister(&self, waiter: &Waiter) {
        let mut registry = self
            .registry
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let gone = match &waiter.scope {
            None => registry.unscoped.remove(&waiter.id).is_some(),
            Some(s) => match registry.scoped.get_mut(&**s) {
                Some(same) => {
                    let gone = same.remove(&waiter.id).is_some();
                    if same.is_empty() {
                        registry.scoped.remove(&**s);
                    }
                    gone
                }
                None => false,
            },
        };
        if registry.unscoped.is_empty() && registry.scoped.is_empty() {
            // Their room goes too.
            *registry = Registry::default();
        }
        if gone {
            self.registered.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Counts `entry`, the `at`-th taken in by shard `shard`, for each
    /// wait of its scopes (and each unscoped one) that had read the shard
    /// before it: checked once per wait, its request unpacked once.
    pub(super) fn deliver(&self, entry: &Arc<Entry>, shard: usize, at: u64) {
        let registry = self.registry.read().unwrap_or_else(PoisonError::into_inner);
        let scoped = entry
            .scopes
            .iter()
            .filter_map(|s| registry.scoped.get(&**s))
            .flat_map(HashMap::values);
        let request = OnceCell::new();
        let context = OnceCell::new();
        for waiter in registry.unscoped.values().chain(scoped) {
            if waiter.counts(shard, at) {
                let ctx = context
                    .get_or_init(|| RequestContext::new(request.get_or_init(|| entry.request())));
                waiter.offer(entry, ctx);
            }
        }
    }
}

/// One wait's place among the [`Waiters`], given back on drop (also when
/// the client goes away mid-wait).
pub struct Seat<'a> {
    waiters: &'a AtomicUsize,
    bytes: &'a AtomicUsize,
    charged: usize,
}

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        self.waiters.fetch_sub(1, Ordering::AcqRel);
        self.bytes.fetch_sub(self.charged, Ordering::AcqRel);
    }
}

/// Most bytes the requests of all waits in progress may hold together
/// (their patterns stay parsed while they wait): past it, a new wait is
/// refused 503.
pub const MAX_PATTERN_BYTES: usize = 16 * 1024 * 1024;

/// Why a wait got no seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatRefused {
    /// `--max-waiters` waits are in progress.
    Waiters(usize),
    /// The waits in progress hold this many bytes of patterns.
    PatternBytes(usize),
}

impl std::fmt::Display for SeatRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeatRefused::Waiters(max) => {
                write!(
                    f,
                    "{max} waits in progress already, the cap (--max-waiters)"
                )
            }
            SeatRefused::PatternBytes(max) => write!(
                f,
                "the waits in progress hold {max} bytes of request patterns, the cap"
            ),
        }
    }
}

/// What the entries waits list take, against [`LISTED_BYTES_BUDGET`].
struct Budget {
    used: Mutex<usize>,
    max: usize,
}

impl Budget {
    /// A listing of `entry`, charged (the entry's bytes only when no other
    /// wait lists it); `None` past the budget.
    fn list(self: &Arc<Self>, entry: &Arc<Entry>) -> Option<Listed> {
        let mut used = lock(&self.used);
        // Changed only under `used`'s lock.
        let first = entry.listed_by_waits.load(Ordering::Relaxed) == 0;
        let cost = LISTING_BYTES + if first { entry.bytes } else { 0 };
        if used.saturating_add(cost) > self.max {
            return None;
        }
        *used += cost;
        entry.listed_by_waits.fetch_add(1, Ordering::Relaxed);
        Some(Listed {
            entry: entry.clone(),
            budget: self.clone(),
        })
    }

    /// Gives back what a listing of `entry` cost.
    fn release(&self, entry: &Entry) {
        let mut used = lock(&self.used);
        let before = entry.listed_by_waits.load(Ordering::Relaxed);
        entry
            .listed_by_waits
            .store(before.saturating_sub(1), Ordering::Relaxed);
        let cost = LISTING_BYTES + if before <= 1 { entry.bytes } else { 0 };
        *used = used.saturating_sub(cost);
    }
}

/// An entry a wait lists, charged to [`LISTED_BYTES_BUDGET`] until
/// dropped; ordered by sequence number.
pub struct Listed {
    entry: Arc<Entry>,
    budget: Arc<Budget>,
}

impl std::ops::Deref for Listed {
    type Target = Entry;

    fn deref(&self) -> &Entry {
        &self.entry
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        self.budget.release(&self.entry);
    }
}

impl PartialEq for Listed {
    fn eq(&self, other: &Listed) -> bool {
        self.entry.seq == other.entry.seq
    }
}

impl Eq for Listed {}

impl PartialOrd for Listed {
    fn partial_cmp(&self, other: &Listed) -> Option<ByOrder> {
        Some(self.cmp(other))
    }
}

impl Ord for Listed {
    fn cmp(&self, other: &Listed) -> ByOrder {
        self.entry.seq.cmp(&other.entry.seq)
    }
}

/// One wait in progress.
struct Waiter {
    id: u64,
    scope: Option<Arc<str>>,
    matches: Matcher,
    wanted: u64,
    /// Per shard, how many entries the shard had taken in when the wait
    /// read it ([`NOT_YET`] before): entries taken in from then on are
    /// counted as news.
    read_from: [AtomicU64; MAX_SHARDS],
    tally: Mutex<Tally>,
    /// Told once `wanted` entries are counted.
    reached: tokio::sync::Notify,
    budget: Arc<Budget>,
}

/// What a wait has counted, and the oldest of those it lists.
#[derive(Default)]
struct Tally {
    count: u64,
    /// At most [`MAX_LISTED`], the newest on top.
    listed: BinaryHeap<Listed>,
}

impl Waiter {
    /// Whether the `at`-th entry shard `shard` took in is news to this
    /// wait: taken in after the wait read the shard.
    fn counts(&self, shard: usize, at: u64) -> bool {
        let from = self.read_from[shard].load(Ordering::Acquire);
        from != NOT_YET && at >= from
    }

    /// Counts `entry` (whose request `ctx` shows) if it matches, and lists
    /// it if it is among the oldest [`MAX_LISTED`] and the budget allows.
    fn offer(&self, entry: &Arc<Entry>, ctx: &RequestContext<'_>) {
        if !(self.matches)(ctx) {
            return;
        }
        let mut tally = lock(&self.tally);
        tally.count += 1;
        let room = tally.listed.len() < MAX_LISTED;
        let older = tally
            .listed
            .peek()
            .is_some_and(|newest| entry.seq < newest.entry.seq);
        if (room || older)
            && let Some(listed) = self.budget.list(entry)
        {
            if !room {
                tally.listed.pop();
            }
            tally.listed.push(listed);
        }
        if tally.count >= self.wanted {
            self.reached.notify_one();
        }
    }

    fn reached(&self) -> bool {
        lock(&self.tally).count >= self.wanted
    }
}

impl Journal {
    /// The entries shown (the newest `size`) of `waiter`'s scope, noting
    /// for each shard how many entries it had taken in when read: each
    /// shard's lock is held only to copy its list.
    fn read_for(&self, waiter: &Waiter) -> Vec<Arc<Entry>> {
        let mut all: Vec<Arc<Entry>> = Vec::new();
        for (i, s) in self.shards.iter().enumerate() {
            let shard = lock(s);
            all.extend(shard.entries.iter().cloned());
            waiter.read_from[i].store(shard.pushed, Ordering::Release);
        }
        all.sort_unstable_by_key(|e| Reverse(e.seq));
        all.truncate(self.size);
        all.retain(|e| e.in_scope(waiter.scope.as_deref()));
        all
    }

    /// Counts the entries already recorded for `waiter`; from the first
    /// shard read on, new entries count as news. Blocking: runs on a
    /// blocking thread.
    fn scan(&self, waiter: &Waiter) {
        for entry in self.read_for(waiter) {
            let request = entry.request();
            waiter.offer(&entry, &RequestContext::new(&request));
        }
    }

    /// The newest `n` entries shown of `scope` (`None`: any), newest first.
    pub fn newest_of(&self, scope: Option<&str>, n: usize) -> Vec<Arc<Entry>> {
        let mut all = self.all();
        all.retain(|e| e.in_scope(scope));
        all.truncate(n);
        all
    }

    /// `work` on the journal off the async workers, sharing their places
    /// with the server's other heavy work ([`crate::offload`]); `None` if
    /// it panicked.
    pub async fn off_workers<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Journal) -> T + Send + 'static,
    ) -> Option<T> {
        let journal = self.clone();
        crate::offload::run_whole(move || work(&journal))
            .await
            .inspect_err(|e| tracing::warn!("a journal scan failed: {e}"))
            .ok()
    }
}

/// A wait in progress; it stops counting when dropped.
pub struct Wait {
    journal: Arc<Journal>,
    waiter: Arc<Waiter>,
}

/// How a wait ended.
pub struct Waited {
    /// Whether `wanted` entries were counted.
    pub reached: bool,
    /// The matching entries counted.
    pub count: u64,
    /// The oldest of them, oldest first: at most [`MAX_LISTED`], fewer
    /// when the [`LISTED_BYTES_BUDGET`] ran out.
    pub listed: Vec<Listed>,
}

impl Wait {
    /// Starts waiting for `wanted` entries of `scope` that `matches`: the
    /// entries already in the journal are counted on a blocking thread
    /// (see [`crate::offload`]), then each new one as it is recorded.
    pub async fn start(
        journal: &Arc<Journal>,
        scope: Option<&str>,
        matches: Matcher,
        wanted: u64,
    ) -> Wait {
        let waiter = journal.waiters.register(scope, matches, wanted);
        // Dropped mid-scan (the client went away): stops counting.
        let wait = Wait {
            journal: journal.clone(),
            waiter: waiter.clone(),
        };
        journal.off_workers(move |j| j.scan(&waiter)).await;
        wait
    }

    /// Whether `wanted` entries are counted.
    pub fn reached(&self) -> bool {
        self.waiter.reached()
    }

    /// Sleeps until `wanted` entries are counted or `deadline`; whether
    /// they were.
    pub async fn until(&self, deadline: tokio::time::Instant) -> bool {
        loop {
            if self.reached() {
                return true;
            }
            tokio::select! {
                () = self.waiter.reached.notified() => {}
                () = tokio::time::sleep_until(deadline) => return self.reached(),
            }
        }
    }

    /// Stops counting: what was counted and listed.
    pub fn finish(self) -> Waited {
        self.journal.waiters.unregister(&self.waiter);
        let tally = std::mem::take(&mut *lock(&self.waiter.tally));
        Waited {
            reached: tally.count >= self.waiter.wanted,
            count: tally.count,
            listed: tally.listed.into_sorted_vec(),
        }
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        self.journal.waiters.unregister(&self.waiter);
    }
}

#[cfg(test)]
mod tests;
