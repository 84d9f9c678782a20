//! How a stub's answer goes on the wire: reason phrase, header lines,
//! bodies, delays and dribbles, and faults that break the connection.

use super::server;
use http::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};
use testkit::{Admin, decode_chunked, exchange_async, split_head};

/// The raw answer to `GET /teapot` from a stub with a reason phrase, a
/// two-valued header and a JSON body.
async fn teapot_on_the_wire() -> String {
    let server = server().await;
    Admin::new(&server)
        .stub(json!({"request": {"urlPath": "/teapot"}, "response": {
            "status": 418, "statusMessage": "Short and stout",
            "headers": {"X-One": "1", "X-Many": ["a", "b"]},
            "jsonBody": {"zeta": 1, "alpha": [true, null]}
        }}))
        .await;
    let answer = exchange_async(
        server.addr(),
        "GET /teapot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    String::from_utf8_lossy(&answer.result().unwrap()).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stubs_status_message_is_sent_as_the_reason_phrase() {
    let text = teapot_on_the_wire().await;
    assert!(
        text.starts_with("HTTP/1.1 418 Short and stout\r\n"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_header_with_a_list_value_is_sent_one_line_per_value() {
    let text = teapot_on_the_wire().await;
    let lower = text.to_ascii_lowercase();
    assert!(
        lower.contains("x-many: a\r\n") && lower.contains("x-many: b\r\n"),
        "one line per value: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_answer_has_no_content_type_the_stub_does_not_set() {
    let text = teapot_on_the_wire().await;
    assert!(
        !text.to_ascii_lowercase().contains("content-type"),
        "no Content-Type unless the stub sets one: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stubs_json_body_is_sent_compact_in_the_stubs_key_order() {
    let text = teapot_on_the_wire().await;
    assert!(
        text.ends_with(r#"{"zeta":1,"alpha":[true,null]}"#),
        "compact, in the stub's key order: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stubs_base64_body_is_sent_decoded() {
    let server = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"request": {"urlPath": "/bin"}, "response": {"base64Body": "AAEC/w=="}}))
        .await;
    assert_eq!(
        &a.mock(Method::GET, "/bin", &[], "").await.body[..],
        &[0, 1, 2, 255]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stub_delays_and_dribbles_take_at_least_their_time() {
    let server = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"request": {"urlPath": "/fixed"}, "response": {"fixedDelayMilliseconds": 300}}))
        .await;
    a.stub(json!({"request": {"urlPath": "/uniform"}, "response": {"delayDistribution": {"type": "uniform", "lower": 200, "upper": 250}}})).await;
    a.stub(json!({"request": {"urlPath": "/lognormal"}, "response": {"delayDistribution": {"type": "lognormal", "median": 100, "sigma": 0.1}}})).await;
    a.stub(json!({"request": {"urlPath": "/dribble"}, "response": {"body": "0123456789", "chunkedDribbleDelay": {"numberOfChunks": 5, "totalDuration": 500}}})).await;
    for (path, at_least) in [
        ("/fixed", 300),
        ("/uniform", 200),
        ("/lognormal", 30),
        ("/dribble", 400),
    ] {
        let started = Instant::now();
        let r = a.mock(Method::GET, path, &[], "").await;
        let took = started.elapsed();
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            took >= Duration::from_millis(at_least),
            "{path} took {took:?}"
        );
        if path == "/dribble" {
            assert_eq!(r.text(), "0123456789");
            assert_eq!(r.header("transfer-encoding"), Some("chunked"));
        }
    }
}

/// The raw answer to `GET /fault` from a stub with `fault`; then checks the
/// server still serves the plugin.
async fn stub_fault_on_the_wire(fault: &str) -> std::io::Result<Vec<u8>> {
    let server = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"request": {"urlPath": "/fault"}, "response": {"fault": fault}}))
        .await;
    let answer = exchange_async(server.addr(), "GET /fault HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(
        a.mock(Method::GET, "/example/users/1", &[], "")
            .await
            .status,
        StatusCode::OK
    );
    answer.result()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_reset_by_peer_stub_resets_the_connection() {
    let reset = stub_fault_on_the_wire("CONNECTION_RESET_BY_PEER")
        .await
        .expect_err("reset");
    assert_eq!(reset.kind(), std::io::ErrorKind::ConnectionReset, "{reset}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_response_stub_closes_without_a_byte() {
    assert_eq!(stub_fault_on_the_wire("EMPTY_RESPONSE").await.unwrap(), b"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_response_chunk_stub_sends_a_chunked_head_then_no_valid_chunk() {
    let raw = stub_fault_on_the_wire("MALFORMED_RESPONSE_CHUNK")
        .await
        .unwrap();
    let malformed = String::from_utf8_lossy(&raw).into_owned();
    assert!(malformed.starts_with("HTTP/1.1 200 OK\r\n"), "{malformed}");
    let (head, body) = split_head(&raw).expect("a whole head");
    assert!(
        head.to_ascii_lowercase()
            .contains("transfer-encoding: chunked\r\n"),
        "{head}"
    );
    let error = decode_chunked(body).expect_err("the body is not valid chunked encoding");
    assert!(
        error.starts_with("chunk-size line at byte 0 "),
        "the very first chunk is malformed: {error}: {malformed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chunk_decoder_of_these_tests_accepts_valid_chunked_bodies() {
    assert_eq!(
        decode_chunked(b"4\r\none,\r\na;ext=1\r\ntwo,three!\r\n0\r\nX-T: 1\r\n\r\n").unwrap(),
        b"one,two,three!"
    );
    assert_eq!(decode_chunked(b"0\r\n\r\n").unwrap(), b"");
    for bad in [
        &b"4\r\none,"[..],
        b"zz\r\n",
        b"4\r\none,!\r\n0\r\n\r\n",
        b"4",
    ] {
        assert!(decode_chunked(bad).is_err(), "{bad:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_random_data_then_close_stub_sends_bytes_that_are_not_http() {
    let random = stub_fault_on_the_wire("RANDOM_DATA_THEN_CLOSE")
        .await
        .unwrap();
    assert!(!random.is_empty() && !random.starts_with(b"HTTP/"));
}
