//! Admin endpoints WireMock's official clients call, with the shapes the
//! reference WireMock answers: serve events that parse strictly (our
//! `answeredBy` only on request) with the response recorded, scenario
//! state, stub removal by body and by metadata, journal removal and
//! filters, import options, unmatched stubs, version, and JSON 404s.

use http::{Method, StatusCode};
use serde_json::{Value, json};
use testkit::{Admin, TestServer, serve};

/// A server with no plugins: stubs alone.
async fn server() -> TestServer {
    serve(&[], |_| {}).await
}

/// `POST /__admin/mappings` that must be accepted; the stub's id.
async fn stub(a: &Admin, mapping: Value) -> String {
    a.stub(mapping).await["id"].as_str().unwrap().to_owned()
}

/// The urls of a list of serve events (or of `{"requests": [...]}`).
fn urls(events: &Value) -> Vec<String> {
    events
        .as_array()
        .unwrap_or_else(|| panic!("a list: {events}"))
        .iter()
        .map(|e| e["request"]["url"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The `request.url` of each stub of `{"mappings": [...]}`, sorted.
fn stub_urls(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list["mappings"]
        .as_array()
        .unwrap_or_else(|| panic!("mappings: {list}"))
        .iter()
        .map(|m| m["request"]["url"].as_str().unwrap_or_default().to_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_events_carry_answered_by_only_when_extensions_are_asked_for() {
    let server = server().await;
    let a = Admin::new(&server);
    let id = stub(
        &a,
        json!({"request": {"url": "/x"}, "response": {"status": 200}}),
    )
    .await;
    a.mock(Method::GET, "/x", &[], "").await;
    let plain = a.get("/__admin/requests").await.json();
    let event = &plain["requests"][0];
    assert!(event.get("answeredBy").is_none(), "{event}");
    let event_id = event["id"].as_str().unwrap().to_owned();
    let one = a.get(&format!("/__admin/requests/{event_id}")).await.json();
    assert!(one.get("answeredBy").is_none(), "{one}");
    let with = a.get("/__admin/requests?extensions=true").await.json();
    assert_eq!(
        with["requests"][0]["answeredBy"],
        json!({"kind": "stub", "id": id})
    );
    let one = a
        .get(&format!("/__admin/requests/{event_id}?extensions=true"))
        .await
        .json();
    assert_eq!(one["answeredBy"]["kind"], "stub");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_records_the_response_as_wiremock_does() {
    let server = server().await;
    let a = Admin::new(&server);
    stub(
        &a,
        json!({"request": {"url": "/made"}, "response": {"status": 201, "body": "made it", "headers": {"X-Out": ["a", "b"]}}}),
    )
    .await;
    stub(
        &a,
        json!({"request": {"url": "/bin"}, "response": {"status": 200, "base64Body": "AAEC/w=="}}),
    )
    .await;
    stub(
        &a,
        json!({"request": {"url": "/fault"}, "response": {"fault": "EMPTY_RESPONSE"}}),
    )
    .await;
    a.mock(Method::GET, "/made", &[], "").await;
    a.mock(Method::GET, "/bin", &[], "").await;
    let _ = a
        .http
        .send(Method::GET, &format!("{}/fault", a.base), &[], "")
        .await;
    a.mock(Method::GET, "/nothing", &[], "").await;
    let all = a.get("/__admin/requests").await.json();
    let events = all["requests"].as_array().unwrap();
    let (nothing, fault, bin, made) = (&events[0], &events[1], &events[2], &events[3]);
    assert_eq!(made["response"]["status"], 201);
    assert_eq!(made["response"]["body"], "made it");
    assert_eq!(made["response"]["bodyAsBase64"], "bWFkZSBpdA==");
    assert_eq!(made["response"]["headers"]["X-Out"], json!(["a", "b"]));
    assert_eq!(made["responseDefinition"]["body"], "made it");
    assert_eq!(made["wasMatched"], true);
    assert_eq!(bin["response"]["bodyAsBase64"], "AAEC/w==");
    assert_eq!(fault["response"]["fault"], "EMPTY_RESPONSE");
    assert_eq!(nothing["wasMatched"], false);
    assert_eq!(nothing["response"]["status"], 404);
    assert_eq!(nothing["responseDefinition"]["fromConfiguredStub"], false);
    for field in [
        "addedDelay",
        "processTime",
        "responseSendTime",
        "serveTime",
        "totalTime",
    ] {
        assert!(made["timing"][field].is_u64(), "{field}: {made}");
    }
    assert_eq!(made["subEvents"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_body_over_the_cap_is_kept_truncated_in_the_journal() {
    let server = server().await;
    let a = Admin::new(&server);
    let big = "x".repeat(JOURNAL_MAX_BODY + 1000);
    stub(
        &a,
        json!({"request": {"url": "/big"}, "response": {"body": big}}),
    )
    .await;
    let r = a.mock(Method::GET, "/big", &[], "").await;
    assert_eq!(r.body.len(), big.len(), "the answer is whole");
    let all = a.get("/__admin/requests").await.json();
    assert_eq!(
        all["requests"][0]["response"]["body"]
            .as_str()
            .unwrap()
            .len(),
        JOURNAL_MAX_BODY
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_state_is_set_listed_and_reset_and_unknown_ones_answer_404() {
    let server = server().await;
    let a = Admin::new(&server);
    for (required, next, body) in [("Started", "Full", "empty"), ("Full", "Started", "full")] {
        stub(
            &a,
            json!({"scenarioName": "Cart", "requiredScenarioState": required, "newScenarioState": next,
                   "request": {"url": "/cart"}, "response": {"body": body}}),
        )
        .await;
    }
    let r = a
        .put("/__admin/scenarios/Cart/state", json!({"state": "Full"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(a.mock(Method::GET, "/cart", &[], "").await.text(), "full");
    a.put("/__admin/scenarios/Cart/state", json!({"state": "Full"}))
        .await;
    let listed = a.get("/__admin/scenarios").await.json();
    let cart = &listed["scenarios"][0];
    assert_eq!(cart["name"], "Cart");
    assert_eq!(cart["state"], "Full");
    assert_eq!(cart["possibleStates"], json!(["Started", "Full"]));
    assert_eq!(cart["mappings"].as_array().unwrap().len(), 2);
    // No body: back to Started.
    a.call(Method::PUT, "/__admin/scenarios/Cart/state", "")
        .await;
    assert_eq!(a.mock(Method::GET, "/cart", &[], "").await.text(), "empty");

    let r = a
        .put("/__admin/scenarios/Nope/state", json!({"state": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.json(),
        json!({"errors": [{"code": 404, "title": "Scenario Nope does not exist"}]})
    );
    let r = a
        .put("/__admin/scenarios/Cart/state", json!({"state": "Q"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["code"], 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mappings_remove_takes_an_id_or_a_request_pattern() {
    let server = server().await;
    let a = Admin::new(&server);
    let first = stub(&a, json!({"request": {"url": "/a"}})).await;
    stub(&a, json!({"request": {"url": "/b", "method": "GET"}})).await;
    stub(&a, json!({"request": {"url": "/c"}})).await;
    let r = a
        .post("/__admin/mappings/remove", json!({"id": first}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    a.post(
        "/__admin/mappings/remove",
        json!({"request": {"url": "/b", "method": "GET"}, "response": {"status": 200}}),
    )
    .await;
    let r = a
        .post(
            "/__admin/mappings/remove",
            json!({"request": {"url": "/zz"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "nothing to remove is no error");
    assert_eq!(stub_urls(&a.get("/__admin/mappings").await.json()), ["/c"]);
}

/// Stubs `/a` (team alpha), `/b` (team beta, tags) and `/c` (none).
async fn metadata_stubs(a: &Admin) {
    stub(
        a,
        json!({"request": {"url": "/a"}, "metadata": {"team": "alpha"}}),
    )
    .await;
    stub(
        a,
        json!({"request": {"url": "/b"}, "metadata": {"team": "beta", "tags": ["x", "y"]}}),
    )
    .await;
    stub(a, json!({"request": {"url": "/c"}})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stubs_are_found_and_removed_by_metadata() {
    let server = server().await;
    let a = Admin::new(&server);
    metadata_stubs(&a).await;
    let found = a
        .post(
            "/__admin/mappings/find-by-metadata",
            json!({"matchesJsonPath": {"expression": "$.team", "equalTo": "alpha"}}),
        )
        .await
        .json();
    assert_eq!(stub_urls(&found), ["/a"]);
    assert_eq!(found["meta"]["total"], 1);
    let found = a
        .post(
            "/__admin/mappings/find-by-metadata",
            json!({"equalToJson": {"team": "beta"}, "ignoreExtraElements": true}),
        )
        .await
        .json();
    assert_eq!(stub_urls(&found), ["/b"]);
    let r = a
        .post("/__admin/mappings/find-by-metadata", json!({"nonsense": 1}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    a.post(
        "/__admin/mappings/remove-by-metadata",
        json!({"matchesJsonPath": "$.team"}),
    )
    .await;
    assert_eq!(stub_urls(&a.get("/__admin/mappings").await.json()), ["/c"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_events_are_removed_by_pattern_and_by_stub_metadata() {
    let server = server().await;
    let a = Admin::new(&server);
    metadata_stubs(&a).await;
    for path in ["/a", "/b", "/c", "/none", "/a"] {
        a.mock(Method::GET, path, &[], "").await;
    }
    let removed = a
        .post("/__admin/requests/remove", json!({"url": "/c"}))
        .await
        .json();
    assert_eq!(urls(&removed["serveEvents"]), ["/c"]);
    let removed = a
        .post(
            "/__admin/requests/remove-by-metadata",
            json!({"matchesJsonPath": {"expression": "$.team", "equalTo": "alpha"}}),
        )
        .await
        .json();
    assert_eq!(urls(&removed["serveEvents"]), ["/a", "/a"]);
    let left = a.get("/__admin/requests").await.json();
    assert_eq!(urls(&left["requests"]), ["/none", "/b"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_lists_only_unmatched_requests_or_those_of_one_stub() {
    let server = server().await;
    let a = Admin::new(&server);
    let f = stub(&a, json!({"request": {"url": "/f"}})).await;
    stub(&a, json!({"request": {"url": "/g"}})).await;
    for path in ["/f", "/g", "/nope", "/f"] {
        a.mock(Method::GET, path, &[], "").await;
    }
    let unmatched = a.get("/__admin/requests?unmatched=true").await.json();
    assert_eq!(urls(&unmatched["requests"]), ["/nope"]);
    let of_f = a
        .get(&format!("/__admin/requests?matchingStub={f}"))
        .await
        .json();
    assert_eq!(urls(&of_f["requests"]), ["/f", "/f"]);
    let r = a.get("/__admin/requests?matchingStub=nope").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let listed = a.get("/__admin/requests/unmatched").await.json();
    assert_eq!(listed["requests"][0]["url"], "/nope");
}

/// The journal's cap on a kept body (`docs/stubs.md`, "Request journal": 1 MiB).
const JOURNAL_MAX_BODY: usize = 1024 * 1024;

const SHARED: &str = "00000000-0000-4000-8000-000000000001";

/// `/shared` (id [`SHARED`], body "old") and `/other`; then imports
/// `/shared` (body "new") and `/added` with `options`; the stub urls and
/// the body of `/shared` after.
async fn import_with(options: Value) -> (Vec<String>, String) {
    let server = server().await;
    let a = Admin::new(&server);
    stub(
        &a,
        json!({"id": SHARED, "request": {"url": "/shared"}, "response": {"body": "old"}}),
    )
    .await;
    stub(&a, json!({"request": {"url": "/other"}})).await;
    let r = a
        .post(
            "/__admin/mappings/import",
            json!({"mappings": [
                {"id": SHARED, "request": {"url": "/shared"}, "response": {"body": "new"}},
                {"request": {"url": "/added"}}
            ], "importOptions": options}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let urls = stub_urls(&a.get("/__admin/mappings").await.json());
    let body = a.mock(Method::GET, "/shared", &[], "").await.text();
    (urls, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_options_choose_between_overwrite_and_ignore_and_can_delete_the_rest() {
    assert_eq!(
        import_with(json!({})).await,
        (
            vec!["/added".into(), "/other".into(), "/shared".into()],
            "new".into()
        )
    );
    assert_eq!(
        import_with(json!({"duplicatePolicy": "IGNORE"})).await,
        (
            vec!["/added".into(), "/other".into(), "/shared".into()],
            "old".into()
        )
    );
    assert_eq!(
        import_with(json!({"duplicatePolicy": "OVERWRITE", "deleteAllNotInImport": true})).await,
        (vec!["/added".into(), "/shared".into()], "new".into())
    );
    assert_eq!(
        import_with(json!({"duplicatePolicy": "IGNORE", "deleteAllNotInImport": true})).await,
        (vec!["/added".into(), "/shared".into()], "old".into())
    );
    let server = server().await;
    let r = Admin::new(&server)
        .post(
            "/__admin/mappings/import",
            json!({"mappings": [], "importOptions": {"duplicatePolicy": "MERGE"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stubs_no_request_matched_are_listed_and_deleted() {
    let server = server().await;
    let a = Admin::new(&server);
    stub(&a, json!({"request": {"url": "/used"}})).await;
    stub(&a, json!({"request": {"url": "/idle"}})).await;
    a.mock(Method::GET, "/used", &[], "").await;
    let unmatched = a.get("/__admin/mappings/unmatched").await.json();
    assert_eq!(stub_urls(&unmatched), ["/idle"]);
    assert_eq!(unmatched["meta"]["total"], 1);
    a.delete("/__admin/mappings/unmatched").await;
    assert_eq!(
        stub_urls(&a.get("/__admin/mappings").await.json()),
        ["/used"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_answers_and_a_wrong_method_answers_a_json_404() {
    let server = server().await;
    let a = Admin::new(&server);
    let v = a.get("/__admin/version").await;
    assert_eq!(v.status, StatusCode::OK);
    assert_eq!(v.json()["version"], env!("CARGO_PKG_VERSION"));
    for (method, path) in [
        (Method::PATCH, "/__admin/mappings"),
        (Method::GET, "/__admin/reset"),
        (Method::POST, "/__admin/no/such/thing"),
    ] {
        let r = a.call(method.clone(), path, "").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert!(
            r.json()["errors"][0]["title"].is_string(),
            "{method} {path}: {}",
            r.text()
        );
    }
}
