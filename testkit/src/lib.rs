//! What the integration tests of this workspace share (`server/tests/it`,
//! `client/tests/it`): a real server on a loopback port that stops when
//! dropped, a plain HTTP client and a raw admin API client, a raw-socket
//! exchange, real plugin crates built with real `cargo build`, polling,
//! the built binary as a process, and the visible skip of tests whose tools
//! are missing.
//!
//! A dev-dependency only, of the integration tests only: it depends on the
//! `fake-servicer` library, so the server's unit tests (a separate build of
//! that library) must not use it.
//!
//! Cargo gives integration tests `CARGO_TARGET_TMPDIR` and, in the
//! `fake-servicer` package, `CARGO_BIN_EXE_fake-servicer` at compile time;
//! a library gets neither, so [`tmp_dir`] and [`binary`] find them at run
//! time from the test's own path, and what needs the exact binary cargo
//! built takes it as an argument ([`Process::start`]).
//!
//! Every helper panics, naming what failed, where a test could not go on.
//!
//! ```no_run
//! # async fn demo() {
//! use testkit::{Admin, serve_examples};
//! // The example plugins, the journal capped at 20 entries.
//! let server = serve_examples(|c| c.journal_size = 20).await;
//! let users = Admin::new(&server).mock(http::Method::GET, "/example/users", &[], "").await;
//! assert_eq!(users.status, http::StatusCode::OK);
//! // Dropped here: the server stops, then its plugin dir goes.
//! # }
//! ```

#![warn(missing_docs)]

mod paths;
mod plugins;
mod poll;
mod process;
mod raw;
mod server;
mod skip;
mod web;

pub use paths::{binary, profile_dir, target_dir, tmp_dir, workspace_root};
pub use plugins::{
    PluginCrate, answering_plugin, build_example, built_library, cargo_build, examples,
    install_like_cargo, plugin_target, sdk_variant, two_versions,
};
pub use poll::eventually;
pub use process::Process;
pub use raw::{Exchange, RAW_READ_TIMEOUT, decode_chunked, exchange, exchange_async, split_head};
pub use server::{TestServer, serve, serve_examples, start_server, start_with};
pub use skip::{skip, skip_log, tools_required};
pub use web::{Admin, Http, Reply};
