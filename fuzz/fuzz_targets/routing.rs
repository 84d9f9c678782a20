//! Host/prefix resolution and route matching with path parameters.
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

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let host = parts.next().filter(|h| !h.is_empty());
    let method = http::Method::from_bytes(parts.next().unwrap_or("GET").as_bytes())
        .unwrap_or(http::Method::GET);
    let path = parts.next().unwrap_or("/");
    let known = |name: &str| {
        ["example", "other_service"]
            .contains(&name)
            .then(|| name.to_owned())
    };
    if let Ok(target) = resolve(host, path, known) {
        let _ = table().find(&method, target.path);
    }
    let _ = table().find(&method, path);
});
