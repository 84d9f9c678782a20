//! A received request as the stub matchers, the journal and the next-request
//! overrides see it: owned, shareable, with the service it resolved to.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Method};
use std::{net::SocketAddr, sync::Arc, time::SystemTime};

/// A request or answer body longer than this is kept truncated in the
/// journal.
pub const MAX_BODY: usize = 1024 * 1024;

/// One received request.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    /// Path as received (percent-encoded), e.g. `/example/users/7`.
    pub path: SharedStr,
    /// Raw query string without `?`.
    pub query: Option<SharedStr>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The service the request resolved to, and where in `path` the path
    /// relative to it starts (see [`Recorded::service`]).
    pub service: Option<(Arc<str>, usize)>,
    pub client: Option<SocketAddr>,
    pub received_at: SystemTime,
    /// The HTTP version it came in.
    pub version: http::Version,
    /// Whether it came over TLS.
    pub secure: bool,
}

/// Text in a shared buffer: a received request's path and query share
/// one (see [`compact_path`]). Reads as a `&str`.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct SharedStr(Bytes);

impl SharedStr {
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor takes the bytes of a `str`, whole.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// `bytes`, already known to be the UTF-8 of a `str`.
    fn from_utf8(bytes: Bytes) -> SharedStr {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        SharedStr(bytes)
    }
}

impl std::ops::Deref for SharedStr {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> SharedStr {
        SharedStr(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> SharedStr {
        SharedStr(Bytes::from(s))
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for SharedStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for SharedStr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A request's path and query, copied out of the connection's read
/// buffer into one buffer of their own (one allocation; a path with no
/// query is not split, so no shared count is allocated beside it).
///
/// hyper's path and query are slices of that read buffer, which
/// [`SharedStr`] cannot refer to; a copy also lets a handler call that
/// outlives its answer (on the blocking pool) hold the request without
/// holding the buffer (8 KiB and more).
pub fn compact_path(path: &str, query: Option<&str>) -> (SharedStr, Option<SharedStr>) {
    let Some(query) = query else {
        return (
            SharedStr::from_utf8(Bytes::copy_from_slice(path.as_bytes())),
            None,
        );
    };
    let mut buf = BytesMut::with_capacity(path.len() + query.len());
    buf.extend_from_slice(path.as_bytes());
    buf.extend_from_slice(query.as_bytes());
    let mut buf = buf.freeze();
    let path = SharedStr::from_utf8(buf.split_to(path.len()));
    (path, Some(SharedStr::from_utf8(buf)))
}

/// `headers` with their values copied into one buffer of their own: two
/// allocations, however many values.
///
/// hyper's header values are slices of the connection's read buffer: a
/// request kept (by a recording) would keep that whole buffer alive.
/// Header names are never slices of it (standard names are static, others
/// are copied), so the map itself is kept: only the values are replaced,
/// in place.
pub fn compact_headers(mut headers: HeaderMap) -> HeaderMap {
    let values = headers.values().map(HeaderValue::len).sum();
    let mut buf = BytesMut::with_capacity(values);
    for value in headers.values() {
        buf.extend_from_slice(value.as_bytes());
    }
    let mut buf = buf.freeze();
    // `values_mut` visits the values in the order `values` did.
    for value in headers.values_mut() {
        let bytes = buf.split_to(value.len().min(buf.len()));
        let copy = if bytes == value.as_bytes() {
            // SAFETY: the very bytes of a valid value.
            unsafe { HeaderValue::from_maybe_shared_unchecked(bytes) }
        } else {
            // Not the same value after all: a copy of its own.
            HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone())
        };
        let sensitive = value.is_sensitive();
        *value = copy;
        value.set_sensitive(sensitive);
    }
    headers
}

/// A body the journal may keep, in a buffer of its own.
///
/// A body read in one piece is a slice of the connection's read buffer,
/// like header values; kept as is, a journal entry would hold that whole
/// buffer while the journal counts only the body's bytes. Bodies over
/// [`MAX_BODY`] are left alone: the journal keeps a
/// truncated copy of those.
pub fn compact_body(body: Bytes) -> Bytes {
    if body.is_empty() || body.len() > MAX_BODY {
        body
    } else {
        Bytes::copy_from_slice(&body)
    }
}

/// [`Recorded::path_for`] of a request to `path` that resolved to
/// `resolved` (a service, and where in `path` the path relative to it
/// starts).
pub fn path_for<'a>(
    path: &'a str,
    resolved: Option<(&str, usize)>,
    wanted: Option<&str>,
) -> Option<&'a str> {
    match wanted {
        None => Some(path),
        Some(wanted) => match resolved {
            Some((name, at)) if crate::service::same_service(name, wanted) => {
                let rel = path.get(at..).unwrap_or_default();
                Some(if rel.is_empty() { "/" } else { rel })
            }
            _ => None,
        },
    }
}

impl Recorded {
    /// A request of `method` to `path` received now over HTTP/1.1: no
    /// query, headers or body, no service. What the server sends of its
    /// own (a probe) starts here, as do tests.
    ///
    /// ```
    /// use fake_servicer_core::request::Recorded;
    /// let r = Recorded::new(http::Method::GET, "/users/7");
    /// assert_eq!(r.url(), "/users/7");
    /// ```
    pub fn new(method: Method, path: &str) -> Recorded {
        Recorded {
            method,
            path: path.into(),
            query: None,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            service: None,
            client: None,
            received_at: SystemTime::now(),
            version: http::Version::HTTP_11,
            secure: false,
        }
    }

    /// The service the request resolved to and the path relative to it.
    pub fn service(&self) -> Option<(&str, &str)> {
        self.service.as_ref().map(|(name, at)| {
            let rel = self.path.get(*at..).unwrap_or_default();
            (&**name, if rel.is_empty() { "/" } else { rel })
        })
    }

    /// Where `rel`, a slice of `path` (or `/` for none of it), starts.
    pub fn rel_start(path: &str, rel: &str) -> usize {
        let (start, end) = (path.as_ptr() as usize, rel.as_ptr() as usize);
        if end >= start && end + rel.len() == start + path.len() {
            end - start
        } else {
            path.len()
        }
    }

    /// Path and query as received: what WireMock calls the `url`.
    pub fn url(&self) -> String {
        with_query(&self.path, self.query.as_deref())
    }

    /// The path stub matchers compare: service-relative for `service`
    /// (`Some` when the request resolved to it), the received path otherwise.
    pub fn path_for(&self, service: Option<&str>) -> Option<&str> {
        let resolved = self.service.as_ref().map(|(name, at)| (&**name, *at));
        path_for(&self.path, resolved, service)
    }

    /// Query parameters, decoded, in order, duplicates kept.
    pub fn query_params(&self) -> Vec<(String, String)> {
        self.query
            .as_deref()
            .map(form_urlencoded_pairs)
            .unwrap_or_default()
    }

    /// Values of a header (case-insensitive), lossily as text.
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    }

    /// The Host header, if any.
    /// `HTTP/1.1`, `HTTP/2.0`: the protocol, as WireMock's journal names
    /// it.
    pub fn protocol(&self) -> &'static str {
        match self.version {
            http::Version::HTTP_09 => "HTTP/0.9",
            http::Version::HTTP_10 => "HTTP/1.0",
            http::Version::HTTP_2 => "HTTP/2.0",
            http::Version::HTTP_3 => "HTTP/3.0",
            _ => "HTTP/1.1",
        }
    }

    /// `https` over TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.secure { "https" } else { "http" }
    }

    pub fn host(&self) -> Option<&str> {
        self.headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
    }
}

/// `path?query`, or `path` without a query.
pub fn with_query(path: &str, query: Option<&str>) -> String {
    match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    }
}

/// `a=1&b=x+y` as decoded pairs, in order.
pub fn form_urlencoded_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_service_relative_path_is_a_slice_of_the_path() {
        let recorded = |path: &str, rel: &str| Recorded {
            service: Some(("example".into(), Recorded::rel_start(path, rel))),
            ..rec(path, None, None)
        };
        let by_prefix = "/example/users/7";
        let r = recorded(by_prefix, &by_prefix[8..]);
        assert_eq!(r.service(), Some(("example", "/users/7")));
        assert_eq!(r.path_for(Some("example")), Some("/users/7"));
        assert_eq!(r.path_for(Some("other")), None);
        assert_eq!(r.path_for(None), Some("/example/users/7"));
        let by_host = "/users";
        assert_eq!(
            recorded(by_host, by_host).service(),
            Some(("example", "/users"))
        );
        // `/example` alone: the service's root, not a slice of the path.
        assert_eq!(recorded("/example", "/").service(), Some(("example", "/")));
    }

    #[test]
    fn compact_copies_path_and_query_with_or_without_a_query() {
        let (path, query) = compact_path("/a/b", Some("x=1"));
        assert_eq!((path.as_str(), query.as_deref()), ("/a/b", Some("x=1")));
        let (path, query) = compact_path("/a/b", None);
        assert_eq!((path.as_str(), query), ("/a/b", None));
        let (path, query) = compact_path("/a", Some(""));
        assert_eq!((path.as_str(), query.as_deref()), ("/a", Some("")));
    }

    #[test]
    fn compact_headers_keep_every_value_in_order() {
        let mut h = http::HeaderMap::new();
        h.append("x-a", "1".parse().unwrap());
        h.append("accept", "text/plain".parse().unwrap());
        h.append("x-a", "2".parse().unwrap());
        h.append("x-b", http::HeaderValue::from_bytes(b"caf\xe9").unwrap());
        let c = super::compact_headers(h.clone());
        assert_eq!(c, h);
        let all: Vec<_> = c.get_all("x-a").iter().collect();
        assert_eq!(all, ["1", "2"]);
    }

    use super::*;

    #[test]
    fn compact_headers_let_go_of_the_read_buffer() {
        let read =
            Bytes::from(b"GET / HTTP/1.1\r\nhost: example\r\nx-a: 1\r\nx-a: 22\r\n\r\n".to_vec());
        let slice = |at: usize, len: usize| {
            HeaderValue::from_maybe_shared(read.slice(at..at + len)).unwrap()
        };
        let mut h = HeaderMap::new();
        h.append(http::header::HOST, slice(22, 7));
        h.append("x-a", slice(36, 1));
        h.append("x-a", slice(44, 2));
        let range = read.as_ptr_range();
        let c = compact_headers(h.clone());
        assert_eq!(c, h);
        for value in c.values() {
            assert!(
                !range.contains(&value.as_bytes().as_ptr()),
                "{value:?} still points into the read buffer"
            );
        }
        drop(h);
        assert!(
            read.is_unique(),
            "a compacted map still holds the read buffer"
        );
    }

    fn rec(path: &str, query: Option<&str>, service: Option<(&str, &str)>) -> Recorded {
        Recorded {
            method: Method::GET,
            path: path.into(),
            query: query.map(Into::into),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            service: service.map(|(name, rel)| {
                let at = path.strip_suffix(rel).map_or(path.len(), str::len);
                (name.into(), at)
            }),
            client: None,
            received_at: SystemTime::now(),
            version: http::Version::HTTP_11,
            secure: false,
        }
    }

    #[test]
    fn url_and_paths() {
        let r = rec("/example/users", Some("a=1"), Some(("example", "/users")));
        assert_eq!(r.url(), "/example/users?a=1");
        assert_eq!(r.path_for(None), Some("/example/users"));
        assert_eq!(r.path_for(Some("example")), Some("/users"));
        assert_eq!(r.path_for(Some("other")), None);
    }

    #[test]
    fn query_params_are_decoded_in_order() {
        let r = rec("/", Some("a=1&b=x+y&a=%C3%A9&flag"), None);
        assert_eq!(
            r.query_params(),
            [("a", "1"), ("b", "x y"), ("a", "é"), ("flag", "")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }
}
