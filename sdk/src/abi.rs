//! The stable ABI between the server and a plugin library.
//!
//! Everything here is `#[repr(C)]` and derives [`StableAbi`], so the server
//! can check at load time (with `abi_stable`'s layout checker) that a plugin
//! was built against a compatible SDK. Plugin authors never touch these types:
//! [`#[route]`](crate::route) and [`service!`](crate::service) generate the
//! glue.
//!
//! Ownership rules:
//! - [`FfiRequest`] only *borrows* server memory for the duration of one call.
//! - [`FfiResponse`] is allocated by the plugin; the server copies it into its
//!   own memory before it lets go of the library.
//!
//! A route called the way the server calls it, for `GET /hello/jo`:
//!
//! ```
//! use fake_servicer::__private::{RSlice, RStr};
//! use fake_servicer::abi::{FfiFault, FfiParam, FfiRequest};
//! use fake_servicer::prelude::*;
//!
//! #[route(get, "/hello/{name}")]
//! fn hello(Path(name): Path<String>) -> String {
//!     format!("hello {name}")
//! }
//!
//! // The `FfiRoute` that `#[route]` generates beside the fn.
//! # let route = __fake_servicer_route_hello;
//! assert_eq!((route.method.as_str(), route.path.as_str()), ("GET", "/hello/{name}"));
//! let params = [FfiParam { name: RStr::from_str("name"), value: RStr::from_str("jo") }];
//! let request = FfiRequest {
//!     method: RStr::from_str("GET"),
//!     path: RStr::from_str("/hello/jo"),
//!     query: RStr::from_str(""),
//!     headers: RSlice::from_slice(&[]),
//!     params: RSlice::from_slice(&params),
//!     body: RSlice::from_slice(&[]),
//! };
//! let response = (route.handler)(&request);
//! assert_eq!(response.status, 200);
//! assert_eq!(response.body.as_slice(), b"hello jo");
//! assert!(response.headers.iter().any(|h| h.name.as_str() == "content-type"
//!     && h.value.as_slice() == b"text/plain; charset=utf-8"));
//! assert_eq!(response.fault, FfiFault::None);
//! assert_eq!(FfiFault::from_name("EMPTY_RESPONSE"), Some(FfiFault::EmptyResponse));
//! ```

use abi_stable::{
    StableAbi, declare_root_module_statics,
    library::RootModule,
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{RSlice, RStr, RString, RVec},
};

/// Version of the plugin calling convention. The server refuses a plugin
/// whose module reports another value and says to rebuild it.
pub const SDK_ABI_VERSION: u32 = 1;

/// Version of the SDK crate a plugin was built with (shown by the server).
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One request header: a borrowed name (lower case) and raw value bytes.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug)]
pub struct FfiHeader<'a> {
    /// Header name, lower case.
    pub name: RStr<'a>,
    /// Raw header value.
    pub value: RSlice<'a, u8>,
}

/// One path parameter captured by a `{name}` segment, percent-decoded.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug)]
pub struct FfiParam<'a> {
    /// Name of the `{name}` segment.
    pub name: RStr<'a>,
    /// Decoded value.
    pub value: RStr<'a>,
}

/// A request as the plugin sees it: borrowed views of server-owned memory.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug)]
pub struct FfiRequest<'a> {
    /// HTTP method, upper case (`GET`).
    pub method: RStr<'a>,
    /// Path relative to the service (`/users/7`), still percent-encoded.
    pub path: RStr<'a>,
    /// Raw query string without the `?` (may be empty).
    pub query: RStr<'a>,
    /// Headers in the order received, duplicates kept.
    pub headers: RSlice<'a, FfiHeader<'a>>,
    /// Path parameters in pattern order.
    pub params: RSlice<'a, FfiParam<'a>>,
    /// The whole request body.
    pub body: RSlice<'a, u8>,
}

/// A response header owned by the plugin until the server copies it.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct FfiResponseHeader {
    /// Header name.
    pub name: RString,
    /// Raw header value.
    pub value: RVec<u8>,
}

/// One piece of a dribbled body: sent after waiting `delay_ms`.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct FfiChunk {
    /// Milliseconds to wait before sending this chunk.
    pub delay_ms: u64,
    /// The bytes of the chunk.
    pub data: RVec<u8>,
}

/// A connection-level failure the server acts out instead of answering
/// (the names are WireMock's).
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FfiFault {
    /// Answer normally.
    None = 0,
    /// Reset the TCP connection (RST) without answering.
    ConnectionResetByPeer = 1,
    /// Close the connection without sending a byte.
    EmptyResponse = 2,
    /// Send a 200 status line and headers, then garbage, then close.
    MalformedResponseChunk = 3,
    /// Send random bytes, then close.
    RandomDataThenClose = 4,
}

impl FfiFault {
    /// All faults, with their WireMock names.
    pub const NAMES: [(&'static str, FfiFault); 4] = [
        ("CONNECTION_RESET_BY_PEER", FfiFault::ConnectionResetByPeer),
        ("EMPTY_RESPONSE", FfiFault::EmptyResponse),
        ("MALFORMED_RESPONSE_CHUNK", FfiFault::MalformedResponseChunk),
        ("RANDOM_DATA_THEN_CLOSE", FfiFault::RandomDataThenClose),
    ];

    /// Parses a WireMock fault name (`CONNECTION_RESET_BY_PEER`, …).
    pub fn from_name(name: &str) -> Option<FfiFault> {
        Self::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| *f)
    }

    /// The WireMock name of this fault (`None` for [`FfiFault::None`]).
    pub fn name(self) -> Option<&'static str> {
        Self::NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
    }
}

/// A response plan: what the server should send, and how.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct FfiResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers, in order, duplicates allowed.
    pub headers: RVec<FfiResponseHeader>,
    /// The body, when `chunks` is empty.
    pub body: RVec<u8>,
    /// When not empty, the body is sent as these chunks, each after its delay.
    pub chunks: RVec<FfiChunk>,
    /// Milliseconds to wait before sending the status line.
    pub delay_ms: u64,
    /// A fault to act out instead of answering.
    pub fault: FfiFault,
}

/// A response header marking a stream answer (see `docs/streams.md`): the
/// body is then a JSON list of stream items (`[{"sse": {…}}, {"delayMs":
/// 100}, …]`, as a stub's `"stream"`), and the value says whether the
/// stream stays open for pushes after them (`live`) or not (`end`). The
/// server removes the header and sends the items one by one; SDK types
/// set it ([`crate::Streaming`]), a handler need not.
pub const STREAM_HEADER: &str = "x-fake-servicer-stream";

/// A response header marking a WebSocket route's answer ([`crate::WebSocket`]):
/// the body is a JSON list of stream items, the messages to send (on open,
/// or in reply to a message). The server removes it.
pub const WEBSOCKET_HEADER: &str = "x-fake-servicer-websocket";

/// A request header the server sets when it calls a WebSocket route's
/// handler for a message: `text` or `binary` (the body is the message).
/// Absent on the handshake's call ([`crate::WebSocketMessage::Open`]).
pub const WEBSOCKET_MESSAGE_HEADER: &str = "x-fake-servicer-websocket-message";

/// The last request header the server hands a handler when the request
/// has a scope: its value is the scope's name (the first of the
/// request's scopes). Not a header a client can send (HTTP header names
/// have no `:`), and only handed to plugins whose module has
/// [`ServiceModule::forget_scope`]. [`crate::Request`] takes it out of the
/// headers: handlers see it as [`crate::Scope`].
pub const SCOPE_HEADER: &str = ":fake-servicer-scope";

/// The last response header of a handler that wrote to a [`crate::Store`]
/// in a scope (the value is empty): the server counts the call as use of
/// the request's scope, so that its state is kept while the scope is in
/// use and dropped when it ends as idle. The server removes it; set by the
/// SDK, and only read from plugins whose module has
/// [`ServiceModule::forget_scope`].
pub const STATE_WRITTEN_HEADER: &str = ":fake-servicer-state-written";

/// The `extern "C"` entry point generated by `#[route]` for one handler.
pub type HandlerFn = extern "C" fn(&FfiRequest<'_>) -> FfiResponse;

/// One route of a plugin: method, path pattern (`/users/{id}`) and shim.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug)]
pub struct FfiRoute {
    /// HTTP method, upper case.
    pub method: RStr<'static>,
    /// Path pattern with `{param}` segments.
    pub path: RStr<'static>,
    /// The generated shim (a [`HandlerFn`]).
    pub handler: extern "C" fn(&FfiRequest<'_>) -> FfiResponse,
}

/// The root module every plugin exports (through [`service!`](crate::service)).
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = ServiceModuleRef)))]
#[sabi(missing_field(panic))]
pub struct ServiceModule {
    /// [`SDK_ABI_VERSION`] of the SDK the plugin was built with.
    pub abi_version: u32,
    /// [`SDK_VERSION`] of the SDK the plugin was built with.
    pub sdk_version: RStr<'static>,
    /// Service name: `http://<name>/…` and `http://host/<name>/…`.
    pub name: RStr<'static>,
    /// The routes, in declaration order.
    #[sabi(last_prefix_field)]
    pub routes: RSlice<'static, FfiRoute>,
    /// The plugin's gRPC services: an encoded
    /// `google.protobuf.FileDescriptorSet` (`service!(descriptors = …)`),
    /// empty when it declares none.
    ///
    /// Added after the first release, after the prefix: a plugin built
    /// before it has no such field, and the accessor answers `None` for it.
    /// (The server checks plugins against [`prefix::ServiceModule`], so
    /// that such a plugin still loads.)
    #[sabi(missing_field(option))]
    pub grpc_descriptors: RSlice<'static, u8>,
    /// Makes the plugin's [`crate::Store`]s drop a scope's state: the
    /// scope's name, or the empty string for every scope's and the base's
    /// (a reset). The server calls it when a scope is deleted or ended as
    /// idle and on `POST /__admin/reset`.
    ///
    /// Appended after `grpc_descriptors`: the accessor answers `None` for
    /// a plugin built before it, which keeps no state per scope (checked
    /// against [`with_descriptors::ServiceModule`]).
    #[sabi(missing_field(option))]
    pub forget_scope: extern "C" fn(RStr<'_>),
}

impl RootModule for ServiceModuleRef {
    declare_root_module_statics! {ServiceModuleRef}
    const BASE_NAME: &'static str = "fake_servicer_service";
    const NAME: &'static str = "fake-servicer plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// [`ServiceModule`] as the first release declared it: its prefix, the
/// fields up to `routes`, which every plugin has.
///
/// abi_stable lets a loader load a library whose prefix type has more
/// fields than the loader knows (a newer library), not fewer: checked
/// against today's [`ServiceModule`], a plugin built before a field was
/// appended would be refused ("too many fields"). So the server checks
/// every plugin against this view (same type names, same package: the
/// same type to abi_stable's checker, in its first release), then reads
/// the fields appended since through [`ServiceModuleRef`] when the
/// plugin's module passes that check too. Never add a field here.
pub mod prefix {
    use super::FfiRoute;
    use abi_stable::{
        StableAbi, declare_root_module_statics,
        library::RootModule,
        package_version_strings,
        sabi_types::VersionStrings,
        std_types::{RSlice, RStr},
    };

    /// The prefix of [`super::ServiceModule`].
    #[repr(C)]
    #[derive(StableAbi)]
    #[sabi(kind(Prefix(prefix_ref = ServiceModuleRef)))]
    #[sabi(missing_field(panic))]
    pub struct ServiceModule {
        /// [`super::SDK_ABI_VERSION`] of the SDK the plugin was built with.
        pub abi_version: u32,
        /// [`super::SDK_VERSION`] of the SDK the plugin was built with.
        pub sdk_version: RStr<'static>,
        /// Service name.
        pub name: RStr<'static>,
        /// The routes, in declaration order.
        #[sabi(last_prefix_field)]
        pub routes: RSlice<'static, FfiRoute>,
    }

    impl RootModule for ServiceModuleRef {
        declare_root_module_statics! {ServiceModuleRef}
        const BASE_NAME: &'static str = "fake_servicer_service";
        const NAME: &'static str = "fake-servicer plugin";
        const VERSION_STRINGS: VersionStrings = package_version_strings!();
    }
}

/// [`ServiceModule`] as it was when `grpc_descriptors` was its last field.
///
/// As for [`prefix`]: a module of that SDK fails the check against today's
/// whole [`ServiceModule`] ("too many fields"), so the server checks it
/// against this view to read its descriptors. Never add a field here.
pub mod with_descriptors {
    use super::FfiRoute;
    use abi_stable::{
        StableAbi, declare_root_module_statics,
        library::RootModule,
        package_version_strings,
        sabi_types::VersionStrings,
        std_types::{RSlice, RStr},
    };

    /// [`super::ServiceModule`] up to `grpc_descriptors`.
    #[repr(C)]
    #[derive(StableAbi)]
    #[sabi(kind(Prefix(prefix_ref = ServiceModuleRef)))]
    #[sabi(missing_field(panic))]
    pub struct ServiceModule {
        /// [`super::SDK_ABI_VERSION`] of the SDK the plugin was built with.
        pub abi_version: u32,
        /// [`super::SDK_VERSION`] of the SDK the plugin was built with.
        pub sdk_version: RStr<'static>,
        /// Service name.
        pub name: RStr<'static>,
        /// The routes, in declaration order.
        #[sabi(last_prefix_field)]
        pub routes: RSlice<'static, FfiRoute>,
        /// The plugin's gRPC descriptors.
        #[sabi(missing_field(option))]
        pub grpc_descriptors: RSlice<'static, u8>,
    }

    impl RootModule for ServiceModuleRef {
        declare_root_module_statics! {ServiceModuleRef}
        const BASE_NAME: &'static str = "fake_servicer_service";
        const NAME: &'static str = "fake-servicer plugin";
        const VERSION_STRINGS: VersionStrings = package_version_strings!();
    }
}

/// The symbol under which a plugin exports its root module; `service!`
/// spells it out literally (it must be a literal in `#[export_name]`).
pub const ROOT_MODULE_SYMBOL: &str = "_1as_0lib_1header_0root_bmodule_bloader";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_module_symbol_matches_abi_stable() {
        assert_eq!(
            ROOT_MODULE_SYMBOL,
            abi_stable::library::ROOT_MODULE_LOADER_NAME
        );
    }

    #[test]
    fn a_module_publishes_its_grpc_descriptors() {
        use abi_stable::prefix_type::PrefixTypeTrait;
        let module = ServiceModule {
            abi_version: SDK_ABI_VERSION,
            sdk_version: RStr::from_str(SDK_VERSION),
            name: RStr::from_str("greeter"),
            routes: RSlice::from_slice(&[]),
            grpc_descriptors: RSlice::from_slice(b"\x0a\x00"),
            forget_scope: crate::__private::forget_scope,
        };
        let module: ServiceModuleRef = module.leak_into_prefix();
        let descriptors = module.grpc_descriptors().map(|d| d.as_slice());
        assert_eq!(descriptors, Some(&b"\x0a\x00"[..]));
    }

    #[test]
    fn the_prefix_view_checks_modules_of_every_version_whole_modules_only_as_new() {
        use abi_stable::{StableAbi, abi_stability::check_layout_compatibility};
        let prefix = <prefix::ServiceModuleRef as StableAbi>::LAYOUT;
        let whole = <ServiceModuleRef as StableAbi>::LAYOUT;
        // A loader of the prefix takes a module with more fields…
        assert!(check_layout_compatibility(prefix, whole).is_ok());
        assert!(check_layout_compatibility(prefix, prefix).is_ok());
        // …a loader of the whole module refuses one with fewer.
        let refused = check_layout_compatibility(whole, prefix).into_result();
        let report = refused
            .map(|()| String::new())
            .unwrap_or_else(|e| e.to_string());
        assert!(report.contains("too many fields"), "{report}");
    }

    #[test]
    fn each_earlier_view_checks_the_modules_after_it_and_not_the_reverse() {
        use abi_stable::{StableAbi, abi_stability::check_layout_compatibility};
        let prefix = <prefix::ServiceModuleRef as StableAbi>::LAYOUT;
        let descriptors = <with_descriptors::ServiceModuleRef as StableAbi>::LAYOUT;
        let whole = <ServiceModuleRef as StableAbi>::LAYOUT;
        assert!(check_layout_compatibility(prefix, descriptors).is_ok());
        assert!(check_layout_compatibility(descriptors, whole).is_ok());
        assert!(check_layout_compatibility(descriptors, descriptors).is_ok());
        // A module of the SDK before `forget_scope` is refused by the
        // whole module: the server falls back to the view.
        assert!(check_layout_compatibility(whole, descriptors).is_err());
    }

    #[test]
    fn fault_names_round_trip() {
        for (name, fault) in FfiFault::NAMES {
            assert_eq!(FfiFault::from_name(name), Some(fault));
            assert_eq!(fault.name(), Some(name));
        }
        assert_eq!(FfiFault::None.name(), None);
        assert_eq!(FfiFault::from_name("NOPE"), None);
    }
}
