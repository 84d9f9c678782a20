//! Stub answers sent item by item.

use super::{Reading, stream_stub, with_stub};
use serde_json::json;
use std::time::{Duration, Instant};
use testkit::Admin;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_items_are_sent_in_sse_framing_as_text_event_stream() {
    let server = with_stub(stream_stub(
        "/events",
        json!([
            {"sse": {"event": "greeting", "id": "1", "data": "hello\nworld"}},
            {"sse": {"data": {"n": 2}, "retry": 500}},
            {"sse": {"comment": "keep-alive"}}
        ]),
        false,
    ))
    .await;
    let reading = Reading::open(server.addr(), "/events", &[]).await;
    assert_eq!(reading.head.status, 200);
    assert_eq!(reading.head.headers["content-type"], "text/event-stream");
    assert_eq!(reading.head.headers["transfer-encoding"], "chunked");
    assert_eq!(
        reading.read_to_end().await,
        "event: greeting\nid: 1\ndata: hello\ndata: world\n\nretry: 500\ndata: {\"n\":2}\n\n: keep-alive\n\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_items_are_sent_as_ndjson_each_before_the_next_pause_ends() {
    let server = with_stub(stream_stub(
        "/lines",
        json!([{"json": {"n": 1}}, {"delayMs": 3000}, {"json": {"n": 2}}]),
        false,
    ))
    .await;
    let started = Instant::now();
    let mut reading = Reading::open(server.addr(), "/lines", &[]).await;
    assert_eq!(reading.head.headers["content-type"], "application/x-ndjson");
    assert_eq!(reading.until("\n").await, "{\"n\":1}\n");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the first line waited for the pause"
    );
    assert_eq!(reading.read_to_end().await, "{\"n\":1}\n{\"n\":2}\n");
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "the pause was skipped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_base64_text_and_binary_items_are_their_bytes_and_close_ends_the_stream() {
    let server = with_stub(stream_stub(
        "/mixed",
        json!([
            {"body": "a"}, {"base64Body": "Yg=="}, {"text": "c"}, {"binary": "ZA=="},
            {"close": {"code": 1000}}, {"body": "never sent"}
        ]),
        true,
    ))
    .await;
    let reading = Reading::open(server.addr(), "/mixed", &[]).await;
    assert_eq!(reading.head.headers.get("content-type"), None);
    assert_eq!(reading.read_to_end().await, "abcd");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stubs_content_type_is_kept() {
    let mut stub = stream_stub("/typed", json!([{"json": 1}]), false);
    stub["response"]["headers"] = json!({"Content-Type": "application/jsonl"});
    let server = with_stub(stub).await;
    let reading = Reading::open(server.addr(), "/typed", &[]).await;
    assert_eq!(reading.head.headers["content-type"], "application/jsonl");
    assert_eq!(reading.read_to_end().await, "1\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templated_items_are_rendered_for_each_request() {
    let mut stub = stream_stub(
        "/hello",
        json!([
            {"sse": {"data": "hi {{request.query.name}}"}},
            {"json": {"path": "{{request.path}}"}}
        ]),
        false,
    );
    stub["response"]["transformers"] = json!(["response-template"]);
    let server = with_stub(stub).await;
    let reading = Reading::open(server.addr(), "/hello?name=ann", &[]).await;
    assert_eq!(
        reading.read_to_end().await,
        "data: hi ann\n\n{\"path\":\"/hello\"}\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_keeps_a_streams_items_as_its_body() {
    let server = with_stub(stream_stub(
        "/j",
        json!([{"body": "one "}, {"body": "two"}]),
        false,
    ))
    .await;
    Reading::open(server.addr(), "/j", &[])
        .await
        .read_to_end()
        .await;
    let requests = Admin::new(&server).get("/__admin/requests").await.json();
    assert_eq!(
        requests["requests"][0]["response"]["body"], "one two",
        "{requests}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_with_a_body_or_a_bad_item_is_refused_422_with_a_pointer() {
    let server = testkit::serve(&[], |_| {}).await;
    let admin = Admin::new(&server);
    let mut both = stream_stub("/x", json!([{"body": "a"}]), false);
    both["response"]["body"] = json!("b");
    admin
        .post("/__admin/mappings", both)
        .await
        .assert_invalid_at("/response/stream");
    admin
        .post(
            "/__admin/mappings",
            stream_stub("/x", json!([{"body": "a"}, {"sse": {"evnt": "x"}}]), false),
        )
        .await
        .assert_invalid_at("/response/stream/1/sse/evnt");
    let live_alone = json!({"request": {"urlPath": "/x"}, "response": {"live": true}});
    admin
        .post("/__admin/mappings", live_alone)
        .await
        .assert_invalid_at("/response/live");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http2_each_item_is_a_data_frame_sent_before_the_next_pause_ends() {
    let server = with_stub(stream_stub(
        "/h2",
        json!([{"sse": {"data": "1"}}, {"delayMs": 3000}, {"sse": {"data": "2"}}]),
        false,
    ))
    .await;
    let started = Instant::now();
    let (send, _driver) = crate::slow_readers::h2c(server.addr(), 65_535).await;
    let answer = crate::slow_readers::h2_get(&send, &format!("{}/h2", server.url()))
        .await
        .expect("an answer");
    assert_eq!(answer.headers()["content-type"], "text/event-stream");
    let mut body = answer.into_body();
    let first = body.data().await.expect("a first frame").expect("its data");
    assert_eq!(first, "data: 1\n\n");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the first event waited for the pause"
    );
    let second = body
        .data()
        .await
        .expect("a second frame")
        .expect("its data");
    assert_eq!(second, "data: 2\n\n");
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "the pause was skipped"
    );
}
