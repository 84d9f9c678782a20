//! Streams within their caps: `--max-streams`, `--max-stream-queue-bytes`
//! (a reader that does not read), `--stream-idle-timeout`, and a stop.

use super::{PATIENCE, Reading, open_streams, stream_stub, until_open};
use http::StatusCode;
use serde_json::json;
use std::time::Duration;
use testkit::{Admin, eventually, serve};
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_stream_past_max_streams_is_answered_503_naming_the_flag() {
    let server = serve(&[], |c| c.max_streams = 2).await;
    Admin::new(&server)
        .stub(stream_stub("/s", json!([]), true))
        .await;
    let _a = Reading::open(server.addr(), "/s", &[]).await;
    let _b = Reading::open(server.addr(), "/s", &[]).await;
    let third = testkit::Http::new()
        .get(&format!("{}/s", server.url()))
        .await;
    assert_eq!(third.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(third.json()["flag"], "--max-streams", "{}", third.text());
    assert_eq!(third.header("retry-after"), Some("1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_does_not_read_is_closed_at_the_queue_cap_and_its_queue_dropped() {
    let server = serve(&[], |c| c.max_stream_queue_bytes = 256 * 1024).await;
    Admin::new(&server)
        .stub(stream_stub("/firehose", json!([]), true))
        .await;
    // Asks, then never reads.
    let mut idle = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    idle.write_all(b"GET /firehose HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("ask");
    until_open(&server, 1).await;
    let chunk = "x".repeat(64 * 1024);
    let admin = Admin::new(&server);
    // The socket buffers and hyper's take some; the queue the rest, to its cap.
    let overflowed = eventually(PATIENCE, "a push to overflow the stream", || async {
        let r = admin
            .post(
                "/__admin/streams/push",
                json!({"items": [{"body": chunk.clone()}]}),
            )
            .await
            .json();
        if r["overflowed"] == 1 {
            Ok(r)
        } else {
            Err(r.to_string())
        }
    })
    .await;
    assert_eq!(overflowed["streams"], 0, "{overflowed}");
    assert!(
        open_streams(&server).await.is_empty(),
        "the closed stream is still listed"
    );
    let r = admin
        .post(
            "/__admin/streams/push",
            json!({"items": [{"body": "more"}]}),
        )
        .await
        .json();
    assert_eq!(r["streams"], 0, "{r}");
    // Another reader is served as ever.
    let mut fresh = Reading::open(server.addr(), "/firehose", &[]).await;
    until_open(&server, 1).await;
    admin
        .post(
            "/__admin/streams/push",
            json!({"items": [{"body": "hi"}], "close": true}),
        )
        .await;
    assert_eq!(fresh.until("hi").await, "hi");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_stream_that_sends_nothing_for_the_idle_timeout_is_closed() {
    let server = serve(&[], |c| c.stream_idle_timeout = Duration::from_millis(500)).await;
    Admin::new(&server)
        .stub(stream_stub("/quiet", json!([{"body": "hi"}]), true))
        .await;
    let reading = Reading::open(server.addr(), "/quiet", &[]).await;
    assert_eq!(reading.read_to_end().await, "hi");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_ends_sse_streams_with_a_last_comment_and_others_cleanly() {
    let server = serve(&[], |_| {}).await;
    let admin = Admin::new(&server);
    admin
        .stub(stream_stub("/sse", json!([{"sse": {"data": "a"}}]), true))
        .await;
    admin
        .stub(stream_stub("/ndjson", json!([{"json": 1}]), true))
        .await;
    let mut sse = Reading::open(server.addr(), "/sse", &[]).await;
    let mut ndjson = Reading::open(server.addr(), "/ndjson", &[]).await;
    sse.until("data: a\n\n").await;
    ndjson.until("1\n").await;
    let stopped = tokio::spawn(server.shutdown_within(PATIENCE));
    assert_eq!(
        sse.read_to_end().await,
        "data: a\n\n: fake-servicer is stopping\n\n"
    );
    assert_eq!(ndjson.read_to_end().await, "1\n");
    assert!(
        stopped.await.expect("the stop"),
        "the server did not stop in time"
    );
}
