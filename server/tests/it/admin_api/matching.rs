//! Which stub answers: priority and age, every matcher of the request
//! pattern, service-scoped stubs and their precedence over plugin routes.

use super::server;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use testkit::Admin;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_stubs_with_equal_priority_the_newest_answers() {
    let server = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"request": {"urlPath": "/p"}, "response": {"body": "older"}}))
        .await;
    a.stub(json!({"request": {"urlPath": "/p"}, "response": {"body": "newer"}}))
        .await;
    assert_eq!(a.mock(Method::GET, "/p", &[], "").await.text(), "newer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stub_with_the_lowest_priority_number_answers_first() {
    let server = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"request": {"urlPath": "/p"}, "response": {"body": "older"}}))
        .await;
    a.stub(json!({"priority": 1, "request": {"urlPath": "/p"}, "response": {"body": "first"}}))
        .await;
    a.stub(json!({"priority": 10, "request": {"urlPath": "/p"}, "response": {"body": "last"}}))
        .await;
    assert_eq!(a.mock(Method::GET, "/p", &[], "").await.text(), "first");
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
    let server = server().await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_failing_any_one_matcher_of_a_stub_is_not_answered_by_it() {
    let server = server().await;
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
}

/// A request to send (method, path and query, headers, body) and whether
/// the stub must answer it.
type Case<'a> = (Method, &'a str, &'a [(&'a str, &'a str)], &'a str, bool);

/// Stubs `request` (answering "hit"), then sends each case (method, path
/// and query, headers, body) and checks whether the stub answered it.
async fn check_matching(request: Value, cases: &[Case<'_>]) {
    let server = server().await;
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
    let server = server().await;
    let a = Admin::new(&server);
    a.stub(json!({"request": {"urlPath": "/bin", "bodyPatterns": [{"binaryEqualTo": "aGk="}]}, "response": {"body": "hit"}}))
        .await;
    for (body, hit) in [("hi", true), ("hi!", false), ("HI", false)] {
        let r = a.mock(p.clone(), "/bin", &[], body).await;
        assert_eq!(r.text() == "hit", hit, "{body}: {} {}", r.status, r.text());
    }
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
    let server = server().await;
    let a = Admin::new(&server);
    scoped_stub(&a).await;
    let by_prefix = a.mock(Method::GET, "/example/users/7", &[], "").await;
    assert_eq!(by_prefix.json()["name"], "Stubbed");
    let by_host = a
        .mock(Method::GET, "/users/7", &[("host", "example")], "")
        .await;
    assert_eq!(by_host.json()["name"], "Stubbed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_scoped_stub_leaves_other_routes_and_services_to_the_plugins() {
    let server = server().await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_service_scoped_stub_restores_the_plugin_route() {
    let server = server().await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_without_a_service_matches_the_path_as_received_on_any_host() {
    let server = server().await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn does_not_contain_matches_only_values_without_the_text() {
    let server = server().await;
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
}
