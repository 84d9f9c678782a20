//! Plugin answers sent item by item: the SDK's `Streaming` from the sink
//! plugin's `/stream/…` routes (`sdk_plugin`), fed by pushes, across a
//! reload of the plugin.

use super::{PATIENCE, Reading, open_streams, push, until_open};
use crate::sdk_plugin::{sink_library, sink_server};
use fake_servicer::abi::STREAM_HEADER;
use serde_json::json;
use std::time::Instant;
use testkit::{Admin, TestServer, eventually, install_like_cargo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugins_sse_stream_arrives_in_sse_framing_as_text_event_stream() {
    let server = sink_server().await;
    let reading = Reading::open(server.addr(), "/sink/stream/sse", &[]).await;
    assert_eq!(reading.head.status, 200);
    assert_eq!(reading.head.headers["content-type"], "text/event-stream");
    assert_eq!(reading.head.headers["transfer-encoding"], "chunked");
    assert_eq!(reading.head.headers.get(STREAM_HEADER), None);
    assert_eq!(
        reading.read_to_end().await,
        "event: greeting\nid: 1\ndata: hello\ndata: world\n\nretry: 500\ndata: {\"n\":2}\n\n: keep-alive\n\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugins_ndjson_stream_keeps_its_status_and_headers_but_not_the_stream_header() {
    let server = sink_server().await;
    let reading = Reading::open(server.addr(), "/sink/stream/ndjson", &[]).await;
    assert_eq!(reading.head.status, 202);
    assert_eq!(reading.head.headers["x-stream"], "yes");
    assert_eq!(reading.head.headers["content-type"], "application/x-ndjson");
    assert_eq!(reading.head.headers.get(STREAM_HEADER), None);
    assert_eq!(
        reading.read_to_end().await,
        "{\"n\":1,\"tag\":null}\n{\"n\":2,\"tag\":\"two\"}\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_reaches_a_plugins_live_stream_and_close_ends_it() {
    let server = sink_server().await;
    let mut reading = Reading::open(server.addr(), "/sink/stream/live", &[]).await;
    assert_eq!(reading.head.headers["content-type"], "text/event-stream");
    reading.until("data: live\n\n").await;
    let live = json!({"service": "sink", "urlPath": "/stream/live"});
    let tick = |n: u32| json!([{"sse": {"event": "tick", "data": n}}]);
    assert_eq!(push(&server, live.clone(), tick(1), false).await, 1);
    reading.until("event: tick\ndata: 1\n\n").await;
    assert_eq!(push(&server, live.clone(), tick(2), true).await, 1);
    assert_eq!(
        reading.read_to_end().await,
        "event: hello\ndata: live\n\nevent: tick\ndata: 1\n\nevent: tick\ndata: 2\n\n"
    );
    until_open(&server, 0).await;
    assert_eq!(push(&server, live, tick(3), false).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugins_stream_keeps_going_across_a_reload_of_the_plugin() {
    // Long enough for the reload to be over before the second event.
    const PAUSE_MS: u64 = 5_000;
    let server = sink_server().await;
    let before = generation(&server).await;
    let path = format!("/sink/stream/slow/{PAUSE_MS}");
    let opened = Instant::now();
    let mut reading = Reading::open(server.addr(), &path, &[]).await;
    reading.until("event: first\ndata: 1\n\n").await;

    // The same code as a new file (a trailing marker makes its content
    // new), installed the way cargo installs a build.
    let built = sink_library();
    let lib = server
        .plugin_dir()
        .join(built.file_name().expect("a file name"));
    let marked = server.plugin_dir().join("deps").join("marked.so");
    std::fs::create_dir_all(marked.parent().unwrap()).unwrap();
    let mut bytes = std::fs::read(built).unwrap();
    bytes.extend_from_slice(b"reload marker");
    std::fs::write(&marked, bytes).unwrap();
    install_like_cargo(&marked, &lib);
    eventually(PATIENCE, "the sink plugin to be reloaded", || async {
        let now = generation(&server).await;
        if now > before {
            Ok(())
        } else {
            Err(format!("generation {now}"))
        }
    })
    .await;
    assert!(
        !reading.text().contains("second"),
        "the reload took longer than the stream's pause ({:?}): {:?}",
        opened.elapsed(),
        reading.text()
    );
    assert_eq!(
        open_streams(&server).await.len(),
        1,
        "the stream is still open"
    );

    // The old library's items go on, and pushes still reach the stream.
    reading.until("event: second\ndata: 2\n\n").await;
    let slow = json!({"service": "sink", "urlPath": format!("/stream/slow/{PAUSE_MS}")});
    let third = json!([{"sse": {"event": "third", "data": 3}}]);
    assert_eq!(push(&server, slow, third, true).await, 1);
    assert_eq!(
        reading.read_to_end().await,
        "event: first\ndata: 1\n\nevent: second\ndata: 2\n\nevent: third\ndata: 3\n\n"
    );

    // The new generation answers streams too.
    let fresh = Reading::open(server.addr(), "/sink/stream/sse", &[]).await;
    assert!(
        fresh
            .read_to_end()
            .await
            .starts_with("event: greeting\nid: 1\n")
    );
}

/// The sink's generation (in `GET /__admin/services`).
async fn generation(server: &TestServer) -> u64 {
    let status = Admin::new(server).service("sink").await;
    status["generation"]
        .as_u64()
        .unwrap_or_else(|| panic!("a generation for sink: {status}"))
}
