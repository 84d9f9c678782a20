//! Limits on what clients send (header count and bytes, time to send a
//! head, idle kept-alive connections) — and that none of them cuts off a
//! long-delayed or dribbled answer.

use fake_servicer_server::Config;
use http::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;
use testkit::{Http, TestServer, build_example, exchange, serve};

/// A server with the `example` plugin, configured by `adjust`.
async fn server(adjust: impl FnOnce(&mut Config)) -> TestServer {
    serve(&[build_example("example")], adjust).await
}

/// The answer's text and how long it took.
fn text_and_time(addr: std::net::SocketAddr, request: &[u8]) -> (String, Duration) {
    let answer = exchange(addr, request);
    (answer.text(), answer.took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_or_too_large_headers_are_answered_431() {
    let server = server(|c| {
        c.max_headers = 20;
        c.max_header_bytes = 8 * 1024;
    })
    .await;
    let addr = server.addr();
    let many: String = (0..25).map(|i| format!("X-H{i}: v\r\n")).collect();
    let big = format!("X-Big: {}\r\n", "a".repeat(10 * 1024));
    let answers = tokio::task::spawn_blocking(move || {
        [many, big].map(|extra| {
            text_and_time(
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_or_idle_clients_are_cut_off_but_slow_answers_are_not() {
    let server = server(|c| c.header_timeout = Duration::from_millis(500)).await;
    let addr = server.addr();
    let client = server.client();
    client
        .stub_json(json!({"request": {"urlPath": "/late"}, "response": {"body": "late", "fixedDelayMilliseconds": 1500}}))
        .await
        .expect("the late stub");
    client
        .stub_json(json!({"request": {"urlPath": "/dribble"}, "response": {"body": "0123456789", "chunkedDribbleDelay": {"numberOfChunks": 5, "totalDuration": 1500}}}))
        .await
        .expect("the dribbled stub");
    let (late, dribble, half, idle) = tokio::task::spawn_blocking(move || {
        let late = text_and_time(
            addr,
            b"GET /late HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        let dribble = text_and_time(
            addr,
            b"GET /dribble HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        // Half a head, then nothing.
        let half = text_and_time(addr, b"GET /example/users/1 HTTP/1.1\r\nHost: x\r\n");
        // A whole request on a kept-alive connection, then silence.
        let idle = text_and_time(addr, b"GET /example/users/1 HTTP/1.1\r\nHost: x\r\n\r\n");
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_body_is_cut_off_at_the_limit() {
    let server = server(|c| c.max_body_bytes = 1024).await;
    let addr = server.addr();
    // No Content-Length: the server only learns the size by reading.
    let mut request = b"POST /example/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let chunk = format!("{:x}\r\n{}\r\n", 512, "a".repeat(512));
    for _ in 0..8 {
        request.extend_from_slice(chunk.as_bytes());
    }
    let answer = testkit::exchange_async(addr, request).await.text();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_header_limit_is_100_lines() {
    let server = server(|_| {}).await;
    let addr = server.addr();
    let head = |n: usize| {
        let extra: String = (1..n).map(|i| format!("X-H{i}: v\r\n")).collect();
        format!("GET /example/users/1 HTTP/1.1\r\nHost: x\r\n{extra}\r\n")
    };
    let answers = tokio::task::spawn_blocking(move || {
        [100, 101].map(|n| text_and_time(addr, head(n).as_bytes()).0)
    })
    .await
    .unwrap();
    assert!(answers[0].starts_with("HTTP/1.1 200"), "{}", answers[0]);
    assert!(answers[1].starts_with("HTTP/1.1 431"), "{}", answers[1]);
}
