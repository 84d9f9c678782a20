//! Next-request overrides: a request carrying
//! `X-Fake-Servicer-Next-Request-*` headers arms a one-shot answer for the
//! next request with the same (service, method, path); several armed for
//! one key are served first in, first out.

pub(crate) mod source;

use crate::{
    fault::Fault,
    headers,
    plan::{MAX_DELAY_MS, Plan, PlanBody},
};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};
use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

/// Prefix of the override headers (compared lower-case).
pub const PREFIX: &str = "x-fake-servicer-next-request-";

/// An armed answer. Unset parts come from what would have answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Override {
    pub status: Option<StatusCode>,
    pub body: Option<Bytes>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub times: u32,
    pub delay: Option<Duration>,
    pub fault: Option<Fault>,
}

/// A malformed override header: its name and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideError {
    pub header: String,
    pub reason: String,
}

fn bad(header: &str, reason: impl Into<String>) -> OverrideError {
    OverrideError {
        header: header.to_owned(),
        reason: reason.into(),
    }
}

impl Override {
    /// Reads the override headers of a request: `None` when it has none.
    pub fn from_headers(request: &HeaderMap) -> Option<Result<Override, OverrideError>> {
        let mut any = false;
        let mut o = Override {
            times: 1,
            ..Override::default()
        };
        for (name, value) in request {
            let Some(part) = name.as_str().strip_prefix(PREFIX) else {
                continue;
            };
            if part == "scope" {
                // Says which scope the headers arm for; arms nothing alone.
                continue;
            }
            any = true;
            let display = headers::title_case(name.as_str());
            let text = || {
                value
                    .to_str()
                    .map(str::trim)
                    .map_err(|_| bad(&display, "not visible ASCII"))
            };
            let result = match part {
                "status" => text().and_then(|t| {
                    t.parse::<u16>()
                        .ok()
                        .and_then(crate::plan::status)
                        .map(|s| o.status = Some(s))
                        .ok_or_else(|| {
                            bad(
                                &display,
                                format!("expected an HTTP status (100-599), found {t:?}"),
                            )
                        })
                }),
                "body" => {
                    o.body = Some(Bytes::copy_from_slice(value.as_bytes()));
                    Ok(())
                }
                "headers" => text().and_then(|t| parse_headers(t, &display).map(|h| o.headers = h)),
                "times" => text().and_then(|t| {
                    t.parse::<u32>()
                        .ok()
                        .filter(|n| *n >= 1)
                        .map(|n| o.times = n)
                        .ok_or_else(|| {
                            bad(
                                &display,
                                format!("expected a whole number of 1 or more, found {t:?}"),
                            )
                        })
                }),
                "delay" => text().and_then(|t| {
                    t.parse::<u64>()
                        .ok()
                        .filter(|ms| *ms <= MAX_DELAY_MS)
                        .map(|ms| o.delay = Some(Duration::from_millis(ms)))
                        .ok_or_else(|| {
                            bad(
                                &display,
                                format!("expected milliseconds (a whole number from 0 to {MAX_DELAY_MS}), found {t:?}"),
                            )
                        })
                }),
                "fault" => text().and_then(|t| {
                    Fault::from_name(t)
                        .map(|f| o.fault = Some(f))
                        .map_err(|e| bad(&display, e.to_string()))
                }),
                _ => Err(bad(
                    &display,
                    "unknown override header (known: Status, Body, Headers, Times, Delay, Fault, Scope)",
                )),
            };
            if let Err(e) = result {
                return Some(Err(e));
            }
        }
        any.then_some(Ok(o))
    }

    /// Whether the normal answer is needed to fill unset parts: always,
    /// unless a fault replaces the answer (headers are never all set).
    pub fn needs_base(&self) -> bool {
        self.fault.is_none()
    }

    /// Applies the override on top of `base` (what would have answered):
    /// status, body, delay and fault replace the base's when set; override
    /// headers replace the base's headers of the same name, the others are
    /// kept; a replaced body drops the base's Content-Length.
    pub fn apply(&self, mut base: Plan) -> Plan {
        if let Some(s) = self.status {
            base.status = s;
            base.reason = None;
        }
        if let Some(b) = &self.body {
            base.body = PlanBody::Full(b.clone());
            base.headers
                .retain(|(n, _)| n != http::header::CONTENT_LENGTH);
        }
        for (name, _) in &self.headers {
            base.headers.retain(|(n, _)| n != name);
        }
        base.headers.extend(self.headers.iter().cloned());
        if let Some(d) = self.delay {
            base.delay = d;
        }
        if self.fault.is_some() {
            base.fault = self.fault;
        }
        base
    }

    /// What the arming request answers (202).
    pub fn describe(&self, service: &str, method: &Method, path: &str) -> Value {
        json!({
            "armed": {
                "service": service,
                "method": method.as_str(),
                "path": path,
                "status": self.status.map(|s| s.as_u16()),
                "body": self.body.as_ref().map(|b| String::from_utf8_lossy(b).into_owned()),
                "headers": headers::to_json(&self.headers),
                "times": self.times,
                "delay_ms": self.delay.map(|d| d.as_millis() as u64),
                "fault": self.fault.map(Fault::name),
            }
        })
    }
}

/// The pairs of the `Headers` override: a JSON object of headers.
fn parse_headers(
    text: &str,
    display: &str,
) -> Result<Vec<(HeaderName, HeaderValue)>, OverrideError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| bad(display, format!("expected a JSON object of headers: {e}")))?;
    headers::from_json(&v).map_err(|e| bad(display, e.reason))
}

/// Service, method, path, and the scope armed for (none: every request).
type Key = (String, Method, String, Option<Arc<str>>);

/// Overrides armed at most at once, by default.
pub const DEFAULT_MAX_ARMED: usize = 10_000;
/// Bytes armed overrides hold at most, by default.
pub const DEFAULT_MAX_ARMED_BYTES: usize = 16 * 1024 * 1024;

/// The bytes an armed override holds: its body and headers, its copy of
/// the key, and its own size.
fn held_bytes(key: &Key, o: &Override) -> usize {
    std::mem::size_of::<Override>()
        + std::mem::size_of::<Key>()
        + key.0.len()
        + key.2.len()
        + key.3.as_ref().map_or(0, |s| s.len())
        + o.body.as_ref().map_or(0, Bytes::len)
        + o.headers
            .iter()
            .map(|(n, v)| {
                std::mem::size_of::<(HeaderName, HeaderValue)>() + n.as_str().len() + v.len()
            })
            .sum::<usize>()
}

/// Arming refused: a cap is reached. Nothing was armed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmError {
    /// What is full, with the cap and the flag that sets it.
    pub message: String,
    /// The flag that sets the cap.
    pub flag: &'static str,
    /// The cap.
    pub cap: usize,
}

#[derive(Default)]
struct Armed {
    queues: HashMap<Key, VecDeque<Override>>,
    /// Overrides armed (each armed header set once).
    count: usize,
    /// Bytes they hold ([`held_bytes`]).
    bytes: usize,
}

impl Armed {
    /// Gives the memory of an emptied map back (a `HashMap` keeps its
    /// capacity otherwise).
    fn shrink_when_empty(&mut self) {
        if self.queues.is_empty() && self.queues.capacity() > 0 {
            self.queues = HashMap::new();
        }
    }
}

/// Armed overrides, capped by count and by bytes.
pub struct Overrides {
    armed: Mutex<Armed>,
    /// How many keys have something armed: the hot path skips the lock at 0.
    keys: AtomicUsize,
    max_count: usize,
    max_bytes: usize,
}

impl Default for Overrides {
    /// With the default caps.
    fn default() -> Overrides {
        Overrides::new(DEFAULT_MAX_ARMED, DEFAULT_MAX_ARMED_BYTES)
    }
}

impl Overrides {
    /// At most `max_count` armed at once, holding at most `max_bytes`.
    pub fn new(max_count: usize, max_bytes: usize) -> Overrides {
        Overrides {
            armed: Mutex::new(Armed::default()),
            keys: AtomicUsize::new(0),
            max_count,
            max_bytes,
        }
    }

    /// Arms `o` for (service, method, path), after those already armed;
    /// refused when that would pass a cap.
    pub fn arm(
        &self,
        service: &str,
        method: &Method,
        path: &str,
        o: Override,
    ) -> Result<(), ArmError> {
        self.arm_scoped(service, method, path, None, o)
    }

    /// Arms `o` for (service, method, path) in `scope` (`None`: for every
    /// request), after those already armed for that scope.
    pub fn arm_scoped(
        &self,
        service: &str,
        method: &Method,
        path: &str,
        scope: Option<Arc<str>>,
        o: Override,
    ) -> Result<(), ArmError> {
        let key = (service.to_owned(), method.clone(), path.to_owned(), scope);
        let bytes = held_bytes(&key, &o);
        let mut armed = crate::sync::lock(&self.armed);
        if armed.count >= self.max_count {
            return Err(ArmError {
                message: format!(
                    "{} armed overrides already, the cap (--max-armed-overrides); \
                     let them be served or POST /__admin/reset",
                    self.max_count
                ),
                flag: "--max-armed-overrides",
                cap: self.max_count,
            });
        }
        if armed.bytes + bytes > self.max_bytes {
            return Err(ArmError {
                message: format!(
                    "armed overrides would hold more than {} bytes, the cap \
                     (--max-armed-override-bytes); this one holds {bytes}",
                    self.max_bytes
                ),
                flag: "--max-armed-override-bytes",
                cap: self.max_bytes,
            });
        }
        armed.count += 1;
        armed.bytes += bytes;
        armed.queues.entry(key).or_default().push_back(o);
        self.keys.store(armed.queues.len(), Ordering::Release);
        Ok(())
    }

    /// Takes the override due for this request, if any (counting `times` down).
    pub fn take(&self, service: &str, method: &Method, path: &str) -> Option<Override> {
        self.take_scoped(service, method, path, &crate::scope::Scopes::default())
    }

    /// Takes the override due for a request of `scopes`: one armed for one
    /// of its scopes first, else one armed for every request.
    pub fn take_scoped(
        &self,
        service: &str,
        method: &Method,
        path: &str,
        scopes: &crate::scope::Scopes,
    ) -> Option<Override> {
        if self.keys.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut armed = crate::sync::lock(&self.armed);
        let mut key = (service.to_owned(), method.clone(), path.to_owned(), None);
        for scope in scopes.iter() {
            key.3 = Some(scope.clone());
            if armed.queues.contains_key(&key) {
                return self.take_key(&mut armed, key);
            }
        }
        key.3 = None;
        self.take_key(&mut armed, key)
    }

    fn take_key(&self, armed: &mut Armed, key: Key) -> Option<Override> {
        let queue = armed.queues.get_mut(&key)?;
        let front = queue.front_mut()?;
        front.times -= 1;
        let (served, used_up) = if front.times == 0 {
            (queue.pop_front()?, true)
        } else {
            (front.clone(), false)
        };
        if queue.is_empty() {
            armed.queues.remove(&key);
        }
        if used_up {
            armed.count -= 1;
            armed.bytes -= held_bytes(&key, &served);
        }
        armed.shrink_when_empty();
        self.keys.store(armed.queues.len(), Ordering::Release);
        Some(served)
    }

    /// Disarms the overrides armed for `scope`; how many there were.
    pub fn remove_scope(&self, scope: &str) -> usize {
        self.remove_scopes(&std::collections::HashSet::from([scope]))
    }

    /// Disarms the overrides of every scope in `scopes`, in one pass.
    pub fn remove_scopes(&self, scopes: &std::collections::HashSet<&str>) -> usize {
        let mut armed = crate::sync::lock(&self.armed);
        let keys: Vec<Key> = armed
            .queues
            .keys()
            .filter(|k| k.3.as_deref().is_some_and(|s| scopes.contains(s)))
            .cloned()
            .collect();
        let mut removed = 0;
        for key in keys {
            if let Some(queue) = armed.queues.remove(&key) {
                for o in &queue {
                    armed.count -= 1;
                    armed.bytes -= held_bytes(&key, o);
                }
                removed += queue.len();
            }
        }
        armed.shrink_when_empty();
        self.keys.store(armed.queues.len(), Ordering::Release);
        removed
    }

    /// Overrides armed per scope.
    pub fn scope_counts(&self) -> HashMap<Arc<str>, usize> {
        let armed = crate::sync::lock(&self.armed);
        let mut counts: HashMap<Arc<str>, usize> = HashMap::new();
        for (key, queue) in &armed.queues {
            if let Some(s) = &key.3 {
                *counts.entry(s.clone()).or_default() += queue.len();
            }
        }
        counts
    }

    /// Disarms everything, and gives their memory back.
    pub fn clear(&self) {
        let mut armed = crate::sync::lock(&self.armed);
        *armed = Armed::default();
        self.keys.store(0, Ordering::Release);
    }

    /// Number of armed overrides (counting each armed header set once).
    pub fn len(&self) -> usize {
        crate::sync::lock(&self.armed).count
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether any override is armed, without taking the lock: the
    /// request path's check before it looks one up.
    pub fn any_armed(&self) -> bool {
        self.keys.load(Ordering::Acquire) != 0
    }
}

#[cfg(test)]
mod tests;
