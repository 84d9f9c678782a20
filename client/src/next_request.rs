//! Next-request overrides: a one-shot answer for the next request with a
//! service, method and path, armed with `X-Fake-Servicer-Next-Request-*`
//! headers.

use crate::error::{Error, Result};
use crate::response::{Fault, add_header, millis};
use http::Method;
use serde::Serialize;
use serde_json::{Map, Value};
use std::time::Duration;

/// The prefix of the override headers.
const PREFIX: &str = "X-Fake-Servicer-Next-Request-";

/// An override being made: [`Client::next_request`](crate::Client::next_request)
/// starts it, these methods say what to answer, and `arm` arms it (the
/// server answers 202). Unset parts fall back to what would have answered.
///
/// ```no_run
/// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::prelude::*;
///
/// server
///     .next_request("example", GET, "/users")
///     .status(403)
///     .json(serde_json::json!({"error": "Auth error"}))
///     .arm()
///     .await?;
/// // The app's next GET http://example/users gets the 403.
/// # Ok(()) }
/// ```
#[must_use = "an override is armed only by `arm`"]
pub struct NextRequest<'c, C> {
    pub(crate) client: &'c C,
    method: Method,
    service: String,
    path: String,
    status: Option<u16>,
    body: Option<String>,
    headers: Map<String, Value>,
    times: Option<u32>,
    delay: Option<Duration>,
    fault: Option<Fault>,
    scope: Option<String>,
    problem: Option<String>,
}

impl<'c, C> NextRequest<'c, C> {
    pub(crate) fn new(client: &'c C, service: &str, method: Method, path: &str) -> Self {
        NextRequest {
            client,
            method,
            service: service.to_owned(),
            path: path.to_owned(),
            status: None,
            body: None,
            headers: Map::new(),
            times: None,
            delay: None,
            fault: None,
            scope: None,
            problem: None,
        }
    }

    /// Arms for a scope (or reports the scope's problem when armed).
    pub(crate) fn scoped(mut self, scope: std::result::Result<String, String>) -> Self {
        match scope {
            Ok(s) => self.scope = Some(s),
            Err(p) => self.problem = Some(p),
        }
        self
    }

    /// Answers with status `code`.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.next_request("example", GET, "/users").status(503).arm().await?;
    /// # Ok(()) }
    /// ```
    pub fn status(mut self, code: u16) -> Self {
        self.status = Some(code);
        self
    }

    /// Answers `text` as the body (sent in a header: no line breaks).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.next_request("example", GET, "/users").body("[]").arm().await?;
    /// # Ok(()) }
    /// ```
    pub fn body(mut self, text: impl Into<String>) -> Self {
        self.body = Some(text.into());
        self
    }

    /// Answers `value` as a JSON body with `Content-Type: application/json`.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.next_request("example", GET, "/users/7").json(serde_json::json!({"id": 7})).arm().await?;
    /// # Ok(()) }
    /// ```
    pub fn json(mut self, value: impl Serialize) -> Self {
        match serde_json::to_string(&value) {
            Ok(text) => {
                self.body = Some(text);
                self.headers.insert(
                    "Content-Type".to_owned(),
                    Value::String("application/json".to_owned()),
                );
            }
            Err(e) => self.problem = Some(format!("the JSON body cannot be serialised: {e}")),
        }
        self
    }

    /// Adds header `name: value` to the answer (replacing the handler's
    /// header of that name).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.next_request("example", GET, "/users").header("Retry-After", "5").status(429).arm().await?;
    /// # Ok(()) }
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        add_header(&mut self.headers, name.into(), value.into());
        self
    }

    /// Answers the next `n` requests this way (default 1).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.next_request("example", GET, "/users").status(500).times(3).arm().await?;
    /// # Ok(()) }
    /// ```
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Waits `delay` before answering.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.next_request("example", GET, "/users").delay(std::time::Duration::from_secs(2)).arm().await?;
    /// # Ok(()) }
    /// ```
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Acts out `fault` instead of answering.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.next_request("example", GET, "/users").fault(Fault::ConnectionResetByPeer).arm().await?;
    /// # Ok(()) }
    /// ```
    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// The arming request: to `/<service><path>`, with the override
    /// headers.
    pub(crate) fn arming(&self) -> Result<Arming> {
        if let Some(problem) = &self.problem {
            return Err(Error::Invalid(problem.clone()));
        }
        if self.service.is_empty() || self.service.contains('/') {
            return Err(Error::Invalid(format!(
                "{:?} is not a service name",
                self.service
            )));
        }
        let mut headers = Vec::new();
        let mut add = |name: &str, value: String| headers.push((format!("{PREFIX}{name}"), value));
        if let Some(status) = self.status {
            add("Status", status.to_string());
        }
        if let Some(body) = &self.body {
            if body.contains(['\r', '\n', '\0']) {
                return Err(Error::Invalid(
                    "a next-request body is sent in a header and cannot hold a line break or NUL; use a stub for it".to_owned(),
                ));
            }
            add("Body", body.clone());
        }
        if !self.headers.is_empty() {
            add("Headers", Value::Object(self.headers.clone()).to_string());
        }
        if let Some(delay) = self.delay {
            add("Delay", millis(delay).to_string());
        }
        if let Some(fault) = self.fault {
            add("Fault", fault.as_str().to_owned());
        }
        if let Some(scope) = &self.scope {
            add("Scope", scope.clone());
        }
        // Always at least one override header: without one nothing is armed.
        add("Times", self.times.unwrap_or(1).to_string());
        let path = if self.path.starts_with('/') {
            format!("/{}{}", self.service, self.path)
        } else {
            format!("/{}/{}", self.service, self.path)
        };
        Ok(Arming {
            method: self.method.clone(),
            path,
            headers,
        })
    }
}

/// The request that arms an override: to the service's path, carrying the
/// override headers.
pub(crate) struct Arming {
    pub method: Method,
    /// `/<service><path>`.
    pub path: String,
    pub headers: Vec<(String, String)>,
}
