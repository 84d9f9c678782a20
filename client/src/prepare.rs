//! What both clients share before sending: their settings, and each call
//! made into an HTTP request. Only the sending differs (async or blocking).

use crate::error::{Error, Result};
use crate::ops::Call;
use http::{HeaderName, HeaderValue};
use std::time::Duration;

/// How long one call may take, unless [`ClientBuilder::timeout`] says
/// otherwise.
///
/// [`ClientBuilder::timeout`]: crate::ClientBuilder::timeout
///
/// ```
/// assert_eq!(fake_servicer_client::DEFAULT_TIMEOUT.as_secs(), 30);
/// ```
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Makes ring rustls's provider for this process, unless one is already
/// (feature `rustls`).
pub(crate) fn tls_provider() {
    #[cfg(feature = "rustls")]
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Settings shared by both clients.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub base: String,
    pub token: Option<String>,
    pub timeout: Duration,
}

/// A call ready to send.
pub(crate) struct Prepared {
    pub request: http::Request<Vec<u8>>,
    /// The call's own deadline; `None`: the client's.
    pub timeout: Option<Duration>,
    pub target: Target,
}

/// What a call asked for, to name it in errors.
pub(crate) struct Target {
    pub method: String,
    pub url: String,
}

impl Target {
    /// The error of a call that got no answer.
    pub fn failed(&self, source: reqwest::Error) -> Error {
        Error::Transport {
            method: self.method.clone(),
            url: self.url.clone(),
            source,
        }
    }
}

impl Settings {
    /// The server at `base` (without a trailing slash), without an admin
    /// token, with the default timeout.
    pub fn new(base: &str) -> Settings {
        Settings {
            base: base.trim_end_matches('/').to_owned(),
            token: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// `call` as an HTTP request to the server, with the admin token and
    /// its JSON body.
    pub fn prepare(&self, call: &Call) -> Result<Prepared> {
        let target = Target {
            method: call.method.to_string(),
            url: format!("{}{}", self.base, call.path),
        };
        // Parsed as a URL first: it percent-encodes what a URI cannot hold.
        let url = reqwest::Url::parse(&target.url)
            .map_err(|e| Error::Invalid(format!("{}: not a URL: {e}", target.url)))?;
        let mut builder = http::Request::builder()
            .method(call.method.clone())
            .uri(url.as_str());
        let token = self
            .token
            .as_ref()
            .map(|t| ("Authorization".to_owned(), format!("Bearer {t}")));
        let json = call
            .json
            .as_ref()
            .map(|_| ("Content-Type".to_owned(), "application/json".to_owned()));
        for (name, value) in call.headers.iter().cloned().chain(token).chain(json) {
            let invalid = |what: &str| Error::Invalid(format!("header {name:?}: {what}"));
            let name_ok = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid("not a header name"))?;
            let value_ok = HeaderValue::from_str(&value)
                .map_err(|_| invalid("its value cannot travel in a header"))?;
            builder = builder.header(name_ok, value_ok);
        }
        let body = call
            .json
            .as_ref()
            .map(|v| v.to_string().into_bytes())
            .unwrap_or_default();
        let request = builder
            .body(body)
            .map_err(|e| Error::Invalid(format!("{}: {e}", target.url)))?;
        Ok(Prepared {
            request,
            timeout: call.timeout,
            target,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    fn settings(token: Option<&str>) -> Settings {
        Settings {
            base: "http://127.0.0.1:8080".to_owned(),
            token: token.map(str::to_owned),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn a_call_becomes_a_request_with_the_token_and_its_json_body() {
        let call = Call::new(Method::POST, "/__admin/requests/count")
            .json(serde_json::json!({"method": "GET"}));
        let prepared = settings(Some("s3cret")).prepare(&call).unwrap();
        let r = &prepared.request;
        assert_eq!(r.method(), Method::POST);
        assert_eq!(
            r.uri().to_string(),
            "http://127.0.0.1:8080/__admin/requests/count"
        );
        assert_eq!(r.headers()["authorization"], "Bearer s3cret");
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(r.body(), br#"{"method":"GET"}"#);
        assert_eq!(prepared.timeout, None, "the client's own");
    }

    #[test]
    fn a_path_a_uri_cannot_hold_is_percent_encoded() {
        let call = Call::new(Method::GET, "/example/users with space");
        let prepared = settings(None).prepare(&call).unwrap();
        assert_eq!(
            prepared.request.uri().path(),
            "/example/users%20with%20space"
        );
        assert!(prepared.request.headers().is_empty());
    }

    #[test]
    fn a_header_that_cannot_travel_is_refused_before_sending() {
        let call = Call::new(Method::GET, "/__admin/health");
        let err = settings(Some("line\nbreak"))
            .prepare(&call)
            .err()
            .expect("refused");
        assert!(matches!(err, Error::Invalid(_)), "{err}");
        assert!(err.to_string().contains("Authorization"), "{err}");
    }
}
