//! Waiting for requests: a verification that blocks on the server until
//! enough matching requests have arrived (`POST /__admin/requests/wait`),
//! for apps that call the mock after answering the test (queues,
//! background jobs) — no polling loop in the test.

use crate::error::{Error, Result};
use crate::journal::LoggedRequest;
use crate::ops::{self, Op};
use crate::pattern::RequestPattern;
use crate::response::millis;
use http::Method;
use serde_json::Value;
use std::time::Duration;

/// How long a wait lasts unless [`Wait::timeout`] says otherwise (the
/// server's default too; the server cuts any timeout to its
/// `--max-wait-timeout`, default 300 s).
///
/// ```
/// assert_eq!(fake_servicer_client::DEFAULT_WAIT_TIMEOUT.as_secs(), 10);
/// ```
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(10);

/// A wait being made: [`Client::wait`](crate::Client::wait) starts it with
/// a request pattern, [`count`](Wait::count) and [`timeout`](Wait::timeout)
/// refine it, and awaiting it sends it (the blocking client's ends with
/// `received()`). It succeeds with the matching requests, oldest first,
/// as soon as `count` of them are in the journal (those already there
/// count), or fails at the timeout with [`Error::WaitTimedOut`]: what did
/// arrive and the requests closest to the pattern.
///
/// ```no_run
/// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::prelude::*;
/// use std::time::Duration;
///
/// let calls = server
///     .wait(get("/users").service("example"))
///     .count(2)
///     .timeout(Duration::from_secs(5))
///     .await?;
/// assert_eq!(calls.len(), 2);
/// # Ok(()) }
/// ```
#[must_use = "a wait is sent only when awaited (blocking: `received`)"]
pub struct Wait<'c, C> {
    pub(crate) client: &'c C,
    pattern: RequestPattern,
    count: u64,
    timeout: Duration,
    scope: Option<String>,
    problem: Option<String>,
}

impl<'c, C> Wait<'c, C> {
    pub(crate) fn new(
        client: &'c C,
        pattern: RequestPattern,
        scope: Option<std::result::Result<String, String>>,
    ) -> Wait<'c, C> {
        let (scope, problem) = match scope {
            None => (None, None),
            Some(Ok(s)) => (Some(s), None),
            Some(Err(p)) => (None, Some(p)),
        };
        Wait {
            client,
            pattern,
            count: 1,
            timeout: DEFAULT_WAIT_TIMEOUT,
            scope,
            problem,
        }
    }

    /// Waits for `n` matching requests (default 1; the server takes 1 to
    /// 1 000 000).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.wait(post("/events").service("audit")).count(3).await?;
    /// # Ok(()) }
    /// ```
    pub fn count(mut self, n: u64) -> Self {
        self.count = n;
        self
    }

    /// Gives up after `timeout` (default [`DEFAULT_WAIT_TIMEOUT`], 10 s).
    /// The HTTP call may take this long plus the client's timeout.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.wait(get("/users")).timeout(std::time::Duration::from_millis(500)).await?;
    /// # Ok(()) }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The call; `client_timeout` is added to the wait's own for the HTTP
    /// deadline, so that the server's 408 arrives before it.
    pub(crate) fn op(&self, client_timeout: Duration) -> Result<Op<Result<Vec<LoggedRequest>>>> {
        if let Some(p) = &self.problem {
            return Err(Error::Invalid(p.clone()));
        }
        let pattern = self.pattern.to_json();
        let mut body = pattern.clone();
        if let Some(obj) = body.as_object_mut() {
            obj.insert("count".to_owned(), Value::from(self.count));
            obj.insert("timeoutMs".to_owned(), Value::from(millis(self.timeout)));
            if let Some(s) = &self.scope {
                obj.insert("scope".to_owned(), Value::String(s.clone()));
            }
        }
        let mut call = ops::Call::new(Method::POST, "/__admin/requests/wait").json(body);
        call.timeout = Some(self.timeout.saturating_add(client_timeout));
        let wanted = self.count;
        let scope = self.scope.clone();
        Ok(Op {
            call,
            ok: &[200, 408],
            decode: Box::new(move |a| {
                let mut v: Value =
                    serde_json::from_slice(&a.body).map_err(|e| format!("not JSON: {e}"))?;
                let arrived = match v.get_mut("requests").map(Value::take) {
                    Some(Value::Array(items)) => {
                        items.into_iter().map(LoggedRequest::from_json).collect()
                    }
                    _ => return Err("no `requests` list".to_owned()),
                };
                if a.status == 200 {
                    return Ok(Ok(arrived));
                }
                Ok(Err(Error::WaitTimedOut {
                    wanted,
                    arrived,
                    pattern: pattern.to_string(),
                    scope,
                    near_misses: near_misses(&v),
                    evicted: v.pointer("/journal/evicted").and_then(Value::as_u64),
                }))
            }),
        })
    }
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
