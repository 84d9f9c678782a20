//! Blocking waits (`POST /__admin/requests/wait`) pin nothing and stall
//! nothing: a wait counts its matches past what it lists, and waits count
//! against `--max-waiters`, not the connection slots plain requests need.
//!
//! The connection tests speak raw HTTP/1.1 on sockets of their own, so
//! that no pooled client connection takes a slot.

use serde_json::{Value, json};
use std::{net::SocketAddr, time::Duration};
use testkit::{Admin, TestServer, eventually, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest any read of these tests waits for the server.
const READ_LIMIT: Duration = Duration::from_secs(20);

/// An answer read off a raw socket.
struct Answer {
    status: u16,
    /// The head, lower-cased.
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&dechunk(&self.head, &self.body))
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn closes(&self) -> bool {
        self.head.contains("\r\nconnection: close\r\n")
    }
}

/// The body, decoded when it was sent chunked.
fn dechunk(head: &str, body: &[u8]) -> Vec<u8> {
    if head.contains("transfer-encoding: chunked") {
        testkit::decode_chunked(body).unwrap_or_else(|e| panic!("{e}"))
    } else {
        body.to_vec()
    }
}

/// A request to the server on a fresh connection.
async fn send(addr: SocketAddr, request: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(request.as_bytes()).await.expect("write");
    s
}

/// `POST /__admin/requests/wait` with `body`; `close` asks for the
/// connection to close after the answer.
fn wait_request(body: &Value, close: bool) -> String {
    let body = body.to_string();
    let connection = if close { "Connection: close\r\n" } else { "" };
    format!(
        "POST /__admin/requests/wait HTTP/1.1\r\nHost: x\r\n{connection}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A plain GET of `path` that closes its connection after the answer.
fn get_request(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
}

/// Reads one answer (its body by `Content-Length` or to the end of its
/// chunks) within `limit`; `None` when none came.
async fn read_answer(s: &mut TcpStream, limit: Duration) -> Option<Answer> {
    tokio::time::timeout(limit, async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end + 4]).to_ascii_lowercase();
                let body = &buf[end + 4..];
                let length = head
                    .split("\r\n")
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|n| n.trim().parse::<usize>().ok());
                let complete = match length {
                    Some(n) => body.len() >= n,
                    None => body.ends_with(b"0\r\n\r\n"),
                };
                if complete {
                    let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
                    return Some(Answer {
                        status,
                        head,
                        body: body.to_vec(),
                    });
                }
            }
            let n = s.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    })
    .await
    .ok()
    .flatten()
}

/// A wait for `body` in a task of its own, on a connection of its own,
/// sent again whenever it is refused (503: a probe held the seat); its
/// answer, once it is not a refusal.
fn wait_in_background(addr: SocketAddr, body: Value) -> tokio::task::JoinHandle<Option<Answer>> {
    tokio::spawn(async move {
        loop {
            let mut s = send(addr, &wait_request(&body, true)).await;
            match read_answer(&mut s, Duration::from_secs(90)).await {
                Some(a) if a.status == 503 => continue,
                answered => return answered,
            }
        }
    })
}

/// Whether the server closes `s` within `limit` (after its answer).
async fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(limit, s.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

/// A server without plugins, `adjust`ed.
async fn server(adjust: impl FnOnce(&mut fake_servicer_server::Config)) -> TestServer {
    serve(&[], adjust).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waits_answer_lists_at_most_a_thousand_requests_and_counts_them_all() {
    let server = server(|_| {}).await;
    let addr = server.addr();
    let mut wait = send(
        addr,
        &wait_request(
            &json!({"urlPath": "/many", "count": 1_100, "timeoutMs": 60_000}),
            true,
        ),
    )
    .await;
    let a = Admin::new(&server);
    for _ in 0..1_100 {
        a.mock(http::Method::GET, "/many", &[], "").await;
    }
    let answer = read_answer(&mut wait, READ_LIMIT)
        .await
        .expect("the wait answers once 1 100 arrived");
    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(body["count"], 1_100, "every match counted");
    assert_eq!(body["wanted"], 1_100);
    let listed = body["requests"].as_array().map(Vec::len);
    assert_eq!(listed, Some(1_000), "only the oldest 1 000 listed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_four_connection_slots_and_four_parked_waits_a_plain_get_still_answers() {
    let server = server(|c| {
        c.max_connections = 4;
        c.max_waiters = 4;
    })
    .await;
    let addr = server.addr();
    let waits: Vec<_> = (0..4)
        .map(|_| wait_in_background(addr, json!({"urlPath": "/ping", "timeoutMs": 60_000})))
        .collect();
    // All four are seated once a fifth is refused (which needs a slot of
    // its own to be answered at all).
    eventually(READ_LIMIT, "the four waits to be parked", || async {
        let probe = json!({"urlPath": "/never", "timeoutMs": 0});
        let mut s = send(addr, &wait_request(&probe, true)).await;
        match read_answer(&mut s, Duration::from_secs(5)).await {
            Some(a) if a.status == 503 => Ok(()),
            Some(a) => Err(format!("probe answered {}", a.status)),
            None => Err("probe not answered within 5 s".to_owned()),
        }
    })
    .await;
    let mut get = send(addr, &get_request("/plain")).await;
    let answer = read_answer(&mut get, Duration::from_secs(5))
        .await
        .expect("a plain GET answered while four waits are parked");
    assert_eq!(answer.status, 404);
    // The waits were parked all along: one request answers them all.
    let mut ping = send(addr, &get_request("/ping")).await;
    assert!(read_answer(&mut ping, READ_LIMIT).await.is_some());
    for w in waits {
        let answer = w.await.expect("a wait task").expect("the wait answers");
        assert_eq!(
            answer.status,
            200,
            "{:?}",
            String::from_utf8_lossy(&answer.body)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_refused_over_max_waiters_closes_its_connection() {
    let server = server(|c| c.max_waiters = 1).await;
    let addr = server.addr();
    let first = wait_in_background(addr, json!({"urlPath": "/ping", "timeoutMs": 60_000}));
    let (answer, mut refused) = eventually(READ_LIMIT, "a wait refused", || async {
        // Keep-alive asked for: the server closes anyway.
        let probe = json!({"urlPath": "/never", "timeoutMs": 0});
        let mut s = send(addr, &wait_request(&probe, false)).await;
        match read_answer(&mut s, Duration::from_secs(5)).await {
            Some(a) if a.status == 503 => Ok((a, s)),
            Some(a) => Err(format!("probe answered {}", a.status)),
            None => Err("probe not answered within 5 s".to_owned()),
        }
    })
    .await;
    assert!(answer.closes(), "{}", answer.head);
    assert!(
        answer.json()["errors"][0]["title"]
            .as_str()
            .is_some_and(|t| t.contains("--max-waiters")),
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert!(closed_within(&mut refused, Duration::from_secs(5)).await);
    let mut ping = send(addr, &get_request("/ping")).await;
    assert!(read_answer(&mut ping, READ_LIMIT).await.is_some());
    let first = first.await.expect("a wait task").expect("first wait");
    assert_eq!(first.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_whose_slot_was_taken_while_it_slept_closes_its_connection_after_answering() {
    let server = server(|c| c.max_connections = 1).await;
    let addr = server.addr();
    // The wait takes the only slot, then gives it back while it sleeps…
    let w = json!({"urlPath": "/ping", "timeoutMs": 15_000});
    let mut wait = send(addr, &wait_request(&w, false)).await;
    // … to this connection, which stays open after its answer.
    let mut other = TcpStream::connect(addr).await.expect("connect");
    other
        .write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let pong = read_answer(&mut other, READ_LIMIT)
        .await
        .expect("the other connection is served while the wait sleeps");
    assert_eq!(pong.status, 404);
    let answer = read_answer(&mut wait, READ_LIMIT)
        .await
        .expect("the wait answers");
    assert_eq!(answer.status, 200);
    assert!(answer.closes(), "no slot to go on with: {}", answer.head);
    assert!(closed_within(&mut wait, Duration::from_secs(5)).await);
    drop(other);
}
