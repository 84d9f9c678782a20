//! Each cap answers 507 naming its flag, and nothing is lost.

use super::{call, ids, orders, post_order, with};
use http::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_max_resource_items_a_write_is_507_naming_the_flag_and_nothing_is_lost() {
    let (_server, admin) = with(orders(), |c| c.max_resource_items = 3).await;
    assert_eq!(
        post_order(&admin, Some("s"), r#"{"id": "3"}"#).await.status,
        201
    );
    let r = post_order(&admin, Some("s"), r#"{"id": "4"}"#).await;
    assert_eq!(r.status, 507, "{}", r.text());
    assert_eq!(r.json()["flag"], "--max-resource-items");
    assert_eq!(r.json()["cap"], 3);
    assert_eq!(ids(&admin, "/orders", Some("s")).await, ["1", "2", "3"]);
    // Per scope: another scope has room.
    assert_eq!(
        post_order(&admin, Some("t"), r#"{"id": "4"}"#).await.status,
        201
    );
    let put = admin
        .put(
            "/__admin/resources/orders?scope=s",
            json!([{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}]),
        )
        .await;
    assert_eq!(put.status, 507);
    assert!(
        put.text().contains("--max-resource-items"),
        "{}",
        put.text()
    );
    assert_eq!(ids(&admin, "/orders", Some("s")).await, ["1", "2", "3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_max_resource_bytes_a_write_is_507_naming_the_flag_and_nothing_is_lost() {
    let (_server, admin) = with(orders(), |c| c.max_resource_bytes = 200).await;
    let big = json!({"id": "big", "note": "x".repeat(150)}).to_string();
    let r = call(&admin, Method::POST, "/orders", None, &big).await;
    assert_eq!(r.status, 507, "{}", r.text());
    assert_eq!(r.json()["flag"], "--max-resource-bytes");
    let grow = json!({"note": "y".repeat(150)}).to_string();
    let r = call(&admin, Method::PATCH, "/orders/1", None, &grow).await;
    assert_eq!(r.status, 507);
    assert_eq!(
        call(&admin, Method::GET, "/orders/1", None, "")
            .await
            .json()["status"],
        "open"
    );
    assert_eq!(ids(&admin, "/orders", None).await, ["1", "2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_max_resource_total_bytes_writes_in_any_scope_are_507_until_a_scope_goes() {
    let (_server, admin) = with(orders(), |c| c.max_resource_total_bytes = 300).await;
    let item = |id: &str| json!({"id": id, "note": "z".repeat(100)}).to_string();
    assert_eq!(
        call(&admin, Method::POST, "/orders", Some("a"), &item("a1"))
            .await
            .status,
        201
    );
    assert_eq!(
        call(&admin, Method::POST, "/orders", Some("b"), &item("b1"))
            .await
            .status,
        201
    );
    let r = call(&admin, Method::POST, "/orders", Some("c"), &item("c1")).await;
    assert_eq!(r.status, 507, "{}", r.text());
    assert_eq!(r.json()["flag"], "--max-resource-total-bytes");
    assert_eq!(ids(&admin, "/orders", Some("c")).await, ["1", "2"]);
    assert_eq!(ids(&admin, "/orders", Some("a")).await, ["1", "2", "a1"]);
    // At the cap, an item replaced by one of the same size still fits.
    let same = json!({"note": "q".repeat(100)}).to_string();
    let r = call(&admin, Method::PUT, "/orders/b1", Some("b"), &same).await;
    assert_eq!(r.status, 200, "{}", r.text());
    admin.delete("/__admin/scopes/a").await;
    assert_eq!(
        call(&admin, Method::POST, "/orders", Some("c"), &item("c1"))
            .await
            .status,
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_past_the_caps_is_refused_at_declaration() {
    let server = testkit::serve(&[], |c| c.max_resource_items = 1).await;
    let admin = testkit::Admin::new(&server);
    let r = admin.post("/__admin/resources", orders()).await;
    r.assert_invalid_at("/resource/seed");
    assert!(r.text().contains("--max-resource-items"), "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_first_write_leaves_the_scope_without_a_copy_of_its_own() {
    let (_server, admin) = with(orders(), |c| c.max_resource_items = 2).await;
    let r = post_order(&admin, Some("new"), r#"{"id": "3"}"#).await;
    assert_eq!(r.status, 507);
    let listed = admin.get("/__admin/resources").await.json();
    assert_eq!(
        listed["resources"][0]["items"]["scopes"],
        json!({}),
        "{listed}"
    );
}
