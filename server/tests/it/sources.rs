//! Source mode: the server builds plugin crates with cargo, serves them,
//! rebuilds them on every edit, and keeps the last good version serving
//! when a build fails.

mod bounds;

use fake_servicer_server::{Config, Server};
use serde_json::Value;
use std::{path::Path, path::PathBuf, time::Duration};
use testkit::{Admin, Http, TestServer, eventually};

/// A cold build of a new plugin crate (its dependencies are already built
/// in the shared target dir) takes seconds; on a loaded 2-core machine,
/// allow minutes.
const BUILD: Duration = Duration::from_secs(240);

/// A plugin crate in a sources dir, answering `GET /v` with `answer`.
fn write_crate(sources: &Path, name: &str, answer: &str) -> PathBuf {
    let dir = sources.join(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let sdk = testkit::workspace_root().join("sdk");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\nfake-servicer-sdk = {{ path = {:?} }}\n\n[workspace]\n\n[profile.dev]\ndebug = false\n",
            sdk.display().to_string()
        ),
    )
    .unwrap();
    // The workspace's lock: no resolution, dependencies already built.
    std::fs::copy(
        testkit::workspace_root().join("Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    write_answer(&dir, answer);
    dir
}

fn write_answer(dir: &Path, answer: &str) {
    std::fs::write(
        dir.join("src/lib.rs"),
        format!(
            "use fake_servicer::prelude::*;\n\n#[route(get, \"/v\")]\nfn v() -> &'static str {{\n    {answer}\n}}\n\nfake_servicer::service!(v);\n"
        ),
    )
    .unwrap();
}

async fn source_server(sources: &Path) -> TestServer {
    let mut config = Config::local(sources);
    config.plugins = None;
    config.sources = Some(sources.to_owned());
    config.target_dir = Some(testkit::plugin_target());
    testkit::start_with(config).await
}

/// The answer of `GET /<service>/v` with the build header, once it is
/// `want`.
async fn answers(server: &Server, service: &str, want: &str) -> Option<String> {
    let http = Http::new();
    let url = format!("{}/{service}/v", server.url());
    eventually(BUILD, &format!("{service} to answer {want:?}"), || {
        let http = http.clone();
        let url = url.clone();
        async move {
            let r = http.get(&url).await;
            if r.text() == want {
                Ok(r.header("x-fake-servicer-build").map(str::to_owned))
            } else {
                Err(format!("{} {}", r.status, r.text()))
            }
        }
    })
    .await
}

async fn build_of(server: &Server, package: &str) -> Value {
    Admin::new(server).services().await["builds"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["package"] == package).cloned())
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_crate_in_the_sources_dir_is_built_served_and_rebuilt_on_edit() {
    let sources = tempfile::tempdir().unwrap();
    let dir = write_crate(sources.path(), "src_edit", "\"v1\"");
    let server = source_server(sources.path()).await;
    assert_eq!(answers(&server, "src_edit", "v1").await, None);
    write_answer(&dir, "\"v2\"");
    assert_eq!(answers(&server, "src_edit", "v2").await, None);
    let build = build_of(&server, "src_edit").await;
    assert_eq!(build["state"], "ok", "{build}");
    let service = Admin::new(&server).service("src_edit").await;
    assert_eq!(service["build"]["state"], "ok", "{service}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_build_keeps_the_last_good_version_serving_and_says_so() {
    let sources = tempfile::tempdir().unwrap();
    let dir = write_crate(sources.path(), "src_broken", "\"good\"");
    let server = source_server(sources.path()).await;
    assert_eq!(answers(&server, "src_broken", "good").await, None);

    write_answer(&dir, "not_a_value");
    let failed = eventually(BUILD, "the build to fail", || async {
        let b = build_of(&server, "src_broken").await;
        if b["state"] == "failed" {
            Ok(b)
        } else {
            Err(b.to_string())
        }
    })
    .await;
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("not_a_value"),
        "the compiler's error: {error}"
    );
    let header = answers(&server, "src_broken", "good").await;
    assert!(
        header.is_some_and(|h| h.starts_with("failed")),
        "the last good version answers, saying its latest build failed"
    );

    write_answer(&dir, "\"fixed\"");
    assert_eq!(answers(&server, "src_broken", "fixed").await, None);
}

#[test]
fn source_mode_without_cargo_is_a_start_up_error_saying_what_to_do() {
    let sources = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
        .args(["--listen", "127.0.0.1:0", "--docker", "off", "--sources"])
        .arg(sources.path())
        .env("CARGO", "/nonexistent/cargo")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Rust toolchain"), "{stderr}");
}
