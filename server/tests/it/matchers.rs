//! WireMock's request matchers and near misses over real HTTP: a mapping
//! posted to `/__admin/mappings`, then real requests that it answers or
//! does not.

use http::{Method, StatusCode};
use serde_json::{Value, json};
use testkit::{Admin, TestServer, serve};

/// A server without plugins.
async fn server() -> (TestServer, Admin) {
    let s = serve(&[], |_| {}).await;
    let a = Admin::new(&s);
    (s, a)
}

/// Posts a stub answering 200 "hit" to `request`.
async fn stub(a: &Admin, request: Value) {
    a.stub(json!({"request": request, "response": {"status": 200, "body": "hit"}}))
        .await;
}

/// The status of `method path` with `headers` and `body`.
async fn status(
    a: &Admin,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> u16 {
    a.http
        .send(
            method,
            &format!("{}{path}", a.base),
            headers,
            body.to_owned(),
        )
        .await
        .expect("an answer")
        .status
        .as_u16()
}

async fn get(a: &Admin, path: &str, headers: &[(&str, &str)]) -> u16 {
    status(a, Method::GET, path, headers, "").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_parameters_of_a_url_path_template_are_matched() {
    let (_s, a) = server().await;
    stub(&a, json!({"urlPathTemplate": "/users/{id}/posts/{post}", "pathParameters": {"id": {"equalTo": "7"}, "post": {"matches": "[0-9]+"}}})).await;
    assert_eq!(get(&a, "/users/7/posts/12", &[]).await, 200);
    assert_eq!(get(&a, "/users/8/posts/12", &[]).await, 404);
    assert_eq!(get(&a, "/users/7/posts/x", &[]).await, 404);
    // As WireMock: a name the template lacks has no value.
    stub(
        &a,
        json!({"urlPathTemplate": "/u/{id}", "pathParameters": {"nope": {"equalTo": "1"}}}),
    )
    .await;
    assert_eq!(get(&a, "/u/1", &[]).await, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn has_exactly_and_includes_look_at_every_value() {
    let (_s, a) = server().await;
    stub(&a, json!({"urlPath": "/exact", "queryParameters": {"q": {"hasExactly": [{"equalTo": "1"}, {"equalTo": "2"}]}}})).await;
    stub(&a, json!({"urlPath": "/incl", "headers": {"X-T": {"includes": [{"equalTo": "a"}, {"contains": "b"}]}}})).await;
    assert_eq!(get(&a, "/exact?q=2&q=1", &[]).await, 200);
    assert_eq!(get(&a, "/exact?q=1&q=2&q=3", &[]).await, 404);
    assert_eq!(get(&a, "/exact?q=1", &[]).await, 404);
    assert_eq!(
        get(&a, "/incl", &[("x-t", "a"), ("x-t", "xbx"), ("x-t", "z")]).await,
        200
    );
    assert_eq!(get(&a, "/incl", &[("x-t", "a")]).await, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn and_or_not_combine_matchers() {
    let (_s, a) = server().await;
    stub(
        &a,
        json!({"urlPath": "/logic", "queryParameters": {
            "a": {"and": [{"contains": "x"}, {"doesNotContain": "y"}]},
            "b": {"or": [{"equalTo": "1"}, {"absent": true}]},
            "c": {"not": {"equalTo": "bad"}},
        }}),
    )
    .await;
    assert_eq!(get(&a, "/logic?a=xx&c=ok", &[]).await, 200);
    assert_eq!(get(&a, "/logic?a=xx&b=1&c=ok", &[]).await, 200);
    assert_eq!(get(&a, "/logic?a=xy&c=ok", &[]).await, 404);
    assert_eq!(get(&a, "/logic?a=xx&b=2&c=ok", &[]).await, 404);
    assert_eq!(get(&a, "/logic?a=xx&c=bad", &[]).await, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_cookies_and_form_parameters_are_matched() {
    let (_s, a) = server().await;
    stub(
        &a,
        json!({"urlPath": "/auth", "basicAuthCredentials": {"username": "u", "password": "p"}}),
    )
    .await;
    stub(&a, json!({"urlPath": "/cookie", "cookies": {"session": {"equalTo": "abc"}, "gone": {"absent": true}}})).await;
    stub(&a, json!({"urlPath": "/form", "method": "POST", "formParameters": {"name": {"equalTo": "a b"}, "tag": {"hasExactly": [{"equalTo": "1"}, {"equalTo": "2"}]}}})).await;
    assert_eq!(
        get(&a, "/auth", &[("authorization", "Basic dTpw")]).await,
        200
    );
    assert_eq!(
        get(&a, "/auth", &[("authorization", "Basic dTpx")]).await,
        404
    );
    assert_eq!(get(&a, "/auth", &[]).await, 404);
    assert_eq!(
        get(&a, "/cookie", &[("cookie", "x=1; session=abc")]).await,
        200
    );
    assert_eq!(
        get(&a, "/cookie", &[("cookie", "session=abc; gone=1")]).await,
        404
    );
    assert_eq!(get(&a, "/cookie", &[("cookie", "session=abd")]).await, 404);
    let form = [("content-type", "application/x-www-form-urlencoded")];
    assert_eq!(
        status(&a, Method::POST, "/form", &form, "name=a+b&tag=1&tag=2").await,
        200
    );
    assert_eq!(
        status(&a, Method::POST, "/form", &form, "name=a+b&tag=1").await,
        404
    );
    assert_eq!(
        status(&a, Method::POST, "/form", &[], "name=a+b&tag=1&tag=2").await,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn date_matchers_compare_with_fixed_dates_and_now() {
    let (_s, a) = server().await;
    stub(
        &a,
        json!({"urlPath": "/date", "headers": {
            "X-Before": {"before": "2030-01-01T00:00:00Z"},
            "X-After": {"after": "now -1 days"},
            "X-Day": {"equalToDateTime": "2021-06-14T00:00:00Z", "actualFormat": "dd/MM/yyyy"},
        }}),
    )
    .await;
    let now = "2029-05-01T10:00:00Z";
    let far = "2099-05-01T10:00:00Z";
    assert_eq!(
        get(
            &a,
            "/date",
            &[("x-before", now), ("x-after", far), ("x-day", "14/06/2021")]
        )
        .await,
        200
    );
    assert_eq!(
        get(
            &a,
            "/date",
            &[("x-before", far), ("x-after", far), ("x-day", "14/06/2021")]
        )
        .await,
        404
    );
    assert_eq!(
        get(
            &a,
            "/date",
            &[
                ("x-before", now),
                ("x-after", "2001-01-01T00:00:00Z"),
                ("x-day", "14/06/2021")
            ]
        )
        .await,
        404
    );
    assert_eq!(
        get(
            &a,
            "/date",
            &[("x-before", now), ("x-after", far), ("x-day", "15/06/2021")]
        )
        .await,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absent_and_case_insensitive_headers() {
    let (_s, a) = server().await;
    stub(&a, json!({"urlPath": "/h", "headers": {"X-Gone": {"absent": true}, "X-Name": {"equalTo": "ANN", "caseInsensitive": true}}})).await;
    assert_eq!(get(&a, "/h", &[("x-name", "ann")]).await, 200);
    assert_eq!(
        get(&a, "/h", &[("x-name", "ann"), ("x-gone", "1")]).await,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equal_to_xml_and_matches_xpath_read_the_body_as_xml() {
    let (_s, a) = server().await;
    stub(&a, json!({"urlPath": "/xml", "bodyPatterns": [{"equalToXml": "<order id=\"1\" kind=\"a\"><item>${xmlunit.ignore}</item></order>", "enablePlaceholders": true}]})).await;
    stub(
        &a,
        json!({"urlPath": "/xpath", "bodyPatterns": [
            {"matchesXPath": "/s:env/s:body", "xPathNamespaces": {"s": "urn:soap"}},
            {"matchesXPath": {"expression": "//total/text()", "equalTo": "7"}},
        ]}),
    )
    .await;
    let post = |path: &'static str, body: &'static str| {
        let a = &a;
        async move { status(a, Method::POST, path, &[], body).await }
    };
    assert_eq!(
        post(
            "/xml",
            "<order kind=\"a\" id=\"1\">\n  <item>anything</item>\n</order>"
        )
        .await,
        200
    );
    assert_eq!(
        post("/xml", "<order kind=\"b\" id=\"1\"><item>x</item></order>").await,
        404
    );
    assert_eq!(post("/xml", "not xml").await, 404);
    assert_eq!(
        post(
            "/xpath",
            "<e:env xmlns:e=\"urn:soap\"><e:body><total>7</total></e:body></e:env>"
        )
        .await,
        200
    );
    assert_eq!(
        post(
            "/xpath",
            "<e:env xmlns:e=\"urn:soap\"><e:body><total>8</total></e:body></e:env>"
        )
        .await,
        404
    );
    assert_eq!(
        post("/xpath", "<env><body><total>7</total></body></env>").await,
        404
    );
    let r = a
        .post(
            "/__admin/mappings",
            json!({"request": {"bodyPatterns": [{"matchesXPath": "//["}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["errors"][0]["source"]["pointer"],
        "/request/bodyPatterns/0/matchesXPath"
    );
}

// ---- Near misses ----

/// Two stubs the near-miss tests rank requests against.
async fn two_stubs(a: &Admin) {
    stub(a, json!({"method": "GET", "urlPath": "/users", "headers": {"X-A": {"equalTo": "abc"}}, "queryParameters": {"q": {"hasExactly": [{"equalTo": "1"}, {"equalTo": "2"}]}}})).await;
    stub(a, json!({"method": "POST", "urlPathTemplate": "/items/{id}", "pathParameters": {"id": {"equalTo": "7"}}})).await;
}

fn distances(v: &Value) -> Vec<f64> {
    v["nearMisses"]
        .as_array()
        .expect("nearMisses")
        .iter()
        .map(|m| m["matchResult"]["distance"].as_f64().expect("a distance"))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_misses_for_a_request_rank_stubs_as_wiremock_does() {
    let (_s, a) = server().await;
    two_stubs(&a).await;
    let r = a
        .post(
            "/__admin/near-misses/request",
            json!({"url": "/users?q=1", "method": "GET", "headers": {"X-A": "abc"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let d = distances(&v);
    // WireMock 3.13 answers 0.016304347826086956 and 0.23717948717948717.
    assert_eq!(d.len(), 2, "{v}");
    assert!(close(d[0], 0.016304347826086956), "{d:?}");
    assert_eq!(
        v["nearMisses"][0]["stubMapping"]["request"]["urlPath"],
        "/users"
    );
    assert_eq!(v["nearMisses"][0]["request"]["url"], "/users?q=1");
    assert_eq!(v["nearMisses"][0]["matchResult"]["subEvents"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_misses_for_a_pattern_rank_the_journals_requests() {
    let (_s, a) = server().await;
    assert_eq!(get(&a, "/users?q=3", &[("x-a", "abd")]).await, 404);
    let v = a
        .post(
            "/__admin/near-misses/request-pattern",
            json!({"method": "GET", "url": "/userz"}),
        )
        .await
        .json();
    let d = distances(&v);
    // WireMock 3.13: 0.1282051282051282 (only the URL differs, weight 10 of 39).
    assert!(close(d[0], 0.1282051282051282), "{v}");
    assert_eq!(v["nearMisses"][0]["requestPattern"]["url"], "/userz");
    assert_eq!(v["nearMisses"][0]["request"]["url"], "/users?q=3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_requests_have_near_misses_and_a_404_naming_what_differed() {
    let (_s, a) = server().await;
    two_stubs(&a).await;
    let r = a
        .http
        .send(
            Method::GET,
            &format!("{}/users?q=3", a.base),
            &[("x-a", "abd")],
            "",
        )
        .await
        .expect("an answer");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let body = r.json();
    assert!(
        body["error"].is_string() && body["known_services"].is_array(),
        "{body}"
    );
    let misses = body["nearMisses"]
        .as_array()
        .expect("nearMisses in the 404");
    assert_eq!(misses.len(), 2);
    assert_eq!(misses[0]["request"]["urlPath"], "/users");
    let diffs = misses[0]["differences"].to_string();
    assert!(
        diffs.contains("header X-A") && diffs.contains("query parameter q"),
        "{diffs}"
    );
    assert!(
        body["closest"]
            .as_str()
            .is_some_and(|c| c.contains("header X-A")),
        "{body}"
    );
    let v = a
        .get("/__admin/requests/unmatched/near-misses")
        .await
        .json();
    let d = distances(&v);
    // WireMock 3.13: 0.02898550724637681, then 0.23717948717948717.
    assert!(close(d[0], 0.02898550724637681), "{v}");
    assert!(close(d[1], 0.23717948717948717), "{v}");
}

/// XML nested `depth` elements deep around `<id>42</id>`.
fn nested_xml(depth: usize) -> String {
    format!("{}<id>42</id>{}", "<a>".repeat(depth), "</a>".repeat(depth))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xml_nested_thousands_deep_is_not_matched_and_the_server_lives_on() {
    let (_s, a) = server().await;
    stub(
        &a,
        json!({"urlPath": "/ids", "bodyPatterns": [
            {"matchesXPath": {"expression": "//id", "equalTo": "42"}}]}),
    )
    .await;
    let shallow = nested_xml(10);
    assert_eq!(status(&a, Method::POST, "/ids", &[], &shallow).await, 200);
    // 9 000 levels (81 KB) overflowed a worker's stack before.
    let deep = nested_xml(9_000);
    assert_eq!(status(&a, Method::POST, "/ids", &[], &deep).await, 404);
    assert_eq!(a.get("/__admin/health").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmatched_deep_xml_request_elsewhere_gets_its_near_misses_and_the_server_lives_on() {
    let (_s, a) = server().await;
    stub(
        &a,
        json!({"urlPath": "/ids", "bodyPatterns": [
            {"matchesXPath": {"expression": "//id", "equalTo": "42"}}]}),
    )
    .await;
    // Near misses run every stub's matchers over an unanswered request.
    let body = nested_xml(9_000);
    assert_eq!(
        status(&a, Method::POST, "/elsewhere", &[], &body).await,
        404
    );
    assert_eq!(a.get("/__admin/health").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matches_json_schema_validates_the_body_and_round_trips() {
    let (_s, a) = server().await;
    let person = json!({"type": "object", "required": ["name"],
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}});
    let as_object = json!({"urlPath": "/object", "bodyPatterns": [{"matchesJsonSchema": person}]});
    let as_string = json!({"urlPath": "/string", "bodyPatterns": [
        {"matchesJsonSchema": "{\"type\": \"number\", \"maximum\": 10, \"exclusiveMaximum\": true}",
         "schemaVersion": "V4"}]});
    stub(&a, as_object.clone()).await;
    stub(&a, as_string.clone()).await;
    let post = |path: &'static str, body: &'static str| status(&a, Method::POST, path, &[], body);
    assert_eq!(post("/object", r#"{"name": "ann", "age": 3}"#).await, 200);
    assert_eq!(post("/object", r#"{"age": 3}"#).await, 404);
    assert_eq!(post("/object", "not json").await, 404);
    assert_eq!(post("/string", "9").await, 200);
    assert_eq!(
        post("/string", "10").await,
        404,
        "draft 4: maximum exclusive"
    );

    // Stored as posted; posting what GET answers makes the same stubs.
    let stored = a.get("/__admin/mappings").await.json();
    let requests: Vec<&Value> = stored["mappings"]
        .as_array()
        .expect("mappings")
        .iter()
        .map(|m| &m["request"])
        .collect();
    assert!(requests.contains(&&as_object), "{stored}");
    assert!(requests.contains(&&as_string), "{stored}");
    assert_eq!(a.delete("/__admin/mappings").await.status, StatusCode::OK);
    for m in stored["mappings"].as_array().expect("mappings") {
        a.stub(m.clone()).await;
    }
    assert_eq!(post("/object", r#"{"name": "bob"}"#).await, 200);
    assert_eq!(post("/string", "10").await, 404);

    // A miss's distance is WireMock's: its 2 errors over 2 properties,
    // weighed 1 of 46.
    let v = a
        .post(
            "/__admin/near-misses/request",
            json!({"url": "/object", "method": "POST", "body": "{\"age\": \"x\"}"}),
        )
        .await
        .json();
    assert!(close(distances(&v)[0], 1.0 / 46.0), "{v}");

    // A bad schema is refused, pointing at it.
    for (bad, pointer) in [
        (
            json!({"matchesJsonSchema": {"type": 5}}),
            "/request/bodyPatterns/0/matchesJsonSchema",
        ),
        (
            json!({"matchesJsonSchema": {}, "schemaVersion": "V5"}),
            "/request/bodyPatterns/0/schemaVersion",
        ),
        (
            json!({"matchesJsonSchema": {"$ref": "http://127.0.0.1:9/schema.json"}}),
            "/request/bodyPatterns/0/matchesJsonSchema",
        ),
    ] {
        let r = a
            .post(
                "/__admin/mappings",
                json!({"request": {"bodyPatterns": [bad]}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(r.json()["errors"][0]["source"]["pointer"], pointer);
    }

    // A schema whose work doubles at each level: a deep body is not
    // matched, at once, and the server lives on.
    stub(
        &a,
        json!({"urlPath": "/doubling", "bodyPatterns": [{"matchesJsonSchema":
        {"allOf": [{"items": {"$ref": "#"}}, {"items": {"$ref": "#"}}]}}]}),
    )
    .await;
    let deep = format!("{}{}", "[".repeat(120), "]".repeat(120));
    let started = std::time::Instant::now();
    assert_eq!(status(&a, Method::POST, "/doubling", &[], &deep).await, 404);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(a.get("/__admin/health").await.status, StatusCode::OK);
}
