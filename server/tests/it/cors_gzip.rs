//! CORS for the mocks (`--enable-stub-cors`) and gzip both ways (on unless
//! `--disable-gzip`), as WireMock 3 does them: preflights answered before
//! any stub, CORS headers on answers; gzipped request bodies decoded (and
//! bounded by `--max-body-bytes`), stub answers gzipped for clients that
//! accept it.

use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::io::{Read, Write};
use testkit::{Admin, Http, Reply, TestServer, serve};

async fn server(adjust: impl FnOnce(&mut fake_servicer_server::Config)) -> TestServer {
    serve(&[], adjust).await
}

async fn send(
    s: &TestServer,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Reply {
    let url = format!("{}{path}", s.url());
    Http::new()
        .send(method.clone(), &url, headers, body)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

/// Every value of header `name`, in order.
fn all(r: &Reply, name: &str) -> Vec<String> {
    r.headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

/// The names of the answer's headers, in order.
fn names(r: &Reply) -> Vec<String> {
    r.headers.keys().map(|n| n.to_string()).collect()
}

const PREFLIGHT: &[(&str, &str)] = &[
    ("origin", "http://a.example"),
    ("access-control-request-method", "POST"),
    ("access-control-request-headers", "X-Foo"),
];

const TEXT: &str = "hello world hello world hello world hello world hello world hello world";

async fn text_stub(a: &Admin, url: &str, extra_headers: Value) {
    let mut headers = json!({"Content-Type": "text/plain"});
    if let (Some(h), Some(extra)) = (headers.as_object_mut(), extra_headers.as_object()) {
        h.extend(extra.clone());
    }
    a.stub(json!({"request": {"method": "ANY", "url": url},
                  "response": {"status": 200, "body": TEXT, "headers": headers}}))
        .await;
}

async fn journal(a: &Admin) -> Vec<Value> {
    a.get("/__admin/requests").await.json()["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cors_preflight_is_answered_when_stub_cors_is_on() {
    let s = server(|c| c.stub_cors = true).await;
    let r = send(&s, Method::OPTIONS, "/x", PREFLIGHT, Bytes::new()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.body.is_empty(), "{}", r.text());
    assert_eq!(r.header("vary"), Some("Origin"));
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://a.example")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("access-control-max-age"), Some("1800"));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("OPTIONS,GET,POST,PUT,PATCH,DELETE")
    );
    assert_eq!(r.header("access-control-allow-headers"), Some("X-Foo"));
    assert_eq!(r.header("content-length"), Some("0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preflight_is_answered_before_a_stub_matching_options_and_not_journaled() {
    let s = server(|c| c.stub_cors = true).await;
    let a = Admin::new(&s);
    a.stub(json!({"request": {"method": "OPTIONS", "url": "/opt"},
                  "response": {"status": 204, "headers": {"X-Own": "yes"}}}))
        .await;
    let r = send(&s, Method::OPTIONS, "/opt", PREFLIGHT, Bytes::new()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("x-own"), None);
    assert_eq!(r.header("access-control-allow-headers"), Some("X-Foo"));
    assert!(journal(&a).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preflight_for_a_method_not_allowed_gets_no_cors_headers() {
    let s = server(|c| c.stub_cors = true).await;
    let asked = [
        ("origin", "http://a.example"),
        ("access-control-request-method", "TRACE"),
    ];
    let r = send(&s, Method::OPTIONS, "/x", &asked[..], Bytes::new()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("vary"), Some("Origin"));
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("access-control-allow-methods"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stub_answers_carry_cors_headers_when_stub_cors_is_on() {
    let s = server(|c| c.stub_cors = true).await;
    let a = Admin::new(&s);
    a.stub(json!({"request": {"method": "GET", "url": "/x"},
                  "response": {"status": 200, "body": "x body",
                               "headers": {"X-Own": "yes"}}}))
        .await;
    let r = send(
        &s,
        Method::GET,
        "/x",
        &[("origin", "http://a.example")],
        Bytes::new(),
    )
    .await;
    assert_eq!(r.text(), "x body");
    assert_eq!(r.header("vary"), Some("Origin"));
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://a.example")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("access-control-expose-headers"), None);
    let order = names(&r);
    let pos = |n: &str| order.iter().position(|h| h == n);
    assert!(
        pos("access-control-allow-origin") < pos("x-own"),
        "{order:?}"
    );
    // The journal keeps the answer as the stub made it.
    let recorded = &journal(&a).await[0]["response"]["headers"];
    assert!(recorded.get("Vary").is_none(), "{recorded}");
    assert!(
        recorded.get("Access-Control-Allow-Origin").is_none(),
        "{recorded}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_answer_to_a_request_without_origin_says_only_vary() {
    let s = server(|c| c.stub_cors = true).await;
    Admin::new(&s)
        .stub(json!({"request": {"url": "/x"}, "response": {"body": "x"}}))
        .await;
    let r = send(&s, Method::GET, "/x", &[], Bytes::new()).await;
    assert_eq!(r.header("vary"), Some("Origin"));
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_404_carries_cors_headers_but_no_vary() {
    let s = server(|c| c.stub_cors = true).await;
    Admin::new(&s)
        .stub(json!({"request": {"url": "/x"}, "response": {"body": "x"}}))
        .await;
    let r = send(
        &s,
        Method::GET,
        "/nothing",
        &[("origin", "http://a.example")],
        Bytes::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://a.example")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("vary"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_cors_headers_are_added_when_stub_cors_is_off() {
    for on in [true, false] {
        let s = server(|c| c.stub_cors = on).await;
        let a = Admin::new(&s);
        a.stub(json!({"request": {"method": "GET", "url": "/x"},
                      "response": {"status": 200, "body": "x body"}}))
            .await;
        let pre = send(&s, Method::OPTIONS, "/x", PREFLIGHT, Bytes::new()).await;
        let status = if on {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(pre.status, status, "on: {on}: {}", pre.text());
        let origin = on.then_some("http://a.example");
        assert_eq!(
            pre.header("access-control-allow-origin"),
            origin,
            "on: {on}"
        );
        let r = send(
            &s,
            Method::GET,
            "/x",
            &[("origin", "http://a.example")],
            Bytes::new(),
        )
        .await;
        assert_eq!(r.text(), "x body");
        assert_eq!(r.header("access-control-allow-origin"), origin, "on: {on}");
        assert_eq!(r.header("vary"), on.then_some("Origin"), "on: {on}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzipped_request_body_matches_after_decoding() {
    let s = server(|_| {}).await;
    let a = Admin::new(&s);
    a.stub(json!({"request": {"method": "POST", "url": "/json",
                              "bodyPatterns": [{"equalToJson": {"a": 1}}]},
                  "response": {"status": 200, "body": "matched json"}}))
        .await;
    a.stub(json!({"request": {"method": "POST", "url": "/text",
                              "bodyPatterns": [{"equalTo": "hello"}]},
                  "response": {"status": 200, "body": "matched text"}}))
        .await;
    let gz = [("content-encoding", "gzip")];
    let r = send(&s, Method::POST, "/json", &gz, gzip(br#"{"a":1}"#)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.text(), "matched json");
    let r = send(&s, Method::POST, "/text", &gz, gzip(b"hello")).await;
    assert_eq!(r.text(), "matched text");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_starting_with_gzips_magic_bytes_is_decoded_without_a_content_encoding() {
    let s = server(|_| {}).await;
    let a = Admin::new(&s);
    a.stub(json!({"request": {"method": "POST", "url": "/text",
                              "bodyPatterns": [{"equalTo": "hello"}]},
                  "response": {"status": 200, "body": "matched text"}}))
        .await;
    let r = send(&s, Method::POST, "/text", &[], gzip(b"hello")).await;
    assert_eq!(r.text(), "matched text");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_records_a_gzipped_request_body_decoded() {
    let s = server(|_| {}).await;
    let a = Admin::new(&s);
    let sent = gzip(b"hello");
    send(
        &s,
        Method::POST,
        "/x",
        &[("content-encoding", "gzip")],
        sent.clone(),
    )
    .await;
    let entry = &journal(&a).await[0]["request"];
    assert_eq!(entry["body"], "hello", "{entry}");
    assert_eq!(entry["headers"]["Content-Encoding"], "gzip", "{entry}");
    assert_eq!(
        entry["headers"]["Content-Length"],
        sent.len().to_string(),
        "{entry}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzipped_request_body_that_decodes_past_the_cap_is_answered_413() {
    let s = server(|c| c.max_body_bytes = 64 * 1024).await;
    let bomb = gzip(&vec![0u8; 8 * 1024 * 1024]);
    assert!(bomb.len() < 64 * 1024);
    let r = send(
        &s,
        Method::POST,
        "/x",
        &[("content-encoding", "gzip")],
        bomb,
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    let at_cap = gzip(&vec![b'a'; 64 * 1024]);
    let r = send(
        &s,
        Method::POST,
        "/x",
        &[("content-encoding", "gzip")],
        at_cap,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_body_said_to_be_gzip_that_is_not_is_answered_500() {
    let s = server(|_| {}).await;
    let r = send(
        &s,
        Method::POST,
        "/x",
        &[("content-encoding", "gzip")],
        "hello",
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
    assert!(r.text().contains("gzip"), "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_are_not_decoded_when_gzip_is_disabled() {
    for on in [true, false] {
        let s = server(|c| c.gzip = on).await;
        let a = Admin::new(&s);
        a.stub(json!({"request": {"method": "POST", "url": "/text",
                                  "bodyPatterns": [{"equalTo": "hello"}]},
                      "response": {"status": 200, "body": "matched text"}}))
            .await;
        let gz = [("content-encoding", "gzip")];
        let r = send(&s, Method::POST, "/text", &gz, gzip(b"hello")).await;
        let status = if on {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(r.status, status, "gzip: {on}: {}", r.text());
        let r = send(&s, Method::POST, "/text", &gz, "hello").await;
        let status = if on {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::OK
        };
        assert_eq!(r.status, status, "gzip: {on}: {}", r.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxied_gzipped_request_body_reaches_the_upstream_gzipped() {
    let upstream = server(|_| {}).await;
    Admin::new(&upstream)
        .stub(json!({"request": {"method": "POST", "url": "/text",
                                 "headers": {"Content-Encoding": {"equalTo": "gzip"}},
                                 "bodyPatterns": [{"equalTo": "hello"}]},
                     "response": {"status": 200, "body": "upstream matched"}}))
        .await;
    let s = server(|_| {}).await;
    Admin::new(&s)
        .stub(json!({"request": {"method": "POST", "url": "/text"},
                     "response": {"proxyBaseUrl": upstream.url()}}))
        .await;
    let r = send(
        &s,
        Method::POST,
        "/text",
        &[("content-encoding", "gzip")],
        gzip(b"hello"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.text(), "upstream matched");
    let upstream_saw = journal(&Admin::new(&upstream)).await;
    assert_eq!(upstream_saw[0]["request"]["body"], "hello");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_answer_is_gzipped_for_a_client_that_accepts_it() {
    let s = server(|_| {}).await;
    let a = Admin::new(&s);
    text_stub(&a, "/text", json!({"ETag": "\"abc\""})).await;
    for method in [Method::GET, Method::POST] {
        let r = send(
            &s,
            method.clone(),
            "/text",
            &[("accept-encoding", "gzip, deflate")],
            Bytes::new(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{method}");
        assert_eq!(r.header("content-encoding"), Some("gzip"), "{method}");
        assert_eq!(gunzip(&r.body), TEXT.as_bytes(), "{method}");
        assert_eq!(
            r.header("content-length"),
            Some(r.body.len().to_string().as_str())
        );
        assert_eq!(r.header("etag"), Some("\"abc--gzip\""));
        assert_eq!(r.header("vary"), None);
    }
    // Tiny bodies too, and the journal keeps the answer uncompressed.
    a.stub(json!({"request": {"url": "/tiny"}, "response": {"body": "tiny"}}))
        .await;
    let r = send(
        &s,
        Method::GET,
        "/tiny",
        &[("accept-encoding", "gzip")],
        Bytes::new(),
    )
    .await;
    assert_eq!(gunzip(&r.body), b"tiny");
    let entry = &journal(&a).await[0]["response"];
    assert_eq!(entry["body"], "tiny", "{entry}");
    assert!(
        entry["headers"].get("Content-Encoding").is_none(),
        "{entry}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_accept_gzip_gets_the_answer_as_is() {
    let s = server(|_| {}).await;
    text_stub(&Admin::new(&s), "/text", json!({})).await;
    let accepting = [("accept-encoding", "br;q=1, GZip;q=0.1")];
    let r = send(&s, Method::GET, "/text", &accepting, Bytes::new()).await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    for accepted in [None, Some("deflate"), Some("gzip;q=0"), Some("*")] {
        let headers: Vec<(&str, &str)> = accepted.iter().map(|v| ("accept-encoding", *v)).collect();
        let r = send(&s, Method::GET, "/text", &headers, Bytes::new()).await;
        assert_eq!(r.header("content-encoding"), None, "{accepted:?}");
        assert_eq!(r.text(), TEXT, "{accepted:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_not_gzipped_when_gzip_is_disabled() {
    for on in [true, false] {
        let s = server(|c| c.gzip = on).await;
        text_stub(&Admin::new(&s), "/text", json!({})).await;
        let r = send(
            &s,
            Method::GET,
            "/text",
            &[("accept-encoding", "gzip")],
            Bytes::new(),
        )
        .await;
        assert_eq!(r.header("content-encoding"), on.then_some("gzip"));
        let body = if on { gunzip(&r.body) } else { r.body.to_vec() };
        assert_eq!(body, TEXT.as_bytes(), "gzip: {on}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_that_sets_its_own_content_encoding_is_sent_as_is() {
    let s = server(|_| {}).await;
    let a = Admin::new(&s);
    text_stub(&a, "/identity", json!({"Content-Encoding": "identity"})).await;
    text_stub(&a, "/plain", json!({})).await;
    let gz = [("accept-encoding", "gzip")];
    let plain = send(&s, Method::GET, "/plain", &gz, Bytes::new()).await;
    assert_eq!(all(&plain, "content-encoding"), ["gzip"]);
    let r = send(&s, Method::GET, "/identity", &gz, Bytes::new()).await;
    assert_eq!(all(&r, "content-encoding"), ["identity"]);
    assert_eq!(r.text(), TEXT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn already_compressed_types_and_answers_other_than_2xx_are_not_gzipped() {
    let s = server(|_| {}).await;
    let a = Admin::new(&s);
    text_stub(&a, "/png", json!({"Content-Type": "image/png"})).await;
    a.stub(json!({"request": {"url": "/missing"},
                  "response": {"status": 404, "body": TEXT}}))
        .await;
    a.stub(json!({"request": {"url": "/none"}, "response": {"status": 204}}))
        .await;
    text_stub(&a, "/svg", json!({"Content-Type": "image/svg+xml"})).await;
    let gz = [("accept-encoding", "gzip")];
    let svg = send(&s, Method::GET, "/svg", &gz, Bytes::new()).await;
    assert_eq!(svg.header("content-encoding"), Some("gzip"));
    for path in ["/png", "/missing", "/none", "/no-stub"] {
        let r = send(
            &s,
            Method::GET,
            path,
            &[("accept-encoding", "gzip")],
            Bytes::new(),
        )
        .await;
        assert_eq!(r.header("content-encoding"), None, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_request_gets_no_gzipped_answer() {
    let s = server(|_| {}).await;
    text_stub(&Admin::new(&s), "/text", json!({})).await;
    let gz = [("accept-encoding", "gzip")];
    let get = send(&s, Method::GET, "/text", &gz, Bytes::new()).await;
    assert_eq!(get.header("content-encoding"), Some("gzip"));
    let r = send(
        &s,
        Method::HEAD,
        "/text",
        &[("accept-encoding", "gzip")],
        Bytes::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-encoding"), None);
    assert!(r.body.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dribbled_answer_is_gzipped_and_still_dribbled() {
    let s = server(|_| {}).await;
    Admin::new(&s)
        .stub(json!({"request": {"url": "/slow"},
                     "response": {"body": TEXT,
                                  "chunkedDribbleDelay": {"numberOfChunks": 3, "totalDuration": 300}}}))
        .await;
    let started = std::time::Instant::now();
    let r = send(
        &s,
        Method::GET,
        "/slow",
        &[("accept-encoding", "gzip")],
        Bytes::new(),
    )
    .await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(250));
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&r.body), TEXT.as_bytes());
}
