//! Waiting for requests: a verification that blocks on the server until
//! enough matching requests have arrived (`POST /__admin/requests/wait`),
//! for apps that call the mock after answering the test (queues,
//! background jobs) — no polling loop in the test.

use crate::error::{Error, Result};
use crate::pattern::RequestPattern;
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

    /// What the wait asks the server for, or why it cannot be sent.
    pub(crate) fn sought(&self) -> Result<Sought> {
        if let Some(p) = &self.problem {
            return Err(Error::Invalid(p.clone()));
        }
        Ok(Sought {
            pattern: self.pattern.to_json(),
            count: self.count,
            timeout: self.timeout,
            scope: self.scope.clone(),
        })
    }
}

/// A wait as the server takes it (`POST /__admin/requests/wait`).
pub(crate) struct Sought {
    /// The request pattern, as JSON.
    pub pattern: Value,
    pub count: u64,
    pub timeout: Duration,
    pub scope: Option<String>,
}
