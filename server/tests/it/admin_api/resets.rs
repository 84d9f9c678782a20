//! Scenarios and resets: a scenario advances and a scenario reset restarts
//! it; a full reset clears stubs, overrides and the journal; bodiless
//! resets are accepted.

use super::{STATUS, server};
use http::{Method, StatusCode};
use serde_json::json;
use testkit::Admin;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodiless_resets_with_a_json_content_type_are_accepted() {
    let server = server().await;
    let a = Admin::new(&server);
    // Bodiless calls with a JSON content type (as clients send them) are fine.
    for path in [
        "/__admin/mappings/reset",
        "/__admin/requests/reset",
        "/__admin/reset",
        "/__admin/scenarios/reset",
    ] {
        assert_eq!(
            a.call(Method::POST, path, "").await.status,
            StatusCode::OK,
            "{path}"
        );
    }
}

/// Two stubs of scenario `checkout`: `/order` answers "unpaid", then "paid".
async fn checkout_scenario(a: &Admin) {
    a.stub(json!({"scenarioName": "checkout", "requiredScenarioState": "Started", "newScenarioState": "paid",
        "request": {"urlPath": "/order"}, "response": {"body": "unpaid"}}))
    .await;
    a.stub(
        json!({"scenarioName": "checkout", "requiredScenarioState": "paid",
        "request": {"urlPath": "/order"}, "response": {"body": "paid"}}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_advances_and_a_scenario_reset_returns_it_to_started() {
    let server = server().await;
    let a = Admin::new(&server);
    checkout_scenario(&a).await;
    assert_eq!(
        a.mock(Method::GET, "/order", &[], "").await.text(),
        "unpaid"
    );
    assert_eq!(a.mock(Method::GET, "/order", &[], "").await.text(), "paid");
    assert_eq!(
        a.get("/__admin/scenarios").await.json()["scenarios"][0]["state"],
        "paid"
    );
    a.call(Method::POST, "/__admin/scenarios/reset", "").await;
    assert_eq!(
        a.mock(Method::GET, "/order", &[], "").await.text(),
        "unpaid"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_reset_disarms_overrides_removes_stubs_and_restarts_the_journal() {
    let server = server().await;
    let a = Admin::new(&server);
    checkout_scenario(&a).await;
    a.mock(Method::GET, "/order", &[], "").await;
    a.mock(Method::GET, "/example/users", &[(STATUS, "500")], "")
        .await;
    assert_eq!(
        a.call(Method::POST, "/__admin/reset", "").await.status,
        StatusCode::OK
    );
    assert_eq!(
        a.mock(Method::GET, "/example/users", &[], "").await.status,
        StatusCode::OK,
        "override disarmed"
    );
    assert_eq!(
        a.mock(Method::GET, "/order", &[], "").await.status,
        StatusCode::NOT_FOUND,
        "stubs gone"
    );
    assert_eq!(
        a.count(json!({})).await,
        2,
        "journal restarted at the reset"
    );
}
