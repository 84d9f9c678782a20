//! Hot reload against the real file operations: cargo rebuilding in place,
//! remove + hard link, copy over the file, truncated and foreign files,
//! deletion — and reloads under load that fail no request.

use http::StatusCode;
use std::{
    path::{Path, PathBuf},
    sync::{
        Arc, OnceLock,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use testkit::{Admin, Http, PluginCrate, TestServer, eventually, install_like_cargo, start_server};

/// Two builds of the `flip` service, answering `v1` and `v2` on `/version`.
fn flip_builds() -> &'static (PathBuf, PathBuf) {
    static BUILDS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BUILDS.get_or_init(|| testkit::two_versions("reload_flip", "flip", "/version"))
}

const WAIT: Duration = Duration::from_secs(10);

/// A server whose plugin dir holds `libflip.so`, installed from `initial`.
struct Flip {
    server: TestServer,
    dir: tempfile::TempDir,
    lib: PathBuf,
    url: String,
    http: Http,
}

async fn flip_server(initial: &Path, poll: bool) -> Flip {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("libflip.so");
    install_like_cargo(initial, &lib);
    let mut config = fake_servicer_server::Config::local(dir.path());
    config.poll = poll;
    let server = testkit::start_with(config).await;
    let url = format!("{}/flip/version", server.url());
    let http = Http::new();
    let first = served_version(&http, &url).await;
    assert!(first.is_ok(), "the first version serves: {first:?}");
    Flip {
        server,
        dir,
        lib,
        url,
        http,
    }
}

async fn served_version(http: &Http, url: &str) -> Result<String, String> {
    let r = http
        .send(http::Method::GET, url, &[], bytes::Bytes::new())
        .await?;
    if r.status == StatusCode::OK {
        Ok(r.text())
    } else {
        Err(format!("{} {}", r.status, r.text()))
    }
}

async fn wait_for_version(http: &Http, url: &str, want: &str) -> Duration {
    let started = Instant::now();
    eventually(WAIT, &format!("{url} to answer {want}"), || async {
        match served_version(http, url).await {
            Ok(v) if v == want => Ok(()),
            Ok(v) => Err(v),
            Err(e) => Err(e),
        }
    })
    .await;
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuilding_with_cargo_in_the_watched_target_dir_is_served() {
    let krate = PluginCrate::new(
        "reload_cargo",
        &testkit::answering_plugin("cargo_flip", "/version", "first"),
    );
    let lib = krate.build();
    let target_debug = lib.parent().unwrap().to_owned();
    let server = start_server(&target_debug).await;
    let http = Http::new();
    let url = format!("{}/cargo_flip/version", server.url());
    assert_eq!(served_version(&http, &url).await.unwrap(), "first");

    krate.write_src(&testkit::answering_plugin(
        "cargo_flip",
        "/version",
        "second",
    ));
    krate.build();
    let took = wait_for_version(&http, &url, "second").await;
    println!("cargo build finished → new version served in {took:?}");
    let status = Admin::new(&server).service("cargo_flip").await;
    assert!(status["generation"].as_u64().unwrap() >= 2, "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hard_link_replace_and_in_place_copy_are_both_reloaded() {
    let (v1, v2) = flip_builds();
    let Flip {
        server: _server,
        dir: _,
        lib,
        url,
        http,
    } = flip_server(v1, false).await;
    assert_eq!(served_version(&http, &url).await.unwrap(), "v1");

    install_like_cargo(v2, &lib);
    let by_link = wait_for_version(&http, &url, "v2").await;

    // A copy written into the existing file (truncate + write).
    std::fs::copy(v1, &lib).unwrap();
    let by_copy = wait_for_version(&http, &url, "v1").await;
    println!("reload latency: hard link {by_link:?}, in-place copy {by_copy:?}");
}

/// Writes a junk library `name` into `dir` and waits until it is listed as
/// refused: the watcher has handled it.
async fn refused_marker(admin: &Admin, dir: &Path, name: &str) {
    std::fs::write(dir.join(name), b"marker").unwrap();
    eventually(WAIT, &format!("{name} to be refused"), || async {
        let all = admin.services().await;
        if all["refused"].to_string().contains(name) {
            Ok(())
        } else {
            Err(all.to_string())
        }
    })
    .await;
}

async fn generation(admin: &Admin, name: &str) -> u64 {
    let status = admin.service(name).await;
    status["generation"]
        .as_u64()
        .unwrap_or_else(|| panic!("a generation for {name}: {status}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_library_rewritten_with_identical_content_is_not_reloaded() {
    let (v1, v2) = flip_builds();
    let Flip {
        server,
        dir,
        lib,
        url,
        http,
    } = flip_server(v1, false).await;
    let admin = Admin::new(&server);
    let before = generation(&admin, "flip").await;

    // The same bytes, installed the way cargo installs a fresh build.
    install_like_cargo(v1, &lib);
    // The watcher hands every path whose quiet period is over to the
    // registry in one pass, in no fixed order. A file written after the
    // rewrite is due after it: once it is refused, the pass that handled it
    // has handled the rewrite too (or an earlier one did). A second file,
    // written after that, is handled in a later pass: once it is refused,
    // that pass is over.
    refused_marker(&admin, dir.path(), "libmarker1.so").await;
    refused_marker(&admin, dir.path(), "libmarker2.so").await;

    // A new build is a change of its own, loaded under the next generation
    // (generations count every load of the server).
    install_like_cargo(v2, &lib);
    wait_for_version(&http, &url, "v2").await;
    let after = generation(&admin, "flip").await;
    assert_eq!(
        after,
        before + 1,
        "identical content must not be reloaded: generation {before} before the rewrite, {after} after one more build"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_under_concurrent_load_drop_no_request() {
    let (v1, v2) = flip_builds();
    let Flip {
        server,
        lib,
        url,
        http,
        dir: _dir,
    } = flip_server(v1, false).await;

    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (stop, ok, failures, url) =
                (stop.clone(), ok.clone(), failures.clone(), url.clone());
            tokio::spawn(async move {
                let http = Http::new();
                while !stop.load(Ordering::Relaxed) {
                    match served_version(&http, &url).await {
                        Ok(v) if v == "v1" || v == "v2" => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(v) => failures
                            .lock()
                            .unwrap()
                            .push(format!("unexpected body {v:?}")),
                        Err(e) => failures.lock().unwrap().push(e),
                    }
                }
            })
        })
        .collect();

    let mut latencies = Vec::new();
    for round in 0..10 {
        let (src, want) = if round % 2 == 0 {
            (v2, "v2")
        } else {
            (v1, "v1")
        };
        install_like_cargo(src, &lib);
        latencies.push(wait_for_version(&http, &url, want).await);
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let failures = std::mem::take(&mut *failures.lock().unwrap());
    let served = ok.load(Ordering::Relaxed);
    println!(
        "10 reloads under 8 clients: {served} requests, {} failed; reload latencies {latencies:?}",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failed requests, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert!(served > 100, "load ran: {served} requests");
    let status = Admin::new(&server).service("flip").await;
    assert_eq!(status["generation"], 11, "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_or_foreign_library_is_refused_and_the_old_version_keeps_serving() {
    let (v1, v2) = flip_builds();
    let Flip {
        server,
        dir,
        lib,
        url,
        http,
    } = flip_server(v1, false).await;
    let base = server.url();

    let good = std::fs::read(v2).unwrap();
    let mut other_arch = good.clone();
    other_arch[18..20].copy_from_slice(
        &(if cfg!(target_arch = "aarch64") {
            62u16
        } else {
            183u16
        })
        .to_le_bytes(),
    );
    let bad_files: [(&str, Vec<u8>, &str); 3] = [
        ("truncated", good[..good.len() / 2].to_vec(), "truncated"),
        (
            "foreign",
            b"#!/bin/sh\necho not a library\n".to_vec(),
            "not a shared library",
        ),
        ("other arch", other_arch, "built for"),
    ];
    for (what, bytes, reason) in bad_files {
        std::fs::write(&lib, &bytes).unwrap();
        let status = eventually(WAIT, &format!("the {what} file to be refused"), || async {
            let s = Admin::at(base.clone()).service("flip").await;
            match s["last_error"].as_str() {
                Some(e) if e.contains(reason) => Ok(s),
                _ => Err(s.to_string()),
            }
        })
        .await;
        assert_eq!(status["generation"], 1, "{what}: {status}");
        assert_eq!(
            served_version(&http, &url).await.unwrap(),
            "v1",
            "{what}: the old version serves"
        );
    }

    std::fs::copy(v2, &lib).unwrap();
    wait_for_version(&http, &url, "v2").await;
    let status = Admin::at(base.clone()).service("flip").await;
    assert!(
        status["last_error"].is_null(),
        "a good load clears the error: {status}"
    );

    // A library that is not a plugin, under a name of its own, is listed as refused.
    std::fs::write(dir.path().join("libnotes.so"), b"hello").unwrap();
    eventually(WAIT, "libnotes.so to be listed as refused", || async {
        let all = Admin::at(base.clone()).services().await;
        let refused = all["refused"].to_string();
        if refused.contains("libnotes.so") && refused.contains("not a shared library") {
            Ok(())
        } else {
            Err(all.to_string())
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_library_takes_its_service_away_and_adding_one_brings_it() {
    let (v1, _) = flip_builds();
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path()).await;
    let http = Http::new();
    let url = format!("{}/flip/version", server.url());
    assert_eq!(http.get(&url).await.status, StatusCode::NOT_FOUND);

    // A library appearing in a new sub-directory is found too.
    let sub = dir.path().join("release");
    std::fs::create_dir(&sub).unwrap();
    let lib = sub.join("libflip.so");
    install_like_cargo(v1, &lib);
    wait_for_version(&http, &url, "v1").await;

    std::fs::remove_file(&lib).unwrap();
    eventually(WAIT, "the service to go away", || async {
        let r = http.get(&url).await;
        if r.status == StatusCode::NOT_FOUND && r.json()["known_services"] == serde_json::json!([])
        {
            Ok(())
        } else {
            Err(format!("{} {}", r.status, r.text()))
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_mode_sees_changes_without_file_events() {
    let (v1, v2) = flip_builds();
    let Flip {
        server: _server,
        lib,
        url,
        http,
        dir: _dir,
    } = flip_server(v1, true).await;
    install_like_cargo(v2, &lib);
    let took = wait_for_version(&http, &url, "v2").await;
    println!("reload latency with --poll: {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_files_for_one_service_the_newest_wins() {
    let (v1, v2) = flip_builds();
    let Flip {
        server: _server,
        dir,
        lib: older,
        url,
        http,
    } = flip_server(v1, false).await;

    // A newer file for the same service takes over …
    let newer = dir.path().join("libflip_new.so");
    install_like_cargo(v2, &newer);
    let mtime = std::fs::metadata(&older).unwrap().modified().unwrap() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&newer)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    wait_for_version(&http, &url, "v2").await;

    // … and when it goes, the older one serves again.
    std::fs::remove_file(&newer).unwrap();
    wait_for_version(&http, &url, "v1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_dir_that_disappears_and_comes_back_is_watched_again() {
    let (v1, v2) = flip_builds();
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("target");
    std::fs::create_dir(&root).unwrap();
    install_like_cargo(v1, &root.join("libflip.so"));
    let server = start_server(&root).await;
    let http = Http::new();
    let url = format!("{}/flip/version", server.url());
    assert_eq!(served_version(&http, &url).await.unwrap(), "v1");

    // `cargo clean`: the whole directory goes, and its service with it.
    std::fs::remove_dir_all(&root).unwrap();
    eventually(WAIT, "the service to go with its directory", || async {
        let r = http.get(&url).await;
        if r.status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(r.text())
        }
    })
    .await;

    // The next build brings the directory back; it is watched again.
    std::fs::create_dir_all(root.join("debug")).unwrap();
    install_like_cargo(v2, &root.join("debug/libflip.so"));
    wait_for_version(&http, &url, "v2").await;
    install_like_cargo(v1, &root.join("debug/libflip.so"));
    wait_for_version(&http, &url, "v1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdks_proc_macro_library_is_skipped_not_refused() {
    // `cargo build --workspace` leaves libfake_servicer_macros.so beside the
    // plugins; it holds the root symbol's name as a string (`service!`
    // writes it), so only the proc-macro check tells it apart.
    let (v1, _) = flip_builds();
    let deps = testkit::plugin_target().join("debug").join("deps");
    let macros = std::fs::read_dir(&deps)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("libfake_servicer_macros-") && name.ends_with(".so")
        })
        .expect("the SDK's proc-macro library in the plugin build's deps/");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&macros, dir.path().join("libfake_servicer_macros.so")).unwrap();
    std::fs::copy(v1, dir.path().join("libflip.so")).unwrap();
    std::fs::write(dir.path().join("libnotes.so"), b"hello").unwrap();
    let server = start_server(dir.path()).await;
    let all = Admin::new(&server).services().await;
    let refused = all["refused"].to_string();
    assert!(refused.contains("libnotes.so"), "{all}");
    assert!(!refused.contains("fake_servicer_macros"), "{all}");
    assert_eq!(all["services"][0]["name"], "flip", "{all}");
}

/// Service `inflight`: `GET /version` answers `version`; `GET /gate?dir=D`
/// writes `D/started`, waits (at most 30 s) for `D/release`, then answers
/// `version`.
fn gated_plugin(version: &str) -> String {
    format!(
        r#"use fake_servicer::prelude::*;
use std::time::{{Duration, Instant}};

#[derive(Deserialize)]
struct Gate {{ dir: String }}

#[route(get, "/gate")]
fn gate(Query(g): Query<Gate>) -> &'static str {{
    let dir = std::path::Path::new(&g.dir);
    std::fs::write(dir.join("started"), b"").expect("write started");
    let since = Instant::now();
    while !dir.join("release").exists() && since.elapsed() < Duration::from_secs(30) {{
        std::thread::sleep(Duration::from_millis(5));
    }}
    "{version}"
}}

#[route(get, "/version")]
fn version() -> &'static str {{ "{version}" }}

fake_servicer::service!(name = "inflight", gate, version);
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_across_a_reload_is_answered_by_the_old_version() {
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reload_inflight-builds");
    std::fs::create_dir_all(&keep).unwrap();
    let krate = PluginCrate::new("reload_inflight", &gated_plugin("v1"));
    let v1 = krate.build_to(&keep.join("v1.so"));
    krate.write_src(&gated_plugin("v2"));
    let v2 = krate.build_to(&keep.join("v2.so"));

    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("libinflight.so");
    install_like_cargo(&v1, &lib);
    let server = start_server(dir.path()).await;
    let http = Http::new();
    let base = server.url();
    let version_url = format!("{base}/inflight/version");
    assert_eq!(served_version(&http, &version_url).await.unwrap(), "v1");

    let gate = tempfile::tempdir().unwrap();
    let in_flight = {
        let (http, url) = (
            http.clone(),
            format!("{base}/inflight/gate?dir={}", gate.path().display()),
        );
        tokio::spawn(async move { served_version(&http, &url).await })
    };
    eventually(WAIT, "v1's handler to be running", || async {
        if gate.path().join("started").exists() {
            Ok(())
        } else {
            Err("not started".to_owned())
        }
    })
    .await;

    install_like_cargo(&v2, &lib);
    wait_for_version(&http, &version_url, "v2").await;
    assert!(
        !in_flight.is_finished(),
        "the gated request is still in flight"
    );
    std::fs::write(gate.path().join("release"), b"").unwrap();
    assert_eq!(in_flight.await.unwrap().unwrap(), "v1");

    let journal = http
        .get(&format!("{base}/__admin/requests?extensions=true"))
        .await
        .json();
    let entry = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["request"]["url"]
                .as_str()
                .is_some_and(|u| u.contains("/gate"))
        })
        .unwrap_or_else(|| panic!("the gated request in {journal}"))
        .clone();
    assert_eq!(entry["answeredBy"]["generation"], 1, "{entry}");
}

const COUNTER_PLUGIN: &str = r#"use fake_servicer::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

static CALLS: AtomicU64 = AtomicU64::new(0);

#[route(get, "/count")]
fn count() -> String {
    (CALLS.fetch_add(1, Ordering::SeqCst) + 1).to_string()
}

fake_servicer::service!(name = "counter", count);
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_state_in_statics_resets_when_the_plugin_is_reloaded() {
    let built = PluginCrate::new("reload_counter", COUNTER_PLUGIN).build();
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("libcounter.so");
    install_like_cargo(&built, &lib);
    let server = start_server(dir.path()).await;
    let http = Http::new();
    let url = format!("{}/counter/count", server.url());
    let mut counts = Vec::new();
    for _ in 0..3 {
        counts.push(served_version(&http, &url).await.unwrap());
    }
    assert_eq!(counts, ["1", "2", "3"], "state lives in the static");

    // The same code as a new file (a trailing marker makes its content new).
    let marked = dir.path().join("deps").join("marked.so");
    std::fs::create_dir_all(marked.parent().unwrap()).unwrap();
    let mut bytes = std::fs::read(&built).unwrap();
    bytes.extend_from_slice(b"reload marker");
    std::fs::write(&marked, bytes).unwrap();
    install_like_cargo(&marked, &lib);
    eventually(WAIT, "the counter plugin to be reloaded", || async {
        let s = Admin::new(&server).service("counter").await;
        if s["generation"] == 2 {
            Ok(())
        } else {
            Err(s.to_string())
        }
    })
    .await;
    assert_eq!(
        served_version(&http, &url).await.unwrap(),
        "1",
        "a reload starts with fresh statics"
    );
}
