//! Declared resources: CRUD collections from a mapping file or the admin
//! API, their state per scope (copy on write), within their caps; stubs
//! and overrides still win; plain HTTP clients (hyper, curl).

mod admin;
mod caps;
mod clients;
mod crud;
mod files;
mod precedence;
mod scopes;

use http::Method;
use serde_json::{Value, json};
use testkit::{Admin, Reply, TestServer, serve};

/// `orders` at `/orders`, seeded with two items.
fn orders() -> Value {
    json!({"resource": {
        "name": "orders",
        "path": "/orders",
        "seed": [
            {"id": "1", "status": "open", "total": 10},
            {"id": "2", "status": "shipped", "total": 20}
        ]
    }})
}

/// A server (configured by `adjust`) with `declaration` declared through
/// the admin API.
async fn with(
    declaration: Value,
    adjust: impl FnOnce(&mut fake_servicer_server::Config),
) -> (TestServer, Admin) {
    let server = serve(&[], adjust).await;
    let admin = Admin::new(&server);
    let r = admin.post("/__admin/resources", declaration).await;
    assert_eq!(r.status, 201, "{}", r.text());
    (server, admin)
}

/// A server with [`orders`] declared.
async fn with_orders() -> (TestServer, Admin) {
    with(orders(), |_| {}).await
}

/// `method path` with a JSON `body`, in `scope` when given.
async fn call(admin: &Admin, method: Method, path: &str, scope: Option<&str>, body: &str) -> Reply {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(s) = scope {
        headers.push(("x-fake-servicer-scope", s));
    }
    admin.mock(method, path, &headers, body).await
}

/// `POST /orders` of `body`, in `scope` when given.
async fn post_order(admin: &Admin, scope: Option<&str>, body: &str) -> Reply {
    call(admin, Method::POST, "/orders", scope, body).await
}

/// The ids `GET path` lists in `scope`, in order.
async fn ids(admin: &Admin, path: &str, scope: Option<&str>) -> Vec<String> {
    let r = call(admin, Method::GET, path, scope, "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {}", r.text()))
        .iter()
        .map(|i| match &i["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}
