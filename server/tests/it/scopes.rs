//! Scopes and waits over real HTTP: tests sharing one server tag their
//! requests (`X-Fake-Servicer-Scope`, `baggage`, `traceparent`), their
//! overrides and their stubs with a scope and do not see each other's;
//! `POST /__admin/requests/wait` blocks until requests arrive.

use fake_servicer_server::Config;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use testkit::{Admin, TestServer, eventually, serve};

const SCOPE: &str = "X-Fake-Servicer-Scope";
const STATUS: &str = "X-Fake-Servicer-Next-Request-Status";
const BODY: &str = "X-Fake-Servicer-Next-Request-Body";
const NEXT_SCOPE: &str = "X-Fake-Servicer-Next-Request-Scope";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// A server without plugins whose `shop` service has one unscoped stub:
/// `GET /shop/price` → "base".
async fn server(adjust: impl FnOnce(&mut Config)) -> (TestServer, Admin) {
    let server = serve(&[], adjust).await;
    let a = Admin::new(&server);
    a.stub(json!({
        "request": {"method": "GET", "urlPath": "/price", "service": "shop"},
        "response": {"status": 200, "body": "base"}
    }))
    .await;
    (server, a)
}

/// `GET /shop/price` with `headers`: status and body.
async fn price(a: &Admin, headers: &[(&str, &str)]) -> (u16, String) {
    let r = a.mock(Method::GET, "/shop/price", headers, "").await;
    (r.status.as_u16(), r.text())
}

/// Waits until only the unscoped stub of [`server`] is left (the scoped
/// ones expired), for at most `limit`.
async fn only_the_base_stub_within(a: &Admin, limit: Duration) {
    eventually(limit, "the idle scopes' stubs to go", || async {
        let total = a.get("/__admin/mappings").await.json()["meta"]["total"].clone();
        if total == 1 {
            Ok(())
        } else {
            Err(total.to_string())
        }
    })
    .await;
}

/// An admin call with extra headers.
async fn admin_call(
    a: &Admin,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> testkit::Reply {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    a.http
        .send(method, &format!("{}{path}", a.base), &all, body.to_string())
        .await
        .expect("admin call")
}

fn traceparent(trace_id: &str) -> String {
    format!("00-{trace_id}-00f067aa0ba902b7-01")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scoped_override_answers_only_requests_of_its_scope() {
    let (_server, a) = server(|_| {}).await;
    let armed = a
        .mock(
            Method::GET,
            "/shop/price",
            &[(STATUS, "503"), (BODY, "for a"), (NEXT_SCOPE, "a")],
            "",
        )
        .await;
    assert_eq!(armed.status, StatusCode::ACCEPTED, "{}", armed.text());
    assert_eq!(armed.json()["armed"]["scope"], "a");
    assert_eq!(price(&a, &[]).await, (200, "base".into()), "unscoped");
    assert_eq!(
        price(&a, &[(SCOPE, "b")]).await,
        (200, "base".into()),
        "other scope"
    );
    assert_eq!(price(&a, &[(SCOPE, "a")]).await, (503, "for a".into()));
    assert_eq!(
        price(&a, &[(SCOPE, "a")]).await,
        (200, "base".into()),
        "used up"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_arming_request_carrying_a_scope_in_baggage_arms_for_that_scope() {
    let (_server, a) = server(|_| {}).await;
    let baggage = [("baggage", "user=7,fake-servicer-scope=t1")];
    let mut arming = baggage.to_vec();
    arming.push((STATUS, "418"));
    let armed = a.mock(Method::GET, "/shop/price", &arming, "").await;
    assert_eq!(armed.json()["armed"]["scope"], "t1");
    assert_eq!(price(&a, &[(SCOPE, "t2")]).await.0, 200);
    assert_eq!(price(&a, &baggage).await.0, 418);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_scopes_arming_the_same_endpoint_each_get_their_own_answer() {
    let (_server, a) = server(|_| {}).await;
    for s in ["a", "b"] {
        let body = format!("for {s}");
        a.mock(
            Method::GET,
            "/shop/price",
            &[(BODY, &body), (NEXT_SCOPE, s)],
            "",
        )
        .await;
    }
    assert_eq!(price(&a, &[(SCOPE, "b")]).await.1, "for b");
    assert_eq!(price(&a, &[(SCOPE, "a")]).await.1, "for a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_created_with_the_scope_header_matches_only_its_scope_and_wins_over_unscoped() {
    let (_server, a) = server(|_| {}).await;
    let r = admin_call(
        &a,
        Method::POST,
        "/__admin/mappings",
        &[(SCOPE, "a")],
        json!({"request": {"method": "GET", "urlPath": "/price", "service": "shop"},
               "response": {"status": 200, "body": "scoped"}, "priority": 9}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["metadata"]["fake-servicer"]["scope"], "a");
    assert_eq!(
        price(&a, &[(SCOPE, "a")]).await.1,
        "scoped",
        "wins despite a lower priority"
    );
    assert_eq!(price(&a, &[(SCOPE, "b")]).await.1, "base");
    assert_eq!(price(&a, &[]).await.1, "base");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_scoped_in_its_metadata_matches_the_trace_id_of_a_traceparent() {
    let (_server, a) = server(|_| {}).await;
    a.stub(
        json!({"request": {"method": "GET", "urlPath": "/price", "service": "shop"},
                  "response": {"body": "traced"},
                  "metadata": {"fake-servicer": {"scope": TRACE_ID}}}),
    )
    .await;
    let tp = traceparent(TRACE_ID);
    assert_eq!(price(&a, &[("traceparent", &tp)]).await.1, "traced");
    let other = traceparent("0af7651916cd43dd8448eb211c80319c");
    assert_eq!(price(&a, &[("traceparent", &other)]).await.1, "base");
    let bad = admin_call(
        &a,
        Method::POST,
        "/__admin/mappings",
        &[],
        json!({"request": {"url": "/x"}, "metadata": {"fake-servicer": {"scope": 7}}}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.json()["errors"][0]["source"]["pointer"],
        "/metadata/fake-servicer/scope"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_with_the_scope_header_scopes_every_mapping() {
    let (_server, a) = server(|_| {}).await;
    let r = admin_call(
        &a,
        Method::POST,
        "/__admin/mappings/import",
        &[(SCOPE, "imp")],
        json!({"mappings": [{"request": {"method": "GET", "urlPath": "/price", "service": "shop"},
                             "response": {"body": "imported"}}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(price(&a, &[(SCOPE, "imp")]).await.1, "imported");
    assert_eq!(price(&a, &[]).await.1, "base");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_records_scopes_and_filters_by_them() {
    let (_server, a) = server(|_| {}).await;
    price(&a, &[(SCOPE, "a")]).await;
    let tp = traceparent(TRACE_ID);
    price(&a, &[(SCOPE, "b"), ("traceparent", &tp)]).await;
    price(&a, &[]).await;
    let listed = a.get("/__admin/requests?scope=b").await.json();
    let requests = listed["requests"].as_array().expect("requests");
    assert_eq!(requests.len(), 1, "{listed}");
    assert_eq!(requests[0]["request"]["scopes"], json!(["b", TRACE_ID]));
    let all = a.get("/__admin/requests").await.json();
    assert_eq!(all["requests"].as_array().map(Vec::len), Some(3));
    assert!(
        all["requests"][0]["request"].get("scopes").is_none(),
        "none carried"
    );

    let by_field = a
        .post(
            "/__admin/requests/count",
            json!({"urlPath": "/shop/price", "scope": "a"}),
        )
        .await;
    assert_eq!(by_field.json()["count"], 1);
    let by_header = admin_call(
        &a,
        Method::POST,
        "/__admin/requests/count",
        &[(SCOPE, TRACE_ID)],
        json!({}),
    )
    .await;
    assert_eq!(by_header.json()["count"], 1);
    let found = admin_call(
        &a,
        Method::POST,
        "/__admin/requests/find",
        &[(SCOPE, "a")],
        json!({"method": "GET"}),
    )
    .await;
    assert_eq!(found.json()["requests"].as_array().map(Vec::len), Some(1));
    assert_eq!(a.count(json!({"method": "GET"})).await, 3, "no filter: all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_answers_within_milliseconds_of_the_request_arriving() {
    let (_server, a) = server(|_| {}).await;
    let waiter = Admin::at(a.base.clone());
    let wait = tokio::spawn(async move {
        let r = waiter
            .post(
                "/__admin/requests/wait",
                json!({"urlPath": "/shop/price", "scope": "w", "timeoutMs": 10000}),
            )
            .await;
        (r, Instant::now())
    });
    // The wait is in progress once its listener counts (no sleep needed to
    // prove a wake-up: a wait started after the request answers at once too).
    tokio::time::sleep(Duration::from_millis(200)).await;
    price(&a, &[(SCOPE, "other")]).await;
    let sent = Instant::now();
    price(&a, &[(SCOPE, "w")]).await;
    let (r, answered) = wait.await.expect("wait task");
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json();
    assert_eq!(body["count"], 1);
    assert_eq!(body["requests"][0]["scopes"], json!(["w"]));
    let latency = answered.saturating_duration_since(sent);
    eprintln!("wait answered {latency:?} after the request was sent");
    assert!(latency < Duration::from_millis(100), "{latency:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_counts_requests_already_in_the_journal() {
    let (_server, a) = server(|_| {}).await;
    price(&a, &[(SCOPE, "w")]).await;
    price(&a, &[(SCOPE, "w")]).await;
    let started = Instant::now();
    let r = a
        .post(
            "/__admin/requests/wait",
            json!({"method": "GET", "count": 2, "timeoutMs": 5000, "scope": "w"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["count"], 2);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_times_out_with_408_what_did_match_and_the_near_misses() {
    let (_server, a) = server(|_| {}).await;
    price(&a, &[(SCOPE, "w")]).await;
    price(&a, &[(SCOPE, "other")]).await;
    let started = Instant::now();
    let r = a
        .post(
            "/__admin/requests/wait",
            json!({"urlPath": "/shop/price", "count": 2, "timeoutMs": 300, "scope": "w"}),
        )
        .await;
    let took = started.elapsed();
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT, "{}", r.text());
    let body = r.json();
    assert_eq!(body["count"], 1);
    assert_eq!(body["wanted"], 2);
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("1 of 2")),
        "{body}"
    );
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    let bad = a.post("/__admin/requests/wait", json!({"count": 0})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["errors"][0]["source"]["pointer"], "/count");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_longer_than_the_cap_is_cut_to_it() {
    let (_server, a) = server(|c| c.max_wait_timeout = Duration::from_millis(200)).await;
    let started = Instant::now();
    let r = a
        .post(
            "/__admin/requests/wait",
            json!({"url": "/never", "timeoutMs": 60000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_past_the_cap_are_answered_503() {
    let (_server, a) = server(|c| c.max_waiters = 1).await;
    let waiter = Admin::at(a.base.clone());
    let first = tokio::spawn(async move {
        loop {
            // Retried while a probe below holds the only seat.
            let r = waiter
                .post(
                    "/__admin/requests/wait",
                    json!({"url": "/ping", "timeoutMs": 20000}),
                )
                .await;
            if r.status != StatusCode::SERVICE_UNAVAILABLE {
                return r.status;
            }
        }
    });
    eventually(
        Duration::from_secs(10),
        "the first wait to take the seat",
        || async {
            let status = a
                .post(
                    "/__admin/requests/wait",
                    json!({"url": "/never", "timeoutMs": 0}),
                )
                .await
                .status;
            if status == StatusCode::SERVICE_UNAVAILABLE {
                Ok(())
            } else {
                Err(status.to_string())
            }
        },
    )
    .await;
    a.mock(Method::GET, "/ping", &[], "").await;
    assert_eq!(first.await.expect("first wait"), StatusCode::OK);
    let r = a
        .post(
            "/__admin/requests/wait",
            json!({"url": "/never", "timeoutMs": 0}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::REQUEST_TIMEOUT,
        "the seat is given back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_scope_removes_its_stubs_overrides_and_requests_only() {
    let (_server, a) = server(|_| {}).await;
    for s in ["a", "b"] {
        admin_call(
            &a,
            Method::POST,
            "/__admin/mappings",
            &[(SCOPE, s)],
            json!({"request": {"method": "GET", "urlPath": "/price", "service": "shop"},
                   "response": {"body": format!("stub {s}")}}),
        )
        .await;
        a.mock(
            Method::GET,
            "/shop/price",
            &[(STATUS, "500"), (NEXT_SCOPE, s)],
            "",
        )
        .await;
        price(&a, &[(SCOPE, s), (STATUS, "201")]).await;
    }
    let listed = a.get("/__admin/scopes").await.json();
    assert_eq!(
        listed["scopes"],
        json!([
            {"scope": "a", "stubs": 1, "overrides": 2, "requests": 1},
            {"scope": "b", "stubs": 1, "overrides": 2, "requests": 1},
        ]),
        "{listed}"
    );
    let removed = a.delete("/__admin/scopes/a").await;
    assert_eq!(removed.status, StatusCode::OK);
    assert_eq!(
        removed.json()["removed"],
        json!({"stubs": 1, "overrides": 2, "requests": 1})
    );
    assert_eq!(price(&a, &[(SCOPE, "a")]).await, (200, "base".into()));
    assert_eq!(price(&a, &[(SCOPE, "b")]).await, (500, "stub b".into()));
    let listed = a.get("/__admin/scopes").await.json();
    assert_eq!(
        listed["scopes"].as_array().map(|s| s[0]["scope"].clone()),
        Some(json!("a")),
        "a's new request"
    );
    assert_eq!(listed["scopes"][1]["stubs"], 1, "b untouched: {listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_scopes_stubs_and_overrides_expire() {
    let (_server, a) = server(|c| c.scope_idle_timeout = Duration::from_millis(300)).await;
    admin_call(
        &a,
        Method::POST,
        "/__admin/mappings",
        &[(SCOPE, "idle")],
        json!({"request": {"method": "GET", "urlPath": "/price", "service": "shop"},
               "response": {"body": "scoped"}}),
    )
    .await;
    assert_eq!(price(&a, &[(SCOPE, "idle")]).await.1, "scoped");
    only_the_base_stub_within(&a, Duration::from_secs(10)).await;
    assert_eq!(price(&a, &[(SCOPE, "idle")]).await.1, "base");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_scopes_ending_together_go_at_once() {
    let (_server, a) = server(|c| c.scope_idle_timeout = Duration::from_millis(500)).await;
    let scopes = 5_000;
    let mappings: Vec<Value> = (0..scopes)
        .map(|i| {
            json!({"request": {"urlPath": format!("/s{i}"), "service": "shop"},
                   "response": {"body": "scoped"},
                   "metadata": {"fake-servicer": {"scope": format!("scope-{i}")}}})
        })
        .collect();
    let r = admin_call(
        &a,
        Method::POST,
        "/__admin/mappings/import",
        &[],
        json!({"mappings": mappings}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // One scope at a time, each removal re-sorting every stub left, took
    // tens of seconds for this many.
    only_the_base_stub_within(&a, Duration::from_secs(8)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_and_waits_say_when_the_journal_evicted_entries_of_their_scope() {
    let (_server, a) = server(|c| c.journal_size = 2).await;
    for _ in 0..3 {
        price(&a, &[(SCOPE, "e")]).await;
    }
    price(&a, &[(SCOPE, "f")]).await;
    let count = admin_call(
        &a,
        Method::POST,
        "/__admin/requests/count",
        &[(SCOPE, "e")],
        json!({}),
    )
    .await;
    assert_eq!(count.header("x-fake-servicer-journal-evicted"), Some("2"));
    let untouched = admin_call(
        &a,
        Method::POST,
        "/__admin/requests/count",
        &[(SCOPE, "f")],
        json!({}),
    )
    .await;
    assert_eq!(untouched.header("x-fake-servicer-journal-evicted"), None);
    let r = a
        .post(
            "/__admin/requests/wait",
            json!({"scope": "e", "count": 3, "timeoutMs": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT);
    let body = r.json();
    assert_eq!(body["journal"]["evicted"], 2, "{body}");
    assert!(
        body["journal"]["warning"]
            .as_str()
            .is_some_and(|w| w.contains("evicted"))
    );
}

/// A server whose journal keeps two entries, after three `GET /shop/price`
/// of scope `e`: one of them evicted.
async fn after_an_eviction() -> (TestServer, Admin) {
    let (server, a) = server(|c| c.journal_size = 2).await;
    for _ in 0..3 {
        price(&a, &[(SCOPE, "e")]).await;
    }
    (server, a)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_count_no_evicted_entry_could_have_matched_carries_no_eviction_notice() {
    let (_server, a) = after_an_eviction().await;
    for pattern in [
        json!({"method": "POST", "urlPath": "/price", "service": "shop"}),
        json!({"urlPath": "/other", "service": "shop"}),
        json!({"urlPath": "/price", "service": "bank"}),
    ] {
        for path in ["/__admin/requests/count", "/__admin/requests/find"] {
            let r = admin_call(&a, Method::POST, path, &[(SCOPE, "e")], pattern.clone()).await;
            assert_eq!(r.status, StatusCode::OK, "{path} {pattern}: {}", r.text());
            assert_eq!(
                r.header("x-fake-servicer-journal-evicted"),
                None,
                "{path} {pattern}"
            );
        }
    }
    let mut waited = json!({"urlPath": "/other", "service": "shop", "timeoutMs": 0});
    waited["scope"] = "e".into();
    let r = a.post("/__admin/requests/wait", waited).await;
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(r.json()["journal"], Value::Null, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_count_an_evicted_entry_could_have_matched_says_so() {
    let (_server, a) = after_an_eviction().await;
    for pattern in [
        json!({"method": "GET", "urlPath": "/price", "service": "shop"}),
        // The query and headers of evicted entries are not kept.
        json!({"url": "/price?page=2", "service": "shop"}),
        json!({"urlPath": "/shop/price", "headers": {"X-A": {"equalTo": "1"}}}),
    ] {
        let r = admin_call(
            &a,
            Method::POST,
            "/__admin/requests/count",
            &[(SCOPE, "e")],
            pattern.clone(),
        )
        .await;
        assert_eq!(
            r.header("x-fake-servicer-journal-evicted"),
            Some("1"),
            "{pattern}"
        );
    }
    let r = a
        .post(
            "/__admin/requests/wait",
            json!({"urlPath": "/price", "service": "shop", "count": 3, "timeoutMs": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(r.json()["journal"]["evicted"], 1, "{}", r.text());
}

/// An app under test: `GET /checkout` calls the mock's `GET /shop/price`,
/// passing on `traceparent` and `baggage` as an instrumented app does, and
/// answers what the mock answered. Returns its base URL.
async fn app_under_test(mock: String) -> String {
    use axum::{extract::State, http::HeaderMap, routing::get};
    async fn checkout(State(mock): State<String>, headers: HeaderMap) -> String {
        let passed: Vec<(&str, &str)> = ["traceparent", "baggage"]
            .into_iter()
            .filter_map(|n| Some((n, headers.get(n)?.to_str().ok()?)))
            .collect();
        match testkit::Http::new()
            .send(Method::GET, &format!("{mock}/shop/price"), &passed, "")
            .await
        {
            Ok(r) => r.text(),
            Err(e) => format!("mock unreachable: {e}"),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the app");
    let addr = listener.local_addr().expect("app address");
    let router = axum::Router::new()
        .route("/checkout", get(checkout))
        .with_state(mock);
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// `workers` tests at once, `rounds` times: each arms its own answer for
/// the same endpoint (in its own trace's scope when `scoped`), then calls
/// the app; returns how many answers were another test's.
async fn cross_talk(a: &Admin, app: &str, workers: usize, rounds: usize, scoped: bool) -> usize {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(workers));
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (barrier, mock, app) = (barrier.clone(), a.base.clone(), app.to_owned());
        tasks.push(tokio::spawn(async move {
            let http = testkit::Http::new();
            let mut wrong = 0;
            for round in 0..rounds {
                let trace_id = format!("{:016x}{:016x}", w + 1, round + 1);
                let tp = traceparent(&trace_id);
                let mine = format!("worker {w} round {round}");
                let mut arming = vec![(BODY, mine.as_str())];
                if scoped {
                    arming.push((NEXT_SCOPE, trace_id.as_str()));
                }
                let armed = http
                    .send(Method::GET, &format!("{mock}/shop/price"), &arming, "")
                    .await
                    .expect("arm");
                assert_eq!(armed.status, StatusCode::ACCEPTED);
                barrier.wait().await;
                let got = http
                    .send(
                        Method::GET,
                        &format!("{app}/checkout"),
                        &[("traceparent", &tp)],
                        "",
                    )
                    .await
                    .expect("call the app")
                    .text();
                if got != mine {
                    wrong += 1;
                }
                barrier.wait().await;
            }
            wrong
        }));
    }
    let mut wrong = 0;
    for t in tasks {
        wrong += t.await.expect("worker");
    }
    wrong
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_tests_arming_the_same_endpoint_in_their_own_trace_see_no_cross_talk() {
    let (_server, a) = server(|_| {}).await;
    let app = app_under_test(a.base.clone()).await;
    let (workers, rounds) = (8, 125);
    let scoped = cross_talk(&a, &app, workers, rounds, true).await;
    assert_eq!(
        scoped,
        0,
        "{scoped} of {} answers were another test's",
        workers * rounds
    );
    // The same run without scopes: the answers cross.
    let unscoped = cross_talk(&a, &app, workers, 20, false).await;
    eprintln!(
        "without scopes, {unscoped} of {} answers were another test's",
        workers * 20
    );
    assert!(
        unscoped > 0,
        "without scopes the tests should have seen each other's answers"
    );
}

/// A request nothing answers is told of the stubs of its own scope and the
/// unscoped ones: another scope's stub, even one that would match, is
/// neither its near miss nor listed in the 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404s_near_misses_leave_out_the_stubs_of_other_scopes() {
    let (_server, a) = server(|_| {}).await;
    for (scope, method) in [("a", "POST"), ("b", "PUT")] {
        let r = admin_call(
            &a,
            Method::POST,
            "/__admin/mappings",
            &[(SCOPE, scope)],
            json!({"request": {"method": method, "urlPath": "/orders", "service": "shop"},
                   "response": {"status": 201}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let miss = a
        .mock(Method::PUT, "/shop/orders", &[(SCOPE, "a")], "")
        .await;
    assert_eq!(miss.status, StatusCode::NOT_FOUND);
    let body = miss.json();
    // The method of each pattern listed under `list`.
    let methods = |list: &str, pointer: &str| -> Vec<Value> {
        body[list]
            .as_array()
            .unwrap_or_else(|| panic!("{list} in {body}"))
            .iter()
            .map(|m| m.pointer(pointer).cloned().unwrap_or(Value::Null))
            .collect()
    };
    assert_eq!(
        methods("nearMisses", "/request/method"),
        [json!("POST"), json!("GET")],
        "{body}"
    );
    assert_eq!(
        body["closest"]
            .as_str()
            .and_then(|c| c.split_once(": "))
            .map(|(_, d)| d),
        Some("method: expected POST, got PUT"),
        "{body}"
    );
    assert_eq!(
        methods("stubs", "/method"),
        [json!("POST"), json!("GET")],
        "scope b's stub is not listed: {body}"
    );
}
