//! WireMock's command line given to the binary: flags with a meaning here
//! take effect, tuning flags are named in the log, the rest are refused by
//! name.

use super::{exit_within, run_logged};
use std::{process::Command, time::Duration};
use testkit::Http;

/// A WireMock root directory with one stub in a subfolder.
fn root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("mappings/team")).unwrap();
    std::fs::write(
        root.path().join("mappings/team/hello.json"),
        r#"{"request": {"urlPath": "/hello"}, "response": {"body": "hello {{request.query.who}}"}}"#,
    )
    .unwrap();
    root
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wiremocks_command_line_alone_serves_the_root_dir_without_plugins() {
    let root = root();
    let dir = root.path().to_str().unwrap();
    let server = run_logged(
        &[
            "--root-dir",
            dir,
            "--port",
            "0",
            "--bind-address",
            "127.0.0.1",
            "--global-response-templating",
            "--verbose",
            "--container-threads",
            "25",
            "--disable-banner",
        ],
        &[("FAKE_SERVICER_DOCKER", "off")],
    );
    assert!(
        server.running.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.running.url
    );
    let http = Http::new();
    let url = format!("{}/hello?who=ada", server.running.url);
    let body = testkit::eventually(Duration::from_secs(20), "the root dir's stub", || {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let r = http.get(&url).await;
            if r.status == 200 {
                Ok(r.text())
            } else {
                Err(r.text())
            }
        }
    })
    .await;
    assert_eq!(body, "hello ada");
    let log = server
        .log_eventually(&["GET /hello", "--container-threads: a WireMock flag"])
        .await;
    assert!(log.contains("--disable-banner: a WireMock flag"), "{log}");
    assert_eq!(log.matches("no plugins").count(), 1, "said once: {log}");
}

#[test]
fn a_wiremock_flag_with_no_counterpart_is_refused_by_name() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
        .args(["--port", "0", "--https-keystore", "/tmp/keystore.jks"])
        .env("FAKE_SERVICER_DOCKER", "off")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = exit_within(&mut child, Duration::from_secs(20)).expect("it exits");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains("--https-keystore is a WireMock flag") && err.contains("--ca-cert"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_journal_leaves_the_journal_empty() {
    let root = root();
    let server = run_logged(
        &[
            "--root-dir",
            root.path().to_str().unwrap(),
            "--port",
            "0",
            "--bind-address",
            "127.0.0.1",
            "--no-request-journal",
        ],
        &[("FAKE_SERVICER_DOCKER", "off")],
    );
    let http = Http::new();
    http.get(&format!("{}/hello", server.running.url)).await;
    let journal = http
        .get(&format!("{}/__admin/requests", server.running.url))
        .await;
    let v: serde_json::Value = serde_json::from_str(&journal.text()).unwrap();
    assert_eq!(v["requests"].as_array().map(Vec::len), Some(0), "{v}");
    assert_eq!(v["requestJournalDisabled"], true, "{v}");
}
