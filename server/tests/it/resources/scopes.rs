//! State per scope: a scope sees the seed plus its own writes and never
//! another scope's; unscoped requests share the base; deleting a scope
//! drops its writes; a reset returns every resource to its seed.

use super::{call, ids, post_order, with_orders};
use http::Method;
use serde_json::json;
use std::collections::BTreeSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_scoped_writers_each_list_exactly_the_seed_plus_their_own_items() {
    let (server, _admin) = with_orders().await;
    let url = server.url();
    let writers = (0..8).map(|s| {
        let url = url.clone();
        tokio::spawn(async move {
            let admin = testkit::Admin::at(url);
            let scope = format!("test-{s}");
            let posts = (0..25).map(|i| {
                let (admin, scope) = (&admin, scope.as_str());
                async move {
                    let body = json!({"id": format!("{scope}-{i}")}).to_string();
                    call(admin, Method::POST, "/orders", Some(scope), &body)
                        .await
                        .status
                }
            });
            let statuses = futures_util::future::join_all(posts).await;
            assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
            let got: BTreeSet<String> = ids(&admin, "/orders", Some(&scope))
                .await
                .into_iter()
                .collect();
            let mut wanted: BTreeSet<String> = (0..25).map(|i| format!("{scope}-{i}")).collect();
            wanted.extend(["1".to_owned(), "2".to_owned()]);
            assert_eq!(got, wanted, "scope {scope}");
        })
    });
    for w in futures_util::future::join_all(writers).await {
        w.expect("a writer finished");
    }
    let admin = testkit::Admin::at(url);
    assert_eq!(
        ids(&admin, "/orders", None).await,
        ["1", "2"],
        "unscoped requests see the seed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_never_sees_another_scopes_items_and_unscoped_requests_share_the_base() {
    let (_server, admin) = with_orders().await;
    call(&admin, Method::DELETE, "/orders/1", Some("a"), "").await;
    post_order(&admin, Some("b"), r#"{"id": "b1"}"#).await;
    post_order(&admin, None, r#"{"id": "u1"}"#).await;
    assert_eq!(ids(&admin, "/orders", Some("a")).await, ["2"]);
    assert_eq!(ids(&admin, "/orders", Some("b")).await, ["1", "2", "b1"]);
    assert_eq!(ids(&admin, "/orders", None).await, ["1", "2", "u1"]);
    assert_eq!(ids(&admin, "/orders", Some("c")).await, ["1", "2"]);
    assert_eq!(
        call(&admin, Method::GET, "/orders/b1", Some("a"), "")
            .await
            .status,
        404
    );
    // The scope of a request is its first: the baggage names it too.
    let r = admin
        .mock(
            Method::GET,
            "/orders",
            &[("baggage", "fake-servicer-scope=b")],
            "",
        )
        .await;
    assert_eq!(r.json()["total"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_scope_drops_its_writes_and_no_other_scopes() {
    let (_server, admin) = with_orders().await;
    post_order(&admin, Some("gone"), r#"{"id": "g"}"#).await;
    post_order(&admin, Some("kept"), r#"{"id": "k"}"#).await;
    let r = admin.delete("/__admin/scopes/gone").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"scope": "gone", "removed": {"stubs": 0, "overrides": 0, "requests": 1}})
    );
    assert_eq!(ids(&admin, "/orders", Some("gone")).await, ["1", "2"]);
    assert_eq!(ids(&admin, "/orders", Some("kept")).await, ["1", "2", "k"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_returns_every_resource_to_its_seed() {
    let (_server, admin) = with_orders().await;
    call(&admin, Method::DELETE, "/orders/1", None, "").await;
    call(
        &admin,
        Method::PATCH,
        "/orders/2",
        Some("s"),
        r#"{"status": "x"}"#,
    )
    .await;
    assert_eq!(admin.post("/__admin/reset", json!({})).await.status, 200);
    assert_eq!(ids(&admin, "/orders", None).await, ["1", "2"]);
    let two = call(&admin, Method::GET, "/orders/2", Some("s"), "")
        .await
        .json();
    assert_eq!(two["status"], "shipped");
    assert_eq!(
        admin.get("/__admin/resources").await.json()["writtenBytes"],
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_scope_ends_with_its_writes() {
    let server = testkit::serve(&[], |c| {
        c.scope_idle_timeout = std::time::Duration::from_millis(200);
    })
    .await;
    let admin = testkit::Admin::new(&server);
    assert_eq!(
        admin
            .post("/__admin/resources", super::orders())
            .await
            .status,
        201
    );
    post_order(&admin, Some("idle"), r#"{"id": "i"}"#).await;
    testkit::eventually(
        std::time::Duration::from_secs(10),
        "the idle scope's writes to go",
        || {
            let admin = &admin;
            async move {
                let r = admin.get("/__admin/resources").await.json();
                match r["resources"][0]["items"]["scopes"].as_object() {
                    Some(scopes) if scopes.is_empty() => Ok(()),
                    _ => Err(r.to_string()),
                }
            }
        },
    )
    .await;
    assert_eq!(
        admin.get("/__admin/resources").await.json()["writtenBytes"],
        0
    );
}
