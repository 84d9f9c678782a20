//! Flags and their `FAKE_SERVICER_*` variables: `--docker`, `--quiet-ms`, `--workers` and more.

use super::{exit_within, run_logged, versioned_builds};
use http::StatusCode;
use std::{
    process::{Command, Stdio},
    time::Duration,
};
use testkit::{Http, build_example};

#[test]
fn docker_on_without_a_socket_is_an_error_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("no-such-docker.sock");
    let docker_host = format!("unix://{}", socket.display());
    let start = |mode: &str| {
        Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
            .args(["--listen", "127.0.0.1:0", "--docker", mode, "--plugins"])
            .arg(dir.path())
            .env("DOCKER_HOST", &docker_host)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("fake-servicer starts")
    };

    let mut on = start("on");
    let status = exit_within(&mut on, Duration::from_secs(30));
    let _ = on.kill();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut on.stderr.take().unwrap(), &mut err).unwrap();
    let status = status.unwrap_or_else(|| panic!("--docker on kept running without a socket"));
    assert!(!status.success(), "{status:?}: {err}");
    assert!(
        err.contains(&socket.display().to_string()) && err.contains("no Docker socket"),
        "the error names the socket: {err}"
    );

    // `auto` with the same missing socket serves without aliases.
    let mut auto = start("auto");
    assert!(
        exit_within(&mut auto, Duration::from_secs(2)).is_none(),
        "--docker auto keeps running"
    );
    let _ = auto.kill();
    let _ = auto.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_are_also_read_from_environment_variables() {
    let plugins = tempfile::tempdir().unwrap();
    let lib = build_example("example");
    std::fs::copy(&lib, plugins.path().join("libexample.so")).unwrap();
    let mappings = tempfile::tempdir().unwrap();
    std::fs::write(
        mappings.path().join("stub.json"),
        r#"{"request": {"urlPath": "/from-env"}, "response": {"body": "env stub"}}"#,
    )
    .unwrap();
    let server = run_logged(
        &[],
        &[
            ("FAKE_SERVICER_LISTEN", "127.0.0.1:0"),
            ("FAKE_SERVICER_PLUGINS", plugins.path().to_str().unwrap()),
            ("FAKE_SERVICER_MAPPINGS", mappings.path().to_str().unwrap()),
            ("FAKE_SERVICER_JOURNAL_SIZE", "0"),
            ("FAKE_SERVICER_ADMIN_TOKEN", "env-token"),
            ("FAKE_SERVICER_MAX_BODY_BYTES", "10"),
            ("FAKE_SERVICER_DOCKER", "off"),
        ],
    );
    let url = server.running.url.clone();
    let http = Http::new();
    let admin = |path: &str| {
        let (http, url) = (http.clone(), format!("{url}{path}"));
        async move {
            http.send(
                http::Method::GET,
                &url,
                &[("authorization", "Bearer env-token")],
                "",
            )
            .await
            .unwrap()
        }
    };

    let user = http.get(&format!("{url}/example/users/1")).await;
    assert_eq!(user.status, StatusCode::OK, "plugins: {}", user.text());
    assert_eq!(
        http.get(&format!("{url}/from-env")).await.text(),
        "env stub",
        "mappings"
    );
    assert_eq!(
        http.get(&format!("{url}/__admin/mappings")).await.status,
        StatusCode::UNAUTHORIZED,
        "admin token"
    );
    assert_eq!(
        admin("/__admin/requests").await.json()["requestJournalDisabled"],
        true,
        "journal size"
    );
    assert_eq!(
        admin("/__admin/docker").await.json()["mode"],
        "off",
        "docker mode"
    );
    let big = http
        .send(
            http::Method::POST,
            &format!("{url}/example/users"),
            &[("content-type", "application/json")],
            r#"{"name":"far more than ten bytes"}"#,
        )
        .await
        .unwrap();
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "max body bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_ms_holds_a_changed_library_back_until_it_has_been_quiet() {
    let (v1, v2) = versioned_builds();
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("libversioned.so");
    testkit::install_like_cargo(v1, &lib);
    let quiet = Duration::from_millis(1500);
    let server = run_logged(
        &[
            "--listen",
            "127.0.0.1:0",
            "--quiet-ms",
            "1500",
            "--plugins",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    let http = Http::new();
    let url = format!("{}/versioned/version", server.running.url);
    assert_eq!(http.get(&url).await.text(), "v1");

    testkit::install_like_cargo(v2, &lib);
    let changed = std::time::Instant::now();
    testkit::eventually(Duration::from_secs(10), "v2 to be served", || async {
        let t = http.get(&url).await.text();
        if t == "v2" { Ok(()) } else { Err(t) }
    })
    .await;
    let took = changed.elapsed();
    // The quiet period runs from the last file event, just before `changed`.
    assert!(
        took >= quiet - Duration::from_millis(50),
        "v2 served {took:?} after the change, before the {quiet:?} quiet period"
    );
}

/// The async runtime's threads in process `pid`, by their thread name.
fn runtime_threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|tasks| {
            tasks
                .flatten()
                .filter(|t| {
                    std::fs::read_to_string(t.path().join("comm"))
                        .is_ok_and(|name| name.starts_with("tokio-r"))
                })
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_sets_how_many_async_worker_threads_run() {
    let dir = tempfile::tempdir().unwrap();
    let server = run_logged(
        &[
            "--listen",
            "127.0.0.1:0",
            "--workers",
            "5",
            "--plugins",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    let pid = server.running.child.id();
    // Worker threads live as long as the runtime; the blocking pool's
    // threads share their name but end after 10 s idle.
    let mut fewest = usize::MAX;
    testkit::eventually(
        Duration::from_secs(30),
        "exactly 5 runtime threads once the blocking pool is idle",
        || {
            let n = runtime_threads(pid);
            fewest = fewest.min(n);
            async move { if n == 5 { Ok(()) } else { Err(n.to_string()) } }
        },
    )
    .await;
    assert!(fewest >= 5, "never fewer than the 5 workers: {fewest}");
    let health = Http::new()
        .get(&format!("{}/__admin/health", server.running.url))
        .await;
    assert_eq!(health.status, StatusCode::OK);
}
