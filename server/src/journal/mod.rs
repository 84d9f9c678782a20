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

use crate::mappings::Stub;
use crate::matchers::RequestPattern;
use crate::request::Recorded;
use crate::sync::lock;
use base64::Engine;
use http::{HeaderName, HeaderValue};
use serde_json::{Map, Value, json};
use std::{
    collections::VecDeque,
    mem::size_of,
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime},
};
use uuid::Uuid;

mod evicted;
mod packed;

/// Most shards a journal has.
const MAX_SHARDS: usize = 16;
/// A journal has at most one shard per this many entries (at least one).
const ENTRIES_PER_SHARD: usize = 64;
/// Bytes the journal keeps at most: request bodies, paths, query strings,
/// headers and the bookkeeping of each entry.
pub const BYTE_BUDGET: usize = 64 * 1024 * 1024;
/// A body longer than this is kept truncated.
pub const MAX_BODY: usize = 1024 * 1024;

/// What answered a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnsweredBy {
    /// A next-request override armed by headers.
    Override,
    /// The request armed an override (answered 202).
    Armed,
    /// A stub mapping.
    Stub(Uuid),
    /// A plugin route.
    Plugin {
        route: std::sync::Arc<str>,
        generation: u64,
    },
    /// The server itself (a rejection such as 413 or 400).
    Server,
    /// Nothing: unknown service or route.
    Nothing,
}

impl AnsweredBy {
    fn to_json(&self) -> Value {
        match self {
            AnsweredBy::Override => json!({"kind": "override"}),
            AnsweredBy::Armed => json!({"kind": "armed"}),
            AnsweredBy::Stub(id) => json!({"kind": "stub", "id": id.to_string()}),
            AnsweredBy::Plugin { route, generation } => {
                json!({"kind": "plugin", "route": &**route, "generation": generation})
            }
            AnsweredBy::Server => json!({"kind": "server"}),
            AnsweredBy::Nothing => json!({"kind": "none"}),
        }
    }
}

/// What was sent back, as WireMock's serve events show it (with the
/// headers, which the entry keeps packed): the body (shared with the plan
/// when it is already `Bytes`; kept truncated to [`MAX_BODY`]) and the
/// fault acted out instead, if any.
#[derive(Debug, Clone, Default)]
pub struct Responded {
    pub body: bytes::Bytes,
    pub fault: Option<crate::fault::Fault>,
}

impl Responded {
    /// What `plan` sends besides its headers: its body, shared (a chunked
    /// body joined), and its fault.
    pub fn of(plan: &crate::plan::Plan) -> Responded {
        let body = match &plan.body {
            crate::plan::PlanBody::Full(b) => b.clone(),
            crate::plan::PlanBody::Chunks(chunks) => {
                let mut all = Vec::with_capacity(
                    chunks
                        .iter()
                        .map(|(_, c)| c.len())
                        .sum::<usize>()
                        .min(MAX_BODY),
                );
                for (_, c) in chunks {
                    let room = MAX_BODY.saturating_sub(all.len());
                    all.extend_from_slice(&c[..c.len().min(room)]);
                }
                bytes::Bytes::from(all)
            }
        };
        Responded {
            body,
            fault: plan.fault,
        }
    }

    /// WireMock's `LoggedResponse` for `status`, sent with `headers`.
    fn to_json(&self, status: u16, headers: packed::Headers<'_>) -> Value {
        let mut v = json!({"status": status});
        let mut headers = headers.peekable();
        if headers.peek().is_some() {
            v["headers"] = headers_json(headers.map(|(n, v, _)| {
                (
                    std::str::from_utf8(n).unwrap_or_default(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            }));
        }
        v["bodyAsBase64"] = base64::engine::general_purpose::STANDARD
            .encode(&self.body)
            .into();
        if let Some(f) = self.fault {
            v["fault"] = f.name().into();
        }
        v["body"] = String::from_utf8_lossy(&self.body).into();
        v
    }
}

/// Headers as WireMock writes them: one string per name, or an array of
/// its values when there are several.
fn headers_json<'a>(pairs: impl Iterator<Item = (&'a str, String)>) -> Value {
    let mut headers: Map<String, Value> = Map::new();
    for (name, value) in pairs {
        let key = crate::headers::title_case(name);
        match headers.get_mut(&key) {
            None => {
                headers.insert(key, Value::String(value));
            }
            Some(Value::Array(a)) => a.push(Value::String(value)),
            Some(one) => {
                let first = one.take();
                *one = Value::Array(vec![first, Value::String(value)]);
            }
        }
    }
    Value::Object(headers)
}

/// How a request was answered.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: u16,
    /// What was sent (empty when the journal is disabled).
    pub response: Responded,
    pub answered_by: AnsweredBy,
    /// The stub that answered, if one did: shown while it exists.
    pub stub: Option<Weak<Stub>>,
    /// Time to decide the answer (handler included), delays excluded.
    pub process_time: Duration,
    /// Delay added before the answer.
    pub added_delay: Duration,
}

/// One journal entry: the request (its text packed, see [`packed`]; read
/// it whole with [`Entry::request`]) and how it was answered.
pub struct Entry {
    pub seq: u64,
    pub id: Uuid,
    method: http::Method,
    /// Path, query, the request's headers and the answer's.
    text: packed::Text,
    body: bytes::Bytes,
    service: Option<(Arc<str>, usize)>,
    client: Option<std::net::SocketAddr>,
    received_at: SystemTime,
    version: http::Version,
    secure: bool,
    pub outcome: Outcome,
    /// The scopes the request carried.
    pub scopes: crate::scope::Scopes,
    bytes: usize,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("seq", &self.seq)
            .field("id", &self.id)
            .field("method", &self.method)
            .field("path", &self.text.path())
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

impl Entry {
    /// Asks the CPU to bring what dropping this entry reads into its
    /// caches: its packed text and its answer's body (with the header just
    /// before a body that shares its allocation).
    fn prefetch_pieces(&self) {
        let (start, len) = self.text.span();
        prefetch(start, len.min(128));
        let body = &self.outcome.response.body;
        if !body.is_empty() {
            prefetch(body.as_ptr().wrapping_sub(32), 64);
        }
    }

    /// The request, unpacked.
    pub fn request(&self) -> Recorded {
        Recorded {
            method: self.method.clone(),
            path: self.text.path().into(),
            query: self.text.query().map(Into::into),
            headers: self.text.request_headers(),
            body: self.body.clone(),
            service: self.service.clone(),
            client: self.client,
            received_at: self.received_at,
            version: self.version,
            secure: self.secure,
        }
    }

    pub fn method(&self) -> &http::Method {
        &self.method
    }

    /// The path as received.
    pub fn path(&self) -> &str {
        self.text.path()
    }

    /// The service the request resolved to, and where in the path the
    /// path relative to it starts.
    pub fn resolved(&self) -> Option<&(Arc<str>, usize)> {
        self.service.as_ref()
    }

    pub fn received_at(&self) -> SystemTime {
        self.received_at
    }

    /// Whether something answered (a stub, an override or a plugin route).
    pub fn was_matched(&self) -> bool {
        !matches!(self.outcome.answered_by, AnsweredBy::Nothing)
    }

    /// WireMock's `LoggedRequest`.
    pub fn logged_request(&self) -> Value {
        let r = &self.request();
        let mut headers = Map::new();
        for name in r.headers.keys() {
            let values = r.header_values(name.as_str());
            let v = if values.len() == 1 {
                Value::String(values[0].clone())
            } else {
                Value::from(values)
            };
            headers.insert(crate::headers::title_case(name.as_str()), v);
        }
        let mut query = Map::new();
        for (k, v) in r.query_params() {
            let e = query
                .entry(k.clone())
                .or_insert_with(|| json!({"key": k, "values": []}));
            if let Some(vals) = e["values"].as_array_mut() {
                vals.push(Value::String(v));
            }
        }
        let logged_ms = r
            .received_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let url = r.url();
        json!({
            "url": url,
            "absoluteUrl": format!("{}://{}{}", r.scheme(), r.host().unwrap_or("localhost"), url),
            "method": r.method.as_str(),
            "clientIp": r.client.map(|c| c.ip().to_string()).unwrap_or_default(),
            "headers": headers,
            "cookies": {},
            "browserProxyRequest": false,
            "loggedDate": logged_ms,
            "loggedDateString": crate::timestamp::rfc3339(r.received_at),
            "bodyAsBase64": base64::engine::general_purpose::STANDARD.encode(&r.body),
            "body": String::from_utf8_lossy(&r.body),
            "queryParams": query,
            "protocol": r.protocol(),
            "scheme": r.scheme(),
            "service": r.service().map(|(s, _)| s),
        })
        .as_object_mut()
        .map(|o| {
            if !self.scopes.is_empty() {
                o.insert("scopes".into(), self.scopes.to_json());
            }
            Value::Object(std::mem::take(o))
        })
        .unwrap_or_default()
    }

    /// Whether the request carried `scope` (`None`: every entry).
    pub fn in_scope(&self, scope: Option<&str>) -> bool {
        scope.is_none_or(|s| self.scopes.contains(s))
    }

    /// The stub that answered, while it exists.
    pub fn stub(&self) -> Option<Arc<Stub>> {
        self.outcome.stub.as_ref().and_then(Weak::upgrade)
    }

    /// WireMock's serve event (which WireMock's clients parse strictly).
    pub fn to_json(&self) -> Value {
        self.serve_event(false)
    }

    /// WireMock's serve event; with `extensions`, also `answeredBy` (what
    /// answered: override, armed, stub, plugin, server, none).
    pub fn serve_event(&self, extensions: bool) -> Value {
        let o = &self.outcome;
        let process = o.process_time.as_millis() as u64;
        let total = (o.added_delay + o.process_time).as_millis() as u64;
        let definition = if self.was_matched() {
            json!({"status": o.status})
        } else {
            json!({"status": o.status, "fromConfiguredStub": false})
        };
        let mut v = json!({
            "id": self.id.to_string(),
            "request": self.logged_request(),
            "responseDefinition": definition,
            "response": o.response.to_json(o.status, self.text.answer_headers()),
            "wasMatched": self.was_matched(),
            "timing": {
                "addedDelay": o.added_delay.as_millis() as u64,
                "processTime": process,
                "responseSendTime": 0,
                "serveTime": process,
                "totalTime": total,
            },
            "subEvents": [],
        });
        if extensions {
            v["answeredBy"] = o.answered_by.to_json();
        }
        if let (AnsweredBy::Stub(id), Some(obj)) = (&o.answered_by, v.as_object_mut()) {
            match o.stub.as_ref().and_then(Weak::upgrade) {
                Some(stub) => {
                    obj.insert("stubMapping".into(), stub.json.clone());
                    if let Some(resp) = stub.json.get("response") {
                        obj.insert("responseDefinition".into(), resp.clone());
                    }
                }
                // Removed or replaced since: only its id is left.
                None => {
                    let id = id.to_string();
                    obj.insert("stubMapping".into(), json!({"id": id, "uuid": id}));
                }
            }
        }
        v
    }
}

/// The bytes an entry keeps: its packed text (path, query, headers), the
/// request's and the answer's bodies, and the fixed part (the entry, its
/// reference counts, the ring slot, and the stub it refers to, whose
/// memory a removed stub leaves until the entry goes).
fn charge(text: &packed::Text, body: &bytes::Bytes, outcome: &Outcome) -> usize {
    const COUNTS: usize = 2 * size_of::<usize>();
    const FIXED: usize = size_of::<Entry>() + COUNTS + size_of::<Arc<Entry>>();
    let stub = if outcome.stub.is_some() {
        size_of::<Stub>() + COUNTS
    } else {
        0
    };
    FIXED + stub + text.len() + body.len() + outcome.response.body.len()
}

/// Asks the CPU to bring `entry` into its caches, ahead of its shard
/// dropping it on one of its next records: a few dozen requests from now,
/// while the entry was written `--journal-size` requests ago.
fn prefetch_entry(entry: &Arc<Entry>) {
    // The reference counts come first, just before the entry.
    const COUNTS: usize = 2 * size_of::<usize>();
    let start = Arc::as_ptr(entry).cast::<u8>().wrapping_sub(COUNTS);
    prefetch(start, COUNTS + size_of::<Entry>());
}

/// Asks the CPU to bring the `len` bytes at `start` into its caches.
fn prefetch(start: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    for line in (0..len).step_by(64) {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch is a hint: it never faults, and neither reads
        // into the program nor writes.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(line).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (start, len);
}

/// Bytes the journal keeps at most about the routes of the entries its
/// bounds dropped (see [`evicted`]).
pub const EVICTED_ROUTES_BUDGET: usize = 1024 * 1024;

#[derive(Default)]
struct Shard {
    entries: VecDeque<Arc<Entry>>,
    bytes: usize,
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
    /// New entries, for waits; sent to only while someone listens.
    news: tokio::sync::broadcast::Sender<Arc<Entry>>,
    listeners: std::sync::atomic::AtomicUsize,
}

/// New entries a wait may lag behind before it rereads the journal.
const NEWS_CAPACITY: usize = 1024;

/// A subscription to new entries; stops the news when the last one goes.
pub struct Listener<'a> {
    journal: &'a Journal,
    /// New entries since subscribing.
    pub news: tokio::sync::broadcast::Receiver<Arc<Entry>>,
}

impl Drop for Listener<'_> {
    fn drop(&mut self) {
        self.journal.listeners.fetch_sub(1, Ordering::AcqRel);
    }
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
            news: tokio::sync::broadcast::channel(NEWS_CAPACITY).0,
            listeners: Default::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.size > 0
    }

    fn shard(&self, seq: u64) -> &Mutex<Shard> {
        &self.shards[seq as usize & (self.shards.len() - 1)]
    }

    /// Records a request and its outcome (answered with no headers).
    pub fn record(&self, request: &Recorded, outcome: Outcome) {
        self.record_scoped(request, crate::scope::Scopes::default(), outcome, &[]);
    }

    /// Subscribes to the entries recorded from now on.
    pub fn listen(&self) -> Listener<'_> {
        self.listeners.fetch_add(1, Ordering::AcqRel);
        Listener {
            journal: self,
            news: self.news.subscribe(),
        }
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
    /// `headers`.
    pub fn record_scoped(
        &self,
        request: &Recorded,
        scopes: crate::scope::Scopes,
        mut outcome: Outcome,
        headers: &[(HeaderName, HeaderValue)],
    ) {
        if !self.enabled() {
            return;
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
        });
        // Entries this much older than this one are past the newest `size`.
        let size = self.size as u64;
        let mut shard = lock(self.shard(seq));
        shard.bytes += bytes;
        // Checked under the shard's lock: a wait subscribing after this
        // reads the entry from the journal.
        let news = (self.listeners.load(Ordering::Acquire) > 0).then(|| entry.clone());
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
                shard.bytes -= old.bytes;
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
            // No receiver left: nobody waits any more.
            let _ = self.news.send(entry);
        }
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
                shard.bytes -= gone.bytes;
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
                    shard.bytes -= e.bytes;
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
            // A new ring: the old one's capacity goes too.
            *shard = Shard::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn rec(path: &str, body: usize) -> Arc<Recorded> {
        rec_with_query(path, body, "a=1&a=2")
    }

    fn rec_with_query(path: &str, body: usize, query: &str) -> Arc<Recorded> {
        Arc::new(Recorded {
            method: http::Method::GET,
            path: path.into(),
            query: Some(query.into()),
            headers: http::HeaderMap::new(),
            body: Bytes::from(vec![b'x'; body]),
            service: None,
            client: None,
            received_at: SystemTime::now(),
            version: http::Version::HTTP_11,
            secure: false,
        })
    }

    fn outcome(by: AnsweredBy) -> Outcome {
        Outcome {
            status: 200,
            response: Responded::default(),
            answered_by: by,
            stub: None,
            process_time: Duration::ZERO,
            added_delay: Duration::ZERO,
        }
    }

    /// The paths of the entries shown, newest first.
    fn paths(j: &Journal) -> Vec<String> {
        j.all().iter().map(|e| e.path().to_string()).collect()
    }

    fn record_paths(j: &Journal, range: std::ops::Range<usize>) {
        for i in range {
            j.record(&rec(&format!("/{i}"), 0), outcome(AnsweredBy::Nothing));
        }
    }

    fn newest(range: std::ops::Range<usize>) -> Vec<String> {
        range.rev().map(|i| format!("/{i}")).collect()
    }

    #[test]
    fn a_journal_of_size_one_hundred_keeps_the_newest_hundred() {
        let j = Journal::new(100);
        record_paths(&j, 0..1000);
        assert_eq!(paths(&j), newest(900..1000));
    }

    #[test]
    fn a_journal_of_size_one_keeps_the_newest_entry_only() {
        let j = Journal::new(1);
        record_paths(&j, 0..50);
        assert_eq!(paths(&j), newest(49..50));
        let stored: usize = j.shards.iter().map(|s| lock(s).entries.len()).sum();
        assert_eq!(stored, 1, "nothing kept beyond it");
    }

    #[test]
    fn a_large_sharded_journal_keeps_exactly_its_size() {
        let j = Journal::new(10_000);
        assert_eq!(j.shards.len(), MAX_SHARDS);
        record_paths(&j, 0..25_013);
        assert_eq!(paths(&j), newest(15_013..25_013));
        let stored: usize = j.shards.iter().map(|s| lock(s).entries.len()).sum();
        assert!(stored < 10_000 + MAX_SHARDS, "{stored} kept");
    }

    #[test]
    fn query_strings_count_against_the_byte_budget() {
        let j = Journal::new(1_000_000);
        let query = "q=".to_owned() + &"a".repeat(60_000);
        for i in 0..2000 {
            j.record(
                &rec_with_query(&format!("/{i}"), 0, &query),
                outcome(AnsweredBy::Nothing),
            );
        }
        assert!(j.bytes() <= BYTE_BUDGET, "{} bytes charged", j.bytes());
        let kept: usize = j
            .all()
            .iter()
            .map(|e| e.request().query.as_ref().map_or(0, |q| q.len()))
            .sum();
        assert!(kept <= BYTE_BUDGET, "{kept} bytes of queries kept");
        assert!(j.len() < 2000);
    }

    #[test]
    fn every_entry_is_charged_its_bookkeeping() {
        let j = Journal::new(1);
        j.record(&rec("/", 0), outcome(AnsweredBy::Nothing));
        assert!(
            j.bytes() >= size_of::<Entry>() + size_of::<Arc<Entry>>(),
            "{} bytes charged",
            j.bytes()
        );
    }

    #[test]
    fn a_disabled_journal_keeps_nothing() {
        let j = Journal::new(0);
        j.record(&rec("/", 0), outcome(AnsweredBy::Nothing));
        assert!(j.is_empty());
    }

    #[test]
    fn bodies_count_against_the_byte_budget() {
        let j = Journal::new(1_000_000);
        for i in 0..200 {
            j.record(
                &rec(&format!("/{i}"), MAX_BODY),
                outcome(AnsweredBy::Nothing),
            );
        }
        j.record(&rec("/huge", 3 * MAX_BODY), outcome(AnsweredBy::Nothing));
        assert_eq!(
            j.all()[0].request().body.len(),
            MAX_BODY,
            "a huge body is truncated"
        );
        let kept: usize = j.all().iter().map(|e| e.request().body.len()).sum();
        assert!(kept <= BYTE_BUDGET + MAX_SHARDS * MAX_BODY, "{kept}");
        assert!(j.len() < 200);
    }

    #[test]
    fn response_bodies_count_against_the_byte_budget_and_are_kept_truncated() {
        let j = Journal::new(1_000_000);
        let body = Bytes::from(vec![b'y'; 2 * MAX_BODY]);
        for i in 0..100 {
            let mut o = outcome(AnsweredBy::Nothing);
            o.response.body = body.clone();
            j.record(&rec(&format!("/{i}"), 0), o);
        }
        assert_eq!(j.all()[0].outcome.response.body.len(), MAX_BODY);
        assert!(j.bytes() <= BYTE_BUDGET, "{} bytes charged", j.bytes());
        assert!(j.bytes() >= MAX_BODY, "{} bytes charged", j.bytes());
        assert!(j.len() < 100, "{} kept", j.len());
    }

    #[test]
    fn a_chunked_answer_is_recorded_joined() {
        let mut plan = crate::plan::Plan::empty(http::StatusCode::OK);
        plan.body = crate::plan::PlanBody::Chunks(vec![
            (Duration::ZERO, Bytes::from_static(b"ab")),
            (Duration::ZERO, Bytes::from_static(b"cd")),
        ]);
        assert_eq!(&Responded::of(&plan).body[..], b"abcd");
    }

    fn pattern(v: Value) -> RequestPattern {
        RequestPattern::parse(&v, "").unwrap()
    }

    /// A journal of one entry that has dropped `GET /shop/price?id=1` of
    /// scope `s1` and `POST /orders`.
    fn after_evictions() -> Journal {
        let j = Journal::new(1);
        let mut price = (*rec_with_query("/shop/price", 0, "id=1")).clone();
        price.service = Some(("shop".into(), "/shop".len()));
        let scopes = crate::scope::Scopes::one("s1");
        j.record_scoped(&price, scopes, outcome(AnsweredBy::Nothing), &[]);
        let mut order = (*rec("/orders", 0)).clone();
        order.method = http::Method::POST;
        j.record(&order, outcome(AnsweredBy::Nothing));
        j.record(&rec("/kept", 0), outcome(AnsweredBy::Nothing));
        j
    }

    #[test]
    fn a_pattern_no_dropped_entry_could_match_counts_no_evictions() {
        let j = after_evictions();
        for p in [
            json!({"urlPath": "/kept"}),
            json!({"method": "GET", "urlPath": "/orders"}),
            json!({"urlPath": "/shop/price", "service": "shop"}),
            json!({"urlPathPattern": "/shop/p.*", "service": "shop"}),
            json!({"url": "/price?id=2", "service": "other"}),
        ] {
            assert_eq!(j.evicted(None, &pattern(p.clone())), 0, "{p}");
        }
        let orders = pattern(json!({"urlPath": "/orders"}));
        assert_eq!(j.evicted(Some("s1"), &orders), 0, "not of the scope");
    }

    #[test]
    fn a_pattern_a_dropped_entry_could_match_counts_it() {
        let j = after_evictions();
        for (p, n) in [
            (json!({}), 2),
            (json!({"method": "POST", "urlPath": "/orders"}), 1),
            (json!({"urlPath": "/price", "service": "shop"}), 1),
            (json!({"urlPathTemplate": "/{what}", "service": "shop"}), 1),
            // The query, headers and body were not kept: they may match.
            (json!({"url": "/price?id=2", "service": "shop"}), 1),
            (
                json!({"urlPath": "/orders", "headers": {"x": {"equalTo": "y"}}}),
                1,
            ),
            (json!({"urlPattern": "/nothing.*"}), 2),
        ] {
            assert_eq!(j.evicted(None, &pattern(p.clone())), n, "{p}");
        }
        let any = pattern(json!({}));
        assert_eq!(j.evicted(Some("s1"), &any), 1);
        assert_eq!(j.evicted(Some("s2"), &any), 0);
    }

    #[test]
    fn past_the_budget_of_routes_every_dropped_entry_of_the_scope_counts() {
        let j = Journal::new(1);
        let long = "x".repeat(8 * 1024);
        let routes = EVICTED_ROUTES_BUDGET / long.len() + 2;
        for i in 0..routes {
            let scopes = crate::scope::Scopes::one("s1");
            let r = rec(&format!("/{i}/{long}"), 0);
            j.record_scoped(&r, scopes, outcome(AnsweredBy::Nothing), &[]);
        }
        let nothing = pattern(json!({"urlPath": "/nothing"}));
        let dropped = routes as u64 - 1;
        assert_eq!(j.evicted(None, &nothing), dropped);
        assert_eq!(j.evicted(Some("s1"), &nothing), dropped);
        assert_eq!(j.evicted(Some("s2"), &nothing), 0);
    }

    #[test]
    fn find_unmatched_get_remove() {
        let j = Journal::new(10);
        j.record(&rec("/a", 0), outcome(AnsweredBy::Nothing));
        j.record(&rec("/b", 0), outcome(AnsweredBy::Override));
        j.record(&rec("/a", 0), outcome(AnsweredBy::Server));
        let pattern = RequestPattern::parse(&json!({"urlPath": "/a"}), "").unwrap();
        assert_eq!(j.find(&pattern).len(), 2);
        assert_eq!(j.unmatched().len(), 1);
        let id = j.all()[0].id;
        assert!(j.get(id).is_some());
        assert!(j.remove(id));
        assert!(!j.remove(id));
        assert_eq!(j.len(), 2);
        let logged = j.all()[0].logged_request();
        assert_eq!(logged["url"], "/b?a=1&a=2");
        assert_eq!(logged["queryParams"]["a"]["values"], json!(["1", "2"]));
        j.clear();
        assert!(j.is_empty());
    }
}
