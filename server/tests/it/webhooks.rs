//! Webhooks over real HTTP: a stub's `serveEventListeners` (or older
//! `postServeActions`) named `webhook` send a templated request after its
//! answer, to a receiver on loopback played by a small axum server that
//! keeps what it received (and, when told, holds its answers).

use bytes::Bytes;
use fake_servicer_server::Config;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use testkit::{Admin, Http, TestServer, eventually, serve};
use tokio::sync::Semaphore;

/// How long a test waits for what happens in the background.
const WAIT: Duration = Duration::from_secs(10);

/// A request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    method: Method,
    uri: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A webhook receiver on loopback: answers 201 `ok` with `X-R: y`, after
/// its gate lets it when it has one.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    gate: Option<Arc<Semaphore>>,
}

#[derive(Clone)]
struct ReceiverState {
    got: Arc<Mutex<Vec<Received>>>,
    gate: Option<Arc<Semaphore>>,
}

impl Receiver {
    /// A receiver answering at once.
    async fn start() -> Receiver {
        Receiver::started(None).await
    }

    /// A receiver that holds every answer until [`Receiver::release`].
    async fn holding() -> Receiver {
        Receiver::started(Some(Arc::new(Semaphore::new(0)))).await
    }

    async fn started(gate: Option<Arc<Semaphore>>) -> Receiver {
        async fn receive(
            axum::extract::State(state): axum::extract::State<ReceiverState>,
            req: axum::extract::Request,
        ) -> (StatusCode, [(&'static str, &'static str); 1], &'static str) {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            state
                .got
                .lock()
                .expect("the receiver's list")
                .push(Received {
                    method: parts.method,
                    uri: parts.uri.to_string(),
                    headers: parts.headers,
                    body,
                });
            if let Some(gate) = &state.gate {
                let _ = gate.acquire().await;
            }
            (StatusCode::CREATED, [("x-r", "y")], "ok")
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let addr = listener.local_addr().expect("the receiver's address");
        let got = Arc::new(Mutex::new(Vec::new()));
        let router = axum::Router::new()
            .fallback(receive)
            .with_state(ReceiverState {
                got: got.clone(),
                gate: gate.clone(),
            });
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver {
            url: format!("http://{addr}"),
            got,
            gate,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().expect("the receiver's list").clone()
    }

    /// Waits until it has received `n` requests; returns them.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        eventually(WAIT, &format!("{n} webhooks to arrive"), || async {
            let got = self.received();
            if got.len() >= n {
                Ok(got)
            } else {
                Err(format!("{} arrived", got.len()))
            }
        })
        .await
    }

    /// Lets every held answer go.
    fn release(&self) {
        if let Some(gate) = &self.gate {
            gate.add_permits(Semaphore::MAX_PERMITS / 2);
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.release();
    }
}

/// A server without plugins, configured by `adjust`.
async fn server(adjust: impl FnOnce(&mut Config)) -> (TestServer, Admin) {
    let s = serve(&[], adjust).await;
    let a = Admin::new(&s);
    (s, a)
}

/// A stub at `path` answering 200 `answered`, with one webhook of
/// `parameters`.
fn stub_with_webhook(path: &str, parameters: Value) -> Value {
    json!({
        "request": {"urlPath": path},
        "response": {"status": 200, "body": "answered"},
        "serveEventListeners": [{"name": "webhook", "parameters": parameters}]
    })
}

/// The serve events of the journal, newest first.
async fn serve_events(a: &Admin) -> Vec<Value> {
    a.get("/__admin/requests").await.json()["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Waits until the serve event of the request to `url` lists `n` sub
/// events; returns them.
async fn sub_events(a: &Admin, url: &str, n: usize) -> Vec<Value> {
    eventually(WAIT, &format!("{n} sub events for {url}"), || async {
        let events = serve_events(a).await;
        let event = events
            .iter()
            .find(|e| e["request"]["url"] == url)
            .ok_or_else(|| format!("no serve event for {url}: {events:?}"))?;
        let subs = event["subEvents"].as_array().cloned().unwrap_or_default();
        if subs.len() >= n {
            Ok(subs)
        } else {
            Err(format!("{subs:?}"))
        }
    })
    .await
}

/// `GET url`, which must be answered within 5 s.
async fn get_quickly(url: &str) -> testkit::Reply {
    tokio::time::timeout(Duration::from_secs(5), Http::new().get(url))
        .await
        .unwrap_or_else(|_| panic!("GET {url} was not answered within 5 s"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_is_sent_after_the_answer_with_its_templated_url_headers_and_body() {
    let hook = Receiver::start().await;
    let (s, a) = server(|_| {}).await;
    a.stub(json!({
        "request": {"urlPath": "/orders", "method": "POST"},
        "response": {"status": 200, "body": "answered"},
        "serveEventListeners": [{"name": "webhook", "parameters": {
            "method": "PUT",
            "url": format!("{}/cb/{{{{originalRequest.query.id}}}}", hook.url),
            "headers": {"X-Id": "{{originalRequest.headers.X-Req}}", "X-Multi": ["a", "b"],
                        "X-P": "{{parameters.method}}"},
            "body": "got {{originalRequest.body}} {{jsonPath originalRequest.body '$.n'}}"
        }}]
    }))
    .await;
    let answer = Http::new()
        .send(
            Method::POST,
            &format!("{}/orders?id=42", s.url()),
            &[("x-req", "r1"), ("content-type", "application/json")],
            "{\"n\": 5}",
        )
        .await
        .expect("an answer");
    assert_eq!(answer.text(), "answered");
    let got = hook.wait_for(1).await;
    let w = &got[0];
    assert_eq!(w.method, Method::PUT);
    assert_eq!(w.uri, "/cb/42");
    assert_eq!(w.header("x-id"), Some("r1"));
    let multi: Vec<_> = w.headers.get_all("x-multi").iter().collect();
    assert_eq!(multi, ["a", "b"]);
    assert_eq!(w.header("x-p"), Some("PUT"));
    assert_eq!(w.header("content-type"), None, "none unless given");
    assert_eq!(w.body, "got {\"n\": 5} 5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_is_not_delayed_by_a_slow_webhook_receiver() {
    let hook = Receiver::holding().await;
    let (s, a) = server(|c| c.webhook_timeout = Duration::from_secs(60)).await;
    a.stub(stub_with_webhook(
        "/slow",
        json!({"url": format!("{}/held", hook.url)}),
    ))
    .await;
    for n in 1..=3 {
        let answer = get_quickly(&format!("{}/slow", s.url())).await;
        assert_eq!(answer.text(), "answered");
        // The webhooks are still held by the receiver.
        hook.wait_for(n).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_webhook_queue_drops_the_webhook_and_never_blocks_answers() {
    let hook = Receiver::holding().await;
    let (s, a) = server(|c| {
        c.max_queued_webhooks = 1;
        c.webhook_concurrency = 1;
        c.webhook_timeout = Duration::from_secs(60);
    })
    .await;
    a.stub(stub_with_webhook(
        "/busy",
        json!({"url": format!("{}/held", hook.url)}),
    ))
    .await;
    // The first is sent (and held); the second waits in the queue's one
    // place; the third finds no place.
    get_quickly(&format!("{}/busy?n=1", s.url())).await;
    hook.wait_for(1).await;
    get_quickly(&format!("{}/busy?n=2", s.url())).await;
    let third = get_quickly(&format!("{}/busy?n=3", s.url())).await;
    assert_eq!(third.text(), "answered");
    let subs = sub_events(&a, "/busy?n=3", 1).await;
    assert_eq!(subs[0]["type"], "ERROR", "{subs:?}");
    let message = subs[0]["data"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("dropped"), "{message}");
    // Once the receiver answers, the queued one is sent; the dropped one
    // never is.
    hook.release();
    hook.wait_for(2).await;
    sub_events(&a, "/busy?n=2", 2).await;
    assert_eq!(hook.received().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_older_post_serve_actions_form_sends_the_same_webhook() {
    let hook = Receiver::start().await;
    let (s, a) = server(|_| {}).await;
    let parameters = json!({"url": format!("{}/cb", hook.url), "method": "POST",
                            "body": "{{originalRequest.path}}"});
    a.stub(
        json!({"request": {"urlPath": "/list"}, "response": {"status": 204},
                  "postServeActions": [{"name": "webhook", "parameters": parameters}]}),
    )
    .await;
    let stored = a
        .stub(
            json!({"request": {"urlPath": "/object"}, "response": {"status": 204},
                     "postServeActions": {"webhook": parameters}}),
        )
        .await;
    assert_eq!(
        stored["postServeActions"],
        json!([{"name": "webhook", "parameters": parameters}]),
        "stored as a list, as WireMock does"
    );
    get_quickly(&format!("{}/list", s.url())).await;
    hook.wait_for(1).await;
    get_quickly(&format!("{}/object", s.url())).await;
    let got = hook.wait_for(2).await;
    let bodies: Vec<_> = got
        .iter()
        .map(|r| (r.method.as_str(), &r.body[..]))
        .collect();
    assert_eq!(bodies, [("POST", &b"/list"[..]), ("POST", &b"/object"[..])]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base64_body_is_sent_as_its_bytes() {
    let hook = Receiver::start().await;
    let (s, a) = server(|_| {}).await;
    a.stub(stub_with_webhook(
        "/bin",
        json!({"url": format!("{}/bin", hook.url), "method": "POST", "base64Body": "AP8KDQ=="}),
    ))
    .await;
    get_quickly(&format!("{}/bin", s.url())).await;
    let got = hook.wait_for(1).await;
    assert_eq!(got[0].body, &[0u8, 255, 10, 13][..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serve_event_lists_the_webhook_outcome_in_sub_events() {
    let hook = Receiver::start().await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        l.local_addr().expect("its address")
    };
    let (s, a) = server(|_| {}).await;
    a.stub(stub_with_webhook(
        "/sent",
        json!({"url": format!("{}/cb?a=1&a=2", hook.url), "method": "POST",
               "headers": {"X-Id": "7"}, "body": "hello"}),
    ))
    .await;
    a.stub(stub_with_webhook(
        "/refused",
        json!({"url": format!("http://{closed}/nothing"), "method": "POST", "body": "x"}),
    ))
    .await;
    get_quickly(&format!("{}/sent", s.url())).await;
    let subs = sub_events(&a, "/sent", 2).await;
    let port = hook
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok());
    let sent = &subs[0];
    assert_eq!(sent["type"], "WEBHOOK_REQUEST", "{subs:?}");
    assert_eq!(sent["timeOffsetNanos"], 0);
    let data = &sent["data"];
    let keys: Vec<&str> = data
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "url",
            "absoluteUrl",
            "method",
            "headers",
            "browserProxyRequest",
            "loggedDate",
            "bodyAsBase64",
            "body",
            "scheme",
            "host",
            "port",
            "loggedDateString",
            "queryParams",
            "formParams"
        ],
        "WireMock's fields, in its order"
    );
    assert_eq!(data["url"], "/cb?a=1&a=2");
    assert_eq!(data["absoluteUrl"], format!("{}/cb?a=1&a=2", hook.url));
    assert_eq!(data["method"], "POST");
    assert_eq!(data["headers"], json!({"X-Id": "7"}));
    assert_eq!(data["body"], "hello");
    assert_eq!(data["bodyAsBase64"], "aGVsbG8=");
    assert_eq!(data["host"], "127.0.0.1");
    assert_eq!(data["port"].as_u64(), port.map(u64::from));
    assert_eq!(
        data["queryParams"],
        json!({"a": {"key": "a", "values": ["1", "2"]}})
    );
    let answered = &subs[1];
    assert_eq!(answered["type"], "WEBHOOK_RESPONSE", "{subs:?}");
    assert_eq!(answered["timeOffsetNanos"], 0);
    assert_eq!(answered["data"]["status"], 201);
    assert_eq!(answered["data"]["headers"]["X-R"], "y");
    assert_eq!(answered["data"]["body"], "ok");
    assert_eq!(answered["data"]["bodyAsBase64"], "b2s=");

    get_quickly(&format!("{}/refused", s.url())).await;
    let subs = sub_events(&a, "/refused", 2).await;
    assert_eq!(subs[0]["type"], "WEBHOOK_REQUEST");
    assert_eq!(
        subs[1]
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["type".to_owned(), "data".to_owned()]),
        "an ERROR has no time offset: {subs:?}"
    );
    assert_eq!(subs[1]["type"], "ERROR");
    let message = subs[1]["data"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!(
            "Failed to fire webhook POST http://{closed}/nothing: "
        )),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scoped_stubs_webhook_carries_the_scope_header() {
    let hook = Receiver::start().await;
    let (s, a) = server(|_| {}).await;
    let created = a
        .http
        .send(
            Method::POST,
            &format!("{}/__admin/mappings", s.url()),
            &[
                ("content-type", "application/json"),
                ("x-fake-servicer-scope", "test-7"),
            ],
            stub_with_webhook("/scoped", json!({"url": format!("{}/cb", hook.url)})).to_string(),
        )
        .await
        .expect("an answer");
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let answer = a
        .mock(
            Method::GET,
            "/scoped",
            &[("x-fake-servicer-scope", "test-7")],
            "",
        )
        .await;
    assert_eq!(answer.text(), "answered");
    let got = hook.wait_for(1).await;
    assert_eq!(got[0].header("x-fake-servicer-scope"), Some("test-7"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_webhook_is_sent_its_delay_after_the_answer() {
    let hook = Receiver::start().await;
    let (s, a) = server(|_| {}).await;
    a.stub(stub_with_webhook(
        "/later",
        json!({"url": format!("{}/cb", hook.url),
               "delay": {"type": "fixed", "milliseconds": 300}}),
    ))
    .await;
    let answered = Instant::now();
    get_quickly(&format!("{}/later", s.url())).await;
    hook.wait_for(1).await;
    assert!(
        answered.elapsed() >= Duration::from_millis(300),
        "{:?}",
        answered.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_with_a_webhook_lacking_a_url_is_refused_with_its_pointer() {
    let (_s, a) = server(|_| {}).await;
    let r = a
        .post(
            "/__admin/mappings",
            stub_with_webhook("/no-url", json!({"method": "POST"})),
        )
        .await;
    r.assert_invalid_at("/serveEventListeners/0/parameters/url");
    let r = a
        .post(
            "/__admin/mappings",
            stub_with_webhook(
                "/bad",
                json!({"url": "http://h/x", "method": "NOT A METHOD"}),
            ),
        )
        .await;
    r.assert_invalid_at("/serveEventListeners/0/parameters/method");
}
