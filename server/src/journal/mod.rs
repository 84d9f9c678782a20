//! The request journal: the last `--journal-size` requests, with what
//! answered them, in WireMock's shape.
//!
//! Entries go into one of several shards by sequence number, each behind
//! its own short lock, so concurrent requests rarely contend. A shard drops
//! its entries older than the newest `size`, and its oldest while it holds
//! more than its share of a byte budget that counts every byte an entry
//! keeps; reads (admin calls) merge the shards and show the newest `size`.
//! A small journal has fewer shards, so that the entries it keeps beyond
//! `size` until their shard's next record stay few.
//!
//! An entry refers to the stub that answered (shared with the live stub,
//! never copied): the journal shows its mapping while it exists.
//!
//! Blocking waits ([`waits`]) count entries as they are recorded: each
//! shard numbers the entries it takes in, so that a wait reading the
//! journal counts each entry once, by its read or as news.

use crate::matchers::RequestPattern;
use crate::request::Recorded;
use crate::sync::lock;
use http::{HeaderName, HeaderValue};
use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};
use uuid::Uuid;

mod entry;
mod evicted;
mod packed;
pub mod sub_events;
#[cfg(test)]
mod tests;
mod waits;

pub use entry::{AnsweredBy, Entry, Outcome, Responded};
pub use sub_events::{EntryRef, StreamMessage, SubEvent, WebhookRequest, WebhookResponse};

use entry::{charge, prefetch_entry};

pub use waits::{
    DEFAULT_MAX_WAIT, DEFAULT_MAX_WAITERS, DEFAULT_WAIT_MS, Matcher, NEAR_MISS_CANDIDATES, Wait,
    Waiters,
};

/// Most shards a journal has.
const MAX_SHARDS: usize = 16;
/// A journal has at most one shard per this many entries (at least one).
const ENTRIES_PER_SHARD: usize = 64;
/// Bytes the journal keeps at most: request bodies, paths, query strings,
/// headers and the bookkeeping of each entry.
pub const BYTE_BUDGET: usize = 64 * 1024 * 1024;
pub use crate::request::MAX_BODY;

/// Bytes the journal keeps at most about the routes of the entries its
/// bounds dropped (see [`evicted`]).
pub const EVICTED_ROUTES_BUDGET: usize = 1024 * 1024;

#[derive(Default)]
struct Shard {
    entries: VecDeque<Arc<Entry>>,
    bytes: usize,
    /// Entries taken in since the journal was made (kept across clears):
    /// where a wait that read the shard starts counting news.
    pushed: u64,
    /// Entries dropped by the journal's bounds since the last clear.
    evicted: evicted::Evicted,
}

/// The journal.
pub struct Journal {
    /// A power of two of them, so that a sequence number picks one by mask.
    shards: Vec<Mutex<Shard>>,
    /// Entries shown at most (0: disabled).
    size: usize,
    bytes_per_shard: usize,
    /// [`EVICTED_ROUTES_BUDGET`], shared out.
    evicted_routes_per_shard: usize,
    seq: AtomicU64,
    /// Entry ids are this random UUID with the sequence number mixed into
    /// its low bits: unique, and no system call per request.
    id_base: u128,
    /// The waits on this journal in progress, capped; each new entry is
    /// counted for them as it is recorded.
    pub waiters: Waiters,
}

impl Journal {
    /// A journal of at most `size` entries (0 disables it).
    pub fn new(size: usize) -> Journal {
        let wanted = (size / ENTRIES_PER_SHARD).clamp(1, MAX_SHARDS);
        // The largest power of two not above `wanted`.
        let shards = 1 << (usize::BITS - 1 - wanted.leading_zeros());
        Journal {
            shards: (0..shards).map(|_| Mutex::new(Shard::default())).collect(),
            size,
            bytes_per_shard: BYTE_BUDGET / shards,
            evicted_routes_per_shard: EVICTED_ROUTES_BUDGET / shards,
            seq: AtomicU64::new(0),
            id_base: Uuid::new_v4().as_u128(),
            waiters: Waiters::default(),
        }
    }

    /// This journal with `waiters` for its waits.
    pub fn with_waiters(self, waiters: Waiters) -> Journal {
        Journal { waiters, ..self }
    }

    pub fn enabled(&self) -> bool {
        self.size > 0
    }

    fn shard_index(&self, seq: u64) -> usize {
        seq as usize & (self.shards.len() - 1)
    }

    fn shard(&self, seq: u64) -> &Mutex<Shard> {
        &self.shards[self.shard_index(seq)]
    }

    /// Records a request and its outcome (answered with no headers).
    #[cfg(test)]
    pub fn record(&self, request: &Recorded, outcome: Outcome) {
        self.record_scoped(request, crate::scope::Scopes::default(), outcome, &[]);
    }

    /// Entries dropped by the journal's bounds (`--journal-size`, the byte
    /// budget) since the last clear that could have matched `pattern`
    /// (judged by method, service and path), of `scope` when given; 0 only
    /// when none could have. Past the budget of what is kept about them,
    /// every dropped entry of `scope` counts.
    pub fn evicted(&self, scope: Option<&str>, pattern: &RequestPattern) -> u64 {
        self.shards
            .iter()
            .map(|s| lock(s).evicted.could_match(scope, pattern))
            .sum()
    }

    /// Records a request of `scopes` and its outcome, answered with
    /// `headers`; where the entry is, to add sub events to it (`None`: the
    /// journal is disabled).
    pub fn record_scoped(
        &self,
        request: &Recorded,
        scopes: crate::scope::Scopes,
        mut outcome: Outcome,
        headers: &[(HeaderName, HeaderValue)],
    ) -> Option<EntryRef> {
        if !self.enabled() {
            return None;
        }
        if outcome.response.body.len() > MAX_BODY {
            // Keep a truncated copy, not the whole answer.
            outcome.response.body =
                bytes::Bytes::copy_from_slice(&outcome.response.body[..MAX_BODY]);
        }
        let body = if request.body.len() > MAX_BODY {
            // Keep a truncated copy, not the whole upload.
            bytes::Bytes::copy_from_slice(&request.body[..MAX_BODY])
        } else {
            request.body.clone()
        };
        let text = packed::Text::pack(
            &request.path,
            request.query.as_deref(),
            &request.headers,
            headers,
        );
        let bytes = charge(&text, &body, &outcome);
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let entry = Arc::new(Entry {
            seq,
            // The low 62 bits: the variant bits stay those of a v4 UUID.
            id: Uuid::from_u128(self.id_base ^ u128::from(seq & (u64::MAX >> 2))),
            method: request.method.clone(),
            text,
            body,
            service: request.service.clone(),
            client: request.client,
            received_at: request.received_at,
            version: request.version,
            secure: request.secure,
            outcome,
            scopes,
            bytes,
            listed_by_waits: Default::default(),
            sub_events: Default::default(),
        });
        // Entries this much older than this one are past the newest `size`.
        let size = self.size as u64;
        let index = self.shard_index(seq);
        let mut shard = lock(&self.shards[index]);
        shard.bytes += bytes;
        let at = shard.pushed;
        shard.pushed += 1;
        // Checked once the entry is in (under the shard's lock): a wait
        // registered after this reads the entry from the journal.
        let news = self.waiters.any().then(|| entry.clone());
        shard.entries.push_back(entry);
        // Usually one: freed after the lock is let go.
        let mut dropped: smallvec::SmallVec<[Arc<Entry>; 2]> = smallvec::SmallVec::new();
        while let Some(oldest) = shard.entries.front() {
            let stale = oldest.seq + size <= seq;
            let over_budget = shard.bytes > self.bytes_per_shard && shard.entries.len() > 1;
            if !(stale || over_budget) {
                break;
            }
            if let Some(old) = shard.entries.pop_front() {
                shard.bytes -= old.charged();
                shard.evicted.count(&old, self.evicted_routes_per_shard);
                dropped.push(old);
            }
        }
        // The next two to go: the one after, then the pieces of the next
        // (its entry brought in by the record before).
        if let Some(after) = shard.entries.get(1) {
            prefetch_entry(after);
        }
        if let Some(next) = shard.entries.front() {
            next.prefetch_pieces();
        }
        drop(shard);
        drop(dropped);
        if let Some(entry) = news {
            self.waiters.deliver(&entry, index, at);
        }
        Some(EntryRef(seq))
    }

    /// Adds `events` to the entry `at`, while it is kept, up to
    /// [`sub_events::MAX_PER_ENTRY`] (each cut to what an entry keeps);
    /// what they keep counts in the byte budget.
    pub fn add_sub_events(&self, at: EntryRef, events: impl IntoIterator<Item = SubEvent>) {
        let mut shard = lock(self.shard(at.0));
        // Recent: near the back.
        let Some(entry) = shard.entries.iter().rev().find(|e| e.seq == at.0) else {
            return;
        };
        let mut list = lock(entry.sub_events.get_or_init(Default::default));
        let room = sub_events::MAX_PER_ENTRY.saturating_sub(list.events.len());
        let mut added = 0;
        for event in events.into_iter().take(room) {
            let event = event.bounded();
            added += event.bytes();
            list.events.push(event);
        }
        list.bytes += added;
        drop(list);
        shard.bytes += added;
    }

    /// The entries shown: the newest `size`, newest first.
    pub fn all(&self) -> Vec<Arc<Entry>> {
        let mut v: Vec<Arc<Entry>> = Vec::new();
        for s in &self.shards {
            v.extend(lock(s).entries.iter().cloned());
        }
        v.sort_unstable_by_key(|e| std::cmp::Reverse(e.seq));
        v.truncate(self.size);
        v
    }

    /// Number of entries shown.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.all().len()
    }

    /// Bytes charged for the entries kept.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.shards.iter().map(|s| lock(s).bytes).sum()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries matching `pattern`, oldest first (as WireMock's find).
    pub fn find(&self, pattern: &RequestPattern) -> Vec<Arc<Entry>> {
        let mut v: Vec<Arc<Entry>> = self
            .all()
            .into_iter()
            .filter(|e| pattern.matches(&e.request()))
            .collect();
        v.reverse();
        v
    }

    /// Requests nothing answered, newest first (as WireMock lists them).
    pub fn unmatched(&self) -> Vec<Arc<Entry>> {
        self.all()
            .into_iter()
            .filter(|e| !e.was_matched())
            .collect()
    }

    /// Removes the entries shown that `pick` selects; returns them, newest
    /// first.
    pub fn remove_where(&self, pick: impl Fn(&Entry) -> bool) -> Vec<Arc<Entry>> {
        let picked: Vec<Arc<Entry>> = self.all().into_iter().filter(|e| pick(e)).collect();
        for e in &picked {
            let mut shard = lock(self.shard(e.seq));
            if let Some(pos) = shard.entries.iter().position(|x| x.id == e.id)
                && let Some(gone) = shard.entries.remove(pos)
            {
                shard.bytes -= gone.charged();
            }
        }
        picked
    }

    /// The entry `id`, if shown.
    pub fn get(&self, id: Uuid) -> Option<Arc<Entry>> {
        self.all().into_iter().find(|e| e.id == id)
    }

    /// Removes the entry `id`; whether it was shown.
    pub fn remove(&self, id: Uuid) -> bool {
        let Some(entry) = self.get(id) else {
            return false;
        };
        let mut shard = lock(self.shard(entry.seq));
        match shard.entries.iter().position(|e| e.id == id) {
            Some(pos) => {
                if let Some(e) = shard.entries.remove(pos) {
                    shard.bytes -= e.charged();
                }
                true
            }
            None => false,
        }
    }

    /// Empties the journal.
    pub fn clear(&self) {
        for s in &self.shards {
            let mut shard = lock(s);
            // A new ring: the old one's capacity goes too. The count of
            // entries taken in goes on (waits count news by it).
            *shard = Shard {
                pushed: shard.pushed,
                ..Shard::default()
            };
        }
    }
}
