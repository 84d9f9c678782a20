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
//! segment) and route, [`dispatch`] runs the plugin handler off the async
//! workers, [`plan`] carries out its answer (delays, chunks, [`conn`]
//! faults). Plugins: [`plugin`] loads, registers and watches libraries.

pub mod admin;
pub mod config;
pub mod conn;
pub mod dispatch;
pub mod plan;
pub mod plugin;
pub mod routing;
pub mod server;

pub use config::Config;
pub use server::{Server, StartError};
