//! Soak: load on a plugin route and a stub while the plugin is reloaded
//! every second and stubs keep changing. Zero failed requests; memory
//! growth is reported.
//!
//! CI runs 5 s. The real soak (numbers in `docs/limits.md`):
//! `FAKE_SERVICER_SOAK_SECS=60 cargo test -p fake-servicer --test it soak -- --nocapture`
//!
//! The first soak's RSS figures are those of the test process, which the
//! whole suite shares: they mean what `docs/limits.md` says when the filter above
//! runs the two soak tests alone. Nothing asserts on them.

use http::{Method, StatusCode};
use serde_json::json;
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use testkit::{Admin, Http, eventually, install_like_cargo, start_server};

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_with_reloads_every_second_and_changing_stubs_fails_no_request() {
    let secs: u64 = std::env::var("FAKE_SERVICER_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let (v1, v2) = testkit::two_versions("soak_plugin", "soak", "/v");
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("libsoak.so");
    install_like_cargo(&v1, &lib);
    let server = start_server(dir.path()).await;
    let base = server.url();
    let http = Http::new();
    let stub = json!({"id": "5f2b1c3d-0000-4000-8000-000000000001", "request": {"urlPath": "/stubbed"}, "response": {"body": "stub"}});
    let admin = Admin::new(&server);
    admin.stub(stub.clone()).await;

    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let clients: Vec<_> = (0..8)
        .map(|i| {
            let (stop, ok, failures, base) =
                (stop.clone(), ok.clone(), failures.clone(), base.clone());
            tokio::spawn(async move {
                let http = Http::new();
                let path = if i % 2 == 0 { "/soak/v" } else { "/stubbed" };
                while !stop.load(Ordering::Relaxed) {
                    match http
                        .send(Method::GET, &format!("{base}{path}"), &[], "")
                        .await
                    {
                        Ok(r) if r.status == StatusCode::OK => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => failures.lock().unwrap().push(format!(
                            "{path}: {} {}",
                            r.status,
                            r.text()
                        )),
                        Err(e) => failures.lock().unwrap().push(format!("{path}: {e}")),
                    }
                }
            })
        })
        .collect();

    let started = Instant::now();
    let rss_start = rss_kib();
    // Measured once the journal is full and the clients are warm.
    let mut rss_warm = None;
    let mut reloads = 0u64;
    let mut stub_changes = 0u64;
    while started.elapsed() < Duration::from_secs(secs) {
        let (src, want) = if reloads % 2 == 0 {
            (&v2, "v2")
        } else {
            (&v1, "v1")
        };
        install_like_cargo(src, &lib);
        reloads += 1;
        eventually(Duration::from_secs(10), "the reload", || async {
            let r = http.get(&format!("{base}/soak/v")).await;
            if r.text() == want {
                Ok(())
            } else {
                Err(r.text())
            }
        })
        .await;
        // Stubs change meanwhile: add and remove an unrelated one, replace the served one.
        for _ in 0..5 {
            let extra = admin.stub(json!({"request": {"urlPath": "/other"}})).await;
            let id = extra["id"].as_str().unwrap().to_owned();
            admin.delete(&format!("/__admin/mappings/{id}")).await;
            admin
                .put(
                    &format!("/__admin/mappings/{}", stub["id"].as_str().unwrap()),
                    stub.clone(),
                )
                .await;
            stub_changes += 3;
        }
        if reloads == 2 {
            rss_warm = Some((rss_kib(), reloads));
        }
        let rest = Duration::from_secs(reloads).saturating_sub(started.elapsed());
        tokio::time::sleep(rest).await;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let rss_end = rss_kib();
    let served = ok.load(Ordering::Relaxed);
    let failures = std::mem::take(&mut *failures.lock().unwrap());
    let (warm, at) = rss_warm.unwrap_or((rss_start, 0));
    println!(
        "soak {secs}s: {served} requests, {} failed, {reloads} reloads, {stub_changes} stub changes; RSS {rss_start} KiB at start, {warm} KiB warm (journal full), {rss_end} KiB at the end: +{} KiB over the last {} reloads = {:.0} KiB per reload (each reload maps one more library, never unloaded)",
        failures.len(),
        rss_end.saturating_sub(warm),
        reloads - at,
        rss_end.saturating_sub(warm) as f64 / (reloads - at).max(1) as f64
    );
    assert!(
        failures.is_empty(),
        "{} failed, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert!(served > 0);
}

/// What the big-request soak allows the server's peak RSS to reach: the
/// journal's 64 MiB budget with room to spare, far below what copying the
/// stub into each entry or leaving query strings uncounted takes.
const BIG_SOAK_PEAK_KIB: u64 = 256 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_on_a_big_stub_and_long_queries_keeps_the_servers_memory_bounded() {
    let secs: u64 = std::env::var("FAKE_SERVICER_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().unwrap();
    let server = testkit::Process::start(env!("CARGO_BIN_EXE_fake-servicer"), dir.path(), &[]);
    let base = server.url.clone();
    let http = Http::new();
    let big = json!({"request": {"urlPath": "/big"}, "response": {"body": "x".repeat(1_000_000)}});
    let created = http
        .post_json(&format!("{base}/__admin/mappings"), &big.to_string())
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let rss_start = server.status_kib("VmRSS");

    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let long_query = format!("/queried?q={}", "a".repeat(60_000));
    let clients: Vec<_> = (0..4)
        .map(|i| {
            let (stop, ok, failures, base) =
                (stop.clone(), ok.clone(), failures.clone(), base.clone());
            let (path, want) = if i % 2 == 0 {
                ("/big".to_owned(), StatusCode::OK)
            } else {
                (long_query.clone(), StatusCode::NOT_FOUND)
            };
            tokio::spawn(async move {
                let http = Http::new();
                while !stop.load(Ordering::Relaxed) {
                    match http
                        .send(Method::GET, &format!("{base}{path}"), &[], "")
                        .await
                    {
                        Ok(r) if r.status == want => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => failures.lock().unwrap().push(format!("{}", r.status)),
                        Err(e) => failures.lock().unwrap().push(e),
                    }
                }
            })
        })
        .collect();

    // The journal is read meanwhile, as a test suite would.
    let started = Instant::now();
    let mut reads = 0u64;
    while started.elapsed() < Duration::from_secs(secs) {
        let r = http.get(&format!("{base}/__admin/requests?limit=50")).await;
        assert_eq!(r.status, StatusCode::OK);
        reads += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let (rss_end, peak) = (server.status_kib("VmRSS"), server.status_kib("VmHWM"));
    let served = ok.load(Ordering::Relaxed);
    let failures = std::mem::take(&mut *failures.lock().unwrap());
    println!(
        "big soak {secs}s: {served} requests (a 1 MB stub, 60 KB queries), {} failed, {reads} journal reads; server RSS {rss_start} KiB at start, {rss_end} KiB at the end, peak {peak} KiB (bound {BIG_SOAK_PEAK_KIB} KiB)",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failed, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert!(served > 0);
    assert!(
        peak < BIG_SOAK_PEAK_KIB,
        "peak RSS {peak} KiB over the bound of {BIG_SOAK_PEAK_KIB} KiB"
    );
}
