//! Host/prefix resolution and route matching with path parameters.
//!
//! Property: the service-relative path is a suffix of the request's path
//! (what resolution removes is a prefix naming the service), except for a
//! request to the service's root without a trailing slash (`/example`),
//! which resolves to `/`; and the service is one of those loaded.
#![no_main]

use fake_servicer::__private::RStr;
use fake_servicer::abi::{FfiRequest, FfiResponse, FfiRoute};
use fake_servicer_server::routing::{RouteTable, resolve};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

extern "C" fn nop(_: &FfiRequest<'_>) -> FfiResponse {
    fake_servicer::Response::new().into_ffi()
}

fn table() -> &'static RouteTable {
    static TABLE: OnceLock<RouteTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let route = |m: &'static str, p: &'static str| FfiRoute {
            method: RStr::from_str(m),
            path: RStr::from_str(p),
            handler: nop,
        };
        RouteTable::build(&[
            route("GET", "/users"),
            route("POST", "/users"),
            route("GET", "/users/{id}"),
            route("GET", "/users/{id}/orders/{order}"),
            route("GET", "/files/{*rest}"),
        ])
        .expect("a valid table")
    })
}

/// The services the fuzzed requests can name.
const SERVICES: [&str; 2] = ["example", "other_service"];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let host = parts.next().filter(|h| !h.is_empty());
    let method = http::Method::from_bytes(parts.next().unwrap_or("GET").as_bytes())
        .unwrap_or(http::Method::GET);
    let path = parts.next().unwrap_or("/");
    let known = |name: &str| SERVICES.contains(&name).then(|| name.to_owned());
    if let Ok(target) = resolve(host, path, known) {
        let rest = path.strip_prefix('/').unwrap_or(path);
        let service_root = !rest.contains('/') && target.path == "/";
        assert!(
            path.ends_with(target.path) || service_root,
            "{path:?} (host {host:?}) resolved to {:?}, not a suffix of it",
            target.path
        );
        assert!(
            SERVICES.contains(&target.service.as_str()),
            "{path:?} (host {host:?}) resolved to an unknown service {:?}",
            target.service
        );
        let _ = table().find(&method, target.path);
    }
    let _ = table().find(&method, path);
});
