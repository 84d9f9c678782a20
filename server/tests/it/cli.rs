//! The `fake-servicer` binary as a user runs it, and plugins written the way
//! the README's "Writing a plugin" tells users to write them.

use http::StatusCode;
use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};
use testkit::{Admin, Http, PluginCrate, build_example};

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

/// The binary on a free port with the plugins in `plugins`.
fn run_binary(plugins: &std::path::Path) -> Running {
    run_plugins_logged(plugins).running
}

/// [`run_binary`], keeping what it logs.
fn run_plugins_logged(plugins: &std::path::Path) -> Logged {
    let plugins = plugins.to_str().expect("a UTF-8 temporary path");
    run_logged(&["--listen", "127.0.0.1:0", "--plugins", plugins], &[])
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

/// The README's plugin sample (the Rust block after `// src/lib.rs`), as
/// a user would copy it.
fn readme_sample() -> String {
    let readme = std::fs::read_to_string(testkit::workspace_root().join("README.md")).unwrap();
    let start = readme
        .find("// src/lib.rs\n")
        .expect("the sample in the README");
    let rest = &readme[start..];
    rest[..rest.find("```").expect("the end of the sample")].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_sample_plugin_is_served_by_host_and_by_prefix() {
    let krate = PluginCrate::new("thing_service", &readme_sample());
    let (built, stderr) = krate.try_build();
    assert!(built, "the README's sample builds:\n{stderr}");
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
    testkit::eventually(
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

/// A `fake-servicer` process started with `args` and `envs`; what it writes
/// to stderr is kept in `log`.
struct Logged {
    running: Running,
    log: std::sync::Arc<std::sync::Mutex<String>>,
    /// What it printed on stdout (the banner).
    out: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Logged {
    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log holds every one of `needles`; returns it.
    async fn log_eventually(&self, needles: &[&str]) -> String {
        testkit::eventually(
            Duration::from_secs(20),
            &format!("{needles:?} in the log"),
            || async {
                let log = self.log();
                if needles.iter().all(|n| log.contains(n)) {
                    Ok(log)
                } else {
                    Err(log)
                }
            },
        )
        .await
    }
}

fn run_logged(args: &[&str], envs: &[(&str, &str)]) -> Logged {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
        .args(args)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fake-servicer starts");
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr");
    {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
    }
    let stdout = child.stdout.take().expect("stdout");
    let out = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let (tx, rx) = mpsc::channel();
    {
        let out = out.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let mut out = out.lock().unwrap();
                out.push_str(&line);
                out.push('\n');
                let _ = tx.send(line);
            }
        });
    }
    let mut logged = Logged {
        running: Running {
            child,
            url: String::new(),
        },
        log,
        out,
    };
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) {
        if let Some(url) = line.strip_prefix("fake-servicer listening on ") {
            logged.running.url = url.trim().to_owned();
            return logged;
        }
    }
    panic!("no 'listening on' line; stderr:\n{}", logged.log());
}

/// Waits for `child` to exit, for at most `limit`; `None` if it is still
/// running then.
fn exit_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for fake-servicer") {
            return Some(status);
        }
        if started.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Two builds of service `versioned` answering `v1` and `v2` on `/version`.
fn versioned_builds() -> &'static (std::path::PathBuf, std::path::PathBuf) {
    static BUILDS: std::sync::OnceLock<(std::path::PathBuf, std::path::PathBuf)> =
        std::sync::OnceLock::new();
    BUILDS.get_or_init(|| testkit::two_versions("cli_versioned", "versioned", "/version"))
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_waiting_for_in_flight_requests_after_8_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = run_binary(dir.path());
    let http = Http::new();
    let created = http
        .post_json(
            &format!("{}/__admin/mappings", server.url),
            r#"{"request": {"urlPath": "/slower"}, "response": {"status": 200, "body": "too late", "fixedDelayMilliseconds": 30000}}"#,
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let slow = {
        let (http, url) = (http.clone(), format!("{}/slower", server.url));
        tokio::spawn(async move {
            http.send(http::Method::GET, &url, &[], bytes::Bytes::new())
                .await
        })
    };
    testkit::eventually(
        Duration::from_secs(10),
        "the slow request to be in flight",
        || async {
            let n = http
                .get(&format!("{}/__admin/requests", server.url))
                .await
                .json()["meta"]["total"]
                .clone();
            if n == 1 { Ok(()) } else { Err(n.to_string()) }
        },
    )
    .await;
    let pid = server.child.id().to_string();
    let term = std::time::Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::task::spawn_blocking(move || {
        let status = exit_within(&mut server.child, Duration::from_secs(40));
        (status, term.elapsed())
    })
    .await
    .unwrap();
    let (status, took) = (status.0.expect("the server exits"), status.1);
    assert!(status.success(), "exit status {status:?}");
    assert!(
        took >= Duration::from_secs(7) && took <= Duration::from_secs(11),
        "exited {took:?} after SIGTERM, not about 8 s"
    );
    let answer = slow.await.unwrap();
    assert!(
        answer.is_err(),
        "the 30 s request is cut off, not answered: {answer:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_libraries_claiming_one_service_are_logged_as_a_conflict() {
    let (v1, v2) = versioned_builds();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(v1, dir.path().join("libversioned.so")).unwrap();
    std::fs::copy(v2, dir.path().join("libversioned_again.so")).unwrap();
    let server = run_plugins_logged(dir.path());
    let log = server
        .log_eventually(&["several libraries provide this service"])
        .await;
    let line = log
        .lines()
        .find(|l| l.contains("several libraries provide this service"))
        .unwrap();
    assert!(
        line.contains("versioned")
            && line.contains("libversioned.so")
            && line.contains("libversioned_again.so"),
        "the warning names the service and both files: {line}"
    );
}

/// `lib` with its highest `GLIBC_2.*` version need renamed to a newer
/// version of the same length (`GLIBC_2.34` → `GLIBC_2.99`) and the need's
/// ELF hash updated: what a library linked on a newer glibc requires.
/// Returns the bytes and the version now needed.
fn needing_newer_glibc(lib: &[u8]) -> (Vec<u8>, String) {
    let u16_at = |at: usize| u16::from_le_bytes(lib[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(lib[at..at + 4].try_into().unwrap()) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(lib[at..at + 8].try_into().unwrap()) as usize;
    let c_str = |at: usize| {
        let end = lib[at..].iter().position(|&b| b == 0).unwrap();
        String::from_utf8_lossy(&lib[at..at + end]).into_owned()
    };
    let (shoff, shentsize, shnum) = (u64_at(40), u16_at(58), u16_at(60));
    let section = |i: usize| shoff + i * shentsize;
    const SHT_GNU_VERNEED: usize = 0x6fff_fffe;
    let verneed = (0..shnum)
        .map(section)
        .find(|&s| u32_at(s + 4) == SHT_GNU_VERNEED)
        .expect("a .gnu.version_r section");
    let dynstr = u64_at(section(u32_at(verneed + 40)) + 24);

    // Every version need: (offset of the vernaux entry, name offset, name).
    let mut needs = Vec::new();
    let mut need = u64_at(verneed + 24);
    for _ in 0..u32_at(verneed + 44) {
        let mut aux = need + u32_at(need + 8);
        for _ in 0..u16_at(need + 2) {
            let name_at = dynstr + u32_at(aux + 8);
            needs.push((aux, name_at, c_str(name_at)));
            aux += u32_at(aux + 12);
        }
        need += u32_at(need + 12);
    }
    let minor = |name: &str| -> Vec<u32> {
        name.trim_start_matches("GLIBC_2.")
            .split('.')
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    let (_, name_at, old) = needs
        .iter()
        .filter(|(_, _, n)| n.starts_with("GLIBC_2."))
        .max_by_key(|(_, _, n)| minor(n))
        .expect("a GLIBC_2.* version need")
        .clone();
    let new = format!("GLIBC_2.{}", "9".repeat(old.len() - "GLIBC_2.".len()));
    let elf_hash = |name: &str| {
        let mut h: u32 = 0;
        for &c in name.as_bytes() {
            h = (h << 4).wrapping_add(u32::from(c));
            let g = h & 0xf000_0000;
            if g != 0 {
                h ^= g >> 24;
            }
            h &= !g;
        }
        h
    };
    let mut out = lib.to_vec();
    out[name_at..name_at + new.len()].copy_from_slice(new.as_bytes());
    for (aux, at, _) in &needs {
        if *at == name_at {
            out[*aux..*aux + 4].copy_from_slice(&elf_hash(&new).to_le_bytes());
        }
    }
    (out, new)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_needing_a_newer_glibc_is_refused_saying_so() {
    let (v1, _) = versioned_builds();
    let (patched, needed) = needing_newer_glibc(&std::fs::read(v1).unwrap());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("libnewer_glibc.so"), patched).unwrap();
    let server = run_plugins_logged(dir.path());
    let all = Http::new()
        .get(&format!("{}/__admin/services", server.running.url))
        .await
        .json();
    assert_eq!(all["services"], serde_json::json!([]), "{all}");
    let refusal = all["refused"][0]["error"].as_str().unwrap_or_default();
    assert!(
        all["refused"][0]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("libnewer_glibc.so"))
            && refusal.contains(&format!("version `{needed}' not found")),
        "the refusal names the glibc version needed: {all}"
    );
    let log = server.log_eventually(&["libnewer_glibc.so", &needed]).await;
    assert!(
        log.lines()
            .any(|l| l.contains("refused") && l.contains(&needed)),
        "{log}"
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
