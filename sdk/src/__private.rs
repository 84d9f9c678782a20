//! Glue used by the code that `#[route]` and `service!` generate. Not part
//! of the public API; it may change in any release.

pub use abi_stable::library::{
    __call_root_module_loader, CheckTypeLayout, LibHeader, RootModuleResult,
};
pub use abi_stable::prefix_type::PrefixTypeTrait;
pub use abi_stable::std_types::{RSlice, RStr, RVec};

use crate::abi::{FfiRequest, FfiResponse};
use crate::{Request, response::Response};
use http::StatusCode;
use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    /// The crate and route whose handler runs on this thread, for the
    /// panic hook.
    static RUNNING: Cell<Option<(&'static str, &'static str)>> = const { Cell::new(None) };
}

/// Makes a handler's panic one line on stderr naming the plugin crate and
/// the route (`handler GET /users/{id} of plugin example panicked at
/// src/lib.rs:9:5: …`) instead of std's anonymous-thread message. Panics
/// outside handlers go to the hook that was there before. The hook is the
/// plugin's own: each plugin library has its own copy of std.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            match RUNNING.with(Cell::get) {
                Some((krate, route)) => {
                    let message = payload_text(info.payload());
                    match info.location() {
                        Some(at) => eprintln!(
                            "fake-servicer: handler {route} of plugin {krate} panicked at {at}: {message}"
                        ),
                        None => eprintln!(
                            "fake-servicer: handler {route} of plugin {krate} panicked: {message}"
                        ),
                    }
                }
                None => previous(info),
            }
        }));
    });
}

/// Runs one handler call of the plugin crate `krate`: wraps the FFI
/// request, catches any panic (it must never cross the FFI boundary) and
/// returns the FFI plan.
pub fn call(
    req: &FfiRequest<'_>,
    krate: &'static str,
    route: &'static str,
    handler: impl FnOnce(&Request<'_>) -> Response,
) -> FfiResponse {
    install_panic_hook();
    let before = RUNNING.with(|r| r.replace(Some((krate, route))));
    let wrote_before = crate::store::take_scoped_write();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let req = Request::new(req);
        handler(&req).into_ffi()
    }));
    RUNNING.with(|r| r.set(before));
    let mut ffi = match outcome {
        Ok(ffi) => ffi,
        Err(payload) => panic_response(route, payload),
    };
    if crate::store::take_scoped_write() {
        ffi.headers.push(crate::abi::FfiResponseHeader {
            name: crate::abi::STATE_WRITTEN_HEADER.into(),
            value: RVec::new(),
        });
    }
    if wrote_before {
        // A handler calling another route's shim: the outer call's mark.
        crate::store::note_scoped_write();
    }
    ffi
}

/// The root module's `forget_scope` (see
/// [`ServiceModule::forget_scope`](crate::abi::ServiceModule::forget_scope)):
/// the empty string forgets every scope and the base. A panic in a
/// state's `drop` stops here, never crossing into the server.
pub extern "C" fn forget_scope(scope: RStr<'_>) {
    let scope = Some(scope.as_str()).filter(|s| !s.is_empty());
    if let Err(payload) = catch_unwind(|| crate::forget_scope(scope)) {
        eprintln!(
            "fake-servicer: dropping the state of {} panicked: {}",
            scope.map_or_else(|| "every scope".to_owned(), |s| format!("scope {s}")),
            payload_text(payload.as_ref())
        );
        std::mem::forget(payload);
    }
}

/// A panic payload's text.
fn payload_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned())
}

fn panic_response(route: &str, payload: Box<dyn Any + Send>) -> FfiResponse {
    let message = payload_text(payload.as_ref());
    // Dropping a payload can itself panic; never let that unwind into the
    // server, and leak what cannot be dropped.
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
    Response::new()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .json(&serde_json::json!({
            "error": "handler panicked",
            "route": route,
            "message": message,
        }))
        .into_ffi()
}
