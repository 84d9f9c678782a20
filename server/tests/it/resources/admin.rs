//! `/__admin/resources`: declare at run time, list with items per scope,
//! read, replace and empty one scope's items, undeclare.

use super::{call, ids, orders, post_order, with_orders};
use http::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_lists_each_resource_with_its_items_per_scope() {
    let (_server, admin) = with_orders().await;
    post_order(&admin, Some("s1"), r#"{"id": "x"}"#).await;
    call(&admin, Method::DELETE, "/orders/1", None, "").await;
    let list = admin.get("/__admin/resources").await.json();
    let one = &list["resources"][0];
    assert_eq!(one["name"], "orders");
    assert_eq!(one["path"], "/orders");
    assert_eq!(one["id"], "id");
    assert_eq!(one["origin"], "admin");
    assert_eq!(
        one["items"],
        json!({"seed": 2, "unscoped": 1, "unscopedWritten": true, "scopes": {"s1": 3}})
    );
    assert!(list["writtenBytes"].as_u64().unwrap_or(0) > 0, "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_reads_replaces_and_empties_the_items_of_one_scope() {
    let (_server, admin) = with_orders().await;
    let seen = admin.get("/__admin/resources/orders?scope=s").await.json();
    assert_eq!(seen["total"], 2);
    assert_eq!(seen["scope"], "s");
    let put = admin
        .put(
            "/__admin/resources/orders?scope=s",
            json!([{"id": 7, "a": 1}, {"b": 2}]),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(put.json()["total"], 2);
    let generated = put.json()["items"][1]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(
        ids(&admin, "/orders", Some("s")).await,
        ["7".to_owned(), generated]
    );
    assert_eq!(
        call(&admin, Method::GET, "/orders/7", Some("s"), "")
            .await
            .json()["a"],
        1
    );
    assert_eq!(
        ids(&admin, "/orders", None).await,
        ["1", "2"],
        "other states untouched"
    );
    // {"items": [...]} too, and the scope header in place of ?scope=.
    let r = admin
        .http
        .send(
            Method::PUT,
            &format!("{}/__admin/resources/orders", admin.base),
            &[("x-fake-servicer-scope", "h")],
            json!({"items": [{"id": "h1"}]}).to_string(),
        )
        .await
        .expect("an answer");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(ids(&admin, "/orders", Some("h")).await, ["h1"]);
    let emptied = admin.delete("/__admin/resources/orders?scope=s").await;
    assert_eq!(
        emptied.json(),
        json!({"name": "orders", "scope": "s", "removed": 2})
    );
    assert_eq!(
        ids(&admin, "/orders", Some("s")).await,
        Vec::<String>::new()
    );
    let base = admin.delete("/__admin/resources/orders").await.json();
    assert_eq!(base["removed"], 2);
    assert_eq!(ids(&admin, "/orders", None).await, Vec::<String>::new());
    assert_eq!(ids(&admin, "/orders", Some("other")).await, ["1", "2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_admin_items_are_refused_naming_the_item_and_nothing_changes() {
    let (_server, admin) = with_orders().await;
    let dup = admin
        .put("/__admin/resources/orders", json!([{"id": 1}, {"id": "1"}]))
        .await;
    assert_eq!(dup.status, 422);
    dup.assert_invalid_at("/1/id");
    let not_object = admin
        .put("/__admin/resources/orders", json!({"items": [3]}))
        .await;
    assert_eq!(not_object.status, 422);
    not_object.assert_invalid_at("/items/0");
    assert_eq!(
        admin.put("/__admin/resources/nope", json!([])).await.status,
        404
    );
    assert_eq!(admin.get("/__admin/resources/nope").await.status, 404);
    assert_eq!(ids(&admin, "/orders", None).await, ["1", "2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declaring_a_name_again_replaces_the_resource_and_drops_its_state() {
    let (_server, admin) = with_orders().await;
    post_order(&admin, Some("s"), r#"{"id": "x"}"#).await;
    let again = admin
        .post(
            "/__admin/resources",
            json!({"resource": {"name": "orders", "path": "/v2/orders", "id": "code", "seed": [{"code": "A"}]}}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(
        call(&admin, Method::GET, "/orders", Some("s"), "")
            .await
            .status,
        404
    );
    let r = call(&admin, Method::GET, "/v2/orders/A", Some("s"), "").await;
    assert_eq!(r.json(), json!({"code": "A"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_resource_on_the_same_path_is_409_and_a_bad_declaration_422_naming_the_field() {
    let (_server, admin) = with_orders().await;
    let clash = admin
        .post(
            "/__admin/resources",
            json!({"resource": {"name": "other", "path": "/orders/"}}),
        )
        .await;
    assert_eq!(clash.status, 409, "{}", clash.text());
    assert!(clash.text().contains("orders"), "{}", clash.text());
    let bad = admin
        .post(
            "/__admin/resources",
            json!({"resource": {"name": "x", "path": "/x", "seed": [{"id": 1}, 2]}}),
        )
        .await;
    assert_eq!(bad.status, 422);
    bad.assert_invalid_at("/resource/seed/1");
    let no_path = admin
        .post("/__admin/resources", json!({"resource": {"name": "x"}}))
        .await;
    no_path.assert_invalid_at("/resource/path");
    assert_eq!(
        admin.get("/__admin/resources").await.json()["resources"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeclaring_a_resource_stops_its_answers() {
    let (_server, admin) = with_orders().await;
    let r = admin.delete("/__admin/resources/orders/declaration").await;
    assert_eq!(r.json(), json!({"name": "orders", "undeclared": true}));
    assert_eq!(
        call(&admin, Method::GET, "/orders", None, "").await.status,
        404
    );
    assert_eq!(
        admin
            .delete("/__admin/resources/orders/declaration")
            .await
            .status,
        404
    );
    assert_eq!(admin.post("/__admin/resources", orders()).await.status, 201);
    assert_eq!(ids(&admin, "/orders", None).await, ["1", "2"]);
}
