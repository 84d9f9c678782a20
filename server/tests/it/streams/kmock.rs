//! The streaming example of kmock's README, ported: a response that is a
//! sequence of parts (bytes, a pause, JSON, a countdown) ending "live", and
//! a broadcast of a timestamp into the open stream every second while a
//! client reads it. kmock writes:
//!
//! ```python
//! kmock['/'] << (b'hello', sleep(1), b', world!\n', {'key': 'val'},
//!                lambda: [f'{i}...\n'.encode() for i in range(3, 0, -1)], ...)
//! # while a client reads, every second:
//! kmock[...] << (lambda: f'{time.time()}\n'.encode(),)
//! ```
//!
//! Here: a stub, then pushes; the client reads the whole body.

use super::{Reading, push, stream_stub, until_open, with_stub};
use serde_json::json;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kmocks_readme_stream_with_timestamps_broadcast_every_second() {
    let server = with_stub(stream_stub(
        "/",
        json!([
            {"body": "hello"},
            {"delayMs": 1000},
            {"body": ", world!\n"},
            {"json": {"key": "val"}},
            {"body": "3...\n"}, {"body": "2...\n"}, {"body": "1...\n"}
        ]),
        true,
    ))
    .await;
    let started = Instant::now();
    let reader = {
        let addr = server.addr();
        tokio::spawn(async move { Reading::open(addr, "/", &[]).await.read_to_end().await })
    };
    until_open(&server, 1).await;
    let mut stamps = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    for i in 0..3 {
        tick.tick().await;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970");
        let stamp = format!("{:.3}\n", now.as_secs_f64());
        stamps.push(stamp.clone());
        let last = i == 2;
        let reached = push(
            &server,
            json!({"urlPath": "/"}),
            json!([{"body": stamp}]),
            last,
        )
        .await;
        assert_eq!(reached, 1);
    }
    let body = reader.await.expect("the reader");
    let want = format!(
        "hello, world!\n{{\"key\":\"val\"}}\n3...\n2...\n1...\n{}",
        stamps.concat()
    );
    assert_eq!(body, want);
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "the stream ended early"
    );
}
