//! Scopes: the tests sharing one server each tag their requests, stubs and
//! next-request overrides with a scope, so that they do not see each
//! other's. A request belongs to every scope it carries in an
//! `X-Fake-Servicer-Scope` header, a W3C `baggage` member
//! `fake-servicer-scope`, or as the trace id of a W3C `traceparent`.
//!
//! The scopes of a request are read once, when it arrives; a request
//! without those headers costs one look at each header's name.

use http::HeaderMap;
use serde_json::Value;
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

/// The header naming a request's scope (also the admin API's scope filter
/// and the scope of stubs it creates).
pub const HEADER: &str = "x-fake-servicer-scope";
/// The `baggage` member naming a request's scope.
pub const BAGGAGE_KEY: &str = "fake-servicer-scope";
/// The header naming the scope an arming request arms for.
pub const NEXT_REQUEST_HEADER: &str = "x-fake-servicer-next-request-scope";
/// Longest scope name kept; longer ones are ignored.
pub const MAX_LEN: usize = 256;
/// Most scopes one request belongs to; further ones are ignored.
pub const MAX_PER_REQUEST: usize = 8;
/// Default of `--scope-idle-secs`: a scope's stubs and overrides go after
/// this long without a request or change in the scope.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(3600);

/// Most scopes whose idle time is tracked; past it, the least recently
/// used hundredth is no longer tracked (their stubs stay until removed or
/// reset).
pub const MAX_TRACKED: usize = 100_000;

/// The scopes a request belongs to, in order: header, baggage, trace id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Box<[Arc<str>]>);

impl Scopes {
    /// The scopes `headers` carry (none allocated when none are present).
    pub fn from_headers(headers: &HeaderMap) -> Scopes {
        // Most requests carry none of the three: one pass over the names
        // (standard ones compare as static strings) instead of three
        // lookups, each hashing a name parsed from text.
        let carries = headers.keys().any(|name| {
            let name = name.as_str();
            name == HEADER || name == "baggage" || name == "traceparent"
        });
        if !carries {
            return Scopes::default();
        }
        let mut out: Vec<Arc<str>> = Vec::new();
        let mut add = |s: &str| {
            let s = s.trim();
            if !s.is_empty()
                && s.len() <= MAX_LEN
                && out.len() < MAX_PER_REQUEST
                && !out.iter().any(|o| &**o == s)
            {
                out.push(Arc::from(s));
            }
        };
        for v in headers.get_all(HEADER) {
            if let Ok(s) = v.to_str() {
                add(s);
            }
        }
        for v in headers.get_all("baggage") {
            if let Ok(s) = v.to_str() {
                for member in s.split(',') {
                    let kv = member.split(';').next().unwrap_or_default();
                    if let Some((k, val)) = kv.split_once('=')
                        && k.trim() == BAGGAGE_KEY
                    {
                        add(&percent_encoding::percent_decode_str(val.trim()).decode_utf8_lossy());
                    }
                }
            }
        }
        if let Some(id) = headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .and_then(trace_id)
        {
            add(id);
        }
        Scopes(out.into_boxed_slice())
    }

    /// One scope.
    pub fn one(s: &str) -> Scopes {
        Scopes(Box::new([Arc::from(s)]))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the request belongs to `scope`.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| &**s == scope)
    }

    /// Whether something owned by `owner` (a stub's scope; `None`:
    /// unscoped) can answer the request: unscoped, or of one of its scopes.
    pub fn admits(&self, owner: Option<&str>) -> bool {
        owner.is_none_or(|s| self.contains(s))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<str>> {
        self.0.iter()
    }

    /// The first scope (the one an arming request arms for by default).
    pub fn first(&self) -> Option<&Arc<str>> {
        self.0.first()
    }

    /// As a JSON array of names.
    pub fn to_json(&self) -> Value {
        Value::from(self.0.iter().map(|s| Value::from(&**s)).collect::<Vec<_>>())
    }
}

/// The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`),
/// lower case; `None` when malformed or all zeros.
fn trace_id(v: &str) -> Option<&str> {
    let mut parts = v.trim().split('-');
    let version = parts.next()?;
    let id = parts.next()?;
    let parent = parts.next()?;
    let ok = version.len() == 2
        && version != "ff"
        && id.len() == 32
        && parent.len() == 16
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && id.bytes().any(|b| b != b'0');
    ok.then_some(id)
}

/// The scope an admin call names in its `X-Fake-Servicer-Scope` header.
pub fn of_admin_request(headers: &HeaderMap) -> Option<String> {
    headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// When each scope that holds stubs, overrides or writes to declared
/// resources was last used, so that idle ones can be removed. Scopes only requests carry are not tracked
/// (their journal entries go with the journal's own bounds).
#[derive(Default)]
pub struct Activity {
    last: Mutex<HashMap<Arc<str>, Instant>>,
    /// How many scopes are tracked: requests skip the lock at 0.
    tracked: AtomicUsize,
}

impl Activity {
    /// `scope` holds something, or was just used.
    pub fn touch(&self, scope: &Arc<str>) {
        let mut last = crate::sync::lock(&self.last);
        if last.len() >= MAX_TRACKED && !last.contains_key(scope) {
            // Full: the least recently used hundredth stops being tracked,
            // found in one pass, so that the next touches at the cap find
            // room without scanning.
            let mut by_age: Vec<(Instant, Arc<str>)> =
                last.iter().map(|(s, t)| (*t, s.clone())).collect();
            let drop = (by_age.len() / 100).max(1);
            by_age.select_nth_unstable_by_key(drop - 1, |(t, _)| *t);
            for (_, s) in &by_age[..drop] {
                last.remove(s);
            }
        }
        last.insert(scope.clone(), Instant::now());
        self.tracked.store(last.len(), Ordering::Release);
    }

    /// A request of these scopes arrived: those tracked are in use.
    pub fn used(&self, scopes: &Scopes) {
        if scopes.is_empty() || self.tracked.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut last = crate::sync::lock(&self.last);
        let now = Instant::now();
        for s in scopes.iter() {
            if let Some(t) = last.get_mut(s) {
                *t = now;
            }
        }
    }

    /// Stops tracking `scope`.
    pub fn forget(&self, scope: &str) {
        let mut last = crate::sync::lock(&self.last);
        last.remove(scope);
        self.tracked.store(last.len(), Ordering::Release);
    }

    /// Stops tracking everything.
    pub fn clear(&self) {
        *crate::sync::lock(&self.last) = HashMap::new();
        self.tracked.store(0, Ordering::Release);
    }

    /// Removes and returns the scopes idle for at least `idle`.
    pub fn take_idle(&self, idle: Duration) -> Vec<Arc<str>> {
        let mut last = crate::sync::lock(&self.last);
        let now = Instant::now();
        let stale: Vec<Arc<str>> = last
            .iter()
            .filter(|(_, t)| now.duration_since(**t) >= idle)
            .map(|(s, _)| s.clone())
            .collect();
        for s in &stale {
            last.remove(s);
        }
        self.tracked.store(last.len(), Ordering::Release);
        stale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_oldest_hundredth_stops_being_tracked_in_one_pass() {
        let activity = Activity::default();
        let first: Arc<str> = Arc::from("first");
        activity.touch(&first);
        for i in 1..MAX_TRACKED {
            activity.touch(&Arc::from(format!("s{i}")));
        }
        assert_eq!(activity.tracked.load(Ordering::Acquire), MAX_TRACKED);
        activity.touch(&Arc::from("one more"));
        let tracked = activity.tracked.load(Ordering::Acquire);
        assert_eq!(tracked, MAX_TRACKED - MAX_TRACKED / 100 + 1);
        assert!(!crate::sync::lock(&activity.last).contains_key(&first));
        // Room for the next ones without another pass.
        activity.touch(&Arc::from("and another"));
        assert_eq!(activity.tracked.load(Ordering::Acquire), tracked + 1);
    }
    use crate::headers::map as headers;

    #[test]
    fn scopes_come_from_the_header_the_baggage_and_the_trace_id() {
        let s = Scopes::from_headers(&headers(&[
            ("x-fake-servicer-scope", " a "),
            ("baggage", "k=v, fake-servicer-scope=b%20c;p=1"),
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
        ]));
        let names: Vec<&str> = s.iter().map(|s| &**s).collect();
        assert_eq!(names, ["a", "b c", "4bf92f3577b34da6a3ce929d0e0e4736"]);
    }

    #[test]
    fn malformed_trace_ids_and_empty_values_are_no_scope() {
        for tp in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f35-00f067aa0ba902b7-01",
            "garbage",
        ] {
            let s = Scopes::from_headers(&headers(&[
                ("traceparent", tp),
                ("x-fake-servicer-scope", "  "),
            ]));
            assert!(s.is_empty(), "{tp}");
        }
    }
}
