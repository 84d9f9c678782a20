//! Limits on what clients send (header count and bytes, time to send a
//! head, idle kept-alive connections) — and that none of them cuts off a
//! long-delayed or dribbled answer.

mod common;

use common::{Http, build_example};
use http::{Method, StatusCode};
use serde_json::json;
use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

async fn server(
    adjust: impl FnOnce(&mut fake_servicer_server::Config),
) -> (fake_servicer_server::Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let lib = build_example("example");
    std::fs::copy(&lib, dir.path().join("libexample.so")).unwrap();
    let mut config = fake_servicer_server::Config::local(dir.path());
    adjust(&mut config);
    (common::start_with(config).await, dir)
}

/// Writes `request`, reads until the server closes (or 10 s pass).
fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> (String, Duration) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let started = Instant::now();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    (
        String::from_utf8_lossy(&out).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_or_too_large_headers_are_answered_431() {
    let (server, _dir) = server(|c| {
        c.max_headers = 20;
        c.max_header_bytes = 8 * 1024;
    })
    .await;
    let addr = server.addr();
    let many: String = (0..25).map(|i| format!("X-H{i}: v\r\n")).collect();
    let big = format!("X-Big: {}\r\n", "a".repeat(10 * 1024));
    let answers = tokio::task::spawn_blocking(move || {
        [many, big].map(|extra| {
            exchange(
                addr,
                format!("GET /example/users/1 HTTP/1.1\r\nHost: x\r\n{extra}\r\n").as_bytes(),
            )
            .0
        })
    })
    .await
    .unwrap();
    for a in answers {
        assert!(a.starts_with("HTTP/1.1 431"), "{a}");
    }
    let ok = Http::new()
        .send(
            Method::GET,
            &format!("{}/example/users/1", server.url()),
            &[("x-one", "1")],
            "",
        )
        .await
        .unwrap();
    assert_eq!(ok.status, StatusCode::OK);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_or_idle_clients_are_cut_off_but_slow_answers_are_not() {
    let (server, _dir) = server(|c| c.header_timeout = Duration::from_millis(500)).await;
    let addr = server.addr();
    let http = Http::new();
    let stub = |path: &str, response: serde_json::Value| {
        json!({"request": {"urlPath": path}, "response": response}).to_string()
    };
    for body in [
        stub(
            "/late",
            json!({"body": "late", "fixedDelayMilliseconds": 1500}),
        ),
        stub(
            "/dribble",
            json!({"body": "0123456789", "chunkedDribbleDelay": {"numberOfChunks": 5, "totalDuration": 1500}}),
        ),
    ] {
        let r = http
            .send(
                Method::POST,
                &format!("{}/__admin/mappings", server.url()),
                &[],
                body,
            )
            .await
            .unwrap();
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let (late, dribble, half, idle) = tokio::task::spawn_blocking(move || {
        let late = exchange(
            addr,
            b"GET /late HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        let dribble = exchange(
            addr,
            b"GET /dribble HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        // Half a head, then nothing.
        let half = exchange(addr, b"GET /example/users/1 HTTP/1.1\r\nHost: x\r\n");
        // A whole request on a kept-alive connection, then silence.
        let idle = exchange(addr, b"GET /example/users/1 HTTP/1.1\r\nHost: x\r\n\r\n");
        (late, dribble, half, idle)
    })
    .await
    .unwrap();
    assert!(
        late.0.starts_with("HTTP/1.1 200") && late.0.ends_with("late"),
        "{late:?}"
    );
    assert!(late.1 >= Duration::from_millis(1500));
    assert!(
        dribble.0.starts_with("HTTP/1.1 200") && dribble.0.contains("transfer-encoding: chunked"),
        "{dribble:?}"
    );
    assert!(dribble.1 >= Duration::from_millis(1200));
    assert!(
        half.1 < Duration::from_secs(9),
        "a stalled head is cut off: {half:?}"
    );
    assert!(idle.0.starts_with("HTTP/1.1 200"), "{idle:?}");
    assert!(
        idle.1 < Duration::from_secs(9),
        "an idle kept-alive connection is closed: {:?}",
        idle.1
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_body_is_cut_off_at_the_limit() {
    let (server, _dir) = server(|c| c.max_body_bytes = 1024).await;
    let addr = server.addr();
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"POST /example/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap();
        // No Content-Length: the server only learns the size by reading.
        let chunk = format!("{:x}\r\n{}\r\n", 512, "a".repeat(512));
        let mut out = Vec::new();
        for _ in 0..8 {
            if s.write_all(chunk.as_bytes()).is_err() {
                break;
            }
        }
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_header_limit_is_100_lines() {
    let (server, _dir) = server(|_| {}).await;
    let addr = server.addr();
    let head = |n: usize| {
        let extra: String = (1..n).map(|i| format!("X-H{i}: v\r\n")).collect();
        format!("GET /example/users/1 HTTP/1.1\r\nHost: x\r\n{extra}\r\n")
    };
    let answers = tokio::task::spawn_blocking(move || {
        [100, 101].map(|n| exchange(addr, head(n).as_bytes()).0)
    })
    .await
    .unwrap();
    assert!(answers[0].starts_with("HTTP/1.1 200"), "{}", answers[0]);
    assert!(answers[1].starts_with("HTTP/1.1 431"), "{}", answers[1]);
    server.shutdown().await;
}
