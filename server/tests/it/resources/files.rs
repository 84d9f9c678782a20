//! Resources declared by mapping files (`--mappings`): loaded, changed and
//! removed with the file; a bad declaration refused; a resource of a
//! service answers through the service's alias and prefix.

use super::{call, ids, post_order};
use http::Method;
use serde_json::json;
use std::time::Duration;
use testkit::{Admin, eventually, serve};

const PATIENCE: Duration = Duration::from_secs(10);

fn write(path: &std::path::Path, v: &serde_json::Value) {
    std::fs::write(path, v.to_string()).expect("write the mapping file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_file_declares_a_resource_and_its_changes_and_removal_follow() {
    let dir = tempfile::tempdir().expect("a mappings dir");
    let file = dir.path().join("orders.json");
    write(&file, &super::orders());
    std::fs::write(
        dir.path().join("stub.json"),
        json!({"request": {"urlPath": "/ping"}, "response": {"body": "pong"}}).to_string(),
    )
    .expect("a stub file");
    let mappings = dir.path().to_owned();
    let server = serve(&[], |c| c.mappings = Some(mappings)).await;
    let admin = Admin::new(&server);
    assert_eq!(ids(&admin, "/orders", None).await, ["1", "2"]);
    assert_eq!(
        call(&admin, Method::GET, "/ping", None, "").await.text(),
        "pong"
    );
    let listed = admin.get("/__admin/resources").await.json();
    assert!(
        listed["resources"][0]["origin"]["file"]
            .as_str()
            .unwrap_or_default()
            .ends_with("orders.json"),
        "{listed}"
    );

    // Changed: the new declaration, its seed, the old state gone.
    post_order(&admin, None, r#"{"id": "w"}"#).await;
    write(
        &file,
        &json!({"resource": {"name": "orders", "path": "/orders", "seed": [{"id": "new"}]}}),
    );
    eventually(PATIENCE, "the changed declaration", || {
        let admin = &admin;
        async move {
            let got = ids(admin, "/orders", None).await;
            if got == ["new"] {
                Ok(())
            } else {
                Err(format!("{got:?}"))
            }
        }
    })
    .await;

    // A bad declaration is refused: the previous one stays.
    write(
        &file,
        &json!({"resource": {"name": "orders", "path": "orders"}}),
    );
    std::fs::write(
        dir.path().join("marker.json"),
        json!({"request": {"urlPath": "/marker"}, "response": {"status": 204}}).to_string(),
    )
    .expect("a marker stub");
    eventually(PATIENCE, "the files after it to load", || {
        let admin = &admin;
        async move {
            let s = call(admin, Method::GET, "/marker", None, "").await.status;
            if s == 204 { Ok(()) } else { Err(s.to_string()) }
        }
    })
    .await;
    assert_eq!(ids(&admin, "/orders", None).await, ["new"]);

    // Removed: gone.
    std::fs::remove_file(&file).expect("remove");
    eventually(PATIENCE, "the resource to go with its file", || {
        let admin = &admin;
        async move {
            let s = call(admin, Method::GET, "/orders", None, "").await.status;
            if s == 404 { Ok(()) } else { Err(s.to_string()) }
        }
    })
    .await;
    assert_eq!(
        admin.get("/__admin/resources").await.json()["resources"],
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_of_a_service_answers_through_the_alias_and_the_prefix_only() {
    let dir = tempfile::tempdir().expect("a mappings dir");
    std::fs::create_dir(dir.path().join("shop")).expect("a service dir");
    // The service comes from the directory, as for stubs.
    write(
        &dir.path().join("shop").join("orders.json"),
        &json!({"resource": {"name": "orders", "path": "/orders", "seed": [{"id": 1}]}}),
    );
    let mappings = dir.path().to_owned();
    let server = serve(&[], |c| c.mappings = Some(mappings)).await;
    let admin = Admin::new(&server);
    assert_eq!(
        admin.get("/__admin/resources").await.json()["resources"][0]["service"],
        "shop"
    );
    let created = call(&admin, Method::POST, "/shop/orders", None, r#"{"id": 2}"#).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.header("location"), Some("/shop/orders/2"));
    let alias = admin
        .mock(Method::GET, "/orders/2", &[("host", "shop")], "")
        .await;
    assert_eq!(alias.status, 200, "{}", alias.text());
    assert_eq!(alias.json(), json!({"id": 2}));
    let prefix = admin
        .mock(
            Method::GET,
            "/shop/orders",
            &[("host", "fake-services")],
            "",
        )
        .await;
    assert_eq!(prefix.json()["total"], 2, "{}", prefix.text());
    // Without the service, the path is not the resource's.
    let r = call(&admin, Method::GET, "/orders", None, "").await;
    assert_eq!(r.status, 404);
    assert!(r.json().get("resource").is_none(), "{}", r.text());
    assert!(
        admin.services().await["services"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["name"] == "shop")),
        "the resource's service is listed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_resource_file_is_served_through_its_service() {
    let page = std::fs::read_to_string(testkit::workspace_root().join("docs/stateful.md"))
        .expect("docs/stateful.md");
    let sample = page
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a JSON sample in docs/stateful.md");
    let dir = tempfile::tempdir().expect("a mappings dir");
    std::fs::write(dir.path().join("orders.json"), sample).expect("the sample as a file");
    let mappings = dir.path().to_owned();
    let server = serve(&[], |c| c.mappings = Some(mappings)).await;
    let admin = Admin::new(&server);
    let r = admin
        .mock(Method::GET, "/orders?status=open", &[("host", "shop")], "")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["total"], 1);
    assert_eq!(r.json()["items"][0]["id"], "1");
}
