//! The client's integration tests against a real fake-servicer, in one
//! binary, one module per subject; the fixtures are the `testkit` crate
//! (`testkit/`).

mod blocking;
mod client;
mod resources;
mod scopes;
mod streams;
mod testcontainers;
