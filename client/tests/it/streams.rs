//! Streams driven by the client against a real fake-servicer (no plugins):
//! a stub's live stream, read as it comes over a raw HTTP/1.1 connection,
//! gets what the client pushes; the client lists and closes open streams,
//! within a scope or not.

use fake_servicer_client::prelude::*;
use fake_servicer_client::{Push, Sse, StreamInfo};
use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use testkit::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a reader or a poll waits for what it expects.
const PATIENCE: Duration = Duration::from_secs(10);

/// The stub's own event, sent when a stream opens.
const WELCOME: &str = "event: hello\ndata: welcome\n\n";

/// A stub answering `GET /events` with a live SSE stream: [`WELCOME`],
/// then whatever is pushed.
fn live_events_stub() -> serde_json::Value {
    json!({
        "request": {"method": "GET", "urlPath": "/events"},
        "response": {
            "status": 200,
            "stream": [{"sse": {"event": "hello", "data": "welcome"}}],
            "live": true
        }
    })
}

/// A server without plugins holding the live `/events` stub, and its client.
async fn server() -> (TestServer, Client) {
    let server = testkit::serve(&[], |_| {}).await;
    let client = server.client();
    client.stub_json(live_events_stub()).await.unwrap();
    (server, client)
}

/// A `GET` whose answer is read as it comes, on a raw HTTP/1.1 connection:
/// the head, then the chunked body decoded as far as whole chunks go.
struct Reader {
    tcp: TcpStream,
    raw: Vec<u8>,
    /// The server closed the connection.
    closed: bool,
}

impl Reader {
    /// Sends `GET path` with `headers` to `addr`; reads nothing yet.
    async fn open(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Reader {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        tcp.write_all(request.as_bytes()).await.expect("send");
        Reader {
            tcp,
            raw: Vec::new(),
            closed: false,
        }
    }

    /// The body so far (whole chunks), and whether its last chunk came.
    fn body(&self) -> (String, bool) {
        let Some((head, mut rest)) = testkit::split_head(&self.raw) else {
            return (String::new(), false);
        };
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "{head}"
        );
        let mut body = Vec::new();
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = std::str::from_utf8(&rest[..eol])
                .ok()
                .and_then(|line| usize::from_str_radix(line.split(';').next()?, 16).ok())
                .unwrap_or_else(|| panic!("not a chunk size: {:?}", self.text()));
            if size == 0 {
                return (String::from_utf8_lossy(&body).into_owned(), true);
            }
            let data = &rest[eol + 2..];
            if data.len() < size + 2 {
                break;
            }
            body.extend_from_slice(&data[..size]);
            rest = &data[size + 2..];
        }
        (String::from_utf8_lossy(&body).into_owned(), false)
    }

    /// All bytes read, as text (for failures).
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// Reads until `done` holds for the body so far and whether it ended
    /// (at most [`PATIENCE`]); the body.
    async fn read_until(&mut self, what: &str, done: impl Fn(&str, bool) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let (body, ended) = self.body();
            if done(&body, ended) {
                return body;
            }
            assert!(!ended && !self.closed, "ended before {what}: {body:?}");
            let mut buf = [0; 4096];
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.tcp.read(&mut buf)).await {
                Ok(Ok(0)) => self.closed = true,
                Ok(Ok(n)) => self.raw.extend_from_slice(&buf[..n]),
                Ok(Err(e)) => panic!("the stream broke before {what}: {e}; {body:?}"),
                Err(_) => panic!("no {what} within {PATIENCE:?}: {body:?}"),
            }
        }
    }

    /// Reads until the body holds `text`; the body.
    async fn until(&mut self, text: &str) -> String {
        self.read_until(&format!("{text:?}"), |body, _| body.contains(text))
            .await
    }

    /// Reads to the stream's last chunk; the body.
    async fn until_end(&mut self) -> String {
        self.read_until("the end", |_, ended| ended).await
    }
}

/// Polls `list` until it gives `n` streams (at most [`PATIENCE`]); them.
async fn until_listed<F, Fut>(n: usize, list: F) -> Vec<StreamInfo>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = fake_servicer_client::Result<Vec<StreamInfo>>>,
{
    testkit::eventually(PATIENCE, &format!("{n} open streams"), || async {
        let open = list().await.map_err(|e| e.to_string())?;
        if open.len() == n {
            Ok(open)
        } else {
            Err(format!("{open:?}"))
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pushed_event_reaches_a_live_sse_stream_after_its_own() {
    let (server, client) = server().await;
    let mut reader = Reader::open(server.addr(), "/events", &[]).await;
    reader.until(WELCOME).await;
    until_listed(1, || client.streams()).await;

    let pushed = client
        .push(Push::to(get("/events")).sse(Sse::event("tick").id("2").data(json!({"n": 2}))))
        .await
        .unwrap();

    assert_eq!((pushed.streams, pushed.overflowed), (1, 0));
    assert_eq!(
        reader.until("data: {\"n\":2}\n\n").await,
        format!("{WELCOME}event: tick\nid: 2\ndata: {{\"n\":2}}\n\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_with_close_ends_the_stream_after_its_items() {
    let (server, client) = server().await;
    let mut reader = Reader::open(server.addr(), "/events", &[]).await;
    until_listed(1, || client.streams()).await;

    let pushed = client
        .push(
            Push::to(get("/events"))
                .text(": bye\n\n")
                .json(&json!([1, 2]))
                .close(),
        )
        .await
        .unwrap();

    assert_eq!(pushed.streams, 1);
    assert_eq!(
        reader.until_end().await,
        format!("{WELCOME}: bye\n\n[1,2]\n")
    );
    until_listed(0, || client.streams()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_lists_the_open_streams_and_close_streams_ends_them_all() {
    let (server, client) = server().await;
    let mut first = Reader::open(server.addr(), "/events?page=1", &[]).await;
    first.until(WELCOME).await;
    let mut second =
        Reader::open(server.addr(), "/events", &[("X-Fake-Servicer-Scope", "s")]).await;
    second.until(WELCOME).await;

    let open = until_listed(2, || client.streams()).await;

    let seen: Vec<_> = open
        .iter()
        .map(|s| (s.method.as_str(), s.url.as_str(), s.scopes.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("GET", "/events?page=1", vec![]),
            ("GET", "/events", vec!["s".to_owned()])
        ],
        "oldest first"
    );
    assert_ne!(open[0].id, open[1].id);
    assert_eq!(open[0].service, None);
    assert!(open[0].items_sent >= 1 && open[0].bytes_sent >= WELCOME.len() as u64);
    assert!(!open[0].opened.is_empty());
    assert_eq!(client.close_streams().await.unwrap(), 2);
    assert_eq!(first.until_end().await, WELCOME);
    assert_eq!(second.until_end().await, WELCOME);
    assert!(client.streams().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_stream_ends_one_stream_and_an_id_not_open_is_a_404() {
    let (server, client) = server().await;
    let mut closed = Reader::open(server.addr(), "/events?n=1", &[]).await;
    closed.until(WELCOME).await;
    let _kept = Reader::open(server.addr(), "/events?n=2", &[]).await;
    let open = until_listed(2, || client.streams()).await;
    let (one, two): (Vec<_>, Vec<_>) = open.into_iter().partition(|s| s.url == "/events?n=1");

    client.close_stream(&one[0]).await.unwrap();

    assert_eq!(closed.until_end().await, WELCOME);
    assert_eq!(until_listed(1, || client.streams()).await[0].id, two[0].id);
    let err = client.close_stream(&one[0].id).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scoped_push_reaches_only_the_streams_of_its_scope() {
    let (server, client) = server().await;
    let (a, b) = (client.scope("test-a"), client.scope("test-b"));
    let mut in_a = Reader::open(server.addr(), "/events", &[("baggage", &a.baggage())]).await;
    let mut in_b = Reader::open(server.addr(), "/events", &[("baggage", &b.baggage())]).await;
    until_listed(1, || a.streams()).await;
    until_listed(1, || b.streams()).await;

    let to_a = a
        .push(Push::to(get("/events")).sse(Sse::event("for").data("a")))
        .await
        .unwrap();
    let to_b = b
        .push(Push::to(get("/events")).sse(Sse::event("for").data("b")))
        .await
        .unwrap();

    assert_eq!((to_a.streams, to_b.streams), (1, 1));
    assert_eq!(
        in_a.until("data: a\n\n").await,
        format!("{WELCOME}event: for\ndata: a\n\n")
    );
    // b's own event came after a's push: a's would be before it.
    assert_eq!(
        in_b.until("data: b\n\n").await,
        format!("{WELCOME}event: for\ndata: b\n\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scopes_list_and_close_see_only_its_streams() {
    let (server, client) = server().await;
    let (a, b) = (client.scope("test-a"), client.scope("test-b"));
    let mut in_a = Reader::open(server.addr(), "/events", &[("baggage", &a.baggage())]).await;
    let _in_b = Reader::open(server.addr(), "/events", &[("baggage", &b.baggage())]).await;
    in_a.until(WELCOME).await;
    until_listed(2, || client.streams()).await;

    let listed = a.streams().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].scopes, ["test-a"]);
    assert_eq!(a.close_streams().await.unwrap(), 1);

    assert_eq!(in_a.until_end().await, WELCOME);
    let left = until_listed(1, || client.streams()).await;
    assert_eq!(left[0].scopes, ["test-b"]);
    assert_eq!(b.streams().await.unwrap()[0].id, left[0].id);
}

#[test]
fn the_blocking_client_pushes_to_a_live_stream() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let srv = rt.block_on(testkit::serve(&[], |_| {}));
    let client = fake_servicer_client::blocking::Client::new(srv.url());
    client.stub_json(live_events_stub()).unwrap();
    let mut reader = rt.block_on(Reader::open(srv.addr(), "/events", &[]));
    let deadline = Instant::now() + PATIENCE;
    while client.streams().unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "no stream open after {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let pushed = client
        .push(Push::to(get("/events")).sse(Sse::message().data("from a plain test")))
        .unwrap();

    assert_eq!(pushed.streams, 1);
    assert_eq!(
        rt.block_on(reader.until("from a plain test\n\n")),
        format!("{WELCOME}data: from a plain test\n\n")
    );
}
