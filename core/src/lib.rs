//! The facts fake-servicer's request path and its WireMock emulation
//! (`fake-servicer-wiremock`) share, and nothing else: a received request
//! ([`request::Recorded`]), header lists, connection faults, the delay
//! limit, the CPU budget of a request's heavy work, service names, bounded
//! reads of regular files.
//!
//! ```
//! use fake_servicer_core::service::same_service;
//! assert!(same_service("Other-Service", "other_service"));
//! ```

pub mod budget;
pub mod delay;
pub mod fault;
pub mod headers;
pub mod regular_file;
pub mod request;
pub mod service;
pub mod sync;

/// The longest scope name, in bytes.
pub const MAX_SCOPE_LEN: usize = 256;
