//! The blocking client (feature `blocking`), for tests without an async
//! runtime. The same calls and builders as [`crate::Client`], without
//! `.await`. Like `reqwest::blocking`, it must not be used from inside an
//! async runtime.
//!
//! ```no_run
//! # fn demo() -> fake_servicer_client::Result<()> {
//! use fake_servicer_client::prelude::*;
//!
//! let server = fake_servicer_client::blocking::Client::new("http://fake-services");
//! server.stub(get("/users/7").service("example")).respond(json(serde_json::json!({"id": 7})))?;
//! server.next_request("example", GET, "/users").status(403).arm()?;
//! server.verify(get("/users/7").service("example"), 1)?;
//! # Ok(()) }
//! ```

mod scope;

use crate::client::DEFAULT_TIMEOUT;
use crate::error::{Error, Result};
use crate::journal::{LoggedRequest, ServeEvent, Times};
use crate::next_request::NextRequest;
use crate::ops::{self, Answer, Op, RECENT_IN_ERRORS};
use crate::pattern::RequestPattern;
use crate::prepare::{Settings, base_url, tls_provider};
use crate::response::Response;
use crate::scope::ScopeInfo;
use crate::services::{Health, Services};
use crate::stub::{Stub, StubBuilder};
use crate::wait::Wait;
use http::Method;
use serde_json::Value;

/// A scope of the blocking client: the calls of one test within its
/// scope, without `.await` (see [`crate::Scope`]).
///
/// ```no_run
/// # fn demo() -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::prelude::*;
///
/// let server = fake_servicer_client::blocking::Client::new("http://fake-services");
/// let test: fake_servicer_client::blocking::Scope = server.scope("test-42");
/// test.stub(get("/users/7").service("example")).respond(status(404))?;
/// test.verify(get("/users/7").service("example"), 1)?;
/// test.reset()?;
/// # Ok(()) }
/// ```
pub type Scope = crate::Scope<Client>;

/// The blocking client of one server: its admin API (`/__admin`) and its
/// next-request overrides. Cheap to clone; clones share connections.
///
/// ```no_run
/// # fn demo() -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::prelude::*;
///
/// let server = fake_servicer_client::blocking::Client::new("http://fake-services");
/// server
///     .stub(get("/users/7").service("example"))
///     .respond(json(serde_json::json!({"id": 7, "name": "Stubbed"})))
///     ?;
/// server.next_request("example", GET, "/users").status(403).arm()?;
/// // … exercise the app …
/// server.verify(get("/users/7").service("example"), 1)?;
/// server.reset()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::blocking::Client,
    settings: Settings,
}

impl Client {
    /// The server at `base` (`http://host:port`, no `/__admin`), without an
    /// admin token, with the default timeout.
    ///
    /// Panics only where `reqwest::blocking::Client::new` does (no TLS backend could
    /// start); [`Client::builder`] returns that as an error instead.
    ///
    /// ```
    /// let server = fake_servicer_client::blocking::Client::new("http://127.0.0.1:8080");
    /// assert_eq!(server.base_url(), "http://127.0.0.1:8080");
    /// ```
    pub fn new(base: impl AsRef<str>) -> Client {
        tls_provider();
        Client {
            http: reqwest::blocking::Client::builder()
                .timeout(DEFAULT_TIMEOUT)
                .build()
                .unwrap_or_default(),
            settings: Settings {
                base: base_url(base.as_ref()),
                token: None,
                timeout: DEFAULT_TIMEOUT,
            },
        }
    }

    /// A builder for a client of the server at `base`: finish it with
    /// [`build_blocking`](crate::ClientBuilder::build_blocking).
    ///
    /// ```
    /// # fn demo() -> fake_servicer_client::Result<()> {
    /// let server = fake_servicer_client::blocking::Client::builder("http://127.0.0.1:8080")
    ///     .admin_token("s3cret")
    ///     .build_blocking()?;
    /// # let _ = server; Ok(()) }
    /// ```
    pub fn builder(base: impl AsRef<str>) -> crate::ClientBuilder {
        crate::Client::builder(base)
    }

    pub(crate) fn from_settings(settings: Settings) -> Result<Client> {
        tls_provider();
        let http = reqwest::blocking::Client::builder()
            .timeout(settings.timeout)
            .build()
            .map_err(|e| Error::Invalid(format!("the HTTP client cannot be built: {e}")))?;
        Ok(Client { http, settings })
    }

    /// The server's base URL, without a trailing slash.
    ///
    /// ```
    /// let server = fake_servicer_client::blocking::Client::new("http://127.0.0.1:8080/");
    /// assert_eq!(server.base_url(), "http://127.0.0.1:8080");
    /// ```
    pub fn base_url(&self) -> &str {
        &self.settings.base
    }

    fn run<T>(&self, op: Op<T>) -> Result<T> {
        let prepared = self.settings.prepare(&op.call)?;
        let target = prepared.target;
        let mut request =
            reqwest::blocking::Request::try_from(prepared.request).map_err(|e| target.failed(e))?;
        *request.timeout_mut() = prepared.timeout;
        let resp = self.http.execute(request).map_err(|e| target.failed(e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().map_err(|e| target.failed(e))?.to_vec();
        op.finish(
            &target.url,
            Answer {
                status,
                headers,
                body,
            },
        )
    }

    /// Starts a stub answering requests that match `pattern`; store it with
    /// [`respond`](StubBuilder::respond).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// server.stub(get("/users/7").service("example")).respond(json(serde_json::json!({"id": 7})))?;
    /// # Ok(()) }
    /// ```
    pub fn stub(&self, pattern: RequestPattern) -> StubBuilder<'_, Client> {
        StubBuilder::new(self, pattern)
    }

    /// Stores a mapping given as WireMock JSON (`POST /__admin/mappings`).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// let stub = server.stub_json(serde_json::json!({
    ///     "request": {"method": "GET", "urlPath": "/users"},
    ///     "response": {"status": 204}
    /// }))?;
    /// # let _ = stub; Ok(()) }
    /// ```
    pub fn stub_json(&self, mapping: Value) -> Result<Stub> {
        self.run(ops::create_stub(mapping, None))
    }

    /// Every stub the server holds.
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// let n = server.stubs()?.len();
    /// # let _ = n; Ok(()) }
    /// ```
    pub fn stubs(&self) -> Result<Vec<Stub>> {
        self.run(ops::stubs())
    }

    /// Removes one stub (by a [`Stub`] or its id).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// let stub = server.stub(get("/users")).respond(status(503))?;
    /// server.remove_stub(&stub)?;
    /// # Ok(()) }
    /// ```
    pub fn remove_stub(&self, stub: impl AsRef<str>) -> Result<()> {
        self.run(ops::remove_stub(stub.as_ref()))
    }

    /// Starts a next-request override for the next `method path` request
    /// to `service`; arm it with [`arm`](NextRequest::arm).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// server.next_request("example", GET, "/users").status(403).arm()?;
    /// # Ok(()) }
    /// ```
    pub fn next_request(
        &self,
        service: &str,
        method: Method,
        path: &str,
    ) -> NextRequest<'_, Client> {
        NextRequest::new(self, service, method, path)
    }

    /// How many requests in the journal match `pattern`.
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// let n = server.count(post("/payments").service("billing"))?;
    /// # let _ = n; Ok(()) }
    /// ```
    pub fn count(&self, pattern: RequestPattern) -> Result<u64> {
        Ok(self.run(ops::count(pattern.to_json(), None))?.count)
    }

    /// The requests in the journal that match `pattern`, oldest first.
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// let posted = server.find(post("/users").service("example"))?;
    /// let first: serde_json::Value = posted[0].json().expect("a JSON body");
    /// # let _ = first; Ok(()) }
    /// ```
    pub fn find(&self, pattern: RequestPattern) -> Result<Vec<LoggedRequest>> {
        self.run(ops::find(pattern.to_json(), None))
    }

    /// The journal, newest first (at most the server's default page of
    /// 1 000 entries).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// let events = server.requests()?;
    /// # let _ = events; Ok(()) }
    /// ```
    pub fn requests(&self) -> Result<Vec<ServeEvent>> {
        self.run(ops::requests(None, None))
    }

    /// The requests nothing answered (no stub, override or route).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// assert!(server.unmatched()?.is_empty(), "the app called something unmocked");
    /// # Ok(()) }
    /// ```
    pub fn unmatched(&self) -> Result<Vec<LoggedRequest>> {
        self.run(ops::unmatched())
    }

    /// Checks that the journal holds `times` requests matching `pattern`
    /// (a number is exactly that many; see [`at_least`](crate::at_least),
    /// [`at_most`](crate::at_most), [`never`](crate::never)). The error
    /// says how many there were and lists the newest requests.
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// server.verify(get("/users").service("example"), 2)?;
    /// server.verify(post("/users").service("example"), at_least(1))?;
    /// server.verify(delete(any_url()), never())?;
    /// # Ok(()) }
    /// ```
    pub fn verify(&self, pattern: RequestPattern, times: impl Into<Times>) -> Result<()> {
        self.verify_in(None, pattern, times.into())
    }

    /// [`verify`](Client::verify), counting in `scope` when given.
    pub(crate) fn verify_in(
        &self,
        scope: Option<&str>,
        pattern: RequestPattern,
        times: Times,
    ) -> Result<()> {
        let pattern = pattern.to_json();
        let counted = self.run(ops::count(pattern.clone(), scope))?;
        if times.accepts(counted.count) {
            return Ok(());
        }
        let recent = self
            .run(ops::requests(Some(RECENT_IN_ERRORS), scope))
            .unwrap_or_default();
        Err(ops::verification(times, counted, &pattern, scope, &recent))
    }

    /// Waits until requests matching `pattern` arrive, as
    /// [`crate::Client::wait`] does; send it with
    /// [`received`](Wait::received).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// use std::time::Duration;
    ///
    /// let events = server
    ///     .wait(post("/events").service("audit"))
    ///     .count(2)
    ///     .timeout(Duration::from_secs(5))
    ///     .received()?;
    /// assert_eq!(events.len(), 2);
    /// # Ok(()) }
    /// ```
    pub fn wait(&self, pattern: RequestPattern) -> Wait<'_, Client> {
        Wait::new(self, pattern, None)
    }

    /// How many journal entries the server dropped since the journal was
    /// last reset (see [`crate::Client::journal_evicted`]).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// assert_eq!(server.journal_evicted()?, 0, "raise --journal-size");
    /// # Ok(()) }
    /// ```
    pub fn journal_evicted(&self) -> Result<u64> {
        self.journal_evicted_in(None)
    }

    /// [`journal_evicted`](Client::journal_evicted), of `scope` when given.
    pub(crate) fn journal_evicted_in(&self, scope: Option<&str>) -> Result<u64> {
        let counted = self.run(ops::count(serde_json::json!({}), scope))?;
        Ok(counted.evicted.unwrap_or(0))
    }

    /// The calls of one test within scope `name` (see
    /// [`crate::Client::scope`]).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// let test = server.scope("checkout-declined");
    /// test.next_request("bank", POST, "/pay").status(402).arm()?;
    /// test.reset()?;
    /// # Ok(()) }
    /// ```
    pub fn scope(&self, name: &str) -> Scope {
        Scope::new(self.clone(), name)
    }

    /// Every scope holding stubs, overrides or journal entries
    /// (`GET /__admin/scopes`).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// let scopes = server.scopes()?;
    /// # let _ = scopes; Ok(()) }
    /// ```
    pub fn scopes(&self) -> Result<Vec<ScopeInfo>> {
        self.run(ops::scopes())
    }

    /// Everything back to the start: stubs back to the server's mapping
    /// files, journal cleared, overrides disarmed, scenarios reset.
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// server.reset()?;
    /// # Ok(()) }
    /// ```
    pub fn reset(&self) -> Result<()> {
        self.run(ops::reset())
    }

    /// Clears the journal.
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// server.reset_requests()?;
    /// # Ok(()) }
    /// ```
    pub fn reset_requests(&self) -> Result<()> {
        self.run(ops::reset_requests())
    }

    /// Stubs back to the server's mapping files (stubs made by calls go).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// server.reset_mappings()?;
    /// # Ok(()) }
    /// ```
    pub fn reset_mappings(&self) -> Result<()> {
        self.run(ops::reset_mappings())
    }

    /// Removes every stub, those from files too.
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// server.remove_stubs()?;
    /// # Ok(()) }
    /// ```
    pub fn remove_stubs(&self) -> Result<()> {
        self.run(ops::remove_stubs())
    }

    /// Every scenario back to `Started`.
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// server.reset_scenarios()?;
    /// # Ok(()) }
    /// ```
    pub fn reset_scenarios(&self) -> Result<()> {
        self.run(ops::reset_scenarios())
    }

    /// The services the server routes to, and the files it refused.
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// let loaded = server.services()?.get("example").is_some();
    /// # let _ = loaded; Ok(()) }
    /// ```
    pub fn services(&self) -> Result<Services> {
        self.run(ops::services())
    }

    /// `/__admin/health` (needs no admin token).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// let version = server.health()?.version;
    /// # let _ = version; Ok(()) }
    /// ```
    pub fn health(&self) -> Result<Health> {
        self.run(ops::health())
    }
}

impl StubBuilder<'_, Client> {
    /// Stores the stub, answering `response`; returns it as stored.
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// let stub = server.stub(get("/users")).respond(status(503).body("down"))?;
    /// # let _ = stub; Ok(()) }
    /// ```
    pub fn respond(self, response: Response) -> Result<Stub> {
        let client = self.client;
        client.run(self.op(response)?)
    }
}

impl NextRequest<'_, Client> {
    /// Arms the override (the server answers 202; a malformed part is its
    /// 400, a full override store its 507, a missing admin token its 401).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// server.next_request("example", POST, "/users").status(409).arm()?;
    /// # Ok(()) }
    /// ```
    pub fn arm(self) -> Result<()> {
        self.client.run(self.op()?)
    }
}

impl Wait<'_, Client> {
    /// Sends the wait and blocks until the requests arrived or the timeout
    /// passed (see [`crate::Client::wait`]).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// let calls = server.wait(get("/users").service("example")).received()?;
    /// # let _ = calls; Ok(()) }
    /// ```
    pub fn received(self) -> Result<Vec<LoggedRequest>> {
        let op = self.op(self.client.settings.timeout)?;
        self.client.run(op)?
    }
}
