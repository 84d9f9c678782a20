//! Next-request overrides: a request carrying
//! `X-Fake-Servicer-Next-Request-*` headers arms a one-shot answer for the
//! next request with the same (service, method, path); several armed for
//! one key are served first in, first out.

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
        Mutex,
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
                    "unknown override header (known: Status, Body, Headers, Times, Delay, Fault)",
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

type Key = (String, Method, String);

/// Armed overrides.
#[derive(Default)]
pub struct Overrides {
    armed: Mutex<HashMap<Key, VecDeque<Override>>>,
    /// How many keys have something armed: the hot path skips the lock at 0.
    keys: AtomicUsize,
}

impl Overrides {
    /// Arms `o` for (service, method, path), after those already armed.
    pub fn arm(&self, service: &str, method: &Method, path: &str, o: Override) {
        let mut armed = crate::sync::lock(&self.armed);
        let queue = armed
            .entry((service.to_owned(), method.clone(), path.to_owned()))
            .or_default();
        queue.push_back(o);
        self.keys.store(armed.len(), Ordering::Release);
    }

    /// Takes the override due for this request, if any (counting `times` down).
    pub fn take(&self, service: &str, method: &Method, path: &str) -> Option<Override> {
        if self.keys.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut armed = crate::sync::lock(&self.armed);
        let key = (service.to_owned(), method.clone(), path.to_owned());
        let queue = armed.get_mut(&key)?;
        let front = queue.front_mut()?;
        front.times -= 1;
        let served = if front.times == 0 {
            queue.pop_front()?
        } else {
            front.clone()
        };
        if queue.is_empty() {
            armed.remove(&key);
        }
        self.keys.store(armed.len(), Ordering::Release);
        Some(served)
    }

    /// Disarms everything.
    pub fn clear(&self) {
        let mut armed = crate::sync::lock(&self.armed);
        armed.clear();
        self.keys.store(0, Ordering::Release);
    }

    /// Number of armed overrides (counting each armed header set once).
    pub fn len(&self) -> usize {
        crate::sync::lock(&self.armed)
            .values()
            .map(VecDeque::len)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn parses_every_header() {
        let o = Override::from_headers(&headers(&[
            ("X-Fake-Servicer-Next-Request-Status", "403"),
            (
                "X-Fake-Servicer-Next-Request-Body",
                "{\"error\":\"Auth error\"}",
            ),
            (
                "X-Fake-Servicer-Next-Request-Headers",
                "{\"x-a\": \"1\", \"x-b\": [\"2\", \"3\"]}",
            ),
            ("X-Fake-Servicer-Next-Request-Times", "2"),
            ("X-Fake-Servicer-Next-Request-Delay", "150"),
            ("X-Fake-Servicer-Next-Request-Fault", "EMPTY_RESPONSE"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(o.status, Some(StatusCode::FORBIDDEN));
        assert_eq!(o.body.as_deref(), Some(&b"{\"error\":\"Auth error\"}"[..]));
        assert_eq!(o.headers.len(), 3);
        assert_eq!(o.times, 2);
        assert_eq!(o.delay, Some(Duration::from_millis(150)));
        assert_eq!(o.fault, Some(Fault::EmptyResponse));
        assert!(Override::from_headers(&headers(&[("accept", "x")])).is_none());
    }

    #[test]
    fn malformed_values_name_the_header() {
        for (name, value) in [
            ("X-Fake-Servicer-Next-Request-Status", "forbidden"),
            ("X-Fake-Servicer-Next-Request-Status", "42"),
            ("X-Fake-Servicer-Next-Request-Headers", "[1]"),
            ("X-Fake-Servicer-Next-Request-Headers", "{not json"),
            ("X-Fake-Servicer-Next-Request-Times", "0"),
            ("X-Fake-Servicer-Next-Request-Delay", "-5"),
            ("X-Fake-Servicer-Next-Request-Fault", "BOOM"),
            ("X-Fake-Servicer-Next-Request-Colour", "red"),
        ] {
            let err = Override::from_headers(&headers(&[(name, value)]))
                .unwrap()
                .unwrap_err();
            assert_eq!(
                err.header.to_ascii_lowercase(),
                name.to_ascii_lowercase(),
                "{value}: {err:?}"
            );
        }
    }

    #[test]
    fn fifo_and_times() {
        let ov = Overrides::default();
        let with = |s: u16, times: u32| Override {
            status: Some(StatusCode::from_u16(s).unwrap()),
            times,
            ..Override::default()
        };
        ov.arm("svc", &Method::GET, "/a", with(500, 2));
        ov.arm("svc", &Method::GET, "/a", with(503, 1));
        let take = || {
            ov.take("svc", &Method::GET, "/a")
                .map(|o| o.status.unwrap().as_u16())
        };
        assert_eq!(ov.take("svc", &Method::POST, "/a"), None);
        assert_eq!(take(), Some(500));
        assert_eq!(take(), Some(500));
        assert_eq!(take(), Some(503));
        assert_eq!(take(), None);
        assert!(ov.is_empty());
    }

    #[test]
    fn unset_parts_keep_the_base() {
        let base = Plan::json(StatusCode::OK, &json!({"a": 1}));
        let o = Override {
            status: Some(StatusCode::IM_A_TEAPOT),
            headers: vec![(
                HeaderName::from_static("content-type"),
                HeaderValue::from_static("text/x"),
            )],
            times: 1,
            ..Override::default()
        };
        let p = o.apply(base);
        assert_eq!(p.status, StatusCode::IM_A_TEAPOT);
        assert_eq!(
            p.body,
            PlanBody::Full(Bytes::from(json!({"a": 1}).to_string()))
        );
        assert_eq!(p.headers.len(), 1);
        assert_eq!(p.headers[0].1, "text/x");
    }

    fn header(name: &'static str, value: &'static str) -> (HeaderName, HeaderValue) {
        (
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    }

    fn base_with_headers() -> Plan {
        let mut base = Plan::json(StatusCode::OK, &json!({"a": 1}));
        base.headers.push(header("content-length", "7"));
        base.headers.push(header("x-handler", "kept"));
        base.headers.push(header("x-replaced", "old"));
        base
    }

    #[test]
    fn status_and_body_keep_the_bases_other_headers() {
        let o = Override {
            status: Some(StatusCode::FORBIDDEN),
            body: Some(Bytes::from_static(b"{\"error\":\"Auth error\"}")),
            headers: vec![header("x-replaced", "new")],
            times: 1,
            ..Override::default()
        };
        assert!(o.needs_base(), "unset headers come from the base");
        let p = o.apply(base_with_headers());
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        assert_eq!(
            p.body,
            PlanBody::Full(Bytes::from_static(b"{\"error\":\"Auth error\"}"))
        );
        let names = |name: &str| -> Vec<&HeaderValue> {
            p.headers
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v)
                .collect()
        };
        assert_eq!(names("content-type"), ["application/json"]);
        assert_eq!(names("x-handler"), ["kept"]);
        assert_eq!(names("x-replaced"), ["new"], "same-named headers replaced");
        assert!(
            names("content-length").is_empty(),
            "the base's Content-Length does not fit the new body"
        );
    }

    #[test]
    fn an_unchanged_body_keeps_the_bases_content_length() {
        let o = Override {
            status: Some(StatusCode::ACCEPTED),
            times: 1,
            ..Override::default()
        };
        let p = o.apply(base_with_headers());
        assert!(
            p.headers
                .iter()
                .any(|(n, v)| n == "content-length" && v == "7")
        );
    }

    #[test]
    fn a_fault_needs_no_base() {
        let o = Override {
            status: Some(StatusCode::FORBIDDEN),
            fault: Some(Fault::EmptyResponse),
            times: 1,
            ..Override::default()
        };
        assert!(!o.needs_base());
        assert_eq!(
            o.apply(Plan::empty(StatusCode::OK)).fault,
            Some(Fault::EmptyResponse)
        );
    }
}
