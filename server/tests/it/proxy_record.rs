//! Proxying stubs and recordings over real HTTP: a second server on
//! loopback plays the partner API (its stubs answer, its journal shows what
//! arrived).

use fake_servicer_server::Config;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use testkit::{Admin, Http, TestServer, serve};

/// A server without plugins, configured by `adjust`.
async fn server(adjust: impl FnOnce(&mut Config)) -> TestServer {
    serve(&[], adjust).await
}

/// The requests `upstream` received, oldest first.
async fn received(upstream: &Admin) -> Vec<Value> {
    let mut list = upstream.get("/__admin/requests").await.json()["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    list.reverse();
    list.into_iter().map(|e| e["request"].clone()).collect()
}

fn header<'a>(request: &'a Value, name: &str) -> Option<&'a str> {
    request["headers"]
        .as_object()?
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

/// A loopback address where nothing listens.
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_stub_forwards_the_request_and_relays_the_answer() {
    let up = server(|_| {}).await;
    let me = server(|_| {}).await;
    let (upa, a) = (Admin::new(&up), Admin::new(&me));
    upa.stub(json!({"request": {"method": "POST", "urlPath": "/api/items"},
        "response": {"status": 201, "headers": {"X-Up": "yes", "Content-Type": "application/json"}, "jsonBody": {"id": 7}}}))
        .await;
    a.stub(
        json!({"request": {"urlPathPattern": "/api/.*"}, "response": {
        "proxyBaseUrl": up.url(),
        "additionalProxyRequestHeaders": {"X-Added": "a"},
        "removeProxyRequestHeaders": ["X-Remove"]}}),
    )
    .await;
    let r = Http::new()
        .send(
            Method::POST,
            &format!("{}/api/items?x=1&y=2", me.url()),
            &[
                ("x-keep", "k"),
                ("x-remove", "r"),
                ("content-type", "application/json"),
            ],
            "{\"name\":\"n\"}",
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.header("x-up"), Some("yes"));
    assert_eq!(r.json(), json!({"id": 7}));
    let got = received(&upa).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let req = &got[0];
    assert_eq!(req["method"], "POST");
    assert_eq!(req["url"], "/api/items?x=1&y=2");
    assert_eq!(req["body"], "{\"name\":\"n\"}");
    assert_eq!(header(req, "x-keep"), Some("k"));
    assert_eq!(header(req, "x-added"), Some("a"));
    assert_eq!(header(req, "x-remove"), None, "removed headers stay here");
    let host = up.url().trim_start_matches("http://").to_owned();
    assert_eq!(
        header(req, "host"),
        Some(host.as_str()),
        "Host names the target"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prefix_to_remove_and_a_service_stub_forward_the_rest_of_the_path() {
    let up = server(|_| {}).await;
    let me = server(|_| {}).await;
    let (upa, a) = (Admin::new(&up), Admin::new(&me));
    upa.stub(json!({"request": {"urlPath": "/v1/x"}, "response": {"body": "x"}}))
        .await;
    a.stub(
        json!({"request": {"urlPathPattern": "/rm/.*"}, "response": {
        "proxyBaseUrl": up.url(), "proxyUrlPrefixToRemove": "/rm"}}),
    )
    .await;
    a.stub(
        json!({"request": {"service": "partner", "urlPathPattern": "/v1/.*"},
        "response": {"proxyBaseUrl": up.url()}}),
    )
    .await;
    let http = Http::new();
    assert_eq!(http.get(&format!("{}/rm/v1/x", me.url())).await.text(), "x");
    assert_eq!(
        http.get(&format!("{}/partner/v1/x", me.url())).await.text(),
        "x"
    );
    let urls: Vec<Value> = received(&upa)
        .await
        .iter()
        .map(|r| r["url"].clone())
        .collect();
    assert_eq!(urls, [json!("/v1/x"), json!("/v1/x")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_is_down_is_answered_500_naming_it() {
    let me = server(|_| {}).await;
    let a = Admin::new(&me);
    let target = closed_port();
    a.stub(json!({"request": {"urlPath": "/down"}, "response": {"proxyBaseUrl": target}}))
        .await;
    let r = Http::new().get(&format!("{}/down", me.url())).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        r.text().starts_with(&format!(
            "Network failure trying to make a proxied request from fake-servicer to {target}/down"
        )),
        "{}",
        r.text()
    );
}

/// An upstream that accepts connections and never answers: its URL, and
/// the task holding them (abort it at the end).
async fn silent_upstream() -> (String, tokio::task::JoinHandle<()>) {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!("http://{}", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut kept = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            kept.push(s);
        }
    });
    (target, held)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_does_not_answer_is_answered_500_after_the_proxy_timeout() {
    let me = server(|c| c.proxy_timeout = Duration::from_millis(300)).await;
    let a = Admin::new(&me);
    let (target, held) = silent_upstream().await;
    a.stub(json!({"request": {"urlPath": "/slow"}, "response": {"proxyBaseUrl": target}}))
        .await;
    let started = Instant::now();
    let r = Http::new().get(&format!("{}/slow", me.url())).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.text().contains("--proxy-timeout"), "{}", r.text());
    assert!(started.elapsed() < Duration::from_secs(10));
    held.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_body_over_the_cap_is_answered_500() {
    let up = server(|_| {}).await;
    let me = server(|c| c.proxy_max_body_bytes = 10).await;
    let (upa, a) = (Admin::new(&up), Admin::new(&me));
    upa.stub(json!({"request": {"urlPath": "/big"}, "response": {"body": "x".repeat(100)}}))
        .await;
    upa.stub(json!({"request": {"urlPath": "/small"}, "response": {"body": "0123456789"}}))
        .await;
    a.stub(json!({"request": {"method": "ANY"}, "response": {"proxyBaseUrl": up.url()}}))
        .await;
    let http = Http::new();
    let r = http.get(&format!("{}/big", me.url())).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.text().contains("--proxy-max-body-bytes"), "{}", r.text());
    assert_eq!(
        http.get(&format!("{}/small", me.url())).await.text(),
        "0123456789"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_stub_keeps_its_delay_and_its_fault_replaces_the_call() {
    let up = server(|_| {}).await;
    let me = server(|_| {}).await;
    let (upa, a) = (Admin::new(&up), Admin::new(&me));
    upa.stub(json!({"request": {"method": "ANY"}, "response": {"body": "up"}}))
        .await;
    a.stub(json!({"request": {"urlPath": "/slow"}, "response": {
        "proxyBaseUrl": up.url(), "fixedDelayMilliseconds": 300}}))
        .await;
    a.stub(json!({"request": {"urlPath": "/broken"}, "response": {
        "proxyBaseUrl": up.url(), "fault": "EMPTY_RESPONSE"}}))
        .await;
    let http = Http::new();
    let started = Instant::now();
    assert_eq!(http.get(&format!("{}/slow", me.url())).await.text(), "up");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let broken = http
        .send(Method::GET, &format!("{}/broken", me.url()), &[], "")
        .await;
    assert!(
        broken.is_err(),
        "the fault closes the connection: {broken:?}"
    );
    let urls: Vec<Value> = received(&upa)
        .await
        .iter()
        .map(|r| r["url"].clone())
        .collect();
    assert_eq!(urls, [json!("/slow")], "a faulty proxy stub calls nobody");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_proxy_base_url_or_target_is_refused_422() {
    let me = server(|_| {}).await;
    let a = Admin::new(&me);
    for url in ["notaurl", "https://example.test", "ftp://x"] {
        let r = a
            .post(
                "/__admin/mappings",
                json!({"request": {}, "response": {"proxyBaseUrl": url}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert_eq!(
            r.json()["errors"][0]["source"]["pointer"],
            "/response/proxyBaseUrl"
        );
    }
    let r = a
        .post(
            "/__admin/recordings/start",
            json!({"targetBaseUrl": "nope"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["source"]["pointer"], "/targetBaseUrl");
    assert_eq!(
        a.get("/__admin/recordings/status").await.json(),
        json!({"status": "NeverStarted"})
    );
}

/// The partner API of the recording tests: JSON, text, binary, and an
/// answer that changes on the second call.
async fn partner(upa: &Admin) {
    upa.stub(json!({"request": {"method": "POST", "urlPath": "/orders"},
        "response": {"status": 201, "headers": {"Content-Type": "application/json", "X-Order": "1"}, "jsonBody": {"id": 1}}}))
        .await;
    upa.stub(json!({"request": {"urlPath": "/text"},
        "response": {"headers": {"Content-Type": "text/plain"}, "body": "plain"}}))
        .await;
    upa.stub(json!({"request": {"urlPath": "/bin"},
        "response": {"headers": {"Content-Type": "application/octet-stream"}, "base64Body": "AAEC/w=="}}))
        .await;
    upa.stub(json!({"request": {"urlPath": "/seq"}, "scenarioName": "s", "requiredScenarioState": "Started",
        "newScenarioState": "two", "response": {"body": "first"}}))
        .await;
    upa.stub(
        json!({"request": {"urlPath": "/seq"}, "scenarioName": "s", "requiredScenarioState": "two",
        "response": {"body": "second"}}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_makes_stubs_that_replay_the_partner_after_it_is_gone() {
    let up = server(|_| {}).await;
    let mappings = tempfile::tempdir().unwrap();
    let dir = mappings.path().to_owned();
    let me = server(|c| c.mappings = Some(dir)).await;
    let (upa, a) = (Admin::new(&up), Admin::new(&me));
    partner(&upa).await;
    assert_eq!(
        a.get("/__admin/recordings/status").await.json(),
        json!({"status": "NeverStarted"})
    );
    let r = a
        .post(
            "/__admin/recordings/start",
            json!({"targetBaseUrl": up.url()}),
        )
        .await;
    assert_eq!((r.status, r.json()), (StatusCode::OK, json!({})));
    assert_eq!(
        a.get("/__admin/recordings/status").await.json(),
        json!({"status": "Recording"})
    );
    let listed = a.get("/__admin/mappings").await.json();
    assert_eq!(listed["mappings"][0]["response"]["proxyBaseUrl"], up.url());

    let http = Http::new();
    let base = me.url();
    let order = || async {
        http.send(
            Method::POST,
            &format!("{base}/orders?src=web"),
            &[("content-type", "application/json")],
            "{\"item\":\"a\"}",
        )
        .await
        .unwrap()
    };
    assert_eq!(order().await.status, StatusCode::CREATED);
    assert_eq!(http.get(&format!("{base}/text")).await.text(), "plain");
    assert_eq!(
        http.get(&format!("{base}/bin")).await.body.as_ref(),
        [0, 1, 2, 255]
    );
    assert_eq!(http.get(&format!("{base}/seq")).await.text(), "first");
    assert_eq!(http.get(&format!("{base}/seq")).await.text(), "second");

    let stopped = a.post("/__admin/recordings/stop", json!({})).await;
    assert_eq!(stopped.status, StatusCode::OK);
    let made = stopped.json()["mappings"].as_array().cloned().unwrap();
    assert_eq!(made.len(), 5, "{made:?}");
    let orders = made.iter().find(|m| m["name"] == "orders").unwrap();
    assert_eq!(orders["request"]["urlPath"], "/orders");
    assert_eq!(orders["request"]["method"], "POST");
    assert_eq!(
        orders["request"]["queryParameters"]["src"],
        json!({"equalTo": "web"})
    );
    assert_eq!(
        orders["request"]["bodyPatterns"][0],
        json!({"equalToJson": "{\"item\":\"a\"}", "ignoreArrayOrder": true, "ignoreExtraElements": true})
    );
    assert_eq!(orders["response"]["status"], 201);
    assert_eq!(orders["response"]["body"], "{\"id\":1}");
    assert_eq!(orders["response"]["headers"]["X-Order"], "1");
    assert_eq!(orders["persistent"], true);
    let bin = made.iter().find(|m| m["name"] == "bin").unwrap();
    assert_eq!(bin["request"], json!({"url": "/bin", "method": "GET"}));
    assert_eq!(bin["response"]["base64Body"], "AAEC/w==");
    assert_eq!(
        a.get("/__admin/recordings/status").await.json(),
        json!({"status": "Stopped"})
    );
    let files = std::fs::read_dir(mappings.path()).unwrap().count();
    assert_eq!(files, 5, "persisted to --mappings");

    drop(up);
    let listed = a.get("/__admin/mappings").await.json();
    assert!(
        listed["mappings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["response"]["proxyBaseUrl"].is_null()),
        "the recording's proxy stub is gone"
    );
    let replay = order().await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.json(), json!({"id": 1}));
    assert_eq!(replay.header("x-order"), Some("1"));
    assert_eq!(http.get(&format!("{base}/text")).await.text(), "plain");
    assert_eq!(
        http.get(&format!("{base}/bin")).await.body.as_ref(),
        [0, 1, 2, 255]
    );
    assert_eq!(http.get(&format!("{base}/seq")).await.text(), "first");
    assert_eq!(http.get(&format!("{base}/seq")).await.text(), "second");

    let again = a.post("/__admin/recordings/stop", json!({})).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again.json(),
        json!({"errors": [{"code": 30, "title": "Not currently recording."}]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_keeps_filtered_requests_captured_headers_and_no_repeats_when_asked() {
    let up = server(|_| {}).await;
    let me = server(|_| {}).await;
    let (upa, a) = (Admin::new(&up), Admin::new(&me));
    partner(&upa).await;
    a.post(
        "/__admin/recordings/start",
        json!({"targetBaseUrl": up.url(), "persist": false, "repeatsAsScenarios": false,
            "filters": {"urlPathPattern": "/(seq|text)"},
            "captureHeaders": {"X-Tenant": {"caseInsensitive": true}}}),
    )
    .await;
    let http = Http::new();
    let base = me.url();
    for path in ["/seq", "/seq", "/bin"] {
        http.send(
            Method::GET,
            &format!("{base}{path}"),
            &[("x-tenant", "t1")],
            "",
        )
        .await
        .unwrap();
    }
    let made = a.post("/__admin/recordings/stop", json!({})).await.json()["mappings"].clone();
    assert_eq!(made.as_array().unwrap().len(), 1, "{made}");
    assert_eq!(
        made[0]["request"],
        json!({"url": "/seq", "method": "GET", "headers": {"X-Tenant": {"equalTo": "t1", "caseInsensitive": true}}})
    );
    // No content type: recorded as base64, as WireMock does.
    assert_eq!(made[0]["response"]["base64Body"], "Zmlyc3Q=");
    assert!(made[0].get("persistent").is_none());
    assert!(made[0].get("scenarioName").is_none());
}

/// A partner server (see [`partner`]) and this server proxying every
/// request to it: (the partner, this server, its admin).
async fn proxying_to_partner() -> (TestServer, TestServer, Admin) {
    let up = server(|_| {}).await;
    let me = server(|_| {}).await;
    let (upa, a) = (Admin::new(&up), Admin::new(&me));
    partner(&upa).await;
    a.stub(json!({"request": {"method": "ANY"}, "response": {"proxyBaseUrl": up.url()}}))
        .await;
    (up, me, a)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_makes_stubs_of_every_proxied_exchange_and_a_reset_forgets_them() {
    let (_up, me, a) = proxying_to_partner().await;
    let http = Http::new();
    http.get(&format!("{}/text", me.url())).await;
    http.get(&format!("{}/bin", me.url())).await;
    let snap = a
        .post("/__admin/recordings/snapshot", json!({"persist": false}))
        .await;
    assert_eq!(snap.status, StatusCode::OK);
    let names: Vec<Value> = snap.json()["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].clone())
        .collect();
    assert_eq!(names, [json!("bin"), json!("text")], "newest first");
    assert_eq!(
        a.get("/__admin/recordings/status").await.json(),
        json!({"status": "NeverStarted"})
    );
    a.post("/__admin/reset", json!({})).await;
    let empty = a
        .post("/__admin/recordings/snapshot", json!({}))
        .await
        .json();
    assert_eq!(empty, json!({"mappings": []}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_repeated_adds_only_the_exchanges_relayed_since() {
    let (_up, me, a) = proxying_to_partner().await;
    let http = Http::new();
    http.get(&format!("{}/text", me.url())).await;
    let snapshot = || async {
        let r = a
            .post("/__admin/recordings/snapshot", json!({"persist": false}))
            .await
            .json();
        r["mappings"].as_array().map_or(0, Vec::len)
    };
    assert_eq!(snapshot().await, 1);
    assert_eq!(snapshot().await, 0, "nothing relayed since");
    http.get(&format!("{}/bin", me.url())).await;
    assert_eq!(snapshot().await, 1, "only the new exchange");
    let total = a.get("/__admin/mappings").await.json()["meta"]["total"].clone();
    assert_eq!(total, 3, "the proxy stub and one stub per exchange");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayed_exchanges_are_kept_within_their_count_and_byte_caps() {
    let up = server(|_| {}).await;
    let me = server(|c| {
        c.max_recorded_exchanges = 2;
        c.max_recorded_bytes = 2000;
    })
    .await;
    let (upa, a) = (Admin::new(&up), Admin::new(&me));
    upa.stub(json!({"request": {"urlPathPattern": "/small/.*"}, "response": {"body": "s"}}))
        .await;
    upa.stub(json!({"request": {"urlPath": "/big"}, "response": {"body": "b".repeat(5000)}}))
        .await;
    a.stub(json!({"request": {"method": "ANY"}, "response": {"proxyBaseUrl": up.url()}}))
        .await;
    let http = Http::new();
    for path in ["/small/1", "/small/2", "/small/3", "/big"] {
        assert_eq!(
            http.get(&format!("{}{path}", me.url())).await.status,
            StatusCode::OK
        );
    }
    let snap = a
        .post("/__admin/recordings/snapshot", json!({"persist": false}))
        .await
        .json();
    let urls: Vec<Value> = snap["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["request"]["url"].clone())
        .collect();
    assert_eq!(
        urls,
        [json!("/small/3"), json!("/small/2")],
        "the oldest dropped; one over the byte cap never kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_aimed_at_this_server_is_refused_at_start_and_one_aimed_elsewhere_starts() {
    let me = server(|_| {}).await;
    let other = server(|_| {}).await;
    let a = Admin::new(&me);
    let refused = a
        .post(
            "/__admin/recordings/start",
            json!({"targetBaseUrl": me.url()}),
        )
        .await;
    refused.assert_invalid_at("/targetBaseUrl");
    assert_eq!(
        a.get("/__admin/recordings/status").await.json(),
        json!({"status": "NeverStarted"})
    );
    let started = a
        .post(
            "/__admin/recordings/start",
            json!({"targetBaseUrl": other.url()}),
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_stub_aimed_at_this_server_is_stopped_at_the_first_hop_with_508() {
    let me = server(|_| {}).await;
    let a = Admin::new(&me);
    let created = a
        .post(
            "/__admin/mappings",
            json!({"request": {"urlPath": "/loop"}, "response": {"proxyBaseUrl": me.url()}}),
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "such a stub is accepted"
    );
    let r = Http::new().get(&format!("{}/loop", me.url())).await;
    // The forwarded request came back with this server's Via mark: 508,
    // relayed to the caller.
    assert_eq!(r.status, StatusCode::LOOP_DETECTED, "{}", r.text());
    assert!(
        r.json()["via"]
            .as_str()
            .is_some_and(|v| v.contains("fake-servicer")),
        "{}",
        r.text()
    );
    let journal = a.get("/__admin/requests").await.json();
    assert_eq!(
        journal["requests"].as_array().map(Vec::len),
        Some(2),
        "{journal}"
    );
}

/// A client that gives up on a slow answer (its own timeout) leaves the
/// request in the journal: status 499, `answeredBy` `abandoned`, in its
/// scope — so a test can verify that its app called the mock it timed out on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_client_hangs_up_before_the_answer_is_journaled_as_abandoned() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let me = server(|_| {}).await;
    let a = Admin::new(&me);
    let (target, held) = silent_upstream().await;
    a.stub(json!({"request": {"urlPath": "/slow"}, "response": {"proxyBaseUrl": target}}))
        .await;
    let mut client = tokio::net::TcpStream::connect(me.addr()).await.unwrap();
    client
        .write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\nX-Fake-Servicer-Scope: gone\r\n\r\n")
        .await
        .unwrap();
    // The server is waiting on the upstream: nothing comes back yet.
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(200), client.read(&mut byte)).await;
    assert!(early.is_err(), "no answer while the upstream is silent");
    drop(client);
    let entry = testkit::eventually(Duration::from_secs(10), "the abandoned request", || async {
        let list = a
            .get("/__admin/requests?extensions=true&scope=gone")
            .await
            .json()["requests"]
            .clone();
        match list.as_array().map(Vec::as_slice) {
            Some([one]) => Ok(one.clone()),
            _ => Err(list.to_string()),
        }
    })
    .await;
    assert_eq!(entry["request"]["url"], "/slow");
    assert_eq!(entry["response"]["status"], 499);
    assert_eq!(entry["answeredBy"]["kind"], "abandoned", "{entry}");
    held.abort();
}
