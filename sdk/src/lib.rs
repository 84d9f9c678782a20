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
//!   and faults), [`Json`], text, [`StatusCode`], tuples, `Result`, `Option`,
//!   and [`Streaming`]: a stream of server-sent events ([`Sse`]), NDJSON
//!   lines, text and pauses, which may stay open for the items tests push.
//! - A handler taking a [`WebSocketMessage`] and answering a [`WebSocket`]
//!   makes its route a WebSocket: called on open and for each message.
//! - [`fake`] makes fake data, [`random`] random values.
//! - State lives in statics and resets when the plugin is reloaded; a
//!   [`Store`] keeps it per [`Scope`], as the tests sharing the server
//!   tag their requests (each test sees only its own writes), and drops a
//!   scope's state when the scope ends.
//! - With the cargo feature `grpc`: typed gRPC handlers, `#[grpc]` and the
//!   `grpc` module (prost messages, `Status`, server streams).

#![warn(missing_docs)]

#[doc(hidden)]
pub mod __private;
pub mod abi;
mod extract;
pub mod fake;
#[cfg(feature = "grpc")]
pub mod grpc;
mod rejection;
mod request;
mod response;
mod store;
mod stream;
mod websocket;

pub use extract::{Body, FromRequest, Headers, Json, Path, Query, State, WholeRequest};
pub use http::{Method, StatusCode};
pub use rejection::Rejection;
pub use request::Request;
pub use response::{Fault, IntoResponse, Response};
pub use store::{Scope, Store, forget_scope};
pub use stream::{Sse, Streaming};
pub use websocket::{WebSocket, WebSocketMessage};

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
///
/// A plugin with gRPC handlers (`#[grpc]`, feature `grpc`) also gives the
/// server its services' descriptors:
/// `descriptors = <expr>`, an expression of type `&'static [u8]` holding an
/// encoded `google.protobuf.FileDescriptorSet` (before the route fns,
/// like `name =`, in either order). The server then knows the services: its
/// gRPC reflection lists them, its health service reports them `SERVING`,
/// the journal records their calls' messages as JSON and a stub can answer
/// one of their methods in the plugin's place (see `docs/grpc.md`). The set
/// is usually written by `build.rs` — protox's
/// `prost::Message::encode_to_vec(&fds)` to `$OUT_DIR/<name>.bin` — and
/// included with `include_bytes!(concat!(env!("OUT_DIR"), "/<name>.bin"))`
/// (the complete example is `plugins/greeter`). Without it the plugin's
/// methods are still served, but only the plugin knows their messages.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(get, "/ping")]
/// fn ping() -> &'static str { "pong" }
///
/// // In a real plugin:
/// // include_bytes!(concat!(env!("OUT_DIR"), "/payments.bin"))
/// // Here a set of one file, `payments.proto`, that defines nothing.
/// static DESCRIPTORS: &[u8] = b"\x0a\x10\x0a\x0epayments.proto";
///
/// fake_servicer::service!(name = "payments", descriptors = DESCRIPTORS, ping);
/// # fn main() {}
/// ```
pub use fake_servicer_macros::service;

/// Registers a plain synchronous fn as the handler of a gRPC method
/// (cargo feature `grpc`).
///
/// `#[grpc("/<package>.<Service>/<Method>")]` on a unary handler
/// `fn(Req, extractors…) -> Result<Reply, Status>`;
/// `#[grpc(stream, "/<package>.<Service>/<Method>")]` on a
/// server-streaming one, `fn(Req, extractors…) -> Result<Stream<Reply>,
/// Status>`; `#[grpc(client_stream, "…")]` on a client-streaming one,
/// `fn(Vec<Req>, …) -> Result<Reply, Status>`, and `#[grpc(bidi, "…")]` on
/// a bidirectional one, `fn(Vec<Req>, …) -> Result<Stream<Reply>, Status>`
/// (the server reads the client's whole stream first, [`grpc::Messages`]).
/// `Req` and `Reply` are prost messages (what `prost-build`
/// generates); the first argument is the request message, decoded with
/// [`grpc::Message`], and further arguments are ordinary
/// [extractors](FromRequest) ([`grpc::Metadata`], [`State`], …). The method
/// is served as `POST <path>` and listed in [`service!`] like a route; the
/// answer is framed by [`grpc::unary`] or [`grpc::server_stream`]. The fn
/// itself is left as written, so it can be called from unit tests. (A
/// `.proto` without a `package` makes paths `/<Service>/<Method>`.)
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[derive(Clone, PartialEq, prost::Message)]
/// pub struct GetUser {
///     #[prost(uint64, tag = "1")]
///     pub id: u64,
/// }
/// #[derive(Clone, PartialEq, prost::Message)]
/// pub struct User {
///     #[prost(uint64, tag = "1")]
///     pub id: u64,
///     #[prost(string, tag = "2")]
///     pub name: String,
/// }
///
/// #[grpc("/users.v1.Users/GetUser")]
/// fn get_user(req: GetUser) -> Result<User, Status> {
///     match req.id {
///         0 => Err(Status::not_found("no user 0")),
///         id => Ok(User { id, name: fake::name() }),
///     }
/// }
///
/// fake_servicer::service!(name = "users", get_user);
/// # fn main() {
/// assert_eq!(get_user(GetUser { id: 0 }).unwrap_err().code, grpc::Code::NotFound);
/// # }
/// ```
///
/// The path must name a method: this does not compile.
///
/// ```compile_fail
/// use fake_servicer::prelude::*;
/// # #[derive(Clone, PartialEq, prost::Message)]
/// # pub struct Empty {}
///
/// #[grpc("/get_user")] // not `/<package>.<Service>/<Method>`
/// fn get_user(req: Empty) -> Result<Empty, Status> {
///     Ok(req)
/// }
/// # fn main() {}
/// ```
#[cfg(feature = "grpc")]
pub use fake_servicer_macros::grpc;

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
    /// The `grpc` module and the `#[grpc]` attribute (feature `grpc`).
    #[cfg(feature = "grpc")]
    pub use crate::grpc;
    #[cfg(feature = "grpc")]
    pub use crate::grpc::{Metadata, Status, Stream};
    pub use crate::{
        Body, Fault, FromRequest, Headers, IntoResponse, Json, Method, Path, Query, Response,
        Scope, Sse, State, StatusCode, Store, Streaming, WebSocket, WebSocketMessage, WholeRequest,
        random, route,
    };
    pub use serde::{Deserialize, Serialize};
}
