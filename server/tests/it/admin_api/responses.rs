//! Thin responses (`POST /__admin/responses`): a filter and a response,
//! stored as a stub; bad bodies are refused like bad mappings.

use super::{assert_nothing_stored, server};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use testkit::Admin;

const SCOPE: &str = "X-Fake-Servicer-Scope";

/// `POST /__admin/responses` with `body`, which must be accepted (201);
/// returns the stub as stored.
async fn respond(a: &Admin, body: Value) -> Value {
    let r = a.post("/__admin/responses", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_set_by_filter_path_answers_that_path_with_the_string_as_body() {
    let server = server().await;
    let a = Admin::new(&server);
    respond(
        &a,
        json!({"filter": {"path": "/thin"}, "response": "hello"}),
    )
    .await;
    let r = a.mock(Method::GET, "/thin", &[], "").await;
    assert_eq!((r.status, r.text()), (StatusCode::OK, "hello".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_object_sends_its_status_headers_and_json_compact_in_key_order() {
    let server = server().await;
    let a = Admin::new(&server);
    respond(
        &a,
        json!({"filter": {"path": "/thin"}, "response": {
            "status": 201, "headers": {"X-Kind": "thin"}, "json": {"zeta": 1, "alpha": [true, null]}
        }}),
    )
    .await;
    a.stub(json!({"request": {"urlPath": "/full"}, "response": {"jsonBody": {}}}))
        .await;
    let r = a.mock(Method::GET, "/thin", &[], "").await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.header("x-kind"), Some("thin"));
    assert_eq!(r.text(), r#"{"zeta":1,"alpha":[true,null]}"#);
    let full = a.mock(Method::GET, "/full", &[], "").await;
    assert_eq!(
        r.header("content-type"),
        full.header("content-type"),
        "the Content-Type a jsonBody gives"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_with_a_method_filter_leaves_other_methods_unmatched() {
    let server = server().await;
    let a = Admin::new(&server);
    respond(
        &a,
        json!({"filter": {"path": "/thin", "method": "POST"}, "response": "posted"}),
    )
    .await;
    assert_eq!(
        a.mock(Method::POST, "/thin", &[], "").await.text(),
        "posted"
    );
    assert_eq!(
        a.mock(Method::GET, "/thin", &[], "").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_without_a_method_answers_any_method() {
    let server = server().await;
    let a = Admin::new(&server);
    let stub = respond(&a, json!({"filter": {"path": "/thin"}, "response": "any"})).await;
    assert_eq!(stub["request"].get("method"), None, "{stub}");
    for method in [Method::GET, Method::DELETE, Method::PATCH] {
        assert_eq!(a.mock(method, "/thin", &[], "").await.text(), "any");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_with_a_service_filter_answers_only_that_service() {
    let server = server().await;
    let a = Admin::new(&server);
    respond(
        &a,
        json!({"filter": {"path": "/thin", "service": "example"}, "response": "for example"}),
    )
    .await;
    assert_eq!(
        a.mock(Method::GET, "/example/thin", &[], "").await.text(),
        "for example"
    );
    assert_eq!(
        a.mock(Method::GET, "/thin", &[("host", "example")], "")
            .await
            .text(),
        "for example"
    );
    assert_ne!(
        a.mock(Method::GET, "/other_service/thin", &[], "")
            .await
            .text(),
        "for example"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_and_method_given_as_lists_of_one_filter_like_bare_strings() {
    let server = server().await;
    let a = Admin::new(&server);
    let stub = respond(
        &a,
        json!({"filter": {"path": "/thin", "method": ["GET"], "service": ["example"]},
               "response": "listed"}),
    )
    .await;
    assert_eq!(stub["request"]["service"], "example", "{stub}");
    assert_eq!(stub["request"]["method"], "GET", "{stub}");
    assert_eq!(
        a.mock(Method::GET, "/example/thin", &[], "").await.text(),
        "listed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_is_answered_201_with_its_stub_and_listed_with_the_mappings() {
    let server = server().await;
    let a = Admin::new(&server);
    let stub = respond(
        &a,
        json!({"filter": {"path": "/thin", "method": "GET"}, "response": "hi"}),
    )
    .await;
    assert_eq!(stub["request"]["urlPath"], "/thin", "{stub}");
    assert_eq!(stub["response"]["body"], "hi", "{stub}");
    let id = stub["id"].as_str().expect("an id");
    assert_eq!(a.get(&format!("/__admin/mappings/{id}")).await.json(), stub);
    let all = a.get("/__admin/mappings").await.json();
    assert_eq!(all["mappings"], json!([stub]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_created_with_the_scope_header_answers_only_its_scope() {
    let server = server().await;
    let a = Admin::new(&server);
    let r = a
        .http
        .send(
            Method::POST,
            &format!("{}/__admin/responses", a.base),
            &[("content-type", "application/json"), (SCOPE, "a")],
            json!({"filter": {"path": "/thin"}, "response": "scoped"}).to_string(),
        )
        .await
        .expect("admin call");
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["metadata"]["fake-servicer"]["scope"], "a");
    let answer = |scope: &'static [(&'static str, &'static str)]| {
        let a = &a;
        async move { a.mock(Method::GET, "/thin", scope, "").await.status }
    };
    assert_eq!(answer(&[(SCOPE, "a")]).await, StatusCode::OK);
    assert_eq!(answer(&[(SCOPE, "b")]).await, StatusCode::NOT_FOUND);
    assert_eq!(answer(&[]).await, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_is_removed_by_deleting_its_mapping() {
    let server = server().await;
    let a = Admin::new(&server);
    let stub = respond(&a, json!({"filter": {"path": "/thin"}, "response": "hi"})).await;
    let id = stub["id"].as_str().expect("an id");
    let del = a.delete(&format!("/__admin/mappings/{id}")).await;
    assert_eq!(del.status, StatusCode::OK, "{}", del.text());
    assert_eq!(
        a.mock(Method::GET, "/thin", &[], "").await.status,
        StatusCode::NOT_FOUND
    );
    assert_nothing_stored(&a).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_without_filter_path_is_answered_422_naming_the_field() {
    let server = server().await;
    let a = Admin::new(&server);
    let r = a
        .post("/__admin/responses", json!({"filter": {}, "response": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let body = r.json();
    assert_eq!(body["errors"][0]["code"], 10, "{body}");
    let title = body["errors"][0]["title"].as_str().unwrap_or_default();
    assert!(title.contains("path"), "{body}");
    assert_nothing_stored(&a).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_response_bodies_are_answered_like_bad_mappings_naming_the_field() {
    let server = server().await;
    let a = Admin::new(&server);
    let not_json = a
        .call(Method::POST, "/__admin/responses", "{\"filter\":")
        .await;
    assert_eq!(
        not_json.status,
        StatusCode::BAD_REQUEST,
        "{}",
        not_json.text()
    );
    for (bad, names) in [
        (
            json!({"filter": {"path": 7}, "response": "x"}),
            "filter.path",
        ),
        (
            json!({"filter": {"path": "/p", "service": ["a", "b"]}, "response": "x"}),
            "filter.service",
        ),
        (
            json!({"filter": {"path": "/p", "method": []}, "response": "x"}),
            "filter.method",
        ),
        (json!({"filter": {"path": "/p"}, "response": 5}), "response"),
        (
            json!({"filter": {"path": "/p"}, "response": {"body": "a", "json": 1}}),
            "body or json",
        ),
        (
            json!({"filter": {"path": "/p"}, "response": "x", "extra": 1}),
            "extra",
        ),
    ] {
        let r = a.post("/__admin/responses", bad.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text()
        );
        let title = r.json()["errors"][0]["title"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(title.contains(names), "{bad}: {title}");
    }
    assert_nothing_stored(&a).await;
}
