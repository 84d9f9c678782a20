//! Proxying stubs: a response definition with `proxyBaseUrl` forwards the
//! request it matched to another server (plain HTTP) and answers with that
//! server's status, headers and body.
//!
//! The request goes out with its method, headers (less hop-by-hop ones and
//! `Host`, which names the target), body, and path and query as received —
//! for a stub with `service`, the path relative to the service. Outbound
//! calls go only to a stub's `proxyBaseUrl` or a recording's
//! `targetBaseUrl`; each has `--proxy-timeout` to answer in full and at
//! most `--proxy-max-body-bytes` of body. A failed call is answered 500
//! with a plain-text body naming the target and the failure, as WireMock
//! does.

use crate::{
    mappings::{Stub, StubResponse},
    plan::Plan,
    request::Recorded,
};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use std::time::Duration;

/// Default of `--proxy-timeout`: time an upstream has to answer in full.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Default of `--proxy-max-body-bytes`: the largest upstream body relayed.
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;

pub use fake_servicer_wiremock::stub::proxy::{ProxySpec, Upstream, check_base_url};

/// The outbound HTTP client, shared by every proxying stub (a clone shares
/// the connection pool).
#[derive(Clone)]
pub struct Proxy {
    client: Client<HttpConnector, Full<Bytes>>,
    /// What this server adds to the `Via` header of what it forwards
    /// (`1.1 fake-servicer-<id>`, an id of its own): a request that arrives
    /// carrying it went round a loop.
    via: HeaderValue,
    /// Time an upstream has to answer in full (`--proxy-timeout`).
    pub timeout: Duration,
    /// The largest upstream body relayed (`--proxy-max-body-bytes`).
    pub max_body: usize,
    /// Request bodies were decoded from gzip (`crate::gzip`): one whose
    /// `Content-Encoding` names gzip is gzipped again before it goes out,
    /// as WireMock does.
    regzip: bool,
}

/// Hop-by-hop headers (RFC 9110 §7.6.1), never forwarded either way.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "content-length"
    )
}

/// Header names a `Connection` header lists as hop-by-hop.
fn connection_listed(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Why a forwarded request got no usable answer.
#[derive(Debug)]
pub struct Failure {
    /// The URL called.
    pub url: String,
    pub reason: String,
}

impl Proxy {
    /// A client answering within `timeout`, reading at most `max_body`
    /// bytes of an upstream body. Must be called within a tokio runtime.
    pub fn new(timeout: Duration, max_body: usize) -> Proxy {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        connector.set_nodelay(true);
        let client = Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(16)
            .build(connector);
        let id = uuid::Uuid::new_v4().simple().to_string();
        Proxy {
            client,
            via: HeaderValue::from_str(&format!("1.1 fake-servicer-{}", &id[..12]))
                .unwrap_or_else(|_| HeaderValue::from_static("1.1 fake-servicer")),
            timeout,
            max_body,
            regzip: false,
        }
    }

    /// This client, gzipping again the bodies of forwarded requests that
    /// say they are gzip (`on`: request bodies are decoded on arrival).
    pub fn regzipping(mut self, on: bool) -> Proxy {
        self.regzip = on;
        self
    }

    /// Whether `headers` carry this server's `Via` mark: the request was
    /// forwarded by this very server (a proxying stub aimed at itself, or a
    /// loop through other proxies).
    pub fn came_back(&self, headers: &HeaderMap) -> bool {
        let mark = self.via.as_bytes();
        headers.get_all(header::VIA).iter().any(|v| {
            v.as_bytes()
                .split(|b| *b == b',')
                .any(|hop| hop.trim_ascii() == mark)
        })
    }

    /// This server's `Via` mark.
    pub fn via(&self) -> &HeaderValue {
        &self.via
    }

    /// Sends `req` to `spec`'s target, at `path` (and the request's query).
    /// Whether a request sent to `base` comes back to this server (the
    /// target is this server, or proxies to it): a request carrying this
    /// server's `Via` mark is sent, and this server's 508 comes back. A
    /// target that fails or takes longer than `wait` does not.
    pub async fn leads_back(&self, base: &str, wait: Duration) -> bool {
        let spec = ProxySpec {
            base: base.to_owned(),
            additional: Vec::new(),
            remove: Vec::new(),
            prefix_to_remove: None,
        };
        let probe = Recorded::new(http::Method::GET, "/");
        let Ok(Ok(up)) = tokio::time::timeout(wait, self.forward(&spec, &probe, "/")).await else {
            return false;
        };
        let mark = self.via.as_bytes();
        up.status == StatusCode::LOOP_DETECTED && up.body.windows(mark.len()).any(|w| w == mark)
    }

    pub async fn forward(
        &self,
        spec: &ProxySpec,
        req: &Recorded,
        path: &str,
    ) -> Result<Upstream, Failure> {
        let path = match &spec.prefix_to_remove {
            Some(prefix) if !prefix.is_empty() => {
                path.strip_prefix(prefix.as_str()).unwrap_or(path)
            }
            _ => path,
        };
        let mut url = format!("{}{path}", spec.base);
        if let Some(q) = &req.query {
            url.push('?');
            url.push_str(q);
        }
        let fail = |reason: String| Failure {
            url: url.clone(),
            reason,
        };
        let listed = connection_listed(&req.headers);
        let mut builder = http::Request::builder()
            .method(req.method.clone())
            .uri(&url);
        if let Some(headers) = builder.headers_mut() {
            for (name, value) in &req.headers {
                if hop_by_hop(name)
                    || name == header::HOST
                    || listed.iter().any(|l| l == name.as_str())
                    || spec.remove.contains(name)
                {
                    continue;
                }
                headers.append(name.clone(), value.clone());
            }
            for (name, value) in &spec.additional {
                headers.insert(name.clone(), value.clone());
            }
            headers.append(header::VIA, self.via.clone());
        }
        let body =
            if self.regzip && crate::gzip::names_gzip(req.headers.get(header::CONTENT_ENCODING)) {
                crate::gzip::gzip_off_workers(req.body.clone()).await
            } else {
                req.body.clone()
            };
        let request = builder
            .body(Full::new(body))
            .map_err(|e| fail(format!("cannot build the request: {e}")))?;
        let max = self.max_body;
        let call = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| error_chain(&e))?;
            let (parts, body) = response.into_parts();
            let declared = parts
                .headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let too_large =
                || format!("the answer's body is larger than {max} bytes (--proxy-max-body-bytes)");
            if declared.is_some_and(|n| n > max as u64) {
                return Err(too_large());
            }
            let body = Limited::new(body, max).collect().await.map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    too_large()
                } else {
                    format!("cannot read the answer's body: {}", error_chain(&*e))
                }
            })?;
            let listed = connection_listed(&parts.headers);
            let headers = parts
                .headers
                .iter()
                .filter(|(n, _)| !hop_by_hop(n) && !listed.iter().any(|l| l == n.as_str()))
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect();
            Ok(Upstream {
                status: parts.status,
                headers,
                body: body.to_bytes(),
            })
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result.map_err(fail),
            Err(_) => Err(fail(format!(
                "no complete answer within {:?} (--proxy-timeout)",
                self.timeout
            ))),
        }
    }
}

/// An error and its sources, `: `-separated.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    s
}

impl Proxy {
    /// The answer of proxying stub `stub` to `req`: the upstream's answer
    /// with the stub's delay (and dribble) plus `fixed`, shown to `note`
    /// first (recordings keep it); the stub's fault, if it has one, instead
    /// of any call.
    pub async fn answer(
        &self,
        stub: &Stub,
        spec: &ProxySpec,
        req: &Recorded,
        fixed: Duration,
        note: impl FnOnce(&Upstream),
    ) -> Plan {
        if stub.response.fault.is_some() {
            return Plan::of_stub(&stub.response, fixed);
        }
        let path = match (&stub.request.service, req.service()) {
            (Some(_), Some((_, rel))) => rel,
            _ => req.path.as_str(),
        };
        proxied(self.forward(spec, req, path).await, stub, fixed, note)
    }
}

/// The plan of a proxied answer, or of its failure.
fn proxied(
    forwarded: Result<Upstream, Failure>,
    stub: &Stub,
    fixed: Duration,
    note: impl FnOnce(&Upstream),
) -> Plan {
    match forwarded {
        Ok(up) => {
            note(&up);
            let relayed = StubResponse {
                status: up.status,
                reason: None,
                headers: up.headers,
                body: up.body,
                proxy: None,
                template: None,
                body_file: None,
                ..stub.response.clone()
            };
            Plan::of_stub(&relayed, fixed)
        }
        Err(f) => {
            tracing::warn!(url = %f.url, "proxied request failed: {}", f.reason);
            let mut plan = Plan::empty(StatusCode::INTERNAL_SERVER_ERROR);
            plan.headers.push((
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ));
            plan.body = crate::plan::PlanBody::Full(Bytes::from(format!(
                "Network failure trying to make a proxied request from fake-servicer to {}\n{}",
                f.url, f.reason
            )));
            plan.delay = stub.response.delay.sample() + fixed;
            plan
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_carrying_this_servers_via_mark_came_back() {
        let proxy = Proxy::new(Duration::from_secs(1), 1024);
        let mut headers = HeaderMap::new();
        assert!(!proxy.came_back(&headers));
        headers.append(header::VIA, HeaderValue::from_static("1.0 corporate"));
        assert!(!proxy.came_back(&headers));
        let mine = format!("1.1 gateway, {}", proxy.via().to_str().unwrap());
        headers.append(header::VIA, HeaderValue::from_str(&mine).unwrap());
        assert!(proxy.came_back(&headers));
        let another_server = Proxy::new(Duration::from_secs(1), 1024);
        assert!(!another_server.came_back(&headers));
    }
}
