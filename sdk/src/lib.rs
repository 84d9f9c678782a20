//! # fake-servicer SDK
//!
//! Write a mock HTTP service as a small Rust `cdylib` crate; the
//! `fake-servicer` server loads it, serves it at `http://<service>/…` and at
//! `http://fake-services/<service>/…`, and hot-swaps it on every rebuild.
//!
//! ```
//! use fake_servicer::prelude::*;
//!
//! #[derive(Serialize)]
//! struct Thing { id: u64, name: String }
//! #[derive(Deserialize)]
//! struct ThingQuery { id: u64 }
//!
//! #[route(get, "/thing")]
//! fn get_thing(Query(q): Query<ThingQuery>) -> Result<Json<Thing>, (StatusCode, &'static str)> {
//!     if random::<f64>() < 0.1 {
//!         return Err((StatusCode::FORBIDDEN, "Auth error"));
//!     }
//!     Ok(Json(Thing { id: q.id, name: fake::name() }))
//! }
//!
//! #[route(get, "/users/{id}")]
//! fn get_user(Path(id): Path<u64>) -> Option<Json<Thing>> {
//!     (id == 1).then(|| Json(Thing { id, name: fake::name() }))
//! }
//!
//! fake_servicer::service!(get_thing, get_user);
//! # fn main() {}
//! ```
//!
//! The crate's `Cargo.toml` needs `crate-type = ["cdylib"]` and must not set
//! `panic = "abort"` (a handler's panic is answered 500; under `abort` it
//! would take the server down, so `service!` refuses to compile).
//!
//! - [`#[route]`](route) turns a plain, synchronous fn into a route.
//! - Its arguments are [extractors](FromRequest): [`Path`], [`Query`],
//!   [`Json`], [`Headers`], [`Body`], [`Method`], `String`, the
//!   [`WholeRequest`], shared [`State`]; `Option<T>` and
//!   `Result<T, Rejection>` of any of them to handle a refusal yourself.
//! - It returns anything [`IntoResponse`]: [`Response`] (with delays, chunks
//!   and faults), [`Json`], text, [`StatusCode`], tuples, `Result`, `Option`.
//! - [`fake`] makes fake data, [`random`] random values.
//! - State lives in statics and resets when the plugin is reloaded.

#![warn(missing_docs)]

#[doc(hidden)]
pub mod __private;
pub mod abi;
mod extract;
pub mod fake;
mod rejection;
mod request;
mod response;

pub use extract::{Body, FromRequest, Headers, Json, Path, Query, State, WholeRequest};
pub use http::{Method, StatusCode};
pub use rejection::Rejection;
pub use request::Request;
pub use response::{Fault, IntoResponse, Response};

/// The `rand` crate, for anything beyond [`random`].
pub use rand;
/// A random value of any type `rand` can generate (`random::<f64>()`).
pub use rand::random;
/// The `serde_json` crate (`serde_json::json!` and friends).
pub use serde_json;

/// Registers a plain synchronous fn as a route of this service.
///
/// `#[route(METHOD, "/path/{param}")]` with METHOD one of `get`, `post`,
/// `put`, `patch`, `delete`, `head`, `options`. Each argument's type must
/// implement [`FromRequest`]; the return type must implement
/// [`IntoResponse`]. The fn itself is left as written, so it can be called
/// from unit tests.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(delete, "/users/{id}")]
/// fn delete_user(Path(id): Path<u64>) -> StatusCode {
///     if id == 0 { StatusCode::NOT_FOUND } else { StatusCode::NO_CONTENT }
/// }
///
/// # fn main() {
/// assert_eq!(delete_user(Path(3)), StatusCode::NO_CONTENT);
/// # }
/// ```
pub use fake_servicer_macros::route;

/// Exports the crate's routes as a fake-servicer service.
///
/// `service!(fn_a, fn_b, …)` names the `#[route]` fns to serve (paths such as
/// `users::get_user` work too). The service is named after the crate
/// (`CARGO_CRATE_NAME`); `service!(name = "payments", fn_a, …)` names it
/// explicitly. Call it once per crate.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(get, "/ping")]
/// fn ping() -> &'static str { "pong" }
///
/// fake_servicer::service!(name = "payments", ping);
/// # fn main() {}
/// ```
pub use fake_servicer_macros::service;

/// Everything a plugin usually needs: `use fake_servicer::prelude::*;`.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(get, "/hello")]
/// fn hello() -> Json<serde_json::Value> {
///     Json(serde_json::json!({"hello": fake::first_name()}))
/// }
/// # fn main() {}
/// ```
pub mod prelude {
    pub use crate::fake;
    pub use crate::{
        Body, Fault, FromRequest, Headers, IntoResponse, Json, Method, Path, Query, Response,
        State, StatusCode, WholeRequest, random, route,
    };
    pub use serde::{Deserialize, Serialize};
}
