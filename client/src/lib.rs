//! A Rust client for fake-servicer
//! mock servers (and WireMock-style admin APIs), for integration tests:
//! stubs, next-request overrides, verification, waiting for requests,
//! journal queries, scopes for tests sharing one server, items pushed to
//! live streams ([`Push`]), and resets, with builders that read as prose. Async on `reqwest`; the
//! `blocking` feature adds a synchronous client, the `testcontainers`
//! feature an image that starts the server in a container.
//!
//! ```no_run
//! # async fn demo() -> fake_servicer_client::Result<()> {
//! use fake_servicer_client::prelude::*;
//!
//! let server = Client::new("http://127.0.0.1:8080");
//!
//! // A stub: GET /users/7 on service `example` answers this JSON.
//! server
//!     .stub(get("/users/7").service("example"))
//!     .respond(json(serde_json::json!({"id": 7, "name": "Stubbed"})))
//!     .await?;
//!
//! // An override: the next GET /users on `example` answers 403.
//! server.next_request("example", GET, "/users").status(403).arm().await?;
//!
//! // … exercise the app under test …
//!
//! server.verify(get("/users/7").service("example"), 1).await?;
//! assert!(server.unmatched().await?.is_empty());
//! server.reset().await?;
//!
//! // Tests sharing the server each work in their own scope, and wait for
//! // what the app sends in the background.
//! let test = server.scope("test-42");
//! test.next_request("example", GET, "/users").status(503).arm().await?;
//! // … call the app with the header `baggage: {test.baggage()}` …
//! let calls = test.wait(get("/users").service("example")).count(1).await?;
//! test.reset().await?;
//! # let _ = calls;
//! # Ok(()) }
//! ```
//!
//! Errors say what the server answered: a refused stub is an
//! [`Error::Server`] with the status (422) and WireMock's error body.

mod calls;
mod client;
// After `client`: rustdoc lists the async client's methods on the shared
// builders and on `Scope` first, so that the blocking ones' links to their
// async twins (`Scope::count`, …) land on them.
#[cfg(feature = "blocking")]
pub mod blocking;
mod error;
mod journal;
mod matchers;
mod next_request;
mod ops;
mod pattern;
mod prepare;
mod response;
mod scope;
mod services;
mod streams;
mod stub;
#[cfg(feature = "testcontainers")]
pub mod testcontainers;
mod wait;

pub use client::{Client, ClientBuilder};
pub use error::{Error, Result};
pub use http::Method;
pub use journal::{LoggedRequest, ServeEvent, Times, at_least, at_most, exactly, never};
pub use matchers::{
    Matcher, absent, binary_equal_to, contains, does_not_contain, does_not_match, equal_to,
    equal_to_json, matches, matches_json_path, matches_json_path_with,
};
pub use next_request::NextRequest;
pub use pattern::{
    RequestPattern, UrlMatcher, any, any_url, delete, get, patch, post, put, request, url,
    url_path, url_path_pattern, url_path_template, url_pattern,
};
pub use prepare::DEFAULT_TIMEOUT;
pub use response::{Fault, Response, fault, json, ok, proxy_to, status};
pub use scope::{Scope, ScopeInfo};
pub use services::{Health, Refused, Service, Services};
pub use streams::{Push, Pushed, Sse, StreamInfo};
pub use stub::{Stub, StubBuilder};
pub use wait::{DEFAULT_WAIT_TIMEOUT, Wait};

/// `GET`, for [`Client::next_request`].
///
/// ```
/// assert_eq!(fake_servicer_client::GET, fake_servicer_client::Method::GET);
/// ```
pub const GET: Method = Method::GET;
/// `POST`, for [`Client::next_request`].
///
/// ```
/// assert_eq!(fake_servicer_client::POST, fake_servicer_client::Method::POST);
/// ```
pub const POST: Method = Method::POST;
/// `PUT`, for [`Client::next_request`].
///
/// ```
/// assert_eq!(fake_servicer_client::PUT, fake_servicer_client::Method::PUT);
/// ```
pub const PUT: Method = Method::PUT;
/// `DELETE`, for [`Client::next_request`].
///
/// ```
/// assert_eq!(fake_servicer_client::DELETE, fake_servicer_client::Method::DELETE);
/// ```
pub const DELETE: Method = Method::DELETE;
/// `PATCH`, for [`Client::next_request`].
///
/// ```
/// assert_eq!(fake_servicer_client::PATCH, fake_servicer_client::Method::PATCH);
/// ```
pub const PATCH: Method = Method::PATCH;

/// Everything a test needs, in one import.
///
/// ```
/// use fake_servicer_client::prelude::*;
///
/// let pattern = get("/users").service("example").header("Accept", contains("json"));
/// let answer = status(503).body("down");
/// # let _ = (pattern, answer, GET);
/// ```
pub mod prelude {
    pub use crate::{
        Client, DELETE, Fault, GET, Method, PATCH, POST, PUT, Times, absent, any, any_url,
        at_least, at_most, binary_equal_to, contains, delete, does_not_contain, does_not_match,
        equal_to, equal_to_json, exactly, fault, get, json, matches, matches_json_path,
        matches_json_path_with, never, ok, patch, post, proxy_to, put, request, status, url,
        url_path, url_path_pattern, url_path_template, url_pattern,
    };
}
