//! The request journal: the last `--journal-size` requests, with what
//! answered them, in WireMock's shape.
//!
//! Entries go into one of several shards by sequence number, each behind
//! its own short lock, so concurrent requests rarely contend; each shard
//! keeps its share of the entry count and of a byte budget, so memory stays
//! bounded whatever the load. Reads (admin calls) merge the shards.

use crate::matchers::RequestPattern;
use crate::request::Recorded;
use crate::sync::lock;
use base64::Engine;
use serde_json::{Map, Value, json};
use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime},
};
use uuid::Uuid;

const SHARDS: usize = 16;
/// Bytes of request bodies and headers the journal keeps at most.
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

/// How a request was answered.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: u16,
    pub answered_by: AnsweredBy,
    /// The stub's mapping JSON, when a stub answered.
    pub stub: Option<Value>,
    /// Time to decide the answer (handler included), delays excluded.
    pub process_time: Duration,
    /// Delay added before the answer.
    pub added_delay: Duration,
}

/// One journal entry.
#[derive(Debug)]
pub struct Entry {
    pub seq: u64,
    pub id: Uuid,
    pub request: Arc<Recorded>,
    pub outcome: Outcome,
    bytes: usize,
}

impl Entry {
    /// Whether something answered (a stub, an override or a plugin route).
    pub fn was_matched(&self) -> bool {
        !matches!(self.outcome.answered_by, AnsweredBy::Nothing)
    }

    /// WireMock's `LoggedRequest`.
    pub fn logged_request(&self) -> Value {
        let r = &self.request;
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
            "absoluteUrl": format!("http://{}{}", r.host().unwrap_or("localhost"), url),
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
            "service": r.service().map(|(s, _)| s),
        })
    }

    /// WireMock's serve event.
    pub fn to_json(&self) -> Value {
        let o = &self.outcome;
        let mut v = json!({
            "id": self.id.to_string(),
            "request": self.logged_request(),
            "responseDefinition": {"status": o.status},
            "response": {"status": o.status},
            "wasMatched": self.was_matched(),
            "answeredBy": o.answered_by.to_json(),
            "timing": {
                "addedDelay": o.added_delay.as_millis() as u64,
                "processTime": o.process_time.as_millis() as u64,
                "totalTime": (o.added_delay + o.process_time).as_millis() as u64,
            },
        });
        if let (Some(stub), Some(obj)) = (&o.stub, v.as_object_mut()) {
            obj.insert("stubMapping".into(), stub.clone());
            if let Some(resp) = stub.get("response") {
                obj.insert("responseDefinition".into(), resp.clone());
            }
        }
        v
    }
}

#[derive(Default)]
struct Shard {
    entries: VecDeque<Arc<Entry>>,
    bytes: usize,
}

/// The journal.
pub struct Journal {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
    bytes_per_shard: usize,
    seq: AtomicU64,
    /// Entry ids are this random UUID with the sequence number mixed into
    /// its low bits: unique, and no system call per request.
    id_base: u128,
}

impl Journal {
    /// A journal of at most `size` entries (0 disables it).
    pub fn new(size: usize) -> Journal {
        Journal {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: size.div_ceil(SHARDS),
            bytes_per_shard: BYTE_BUDGET / SHARDS,
            seq: AtomicU64::new(0),
            id_base: Uuid::new_v4().as_u128(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.per_shard > 0
    }

    /// Records a request and its outcome.
    pub fn record(&self, request: Arc<Recorded>, outcome: Outcome) {
        if !self.enabled() {
            return;
        }
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let request = if request.body.len() > MAX_BODY {
            // Keep a truncated copy, not the whole upload.
            let mut copy = (*request).clone();
            copy.body = bytes::Bytes::copy_from_slice(&request.body[..MAX_BODY]);
            Arc::new(copy)
        } else {
            request
        };
        let bytes = request.body.len()
            + request.path.len()
            + request
                .headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len())
                .sum::<usize>();
        let entry = Arc::new(Entry {
            seq,
            // The low 62 bits: the variant bits stay those of a v4 UUID.
            id: Uuid::from_u128(self.id_base ^ u128::from(seq & (u64::MAX >> 2))),
            request,
            outcome,
            bytes,
        });
        let mut shard = lock(&self.shards[seq as usize % SHARDS]);
        shard.bytes += bytes;
        shard.entries.push_back(entry);
        while shard.entries.len() > self.per_shard
            || (shard.bytes > self.bytes_per_shard && shard.entries.len() > 1)
        {
            if let Some(old) = shard.entries.pop_front() {
                shard.bytes -= old.bytes;
            }
        }
    }

    /// All entries, newest first.
    pub fn all(&self) -> Vec<Arc<Entry>> {
        let mut v: Vec<Arc<Entry>> = self
            .shards
            .iter()
            .flat_map(|s| lock(s).entries.iter().cloned().collect::<Vec<_>>())
            .collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.seq));
        v
    }

    /// Number of entries kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).entries.len()).sum()
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
            .filter(|e| pattern.matches(&e.request))
            .collect();
        v.reverse();
        v
    }

    /// Requests nothing answered, oldest first.
    pub fn unmatched(&self) -> Vec<Arc<Entry>> {
        let mut v: Vec<Arc<Entry>> = self
            .all()
            .into_iter()
            .filter(|e| !e.was_matched())
            .collect();
        v.reverse();
        v
    }

    /// The entry `id`.
    pub fn get(&self, id: Uuid) -> Option<Arc<Entry>> {
        self.shards
            .iter()
            .find_map(|s| lock(s).entries.iter().find(|e| e.id == id).cloned())
    }

    /// Removes the entry `id`; whether it existed.
    pub fn remove(&self, id: Uuid) -> bool {
        for s in &self.shards {
            let mut shard = lock(s);
            if let Some(pos) = shard.entries.iter().position(|e| e.id == id) {
                if let Some(e) = shard.entries.remove(pos) {
                    shard.bytes -= e.bytes;
                }
                return true;
            }
        }
        false
    }

    /// Empties the journal.
    pub fn clear(&self) {
        for s in &self.shards {
            let mut shard = lock(s);
            shard.entries.clear();
            shard.bytes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn rec(path: &str, body: usize) -> Arc<Recorded> {
        Arc::new(Recorded {
            method: http::Method::GET,
            path: path.to_owned(),
            query: Some("a=1&a=2".to_owned()),
            headers: http::HeaderMap::new(),
            body: Bytes::from(vec![b'x'; body]),
            service: None,
            client: None,
            received_at: SystemTime::now(),
        })
    }

    fn outcome(by: AnsweredBy) -> Outcome {
        Outcome {
            status: 200,
            answered_by: by,
            stub: None,
            process_time: Duration::ZERO,
            added_delay: Duration::ZERO,
        }
    }

    #[test]
    fn keeps_the_newest_entries_up_to_its_size() {
        let j = Journal::new(100);
        for i in 0..1000 {
            j.record(rec(&format!("/{i}"), 0), outcome(AnsweredBy::Nothing));
        }
        let all = j.all();
        assert!(all.len() <= 112 && all.len() >= 100, "{}", all.len());
        assert_eq!(all[0].request.path, "/999");
        assert!(all.iter().all(|e| e.seq >= 1000 - 112));
    }

    #[test]
    fn a_disabled_journal_keeps_nothing() {
        let j = Journal::new(0);
        j.record(rec("/", 0), outcome(AnsweredBy::Nothing));
        assert!(j.is_empty());
    }

    #[test]
    fn bodies_count_against_the_byte_budget() {
        let j = Journal::new(1_000_000);
        for i in 0..200 {
            j.record(
                rec(&format!("/{i}"), MAX_BODY),
                outcome(AnsweredBy::Nothing),
            );
        }
        j.record(rec("/huge", 3 * MAX_BODY), outcome(AnsweredBy::Nothing));
        assert_eq!(
            j.all()[0].request.body.len(),
            MAX_BODY,
            "a huge body is truncated"
        );
        let kept: usize = j.all().iter().map(|e| e.request.body.len()).sum();
        assert!(kept <= BYTE_BUDGET + SHARDS * MAX_BODY, "{kept}");
        assert!(j.len() < 200);
    }

    #[test]
    fn find_unmatched_get_remove() {
        let j = Journal::new(10);
        j.record(rec("/a", 0), outcome(AnsweredBy::Nothing));
        j.record(rec("/b", 0), outcome(AnsweredBy::Override));
        j.record(rec("/a", 0), outcome(AnsweredBy::Server));
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
