//! `fake-servicer new`: its crate builds, passes its test and loads, alone or in a workspace.

use std::process::Command;
use testkit::Http;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_servicer_new_writes_a_plugin_that_builds_tests_and_loads() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("crates/new-payments");
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
        .args(["new", "payments"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in ["Cargo.toml", "src/lib.rs", ".gitignore"] {
        assert!(dir.join(file).is_file(), "{file} written");
    }
    // The workspace's lock file keeps the build offline and its
    // dependencies shared with the other test plugins.
    std::fs::copy(
        testkit::workspace_root().join("Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    let (built, err) = testkit::cargo_build(&dir.join("Cargo.toml"));
    assert!(built, "the new crate builds as it stands:\n{err}");
    let tested = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .env("CARGO_TARGET_DIR", testkit::plugin_target())
        .args(["test", "--offline", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        tested.status.success(),
        "its unit test passes:\n{}",
        String::from_utf8_lossy(&tested.stderr)
    );
    let plugins = tempfile::tempdir().unwrap();
    std::fs::copy(
        testkit::built_library("payments"),
        plugins.path().join("libpayments.so"),
    )
    .unwrap();
    let server = testkit::start_server(plugins.path()).await;
    let hello = Http::new()
        .get(&format!("{}/payments/hello/ada", server.url()))
        .await;
    assert_eq!(
        hello.json(),
        serde_json::json!({"service": "payments", "message": "hello, ada"})
    );
    drop(server);
    let again = Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
        .args(["new", "payments"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!again.status.success(), "a non-empty directory is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}

#[test]
fn fake_servicer_new_inside_a_workspace_that_lists_it_builds_as_a_member() {
    // The compose demo's `new`: run in the plugins dir of a workspace whose
    // `members` glob takes the new crate in.
    let ws = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("crates/ws-new");
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(ws.join("plugins")).unwrap();
    std::fs::write(
        ws.join("Cargo.toml"),
        "[workspace]\nresolver = \"2\"\nmembers = [\"plugins/*\"]\n",
    )
    .unwrap();
    std::fs::copy(
        testkit::workspace_root().join("Cargo.lock"),
        ws.join("Cargo.lock"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
        .args(["new", "invoices"])
        .current_dir(ws.join("plugins"))
        .env("FAKE_SERVICER_SDK", testkit::workspace_root().join("sdk"))
        .env_remove("FAKE_SERVICER_SOURCES")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("a member of the workspace at"), "{stdout}");
    let manifest = std::fs::read_to_string(ws.join("plugins/invoices/Cargo.toml")).unwrap();
    assert!(!manifest.contains("[workspace]"), "{manifest}");
    assert!(
        manifest.contains(r#"fake-servicer-sdk = { path = "../"#),
        "a relative path: {manifest}"
    );
    let (built, err) = testkit::cargo_build(&ws.join("Cargo.toml"));
    assert!(built, "the workspace builds with the new member:\n{err}");
    assert!(testkit::built_library("invoices").is_file());
}
