//! Every call this crate makes, described once for both clients: what to
//! send, which statuses mean success, how to read the answer.

use crate::error::{Error, Result};
use crate::journal::{LoggedRequest, ServeEvent};
use crate::services::{Health, Services};
use crate::stub::Stub;
use http::Method;
use serde_json::Value;

/// How many journal entries a failed verification lists.
pub(crate) const RECENT_IN_ERRORS: usize = 10;

/// One HTTP call, relative to the server's base URL.
pub(crate) struct Call {
    pub method: Method,
    /// Starts with `/`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// A JSON body, sent with `Content-Type: application/json`.
    pub json: Option<Value>,
}

impl Call {
    fn new(method: Method, path: impl Into<String>) -> Call {
        Call {
            method,
            path: path.into(),
            headers: Vec::new(),
            json: None,
        }
    }

    fn json(mut self, body: Value) -> Call {
        self.json = Some(body);
        self
    }
}

/// What came back.
pub(crate) struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
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

fn list(answer: &Answer, key: &str) -> std::result::Result<Vec<Value>, String> {
    match json_of(answer)?.get_mut(key).map(Value::take) {
        Some(Value::Array(items)) => Ok(items),
        _ => Err(format!("no `{key}` list")),
    }
}

fn op<T>(call: Call, ok: &'static [u16], decode: Decode<T>) -> Op<T> {
    Op { call, ok, decode }
}

fn nothing(call: Call) -> Op<()> {
    op(call, &[200, 201, 204], Box::new(|_| Ok(())))
}

pub(crate) fn create_stub(mapping: Value) -> Op<Stub> {
    op(
        Call::new(Method::POST, "/__admin/mappings").json(mapping),
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

pub(crate) fn count(pattern: Value) -> Op<u64> {
    op(
        Call::new(Method::POST, "/__admin/requests/count").json(pattern),
        &[200],
        Box::new(|a| {
            json_of(a)?
                .get("count")
                .and_then(Value::as_u64)
                .ok_or_else(|| "no `count`".to_owned())
        }),
    )
}

pub(crate) fn find(pattern: Value) -> Op<Vec<LoggedRequest>> {
    op(
        Call::new(Method::POST, "/__admin/requests/find").json(pattern),
        &[200],
        Box::new(|a| {
            Ok(list(a, "requests")?
                .into_iter()
                .map(LoggedRequest::from_json)
                .collect())
        }),
    )
}

pub(crate) fn requests(limit: Option<usize>) -> Op<Vec<ServeEvent>> {
    let path = match limit {
        Some(n) => format!("/__admin/requests?limit={n}"),
        None => "/__admin/requests".to_owned(),
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
        Box::new(|a| {
            Ok(list(a, "requests")?
                .into_iter()
                .map(LoggedRequest::from_json)
                .collect())
        }),
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
        Box::new(|a| serde_json::from_slice(&a.body).map_err(|e| e.to_string())),
    )
}

pub(crate) fn health() -> Op<Health> {
    op(
        Call::new(Method::GET, "/__admin/health"),
        &[200],
        Box::new(|a| serde_json::from_slice(&a.body).map_err(|e| e.to_string())),
    )
}

/// Arms a next-request override: a request to the service's path carrying
/// the override headers.
pub(crate) fn arm(method: Method, path: String, headers: Vec<(String, String)>) -> Op<()> {
    let mut call = Call::new(method, path);
    call.headers = headers;
    op(call, &[202], Box::new(|_| Ok(())))
}

/// The error of a failed verification.
pub(crate) fn verification(
    expected: crate::Times,
    actual: u64,
    pattern: &Value,
    recent: &[ServeEvent],
) -> Error {
    Error::Verification {
        expected,
        actual,
        pattern: pattern.to_string(),
        recent: recent.iter().map(ServeEvent::summary).collect(),
    }
}
