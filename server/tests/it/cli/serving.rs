//! The binary serving plugins: the examples, the documented sample, panics, a missing plugin dir.

use super::{run_binary, run_logged};
use http::StatusCode;
use std::process::Command;
use testkit::{Admin, Http, PluginCrate, build_example};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_the_example_plugins() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["example", "other_service"] {
        let lib = build_example(name);
        std::fs::copy(&lib, dir.path().join(lib.file_name().unwrap())).unwrap();
    }
    let server = run_binary(dir.path());
    let http = Http::new();

    let health = Admin::at(server.url.clone()).get("/__admin/health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json()["status"], "ok");
    assert_eq!(health.json()["services"], 2);

    let users = http.get(&format!("{}/example/users", server.url)).await;
    assert_eq!(users.status, StatusCode::OK);
    let list = users.json();
    let list = list.as_array().expect("a JSON list");
    assert!(!list.is_empty());
    assert!(
        list.iter()
            .all(|u| u["email"].as_str().is_some_and(|e| e.contains('@'))),
        "{list:?}"
    );

    let one = http.get(&format!("{}/example/users/7", server.url)).await;
    assert_eq!(one.json()["id"], 7);
    assert_eq!(
        http.get(&format!("{}/example/users/0", server.url))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let created = http
        .post_json(
            &format!("{}/example/users", server.url),
            r#"{"name":"Ann"}"#,
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json()["name"], "Ann");

    // get_thing answers 403 about one time in ten, 200 otherwise.
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..100 {
        let r = http
            .get(&format!("{}/example/thing?id=3", server.url))
            .await;
        match r.status {
            StatusCode::OK => assert_eq!(r.json()["id"], 3),
            StatusCode::FORBIDDEN => assert_eq!(r.text(), "Auth error"),
            other => panic!("unexpected {other}: {}", r.text()),
        }
        seen.insert(r.status.as_u16());
    }
    assert!(seen.contains(&200), "{seen:?}");

    for host in [
        "other_service",
        "other-service",
        "other_service.localhost:80",
    ] {
        let r = http.get_host(&format!("{}/users", server.url), host).await;
        assert_eq!(r.status, StatusCode::OK, "Host {host}: {}", r.text());
        assert!(r.json()[0]["company"].is_string(), "{}", r.text());
    }
    let prefixed = http
        .get_host(&format!("{}/example/users", server.url), "fake-services")
        .await;
    assert_eq!(prefixed.status, StatusCode::OK);
}

#[test]
fn a_missing_plugin_dir_is_an_error_naming_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--plugins",
            "/no/such/plugin-dir",
        ])
        .output()
        .expect("fake-servicer runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/no/such/plugin-dir") && err.contains("does not exist"),
        "{err}"
    );
}

/// The plugin sample of `docs/plugins.md` (the Rust block after
/// `// src/lib.rs`, under "Writing a plugin"), as a user would copy it.
fn documented_sample() -> String {
    let page = testkit::workspace_root().join("docs/plugins.md");
    let text = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
    let section = text
        .find("\n## Writing a plugin\n")
        .expect("docs/plugins.md has a section \"Writing a plugin\"");
    let start = section
        + text[section..]
            .find("// src/lib.rs\n")
            .expect("the sample in docs/plugins.md, \"Writing a plugin\"");
    let rest = &text[start..];
    rest[..rest.find("```").expect("the end of the sample")].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_sample_plugin_is_served_by_host_and_by_prefix() {
    let krate = PluginCrate::new("thing_service", &documented_sample());
    let (built, stderr) = krate.try_build();
    assert!(built, "the documented sample builds:\n{stderr}");
    assert!(
        !stderr.contains("warning"),
        "and without warnings:\n{stderr}"
    );
    let lib = testkit::built_library("thing_service");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&lib, dir.path().join("libthing_service.so")).unwrap();
    let server = run_binary(dir.path());
    let http = Http::new();

    let mut ok = 0;
    for _ in 0..20 {
        let by_prefix = http
            .get(&format!("{}/thing_service/thing?id=9", server.url))
            .await;
        let by_host = http
            .get_host(&format!("{}/thing?id=9", server.url), "thing_service")
            .await;
        for r in [by_prefix, by_host] {
            match r.status {
                StatusCode::OK => {
                    assert_eq!(r.json()["id"], 9);
                    ok += 1;
                }
                StatusCode::FORBIDDEN => assert_eq!(r.text(), "Auth error"),
                other => panic!("unexpected {other}: {}", r.text()),
            }
        }
    }
    assert!(ok > 0);
    let none = http
        .get(&format!("{}/thing_service/users/2", server.url))
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    let one = http
        .get(&format!("{}/thing_service/users/1", server.url))
        .await;
    assert_eq!(one.json()["id"], 1);
    let echoed = http
        .post_json(
            &format!("{}/thing_service/echo", server.url),
            r#"{"a":[1]}"#,
        )
        .await;
    assert_eq!(echoed.json(), serde_json::json!({"received": {"a": [1]}}));
    let missing = http
        .get(&format!("{}/thing_service/thing", server.url))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.json()["field"], "id");
}

#[test]
fn a_plugin_built_with_panic_abort_does_not_compile() {
    let krate = PluginCrate::with_manifest_extra(
        "abort_plugin",
        "use fake_servicer::prelude::*;\n#[route(get, \"/\")]\nfn root() -> &'static str { \"x\" }\nfake_servicer::service!(root);\n",
        "panic = \"abort\"\n",
    );
    let (ok, stderr) = krate.try_build();
    assert!(!ok, "a panic = \"abort\" plugin must not build");
    assert!(
        stderr.contains("panic = \\\"unwind\\\"") || stderr.contains("panic = \"unwind\""),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_panic_is_one_log_line_naming_the_plugin_and_route() {
    let krate = PluginCrate::new(
        "panicky",
        r#"
use fake_servicer::prelude::*;

#[route(get, "/boom/{id}")]
fn boom(Path(id): Path<u32>) -> &'static str {
    panic!("kaboom {id}")
}

fake_servicer::service!(boom);
"#,
    );
    let dir = tempfile::tempdir().unwrap();
    krate.build_to(&dir.path().join("libpanicky.so"));
    let plugins = dir.path().to_str().unwrap();
    let server = run_logged(
        &[
            "--listen",
            "127.0.0.1:0",
            "--docker",
            "off",
            "--plugins",
            plugins,
        ],
        &[],
    );
    let reply = Http::new()
        .get(&format!("{}/panicky/boom/7", server.running.url))
        .await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let log = server.log_eventually(&["kaboom 7"]).await;
    let line = log
        .lines()
        .find(|l| l.contains("kaboom 7"))
        .unwrap_or_default();
    assert!(
        line.starts_with(
            "fake-servicer: handler GET /boom/{id} of plugin panicky panicked at src/lib.rs:"
        ),
        "{line}"
    );
    assert!(!log.contains("thread '<unnamed>' panicked"), "{log}");
}
