//! Streams: stub answers sent item by item (SSE, NDJSON, text), live
//! streams fed by `POST /__admin/streams/push`, scoped, listed and closed,
//! within their caps; plugins' stream answers (the SDK's `Streaming`);
//! kmock's README example; real clients (curl, Python).

mod clients;
mod kmock;
mod limits;
mod plugins;
mod push;
mod stubs;
mod websocket;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::{Value, json};
use std::{net::SocketAddr, time::Duration};
use testkit::{Admin, TestServer, eventually, serve};

/// How long a reader waits for what it expects.
const PATIENCE: Duration = Duration::from_secs(10);

/// A server with no plugins and `stub` added.
async fn with_stub(stub: Value) -> TestServer {
    let server = serve(&[], |_| {}).await;
    Admin::new(&server).stub(stub).await;
    server
}

/// A stub answering `GET path` with `stream` (and `live`).
fn stream_stub(path: &str, stream: Value, live: bool) -> Value {
    json!({
        "request": {"method": "GET", "urlPath": path},
        "response": {"status": 200, "stream": stream, "live": live}
    })
}

/// An answer being read as it comes, over HTTP/1.1 (also the Kubernetes
/// tests' watches).
pub(crate) struct Reading {
    pub(crate) head: http::response::Parts,
    body: Incoming,
    got: Vec<u8>,
    ended: bool,
}

impl Reading {
    /// `GET path` on `addr` with `headers`; the head is read, the body not yet.
    pub(crate) async fn open(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Reading {
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (mut send, conn) = hyper::client::conn::http1::handshake::<
            _,
            http_body_util::Empty<Bytes>,
        >(hyper_util::rt::TokioIo::new(tcp))
        .await
        .expect("HTTP/1.1 handshake");
        tokio::spawn(conn);
        let mut req = http::Request::get(path).header("host", addr.to_string());
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = req.body(http_body_util::Empty::new()).expect("a request");
        let answer = tokio::time::timeout(PATIENCE, send.send_request(req))
            .await
            .expect("the head in time")
            .expect("an answer");
        let (head, body) = answer.into_parts();
        Reading {
            head,
            body,
            got: Vec::new(),
            ended: false,
        }
    }

    /// What has come so far, as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.got).into_owned()
    }

    /// Reads one more piece: false at the end.
    pub(crate) async fn more(&mut self) -> bool {
        match self.body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    self.got.extend_from_slice(&data);
                }
                true
            }
            Some(Err(e)) => panic!("the stream broke after {:?}: {e}", self.text()),
            None => {
                self.ended = true;
                false
            }
        }
    }

    /// Reads until what came holds `text` (10 s at most); all of it.
    async fn until(&mut self, text: &str) -> String {
        let wanted = async {
            while !self.text().contains(text) {
                if !self.more().await {
                    panic!("the stream ended before {text:?}: {:?}", self.text());
                }
            }
        };
        if tokio::time::timeout(PATIENCE, wanted).await.is_err() {
            panic!("no {text:?} within {PATIENCE:?}: {:?}", self.text());
        }
        self.text()
    }

    /// Reads to the end (10 s at most); all of it.
    async fn read_to_end(mut self) -> String {
        let all = async { while self.more().await {} };
        if tokio::time::timeout(PATIENCE, all).await.is_err() {
            panic!(
                "the stream did not end within {PATIENCE:?}: {:?}",
                self.text()
            );
        }
        self.text()
    }
}

/// `GET /__admin/streams`'s list.
async fn open_streams(server: &TestServer) -> Vec<Value> {
    let list = Admin::new(server).get("/__admin/streams").await.json();
    list["streams"].as_array().cloned().unwrap_or_default()
}

/// Waits until `n` streams are open.
async fn until_open(server: &TestServer, n: usize) {
    eventually(PATIENCE, &format!("{n} open streams"), || async {
        let open = open_streams(server).await;
        if open.len() == n {
            Ok(())
        } else {
            Err(format!("{open:?}"))
        }
    })
    .await
}

/// Pushes `items` to the streams `request` matches; how many it reached.
async fn push(server: &TestServer, request: Value, items: Value, close: bool) -> u64 {
    let r = Admin::new(server)
        .post(
            "/__admin/streams/push",
            json!({"request": request, "items": items, "close": close}),
        )
        .await;
    assert_eq!(r.status, http::StatusCode::OK, "{}", r.text());
    r.json()["streams"].as_u64().expect("a count of streams")
}
