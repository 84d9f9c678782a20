//! Stubs from a `--mappings` dir: loaded at start (a broken file refused),
//! replaced, kept or removed as the files change, and restored by a
//! mappings reset.

use http::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;
use testkit::{Admin, TestServer, eventually, serve_examples};

/// A `--mappings` dir with `one.json` (`/from-file` → "file v1"),
/// `many.json` (`/m1`, and `/m2` of `example`), a broken file and a
/// non-JSON file; and a server on it.
async fn server_with_mapping_files() -> (TestServer, tempfile::TempDir) {
    let stubs = tempfile::tempdir().unwrap();
    std::fs::write(
        stubs.path().join("one.json"),
        json!({"request": {"urlPath": "/from-file"}, "response": {"body": "file v1"}}).to_string(),
    )
    .unwrap();
    std::fs::write(
        stubs.path().join("many.json"),
        json!({"mappings": [
            {"request": {"urlPath": "/m1"}, "response": {"body": "m1"}},
            {"request": {"urlPath": "/m2", "service": "example"}, "response": {"body": "m2"}}
        ]})
        .to_string(),
    )
    .unwrap();
    std::fs::write(stubs.path().join("broken.json"), "{ not json").unwrap();
    std::fs::write(stubs.path().join("notes.txt"), "ignored").unwrap();
    let dir = stubs.path().to_owned();
    let server = serve_examples(move |c| c.mappings = Some(dir)).await;
    (server, stubs)
}

async fn wait_for_text(a: &Admin, path: &str, want: &str) {
    eventually(Duration::from_secs(10), want, || async {
        let t = a.mock(Method::GET, path, &[], "").await.text();
        if t == want { Ok(()) } else { Err(t) }
    })
    .await;
}

async fn wait_for_status(a: &Admin, path: &str, want: StatusCode, what: &str) {
    eventually(Duration::from_secs(10), what, || async {
        let s = a.mock(Method::GET, path, &[], "").await.status;
        if s == want {
            Ok(())
        } else {
            Err(s.to_string())
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapping_files_load_and_a_broken_one_is_refused() {
    let (server, _stubs) = server_with_mapping_files().await;
    let a = Admin::new(&server);
    assert_eq!(
        a.mock(Method::GET, "/from-file", &[], "").await.text(),
        "file v1"
    );
    assert_eq!(a.mock(Method::GET, "/m1", &[], "").await.text(), "m1");
    assert_eq!(
        a.mock(Method::GET, "/example/m2", &[], "").await.text(),
        "m2"
    );
    assert_eq!(
        a.get("/__admin/mappings").await.json()["meta"]["total"],
        3,
        "the broken file is refused, the others load"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mappings_reset_returns_to_exactly_the_files() {
    let (server, _stubs) = server_with_mapping_files().await;
    let a = Admin::new(&server);
    // API changes, then a reset: back to exactly the files.
    a.stub(json!({"request": {"urlPath": "/api-made"}})).await;
    a.delete("/__admin/mappings").await;
    assert_eq!(
        a.mock(Method::GET, "/m1", &[], "").await.status,
        StatusCode::NOT_FOUND
    );
    a.stub(json!({"request": {"urlPath": "/api-made"}})).await;
    assert_eq!(
        a.call(Method::POST, "/__admin/mappings/reset", "")
            .await
            .status,
        StatusCode::OK
    );
    let after = a.get("/__admin/mappings").await.json();
    assert_eq!(after["meta"]["total"], 3, "{after}");
    assert_eq!(
        a.mock(Method::GET, "/api-made", &[], "").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_mapping_file_replaces_its_stubs() {
    let (server, stubs) = server_with_mapping_files().await;
    let a = Admin::new(&server);
    std::fs::write(
        stubs.path().join("one.json"),
        json!({"request": {"urlPath": "/from-file"}, "response": {"body": "file v2"}}).to_string(),
    )
    .unwrap();
    wait_for_text(&a, "/from-file", "file v2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_edit_of_a_mapping_file_keeps_its_stubs() {
    let (server, stubs) = server_with_mapping_files().await;
    let a = Admin::new(&server);
    let one = stubs.path().join("one.json");
    std::fs::write(
        &one,
        json!({"request": {"urlPath": "/from-file"}, "response": {"body": "file v2"}}).to_string(),
    )
    .unwrap();
    wait_for_text(&a, "/from-file", "file v2").await;
    std::fs::write(&one, "{\"request\": {\"urlPath\": 5}}").unwrap();
    std::fs::write(
        stubs.path().join("marker.json"),
        json!({"request": {"urlPath": "/marker"}}).to_string(),
    )
    .unwrap();
    wait_for_status(&a, "/marker", StatusCode::OK, "the marker file").await;
    assert_eq!(
        a.mock(Method::GET, "/from-file", &[], "").await.text(),
        "file v2",
        "a bad edit keeps the old stubs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_mapping_file_takes_its_stubs_away() {
    let (server, stubs) = server_with_mapping_files().await;
    let a = Admin::new(&server);
    assert_eq!(a.mock(Method::GET, "/m1", &[], "").await.text(), "m1");
    std::fs::remove_file(stubs.path().join("many.json")).unwrap();
    wait_for_status(&a, "/m1", StatusCode::NOT_FOUND, "many.json's stubs to go").await;
}
