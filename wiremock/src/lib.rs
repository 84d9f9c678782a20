//! fake-servicer's WireMock emulation: what a WireMock mapping means, as
//! values the server runs.
//!
//! - [`stub`]: a mapping parsed once into a [`stub::Stub`] (its request
//!   pattern, its response definition, its scenario rule), or a JSON
//!   pointer to what is wrong;
//! - [`matchers`]: request patterns and their matchers, with the distances
//!   near misses rank by ([`matchers::near_miss`]);
//! - [`template`]: response templates (Handlebars with WireMock's helpers);
//! - [`recording`]: stubs made from proxied exchanges;
//! - [`webhook`]: webhooks, sent after a stub's answer.
//!
//! It knows nothing of how requests arrive or answers leave: the server
//! hands it a received [`fake_servicer_core::request::Recorded`] and runs
//! what it returns.
//!
//! ```
//! use fake_servicer_wiremock::stub::parse_mapping;
//! let stub = parse_mapping(
//!     &serde_json::json!({"request": {"urlPath": "/ping"}, "response": {"body": "pong"}}),
//!     0,
//!     None,
//! )
//! .unwrap();
//! assert_eq!(stub.response.body, "pong");
//! ```

pub mod matchers;
pub mod recording;
pub mod shapes;
pub mod stream;
pub mod stub;
pub mod template;
pub mod webhook;

pub(crate) use fake_servicer_core::request;
