//! Stubs and next-request overrides are sources ahead of resources: they
//! win for the same request, and the resource's state is kept.

use super::{call, ids, post_order, with, with_orders};
use http::Method;
use serde_json::json;
use testkit::{Admin, TestServer};

/// A server with `orders` declared for the service `shop`, seeded with
/// one item.
async fn with_shop_orders() -> (TestServer, Admin) {
    with(
        json!({"resource": {"name": "orders", "path": "/orders", "service": "shop", "seed": [{"id": "1"}]}}),
        |_| {},
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_for_the_same_request_wins_and_the_state_is_kept() {
    let (_server, admin) = with_orders().await;
    post_order(&admin, Some("s"), r#"{"id": "mine"}"#).await;
    let stub = admin
        .stub(json!({
            "request": {"method": "POST", "urlPath": "/orders"},
            "response": {"status": 503, "jsonBody": {"error": "down"}}
        }))
        .await;
    let r = post_order(&admin, Some("s"), r#"{"id": "lost"}"#).await;
    assert_eq!(r.status, 503);
    assert_eq!(ids(&admin, "/orders", Some("s")).await, ["1", "2", "mine"]);
    let id = stub["id"].as_str().expect("the stub's id");
    admin.delete(&format!("/__admin/mappings/{id}")).await;
    let r = post_order(&admin, Some("s"), r#"{"id": "later"}"#).await;
    assert_eq!(r.status, 201);
    assert_eq!(
        ids(&admin, "/orders", Some("s")).await,
        ["1", "2", "mine", "later"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_request_override_wins_once_and_the_state_is_kept() {
    let (_server, admin) = with_shop_orders().await;
    let armed = admin
        .mock(
            Method::POST,
            "/shop/orders",
            &[
                ("x-fake-servicer-next-request-status", "500"),
                (
                    "x-fake-servicer-next-request-body",
                    "{\"error\": \"forced\"}",
                ),
            ],
            "",
        )
        .await;
    assert_eq!(armed.status, 202, "{}", armed.text());
    let forced = call(&admin, Method::POST, "/shop/orders", None, r#"{"id": "x"}"#).await;
    assert_eq!(forced.status, 500);
    assert_eq!(forced.json()["error"], "forced");
    assert_eq!(ids(&admin, "/shop/orders", None).await, ["1"]);
    let next = call(&admin, Method::POST, "/shop/orders", None, r#"{"id": "x"}"#).await;
    assert_eq!(next.status, 201);
    assert_eq!(ids(&admin, "/shop/orders", None).await, ["1", "x"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_of_the_status_only_keeps_the_answer_the_resource_would_give_without_the_write()
{
    let (_server, admin) = with_shop_orders().await;
    let arm = |method: Method, path: &'static str| {
        let admin = &admin;
        async move {
            let r = admin
                .mock(
                    method,
                    path,
                    &[("x-fake-servicer-next-request-status", "503")],
                    "",
                )
                .await;
            assert_eq!(r.status, 202, "{}", r.text());
        }
    };
    arm(Method::DELETE, "/shop/orders/1").await;
    let r = call(&admin, Method::DELETE, "/shop/orders/1", None, "").await;
    assert_eq!(r.status, 503);
    arm(Method::PATCH, "/shop/orders/1").await;
    let r = call(&admin, Method::PATCH, "/shop/orders/1", None, r#"{"a": 1}"#).await;
    assert_eq!(r.status, 503);
    assert_eq!(
        r.json(),
        json!({"id": "1", "a": 1}),
        "the answer it would have been"
    );
    assert_eq!(
        call(&admin, Method::GET, "/shop/orders/1", None, "")
            .await
            .json(),
        json!({"id": "1"}),
        "nothing written"
    );
    let listed = admin.get("/__admin/resources").await.json();
    assert_eq!(
        listed["resources"][0]["items"]["unscopedWritten"], false,
        "{listed}"
    );
}
