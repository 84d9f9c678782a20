//! The request as a handler's extractors see it.

use crate::abi::{FfiHeader, FfiParam, FfiRequest, SCOPE_HEADER};

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
///
/// The server hands the request's scope over as a last header,
/// [`SCOPE_HEADER`]; it is [`scope`](Request::scope), not one of the
/// [`headers`](Request::headers), which are the client's:
///
/// ```
/// use fake_servicer::{Request, abi::{FfiHeader, FfiRequest, SCOPE_HEADER}};
/// use fake_servicer::__private::{RSlice, RStr};
///
/// let headers = [
///     FfiHeader { name: RStr::from_str("accept"), value: RSlice::from_slice(b"*/*") },
///     FfiHeader { name: RStr::from_str(SCOPE_HEADER), value: RSlice::from_slice(b"test-1") },
/// ];
/// let ffi = FfiRequest {
///     method: RStr::from_str("GET"),
///     path: RStr::from_str("/notes"),
///     query: RStr::from_str(""),
///     headers: RSlice::from_slice(&headers),
///     params: RSlice::from_slice(&[]),
///     body: RSlice::from_slice(b""),
/// };
/// let req = Request::new(&ffi);
/// assert_eq!(req.scope(), Some("test-1"));
/// assert_eq!(req.headers().count(), 1);
/// assert_eq!(req.header(SCOPE_HEADER), None);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    ffi: &'a FfiRequest<'a>,
    /// The client's headers: `ffi.headers` without the scope's.
    headers: &'a [FfiHeader<'a>],
    scope: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// Wraps the FFI request handed to a route shim.
    pub fn new(ffi: &'a FfiRequest<'a>) -> Self {
        let all = ffi.headers.as_slice();
        match all.split_last() {
            Some((last, client)) if last.name.as_str() == SCOPE_HEADER => Request {
                ffi,
                headers: client,
                scope: std::str::from_utf8(last.value.as_slice())
                    .ok()
                    .filter(|s| !s.is_empty()),
            },
            _ => Request {
                ffi,
                headers: all,
                scope: None,
            },
        }
    }

    /// The request's scope as the server resolved it (see
    /// [`Scope`](crate::Scope)), `None` when it has none.
    pub fn scope(&self) -> Option<&'a str> {
        self.scope
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
        self.headers
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
