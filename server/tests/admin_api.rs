//! The control plane over real HTTP: stubs (CRUD, matching, priority,
//! service scoping, precedence over plugin routes, files), the request
//! journal, next-request overrides, delays and faults, resets.

mod common;

use common::{Admin, Http, decode_chunked, eventually, exchange_async, serve_examples, split_head};
use fake_servicer_server::Server;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A server with the example plugins and its default configuration.
async fn server() -> (Server, tempfile::TempDir) {
    serve_examples(|_| {}).await
}

const STATUS: &str = "X-Fake-Servicer-Next-Request-Status";
const BODY: &str = "X-Fake-Servicer-Next-Request-Body";

// ---- Mappings: create, read, replace, delete ----

const ID: &str = "0b6e2b7e-9c1a-4b57-8d3a-3f0c6a7f9e11";

/// The stub `GET /hello` → "hi", under the client-supplied id [`ID`].
async fn hello_stub(a: &Admin) -> Value {
    a.stub(json!({"id": ID, "request": {"method": "GET", "url": "/hello"}, "response": {"status": 200, "body": "hi"}}))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_keeps_a_client_supplied_id() {
    let (server, _dir) = server().await;
    let created = hello_stub(&Admin::new(&server)).await;
    assert_eq!(created["id"], ID, "a client-supplied id is kept");
    assert_eq!(created["request"]["url"], "/hello");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_without_an_id_gets_a_uuid() {
    let (server, _dir) = server().await;
    let generated = Admin::new(&server)
        .stub(json!({"request": {"urlPath": "/other"}}))
        .await;
    assert!(
        uuid::Uuid::parse_str(generated["id"].as_str().unwrap()).is_ok(),
        "{generated}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mappings_are_listed_with_their_total_and_read_by_id() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    hello_stub(&a).await;
    a.stub(json!({"request": {"urlPath": "/other"}})).await;
    let all = a.get("/__admin/mappings").await.json();
    assert_eq!(all["meta"]["total"], 2);
    assert_eq!(all["mappings"].as_array().unwrap().len(), 2);
    assert_eq!(
        a.get(&format!("/__admin/mappings/{ID}")).await.json()["response"]["body"],
        "hi"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_replaced_with_put_answers_its_new_response() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    hello_stub(&a).await;
    let put = a
        .put(
            &format!("/__admin/mappings/{ID}"),
            json!({"request": {"url": "/hello"}, "response": {"body": "hey"}}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    assert_eq!(a.mock(Method::GET, "/hello", &[], "").await.text(), "hey");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_mapping_answers_an_empty_object() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    hello_stub(&a).await;
    let del = a.delete(&format!("/__admin/mappings/{ID}")).await;
    assert_eq!((del.status, del.json()), (StatusCode::OK, json!({})));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_mapping_ids_answer_404() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    hello_stub(&a).await;
    a.delete(&format!("/__admin/mappings/{ID}")).await;
    for (method, path) in [
        (Method::GET, format!("/__admin/mappings/{ID}")),
        (Method::DELETE, format!("/__admin/mappings/{ID}")),
        (Method::GET, "/__admin/mappings/not-a-uuid".to_owned()),
    ] {
        assert_eq!(
            a.call(method, &path, "").await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let missing_put = a
        .put(&format!("/__admin/mappings/{ID}"), json!({"request": {}}))
        .await;
    assert_eq!(missing_put.status, StatusCode::NOT_FOUND);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_all_mappings_leaves_none() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    hello_stub(&a).await;
    a.stub(json!({"request": {"urlPath": "/other"}})).await;
    assert_eq!(a.delete("/__admin/mappings").await.status, StatusCode::OK);
    assert_eq!(a.get("/__admin/mappings").await.json()["meta"]["total"], 0);
    server.shutdown().await;
}

// ---- Bad admin input ----

async fn assert_nothing_stored(a: &Admin) {
    assert_eq!(
        a.get("/__admin/mappings").await.json()["meta"]["total"],
        0,
        "nothing stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_that_does_not_hold_together_is_answered_422_pointing_at_the_fault() {
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
    assert_nothing_stored(&a).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_that_is_not_json_is_answered_400() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
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
    assert_nothing_stored(&a).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_pattern_that_is_not_json_is_400_and_one_that_does_not_hold_together_422() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_that_are_not_an_object_are_answered_422() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    assert_eq!(
        a.call(Method::POST, "/__admin/settings", "[]").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_limit_that_is_not_a_number_is_answered_400() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    assert_eq!(
        a.get("/__admin/requests?limit=lots").await.status,
        StatusCode::BAD_REQUEST
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_admin_path_answers_404() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    assert_eq!(
        a.get("/__admin/nonsense").await.status,
        StatusCode::NOT_FOUND
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodiless_resets_with_a_json_content_type_are_accepted() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_root_answers_200() {
    let (server, _dir) = server().await;
    assert_eq!(
        Admin::new(&server).get("/__admin").await.status,
        StatusCode::OK
    );
    server.shutdown().await;
}

// ---- Stub responses on the wire ----

/// The raw answer to `GET /teapot` from a stub with a reason phrase, a
/// two-valued header and a JSON body.
async fn teapot_on_the_wire() -> String {
    let (server, _dir) = server().await;
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
    server.shutdown().await;
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
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"request": {"urlPath": "/bin"}, "response": {"base64Body": "AAEC/w=="}}))
        .await;
    assert_eq!(
        &a.mock(Method::GET, "/bin", &[], "").await.body[..],
        &[0, 1, 2, 255]
    );
    server.shutdown().await;
}

// ---- Stub selection and matchers ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_stubs_with_equal_priority_the_newest_answers() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"request": {"urlPath": "/p"}, "response": {"body": "older"}}))
        .await;
    a.stub(json!({"request": {"urlPath": "/p"}, "response": {"body": "newer"}}))
        .await;
    assert_eq!(a.mock(Method::GET, "/p", &[], "").await.text(), "newer");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stub_with_the_lowest_priority_number_answers_first() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"request": {"urlPath": "/p"}, "response": {"body": "older"}}))
        .await;
    a.stub(json!({"priority": 1, "request": {"urlPath": "/p"}, "response": {"body": "first"}}))
        .await;
    a.stub(json!({"priority": 10, "request": {"urlPath": "/p"}, "response": {"body": "last"}}))
        .await;
    assert_eq!(a.mock(Method::GET, "/p", &[], "").await.text(), "first");
    server.shutdown().await;
}

/// A stub that needs a query parameter, a header and two body patterns.
async fn orders_stub(a: &Admin) {
    a.stub(json!({"request": {
        "method": "POST", "urlPath": "/orders",
        "queryParameters": {"dry": {"equalTo": "true"}},
        "headers": {"X-Api-Key": {"matches": "key-[0-9]+"}},
        "bodyPatterns": [{"matchesJsonPath": "$.items[?(@.qty > 1)]"}, {"equalToJson": {"items": [{"sku": "a", "qty": 2}]}, "ignoreExtraElements": true}]
    }, "response": {"status": 201, "body": "matched"}}))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_meeting_every_matcher_of_a_stub_is_answered_by_it() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    orders_stub(&a).await;
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_failing_any_one_matcher_of_a_stub_is_not_answered_by_it() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    orders_stub(&a).await;
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

/// A request to send (method, path and query, headers, body) and whether
/// the stub must answer it.
type Case<'a> = (Method, &'a str, &'a [(&'a str, &'a str)], &'a str, bool);

/// Stubs `request` (answering "hit"), then sends each case (method, path
/// and query, headers, body) and checks whether the stub answered it.
async fn check_matching(request: Value, cases: &[Case<'_>]) {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"request": request, "response": {"status": 200, "body": "hit"}}))
        .await;
    for (method, path, headers, body, hit) in cases {
        let r = a.mock(method.clone(), path, headers, body).await;
        let answered = r.status == StatusCode::OK && r.text() == "hit";
        assert_eq!(
            answered,
            *hit,
            "{request} vs {method} {path} {headers:?} {body:?}: {} {}",
            r.status,
            r.text()
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_method_matcher_takes_one_method_or_any() {
    let get = Method::GET;
    check_matching(
        json!({"method": "PUT", "urlPath": "/m"}),
        &[
            (Method::PUT, "/m", &[], "", true),
            (get.clone(), "/m", &[], "", false),
        ],
    )
    .await;
    check_matching(
        json!({"method": "ANY", "urlPath": "/m"}),
        &[
            (Method::PUT, "/m", &[], "", true),
            (Method::DELETE, "/m", &[], "", true),
            (get, "/m", &[], "", true),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_matchers_match_path_and_query_or_the_path_only() {
    let g = Method::GET;
    check_matching(
        json!({"url": "/u/1?x=1"}),
        &[
            (g.clone(), "/u/1?x=1", &[], "", true),
            (g.clone(), "/u/1", &[], "", false),
            (g.clone(), "/u/1?x=2", &[], "", false),
        ],
    )
    .await;
    check_matching(
        json!({"urlPattern": "/u/[0-9]+\\?x=[0-9]"}),
        &[
            (g.clone(), "/u/12?x=3", &[], "", true),
            (g.clone(), "/u/12", &[], "", false),
        ],
    )
    .await;
    check_matching(
        json!({"urlPath": "/u/1"}),
        &[
            (g.clone(), "/u/1?any=thing", &[], "", true),
            (g.clone(), "/u/2", &[], "", false),
        ],
    )
    .await;
    check_matching(
        json!({"urlPathPattern": "/u/[a-z]+"}),
        &[
            (g.clone(), "/u/abc?x=1", &[], "", true),
            (g.clone(), "/u/123", &[], "", false),
        ],
    )
    .await;
    check_matching(
        json!({"urlPathTemplate": "/u/{id}/items"}),
        &[
            (g.clone(), "/u/7/items?x=1", &[], "", true),
            (g.clone(), "/u/7", &[], "", false),
            (g, "/u/7/items/8", &[], "", false),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_value_matcher_applies_to_query_parameters() {
    let g = Method::GET;
    check_matching(
        json!({"urlPath": "/q", "queryParameters": {
            "eq": {"equalTo": "Exact"},
            "ci": {"equalTo": "MiXed", "caseInsensitive": true},
            "has": {"contains": "mid"},
            "hasnt": {"doesNotContain": "bad"},
            "re": {"matches": "[0-9]+"},
            "notre": {"doesNotMatch": "[0-9]+"},
            "gone": {"absent": true}
        }}),
        &[
            (
                g.clone(),
                "/q?eq=Exact&ci=mixed&has=amidst&hasnt=good&re=42&notre=abc",
                &[],
                "",
                true,
            ),
            (
                g.clone(),
                "/q?eq=exact&ci=mixed&has=amidst&hasnt=good&re=42&notre=abc",
                &[],
                "",
                false,
            ),
            (
                g.clone(),
                "/q?eq=Exact&ci=other&has=amidst&hasnt=good&re=42&notre=abc",
                &[],
                "",
                false,
            ),
            (
                g.clone(),
                "/q?eq=Exact&ci=mixed&has=nothing&hasnt=good&re=42&notre=abc",
                &[],
                "",
                false,
            ),
            (
                g.clone(),
                "/q?eq=Exact&ci=mixed&has=amidst&hasnt=too-bad&re=42&notre=abc",
                &[],
                "",
                false,
            ),
            (
                g.clone(),
                "/q?eq=Exact&ci=mixed&has=amidst&hasnt=good&re=4x&notre=abc",
                &[],
                "",
                false,
            ),
            (
                g.clone(),
                "/q?eq=Exact&ci=mixed&has=amidst&hasnt=good&re=42&notre=123",
                &[],
                "",
                false,
            ),
            (
                g,
                "/q?eq=Exact&ci=mixed&has=amidst&hasnt=good&re=42&notre=abc&gone=1",
                &[],
                "",
                false,
            ),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_value_matcher_applies_to_headers() {
    let g = Method::GET;
    let good: [(&str, &str); 6] = [
        ("x-eq", "Exact"),
        ("x-ci", "mixed"),
        ("x-has", "amidst"),
        ("x-hasnt", "good"),
        ("x-re", "42"),
        ("x-notre", "abc"),
    ];
    let with = |name: &str, value: &'static str| -> Vec<(&str, &str)> {
        good.iter()
            .map(|(n, v)| if *n == name { (*n, value) } else { (*n, *v) })
            .collect()
    };
    let bad_eq = with("x-eq", "exact");
    let bad_ci = with("x-ci", "other");
    let bad_has = with("x-has", "nothing");
    let bad_hasnt = with("x-hasnt", "too-bad");
    let bad_re = with("x-re", "4x");
    let bad_notre = with("x-notre", "123");
    let mut present = good.to_vec();
    present.push(("x-gone", "1"));
    check_matching(
        json!({"urlPath": "/h", "headers": {
            "X-Eq": {"equalTo": "Exact"},
            "X-Ci": {"equalTo": "MiXed", "caseInsensitive": true},
            "X-Has": {"contains": "mid"},
            "X-Hasnt": {"doesNotContain": "bad"},
            "X-Re": {"matches": "[0-9]+"},
            "X-Notre": {"doesNotMatch": "[0-9]+"},
            "X-Gone": {"absent": true}
        }}),
        &[
            (g.clone(), "/h", &good, "", true),
            (g.clone(), "/h", &bad_eq, "", false),
            (g.clone(), "/h", &bad_ci, "", false),
            (g.clone(), "/h", &bad_has, "", false),
            (g.clone(), "/h", &bad_hasnt, "", false),
            (g.clone(), "/h", &bad_re, "", false),
            (g.clone(), "/h", &bad_notre, "", false),
            (g, "/h", &present, "", false),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_value_matcher_applies_to_bodies() {
    let p = Method::POST;
    for (pattern, hit, miss) in [
        (json!({"equalTo": "Exact"}), "Exact", "exact"),
        (
            json!({"equalTo": "MiXed", "caseInsensitive": true}),
            "mixed",
            "other",
        ),
        (json!({"contains": "mid"}), "amidst", "nothing"),
        (json!({"doesNotContain": "bad"}), "good", "too-bad"),
        (json!({"matches": "[0-9]+"}), "42", "4x"),
        (json!({"doesNotMatch": "[0-9]+"}), "abc", "123"),
    ] {
        check_matching(
            json!({"urlPath": "/b", "bodyPatterns": [pattern]}),
            &[
                (p.clone(), "/b", &[], hit, true),
                (p.clone(), "/b", &[], miss, false),
            ],
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_body_matchers_compare_json_with_their_options() {
    let p = Method::POST;
    check_matching(
        json!({"urlPath": "/j", "bodyPatterns": [{"equalToJson": {"a": [1, 2], "b": "x"}}]}),
        &[
            (p.clone(), "/j", &[], r#"{ "b": "x", "a": [1, 2] }"#, true),
            (p.clone(), "/j", &[], r#"{"a":[2,1],"b":"x"}"#, false),
            (p.clone(), "/j", &[], r#"{"a":[1,2],"b":"x","c":0}"#, false),
        ],
    )
    .await;
    check_matching(
        json!({"urlPath": "/j", "bodyPatterns": [{"equalToJson": {"a": [1, 2]}, "ignoreArrayOrder": true}]}),
        &[
            (p.clone(), "/j", &[], r#"{"a":[2,1]}"#, true),
            (p.clone(), "/j", &[], r#"{"a":[2,3]}"#, false),
        ],
    )
    .await;
    check_matching(
        json!({"urlPath": "/j", "bodyPatterns": [{"equalToJson": {"a": 1}, "ignoreExtraElements": true}]}),
        &[
            (p.clone(), "/j", &[], r#"{"a":1,"b":2}"#, true),
            (p.clone(), "/j", &[], r#"{"a":2,"b":2}"#, false),
        ],
    )
    .await;
    check_matching(
        json!({"urlPath": "/j", "bodyPatterns": [{"matchesJsonPath": "$.user.name"}]}),
        &[
            (p.clone(), "/j", &[], r#"{"user":{"name":"Jo"}}"#, true),
            (p.clone(), "/j", &[], r#"{"user":{"id":1}}"#, false),
        ],
    )
    .await;
    check_matching(
        json!({"urlPath": "/j", "bodyPatterns": [{"matchesJsonPath": {"expression": "$.user.name", "contains": "o"}}]}),
        &[
            (p.clone(), "/j", &[], r#"{"user":{"name":"Jo"}}"#, true),
            (p.clone(), "/j", &[], r#"{"user":{"name":"Al"}}"#, false),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_equal_to_matches_exactly_the_decoded_bytes() {
    let p = Method::POST;
    // "aGk=" is the bytes of "hi"; any other body misses.
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"request": {"urlPath": "/bin", "bodyPatterns": [{"binaryEqualTo": "aGk="}]}, "response": {"body": "hit"}}))
        .await;
    for (body, hit) in [("hi", true), ("hi!", false), ("HI", false)] {
        let r = a.mock(p.clone(), "/bin", &[], body).await;
        assert_eq!(r.text() == "hit", hit, "{body}: {} {}", r.status, r.text());
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regex_matchers_match_the_whole_value() {
    let g = Method::GET;
    check_matching(
        json!({"urlPathPattern": "/r/[0-9]+", "queryParameters": {"v": {"matches": "[a-z]+"}}}),
        &[
            (g.clone(), "/r/12?v=abc", &[], "", true),
            (g.clone(), "/r/12?v=abc1", &[], "", false),
            (g.clone(), "/r/12x?v=abc", &[], "", false),
            (g, "/x/r/12?v=abc", &[], "", false),
        ],
    )
    .await;
}

// ---- Service-scoped stubs ----

/// A stub for `GET /users/7` of the `example` service.
async fn scoped_stub(a: &Admin) -> Value {
    a.stub(
        json!({"request": {"method": "GET", "urlPath": "/users/7", "service": "example"},
        "response": {"status": 200, "jsonBody": {"id": 7, "name": "Stubbed"}}}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_scoped_stub_answers_by_prefix_and_by_host() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    scoped_stub(&a).await;
    let by_prefix = a.mock(Method::GET, "/example/users/7", &[], "").await;
    assert_eq!(by_prefix.json()["name"], "Stubbed");
    let by_host = a
        .mock(Method::GET, "/users/7", &[("host", "example")], "")
        .await;
    assert_eq!(by_host.json()["name"], "Stubbed");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_scoped_stub_leaves_other_routes_and_services_to_the_plugins() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    scoped_stub(&a).await;
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_service_scoped_stub_restores_the_plugin_route() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    let stub = scoped_stub(&a).await;
    a.delete(&format!(
        "/__admin/mappings/{}",
        stub["id"].as_str().unwrap()
    ))
    .await;
    let restored = a.mock(Method::GET, "/example/users/7", &[], "").await;
    assert_eq!(restored.json()["id"], 7);
    assert_ne!(restored.json()["name"], "Stubbed");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_without_a_service_matches_the_path_as_received_on_any_host() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
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

// ---- The request journal ----

/// Five requests answered by a plugin (three), a stub and nothing, plus
/// an admin call; returns the stub.
async fn journal_traffic(a: &Admin) -> Value {
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
    stub
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_lists_requests_newest_first_with_what_answered_them() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    let stub = journal_traffic(&a).await;
    let all = a.get("/__admin/requests?extensions=true").await.json();
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_counts_match_by_url_path_service_and_body() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    journal_traffic(&a).await;
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_find_returns_the_matching_requests() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    journal_traffic(&a).await;
    let found = a
        .post("/__admin/requests/find", json!({"method": "POST"}))
        .await
        .json();
    assert_eq!(found["requests"][0]["url"], "/example/users");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_requests_are_those_nothing_answered() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    journal_traffic(&a).await;
    let unmatched = a.get("/__admin/requests/unmatched").await.json();
    assert_eq!(unmatched["requests"].as_array().unwrap().len(), 1);
    assert_eq!(unmatched["requests"][0]["url"], "/nowhere/at/all");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_limit_caps_the_requests_listed() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    journal_traffic(&a).await;
    assert_eq!(
        a.get("/__admin/requests?limit=2").await.json()["requests"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_entry_is_read_and_deleted_by_id() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    journal_traffic(&a).await;
    let all = a.get("/__admin/requests").await.json();
    let id = all["requests"][0]["id"].as_str().unwrap();
    assert_eq!(
        a.get(&format!("/__admin/requests/{id}")).await.json()["id"],
        id
    );
    assert_eq!(
        a.delete(&format!("/__admin/requests/{id}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        a.get(&format!("/__admin/requests/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(a.count(json!({})).await, 4);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resetting_or_deleting_the_journal_empties_it() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    journal_traffic(&a).await;
    a.call(Method::POST, "/__admin/requests/reset", "").await;
    assert_eq!(a.count(json!({})).await, 0);
    a.mock(Method::GET, "/example/users", &[], "").await;
    a.delete("/__admin/requests").await;
    assert_eq!(a.count(json!({})).await, 0);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_keeps_about_its_size_in_entries() {
    let (server, _dir) = serve_examples(|c| c.journal_size = 20).await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_of_size_zero_records_nothing_and_says_it_is_disabled() {
    let (server, _dir) = serve_examples(|c| c.journal_size = 0).await;
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

// ---- Next-request overrides ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_request_headers_arm_a_one_shot_answer_met_by_host() {
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_setting_status_and_body_keeps_the_handlers_headers() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    // The README's example: status and body set, headers not.
    let body = r#"{"error":"Auth error"}"#;
    a.mock(
        Method::GET,
        "/example/users",
        &[(STATUS, "403"), (BODY, body)],
        "",
    )
    .await;
    let hit = a.mock(Method::GET, "/example/users", &[], "").await;
    assert_eq!(hit.status, StatusCode::FORBIDDEN);
    assert_eq!(hit.text(), body);
    assert_eq!(
        hit.header("content-type"),
        Some("application/json"),
        "the plugin's content type is kept"
    );
    assert_eq!(
        hit.header("content-length"),
        Some(body.len().to_string().as_str()),
        "the length of the new body"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn override_headers_replace_the_handlers_header_of_the_same_name() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.mock(
        Method::GET,
        "/example/users/4",
        &[
            (STATUS, "418"),
            (BODY, "short"),
            (
                "X-Fake-Servicer-Next-Request-Headers",
                r#"{"Content-Type": "text/plain"}"#,
            ),
        ],
        "",
    )
    .await;
    let hit = a.mock(Method::GET, "/example/users/4", &[], "").await;
    assert_eq!(
        (hit.status, hit.text().as_str()),
        (StatusCode::IM_A_TEAPOT, "short")
    );
    assert_eq!(
        hit.headers
            .get_all("content-type")
            .iter()
            .collect::<Vec<_>>(),
        ["text/plain"]
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_armed_answer_leaves_other_paths_to_the_plugin() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.mock(
        Method::GET,
        "/example/users/1",
        &[(STATUS, "500"), ("X-Fake-Servicer-Next-Request-Times", "2")],
        "",
    )
    .await;
    assert_eq!(
        a.mock(Method::GET, "/example/users/2", &[], "")
            .await
            .status,
        StatusCode::OK
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn armed_answers_are_served_first_in_first_out_each_for_its_times() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.mock(
        Method::GET,
        "/example/users/1",
        &[(STATUS, "500"), ("X-Fake-Servicer-Next-Request-Times", "2")],
        "",
    )
    .await;
    a.mock(Method::GET, "/example/users/1", &[(STATUS, "503")], "")
        .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            a.mock(Method::GET, "/example/users/1", &[], "")
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses, [500, 500, 503, 200]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_setting_only_the_status_keeps_the_handlers_body_and_headers() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn armed_answers_show_in_the_journal_as_overrides() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.mock(Method::GET, "/example/users/5", &[(STATUS, "202")], "")
        .await;
    a.mock(Method::GET, "/example/users/5", &[], "").await;
    let journal = a
        .get("/__admin/requests?limit=1&extensions=true")
        .await
        .json();
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

// ---- Delays ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stub_delays_and_dribbles_take_at_least_their_time() {
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_armed_delay_comes_before_the_handlers_answer() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fixed_delay_setting_is_stored_and_delays_every_stub() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
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

// ---- Faults ----

/// The raw answer to `GET /fault` from a stub with `fault`; then checks the
/// server still serves the plugin.
async fn stub_fault_on_the_wire(fault: &str) -> std::io::Result<Vec<u8>> {
    let (server, _dir) = server().await;
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
    server.shutdown().await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_armed_fault_happens_on_the_socket() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.mock(
        Method::GET,
        "/example/users",
        &[("X-Fake-Servicer-Next-Request-Fault", "EMPTY_RESPONSE")],
        "",
    )
    .await;
    let answer = exchange_async(
        server.addr(),
        "GET /example/users HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await;
    assert_eq!(answer.result().unwrap(), b"", "an override fault");
    assert_eq!(
        a.mock(Method::GET, "/example/users/1", &[], "")
            .await
            .status,
        StatusCode::OK
    );
    server.shutdown().await;
}

// ---- Mapping files ----

/// A `--mappings` dir with `one.json` (`/from-file` → "file v1"),
/// `many.json` (`/m1`, and `/m2` of `example`), a broken file and a
/// non-JSON file; and a server on it.
async fn server_with_mapping_files() -> (Server, tempfile::TempDir, tempfile::TempDir) {
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
    let (server, plugins) = serve_examples(move |c| c.mappings = Some(dir)).await;
    (server, plugins, stubs)
}

async fn wait_for_text(a: &Admin, path: &str, want: &str) {
    eventually(Duration::from_secs(10), want, || async {
        let t = a.mock(Method::GET, path, &[], "").await.text();
        if t == want { Ok(()) } else { Err(t) }
    })
    .await;
}

async fn wait_for_status(a: &Admin, path: &str, want: StatusCode, what: &str) {
    eventually(Duration::from_secs(10), what, || async {
        let s = a.mock(Method::GET, path, &[], "").await.status;
        if s == want {
            Ok(())
        } else {
            Err(s.to_string())
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapping_files_load_and_a_broken_one_is_refused() {
    let (server, _plugins, _stubs) = server_with_mapping_files().await;
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mappings_reset_returns_to_exactly_the_files() {
    let (server, _plugins, _stubs) = server_with_mapping_files().await;
    let a = Admin::new(&server);
    // API changes, then a reset: back to exactly the files.
    a.stub(json!({"request": {"urlPath": "/api-made"}})).await;
    a.delete("/__admin/mappings").await;
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_mapping_file_replaces_its_stubs() {
    let (server, _plugins, stubs) = server_with_mapping_files().await;
    let a = Admin::new(&server);
    std::fs::write(
        stubs.path().join("one.json"),
        json!({"request": {"urlPath": "/from-file"}, "response": {"body": "file v2"}}).to_string(),
    )
    .unwrap();
    wait_for_text(&a, "/from-file", "file v2").await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_edit_of_a_mapping_file_keeps_its_stubs() {
    let (server, _plugins, stubs) = server_with_mapping_files().await;
    let a = Admin::new(&server);
    let one = stubs.path().join("one.json");
    std::fs::write(
        &one,
        json!({"request": {"urlPath": "/from-file"}, "response": {"body": "file v2"}}).to_string(),
    )
    .unwrap();
    wait_for_text(&a, "/from-file", "file v2").await;
    std::fs::write(&one, "{\"request\": {\"urlPath\": 5}}").unwrap();
    std::fs::write(
        stubs.path().join("marker.json"),
        json!({"request": {"urlPath": "/marker"}}).to_string(),
    )
    .unwrap();
    wait_for_status(&a, "/marker", StatusCode::OK, "the marker file").await;
    assert_eq!(
        a.mock(Method::GET, "/from-file", &[], "").await.text(),
        "file v2",
        "a bad edit keeps the old stubs"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_mapping_file_takes_its_stubs_away() {
    let (server, _plugins, stubs) = server_with_mapping_files().await;
    let a = Admin::new(&server);
    assert_eq!(a.mock(Method::GET, "/m1", &[], "").await.text(), "m1");
    std::fs::remove_file(stubs.path().join("many.json")).unwrap();
    wait_for_status(&a, "/m1", StatusCode::NOT_FOUND, "many.json's stubs to go").await;
    server.shutdown().await;
}

// ---- Resets ----

/// Two stubs of scenario `checkout`: `/order` answers "unpaid", then "paid".
async fn checkout_scenario(a: &Admin) {
    a.stub(json!({"scenarioName": "checkout", "requiredScenarioState": "Started", "newScenarioState": "paid",
        "request": {"urlPath": "/order"}, "response": {"body": "unpaid"}}))
    .await;
    a.stub(
        json!({"scenarioName": "checkout", "requiredScenarioState": "paid",
        "request": {"urlPath": "/order"}, "response": {"body": "paid"}}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_advances_and_a_scenario_reset_returns_it_to_started() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    checkout_scenario(&a).await;
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_reset_disarms_overrides_removes_stubs_and_restarts_the_journal() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    checkout_scenario(&a).await;
    a.mock(Method::GET, "/order", &[], "").await;
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

// ---- The admin token ----

const TOKEN: (&str, &str) = ("authorization", "Bearer s3cret");

async fn server_with_token() -> (Server, tempfile::TempDir) {
    serve_examples(|c| c.admin_token = Some("s3cret".to_owned())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_admin_token_admin_calls_without_it_or_with_another_are_refused_401() {
    let (server, _dir) = server_with_token().await;
    let http = Http::new();
    let url = |p: &str| format!("{}{p}", server.url());
    for path in [
        "/__admin/mappings",
        "/__admin/requests",
        "/__admin",
        "/__admin/services",
        "/__admin/nonsense",
    ] {
        let none = http.send(Method::GET, &url(path), &[], "").await.unwrap();
        assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{path}");
        let wrong = http
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_admin_token_admin_calls_bearing_it_are_served() {
    let (server, _dir) = server_with_token().await;
    let http = Http::new();
    let url = |p: &str| format!("{}{p}", server.url());
    let ok = http
        .send(Method::GET, &url("/__admin/mappings"), &[TOKEN], "")
        .await
        .unwrap();
    assert_eq!(ok.status, StatusCode::OK);
    let create = http
        .send(
            Method::POST,
            &url("/__admin/mappings"),
            &[TOKEN],
            json!({"request": {"urlPath": "/t"}}).to_string(),
        )
        .await
        .unwrap();
    assert_eq!(create.status, StatusCode::CREATED);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_admin_token_health_and_services_need_none() {
    let (server, _dir) = server_with_token().await;
    let a = Admin::new(&server);
    let create = a
        .http
        .send(
            Method::POST,
            &format!("{}/__admin/mappings", server.url()),
            &[TOKEN],
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

// ---- Concurrency ----

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_stores_every_mapping_or_none_when_one_is_bad() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    let good = |path: &str| json!({"request": {"urlPath": path}, "response": {"body": path}});

    let refused = a
        .post(
            "/__admin/mappings/import",
            json!({"mappings": [good("/i1"), good("/i2"), {"request": {"urlPattern": "(unclosed"}}]}),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text()
    );
    assert_eq!(
        a.get("/__admin/mappings").await.json()["meta"]["total"],
        0,
        "one bad mapping stores none"
    );
    assert_eq!(
        refused.json()["errors"][0]["source"]["pointer"],
        "/mappings/2/request/urlPattern"
    );
    assert_eq!(
        a.mock(Method::GET, "/i1", &[], "").await.status,
        StatusCode::NOT_FOUND
    );

    let imported = a
        .post(
            "/__admin/mappings/import",
            json!({"mappings": [good("/i1"), good("/i2")]}),
        )
        .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.text());
    assert_eq!(a.get("/__admin/mappings").await.json()["meta"]["total"], 2);
    assert_eq!(a.mock(Method::GET, "/i2", &[], "").await.text(), "/i2");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mappings_list_pages_with_limit_and_offset() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    for i in 0..5 {
        a.stub(json!({"request": {"urlPath": format!("/page/{i}")}}))
            .await;
    }
    let all = a.get("/__admin/mappings").await.json();
    let ids: Vec<Value> = all["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids.len(), 5, "{all}");

    let page = a.get("/__admin/mappings?limit=2&offset=1").await.json();
    let page_ids: Vec<Value> = page["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(page_ids, ids[1..3], "{page}");
    assert_eq!(page["meta"]["total"], 5, "the total counts every mapping");

    let tail = a.get("/__admin/mappings?offset=4").await.json();
    assert_eq!(tail["mappings"].as_array().unwrap().len(), 1, "{tail}");
    assert_eq!(tail["mappings"][0]["id"], ids[4]);
    let past = a.get("/__admin/mappings?offset=9&limit=3").await.json();
    assert_eq!(past["mappings"], json!([]), "{past}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_since_keeps_only_the_later_entries() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.mock(Method::GET, "/example/users/1", &[], "").await;
    let first = a.get("/__admin/requests").await.json()["requests"][0].clone();
    let since = first["request"]["loggedDateString"]
        .as_str()
        .unwrap_or_else(|| panic!("a logged date: {first}"))
        .to_owned();
    // Timestamps have millisecond precision: call until one is later.
    eventually(
        Duration::from_secs(10),
        "a request logged after the first",
        || async {
            a.mock(Method::GET, "/example/users/2", &[], "").await;
            let newest = a
                .get("/__admin/requests?limit=1&extensions=true")
                .await
                .json();
            let at = newest["requests"][0]["request"]["loggedDateString"].clone();
            if at.as_str().is_some_and(|t| t > since.as_str()) {
                Ok(())
            } else {
                Err(at.to_string())
            }
        },
    )
    .await;

    let later = a
        .get(&format!("/__admin/requests?since={since}"))
        .await
        .json();
    let entries = later["requests"].as_array().unwrap();
    assert!(!entries.is_empty(), "{later}");
    assert!(
        entries
            .iter()
            .all(|e| e["request"]["url"] == "/example/users/2"
                && e["request"]["loggedDateString"].as_str().unwrap() > since.as_str()),
        "{later}"
    );
    assert!(
        !entries.iter().any(|e| e["id"] == first["id"]),
        "the entry at `since` itself is left out: {later}"
    );
    let all = a.get("/__admin/requests").await.json();
    assert!(
        all["requests"].as_array().unwrap().len() > entries.len(),
        "{all}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn does_not_contain_matches_only_values_without_the_text() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"request": {
        "urlPath": "/deploy",
        "headers": {"X-Env": {"doesNotContain": "prod"}},
        "queryParameters": {"tag": {"doesNotContain": "rc"}},
        "bodyPatterns": [{"doesNotContain": "secret"}]
    }, "response": {"body": "matched"}}))
        .await;
    let call = |env: &'static str, tag: &'static str, body: &'static str| {
        let (a, path) = (&a, format!("/deploy?tag={tag}"));
        async move { a.mock(Method::POST, &path, &[("x-env", env)], body).await }
    };
    let hit = call("staging", "v1", "public data").await;
    assert_eq!(
        (hit.status, hit.text().as_str()),
        (StatusCode::OK, "matched")
    );
    for (env, tag, body, what) in [
        ("production", "v1", "public data", "header"),
        ("staging", "v1-rc2", "public data", "query parameter"),
        ("staging", "v1", "a secret here", "body"),
    ] {
        let miss = call(env, tag, body).await;
        assert_eq!(
            miss.status,
            StatusCode::NOT_FOUND,
            "a {what} holding the text must not match: {}",
            miss.text()
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_counts_stubs_and_names_the_version() {
    let (server, _dir) = server().await;
    let a = Admin::new(&server);
    let before = a.get("/__admin/health").await.json();
    assert_eq!(before["stubs"], 0, "{before}");
    assert_eq!(before["services"], 2, "{before}");
    assert_eq!(
        before["version"],
        env!("CARGO_PKG_VERSION"),
        "the server's version: {before}"
    );
    a.stub(json!({"request": {"urlPath": "/h1"}})).await;
    a.stub(json!({"request": {"urlPath": "/h2"}})).await;
    assert_eq!(a.get("/__admin/health").await.json()["stubs"], 2);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_name_their_file_load_time_and_sdk_version() {
    let before = std::time::SystemTime::now();
    let (server, dir) = server().await;
    let after = std::time::SystemTime::now();
    let a = Admin::new(&server);
    let all = a.get("/__admin/services").await.json();
    let example = all["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "example")
        .unwrap_or_else(|| panic!("example in {all}"))
        .clone();
    assert_eq!(
        example["file"].as_str().map(std::path::PathBuf::from),
        Some(dir.path().join("libexample.so")),
        "{example}"
    );
    assert_eq!(
        example["sdk_version"],
        fake_servicer::abi::SDK_VERSION,
        "{example}"
    );

    // RFC 3339 in UTC, to the millisecond, between start and first answer.
    let loaded_at = example["loaded_at"].as_str().unwrap();
    let millis = |t: std::time::SystemTime| {
        t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
    };
    let parsed = parse_rfc3339_millis(loaded_at)
        .unwrap_or_else(|| panic!("loaded_at is not RFC 3339: {loaded_at:?}"));
    assert!(
        (millis(before) - 1..=millis(after) + 1).contains(&parsed),
        "loaded_at {loaded_at} outside the server's start-up"
    );
    server.shutdown().await;
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` as milliseconds since the epoch.
fn parse_rfc3339_millis(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 24 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[23] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss, ms) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
    // Days from civil (proleptic Gregorian).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000) + ms)
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
    let (server, _dir) = serve_examples(|c| c.journal_size = 1).await;
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
    let (server, _dir) = serve_examples(|c| c.journal_size = 100).await;
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
    let entry = a
        .get("/__admin/requests?limit=1&extensions=true")
        .await
        .json()["requests"][0]
        .clone();
    assert_eq!(entry["stubMapping"], stub);
    assert_eq!(
        entry["responseDefinition"],
        json!({"status": 201, "body": "made"})
    );
    a.call(Method::DELETE, &format!("/__admin/mappings/{id}"), "")
        .await;
    let entry = a
        .get("/__admin/requests?limit=1&extensions=true")
        .await
        .json()["requests"][0]
        .clone();
    assert_eq!(entry["stubMapping"], json!({"id": id, "uuid": id}));
    assert_eq!(entry["answeredBy"], json!({"kind": "stub", "id": id}));
    assert_eq!(entry["responseDefinition"], json!({"status": 201}));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arming_past_the_override_count_cap_answers_507_naming_the_flag_and_arms_nothing() {
    let (server, _dir) = serve_examples(|c| c.max_armed_overrides = 3).await;
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
    let (server, _dir) = serve_examples(|c| c.max_armed_override_bytes = 100_000).await;
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
