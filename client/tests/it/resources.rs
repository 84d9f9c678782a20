//! Declared resources steered through the client against a real
//! fake-servicer: declared at run time, read, replaced and emptied, per
//! scope and not, while the app's requests write to them.

use serde_json::{Value, json};
use testkit::Http;

fn orders() -> Value {
    json!({"name": "orders", "path": "/orders", "service": "shop",
           "seed": [{"id": "1", "status": "open"}]})
}

fn ids(items: &[Value]) -> Vec<&str> {
    items.iter().filter_map(|i| i["id"].as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_declared_by_the_client_keeps_what_the_app_posts() {
    let server = testkit::serve(&[], |_| {}).await;
    let client = server.client();
    client.declare_resource(orders()).await.unwrap();
    let made = Http::new()
        .post_json(
            &format!("{}/shop/orders", server.url()),
            r#"{"id": "2", "status": "paid"}"#,
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    assert_eq!(
        ids(&client.resource_items("orders").await.unwrap()),
        ["1", "2"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scopes_items_are_set_read_and_emptied_without_touching_the_unscoped_ones() {
    let server = testkit::serve(&[], |_| {}).await;
    let client = server.client();
    client
        .declare_resource(json!({ "resource": orders() }))
        .await
        .unwrap();
    let test = client.scope("test-7");
    let stored = test
        .set_resource_items("orders", vec![json!({"status": "new"})])
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0]["id"].is_string(),
        "an id is generated: {stored:?}"
    );
    assert_eq!(test.resource_items("orders").await.unwrap(), stored);
    assert_eq!(ids(&client.resource_items("orders").await.unwrap()), ["1"]);
    assert_eq!(test.empty_resource("orders").await.unwrap(), 1);
    assert!(test.resource_items("orders").await.unwrap().is_empty());
    assert_eq!(client.resource_items("orders").await.unwrap().len(), 1);
    test.reset().await.unwrap();
    assert_eq!(ids(&test.resource_items("orders").await.unwrap()), ["1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_resource_is_a_server_error_with_status_404() {
    let server = testkit::serve(&[], |_| {}).await;
    let err = server.client().resource_items("nope").await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
}
