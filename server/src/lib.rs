//! fake-servicer: mock HTTP services for integration tests, written as Rust
//! plugins that are hot-reloaded on every `cargo build`.
//!
//! The binary (`fake-servicer`) only parses the command line and runs a
//! [`Server`]; tests can embed one the same way:
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
//! Request path: [`routing`] picks the service (Host, then first path
//! segment); [`dispatch`] asks, in order, the armed [`overrides`], the
//! [`mappings`] (stubs, matched by [`matchers`]) and the plugin route ([`runner`]:
//! inline when proven fast, else on the blocking pool); the [`journal`] records the outcome; [`plan`]
//! carries out the answer (delays, chunks, [`conn`] faults). Plugins:
//! [`plugin`] loads, registers and watches libraries. The [`admin`] API
//! steers all of it.

pub mod admin;
pub mod config;
pub mod conn;
pub mod dispatch;
pub mod docker;
pub mod healthcheck;
pub mod journal;
pub mod mappings;
pub mod matchers;
pub mod overrides;
pub mod plan;
pub mod plugin;
pub mod request;
pub mod routing;
pub mod runner;
pub mod serve;
pub mod server;
pub mod settings;

pub use config::Config;
pub use server::{Server, StartError};
