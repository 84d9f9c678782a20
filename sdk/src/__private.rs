//! Glue used by the code that `#[route]` and `service!` generate. Not part
//! of the public API; it may change in any release.

pub use abi_stable::library::{
    __call_root_module_loader, CheckTypeLayout, LibHeader, RootModuleResult,
};
pub use abi_stable::prefix_type::PrefixTypeTrait;
pub use abi_stable::std_types::{RSlice, RStr};

use crate::abi::{FfiRequest, FfiResponse};
use crate::{Request, response::Response};
use http::StatusCode;
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs one handler call: wraps the FFI request, catches any panic (it must
/// never cross the FFI boundary) and returns the FFI plan.
pub fn call(
    req: &FfiRequest<'_>,
    route: &'static str,
    handler: impl FnOnce(&Request<'_>) -> Response,
) -> FfiResponse {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let req = Request::new(req);
        handler(&req).into_ffi()
    }));
    match outcome {
        Ok(ffi) => ffi,
        Err(payload) => panic_response(route, payload),
    }
}

fn panic_response(route: &str, payload: Box<dyn Any + Send>) -> FfiResponse {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
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
