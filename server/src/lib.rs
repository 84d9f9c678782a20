//! fake-servicer: mock HTTP services for integration tests, written as Rust
//! plugins that are hot-reloaded on every `cargo build`.
//!
//! The binary (`fake-servicer`) only parses the command line into a
//! [`Config`] and runs a [`Server`]; tests can embed one the same way:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use fake_servicer_server::{Config, Server};
//! let server = Server::start(Config::local("target/debug")).await?;
//! let users = format!("{}/example/users", server.url());
//! # let _ = users;
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! `docs/ARCHITECTURE.md` in the repository walks through the modules.
//! The public modules are the ones the binary, the tests and the fuzz
//! targets use; the rest is the server's own.

// Starting and stopping: configuration, the server, the accept loop and
// its connections.
pub mod config;
pub(crate) mod conn;
pub(crate) mod head_timer;
pub(crate) mod idle;
pub(crate) mod serve;
pub mod server;
pub(crate) mod state;
pub(crate) mod tls;
pub(crate) mod unsent;

// The request path, in order: which service (`routing`), what answers it
// (`dispatch` asks the `answer` sources: arming and armed overrides, a
// stub, a plugin route through the `runner`, the 404), the journal records
// it, the plan is carried out (a stream's items by `streams`); error
// answers are `refusal`s.
pub(crate) mod answer;
pub(crate) mod cors;
pub(crate) mod dispatch;
pub(crate) mod grpc;
pub(crate) mod gzip;
pub use fake_servicer_core::fault;
pub(crate) mod journal;
pub mod mappings;
pub use fake_servicer_wiremock::matchers;
pub(crate) mod offload;
pub mod overrides;
pub mod plan;
pub mod proxy;
pub mod record;
pub(crate) mod refusal;
pub use fake_servicer_core::request;
pub mod routing;
pub mod runner;
pub mod scope;
pub(crate) mod streams;
pub use fake_servicer_wiremock::template;
pub(crate) mod webhooks;

// Stateful answers: declared resources and the Kubernetes API, their state
// kept per scope.
pub(crate) mod kubernetes;
pub(crate) mod per_scope;

// Plugins and the files behind plugins and stubs.
pub(crate) mod body_files;
pub(crate) mod plugin;
pub(crate) use fake_servicer_core::regular_file;
pub(crate) mod sources;
pub(crate) mod watch;

// Steering it: the admin API and its settings; Docker DNS aliases.
pub(crate) mod admin;
pub(crate) mod docker;
pub(crate) mod settings;

// Small shared pieces.
pub(crate) mod headers;
pub(crate) use fake_servicer_core::sync;
pub(crate) mod timestamp;
pub(crate) mod token;
pub(crate) mod trim;

pub use config::{Config, DockerMode};
pub use server::{Server, StartError};
