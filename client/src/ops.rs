//! Every call this crate makes, described once for both clients: what to
//! send, which statuses mean success, how to read the answer.

use crate::error::{Error, Result};
use crate::journal::{LoggedRequest, ServeEvent, Times};
use crate::next_request::Arming;
use crate::response::millis;
use crate::scope::{self, ScopeInfo};
use crate::services::{Health, Services};
use crate::streams::{Pushed, StreamInfo};
use crate::stub::Stub;
use crate::wait::Sought;
use http::{HeaderMap, Method};
use serde_json::Value;
use std::time::Duration;

/// How many journal entries a failed verification lists.
pub(crate) const RECENT_IN_ERRORS: usize = 10;

/// The header filtering admin calls by scope, and scoping the stubs they
/// create.
pub(crate) const SCOPE_HEADER: &str = "X-Fake-Servicer-Scope";

/// The header on count and find answers saying how many journal entries
/// were evicted.
const EVICTED_HEADER: &str = "X-Fake-Servicer-Journal-Evicted";

/// One HTTP call, relative to the server's base URL.
pub(crate) struct Call {
    pub method: Method,
    /// Starts with `/`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// A JSON body, sent with `Content-Type: application/json`.
    pub json: Option<Value>,
    /// How long the call may take when not the client's timeout.
    pub timeout: Option<Duration>,
}

impl Call {
    pub fn new(method: Method, path: impl Into<String>) -> Call {
        Call {
            method,
            path: path.into(),
            headers: Vec::new(),
            json: None,
            timeout: None,
        }
    }

    pub fn json(mut self, body: Value) -> Call {
        self.json = Some(body);
        self
    }

    /// Adds the admin scope filter, when there is a scope.
    fn in_scope(mut self, scope: Option<&str>) -> Call {
        if let Some(s) = scope {
            self.headers.push((SCOPE_HEADER.to_owned(), s.to_owned()));
        }
        self
    }
}

/// What came back.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The journal's eviction notice header, if the answer has one.
    fn evicted(&self) -> Option<u64> {
        self.headers
            .get(EVICTED_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    }
}

type Decode<T> = Box<dyn FnOnce(&Answer) -> std::result::Result<T, String> + Send>;

/// A call, the statuses that mean success and how to read the answer.
pub(crate) struct Op<T> {
    pub call: Call,
    pub ok: &'static [u16],
    pub decode: Decode<T>,
}

impl<T> Op<T> {
    /// Checks the status and decodes; `url` is the full URL, for errors.
    pub fn finish(self, url: &str, answer: Answer) -> Result<T> {
        let method = self.call.method.to_string();
        if !self.ok.contains(&answer.status) {
            return Err(Error::Server {
                method,
                url: url.to_owned(),
                status: answer.status,
                body: answer.text(),
            });
        }
        (self.decode)(&answer).map_err(|message| Error::Decode {
            method,
            url: url.to_owned(),
            message,
            body: answer.text(),
        })
    }
}

fn json_of(answer: &Answer) -> std::result::Result<Value, String> {
    serde_json::from_slice(&answer.body).map_err(|e| format!("not JSON: {e}"))
}

/// The list under `key` of a JSON object, taken out of it.
fn take_list(v: &mut Value, key: &str) -> std::result::Result<Vec<Value>, String> {
    match v.get_mut(key).map(Value::take) {
        Some(Value::Array(items)) => Ok(items),
        _ => Err(format!("no `{key}` list")),
    }
}

fn list(answer: &Answer, key: &str) -> std::result::Result<Vec<Value>, String> {
    take_list(&mut json_of(answer)?, key)
}

/// The journal entries listed under `requests`.
fn logged(v: &mut Value) -> std::result::Result<Vec<LoggedRequest>, String> {
    Ok(take_list(v, "requests")?
        .into_iter()
        .map(LoggedRequest::from_json)
        .collect())
}

/// A body that is `T` as JSON.
fn parsed<T: serde::de::DeserializeOwned>(answer: &Answer) -> std::result::Result<T, String> {
    serde_json::from_slice(&answer.body).map_err(|e| e.to_string())
}

fn op<T>(call: Call, ok: &'static [u16], decode: Decode<T>) -> Op<T> {
    Op { call, ok, decode }
}

fn nothing(call: Call) -> Op<()> {
    op(call, &[200, 201, 204], Box::new(|_| Ok(())))
}

/// Creates a stub; with a scope, the stub belongs to it.
pub(crate) fn create_stub(mapping: Value, scope: Option<&str>) -> Op<Stub> {
    op(
        Call::new(Method::POST, "/__admin/mappings")
            .json(mapping)
            .in_scope(scope),
        &[200, 201],
        Box::new(|a| Stub::from_json(json_of(a)?)),
    )
}

pub(crate) fn stubs() -> Op<Vec<Stub>> {
    op(
        Call::new(Method::GET, "/__admin/mappings"),
        &[200],
        Box::new(|a| {
            list(a, "mappings")?
                .into_iter()
                .map(Stub::from_json)
                .collect()
        }),
    )
}

pub(crate) fn remove_stub(id: &str) -> Op<()> {
    nothing(Call::new(Method::DELETE, format!("/__admin/mappings/{id}")))
}

/// A count, and how many journal entries that could have counted were
/// evicted (the server's eviction notice).
pub(crate) struct Counted {
    pub count: u64,
    pub evicted: Option<u64>,
}

pub(crate) fn count(pattern: Value, scope: Option<&str>) -> Op<Counted> {
    op(
        Call::new(Method::POST, "/__admin/requests/count")
            .json(pattern)
            .in_scope(scope),
        &[200],
        Box::new(|a| {
            let count = json_of(a)?
                .get("count")
                .and_then(Value::as_u64)
                .ok_or_else(|| "no `count`".to_owned())?;
            Ok(Counted {
                count,
                evicted: a.evicted(),
            })
        }),
    )
}

pub(crate) fn find(pattern: Value, scope: Option<&str>) -> Op<Vec<LoggedRequest>> {
    op(
        Call::new(Method::POST, "/__admin/requests/find")
            .json(pattern)
            .in_scope(scope),
        &[200],
        Box::new(|a| logged(&mut json_of(a)?)),
    )
}

pub(crate) fn requests(limit: Option<usize>, scope: Option<&str>) -> Op<Vec<ServeEvent>> {
    let mut query = Vec::new();
    if let Some(n) = limit {
        query.push(format!("limit={n}"));
    }
    if let Some(s) = scope {
        query.push(format!("scope={}", scope::encoded(s)));
    }
    let path = if query.is_empty() {
        "/__admin/requests".to_owned()
    } else {
        format!("/__admin/requests?{}", query.join("&"))
    };
    op(
        Call::new(Method::GET, path),
        &[200],
        Box::new(|a| {
            Ok(list(a, "requests")?
                .into_iter()
                .map(ServeEvent::from_json)
                .collect())
        }),
    )
}

pub(crate) fn unmatched() -> Op<Vec<LoggedRequest>> {
    op(
        Call::new(Method::GET, "/__admin/requests/unmatched"),
        &[200],
        Box::new(|a| logged(&mut json_of(a)?)),
    )
}

pub(crate) fn reset() -> Op<()> {
    nothing(Call::new(Method::POST, "/__admin/reset"))
}

pub(crate) fn reset_requests() -> Op<()> {
    nothing(Call::new(Method::DELETE, "/__admin/requests"))
}

pub(crate) fn reset_mappings() -> Op<()> {
    nothing(Call::new(Method::POST, "/__admin/mappings/reset"))
}

pub(crate) fn remove_stubs() -> Op<()> {
    nothing(Call::new(Method::DELETE, "/__admin/mappings"))
}

pub(crate) fn reset_scenarios() -> Op<()> {
    nothing(Call::new(Method::POST, "/__admin/scenarios/reset"))
}

pub(crate) fn services() -> Op<Services> {
    op(
        Call::new(Method::GET, "/__admin/services"),
        &[200],
        Box::new(parsed),
    )
}

pub(crate) fn health() -> Op<Health> {
    op(
        Call::new(Method::GET, "/__admin/health"),
        &[200],
        Box::new(parsed),
    )
}

pub(crate) fn scopes() -> Op<Vec<ScopeInfo>> {
    op(
        Call::new(Method::GET, "/__admin/scopes"),
        &[200],
        Box::new(|a| {
            list(a, "scopes")?
                .into_iter()
                .map(|v| serde_json::from_value(v).map_err(|e| e.to_string()))
                .collect()
        }),
    )
}

/// Removes a scope's stubs, overrides and journal entries; answers what
/// went.
pub(crate) fn remove_scope(name: &str) -> Op<ScopeInfo> {
    op(
        Call::new(
            Method::DELETE,
            format!("/__admin/scopes/{}", scope::encoded(name)),
        ),
        &[200],
        Box::new(|a| {
            let mut v = json_of(a)?;
            let mut removed = v.get_mut("removed").map(Value::take).unwrap_or_default();
            if let (Some(counts), Some(name)) = (removed.as_object_mut(), v.get("scope")) {
                counts.insert("scope".to_owned(), name.clone());
            }
            serde_json::from_value(removed).map_err(|e| format!("no `removed` counts: {e}"))
        }),
    )
}

/// Queues `body`'s items on the open streams its pattern matches; with a
/// scope, only on those of the scope's requests.
pub(crate) fn push(body: Value, scope: Option<&str>) -> Op<Pushed> {
    op(
        Call::new(Method::POST, "/__admin/streams/push")
            .json(body)
            .in_scope(scope),
        &[200],
        Box::new(parsed),
    )
}

/// The open streams, oldest first; with a scope, only the scope's.
pub(crate) fn streams(scope: Option<&str>) -> Op<Vec<StreamInfo>> {
    op(
        Call::new(Method::GET, "/__admin/streams").in_scope(scope),
        &[200],
        Box::new(|a| {
            list(a, "streams")?
                .into_iter()
                .map(|v| serde_json::from_value(v).map_err(|e| e.to_string()))
                .collect()
        }),
    )
}

/// Closes the open streams (with a scope, only the scope's); answers how
/// many.
pub(crate) fn close_streams(scope: Option<&str>) -> Op<u64> {
    op(
        Call::new(Method::DELETE, "/__admin/streams").in_scope(scope),
        &[200],
        Box::new(|a| {
            json_of(a)?
                .get("closed")
                .and_then(Value::as_u64)
                .ok_or_else(|| "no `closed` count".to_owned())
        }),
    )
}

/// Closes one open stream; a 404 when none is open with that id.
pub(crate) fn close_stream(id: &str) -> Op<()> {
    op(
        Call::new(
            Method::DELETE,
            format!("/__admin/streams/{}", scope::encoded(id)),
        ),
        &[200],
        Box::new(|_| Ok(())),
    )
}

/// Declares a resource (`POST /__admin/resources`): `declaration` is the
/// `{"resource": {...}}` object of a mapping file, or its inner object.
pub(crate) fn declare_resource(declaration: Value) -> Op<()> {
    let body = if declaration.get("resource").is_some() {
        declaration
    } else {
        serde_json::json!({ "resource": declaration })
    };
    op(
        Call::new(Method::POST, "/__admin/resources").json(body),
        &[200, 201],
        Box::new(|_| Ok(())),
    )
}

/// The path of a resource's admin calls.
fn resource_path(name: &str) -> String {
    format!("/__admin/resources/{}", scope::encoded(name))
}

/// The items requests of `scope` (none: no scope) see in a resource.
pub(crate) fn resource_items(name: &str, scope: Option<&str>) -> Op<Vec<Value>> {
    op(
        Call::new(Method::GET, resource_path(name)).in_scope(scope),
        &[200],
        Box::new(|a| list(a, "items")),
    )
}

/// Replaces the items requests of `scope` see; answers them as stored.
pub(crate) fn set_resource_items(
    name: &str,
    items: Vec<Value>,
    scope: Option<&str>,
) -> Op<Vec<Value>> {
    op(
        Call::new(Method::PUT, resource_path(name))
            .json(serde_json::json!({ "items": items }))
            .in_scope(scope),
        &[200],
        Box::new(|a| list(a, "items")),
    )
}

/// Empties what requests of `scope` see; answers how many items went.
pub(crate) fn empty_resource(name: &str, scope: Option<&str>) -> Op<u64> {
    op(
        Call::new(Method::DELETE, resource_path(name)).in_scope(scope),
        &[200],
        Box::new(|a| {
            json_of(a)?
                .get("removed")
                .and_then(Value::as_u64)
                .ok_or_else(|| "no `removed` count".to_owned())
        }),
    )
}

/// Arms a next-request override: a request to the service's path carrying
/// the override headers.
pub(crate) fn arm(arming: Arming) -> Op<()> {
    let mut call = Call::new(arming.method, arming.path);
    call.headers = arming.headers;
    op(call, &[202], Box::new(|_| Ok(())))
}

/// Waits for requests: answers the matching ones, or the error of a wait
/// that timed out (the server's 408). `client_timeout` is added to the
/// wait's own for the HTTP deadline, so that the 408 arrives before it.
pub(crate) fn wait(sought: Sought, client_timeout: Duration) -> Op<Result<Vec<LoggedRequest>>> {
    let Sought {
        pattern,
        count,
        timeout,
        scope,
    } = sought;
    let mut body = pattern.clone();
    if let Some(obj) = body.as_object_mut() {
        obj.insert("count".to_owned(), Value::from(count));
        obj.insert("timeoutMs".to_owned(), Value::from(millis(timeout)));
        if let Some(s) = &scope {
            obj.insert("scope".to_owned(), Value::String(s.clone()));
        }
    }
    let mut call = Call::new(Method::POST, "/__admin/requests/wait").json(body);
    call.timeout = Some(timeout.saturating_add(client_timeout));
    op(
        call,
        &[200, 408],
        Box::new(move |a| {
            let mut v = json_of(a)?;
            let arrived = logged(&mut v)?;
            if a.status == 200 {
                return Ok(Ok(arrived));
            }
            Ok(Err(Error::WaitTimedOut {
                wanted: count,
                arrived,
                pattern: pattern.to_string(),
                scope,
                near_misses: near_misses(&v),
                evicted: v.pointer("/journal/evicted").and_then(Value::as_u64),
            }))
        }),
    )
}

/// The near misses of a 408, as `METHOD url (distance d)`.
fn near_misses(answer: &Value) -> Vec<String> {
    let Some(list) = answer.get("nearMisses").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .map(|m| {
            let request = LoggedRequest::from_json(m.get("request").cloned().unwrap_or_default());
            let distance = m
                .pointer("/matchResult/distance")
                .and_then(Value::as_f64)
                .unwrap_or(1.0);
            format!(
                "{} {} (distance {distance:.2})",
                request.method(),
                request.url()
            )
        })
        .collect()
}

/// The error of a failed verification.
pub(crate) fn verification(
    expected: Times,
    counted: Counted,
    pattern: &Value,
    scope: Option<&str>,
    recent: &[ServeEvent],
) -> Error {
    Error::Verification {
        expected,
        actual: counted.count,
        pattern: pattern.to_string(),
        scope: scope.map(str::to_owned),
        recent: recent.iter().map(ServeEvent::summary).collect(),
        evicted: counted.evicted,
    }
}
