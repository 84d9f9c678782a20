//! The banner the binary prints on stdout at start-up.

use super::run_logged;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_banner_lists_services_that_only_stubs_define() {
    let plugins = tempfile::tempdir().unwrap();
    let mappings = tempfile::tempdir().unwrap();
    std::fs::create_dir(mappings.path().join("billing")).unwrap();
    std::fs::write(
        mappings.path().join("billing/invoices.json"),
        r#"{"request": {"urlPath": "/invoices"}, "response": {"body": "none"}}"#,
    )
    .unwrap();
    let server = run_logged(
        &[
            "--listen",
            "127.0.0.1:0",
            "--plugins",
            plugins.path().to_str().unwrap(),
            "--mappings",
            mappings.path().to_str().unwrap(),
        ],
        &[],
    );
    let banner = testkit::eventually(Duration::from_secs(20), "the banner", || async {
        let out = server.out.lock().unwrap().clone();
        match out.contains("/__admin/services") {
            true => Ok(out),
            false => Err(out),
        }
    })
    .await;
    let line = banner
        .lines()
        .find(|l| l.trim_start().starts_with("billing "))
        .unwrap_or_else(|| panic!("no line for billing:\n{banner}"));
    assert!(line.contains("/billing/"), "{line}");
    assert!(line.contains("stubs"), "{line}");
    assert!(!banner.contains("no services loaded yet"), "{banner}");
}
