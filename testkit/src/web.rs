//! HTTP as the tests speak it: a plain client ([`Http`]) and the admin API
//! with JSON bodies ([`Admin`]), both answering a [`Reply`] to look at.
//! Tests that only steer the server use its
//! [`client`](crate::TestServer::client) instead; [`Admin`] is for tests of
//! the admin API itself (statuses, JSON shapes, bad input).

use bytes::Bytes;
use fake_servicer_server::Server;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// A response as the tests look at it.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: StatusCode,
    /// The header fields.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl Reply {
    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the text when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The value of header `name`, when there is one and it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Panics unless this is WireMock's 422 with its first error at
    /// `pointer`.
    pub fn assert_invalid_at(&self, pointer: &str) {
        assert_eq!(
            self.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "expected 422 at {pointer}: {}",
            self.text()
        );
        assert_eq!(
            self.json()["errors"][0]["source"]["pointer"],
            pointer,
            "{}",
            self.text()
        );
    }
}

/// A plain HTTP/1.1 client over loopback.
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

impl Http {
    /// A client with its own connection pool.
    pub fn new() -> Http {
        Http {
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Sends a request; `Err` is a transport failure.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<Reply, String> {
        let mut req = Request::builder().method(method).uri(url);
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        let req = req
            .body(Full::new(body.into()))
            .map_err(|e| e.to_string())?;
        let resp = self
            .client
            .request(req)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// `GET url`; panics on a transport failure.
    pub async fn get(&self, url: &str) -> Reply {
        self.send(Method::GET, url, &[], Bytes::new())
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }

    /// GET with a Host header.
    pub async fn get_host(&self, url: &str, host: &str) -> Reply {
        self.send(Method::GET, url, &[("host", host)], Bytes::new())
            .await
            .unwrap_or_else(|e| panic!("GET {url} (Host: {host}): {e}"))
    }

    /// `POST url` with a JSON content type; panics on a transport failure.
    pub async fn post_json(&self, url: &str, body: &str) -> Reply {
        self.send(
            Method::POST,
            url,
            &[("content-type", "application/json")],
            body.to_owned(),
        )
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"))
    }
}

/// The admin API (and the mocks) of one server, over HTTP with JSON bodies.
pub struct Admin {
    /// The client it sends with.
    pub http: Http,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Admin {
    /// The admin API of `server` (a [`TestServer`](crate::TestServer) too).
    pub fn new(server: &Server) -> Admin {
        Admin::at(server.url())
    }

    /// The server at `base` (`http://127.0.0.1:PORT`).
    pub fn at(base: String) -> Admin {
        Admin {
            http: Http::new(),
            base,
        }
    }

    /// `method path` with a JSON content type and `body` verbatim.
    pub async fn call(&self, method: Method, path: &str, body: &str) -> Reply {
        self.http
            .send(
                method.clone(),
                &format!("{}{path}", self.base),
                &[("content-type", "application/json")],
                body.to_owned(),
            )
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, "").await
    }

    /// `POST path` with `body`.
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, &body.to_string()).await
    }

    /// `PUT path` with `body`.
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, &body.to_string()).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, "").await
    }

    /// Creates a stub, which must be accepted (201); returns it as stored.
    pub async fn stub(&self, mapping: Value) -> Value {
        let r = self.post("/__admin/mappings", mapping).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()
    }

    /// `POST /__admin/requests/count` for `pattern`.
    pub async fn count(&self, pattern: Value) -> u64 {
        let r = self.post("/__admin/requests/count", pattern).await;
        r.json()["count"]
            .as_u64()
            .unwrap_or_else(|| panic!("a count: {}", r.text()))
    }

    /// `GET /__admin/services`.
    pub async fn services(&self) -> Value {
        self.get("/__admin/services").await.json()
    }

    /// The entry of service `name` in `/__admin/services` (`Null` when it
    /// is not loaded).
    pub async fn service(&self, name: &str) -> Value {
        self.services().await["services"]
            .as_array()
            .expect("a services array")
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// A plain request to a mock (no content type added).
    pub async fn mock(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        self.http
            .send(
                method.clone(),
                &format!("{}{path}", self.base),
                headers,
                body.to_owned(),
            )
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }
}
