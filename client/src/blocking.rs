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

use crate::client::ClientBuilder;
use crate::error::Result;
use crate::journal::LoggedRequest;
use crate::ops;
use crate::prepare::Settings;
use crate::wait::Wait;

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
/// Its methods are those of the async [`crate::Client`], with the same
/// arguments and results, blocking until the server answered instead of
/// giving a future; each points to its async twin, which describes it. So
/// are the `respond` of a [`StubBuilder`](crate::StubBuilder), the `arm`
/// of a [`NextRequest`](crate::NextRequest) and the calls of a [`Scope`];
/// a [`Wait`] is sent with [`received`](crate::Wait::received).
/// This example makes every call once:
///
/// ```no_run
/// # fn demo() -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::prelude::*;
/// use fake_servicer_client::{Push, Sse};
///
/// let server = fake_servicer_client::blocking::Client::new("http://fake-services");
/// assert_eq!(server.base_url(), "http://fake-services");
/// let stub = server
///     .stub(get("/users/7").service("example"))
///     .respond(json(serde_json::json!({"id": 7, "name": "Stubbed"})))?;
/// server.stub_json(serde_json::json!({
///     "request": {"method": "GET", "urlPath": "/ping"},
///     "response": {"status": 204}
/// }))?;
/// server.next_request("example", GET, "/users").status(403).arm()?;
/// // … exercise the app …
/// let users = get("/users").service("example");
/// let arrived = server.wait(users.clone()).count(1).received()?;
/// server.verify(users.clone(), at_least(1))?;
/// let (n, found) = (server.count(users.clone())?, server.find(users.clone())?);
/// let events = server.requests()?;
/// assert!(server.unmatched()?.is_empty(), "the app called something unmocked");
/// assert_eq!(server.journal_evicted()?, 0, "raise --journal-size");
/// let (stubs, scopes) = (server.stubs()?, server.scopes()?);
/// let (services, health) = (server.services()?, server.health()?);
/// server.remove_stub(&stub)?;
/// let feed = get("/events").service("notifications");
/// let pushed = server.push(Push::to(feed.clone()).sse(Sse::event("tick").data(1)))?;
/// let open = server.streams()?;
/// if let Some(oldest) = open.first() {
///     server.close_stream(oldest)?;
/// }
/// let closed = server.close_streams()?;
///
/// let test = server.scope("test-42");
/// test.stub(get("/users/7").service("example")).respond(status(404))?;
/// test.next_request("example", GET, "/users").status(503).arm()?;
/// // … call the app with the header `baggage: {test.baggage()}` …
/// test.verify(users.clone(), 1)?;
/// let (n_in, found_in) = (test.count(users.clone())?, test.find(users)?);
/// let (events_in, evicted_in) = (test.requests()?, test.journal_evicted()?);
/// let pushed_in = test.push(Push::to(feed).close())?;
/// let (open_in, closed_in) = (test.streams()?, test.close_streams()?);
/// let removed = test.reset()?;
///
/// server.reset_requests()?;
/// server.reset_mappings()?;
/// server.remove_stubs()?;
/// server.reset_scenarios()?;
/// server.reset()?;
/// # let _ = (arrived, n, found, events, stubs, scopes, services, health);
/// # let _ = (n_in, found_in, events_in, evicted_in, removed);
/// # let _ = (pushed, closed, pushed_in, open_in, closed_in);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::blocking::Client,
    settings: Settings,
}

impl Client {
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
    pub fn builder(base: impl AsRef<str>) -> ClientBuilder {
        crate::Client::builder(base)
    }
}

crate::calls::client_calls!(blocking Client);

impl ClientBuilder {
    /// The blocking client (feature `blocking`).
    ///
    /// ```
    /// # fn demo() -> fake_servicer_client::Result<()> {
    /// let server = fake_servicer_client::Client::builder("http://127.0.0.1:8080").build_blocking()?;
    /// # let _ = server; Ok(()) }
    /// ```
    pub fn build_blocking(self) -> Result<Client> {
        Client::from_settings(self.settings)
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
        let op = ops::wait(self.sought()?, self.client.settings.timeout);
        self.client.run(op)?
    }
}
