//! Each verb and status code of a declared resource.

use super::{call, ids, with_orders};
use http::Method;
use serde_json::{Value, json};
use testkit::{Admin, Reply};

/// `method path` with a JSON `body`, in no scope.
async fn send(admin: &Admin, method: Method, path: &str, body: &str) -> Reply {
    call(admin, method, path, None, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_resource_lists_its_seed_with_the_total_as_json() {
    let (_server, admin) = with_orders().await;
    let r = send(&admin, Method::GET, "/orders", "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    assert_eq!(v["total"], 2);
    assert_eq!(
        v["items"][0],
        json!({"id": "1", "status": "open", "total": 10})
    );
    assert_eq!(ids(&admin, "/orders/", None).await, ["1", "2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_match_top_level_fields_and_paging_comes_after_the_total() {
    let (_server, admin) = with_orders().await;
    for i in 3..=7 {
        let body =
            json!({"id": i.to_string(), "status": "open", "total": i * 10, "paid": i % 2 == 0});
        let r = send(&admin, Method::POST, "/orders", &body.to_string()).await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let page = |q: &'static str| {
        let admin = &admin;
        async move {
            send(admin, Method::GET, &format!("/orders?{q}"), "")
                .await
                .json()
        }
    };
    let open = page("status=open").await;
    assert_eq!(open["total"], 6);
    let both = page("status=open&paid=true").await;
    assert_eq!(both["total"], 2, "{both}");
    assert_eq!(page("total=50").await["items"][0]["id"], "5");
    let paged = page("status=open&offset=2&limit=2").await;
    assert_eq!(paged["total"], 6);
    let got: Vec<&str> = paged["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(got, ["4", "5"]);
    assert_eq!(page("limit=0").await["items"], json!([]));
    assert_eq!(page("nosuchfield=1").await["total"], 0);
    let bad = send(&admin, Method::GET, "/orders?limit=ten", "").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("limit"),
        "{}",
        bad.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_stores_an_item_with_a_generated_id_and_answers_201_with_its_location() {
    let (_server, admin) = with_orders().await;
    let r = send(&admin, Method::POST, "/orders", r#"{"status": "new"}"#).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let item = r.json();
    let id = item["id"].as_str().expect("a generated id").to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert_eq!(r.header("location"), Some(format!("/orders/{id}").as_str()));
    let got = send(&admin, Method::GET, &format!("/orders/{id}"), "").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), item);
    let given = send(&admin, Method::POST, "/orders", r#"{"id": "a b", "x": 1}"#).await;
    assert_eq!(given.header("location"), Some("/orders/a%20b"));
    assert_eq!(
        send(&admin, Method::GET, "/orders/a%20b", "").await.json()["x"],
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_id_is_409_and_changes_nothing() {
    let (_server, admin) = with_orders().await;
    let r = send(
        &admin,
        Method::POST,
        "/orders",
        r#"{"id": "1", "status": "again"}"#,
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.json()["id"], "1");
    let one = send(&admin, Method::GET, "/orders/1", "").await.json();
    assert_eq!(one["status"], "open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_replaces_patch_merges_and_delete_removes_an_item() {
    let (_server, admin) = with_orders().await;
    let put = send(&admin, Method::PUT, "/orders/1", r#"{"status": "paid"}"#).await;
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(put.json(), json!({"status": "paid", "id": "1"}));
    let patch = send(
        &admin,
        Method::PATCH,
        "/orders/2",
        r#"{"status": "lost", "total": null, "address": {"city": "Lyon"}}"#,
    )
    .await;
    assert_eq!(patch.status, 200, "{}", patch.text());
    assert_eq!(
        patch.json(),
        json!({"id": "2", "status": "lost", "address": {"city": "Lyon"}})
    );
    let nested = send(
        &admin,
        Method::PATCH,
        "/orders/2",
        r#"{"address": {"zip": "69001"}}"#,
    )
    .await;
    assert_eq!(
        nested.json()["address"],
        json!({"city": "Lyon", "zip": "69001"})
    );
    assert_eq!(
        ids(&admin, "/orders", None).await,
        ["1", "2"],
        "a replaced item keeps its place"
    );
    let gone = send(&admin, Method::DELETE, "/orders/1", "").await;
    assert_eq!(gone.status, 204);
    assert!(gone.body.is_empty());
    assert_eq!(send(&admin, Method::GET, "/orders/1", "").await.status, 404);
    assert_eq!(ids(&admin, "/orders", None).await, ["2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_id_is_404_for_every_item_verb() {
    let (_server, admin) = with_orders().await;
    for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
        let r = send(&admin, method.clone(), "/orders/nope", "{}").await;
        assert_eq!(r.status, 404, "{method}: {}", r.text());
        assert_eq!(r.json()["id"], "nope");
        assert_eq!(r.json()["resource"], "orders");
    }
    assert_eq!(ids(&admin, "/orders", None).await, ["1", "2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_a_json_object_is_400_or_422_and_changes_nothing() {
    let (_server, admin) = with_orders().await;
    let cases = [
        (Method::POST, "/orders", "", 400),
        (Method::POST, "/orders", "{not json", 400),
        (Method::POST, "/orders", "[1, 2]", 422),
        (Method::POST, "/orders", r#"{"id": {"x": 1}}"#, 422),
        (Method::PUT, "/orders/1", "\"text\"", 422),
        (Method::PUT, "/orders/1", r#"{"id": "2"}"#, 422),
        (Method::PATCH, "/orders/1", "null", 422),
        (Method::PATCH, "/orders/1", r#"{"id": null}"#, 422),
        (Method::PATCH, "/orders/1", "{", 400),
    ];
    for (method, path, body, status) in cases {
        let r = send(&admin, method.clone(), path, body).await;
        assert_eq!(r.status, status, "{method} {path} {body:?}: {}", r.text());
        assert!(r.json()["error"].is_string(), "{}", r.text());
    }
    let one = send(&admin, Method::GET, "/orders/1", "").await.json();
    assert_eq!(one, json!({"id": "1", "status": "open", "total": 10}));
    assert_eq!(ids(&admin, "/orders", None).await, ["1", "2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_a_resource_does_not_take_is_405_naming_those_it_does() {
    let (_server, admin) = with_orders().await;
    let r = send(&admin, Method::DELETE, "/orders", "").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, POST"));
    let r = send(&admin, Method::POST, "/orders/1", "{}").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, PUT, PATCH, DELETE"));
    // Deeper paths are not the resource's.
    let r = send(&admin, Method::GET, "/orders/1/lines", "").await;
    assert_eq!(r.status, 404);
    assert!(r.json().get("resource").is_none(), "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_names_the_resource_and_the_verb() {
    let (_server, admin) = with_orders().await;
    let steps = [
        (Method::GET, "/orders", "", "list"),
        (Method::POST, "/orders", r#"{"id": "9"}"#, "create"),
        (Method::GET, "/orders/9", "", "get"),
        (Method::PUT, "/orders/9", "{}", "update"),
        (Method::PATCH, "/orders/9", r#"{"a": 1}"#, "patch"),
        (Method::DELETE, "/orders/9", "", "delete"),
    ];
    for (method, path, body, _) in &steps {
        send(&admin, method.clone(), path, body).await;
    }
    let journal = admin.get("/__admin/requests?extensions=true").await.json();
    let mut seen: Vec<Value> = journal["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|e| e["answeredBy"].clone())
        .collect();
    seen.reverse();
    let wanted: Vec<Value> = steps
        .iter()
        .map(|(_, _, _, verb)| json!({"kind": "resource", "resource": "orders", "verb": verb}))
        .collect();
    assert_eq!(seen, wanted);
}
