//! The async client.

use crate::error::{Error, Result};
use crate::journal::{LoggedRequest, ServeEvent, Times};
use crate::next_request::NextRequest;
use crate::ops::{self, Answer, Op, RECENT_IN_ERRORS};
use crate::pattern::RequestPattern;
use crate::prepare::{Settings, base_url, tls_provider};
use crate::response::Response;
use crate::scope::{Scope, ScopeInfo};
use crate::services::{Health, Services};
use crate::stub::{Stub, StubBuilder};
use crate::wait::Wait;
use http::Method;
use serde_json::Value;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

/// How long one call may take, unless [`ClientBuilder::timeout`] says
/// otherwise.
///
/// ```
/// assert_eq!(fake_servicer_client::DEFAULT_TIMEOUT.as_secs(), 30);
/// ```
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Makes a [`Client`] with an admin token or another timeout.
///
/// ```no_run
/// # fn demo() -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::Client;
///
/// let server = Client::builder("http://fake-services")
///     .admin_token("s3cret")
///     .timeout(std::time::Duration::from_secs(5))
///     .build()?;
/// # let _ = server; Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct ClientBuilder {
    settings: Settings,
}

impl ClientBuilder {
    /// Sends `Authorization: Bearer <token>` with every admin call and
    /// every arming request (the server's `--admin-token`).
    ///
    /// ```
    /// let builder = fake_servicer_client::Client::builder("http://127.0.0.1:8080").admin_token("s3cret");
    /// # let _ = builder;
    /// ```
    pub fn admin_token(mut self, token: impl Into<String>) -> ClientBuilder {
        self.settings.token = Some(token.into());
        self
    }

    /// How long one call may take (default [`DEFAULT_TIMEOUT`], 30 s).
    ///
    /// ```
    /// let builder = fake_servicer_client::Client::builder("http://127.0.0.1:8080")
    ///     .timeout(std::time::Duration::from_secs(5));
    /// # let _ = builder;
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.settings.timeout = timeout;
        self
    }

    /// The async client.
    ///
    /// ```
    /// # fn demo() -> fake_servicer_client::Result<()> {
    /// let server = fake_servicer_client::Client::builder("http://127.0.0.1:8080").build()?;
    /// # let _ = server; Ok(()) }
    /// ```
    pub fn build(self) -> Result<Client> {
        tls_provider();
        let http = reqwest::Client::builder()
            .timeout(self.settings.timeout)
            .build()
            .map_err(|e| Error::Invalid(format!("the HTTP client cannot be built: {e}")))?;
        Ok(Client {
            http,
            settings: self.settings,
        })
    }

    /// The blocking client (feature `blocking`).
    ///
    /// ```
    /// # fn demo() -> fake_servicer_client::Result<()> {
    /// let server = fake_servicer_client::Client::builder("http://127.0.0.1:8080").build_blocking()?;
    /// # let _ = server; Ok(()) }
    /// ```
    #[cfg(feature = "blocking")]
    pub fn build_blocking(self) -> Result<crate::blocking::Client> {
        crate::blocking::Client::from_settings(self.settings)
    }
}

/// The async client of one server: its admin API (`/__admin`) and its
/// next-request overrides. Cheap to clone; clones share connections.
///
/// ```no_run
/// # async fn demo() -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::prelude::*;
///
/// let server = Client::new("http://fake-services");
/// server
///     .stub(get("/users/7").service("example"))
///     .respond(json(serde_json::json!({"id": 7, "name": "Stubbed"})))
///     .await?;
/// server.next_request("example", GET, "/users").status(403).arm().await?;
/// // … exercise the app …
/// server.verify(get("/users/7").service("example"), 1).await?;
/// server.reset().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    settings: Settings,
}

impl Client {
    /// The server at `base` (`http://host:port`, no `/__admin`), without an
    /// admin token, with the default timeout.
    ///
    /// Panics only where `reqwest::Client::new` does (no TLS backend could
    /// start); [`Client::builder`] returns that as an error instead.
    ///
    /// ```
    /// let server = fake_servicer_client::Client::new("http://127.0.0.1:8080");
    /// assert_eq!(server.base_url(), "http://127.0.0.1:8080");
    /// ```
    pub fn new(base: impl AsRef<str>) -> Client {
        tls_provider();
        Client {
            http: reqwest::Client::builder()
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

    /// A builder for a client of the server at `base`.
    ///
    /// ```
    /// let builder = fake_servicer_client::Client::builder("http://127.0.0.1:8080");
    /// # let _ = builder;
    /// ```
    pub fn builder(base: impl AsRef<str>) -> ClientBuilder {
        ClientBuilder {
            settings: Settings {
                base: base_url(base.as_ref()),
                token: None,
                timeout: DEFAULT_TIMEOUT,
            },
        }
    }

    /// The server's base URL, without a trailing slash.
    ///
    /// ```
    /// let server = fake_servicer_client::Client::new("http://127.0.0.1:8080/");
    /// assert_eq!(server.base_url(), "http://127.0.0.1:8080");
    /// ```
    pub fn base_url(&self) -> &str {
        &self.settings.base
    }

    async fn run<T>(&self, op: Op<T>) -> Result<T> {
        let prepared = self.settings.prepare(&op.call)?;
        let target = prepared.target;
        let mut request =
            reqwest::Request::try_from(prepared.request).map_err(|e| target.failed(e))?;
        *request.timeout_mut() = prepared.timeout;
        let resp = self
            .http
            .execute(request)
            .await
            .map_err(|e| target.failed(e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| target.failed(e))?.to_vec();
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
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// server.stub(get("/users/7").service("example")).respond(json(serde_json::json!({"id": 7}))).await?;
    /// # Ok(()) }
    /// ```
    pub fn stub(&self, pattern: RequestPattern) -> StubBuilder<'_, Client> {
        StubBuilder::new(self, pattern)
    }

    /// Stores a mapping given as WireMock JSON (`POST /__admin/mappings`).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// let stub = server.stub_json(serde_json::json!({
    ///     "request": {"method": "GET", "urlPath": "/users"},
    ///     "response": {"status": 204}
    /// })).await?;
    /// # let _ = stub; Ok(()) }
    /// ```
    pub async fn stub_json(&self, mapping: Value) -> Result<Stub> {
        self.run(ops::create_stub(mapping, None)).await
    }

    /// Every stub the server holds.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// let n = server.stubs().await?.len();
    /// # let _ = n; Ok(()) }
    /// ```
    pub async fn stubs(&self) -> Result<Vec<Stub>> {
        self.run(ops::stubs()).await
    }

    /// Removes one stub (by a [`Stub`] or its id).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// let stub = server.stub(get("/users")).respond(status(503)).await?;
    /// server.remove_stub(&stub).await?;
    /// # Ok(()) }
    /// ```
    pub async fn remove_stub(&self, stub: impl AsRef<str>) -> Result<()> {
        self.run(ops::remove_stub(stub.as_ref())).await
    }

    /// Starts a next-request override for the next `method path` request
    /// to `service`; arm it with [`arm`](NextRequest::arm).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// server.next_request("example", GET, "/users").status(403).arm().await?;
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
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// let n = server.count(post("/payments").service("billing")).await?;
    /// # let _ = n; Ok(()) }
    /// ```
    pub async fn count(&self, pattern: RequestPattern) -> Result<u64> {
        Ok(self.run(ops::count(pattern.to_json(), None)).await?.count)
    }

    /// The requests in the journal that match `pattern`, oldest first.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// let posted = server.find(post("/users").service("example")).await?;
    /// let first: serde_json::Value = posted[0].json().expect("a JSON body");
    /// # let _ = first; Ok(()) }
    /// ```
    pub async fn find(&self, pattern: RequestPattern) -> Result<Vec<LoggedRequest>> {
        self.run(ops::find(pattern.to_json(), None)).await
    }

    /// The journal, newest first (at most the server's default page of
    /// 1 000 entries).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// let events = server.requests().await?;
    /// # let _ = events; Ok(()) }
    /// ```
    pub async fn requests(&self) -> Result<Vec<ServeEvent>> {
        self.run(ops::requests(None, None)).await
    }

    /// The requests nothing answered (no stub, override or route).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// assert!(server.unmatched().await?.is_empty(), "the app called something unmocked");
    /// # Ok(()) }
    /// ```
    pub async fn unmatched(&self) -> Result<Vec<LoggedRequest>> {
        self.run(ops::unmatched()).await
    }

    /// Checks that the journal holds `times` requests matching `pattern`
    /// (a number is exactly that many; see [`at_least`](crate::at_least),
    /// [`at_most`](crate::at_most), [`never`](crate::never)). The error
    /// says how many there were and lists the newest requests.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// server.verify(get("/users").service("example"), 2).await?;
    /// server.verify(post("/users").service("example"), at_least(1)).await?;
    /// server.verify(delete(any_url()), never()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn verify(&self, pattern: RequestPattern, times: impl Into<Times>) -> Result<()> {
        self.verify_in(None, pattern, times.into()).await
    }

    /// [`verify`](Client::verify), counting in `scope` when given.
    pub(crate) async fn verify_in(
        &self,
        scope: Option<&str>,
        pattern: RequestPattern,
        times: Times,
    ) -> Result<()> {
        let pattern = pattern.to_json();
        let counted = self.run(ops::count(pattern.clone(), scope)).await?;
        if times.accepts(counted.count) {
            return Ok(());
        }
        let recent = self
            .run(ops::requests(Some(RECENT_IN_ERRORS), scope))
            .await
            .unwrap_or_default();
        Err(ops::verification(times, counted, &pattern, scope, &recent))
    }

    /// Waits until requests matching `pattern` arrive: sends
    /// `POST /__admin/requests/wait`, which the server answers as soon as
    /// [`count`](Wait::count) of them (default 1) are in the journal —
    /// those already there count — or at the [`timeout`](Wait::timeout)
    /// (default 10 s). Gives the matching requests, oldest first; at the
    /// timeout, an [`Error::WaitTimedOut`] with what did arrive and the
    /// requests closest to the pattern.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// use std::time::Duration;
    ///
    /// // The app posts to the audit service from a background job.
    /// let events = server
    ///     .wait(post("/events").service("audit"))
    ///     .count(2)
    ///     .timeout(Duration::from_secs(5))
    ///     .await?;
    /// assert_eq!(events[0].json::<serde_json::Value>().ok(), Some(serde_json::json!({"kind": "signup"})));
    /// # Ok(()) }
    /// ```
    pub fn wait(&self, pattern: RequestPattern) -> Wait<'_, Client> {
        Wait::new(self, pattern, None)
    }

    /// How many journal entries the server dropped since the journal was
    /// last reset (its `--journal-size` or byte budget): when not 0,
    /// counts, finds and verifications may be short.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// assert_eq!(server.journal_evicted().await?, 0, "raise --journal-size");
    /// # Ok(()) }
    /// ```
    pub async fn journal_evicted(&self) -> Result<u64> {
        self.journal_evicted_in(None).await
    }

    /// [`journal_evicted`](Client::journal_evicted), of `scope` when given.
    pub(crate) async fn journal_evicted_in(&self, scope: Option<&str>) -> Result<u64> {
        let counted = self.run(ops::count(serde_json::json!({}), scope)).await?;
        Ok(counted.evicted.unwrap_or(0))
    }

    /// The calls of one test within scope `name`: its stubs answer only
    /// requests of the scope, its overrides only they consume, its journal
    /// queries, verifications and waits see only them, and its
    /// [`reset`](Scope::reset) removes only what belongs to it. A name
    /// that cannot be a scope (blank, over 256 bytes, not printable ASCII)
    /// fails each call with [`Error::Invalid`].
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    ///
    /// let test = server.scope("checkout-declined");
    /// test.next_request("bank", POST, "/pay").status(402).arm().await?;
    /// // … call the app with the header `baggage: {test.baggage()}` …
    /// test.verify(post("/pay").service("bank"), 1).await?;
    /// test.reset().await?;
    /// # Ok(()) }
    /// ```
    pub fn scope(&self, name: &str) -> Scope<Client> {
        Scope::new(self.clone(), name)
    }

    /// Every scope holding stubs, overrides or journal entries, with how
    /// many of each (`GET /__admin/scopes`).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// let leftovers: Vec<String> = server.scopes().await?.into_iter().map(|s| s.scope).collect();
    /// # let _ = leftovers; Ok(()) }
    /// ```
    pub async fn scopes(&self) -> Result<Vec<ScopeInfo>> {
        self.run(ops::scopes()).await
    }

    /// Everything back to the start: stubs back to the server's mapping
    /// files, journal cleared, overrides disarmed, scenarios reset.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// server.reset().await?;
    /// # Ok(()) }
    /// ```
    pub async fn reset(&self) -> Result<()> {
        self.run(ops::reset()).await
    }

    /// Clears the journal.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// server.reset_requests().await?;
    /// # Ok(()) }
    /// ```
    pub async fn reset_requests(&self) -> Result<()> {
        self.run(ops::reset_requests()).await
    }

    /// Stubs back to the server's mapping files (stubs made by calls go).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// server.reset_mappings().await?;
    /// # Ok(()) }
    /// ```
    pub async fn reset_mappings(&self) -> Result<()> {
        self.run(ops::reset_mappings()).await
    }

    /// Removes every stub, those from files too.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// server.remove_stubs().await?;
    /// # Ok(()) }
    /// ```
    pub async fn remove_stubs(&self) -> Result<()> {
        self.run(ops::remove_stubs()).await
    }

    /// Every scenario back to `Started`.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// server.reset_scenarios().await?;
    /// # Ok(()) }
    /// ```
    pub async fn reset_scenarios(&self) -> Result<()> {
        self.run(ops::reset_scenarios()).await
    }

    /// The services the server routes to, and the files it refused.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// let loaded = server.services().await?.get("example").is_some();
    /// # let _ = loaded; Ok(()) }
    /// ```
    pub async fn services(&self) -> Result<Services> {
        self.run(ops::services()).await
    }

    /// `/__admin/health` (needs no admin token).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// let version = server.health().await?.version;
    /// # let _ = version; Ok(()) }
    /// ```
    pub async fn health(&self) -> Result<Health> {
        self.run(ops::health()).await
    }
}

impl StubBuilder<'_, Client> {
    /// Stores the stub, answering `response`; returns it as stored.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// let stub = server.stub(get("/users")).respond(status(503).body("down")).await?;
    /// # let _ = stub; Ok(()) }
    /// ```
    pub async fn respond(self, response: Response) -> Result<Stub> {
        let client = self.client;
        client.run(self.op(response)?).await
    }
}

impl NextRequest<'_, Client> {
    /// Arms the override (the server answers 202; a malformed part is its
    /// 400, a full override store its 507, a missing admin token its 401).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// server.next_request("example", POST, "/users").status(409).arm().await?;
    /// # Ok(()) }
    /// ```
    pub async fn arm(self) -> Result<()> {
        self.client.run(self.op()?).await
    }
}

impl<'c> IntoFuture for Wait<'c, Client> {
    type Output = Result<Vec<LoggedRequest>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'c>>;

    /// Sends the wait; see [`Client::wait`].
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let op = self.op(self.client.settings.timeout)?;
            self.client.run(op).await?
        })
    }
}

impl Scope<Client> {
    /// How many requests of this scope in the journal match `pattern`.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// let n = server.scope("test-42").count(post("/payments").service("billing")).await?;
    /// # let _ = n; Ok(()) }
    /// ```
    pub async fn count(&self, pattern: RequestPattern) -> Result<u64> {
        let scope = Some(self.checked()?);
        Ok(self
            .client
            .run(ops::count(pattern.to_json(), scope))
            .await?
            .count)
    }

    /// The requests of this scope in the journal that match `pattern`,
    /// oldest first.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// let posted = server.scope("test-42").find(post("/users").service("example")).await?;
    /// # let _ = posted; Ok(()) }
    /// ```
    pub async fn find(&self, pattern: RequestPattern) -> Result<Vec<LoggedRequest>> {
        let scope = Some(self.checked()?);
        self.client.run(ops::find(pattern.to_json(), scope)).await
    }

    /// The journal entries of this scope, newest first (at most the
    /// server's default page of 1 000).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// let events = server.scope("test-42").requests().await?;
    /// # let _ = events; Ok(()) }
    /// ```
    pub async fn requests(&self) -> Result<Vec<ServeEvent>> {
        let scope = Some(self.checked()?);
        self.client.run(ops::requests(None, scope)).await
    }

    /// Checks that the journal holds `times` requests of this scope
    /// matching `pattern`, as [`Client::verify`] does.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// server.scope("test-42").verify(get("/users").service("example"), at_least(1)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn verify(&self, pattern: RequestPattern, times: impl Into<Times>) -> Result<()> {
        let scope = Some(self.checked()?);
        self.client.verify_in(scope, pattern, times.into()).await
    }

    /// How many journal entries of this scope the server dropped since the
    /// journal was last reset (see [`Client::journal_evicted`]).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// let evicted = server.scope("test-42").journal_evicted().await?;
    /// # let _ = evicted; Ok(()) }
    /// ```
    pub async fn journal_evicted(&self) -> Result<u64> {
        let scope = Some(self.checked()?);
        self.client.journal_evicted_in(scope).await
    }

    /// Removes this scope's stubs, overrides and journal entries, nothing
    /// else (`DELETE /__admin/scopes/{name}`); gives how many of each went.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// let removed = server.scope("test-42").reset().await?;
    /// println!("{} stubs removed", removed.stubs);
    /// # Ok(()) }
    /// ```
    pub async fn reset(&self) -> Result<ScopeInfo> {
        let scope = self.checked()?;
        self.client.run(ops::remove_scope(scope)).await
    }
}
