//! The request journal (`/__admin/requests`): listed newest first with what
//! answered, counted, found, paged, read and deleted by id, bounded by its
//! size; request patterns that are not patterns are refused.

use super::server;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use testkit::{Admin, eventually, serve_examples};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_pattern_that_is_not_json_is_400_and_one_that_does_not_hold_together_422() {
    let server = server().await;
    let a = Admin::new(&server);
    assert_eq!(
        a.call(Method::POST, "/__admin/requests/count", "{nope")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        a.post("/__admin/requests/count", json!({"urlPattern": "("}))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_limit_that_is_not_a_number_is_answered_400() {
    let server = server().await;
    let a = Admin::new(&server);
    assert_eq!(
        a.get("/__admin/requests?limit=lots").await.status,
        StatusCode::BAD_REQUEST
    );
}

/// Five requests answered by a plugin (three), a stub and nothing, plus
/// an admin call; returns the stub.
async fn journal_traffic(a: &Admin) -> Value {
    let stub = a
        .stub(json!({"request": {"urlPath": "/stubbed"}, "response": {"status": 204}}))
        .await;
    a.mock(Method::GET, "/example/users/1", &[], "").await;
    a.mock(Method::GET, "/example/users/1?x=1", &[], "").await;
    a.mock(
        Method::POST,
        "/example/users",
        &[("content-type", "application/json")],
        r#"{"name":"Jo"}"#,
    )
    .await;
    a.mock(Method::GET, "/stubbed", &[], "").await;
    a.mock(Method::GET, "/nowhere/at/all", &[], "").await;
    a.get("/__admin/mappings").await; // admin calls are not journaled
    stub
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_lists_requests_newest_first_with_what_answered_them() {
    let server = server().await;
    let a = Admin::new(&server);
    let stub = journal_traffic(&a).await;
    let all = a.get("/__admin/requests?extensions=true").await.json();
    assert_eq!(all["meta"]["total"], 5, "{all}");
    assert_eq!(all["requestJournalDisabled"], false);
    let entries = all["requests"].as_array().unwrap();
    assert_eq!(
        entries[0]["request"]["url"], "/nowhere/at/all",
        "newest first"
    );
    assert_eq!(entries[0]["wasMatched"], false);
    assert_eq!(
        entries[1]["answeredBy"],
        json!({"kind": "stub", "id": stub["id"]})
    );
    assert_eq!(entries[1]["stubMapping"]["id"], stub["id"]);
    assert_eq!(entries[2]["answeredBy"]["kind"], "plugin");
    assert_eq!(entries[2]["answeredBy"]["route"], "POST /users");
    assert_eq!(entries[2]["request"]["body"], r#"{"name":"Jo"}"#);
    assert_eq!(entries[2]["request"]["service"], "example");
    assert_eq!(entries[2]["response"]["status"], 201);
    assert!(entries[2]["timing"]["processTime"].is_u64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_counts_match_by_url_path_service_and_body() {
    let server = server().await;
    let a = Admin::new(&server);
    journal_traffic(&a).await;
    assert_eq!(
        a.count(json!({"method": "GET", "urlPath": "/example/users/1"}))
            .await,
        2
    );
    assert_eq!(
        a.count(json!({"method": "GET", "url": "/example/users/1"}))
            .await,
        1
    );
    assert_eq!(
        a.count(json!({"urlPath": "/users/1", "service": "example"}))
            .await,
        2
    );
    assert_eq!(
        a.count(json!({"bodyPatterns": [{"matchesJsonPath": "$.name"}]}))
            .await,
        1
    );
    assert_eq!(a.count(json!({})).await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_find_returns_the_matching_requests() {
    let server = server().await;
    let a = Admin::new(&server);
    journal_traffic(&a).await;
    let found = a
        .post("/__admin/requests/find", json!({"method": "POST"}))
        .await
        .json();
    assert_eq!(found["requests"][0]["url"], "/example/users");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_requests_are_those_nothing_answered() {
    let server = server().await;
    let a = Admin::new(&server);
    journal_traffic(&a).await;
    let unmatched = a.get("/__admin/requests/unmatched").await.json();
    assert_eq!(unmatched["requests"].as_array().unwrap().len(), 1);
    assert_eq!(unmatched["requests"][0]["url"], "/nowhere/at/all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_limit_caps_the_requests_listed() {
    let server = server().await;
    let a = Admin::new(&server);
    journal_traffic(&a).await;
    assert_eq!(
        a.get("/__admin/requests?limit=2").await.json()["requests"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_entry_is_read_and_deleted_by_id() {
    let server = server().await;
    let a = Admin::new(&server);
    journal_traffic(&a).await;
    let all = a.get("/__admin/requests").await.json();
    let id = all["requests"][0]["id"].as_str().unwrap();
    assert_eq!(
        a.get(&format!("/__admin/requests/{id}")).await.json()["id"],
        id
    );
    assert_eq!(
        a.delete(&format!("/__admin/requests/{id}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        a.get(&format!("/__admin/requests/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(a.count(json!({})).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resetting_or_deleting_the_journal_empties_it() {
    let server = server().await;
    let a = Admin::new(&server);
    journal_traffic(&a).await;
    a.call(Method::POST, "/__admin/requests/reset", "").await;
    assert_eq!(a.count(json!({})).await, 0);
    a.mock(Method::GET, "/example/users", &[], "").await;
    a.delete("/__admin/requests").await;
    assert_eq!(a.count(json!({})).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_keeps_about_its_size_in_entries() {
    let server = serve_examples(|c| c.journal_size = 20).await;
    let a = Admin::new(&server);
    for i in 0..100 {
        a.mock(Method::GET, &format!("/example/users/{i}"), &[], "")
            .await;
    }
    let kept = a.get("/__admin/requests").await.json()["meta"]["total"]
        .as_u64()
        .unwrap();
    assert!((20..=32).contains(&kept), "kept {kept}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_of_size_zero_records_nothing_and_says_it_is_disabled() {
    let server = serve_examples(|c| c.journal_size = 0).await;
    let a = Admin::new(&server);
    assert_eq!(
        a.mock(Method::GET, "/example/users/1", &[], "")
            .await
            .status,
        StatusCode::OK
    );
    let all = a.get("/__admin/requests").await.json();
    assert_eq!(
        (
            all["meta"]["total"].clone(),
            all["requestJournalDisabled"].clone()
        ),
        (json!(0), json!(true))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_since_keeps_only_the_later_entries() {
    let server = server().await;
    let a = Admin::new(&server);
    a.mock(Method::GET, "/example/users/1", &[], "").await;
    let first = a.get("/__admin/requests").await.json()["requests"][0].clone();
    let since = first["request"]["loggedDateString"]
        .as_str()
        .unwrap_or_else(|| panic!("a logged date: {first}"))
        .to_owned();
    // Timestamps have millisecond precision: call until one is later.
    eventually(
        Duration::from_secs(10),
        "a request logged after the first",
        || async {
            a.mock(Method::GET, "/example/users/2", &[], "").await;
            let newest = a
                .get("/__admin/requests?limit=1&extensions=true")
                .await
                .json();
            let at = newest["requests"][0]["request"]["loggedDateString"].clone();
            if at.as_str().is_some_and(|t| t > since.as_str()) {
                Ok(())
            } else {
                Err(at.to_string())
            }
        },
    )
    .await;

    let later = a
        .get(&format!("/__admin/requests?since={since}"))
        .await
        .json();
    let entries = later["requests"].as_array().unwrap();
    assert!(!entries.is_empty(), "{later}");
    assert!(
        entries
            .iter()
            .all(|e| e["request"]["url"] == "/example/users/2"
                && e["request"]["loggedDateString"].as_str().unwrap() > since.as_str()),
        "{later}"
    );
    assert!(
        !entries.iter().any(|e| e["id"] == first["id"]),
        "the entry at `since` itself is left out: {later}"
    );
    let all = a.get("/__admin/requests").await.json();
    assert!(
        all["requests"].as_array().unwrap().len() > entries.len(),
        "{all}"
    );
}

/// The `meta.total` and the request urls of `GET /__admin/requests{query}`.
async fn journal_page(a: &Admin, query: &str) -> (u64, Vec<String>) {
    let page = a.get(&format!("/__admin/requests{query}")).await.json();
    let urls = page["requests"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|e| e["request"]["url"].as_str().unwrap_or_default().to_owned())
        .collect();
    (page["meta"]["total"].as_u64().unwrap_or_default(), urls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_of_size_one_keeps_one_entry() {
    let server = serve_examples(|c| c.journal_size = 1).await;
    let a = Admin::new(&server);
    for i in 0..40 {
        a.mock(Method::GET, &format!("/nowhere/{i}"), &[], "").await;
    }
    assert_eq!(
        journal_page(&a, "").await,
        (1, vec!["/nowhere/39".to_owned()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_of_size_one_hundred_keeps_the_newest_hundred_entries() {
    let server = serve_examples(|c| c.journal_size = 100).await;
    let a = Admin::new(&server);
    for i in 0..250 {
        a.mock(Method::GET, &format!("/nowhere/{i}"), &[], "").await;
    }
    let (total, urls) = journal_page(&a, "").await;
    let newest: Vec<String> = (150..250).rev().map(|i| format!("/nowhere/{i}")).collect();
    assert_eq!((total, urls), (100, newest));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_the_journal_answers_one_page_of_at_most_limit_entries_with_the_total() {
    let server = server().await;
    let a = Admin::new(&server);
    for i in 0..1100 {
        a.mock(Method::GET, &format!("/nowhere/{i}"), &[], "").await;
    }
    let (total, urls) = journal_page(&a, "").await;
    assert_eq!((total, urls.len()), (1100, 1000), "the default limit");
    assert_eq!(urls[0], "/nowhere/1099", "newest first");
    let (total, urls) = journal_page(&a, "?limit=3").await;
    assert_eq!(
        (total, urls),
        (
            1100,
            vec![
                "/nowhere/1099".to_owned(),
                "/nowhere/1098".to_owned(),
                "/nowhere/1097".to_owned()
            ]
        )
    );
    let (_, urls) = journal_page(&a, "?limit=5000").await;
    assert_eq!(urls.len(), 1100, "a larger limit reads further");
    let page = a.get("/__admin/requests?limit=0").await.json();
    assert_eq!(
        page,
        json!({"requests": [], "meta": {"total": 1100}, "requestJournalDisabled": false})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_entry_shows_the_stub_that_answered_while_it_exists() {
    let server = server().await;
    let a = Admin::new(&server);
    let stub = a
        .stub(
            json!({"request": {"urlPath": "/shown"}, "response": {"status": 201, "body": "made"}}),
        )
        .await;
    let id = stub["id"].as_str().unwrap().to_owned();
    assert_eq!(
        a.mock(Method::GET, "/shown", &[], "").await.status,
        StatusCode::CREATED
    );
    let entry = a
        .get("/__admin/requests?limit=1&extensions=true")
        .await
        .json()["requests"][0]
        .clone();
    assert_eq!(entry["stubMapping"], stub);
    assert_eq!(
        entry["responseDefinition"],
        json!({"status": 201, "body": "made"})
    );
    a.call(Method::DELETE, &format!("/__admin/mappings/{id}"), "")
        .await;
    let entry = a
        .get("/__admin/requests?limit=1&extensions=true")
        .await
        .json()["requests"][0]
        .clone();
    assert_eq!(entry["stubMapping"], json!({"id": id, "uuid": id}));
    assert_eq!(entry["answeredBy"], json!({"kind": "stub", "id": id}));
    assert_eq!(entry["responseDefinition"], json!({"status": 201}));
}
