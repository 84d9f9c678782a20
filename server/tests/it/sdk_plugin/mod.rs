//! A plugin written against the SDK, built with cargo, loaded by a real
//! server and called over loopback: every extractor, every return type,
//! rejections, panics, blocking handlers, delays, chunks and faults, and
//! state kept per scope.
//!
//! One module per subject, all calling the sink plugin defined here (its
//! `/stream/…` routes are tested in `streams::plugins`).

mod delivery;
mod extractors;
mod handlers;
mod routing;
mod state;

use std::{path::PathBuf, sync::OnceLock, time::Duration};
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

#[route(get, "/stream/sse")]
fn stream_sse() -> Streaming {
    Streaming::new()
        .sse(Sse::event("greeting").id("1").data("hello\nworld"))
        .sse(Sse::message().json(&json!({"n": 2})).retry(Duration::from_millis(500)))
        .sse(Sse::comment("keep-alive"))
}

#[route(get, "/stream/ndjson")]
fn stream_ndjson() -> (StatusCode, Streaming) {
    let s = Streaming::new()
        .header("x-stream", "yes")
        .json(&Q { n: 1, tag: None })
        .pause(Duration::from_millis(10))
        .json(&Q { n: 2, tag: Some("two".to_owned()) });
    (StatusCode::ACCEPTED, s)
}

#[route(get, "/stream/live")]
fn stream_live() -> Streaming {
    Streaming::new().sse(Sse::event("hello").data("live")).live()
}

/// An event, a pause of `ms`, another event; then open for pushes.
#[route(get, "/stream/slow/{ms}")]
fn stream_slow(Path(ms): Path<u64>) -> Streaming {
    Streaming::new()
        .sse(Sse::event("first").data(1))
        .pause(Duration::from_millis(ms))
        .sse(Sse::event("second").data(2))
        .live()
}

/// A WebSocket: greets with the room's name, echoes text, answers
/// "bye" with a close, "boom" by panicking, bytes with their length.
#[route(get, "/ws/{room}")]
fn ws(Path(room): Path<String>, message: WebSocketMessage) -> WebSocket {
    match message {
        WebSocketMessage::Open => WebSocket::new().text(format!("welcome to {room}")),
        WebSocketMessage::Text(t) if t == "bye" => WebSocket::new().close(4001, "bye"),
        WebSocketMessage::Text(t) if t == "boom" => panic!("boom in a socket"),
        WebSocketMessage::Text(t) => WebSocket::new().text(format!("{room}: {t}")),
        WebSocketMessage::Binary(b) => WebSocket::new().json(&b.len()),
    }
}

/// Notes kept per scope: each scope sees the seed plus its own.
static NOTES: Store<Vec<String>> = Store::with_seed(|| vec!["seeded".to_owned()]);

#[route(post, "/notes")]
fn add_note(scope: Scope, note: String) -> (StatusCode, Json<Vec<String>>) {
    let all = NOTES.write(&scope, |notes| {
        notes.push(note);
        notes.clone()
    });
    (StatusCode::CREATED, Json(all))
}

#[route(get, "/notes")]
fn notes(scope: Scope) -> Json<Vec<String>> {
    Json(NOTES.read(&scope, |notes| notes.clone()))
}

/// The scope the handler was told, and whether it saw the server's header.
#[route(get, "/notes/scope")]
fn notes_scope(scope: Scope, headers: Headers) -> Json<Value> {
    Json(json!({
        "scope": scope.name(),
        "serverHeaderSeen": headers.iter().any(|(n, _)| n == fake_servicer::abi::SCOPE_HEADER),
        "clientScopeHeader": headers.get("x-fake-servicer-scope"),
    }))
}

fake_servicer::service!(
    name = "sink",
    path_single, path_struct, path_tuple, catch_all, query, json_body, headers, body, text,
    method, status, static_str, result, option, builder, opts, fake_data, delay, chunks,
    fault, panics, sleep, sleeping, hold, held, release, fast, drop_bomb, stream_sse,
    stream_ndjson, stream_live, stream_slow, ws, add_note, notes, notes_scope,
);
"#;

/// The sink plugin, built once per test binary.
pub(crate) fn sink_library() -> &'static PathBuf {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| PluginCrate::new("sdk_sink", SINK).build())
}

/// A server whose plugin dir holds only the sink plugin.
pub(crate) async fn sink_server() -> TestServer {
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
