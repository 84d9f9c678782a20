//! The control plane over real HTTP: stubs (CRUD, matching, priority,
//! service scoping, precedence over plugin routes, files), the request
//! journal, next-request overrides, delays and faults, resets.

mod common;

use common::{Http, Reply, build_example, eventually};
use fake_servicer_server::{Config, Server};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

/// A server with the example plugins, configured by `adjust`.
async fn server_with(adjust: impl FnOnce(&mut Config)) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for name in ["example", "other_service"] {
        let lib = build_example(name);
        std::fs::copy(&lib, dir.path().join(lib.file_name().unwrap())).unwrap();
    }
    let mut config = Config::local(dir.path());
    adjust(&mut config);
    (common::start_with(config).await, dir)
}

async fn server() -> (Server, tempfile::TempDir) {
    server_with(|_| {}).await
}

struct Admin {
    http: Http,
    base: String,
}

impl Admin {
    fn new(server: &Server) -> Admin {
        Admin {
            http: Http::new(),
            base: server.url(),
        }
    }

    async fn call(&self, method: Method, path: &str, body: &str) -> Reply {
        self.http
            .send(
                method,
                &format!("{}{path}", self.base),
                &[("content-type", "application/json")],
                body.to_owned(),
            )
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, &body.to_string()).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, "").await
    }

    async fn stub(&self, mapping: Value) -> Value {
        let r = self.post("/__admin/mappings", mapping).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()
    }

    async fn count(&self, pattern: Value) -> u64 {
        self.post("/__admin/requests/count", pattern).await.json()["count"]
            .as_u64()
            .unwrap()
    }

    /// A plain request to a mock.
    async fn mock(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        self.http
            .send(
                method,
                &format!("{}{path}", self.base),
                headers,
                body.to_owned(),
            )
            .await
            .unwrap()
    }
}

/// Sends a raw request and reads until the server closes.
fn raw(addr: std::net::SocketAddr, request: &str) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(request.as_bytes())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mappings_crud_follows_wiremock() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);

    let id = "0b6e2b7e-9c1a-4b57-8d3a-3f0c6a7f9e11";
    let created = a
        .stub(json!({"id": id, "request": {"method": "GET", "url": "/hello"}, "response": {"status": 200, "body": "hi"}}))
        .await;
    assert_eq!(created["id"], id, "a client-supplied id is kept");
    assert_eq!(created["request"]["url"], "/hello");
    let generated = a.stub(json!({"request": {"urlPath": "/other"}})).await;
    assert!(
        uuid::Uuid::parse_str(generated["id"].as_str().unwrap()).is_ok(),
        "{generated}"
    );

    let all = a.get("/__admin/mappings").await.json();
    assert_eq!(all["meta"]["total"], 2);
    assert_eq!(all["mappings"].as_array().unwrap().len(), 2);
    assert_eq!(
        a.get(&format!("/__admin/mappings/{id}")).await.json()["response"]["body"],
        "hi"
    );

    let put = a
        .call(
            Method::PUT,
            &format!("/__admin/mappings/{id}"),
            &json!({"request": {"url": "/hello"}, "response": {"body": "hey"}}).to_string(),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    assert_eq!(a.mock(Method::GET, "/hello", &[], "").await.text(), "hey");

    let del = a
        .call(Method::DELETE, &format!("/__admin/mappings/{id}"), "")
        .await;
    assert_eq!((del.status, del.json()), (StatusCode::OK, json!({})));
    for (method, path) in [
        (Method::GET, format!("/__admin/mappings/{id}")),
        (Method::DELETE, format!("/__admin/mappings/{id}")),
        (Method::GET, "/__admin/mappings/not-a-uuid".to_owned()),
    ] {
        assert_eq!(
            a.call(method, &path, "").await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let missing_put = a
        .call(
            Method::PUT,
            &format!("/__admin/mappings/{id}"),
            &json!({"request": {}}).to_string(),
        )
        .await;
    assert_eq!(missing_put.status, StatusCode::NOT_FOUND);

    assert_eq!(
        a.call(Method::DELETE, "/__admin/mappings", "").await.status,
        StatusCode::OK
    );
    assert_eq!(a.get("/__admin/mappings").await.json()["meta"]["total"], 0);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_admin_input_is_refused_and_nothing_is_stored() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    let cases = [
        (
            json!({"request": {"urlPattern": "(unclosed"}}),
            "/request/urlPattern",
        ),
        (
            json!({"request": {"method": "GET"}, "response": {"status": 42}}),
            "/response/status",
        ),
        (
            json!({"request": {"headers": {"x": {"kindOf": "y"}}}}),
            "/request/headers/x/kindOf",
        ),
        (
            json!({"request": {"url": "/a"}, "response": {"fault": "BOOM"}}),
            "/response/fault",
        ),
        (json!({"response": {"status": 200}}), "/request"),
        (json!({"id": "not-a-uuid", "request": {}}), "/id"),
        (json!({"request": {}, "priority": "high"}), "/priority"),
    ];
    for (mapping, pointer) in cases {
        let r = a.post("/__admin/mappings", mapping.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{mapping}: {}",
            r.text()
        );
        let body = r.json();
        assert_eq!(body["errors"][0]["code"], 10, "{body}");
        assert_eq!(body["errors"][0]["source"]["pointer"], pointer, "{body}");
        assert!(
            body["errors"][0]["title"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );
    }
    for bad in ["{\"request\":", "not json at all", ""] {
        let r = a.call(Method::POST, "/__admin/mappings", bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad:?}: {}", r.text());
        assert!(
            r.json()["errors"][0]["title"]
                .as_str()
                .unwrap()
                .contains("invalid JSON")
        );
    }
    assert_eq!(
        a.call(Method::POST, "/__admin/requests/count", "{nope")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        a.post("/__admin/requests/count", json!({"urlPattern": "("}))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        a.call(Method::POST, "/__admin/settings", "[]").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        a.get("/__admin/requests?limit=lots").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        a.get("/__admin/nonsense").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        a.get("/__admin/mappings").await.json()["meta"]["total"],
        0,
        "nothing stored"
    );

    // Bodiless calls with a JSON content type (as clients send them) are fine.
    for path in [
        "/__admin/mappings/reset",
        "/__admin/requests/reset",
        "/__admin/reset",
        "/__admin/scenarios/reset",
    ] {
        assert_eq!(
            a.call(Method::POST, path, "").await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    assert_eq!(a.get("/__admin").await.status, StatusCode::OK);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stub_responses_are_sent_as_wiremock_sends_them() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"request": {"urlPath": "/teapot"}, "response": {
        "status": 418, "statusMessage": "Short and stout",
        "headers": {"X-One": "1", "X-Many": ["a", "b"]},
        "jsonBody": {"zeta": 1, "alpha": [true, null]}
    }}))
    .await;
    a.stub(json!({"request": {"urlPath": "/bin"}, "response": {"base64Body": "AAEC/w=="}}))
        .await;

    let head = tokio::task::spawn_blocking({
        let addr = server.addr();
        move || {
            raw(
                addr,
                "GET /teapot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .unwrap()
        }
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&head).into_owned();
    assert!(
        text.starts_with("HTTP/1.1 418 Short and stout\r\n"),
        "{text}"
    );
    let lower = text.to_ascii_lowercase();
    assert!(
        lower.contains("x-many: a\r\n") && lower.contains("x-many: b\r\n"),
        "one line per value: {text}"
    );
    assert!(
        !lower.contains("content-type"),
        "no Content-Type unless the stub sets one: {text}"
    );
    assert!(
        text.ends_with(r#"{"zeta":1,"alpha":[true,null]}"#),
        "compact, in the stub's key order: {text}"
    );

    assert_eq!(
        &a.mock(Method::GET, "/bin", &[], "").await.body[..],
        &[0, 1, 2, 255]
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stubs_match_by_priority_then_newest_and_every_matcher_applies() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"request": {"urlPath": "/p"}, "response": {"body": "older"}}))
        .await;
    a.stub(json!({"request": {"urlPath": "/p"}, "response": {"body": "newer"}}))
        .await;
    assert_eq!(a.mock(Method::GET, "/p", &[], "").await.text(), "newer");
    a.stub(json!({"priority": 1, "request": {"urlPath": "/p"}, "response": {"body": "first"}}))
        .await;
    a.stub(json!({"priority": 10, "request": {"urlPath": "/p"}, "response": {"body": "last"}}))
        .await;
    assert_eq!(a.mock(Method::GET, "/p", &[], "").await.text(), "first");

    a.stub(json!({"request": {
        "method": "POST", "urlPath": "/orders",
        "queryParameters": {"dry": {"equalTo": "true"}},
        "headers": {"X-Api-Key": {"matches": "key-[0-9]+"}},
        "bodyPatterns": [{"matchesJsonPath": "$.items[?(@.qty > 1)]"}, {"equalToJson": {"items": [{"sku": "a", "qty": 2}]}, "ignoreExtraElements": true}]
    }, "response": {"status": 201, "body": "matched"}}))
    .await;
    let good = a
        .mock(
            Method::POST,
            "/orders?dry=true",
            &[("x-api-key", "key-42")],
            r#"{"items":[{"sku":"a","qty":2,"note":"x"}],"id":1}"#,
        )
        .await;
    assert_eq!(
        (good.status, good.text().as_str()),
        (StatusCode::CREATED, "matched")
    );
    for (query, key, body) in [
        ("dry=false", "key-42", r#"{"items":[{"sku":"a","qty":2}]}"#),
        ("dry=true", "nokey", r#"{"items":[{"sku":"a","qty":2}]}"#),
        ("dry=true", "key-42", r#"{"items":[{"sku":"a","qty":1}]}"#),
    ] {
        let r = a
            .mock(
                Method::POST,
                &format!("/orders?{query}"),
                &[("x-api-key", key)],
                body,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{query} {key} {body}");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_scoped_stub_overrides_one_plugin_route_by_host_and_by_prefix() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    let stub = a
        .stub(
            json!({"request": {"method": "GET", "urlPath": "/users/7", "service": "example"},
            "response": {"status": 200, "jsonBody": {"id": 7, "name": "Stubbed"}}}),
        )
        .await;
    let by_prefix = a.mock(Method::GET, "/example/users/7", &[], "").await;
    assert_eq!(by_prefix.json()["name"], "Stubbed");
    let by_host = a
        .mock(Method::GET, "/users/7", &[("host", "example")], "")
        .await;
    assert_eq!(by_host.json()["name"], "Stubbed");
    // Other routes, and the same path on another service, still reach plugins.
    assert_ne!(
        a.mock(Method::GET, "/example/users/8", &[], "")
            .await
            .json()["name"],
        "Stubbed"
    );
    assert_ne!(
        a.mock(Method::GET, "/other_service/users/7", &[], "")
            .await
            .json()["name"],
        "Stubbed"
    );

    a.call(
        Method::DELETE,
        &format!("/__admin/mappings/{}", stub["id"].as_str().unwrap()),
        "",
    )
    .await;
    let restored = a.mock(Method::GET, "/example/users/7", &[], "").await;
    assert_eq!(restored.json()["id"], 7);
    assert_ne!(restored.json()["name"], "Stubbed");

    // Without `service`, a stub matches the path as received, on any host.
    a.stub(json!({"request": {"urlPath": "/example/users/9"}, "response": {"body": "raw path"}}))
        .await;
    assert_eq!(
        a.mock(Method::GET, "/example/users/9", &[("host", "anything")], "")
            .await
            .text(),
        "raw path"
    );
    assert_eq!(
        a.mock(Method::GET, "/users/9", &[("host", "example")], "")
            .await
            .status,
        StatusCode::OK
    );
    assert_ne!(
        a.mock(Method::GET, "/users/9", &[("host", "example")], "")
            .await
            .text(),
        "raw path"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_records_what_answered_and_counts_finds_and_resets() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    let stub = a
        .stub(json!({"request": {"urlPath": "/stubbed"}, "response": {"status": 204}}))
        .await;
    a.mock(Method::GET, "/example/users/1", &[], "").await;
    a.mock(Method::GET, "/example/users/1?x=1", &[], "").await;
    a.mock(
        Method::POST,
        "/example/users",
        &[("content-type", "application/json")],
        r#"{"name":"Jo"}"#,
    )
    .await;
    a.mock(Method::GET, "/stubbed", &[], "").await;
    a.mock(Method::GET, "/nowhere/at/all", &[], "").await;
    a.get("/__admin/mappings").await; // admin calls are not journaled

    let all = a.get("/__admin/requests").await.json();
    assert_eq!(all["meta"]["total"], 5, "{all}");
    assert_eq!(all["requestJournalDisabled"], false);
    let entries = all["requests"].as_array().unwrap();
    assert_eq!(
        entries[0]["request"]["url"], "/nowhere/at/all",
        "newest first"
    );
    assert_eq!(entries[0]["wasMatched"], false);
    assert_eq!(
        entries[1]["answeredBy"],
        json!({"kind": "stub", "id": stub["id"]})
    );
    assert_eq!(entries[1]["stubMapping"]["id"], stub["id"]);
    assert_eq!(entries[2]["answeredBy"]["kind"], "plugin");
    assert_eq!(entries[2]["answeredBy"]["route"], "POST /users");
    assert_eq!(entries[2]["request"]["body"], r#"{"name":"Jo"}"#);
    assert_eq!(entries[2]["request"]["service"], "example");
    assert_eq!(entries[2]["response"]["status"], 201);
    assert!(entries[2]["timing"]["processTime"].is_u64());

    assert_eq!(
        a.count(json!({"method": "GET", "urlPath": "/example/users/1"}))
            .await,
        2
    );
    assert_eq!(
        a.count(json!({"method": "GET", "url": "/example/users/1"}))
            .await,
        1
    );
    assert_eq!(
        a.count(json!({"urlPath": "/users/1", "service": "example"}))
            .await,
        2
    );
    assert_eq!(
        a.count(json!({"bodyPatterns": [{"matchesJsonPath": "$.name"}]}))
            .await,
        1
    );
    assert_eq!(a.count(json!({})).await, 5);
    let found = a
        .post("/__admin/requests/find", json!({"method": "POST"}))
        .await
        .json();
    assert_eq!(found["requests"][0]["url"], "/example/users");
    let unmatched = a.get("/__admin/requests/unmatched").await.json();
    assert_eq!(unmatched["requests"].as_array().unwrap().len(), 1);
    assert_eq!(unmatched["requests"][0]["url"], "/nowhere/at/all");
    assert_eq!(
        a.get("/__admin/requests?limit=2").await.json()["requests"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let id = entries[0]["id"].as_str().unwrap();
    assert_eq!(
        a.get(&format!("/__admin/requests/{id}")).await.json()["id"],
        id
    );
    assert_eq!(
        a.call(Method::DELETE, &format!("/__admin/requests/{id}"), "")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        a.get(&format!("/__admin/requests/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(a.count(json!({})).await, 4);

    a.call(Method::POST, "/__admin/requests/reset", "").await;
    assert_eq!(a.count(json!({})).await, 0);
    a.mock(Method::GET, "/example/users", &[], "").await;
    a.call(Method::DELETE, "/__admin/requests", "").await;
    assert_eq!(a.count(json!({})).await, 0);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_is_bounded_and_can_be_disabled() {
    let (server, _dir) = server_with(|c| c.journal_size = 20).await;
    let a = Admin::new(&server);
    for i in 0..100 {
        a.mock(Method::GET, &format!("/example/users/{i}"), &[], "")
            .await;
    }
    let kept = a.get("/__admin/requests").await.json()["meta"]["total"]
        .as_u64()
        .unwrap();
    assert!((20..=32).contains(&kept), "kept {kept}");
    server.shutdown().await;

    let (server, _dir) = server_with(|c| c.journal_size = 0).await;
    let a = Admin::new(&server);
    assert_eq!(
        a.mock(Method::GET, "/example/users/1", &[], "")
            .await
            .status,
        StatusCode::OK
    );
    let all = a.get("/__admin/requests").await.json();
    assert_eq!(
        (
            all["meta"]["total"].clone(),
            all["requestJournalDisabled"].clone()
        ),
        (json!(0), json!(true))
    );
    server.shutdown().await;
}

const STATUS: &str = "X-Fake-Servicer-Next-Request-Status";
const BODY: &str = "X-Fake-Servicer-Next-Request-Body";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_request_headers_arm_a_one_shot_answer() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    // Arm a 403 for the next GET /users on example (here by prefix) …
    let armed = a
        .mock(
            Method::GET,
            "/example/users",
            &[(STATUS, "403"), (BODY, r#"{"error":"Auth error"}"#)],
            "",
        )
        .await;
    assert_eq!(armed.status, StatusCode::ACCEPTED, "{}", armed.text());
    assert_eq!(armed.json()["armed"]["status"], 403);
    // … the next call (here by Host) gets it, once.
    let hit = a
        .mock(Method::GET, "/users", &[("host", "example")], "")
        .await;
    assert_eq!(
        (hit.status, hit.text().as_str()),
        (StatusCode::FORBIDDEN, r#"{"error":"Auth error"}"#)
    );
    let after = a.mock(Method::GET, "/example/users", &[], "").await;
    assert_eq!(after.status, StatusCode::OK);
    assert!(after.json().is_array(), "back to the plugin");

    // Only the same method and path are affected; FIFO and Times.
    a.mock(
        Method::GET,
        "/example/users/1",
        &[(STATUS, "500"), ("X-Fake-Servicer-Next-Request-Times", "2")],
        "",
    )
    .await;
    a.mock(Method::GET, "/example/users/1", &[(STATUS, "503")], "")
        .await;
    assert_eq!(
        a.mock(Method::GET, "/example/users/2", &[], "")
            .await
            .status,
        StatusCode::OK
    );
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(
                a.mock(Method::GET, "/example/users/1", &[], "")
                    .await
                    .status
                    .as_u16(),
            );
        }
        v
    };
    assert_eq!(statuses, [500, 500, 503, 200]);

    // Unset parts come from the handler: only the status changes here.
    a.mock(
        Method::GET,
        "/example/users/5",
        &[
            (STATUS, "202"),
            (
                "X-Fake-Servicer-Next-Request-Headers",
                r#"{"X-Extra": "yes"}"#,
            ),
        ],
        "",
    )
    .await;
    let mixed = a.mock(Method::GET, "/example/users/5", &[], "").await;
    assert_eq!(mixed.status, StatusCode::ACCEPTED);
    assert_eq!(mixed.json()["id"], 5, "the handler's body");
    assert_eq!(mixed.header("x-extra"), Some("yes"));
    assert_eq!(
        mixed.header("content-type"),
        Some("application/json"),
        "the handler's headers"
    );

    // Armed answers show in the journal.
    let journal = a.get("/__admin/requests?limit=1").await.json();
    assert_eq!(journal["requests"][0]["answeredBy"]["kind"], "override");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_override_header_is_refused_and_nothing_is_armed() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    for (name, value) in [
        (STATUS, "forbidden"),
        ("X-Fake-Servicer-Next-Request-Headers", "not json"),
        ("X-Fake-Servicer-Next-Request-Times", "0"),
        ("X-Fake-Servicer-Next-Request-Delay", "soon"),
        ("X-Fake-Servicer-Next-Request-Fault", "MELTDOWN"),
        ("X-Fake-Servicer-Next-Request-Stauts", "403"),
    ] {
        let r = a
            .mock(
                Method::GET,
                "/example/users/3",
                &[(STATUS, "418"), (name, value)],
                "",
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {value}");
        assert_eq!(
            r.json()["header"].as_str().unwrap().to_ascii_lowercase(),
            name.to_ascii_lowercase()
        );
        let next = a.mock(Method::GET, "/example/users/3", &[], "").await;
        assert_eq!(
            next.status,
            StatusCode::OK,
            "nothing armed after {name}: {value}"
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delays_are_carried_out_for_stubs_overrides_and_settings() {
    let (server, _dir) = server().await;
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

    a.mock(
        Method::GET,
        "/example/users/1",
        &[("X-Fake-Servicer-Next-Request-Delay", "300")],
        "",
    )
    .await;
    let started = Instant::now();
    let delayed = a.mock(Method::GET, "/example/users/1", &[], "").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(delayed.json()["id"], 1);

    let set = a
        .post("/__admin/settings", json!({"fixedDelay": 250}))
        .await;
    assert_eq!(set.status, StatusCode::OK);
    assert_eq!(
        a.get("/__admin/settings").await.json()["settings"]["fixedDelay"],
        250
    );
    a.stub(json!({"request": {"urlPath": "/quick"}})).await;
    let started = Instant::now();
    a.mock(Method::GET, "/quick", &[], "").await;
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "the global delay applies to stubs"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_from_stubs_and_overrides_happen_on_the_socket() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    for fault in [
        "CONNECTION_RESET_BY_PEER",
        "EMPTY_RESPONSE",
        "MALFORMED_RESPONSE_CHUNK",
        "RANDOM_DATA_THEN_CLOSE",
    ] {
        a.stub(json!({"request": {"urlPath": format!("/fault/{fault}")}, "response": {"fault": fault}})).await;
    }
    a.mock(
        Method::GET,
        "/example/users",
        &[("X-Fake-Servicer-Next-Request-Fault", "EMPTY_RESPONSE")],
        "",
    )
    .await;
    let addr = server.addr();
    let results = tokio::task::spawn_blocking(move || {
        let get = |p: &str| raw(addr, &format!("GET {p} HTTP/1.1\r\nHost: x\r\n\r\n"));
        (
            get("/fault/CONNECTION_RESET_BY_PEER"),
            get("/fault/EMPTY_RESPONSE"),
            get("/fault/MALFORMED_RESPONSE_CHUNK"),
            get("/fault/RANDOM_DATA_THEN_CLOSE"),
            get("/example/users"),
        )
    })
    .await
    .unwrap();
    let reset = results.0.expect_err("reset");
    assert_eq!(reset.kind(), std::io::ErrorKind::ConnectionReset, "{reset}");
    assert_eq!(results.1.unwrap(), b"");
    let malformed = String::from_utf8_lossy(&results.2.unwrap()).into_owned();
    assert!(malformed.starts_with("HTTP/1.1 200 OK\r\n"), "{malformed}");
    let random = results.3.unwrap();
    assert!(!random.is_empty() && !random.starts_with(b"HTTP/"));
    assert_eq!(results.4.unwrap(), b"", "an override fault");
    assert_eq!(
        a.mock(Method::GET, "/example/users/1", &[], "")
            .await
            .status,
        StatusCode::OK
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapping_files_load_hot_reload_and_reset_returns_to_exactly_them() {
    let stubs = tempfile::tempdir().unwrap();
    std::fs::write(
        stubs.path().join("one.json"),
        json!({"request": {"urlPath": "/from-file"}, "response": {"body": "file v1"}}).to_string(),
    )
    .unwrap();
    std::fs::write(
        stubs.path().join("many.json"),
        json!({"mappings": [
            {"request": {"urlPath": "/m1"}, "response": {"body": "m1"}},
            {"request": {"urlPath": "/m2", "service": "example"}, "response": {"body": "m2"}}
        ]})
        .to_string(),
    )
    .unwrap();
    std::fs::write(stubs.path().join("broken.json"), "{ not json").unwrap();
    std::fs::write(stubs.path().join("notes.txt"), "ignored").unwrap();
    let dir = stubs.path().to_owned();
    let (server, _plugins) = server_with(move |c| c.mappings = Some(dir)).await;
    let a = Admin::new(&server);

    assert_eq!(
        a.mock(Method::GET, "/from-file", &[], "").await.text(),
        "file v1"
    );
    assert_eq!(a.mock(Method::GET, "/m1", &[], "").await.text(), "m1");
    assert_eq!(
        a.mock(Method::GET, "/example/m2", &[], "").await.text(),
        "m2"
    );
    assert_eq!(
        a.get("/__admin/mappings").await.json()["meta"]["total"],
        3,
        "the broken file is refused, the others load"
    );

    // API changes, then a reset: back to exactly the files.
    a.stub(json!({"request": {"urlPath": "/api-made"}})).await;
    a.call(Method::DELETE, "/__admin/mappings", "").await;
    assert_eq!(
        a.mock(Method::GET, "/m1", &[], "").await.status,
        StatusCode::NOT_FOUND
    );
    a.stub(json!({"request": {"urlPath": "/api-made"}})).await;
    assert_eq!(
        a.call(Method::POST, "/__admin/mappings/reset", "")
            .await
            .status,
        StatusCode::OK
    );
    let after = a.get("/__admin/mappings").await.json();
    assert_eq!(after["meta"]["total"], 3, "{after}");
    assert_eq!(
        a.mock(Method::GET, "/api-made", &[], "").await.status,
        StatusCode::NOT_FOUND
    );

    // Hot reload: a changed file replaces its stubs; a bad edit keeps them.
    let one = stubs.path().join("one.json");
    std::fs::write(
        &one,
        json!({"request": {"urlPath": "/from-file"}, "response": {"body": "file v2"}}).to_string(),
    )
    .unwrap();
    eventually(Duration::from_secs(10), "file v2", || async {
        let t = a.mock(Method::GET, "/from-file", &[], "").await.text();
        if t == "file v2" { Ok(()) } else { Err(t) }
    })
    .await;
    std::fs::write(&one, "{\"request\": {\"urlPath\": 5}}").unwrap();
    std::fs::write(
        stubs.path().join("marker.json"),
        json!({"request": {"urlPath": "/marker"}}).to_string(),
    )
    .unwrap();
    eventually(Duration::from_secs(10), "the marker file", || async {
        let s = a.mock(Method::GET, "/marker", &[], "").await.status;
        if s == StatusCode::OK {
            Ok(())
        } else {
            Err(s.to_string())
        }
    })
    .await;
    assert_eq!(
        a.mock(Method::GET, "/from-file", &[], "").await.text(),
        "file v2",
        "a bad edit keeps the old stubs"
    );

    std::fs::remove_file(stubs.path().join("many.json")).unwrap();
    eventually(
        Duration::from_secs(10),
        "many.json's stubs to go",
        || async {
            let s = a.mock(Method::GET, "/m1", &[], "").await.status;
            if s == StatusCode::NOT_FOUND {
                Ok(())
            } else {
                Err(s.to_string())
            }
        },
    )
    .await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_reset_clears_stubs_journal_overrides_and_scenarios() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"scenarioName": "checkout", "requiredScenarioState": "Started", "newScenarioState": "paid",
        "request": {"urlPath": "/order"}, "response": {"body": "unpaid"}}))
    .await;
    a.stub(
        json!({"scenarioName": "checkout", "requiredScenarioState": "paid",
        "request": {"urlPath": "/order"}, "response": {"body": "paid"}}),
    )
    .await;
    assert_eq!(
        a.mock(Method::GET, "/order", &[], "").await.text(),
        "unpaid"
    );
    assert_eq!(a.mock(Method::GET, "/order", &[], "").await.text(), "paid");
    assert_eq!(
        a.get("/__admin/scenarios").await.json()["scenarios"][0]["state"],
        "paid"
    );
    a.call(Method::POST, "/__admin/scenarios/reset", "").await;
    assert_eq!(
        a.mock(Method::GET, "/order", &[], "").await.text(),
        "unpaid"
    );

    a.mock(Method::GET, "/example/users", &[(STATUS, "500")], "")
        .await;
    assert_eq!(
        a.call(Method::POST, "/__admin/reset", "").await.status,
        StatusCode::OK
    );
    assert_eq!(
        a.mock(Method::GET, "/example/users", &[], "").await.status,
        StatusCode::OK,
        "override disarmed"
    );
    assert_eq!(
        a.mock(Method::GET, "/order", &[], "").await.status,
        StatusCode::NOT_FOUND,
        "stubs gone"
    );
    assert_eq!(
        a.count(json!({})).await,
        2,
        "journal restarted at the reset"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_admin_token_the_admin_api_needs_it_and_services_do_not() {
    let (server, _dir) = server_with(|c| c.admin_token = Some("s3cret".to_owned())).await;
    let a = Admin::new(&server);
    let url = |p: &str| format!("{}{p}", server.url());
    for path in [
        "/__admin/mappings",
        "/__admin/requests",
        "/__admin",
        "/__admin/services",
        "/__admin/nonsense",
    ] {
        let none = a.http.send(Method::GET, &url(path), &[], "").await.unwrap();
        assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{path}");
        let wrong = a
            .http
            .send(
                Method::GET,
                &url(path),
                &[("authorization", "Bearer s3creT")],
                "",
            )
            .await
            .unwrap();
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let ok = a
        .http
        .send(
            Method::GET,
            &url("/__admin/mappings"),
            &[("authorization", "Bearer s3cret")],
            "",
        )
        .await
        .unwrap();
    assert_eq!(ok.status, StatusCode::OK);
    let create = a
        .http
        .send(
            Method::POST,
            &url("/__admin/mappings"),
            &[("authorization", "Bearer s3cret")],
            json!({"request": {"urlPath": "/t"}}).to_string(),
        )
        .await
        .unwrap();
    assert_eq!(create.status, StatusCode::CREATED);
    assert_eq!(
        a.get("/__admin/health").await.status,
        StatusCode::OK,
        "health stays open"
    );
    assert_eq!(
        a.mock(Method::GET, "/example/users/1", &[], "")
            .await
            .status,
        StatusCode::OK,
        "services need no token"
    );
    assert_eq!(
        a.mock(Method::GET, "/t", &[], "").await.status,
        StatusCode::OK
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_admin_creates_lose_none() {
    let (server, _dir) = server().await;
    let base = server.url();
    let creates: Vec<_> = (0..400)
        .map(|i| {
            let (http, base) = (Http::new(), base.clone());
            tokio::spawn(async move {
                let body = json!({"request": {"urlPath": format!("/c/{i}")}, "response": {"body": format!("{i}")}});
                http.send(Method::POST, &format!("{base}/__admin/mappings"), &[], body.to_string())
                    .await
                    .map(|r| r.status)
            })
        })
        .collect();
    for c in creates {
        assert_eq!(c.await.unwrap(), Ok(StatusCode::CREATED));
    }
    let a = Admin::new(&server);
    assert_eq!(
        a.get("/__admin/mappings").await.json()["meta"]["total"],
        400
    );
    for i in [0, 199, 399] {
        assert_eq!(
            a.mock(Method::GET, &format!("/c/{i}"), &[], "")
                .await
                .text(),
            i.to_string()
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_armed_override_is_served_exactly_once_under_concurrency() {
    let (server, _dir) = server().await;
    let base = server.url();
    let n = 100;
    let arms: Vec<_> = (0..n)
        .map(|i| {
            let (http, base) = (Http::new(), base.clone());
            tokio::spawn(async move {
                http.send(
                    Method::GET,
                    &format!("{base}/example/users/1"),
                    &[(BODY, &format!("armed-{i}"))],
                    "",
                )
                .await
                .map(|r| r.status)
            })
        })
        .collect();
    for a in arms {
        assert_eq!(a.await.unwrap(), Ok(StatusCode::ACCEPTED));
    }
    let serves: Vec<_> = (0..n + 20)
        .map(|_| {
            let (http, base) = (Http::new(), base.clone());
            tokio::spawn(async move { http.get(&format!("{base}/example/users/1")).await.text() })
        })
        .collect();
    let mut armed = Vec::new();
    let mut plugin = 0;
    for s in serves {
        let body = s.await.unwrap();
        match body.strip_prefix("armed-") {
            Some(i) => armed.push(i.parse::<usize>().unwrap()),
            None => plugin += 1,
        }
    }
    armed.sort_unstable();
    assert_eq!(
        armed,
        (0..n).collect::<Vec<_>>(),
        "every armed answer exactly once"
    );
    assert_eq!(plugin, 20, "the rest reach the plugin");
    server.shutdown().await;
}

/// The `meta.total` and the request urls of `GET /__admin/requests{query}`.
async fn journal_page(a: &Admin, query: &str) -> (u64, Vec<String>) {
    let page = a.get(&format!("/__admin/requests{query}")).await.json();
    let urls = page["requests"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|e| e["request"]["url"].as_str().unwrap_or_default().to_owned())
        .collect();
    (page["meta"]["total"].as_u64().unwrap_or_default(), urls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_of_size_one_keeps_one_entry() {
    let (server, _dir) = server_with(|c| c.journal_size = 1).await;
    let a = Admin::new(&server);
    for i in 0..40 {
        a.mock(Method::GET, &format!("/nowhere/{i}"), &[], "").await;
    }
    assert_eq!(
        journal_page(&a, "").await,
        (1, vec!["/nowhere/39".to_owned()])
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_of_size_one_hundred_keeps_the_newest_hundred_entries() {
    let (server, _dir) = server_with(|c| c.journal_size = 100).await;
    let a = Admin::new(&server);
    for i in 0..250 {
        a.mock(Method::GET, &format!("/nowhere/{i}"), &[], "").await;
    }
    let (total, urls) = journal_page(&a, "").await;
    let newest: Vec<String> = (150..250).rev().map(|i| format!("/nowhere/{i}")).collect();
    assert_eq!((total, urls), (100, newest));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_the_journal_answers_one_page_of_at_most_limit_entries_with_the_total() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    for i in 0..1100 {
        a.mock(Method::GET, &format!("/nowhere/{i}"), &[], "").await;
    }
    let (total, urls) = journal_page(&a, "").await;
    assert_eq!((total, urls.len()), (1100, 1000), "the default limit");
    assert_eq!(urls[0], "/nowhere/1099", "newest first");
    let (total, urls) = journal_page(&a, "?limit=3").await;
    assert_eq!(
        (total, urls),
        (
            1100,
            vec![
                "/nowhere/1099".to_owned(),
                "/nowhere/1098".to_owned(),
                "/nowhere/1097".to_owned()
            ]
        )
    );
    let (_, urls) = journal_page(&a, "?limit=5000").await;
    assert_eq!(urls.len(), 1100, "a larger limit reads further");
    let page = a.get("/__admin/requests?limit=0").await.json();
    assert_eq!(
        page,
        json!({"requests": [], "meta": {"total": 1100}, "requestJournalDisabled": false})
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_entry_shows_the_stub_that_answered_while_it_exists() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    let stub = a
        .stub(
            json!({"request": {"urlPath": "/shown"}, "response": {"status": 201, "body": "made"}}),
        )
        .await;
    let id = stub["id"].as_str().unwrap().to_owned();
    assert_eq!(
        a.mock(Method::GET, "/shown", &[], "").await.status,
        StatusCode::CREATED
    );
    let entry = a.get("/__admin/requests?limit=1").await.json()["requests"][0].clone();
    assert_eq!(entry["stubMapping"], stub);
    assert_eq!(
        entry["responseDefinition"],
        json!({"status": 201, "body": "made"})
    );
    a.call(Method::DELETE, &format!("/__admin/mappings/{id}"), "")
        .await;
    let entry = a.get("/__admin/requests?limit=1").await.json()["requests"][0].clone();
    assert_eq!(entry["stubMapping"], json!({"id": id, "uuid": id}));
    assert_eq!(entry["answeredBy"], json!({"kind": "stub", "id": id}));
    assert_eq!(entry["responseDefinition"], json!({"status": 201}));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arming_past_the_override_count_cap_answers_507_naming_the_flag_and_arms_nothing() {
    let (server, _dir) = server_with(|c| c.max_armed_overrides = 3).await;
    let a = Admin::new(&server);
    for i in 0..3 {
        let r = a
            .mock(
                Method::GET,
                &format!("/example/users/{i}"),
                &[(STATUS, "500")],
                "",
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    }
    let full = a
        .mock(Method::GET, "/example/users/3", &[(STATUS, "500")], "")
        .await;
    assert_eq!(full.status, StatusCode::INSUFFICIENT_STORAGE);
    let error = full.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        error.contains("3 armed overrides") && error.contains("--max-armed-overrides"),
        "{error}"
    );
    assert_eq!(full.json()["armed"], false);
    assert_eq!(
        a.mock(Method::GET, "/example/users/3", &[], "")
            .await
            .status,
        StatusCode::OK,
        "nothing armed"
    );
    // Served overrides make room; a reset frees them all.
    assert_eq!(
        a.mock(Method::GET, "/example/users/0", &[], "")
            .await
            .status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let r = a
        .mock(Method::GET, "/example/users/4", &[(STATUS, "500")], "")
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    a.call(Method::POST, "/__admin/reset", "").await;
    for i in 10..13 {
        let r = a
            .mock(
                Method::GET,
                &format!("/example/users/{i}"),
                &[(STATUS, "500")],
                "",
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::ACCEPTED,
            "after a reset: {}",
            r.text()
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arming_past_the_override_byte_cap_answers_507_naming_the_flag_and_arms_nothing() {
    let (server, _dir) = server_with(|c| c.max_armed_override_bytes = 100_000).await;
    let a = Admin::new(&server);
    let body = "b".repeat(40_000);
    for i in 0..2 {
        let r = a
            .mock(
                Method::GET,
                &format!("/example/users/{i}"),
                &[(BODY, &body)],
                "",
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    }
    let full = a
        .mock(Method::GET, "/example/users/2", &[(BODY, &body)], "")
        .await;
    assert_eq!(full.status, StatusCode::INSUFFICIENT_STORAGE);
    let error = full.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        error.contains("100000 bytes") && error.contains("--max-armed-override-bytes"),
        "{error}"
    );
    let next = a.mock(Method::GET, "/example/users/2", &[], "").await;
    assert_eq!(next.json()["id"], 2, "nothing armed: {}", next.text());
    a.call(Method::POST, "/__admin/reset", "").await;
    let r = a
        .mock(Method::GET, "/example/users/5", &[(BODY, &body)], "")
        .await;
    assert_eq!(
        r.status,
        StatusCode::ACCEPTED,
        "after a reset: {}",
        r.text()
    );
    server.shutdown().await;
}
