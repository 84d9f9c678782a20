//! A plugin written against the SDK, built with cargo, loaded by a real
//! server and called over loopback: every extractor, every return type,
//! rejections, panics, blocking handlers, delays, chunks and faults.

use bytes::Bytes;
use http::{Method, StatusCode};
use std::{
    io::{Read, Write},
    net::TcpStream,
    path::PathBuf,
    sync::OnceLock,
    time::{Duration, Instant},
};
use testkit::{Http, PluginCrate, TestServer, eventually};

const SINK: &str = r#"
use fake_servicer::prelude::*;
use fake_servicer::serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Deserialize)]
struct Pair { a: u32, b: String }

#[derive(Deserialize, Serialize)]
struct Q { n: u32, tag: Option<String> }

#[derive(Deserialize, Serialize)]
struct Item { name: String, qty: u32 }

#[route(get, "/path/{id}")]
fn path_single(Path(id): Path<u64>) -> String { format!("id={id}") }

#[route(get, "/pair/{a}/{b}")]
fn path_struct(Path(p): Path<Pair>) -> String { format!("a={} b={}", p.a, p.b) }

#[route(get, "/tuple/{x}/{y}")]
fn path_tuple(Path((x, y)): Path<(String, i32)>) -> String { format!("{x}:{y}") }

#[route(get, "/files/{*rest}")]
fn catch_all(Path(rest): Path<String>) -> String { rest }

#[route(get, "/query")]
fn query(Query(q): Query<Q>) -> Json<Q> { Json(q) }

#[route(post, "/json")]
fn json_body(Json(item): Json<Item>) -> (StatusCode, Json<Item>) { (StatusCode::CREATED, Json(item)) }

#[route(get, "/headers")]
fn headers(h: Headers) -> String { h.get_all("x-multi").collect::<Vec<_>>().join(",") }

#[route(put, "/body")]
fn body(Body(b): Body) -> Vec<u8> { b.into_iter().rev().collect() }

#[route(post, "/text")]
fn text(s: String) -> String { s.to_uppercase() }

#[route(patch, "/method")]
fn method(m: Method) -> String { m.to_string() }

#[route(delete, "/status")]
fn status() -> StatusCode { StatusCode::NO_CONTENT }

#[route(get, "/str")]
fn static_str() -> &'static str { "static" }

#[route(get, "/result/{ok}")]
fn result(Path(ok): Path<bool>) -> Result<&'static str, (StatusCode, String)> {
    if ok { Ok("fine") } else { Err((StatusCode::FORBIDDEN, "Auth error".to_owned())) }
}

#[route(get, "/option/{some}")]
fn option(Path(some): Path<bool>) -> Option<String> { some.then(|| "here".to_owned()) }

#[route(get, "/builder")]
fn builder() -> Response {
    Response::new()
        .status(StatusCode::ACCEPTED)
        .header("x-one", "1")
        .header("x-multi", "a")
        .header("x-multi", "b")
        .json(&json!({"built": true}))
}

#[route(options, "/opts")]
fn opts(m: Method) -> Response { Response::new().header("allow", "GET, OPTIONS").text(m.to_string()) }

#[route(get, "/fake")]
fn fake_data() -> Json<Value> {
    Json(json!({"name": fake::name(), "email": fake::email(), "uuid": fake::uuid(), "r": random::<f64>()}))
}

#[route(get, "/delay/{ms}")]
fn delay(Path(ms): Path<u64>) -> Response { Response::new().delay(Duration::from_millis(ms)).text("late") }

#[route(get, "/chunks")]
fn chunks() -> Response {
    Response::new().chunks([
        (Duration::ZERO, "one,"),
        (Duration::from_millis(300), "two,"),
        (Duration::from_millis(300), "three"),
    ])
}

#[route(get, "/fault/{name}")]
fn fault(Path(name): Path<String>) -> Response {
    let f = match name.as_str() {
        "reset" => Fault::ConnectionResetByPeer,
        "empty" => Fault::EmptyResponse,
        "malformed" => Fault::MalformedResponseChunk,
        _ => Fault::RandomDataThenClose,
    };
    Response::new().fault(f)
}

#[route(get, "/panic")]
fn panics() -> String { panic!("boom from the plugin") }

/// How many `/sleep` calls are sleeping now.
static SLEEPING: AtomicUsize = AtomicUsize::new(0);

#[route(get, "/sleep/{ms}")]
fn sleep(Path(ms): Path<u64>) -> &'static str {
    SLEEPING.fetch_add(1, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(ms));
    SLEEPING.fetch_sub(1, Ordering::SeqCst);
    "slept"
}

#[route(get, "/sleeping")]
fn sleeping() -> String { SLEEPING.load(Ordering::SeqCst).to_string() }

/// How many `/hold` calls are blocked now, and whether `/release` was called.
static HELD: AtomicUsize = AtomicUsize::new(0);
static RELEASED: AtomicBool = AtomicBool::new(false);

/// Blocks its thread until `/release` is called or `ms` pass.
#[route(get, "/hold/{ms}")]
fn hold(Path(ms): Path<u64>) -> &'static str {
    HELD.fetch_add(1, Ordering::SeqCst);
    let until = Instant::now() + Duration::from_millis(ms);
    while !RELEASED.load(Ordering::SeqCst) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    HELD.fetch_sub(1, Ordering::SeqCst);
    if RELEASED.load(Ordering::SeqCst) { "released" } else { "timed out" }
}

#[route(get, "/held")]
fn held() -> String { HELD.load(Ordering::SeqCst).to_string() }

#[route(post, "/release")]
fn release() -> &'static str { RELEASED.store(true, Ordering::SeqCst); "released" }

#[route(get, "/fast")]
fn fast() -> &'static str { "fast" }

/// A returned value whose destructor panics.
struct Bomb;
impl IntoResponse for Bomb {
    fn into_response(self) -> Response { Response::new().text("never sent") }
}
impl Drop for Bomb {
    fn drop(&mut self) { panic!("boom in drop") }
}

#[route(get, "/drop-bomb")]
fn drop_bomb() -> Bomb { Bomb }

fake_servicer::service!(
    name = "sink",
    path_single, path_struct, path_tuple, catch_all, query, json_body, headers, body, text,
    method, status, static_str, result, option, builder, opts, fake_data, delay, chunks,
    fault, panics, sleep, sleeping, hold, held, release, fast, drop_bomb,
);
"#;

/// The sink plugin, built once per test binary.
fn sink_library() -> &'static PathBuf {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| PluginCrate::new("sdk_sink", SINK).build())
}

/// A server whose plugin dir holds only the sink plugin.
async fn sink_server() -> TestServer {
    sink_server_with(|_| {}).await
}

/// Like [`sink_server`], with the configuration adjusted by `adjust`.
async fn sink_server_with(adjust: impl FnOnce(&mut fake_servicer_server::Config)) -> TestServer {
    testkit::serve(std::slice::from_ref(sink_library()), adjust).await
}

/// Polls `GET /sink<path>` until it answers `want`.
async fn wait_for_answer(
    http: &Http,
    server: &fake_servicer_server::Server,
    path: &str,
    want: &str,
) {
    let url = format!("{}/sink{path}", server.url());
    eventually(
        Duration::from_secs(10),
        &format!("{path} to answer {want}"),
        || async {
            let r = http.get(&url).await.text();
            if r == want { Ok(()) } else { Err(r) }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_extractor_and_return_type_works_over_http() {
    let server = sink_server().await;
    let http = Http::new();
    let u = |p: &str| format!("{}/sink{p}", server.url());

    assert_eq!(http.get(&u("/path/42")).await.text(), "id=42");
    assert_eq!(http.get(&u("/pair/7/x%20y")).await.text(), "a=7 b=x y");
    assert_eq!(http.get(&u("/tuple/k/-3")).await.text(), "k:-3");
    assert_eq!(http.get(&u("/files/a/b/c.txt")).await.text(), "a/b/c.txt");

    let q = http.get(&u("/query?n=5&tag=t")).await;
    assert_eq!(q.status, StatusCode::OK);
    assert_eq!(q.json(), serde_json::json!({"n": 5, "tag": "t"}));
    assert_eq!(q.header("content-type"), Some("application/json"));

    let created = http
        .post_json(&u("/json"), r#"{"name":"pen","qty":3}"#)
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json(), serde_json::json!({"name": "pen", "qty": 3}));

    let h = http
        .send(
            Method::GET,
            &u("/headers"),
            &[("x-multi", "1"), ("x-multi", "2")],
            Bytes::new(),
        )
        .await
        .unwrap();
    assert_eq!(h.text(), "1,2");

    let b = http
        .send(
            Method::PUT,
            &u("/body"),
            &[],
            Bytes::from_static(&[1, 2, 3]),
        )
        .await
        .unwrap();
    assert_eq!(&b.body[..], &[3, 2, 1]);

    let t = http
        .send(Method::POST, &u("/text"), &[], "shout")
        .await
        .unwrap();
    assert_eq!(t.text(), "SHOUT");
    assert_eq!(t.header("content-type"), Some("text/plain; charset=utf-8"));

    let m = http
        .send(Method::PATCH, &u("/method"), &[], Bytes::new())
        .await
        .unwrap();
    assert_eq!(m.text(), "PATCH");

    let s = http
        .send(Method::DELETE, &u("/status"), &[], Bytes::new())
        .await
        .unwrap();
    assert_eq!(s.status, StatusCode::NO_CONTENT);
    assert!(s.body.is_empty());

    assert_eq!(http.get(&u("/str")).await.text(), "static");
    let head = http
        .send(Method::HEAD, &u("/str"), &[], Bytes::new())
        .await
        .unwrap();
    assert_eq!(
        head.status,
        StatusCode::OK,
        "HEAD falls back to the GET route"
    );
    assert!(head.body.is_empty());

    assert_eq!(http.get(&u("/result/true")).await.text(), "fine");
    let denied = http.get(&u("/result/false")).await;
    assert_eq!(
        (denied.status, denied.text().as_str()),
        (StatusCode::FORBIDDEN, "Auth error")
    );

    assert_eq!(http.get(&u("/option/true")).await.text(), "here");
    assert_eq!(
        http.get(&u("/option/false")).await.status,
        StatusCode::NOT_FOUND
    );

    let built = http.get(&u("/builder")).await;
    assert_eq!(built.status, StatusCode::ACCEPTED);
    assert_eq!(built.header("x-one"), Some("1"));
    let multi: Vec<_> = built
        .headers
        .get_all("x-multi")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(multi, ["a", "b"]);
    assert_eq!(built.json(), serde_json::json!({"built": true}));

    let o = http
        .send(Method::OPTIONS, &u("/opts"), &[], Bytes::new())
        .await
        .unwrap();
    assert_eq!(
        (o.text().as_str(), o.header("allow")),
        ("OPTIONS", Some("GET, OPTIONS"))
    );

    let f = http.get(&u("/fake")).await.json();
    assert!(f["email"].as_str().unwrap().contains('@'), "{f}");
    assert_eq!(f["uuid"].as_str().unwrap().len(), 36, "{f}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_extraction_answers_400_naming_the_field() {
    let server = sink_server().await;
    let http = Http::new();
    let u = |p: &str| format!("{}/sink{p}", server.url());

    let cases = [
        ("/path/abc", "id"),
        ("/pair/x/y", "a"),
        ("/tuple/k/notanumber", "y"),
        ("/query?n=x", "n"),
        ("/query?tag=t", "n"),
        ("/result/maybe", "ok"),
    ];
    for (path, field) in cases {
        let r = http.get(&u(path)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text());
        let body = r.json();
        assert_eq!(body["field"], field, "{path}: {body}");
        assert!(
            body["reason"].as_str().is_some_and(|s| !s.is_empty()),
            "{path}: {body}"
        );
    }

    let wrong_type = http
        .post_json(&u("/json"), r#"{"name":"pen","qty":"many"}"#)
        .await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong_type.json()["field"], "qty");

    let missing = http.post_json(&u("/json"), r#"{"name":"pen"}"#).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.json()["field"], "qty");

    let broken = http.post_json(&u("/json"), r#"{"name":"#).await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.json()["error"], "invalid JSON body");

    let not_json = http
        .send(
            Method::POST,
            &u("/json"),
            &[("content-type", "text/plain")],
            r#"{"name":"a","qty":1}"#,
        )
        .await
        .unwrap();
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(not_json.json()["field"], "content-type");

    let bad_utf8 = http
        .send(
            Method::POST,
            &u("/text"),
            &[],
            Bytes::from_static(&[0xff, 0xfe]),
        )
        .await
        .unwrap();
    assert_eq!(bad_utf8.status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_answers_500_and_the_server_keeps_serving() {
    let server = sink_server().await;
    let http = Http::new();
    let u = |p: &str| format!("{}/sink{p}", server.url());
    for _ in 0..3 {
        let r = http.get(&u("/panic")).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        let body = r.json();
        assert_eq!(body["message"], "boom from the plugin", "{body}");
        assert_eq!(body["route"], "GET /panic", "{body}");
        assert_eq!(http.get(&u("/fast")).await.text(), "fast");
    }
    // A panic in the destructor of a returned value is caught the same way.
    let bomb = http.get(&u("/drop-bomb")).await;
    assert_eq!(bomb.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(bomb.json()["message"], "boom in drop");
    assert_eq!(http.get(&u("/fast")).await.text(), "fast");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_handlers_do_not_stall_other_requests() {
    let server = sink_server().await;
    let http = Http::new();
    // Four times as many blocked handlers as this runtime has workers; they
    // block until released (or 20 s pass).
    let holders: Vec<_> = (0..8)
        .map(|_| {
            let http = http.clone();
            let url = format!("{}/sink/hold/20000", server.url());
            tokio::spawn(async move { http.get(&url).await })
        })
        .collect();
    // Answered while all eight block their threads.
    wait_for_answer(&http, &server, "/held", "8").await;
    let fast = http.get(&format!("{}/sink/fast", server.url())).await;
    assert_eq!(fast.text(), "fast");
    let unfinished = holders.iter().filter(|s| !s.is_finished()).count();
    assert_eq!(unfinished, 8, "the blocked handlers are still blocked");
    let released = http
        .send(
            Method::POST,
            &format!("{}/sink/release", server.url()),
            &[],
            "",
        )
        .await
        .unwrap();
    assert_eq!(released.text(), "released");
    for h in holders {
        assert_eq!(h.await.unwrap().text(), "released");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delays_and_chunks_are_carried_out_by_the_server() {
    let server = sink_server().await;
    let http = Http::new();

    let started = Instant::now();
    let late = http.get(&format!("{}/sink/delay/300", server.url())).await;
    assert_eq!(late.text(), "late");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );

    // Read the dribbled body off a raw socket: the first chunk comes at once,
    // the rest after the chunk delays, each on its own.
    let addr = server.addr();
    let (first_at, all_at, seen_with_first, raw) = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /sink/chunks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let started = Instant::now();
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        let mut first = None;
        loop {
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&raw).into_owned();
            if first.is_none() && text.contains("one,") {
                first = Some((started.elapsed(), text));
            }
        }
        let (first_at, seen) = first.unwrap();
        (first_at, started.elapsed(), seen, raw)
    })
    .await
    .unwrap();
    let (head, body) = testkit::split_head(&raw).expect("a whole head");
    assert!(
        head.to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    assert_eq!(
        testkit::decode_chunked(body).unwrap(),
        b"one,two,three",
        "valid chunked encoding"
    );
    assert!(
        !seen_with_first.contains("two,"),
        "the first chunk arrives alone: {seen_with_first}"
    );
    assert!(
        all_at >= Duration::from_millis(600),
        "all chunks after {all_at:?}"
    );
    assert!(
        all_at - first_at >= Duration::from_millis(550),
        "first {first_at:?}, all {all_at:?}"
    );
}

/// A GET over a raw socket: the bytes until the server closes, or the
/// error that ended the exchange.
fn raw_get(addr: std::net::SocketAddr, path: &str) -> std::io::Result<Vec<u8>> {
    testkit::exchange(addr, format!("GET {path} HTTP/1.1\r\nHost: sink\r\n\r\n")).result()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_happen_for_real_on_the_socket() {
    let server = sink_server().await;
    let addr = server.addr();
    let results = tokio::task::spawn_blocking(move || {
        ["empty", "reset", "malformed", "random"]
            .map(|f| (f, raw_get(addr, &format!("/fault/{f}"))))
    })
    .await
    .unwrap();
    for (fault, result) in results {
        match fault {
            "empty" => assert_eq!(result.unwrap(), b"", "EMPTY_RESPONSE sends nothing"),
            "reset" => {
                let err = result.expect_err("CONNECTION_RESET_BY_PEER must reset");
                assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
            }
            "malformed" => {
                let raw = result.unwrap();
                let text = String::from_utf8_lossy(&raw).into_owned();
                assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
                let (head, body) = testkit::split_head(&raw).expect("a whole head");
                assert!(
                    head.to_ascii_lowercase()
                        .contains("transfer-encoding: chunked\r\n"),
                    "{head}"
                );
                assert!(!body.is_empty(), "garbage after the head: {text}");
                let error = testkit::decode_chunked(body)
                    .expect_err("MALFORMED_RESPONSE_CHUNK sends no valid chunked body");
                assert!(
                    error.starts_with("chunk-size line at byte 0 "),
                    "the very first chunk is malformed: {error}: {text}"
                );
            }
            _ => {
                let bytes = result.unwrap();
                assert!(!bytes.is_empty(), "RANDOM_DATA_THEN_CLOSE sends bytes");
                assert!(!bytes.starts_with(b"HTTP/"), "not an HTTP response");
            }
        }
    }
    // The server is unaffected.
    assert_eq!(
        Http::new()
            .get(&format!("{}/sink/fast", server.url()))
            .await
            .text(),
        "fast"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_routing_and_prefix_routing_reach_the_same_routes() {
    let server = sink_server().await;
    let http = Http::new();
    let by_host = http
        .get_host(&format!("{}/path/1", server.url()), "sink")
        .await;
    assert_eq!(by_host.text(), "id=1");
    let by_subdomain = http
        .get_host(&format!("{}/path/2", server.url()), "sink.localhost:8080")
        .await;
    assert_eq!(by_subdomain.text(), "id=2");
    let by_prefix = http
        .get_host(&format!("{}/sink/path/3", server.url()), "fake-services")
        .await;
    assert_eq!(by_prefix.text(), "id=3");

    let no_route = http.get(&format!("{}/sink/nope", server.url())).await;
    assert_eq!(no_route.status, StatusCode::NOT_FOUND);
    let body = no_route.json();
    assert!(
        body["routes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "GET /path/{id}"),
        "{body}"
    );

    let no_service = http
        .get_host(&format!("{}/ghost/x", server.url()), "fake-services")
        .await;
    assert_eq!(no_service.status, StatusCode::NOT_FOUND);
    let body = no_service.json();
    assert_eq!(
        body["known_services"],
        serde_json::json!(["sink"]),
        "{body}"
    );
    assert_eq!(body["service"], "ghost");

    let wrong_method = http
        .send(
            Method::DELETE,
            &format!("{}/sink/str", server.url()),
            &[],
            Bytes::new(),
        )
        .await
        .unwrap();
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.header("allow"), Some("GET"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_past_the_timeout_is_answered_504_and_the_server_keeps_serving() {
    let server = sink_server_with(|c| c.handler_timeout = Duration::from_millis(300)).await;
    let http = Http::new();
    let slow = http.get(&format!("{}/sink/sleep/3000", server.url())).await;
    assert_eq!(slow.status, StatusCode::GATEWAY_TIMEOUT, "{}", slow.text());
    assert_eq!(slow.json()["route"], "GET /sleep/{ms}");
    assert_eq!(
        http.get(&format!("{}/sink/fast", server.url()))
            .await
            .text(),
        "fast"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_answered_413() {
    let server = sink_server_with(|c| c.max_body_bytes = 1024).await;
    let http = Http::new();
    let url = format!("{}/sink/body", server.url());
    let ok = http
        .send(Method::PUT, &url, &[], vec![7u8; 1024])
        .await
        .unwrap();
    assert_eq!((ok.status, ok.body.len()), (StatusCode::OK, 1024));
    let big = http
        .send(Method::PUT, &url, &[], vec![7u8; 1025])
        .await
        .unwrap();
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", big.text());
}

/// Calls `path` of the sink often enough for its route to run inline.
async fn prove_fast(http: &Http, server: &fake_servicer_server::Server, path: &str) {
    for _ in 0..2 * fake_servicer_server::runner::PROVEN {
        let r = http.get(&format!("{}/sink{path}", server.url())).await;
        assert!(r.status.is_success(), "{path}: {}", r.text());
    }
}

// Two workers: one inline slot, one worker always free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proven_fast_route_that_blocks_is_answered_504_on_time_and_stalls_no_one() {
    let server = sink_server_with(|c| c.handler_timeout = Duration::from_millis(500)).await;
    let http = Http::new();
    prove_fast(&http, &server, "/sleep/0").await;
    let blocker = {
        let http = http.clone();
        let url = format!("{}/sink/sleep/4000", server.url());
        tokio::spawn(async move { http.get(&url).await })
    };
    // While the inline call blocks its worker, the other one answers.
    wait_for_answer(&http, &server, "/sleeping", "1").await;
    assert_eq!(
        http.get(&format!("{}/sink/fast", server.url()))
            .await
            .text(),
        "fast"
    );
    assert!(!blocker.is_finished(), "the blocking call ended early");
    // The watchdog answers 504 on the blocked connection, then closes it;
    // without it the answer would be "slept", after 4 s.
    let slow = blocker.await.unwrap();
    assert_eq!(slow.status, StatusCode::GATEWAY_TIMEOUT, "{}", slow.text());
    assert_eq!(slow.json()["route"], "GET /sleep/{ms}");
    assert_eq!(slow.header("connection"), Some("close"));
    // The slow call sent the route back to the pool: the next blocking call
    // is answered 504 by the pool path, connection kept.
    let pooled = http.get(&format!("{}/sink/sleep/1500", server.url())).await;
    assert_eq!(pooled.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(pooled.header("connection"), None);
    assert_eq!(
        http.get(&format!("{}/sink/fast", server.url()))
            .await
            .text(),
        "fast"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proven_fast_routes_that_panic_keep_answering_500() {
    let server = sink_server().await;
    let http = Http::new();
    for path in ["/panic", "/drop-bomb"] {
        for _ in 0..2 * fake_servicer_server::runner::PROVEN + 4 {
            let r = http.get(&format!("{}/sink{path}", server.url())).await;
            assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        }
    }
    assert_eq!(
        http.get(&format!("{}/sink/fast", server.url()))
            .await
            .text(),
        "fast"
    );
}

/// A plugin with the extractors axum users reach for first.
const AXUM_LIKE: &str = r#"
use fake_servicer::prelude::*;
use fake_servicer::Rejection;
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Default)]
struct Hits(AtomicU32);

#[route(get, "/hits")]
fn hits(State(hits): State<Hits>) -> String {
    (hits.0.fetch_add(1, Ordering::SeqCst) + 1).to_string()
}

#[route(post, "/whole/{id}")]
fn whole(req: WholeRequest) -> String {
    format!(
        "{} {} {} {} {} {}",
        req.method(),
        req.path(),
        req.param("id").unwrap_or("-"),
        req.query(),
        req.header("x-a").unwrap_or("-"),
        req.text().unwrap_or("-")
    )
}

#[derive(Deserialize)]
struct Page { page: u32 }

#[route(get, "/page")]
fn page(p: Option<Query<Page>>) -> String {
    format!("page {}", p.map_or(1, |Query(p)| p.page))
}

#[derive(Deserialize)]
struct Order { item: String }

#[route(post, "/order")]
fn order(body: Result<Json<Order>, Rejection>) -> (StatusCode, String) {
    match body {
        Ok(Json(o)) => (StatusCode::CREATED, o.item),
        Err(why) => (StatusCode::UNPROCESSABLE_ENTITY, format!("refused: {}", why.error)),
    }
}

fake_servicer::service!(hits, whole, page, order);
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_whole_request_and_optional_extractors_work_as_in_axum() {
    let lib = testkit::PluginCrate::new("axum_like", AXUM_LIKE).build();
    let server = testkit::serve(&[lib], |_| {}).await;
    let http = Http::new();
    let url = |p: &str| format!("{}/axum_like{p}", server.url());
    for want in ["1", "2", "3"] {
        assert_eq!(
            http.get(&url("/hits")).await.text(),
            want,
            "state shared across calls"
        );
    }
    let whole = http
        .send(Method::POST, &url("/whole/7?q=1"), &[("x-a", "b")], "body")
        .await
        .unwrap();
    assert_eq!(whole.text(), "POST /whole/7 7 q=1 b body");
    assert_eq!(http.get(&url("/page?page=3")).await.text(), "page 3");
    assert_eq!(http.get(&url("/page?page=x")).await.text(), "page 1");
    let ok = http.post_json(&url("/order"), r#"{"item":"tea"}"#).await;
    assert_eq!(
        (ok.status, ok.text().as_str()),
        (StatusCode::CREATED, "tea")
    );
    let refused = http.post_json(&url("/order"), r#"{"nope":1}"#).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().starts_with("refused: "),
        "{}",
        refused.text()
    );
}
