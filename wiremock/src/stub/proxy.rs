//! A proxying stub's settings (`proxyBaseUrl` and the fields beside it),
//! and what an upstream answered.

use crate::matchers::PatternError;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode, Uri};
use serde_json::{Map, Value};

/// A stub's proxy settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxySpec {
    /// `proxyBaseUrl` without a trailing `/`.
    pub base: String,
    /// `additionalProxyRequestHeaders`: set on the forwarded request.
    pub additional: Vec<(HeaderName, HeaderValue)>,
    /// `removeProxyRequestHeaders`: left out of the forwarded request.
    pub remove: Vec<HeaderName>,
    /// `proxyUrlPrefixToRemove`: cut from the start of the forwarded path.
    pub prefix_to_remove: Option<String>,
}

/// Checks a base URL to send requests to: `http://host[:port][/path]`.
pub fn check_base_url(url: &str, at: &str) -> Result<String, PatternError> {
    let uri: Uri = url
        .parse()
        .map_err(|e| PatternError::new(at, format!("not a URL {url:?}: {e}")))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(PatternError::new(
                at,
                "https targets are not supported (the proxy speaks plain HTTP)",
            ));
        }
        _ => {
            return Err(PatternError::new(
                at,
                format!("expected an http:// URL, found {url:?}"),
            ));
        }
    }
    if uri.authority().is_none() || uri.query().is_some() {
        return Err(PatternError::new(
            at,
            format!("expected http://host[:port][/path], found {url:?}"),
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

impl ProxySpec {
    /// The proxy settings of a response definition, if it has
    /// `proxyBaseUrl` (the other fields alone are accepted and unused, as
    /// by WireMock).
    pub fn from_definition(
        base: Option<String>,
        additional: Option<Map<String, Value>>,
        remove: Option<Vec<String>>,
        prefix_to_remove: Option<String>,
    ) -> Result<Option<ProxySpec>, PatternError> {
        let at = |field: &str| format!("/response/{field}");
        let Some(base) = base else {
            return Ok(None);
        };
        let base = check_base_url(&base, &at("proxyBaseUrl"))?;
        let mut spec = ProxySpec {
            base,
            additional: Vec::new(),
            remove: Vec::new(),
            prefix_to_remove,
        };
        for (name, value) in additional.iter().flatten() {
            let at = format!("{}/{name}", at("additionalProxyRequestHeaders"));
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| PatternError::new(&at, "invalid header name"))?;
            let value = value
                .as_str()
                .and_then(|s| HeaderValue::from_str(s).ok())
                .ok_or_else(|| PatternError::new(&at, "expected a header value string"))?;
            spec.additional.push((n, value));
        }
        for (i, name) in remove.iter().flatten().enumerate() {
            let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                PatternError::new(
                    format!("{}/{i}", at("removeProxyRequestHeaders")),
                    "expected a header name",
                )
            })?;
            spec.remove.push(n);
        }
        Ok(Some(spec))
    }
}

/// What an upstream answered.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub::StubResponse;
    use serde_json::json;

    #[test]
    fn a_base_url_must_be_plain_http_with_a_host() {
        assert_eq!(
            check_base_url("http://a:1/x/", "/p").unwrap(),
            "http://a:1/x"
        );
        for bad in ["https://a", "ftp://a", "notaurl", "http://a/?q=1", "/x"] {
            assert!(check_base_url(bad, "/p").is_err(), "{bad}");
        }
    }

    #[test]
    fn proxy_fields_are_parsed_and_checked() {
        let v = json!({
            "proxyBaseUrl": "http://h:1",
            "additionalProxyRequestHeaders": {"X-A": "1"},
            "removeProxyRequestHeaders": ["X-Remove"],
            "proxyUrlPrefixToRemove": "/p"
        });
        let spec = StubResponse::parse(&v).unwrap().proxy.unwrap();
        assert_eq!(spec.base, "http://h:1");
        assert_eq!(spec.additional[0].0.as_str(), "x-a");
        assert_eq!(spec.remove[0].as_str(), "x-remove");
        assert_eq!(spec.prefix_to_remove.as_deref(), Some("/p"));
        let bad = json!({"proxyBaseUrl": "http://h", "removeProxyRequestHeaders": "x"});
        let e = StubResponse::parse(&bad).unwrap_err();
        assert_eq!(e.pointer, "/response/removeProxyRequestHeaders");
        let none = json!({"additionalProxyRequestHeaders": {"a": "b"}});
        assert!(StubResponse::parse(&none).unwrap().proxy.is_none());
    }
}
