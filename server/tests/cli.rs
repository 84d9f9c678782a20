//! The `fake-servicer` binary as a user runs it, and plugins written the way
//! DESIGN §7 tells users to write them.

mod common;

use common::{Admin, Http, PluginCrate, build_example};
use http::StatusCode;
use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

/// A running `fake-servicer` process, killed on drop.
struct Running {
    child: Child,
    url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_binary(plugins: &std::path::Path) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
        .args(["--listen", "127.0.0.1:0", "--plugins"])
        .arg(plugins)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("fake-servicer starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut running = Running {
        child,
        url: String::new(),
    };
    let mut banner = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) {
        if let Some(url) = line.strip_prefix("fake-servicer listening on ") {
            running.url = url.trim().to_owned();
            return running;
        }
        banner.push(line);
    }
    panic!("no 'listening on' line; got {banner:?}");
}

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

/// DESIGN §7, as a user would copy it.
const DESIGN_SAMPLE: &str = r#"
use fake_servicer::prelude::*;

#[derive(Serialize)]
struct Thing { id: u64, name: String }
#[derive(Deserialize)]
struct ThingQuery { id: u64 }

#[route(get, "/thing")]
fn get_thing(Query(q): Query<ThingQuery>) -> Result<Json<Thing>, (StatusCode, &'static str)> {
    if random::<f64>() < 0.1 {
        return Err((StatusCode::FORBIDDEN, "Auth error"));
    }
    Ok(Json(Thing { id: q.id, name: fake::name() }))
}

#[route(get, "/users/{id}")]
fn get_user(Path(id): Path<u64>) -> Option<Json<Thing>> { None } // None → 404

fake_servicer::service!(get_thing, get_user); // exports these routes
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_design_sample_plugin_is_served_by_host_and_by_prefix() {
    let krate = PluginCrate::new("thing_service", DESIGN_SAMPLE);
    let lib = krate.build();
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
        .get(&format!("{}/thing_service/users/1", server.url))
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
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
async fn healthcheck_exits_zero_only_when_the_server_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = run_binary(dir.path());
    let port = server.url.rsplit(':').next().unwrap().to_owned();
    let check = |listen: String| {
        Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
            .args(["--healthcheck", "--listen", &listen])
            .output()
            .expect("fake-servicer runs")
    };
    let up = check(format!("0.0.0.0:{port}"));
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    drop(server);
    let down = check(format!("0.0.0.0:{port}"));
    assert!(!down.status.success());
    assert!(String::from_utf8_lossy(&down.stderr).contains("unhealthy"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_requests_finish_then_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = run_binary(dir.path());
    let http = Http::new();
    let admin = Admin::at(server.url.clone());
    admin
        .stub(serde_json::json!({"request": {"urlPath": "/slow"}, "response": {"status": 200, "body": "finished", "fixedDelayMilliseconds": 1500}}))
        .await;
    let slow = {
        let (http, url) = (http.clone(), format!("{}/slow", server.url));
        tokio::spawn(async move { http.get(&url).await })
    };
    // The journal records a request once its answer is decided: in flight.
    common::eventually(
        Duration::from_secs(10),
        "the slow request to be in flight",
        || async {
            let n = admin.get("/__admin/requests").await.json()["meta"]["total"].clone();
            if n == 1 { Ok(()) } else { Err(n.to_string()) }
        },
    )
    .await;
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let answer = slow.await.unwrap();
    assert_eq!(
        (answer.status, answer.text().as_str()),
        (StatusCode::OK, "finished")
    );
    let status = tokio::task::spawn_blocking(move || server.child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
}
