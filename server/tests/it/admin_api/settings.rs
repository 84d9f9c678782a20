//! Global settings (`/__admin/settings`): stored, applied to every stub,
//! refused when not an object.

use super::server;
use http::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};
use testkit::Admin;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_that_are_not_an_object_are_answered_422() {
    let server = server().await;
    let a = Admin::new(&server);
    assert_eq!(
        a.call(Method::POST, "/__admin/settings", "[]").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fixed_delay_setting_is_stored_and_delays_every_stub() {
    let server = server().await;
    let a = Admin::new(&server);
    let set = a
        .post("/__admin/settings", json!({"fixedDelay": 250}))
        .await;
    assert_eq!(set.status, StatusCode::OK);
    assert_eq!(
        a.get("/__admin/settings").await.json()["settings"]["fixedDelay"],
        250
    );
    a.stub(json!({"request": {"urlPath": "/quick"}})).await;
    let started = Instant::now();
    a.mock(Method::GET, "/quick", &[], "").await;
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "the global delay applies to stubs"
    );
}
