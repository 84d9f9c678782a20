//! The request as a handler's extractors see it.

use crate::abi::{FfiParam, FfiRequest};

/// A read-only view of the request being handled.
///
/// Extractors ([`FromRequest`](crate::FromRequest) implementations) read from
/// it; a handler normally never sees it directly. It borrows server memory and
/// lives only for one call.
///
/// ```
/// use fake_servicer::{Request, abi::FfiRequest};
/// use fake_servicer::__private::{RSlice, RStr};
///
/// let ffi = FfiRequest {
///     method: RStr::from_str("GET"),
///     path: RStr::from_str("/users/7"),
///     query: RStr::from_str("page=2"),
///     headers: RSlice::from_slice(&[]),
///     params: RSlice::from_slice(&[]),
///     body: RSlice::from_slice(b""),
/// };
/// let req = Request::new(&ffi);
/// assert_eq!(req.method(), "GET");
/// assert_eq!(req.path(), "/users/7");
/// assert_eq!(req.query(), "page=2");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    ffi: &'a FfiRequest<'a>,
}

impl<'a> Request<'a> {
    /// Wraps the FFI request handed to a route shim.
    pub fn new(ffi: &'a FfiRequest<'a>) -> Self {
        Request { ffi }
    }

    /// HTTP method, upper case.
    pub fn method(&self) -> &'a str {
        self.ffi.method.as_str()
    }

    /// Path relative to the service, as received (percent-encoded).
    pub fn path(&self) -> &'a str {
        self.ffi.path.as_str()
    }

    /// Raw query string without the leading `?`.
    pub fn query(&self) -> &'a str {
        self.ffi.query.as_str()
    }

    /// Headers in the order received: lower-case name and raw value.
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        self.ffi
            .headers
            .as_slice()
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_slice()))
    }

    /// The first value of a header (name compared case-insensitively), if it
    /// is valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// Path parameters captured by `{name}` segments, in pattern order.
    pub fn params(&self) -> &'a [FfiParam<'a>] {
        self.ffi.params.as_slice()
    }

    /// The request body.
    pub fn body(&self) -> &'a [u8] {
        self.ffi.body.as_slice()
    }
}
