//! With `--admin-token`: admin calls need the token, health and services do
//! not.

use http::{Method, StatusCode};
use serde_json::json;
use testkit::{Admin, Http, TestServer, serve_examples};

const TOKEN: (&str, &str) = ("authorization", "Bearer s3cret");

async fn server_with_token() -> TestServer {
    serve_examples(|c| c.admin_token = Some("s3cret".to_owned())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_admin_token_admin_calls_without_it_or_with_another_are_refused_401() {
    let server = server_with_token().await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_admin_token_admin_calls_bearing_it_are_served() {
    let server = server_with_token().await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_admin_token_health_and_services_need_none() {
    let server = server_with_token().await;
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
}
