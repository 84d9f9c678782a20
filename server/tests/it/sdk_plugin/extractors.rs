//! Every extractor and return type over HTTP, failed extractions (400) and axum-like extractors.

use super::sink_server;
use bytes::Bytes;
use http::{Method, StatusCode};
use testkit::Http;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_extractor_and_return_type_works_over_http() {
    let server = sink_server().await;
    let http = Http::new();
    let u = |p: &str| format!("{}/sink{p}", server.url());

    assert_eq!(http.get(&u("/path/42")).await.text(), "id=42");
    assert_eq!(http.get(&u("/pair/7/x%20y")).await.text(), "a=7 b=x y");
    assert_eq!(http.get(&u("/tuple/k/-3")).await.text(), "k:-3");
    assert_eq!(http.get(&u("/files/a/b/c.txt")).await.text(), "a/b/c.txt");

    let q = http.get(&u("/query?n=5&tag=t")).await;
    assert_eq!(q.status, StatusCode::OK);
    assert_eq!(q.json(), serde_json::json!({"n": 5, "tag": "t"}));
    assert_eq!(q.header("content-type"), Some("application/json"));

    let created = http
        .post_json(&u("/json"), r#"{"name":"pen","qty":3}"#)
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json(), serde_json::json!({"name": "pen", "qty": 3}));

    let h = http
        .send(
            Method::GET,
            &u("/headers"),
            &[("x-multi", "1"), ("x-multi", "2")],
            Bytes::new(),
        )
        .await
        .unwrap();
    assert_eq!(h.text(), "1,2");

    let b = http
        .send(
            Method::PUT,
            &u("/body"),
            &[],
            Bytes::from_static(&[1, 2, 3]),
        )
        .await
        .unwrap();
    assert_eq!(&b.body[..], &[3, 2, 1]);

    let t = http
        .send(Method::POST, &u("/text"), &[], "shout")
        .await
        .unwrap();
    assert_eq!(t.text(), "SHOUT");
    assert_eq!(t.header("content-type"), Some("text/plain; charset=utf-8"));

    let m = http
        .send(Method::PATCH, &u("/method"), &[], Bytes::new())
        .await
        .unwrap();
    assert_eq!(m.text(), "PATCH");

    let s = http
        .send(Method::DELETE, &u("/status"), &[], Bytes::new())
        .await
        .unwrap();
    assert_eq!(s.status, StatusCode::NO_CONTENT);
    assert!(s.body.is_empty());

    assert_eq!(http.get(&u("/str")).await.text(), "static");
    let head = http
        .send(Method::HEAD, &u("/str"), &[], Bytes::new())
        .await
        .unwrap();
    assert_eq!(
        head.status,
        StatusCode::OK,
        "HEAD falls back to the GET route"
    );
    assert!(head.body.is_empty());

    assert_eq!(http.get(&u("/result/true")).await.text(), "fine");
    let denied = http.get(&u("/result/false")).await;
    assert_eq!(
        (denied.status, denied.text().as_str()),
        (StatusCode::FORBIDDEN, "Auth error")
    );

    assert_eq!(http.get(&u("/option/true")).await.text(), "here");
    assert_eq!(
        http.get(&u("/option/false")).await.status,
        StatusCode::NOT_FOUND
    );

    let built = http.get(&u("/builder")).await;
    assert_eq!(built.status, StatusCode::ACCEPTED);
    assert_eq!(built.header("x-one"), Some("1"));
    let multi: Vec<_> = built
        .headers
        .get_all("x-multi")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(multi, ["a", "b"]);
    assert_eq!(built.json(), serde_json::json!({"built": true}));

    let o = http
        .send(Method::OPTIONS, &u("/opts"), &[], Bytes::new())
        .await
        .unwrap();
    assert_eq!(
        (o.text().as_str(), o.header("allow")),
        ("OPTIONS", Some("GET, OPTIONS"))
    );

    let f = http.get(&u("/fake")).await.json();
    assert!(f["email"].as_str().unwrap().contains('@'), "{f}");
    assert_eq!(f["uuid"].as_str().unwrap().len(), 36, "{f}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_extraction_answers_400_naming_the_field() {
    let server = sink_server().await;
    let http = Http::new();
    let u = |p: &str| format!("{}/sink{p}", server.url());

    let cases = [
        ("/path/abc", "id"),
        ("/pair/x/y", "a"),
        ("/tuple/k/notanumber", "y"),
        ("/query?n=x", "n"),
        ("/query?tag=t", "n"),
        ("/result/maybe", "ok"),
    ];
    for (path, field) in cases {
        let r = http.get(&u(path)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text());
        let body = r.json();
        assert_eq!(body["field"], field, "{path}: {body}");
        assert!(
            body["reason"].as_str().is_some_and(|s| !s.is_empty()),
            "{path}: {body}"
        );
    }

    let wrong_type = http
        .post_json(&u("/json"), r#"{"name":"pen","qty":"many"}"#)
        .await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong_type.json()["field"], "qty");

    let missing = http.post_json(&u("/json"), r#"{"name":"pen"}"#).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.json()["field"], "qty");

    let broken = http.post_json(&u("/json"), r#"{"name":"#).await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.json()["error"], "invalid JSON body");

    let not_json = http
        .send(
            Method::POST,
            &u("/json"),
            &[("content-type", "text/plain")],
            r#"{"name":"a","qty":1}"#,
        )
        .await
        .unwrap();
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(not_json.json()["field"], "content-type");

    let bad_utf8 = http
        .send(
            Method::POST,
            &u("/text"),
            &[],
            Bytes::from_static(&[0xff, 0xfe]),
        )
        .await
        .unwrap();
    assert_eq!(bad_utf8.status, StatusCode::BAD_REQUEST);
}

/// A plugin with the extractors axum users reach for first.
const AXUM_LIKE: &str = r#"
use fake_servicer::prelude::*;
use fake_servicer::Rejection;
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Default)]
struct Hits(AtomicU32);

#[route(get, "/hits")]
fn hits(State(hits): State<Hits>) -> String {
    (hits.0.fetch_add(1, Ordering::SeqCst) + 1).to_string()
}

#[route(post, "/whole/{id}")]
fn whole(req: WholeRequest) -> String {
    format!(
        "{} {} {} {} {} {}",
        req.method(),
        req.path(),
        req.param("id").unwrap_or("-"),
        req.query(),
        req.header("x-a").unwrap_or("-"),
        req.text().unwrap_or("-")
    )
}

#[derive(Deserialize)]
struct Page { page: u32 }

#[route(get, "/page")]
fn page(p: Option<Query<Page>>) -> String {
    format!("page {}", p.map_or(1, |Query(p)| p.page))
}

#[derive(Deserialize)]
struct Order { item: String }

#[route(post, "/order")]
fn order(body: Result<Json<Order>, Rejection>) -> (StatusCode, String) {
    match body {
        Ok(Json(o)) => (StatusCode::CREATED, o.item),
        Err(why) => (StatusCode::UNPROCESSABLE_ENTITY, format!("refused: {}", why.error)),
    }
}

fake_servicer::service!(hits, whole, page, order);
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_whole_request_and_optional_extractors_work_as_in_axum() {
    let lib = testkit::PluginCrate::new("axum_like", AXUM_LIKE).build();
    let server = testkit::serve(&[lib], |_| {}).await;
    let http = Http::new();
    let url = |p: &str| format!("{}/axum_like{p}", server.url());
    for want in ["1", "2", "3"] {
        assert_eq!(
            http.get(&url("/hits")).await.text(),
            want,
            "state shared across calls"
        );
    }
    let whole = http
        .send(Method::POST, &url("/whole/7?q=1"), &[("x-a", "b")], "body")
        .await
        .unwrap();
    assert_eq!(whole.text(), "POST /whole/7 7 q=1 b body");
    assert_eq!(http.get(&url("/page?page=3")).await.text(), "page 3");
    assert_eq!(http.get(&url("/page?page=x")).await.text(), "page 1");
    let ok = http.post_json(&url("/order"), r#"{"item":"tea"}"#).await;
    assert_eq!(
        (ok.status, ok.text().as_str()),
        (StatusCode::CREATED, "tea")
    );
    let refused = http.post_json(&url("/order"), r#"{"nope":1}"#).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().starts_with("refused: "),
        "{}",
        refused.text()
    );
}
