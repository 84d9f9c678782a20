//! Services with no Rust at all: stubs that name a service no plugin
//! provides, and mapping files in a directory named for their service.

use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use testkit::{Http, TestServer, eventually, serve};

/// A server with no plugins and, when given, a mappings dir.
async fn stubs_only(mappings: Option<&std::path::Path>) -> TestServer {
    serve(&[], |c| c.mappings = mappings.map(ToOwned::to_owned)).await
}

/// Stores `mapping` (through the client); its id.
async fn create(server: &TestServer, mapping: Value) -> String {
    let stored = server.client().stub_json(mapping).await.expect("stored");
    stored.id().to_owned()
}

fn write(path: &std::path::Path, mapping: Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, mapping.to_string()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_naming_a_service_no_plugin_provides_is_served_by_prefix_and_host() {
    let server = stubs_only(None).await;
    create(
        &server,
        json!({"request": {"method": "GET", "urlPath": "/invoices/7", "service": "billing"},
               "response": {"status": 200, "body": "invoice 7"}}),
    )
    .await;
    let http = Http::new();
    let by_prefix = http
        .get(&format!("{}/billing/invoices/7", server.url()))
        .await;
    assert_eq!(
        (by_prefix.status, by_prefix.text().as_str()),
        (StatusCode::OK, "invoice 7")
    );
    let by_host = http
        .get_host(&format!("{}/invoices/7", server.url()), "billing")
        .await;
    assert_eq!(
        (by_host.status, by_host.text().as_str()),
        (StatusCode::OK, "invoice 7")
    );
    let hyphenated = http
        .get_host(&format!("{}/invoices/7", server.url()), "Billing.localhost")
        .await;
    assert_eq!(hyphenated.text(), "invoice 7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_only_service_is_listed_with_kind_stubs_and_counted_in_health() {
    let server = stubs_only(None).await;
    for path in ["/a", "/b"] {
        create(
            &server,
            json!({"request": {"urlPath": path, "service": "billing"}, "response": {"status": 204}}),
        )
        .await;
    }
    let http = Http::new();
    let services = http
        .get(&format!("{}/__admin/services", server.url()))
        .await
        .json();
    assert_eq!(
        services["services"],
        json!([{"name": "billing", "kind": "stubs", "stubs": 2}])
    );
    let health = http
        .get(&format!("{}/__admin/health", server.url()))
        .await
        .json();
    assert_eq!(health["services"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_no_stub_of_a_stub_only_service_matches_is_a_404_naming_the_service() {
    let server = stubs_only(None).await;
    create(
        &server,
        json!({"request": {"urlPath": "/known", "service": "billing"}, "response": {"status": 204}}),
    )
    .await;
    let r = Http::new()
        .get(&format!("{}/billing/unknown", server.url()))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let body = r.json();
    assert_eq!(body["service"], "billing");
    assert_eq!(
        body["stubs"],
        json!([{"urlPath": "/known", "service": "billing"}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_only_service_goes_away_with_its_last_stub() {
    let server = stubs_only(None).await;
    let id = create(
        &server,
        json!({"request": {"urlPath": "/x", "service": "billing"}, "response": {"status": 204}}),
    )
    .await;
    let http = Http::new();
    assert_eq!(
        http.get(&format!("{}/billing/x", server.url()))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let deleted = http
        .send(
            Method::DELETE,
            &format!("{}/__admin/mappings/{id}", server.url()),
            &[],
            "",
        )
        .await
        .unwrap();
    assert_eq!(deleted.status, StatusCode::OK);
    let gone = http.get(&format!("{}/billing/x", server.url())).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.json()["known_services"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapping_files_in_a_services_directory_belong_to_that_service() {
    let mappings = tempfile::tempdir().unwrap();
    write(
        &mappings.path().join("payments/charge.json"),
        json!({"request": {"method": "POST", "urlPath": "/charge"}, "response": {"status": 201, "body": "charged"}}),
    );
    write(
        &mappings.path().join("top.json"),
        json!({"request": {"urlPath": "/top"}, "response": {"body": "top"}}),
    );
    let server = stubs_only(Some(mappings.path())).await;
    let http = Http::new();
    let charged = http
        .send(
            Method::POST,
            &format!("{}/payments/charge", server.url()),
            &[],
            "",
        )
        .await
        .unwrap();
    assert_eq!(
        (charged.status, charged.text().as_str()),
        (StatusCode::CREATED, "charged")
    );
    let unscoped = http
        .send(Method::POST, &format!("{}/charge", server.url()), &[], "")
        .await
        .unwrap();
    assert_eq!(
        unscoped.status,
        StatusCode::NOT_FOUND,
        "only the payments service"
    );
    assert_eq!(
        http.get(&format!("{}/top", server.url())).await.text(),
        "top"
    );

    // A file added at run time in a new service's directory.
    write(
        &mappings.path().join("ledger/entries.json"),
        json!({"request": {"urlPath": "/entries"}, "response": {"body": "[]"}}),
    );
    eventually(Duration::from_secs(10), "the ledger service", || async {
        let r = http.get(&format!("{}/ledger/entries", server.url())).await;
        if r.text() == "[]" {
            Ok(())
        } else {
            Err(format!("{} {}", r.status, r.text()))
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_file_under_a_build_directory_loads() {
    let mappings = tempfile::tempdir().unwrap();
    write(
        &mappings.path().join("build/x.json"),
        json!({"request": {"urlPath": "/x"}, "response": {"body": "from build/"}}),
    );
    let server = stubs_only(Some(mappings.path())).await;
    let r = Http::new().get(&format!("{}/build/x", server.url())).await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (StatusCode::OK, "from build/")
    );
}
