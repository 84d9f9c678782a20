//! CORS for the mocks, as WireMock 3's `--enable-stub-cors` does it (Jetty's
//! `CrossOriginFilter`: any origin, credentials allowed, every requested
//! header, methods `OPTIONS,GET,POST,PUT,PATCH,DELETE`, preflights not
//! passed on). Only with `Config::stub_cors`; the admin API is not
//! touched.
//!
//! - A preflight — `OPTIONS` with `Origin` and
//!   `Access-Control-Request-Method` — is answered here, before any stub,
//!   plugin route or the journal sees it: 200, empty, `Vary: Origin`, and
//!   when the requested method is one of those allowed (exact case),
//!   `Access-Control-Allow-Origin` (the origin, echoed),
//!   `-Allow-Credentials: true`, `-Max-Age: 1800`, `-Allow-Methods` and
//!   `-Allow-Headers` (the requested headers, echoed).
//! - Any other answer of the request path gets, before its own headers,
//!   `Vary: Origin` (on answers of stubs, plugins and overrides, with or
//!   without `Origin`) and, for a request with an `Origin`,
//!   `Access-Control-Allow-Origin` (echoed) and
//!   `Access-Control-Allow-Credentials: true` (on every answer, the 404
//!   and the server's refusals too).
//!
//! The journal records answers without these headers, as WireMock's does.
//! A WebSocket upgrade gets none of them.

use crate::journal::AnsweredBy;
use axum::{body::Body, response::Response};
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};

/// The methods a preflight may ask for, as they are answered.
const ALLOWED_METHODS: &str = "OPTIONS,GET,POST,PUT,PATCH,DELETE";

/// How long a browser may keep a preflight's answer, in seconds.
const MAX_AGE: &str = "1800";

/// The answer to a CORS preflight, when the request is one.
pub(crate) fn preflight(method: &Method, headers: &HeaderMap) -> Option<Response> {
    if method != Method::OPTIONS {
        return None;
    }
    let asked = headers.get(header::ACCESS_CONTROL_REQUEST_METHOD)?;
    let origin = origin(headers)?;
    let mut response = Response::new(Body::empty());
    let sent = response.headers_mut();
    sent.append(header::VARY, HeaderValue::from_static("Origin"));
    let allowed = asked
        .to_str()
        .is_ok_and(|m| ALLOWED_METHODS.split(',').any(|a| a == m.trim()));
    if allowed {
        sent.append(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        sent.append(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        sent.append(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE),
        );
        sent.append(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        sent.append(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            requested_headers(headers),
        );
    }
    Some(response)
}

/// The headers CORS adds in front of an answer's own, for a request with
/// `headers` answered by `by`.
pub(crate) fn answer_headers(
    headers: &HeaderMap,
    by: &AnsweredBy,
) -> Vec<(HeaderName, HeaderValue)> {
    let mut added = Vec::new();
    if is_upgrade(headers) {
        return added;
    }
    // Jetty's filter says `Vary: Origin` on whatever it passes on; the
    // answers WireMock makes when no stub answers (its 404, its errors)
    // are sent without it.
    if !matches!(by, AnsweredBy::Server | AnsweredBy::Nothing) {
        added.push((header::VARY, HeaderValue::from_static("Origin")));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        added.push((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()));
        added.push((
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        ));
    }
    added
}

/// The request's origin (its first `Origin`), unless it is a WebSocket
/// upgrade.
fn origin(headers: &HeaderMap) -> Option<&HeaderValue> {
    headers.get(header::ORIGIN).filter(|_| !is_upgrade(headers))
}

/// Whether the request upgrades to WebSocket (Jetty's filter leaves those
/// alone).
fn is_upgrade(headers: &HeaderMap) -> bool {
    let listed = |name, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.trim().eq_ignore_ascii_case(token))
    };
    listed(header::CONNECTION, "upgrade") && listed(header::UPGRADE, "websocket")
}

/// `Access-Control-Allow-Headers` for a preflight: the first
/// `Access-Control-Request-Headers`, its names trimmed and the empty ones
/// dropped, joined by commas (empty when none were asked for).
fn requested_headers(headers: &HeaderMap) -> HeaderValue {
    let Some(asked) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) else {
        return HeaderValue::from_static("");
    };
    let joined = asked
        .as_bytes()
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|h| !h.is_empty())
        .collect::<Vec<_>>()
        .join(&b","[..]);
    HeaderValue::from_bytes(&joined).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (n, v) in pairs {
            map.append(*n, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn a_preflight_needs_options_an_origin_and_a_requested_method() {
        let full = headers(&[
            ("origin", "http://a.example"),
            ("access-control-request-method", "POST"),
        ]);
        assert!(preflight(&Method::OPTIONS, &full).is_some());
        assert!(preflight(&Method::GET, &full).is_none());
        let no_origin = headers(&[("access-control-request-method", "POST")]);
        assert!(preflight(&Method::OPTIONS, &no_origin).is_none());
        let no_method = headers(&[("origin", "http://a.example")]);
        assert!(preflight(&Method::OPTIONS, &no_method).is_none());
    }

    #[test]
    fn a_preflight_for_a_method_not_allowed_says_only_vary() {
        for method in ["TRACE", "post"] {
            let mut asked = headers(&[("origin", "http://a.example")]);
            asked.append(
                header::ACCESS_CONTROL_REQUEST_METHOD,
                HeaderValue::from_static(method),
            );
            let r = preflight(&Method::OPTIONS, &asked).expect("a preflight");
            assert_eq!(r.headers().len(), 1, "{method}: {:?}", r.headers());
            assert_eq!(r.headers()[header::VARY], "Origin");
        }
    }

    #[test]
    fn requested_headers_are_trimmed_and_joined() {
        let asked = headers(&[
            ("access-control-request-headers", "x-a, X-B ,,x-c"),
            ("access-control-request-headers", "ignored"),
        ]);
        assert_eq!(requested_headers(&asked), "x-a,X-B,x-c");
        assert_eq!(requested_headers(&HeaderMap::new()), "");
    }

    #[test]
    fn the_404_gets_no_vary_and_a_request_without_origin_only_vary() {
        let with = headers(&[("origin", "http://a.example")]);
        let names = |h: Vec<(HeaderName, HeaderValue)>| {
            h.into_iter()
                .map(|(n, _)| n.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(answer_headers(&with, &AnsweredBy::Nothing)),
            [
                "access-control-allow-origin",
                "access-control-allow-credentials"
            ]
        );
        assert_eq!(
            names(answer_headers(&HeaderMap::new(), &AnsweredBy::Override)),
            ["vary"]
        );
        let upgrade = headers(&[
            ("origin", "http://a.example"),
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
        ]);
        assert!(answer_headers(&upgrade, &AnsweredBy::Override).is_empty());
    }
}
