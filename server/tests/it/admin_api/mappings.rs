//! Stubs as a resource: created (with or without an id), listed, read,
//! replaced and deleted by id, imported, paged; input that is not a mapping
//! is refused and stores nothing.

use super::{assert_nothing_stored, server};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use testkit::{Admin, Http};

const ID: &str = "0b6e2b7e-9c1a-4b57-8d3a-3f0c6a7f9e11";

/// The stub `GET /hello` → "hi", under the client-supplied id [`ID`].
async fn hello_stub(a: &Admin) -> Value {
    a.stub(json!({"id": ID, "request": {"method": "GET", "url": "/hello"}, "response": {"status": 200, "body": "hi"}}))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_keeps_a_client_supplied_id() {
    let server = server().await;
    let created = hello_stub(&Admin::new(&server)).await;
    assert_eq!(created["id"], ID, "a client-supplied id is kept");
    assert_eq!(created["request"]["url"], "/hello");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_without_an_id_gets_a_uuid() {
    let server = server().await;
    let generated = Admin::new(&server)
        .stub(json!({"request": {"urlPath": "/other"}}))
        .await;
    assert!(
        uuid::Uuid::parse_str(generated["id"].as_str().unwrap()).is_ok(),
        "{generated}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mappings_are_listed_with_their_total_and_read_by_id() {
    let server = server().await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_replaced_with_put_answers_its_new_response() {
    let server = server().await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_mapping_answers_an_empty_object() {
    let server = server().await;
    let a = Admin::new(&server);
    hello_stub(&a).await;
    let del = a.delete(&format!("/__admin/mappings/{ID}")).await;
    assert_eq!((del.status, del.json()), (StatusCode::OK, json!({})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_mapping_ids_answer_404() {
    let server = server().await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_all_mappings_leaves_none() {
    let server = server().await;
    let a = Admin::new(&server);
    hello_stub(&a).await;
    a.stub(json!({"request": {"urlPath": "/other"}})).await;
    assert_eq!(a.delete("/__admin/mappings").await.status, StatusCode::OK);
    assert_eq!(a.get("/__admin/mappings").await.json()["meta"]["total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_that_does_not_hold_together_is_answered_422_pointing_at_the_fault() {
    let server = server().await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_that_is_not_json_is_answered_400() {
    let server = server().await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_admin_creates_lose_none() {
    let server = server().await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_stores_every_mapping_or_none_when_one_is_bad() {
    let server = server().await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mappings_list_pages_with_limit_and_offset() {
    let server = server().await;
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
}
