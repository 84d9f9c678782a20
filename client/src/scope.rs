//! Scopes: tests sharing one server each work in their own scope, so that
//! one test's stubs, overrides and journal entries never reach another's.
//! [`Client::scope`](crate::Client::scope) gives a [`Scope`]: the calls of
//! a test, within its scope.

use crate::error::{Error, Result};
use crate::next_request::NextRequest;
use crate::pattern::RequestPattern;
use crate::stub::StubBuilder;
use crate::wait::Wait;
use http::Method;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

/// The longest scope name the server keeps (in bytes).
const MAX_LEN: usize = 256;

/// Everything but RFC 3986's unreserved characters is encoded.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `name` percent-encoded for a path segment or a query value.
pub(crate) fn encoded(name: &str) -> String {
    utf8_percent_encode(name, RESERVED).to_string()
}

/// Why `name` cannot name a scope, if it cannot: it travels in a header,
/// so it is printable ASCII, without surrounding blanks, at most 256 bytes.
fn problem(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        Some("a scope name cannot be blank".to_owned())
    } else if name.trim() != name {
        Some(format!("scope {name:?}: no blanks around a scope name"))
    } else if name.len() > MAX_LEN {
        Some(format!(
            "scope {name:?}: longer than {MAX_LEN} bytes, the server ignores it"
        ))
    } else if !name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        Some(format!(
            "scope {name:?}: only printable ASCII travels in the scope header"
        ))
    } else {
        None
    }
}

/// What a scope holds, as `GET /__admin/scopes` lists it — or what
/// [`Scope::reset`] removed.
///
/// ```no_run
/// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
/// for s in server.scopes().await? {
///     println!("{}: {} stubs, {} overrides, {} requests", s.scope, s.stubs, s.overrides, s.requests);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ScopeInfo {
    /// The scope's name.
    pub scope: String,
    /// Its stubs.
    #[serde(default)]
    pub stubs: u64,
    /// Its armed next-request overrides.
    #[serde(default)]
    pub overrides: u64,
    /// Its journal entries.
    #[serde(default)]
    pub requests: u64,
}

/// The calls of one test, within its scope: stubs it makes answer only
/// requests of the scope (and before every unscoped stub), overrides it
/// arms are consumed only by them, journal queries, verifications and
/// waits see only them, and [`reset`](Scope::reset) removes only the
/// scope's stubs, overrides and journal entries.
///
/// A request belongs to scope `S` when it carries the header
/// `X-Fake-Servicer-Scope: S`, a `baggage` member `fake-servicer-scope=S`,
/// or a `traceparent` whose trace id is `S`: the app under test passes
/// them on to the mock. Made by
/// [`Client::scope`](crate::Client::scope) (or the blocking client's);
/// `C` is the client it calls with.
///
/// ```no_run
/// # async fn demo() -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::prelude::*;
///
/// let server = Client::new("http://fake-services");
/// let test = server.scope("test-42");
/// test.stub(get("/users/7").service("example")).respond(status(404)).await?;
/// test.next_request("example", GET, "/users").status(403).arm().await?;
/// // … call the app with `baggage: fake-servicer-scope=test-42` …
/// test.verify(get("/users/7").service("example"), 1).await?;
/// test.reset().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Scope<C> {
    pub(crate) client: C,
    pub(crate) name: String,
    problem: Option<String>,
}

impl<C> Scope<C> {
    pub(crate) fn new(client: C, name: &str) -> Scope<C> {
        Scope {
            client,
            name: name.to_owned(),
            problem: problem(name),
        }
    }

    /// The scope's name.
    ///
    /// ```
    /// let test = fake_servicer_client::Client::new("http://127.0.0.1:8080").scope("test-42");
    /// assert_eq!(test.name(), "test-42");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `baggage` header value that puts a request in this scope
    /// (`fake-servicer-scope=<name>`, percent-encoded): what a test sends
    /// the app under test, for the app to pass on.
    ///
    /// ```
    /// let test = fake_servicer_client::Client::new("http://127.0.0.1:8080").scope("test 42");
    /// assert_eq!(test.baggage(), "fake-servicer-scope=test%2042");
    /// ```
    pub fn baggage(&self) -> String {
        format!("fake-servicer-scope={}", encoded(&self.name))
    }

    /// The client it calls with (for calls outside the scope).
    ///
    /// ```
    /// let test = fake_servicer_client::Client::new("http://127.0.0.1:8080").scope("test-42");
    /// assert_eq!(test.client().base_url(), "http://127.0.0.1:8080");
    /// ```
    pub fn client(&self) -> &C {
        &self.client
    }

    /// The scope name for a call, or why it cannot be sent.
    pub(crate) fn checked(&self) -> Result<&str> {
        match &self.problem {
            Some(p) => Err(Error::Invalid(p.clone())),
            None => Ok(&self.name),
        }
    }

    /// Starts a stub that answers only requests of this scope, before every
    /// unscoped stub; the server records the scope in the mapping's
    /// `metadata` (`{"fake-servicer": {"scope": …}}`).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// server.scope("test-42").stub(get("/users").service("example")).respond(json([0; 0])).await?;
    /// # Ok(()) }
    /// ```
    pub fn stub(&self, pattern: RequestPattern) -> StubBuilder<'_, C> {
        StubBuilder::new(&self.client, pattern).scoped(self.scope_for_builder())
    }

    /// Starts a next-request override that only requests of this scope
    /// consume (armed with `X-Fake-Servicer-Next-Request-Scope`).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// server.scope("test-42").next_request("example", GET, "/users").status(503).arm().await?;
    /// # Ok(()) }
    /// ```
    pub fn next_request(&self, service: &str, method: Method, path: &str) -> NextRequest<'_, C> {
        NextRequest::new(&self.client, service, method, path).scoped(self.scope_for_builder())
    }

    /// Starts a wait for requests of this scope matching `pattern`.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// let posted = server.scope("test-42").wait(post("/events").service("audit")).await?;
    /// # let _ = posted; Ok(()) }
    /// ```
    pub fn wait(&self, pattern: RequestPattern) -> Wait<'_, C> {
        Wait::new(&self.client, pattern, Some(self.scope_for_builder()))
    }

    /// The scope for a builder: its name, or the problem with it, which the
    /// builder reports when sent.
    fn scope_for_builder(&self) -> std::result::Result<String, String> {
        match &self.problem {
            Some(p) => Err(p.clone()),
            None => Ok(self.name.clone()),
        }
    }
}
