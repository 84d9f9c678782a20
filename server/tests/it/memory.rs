//! Memory stays bounded whatever clients send: the real binary's resident
//! memory (`/proc/<pid>/status`) under load that would grow an unbounded
//! store, with bounds far above what a bounded one needs.

use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::json;
use testkit::{Http, Process, build_example};

const MIB: u64 = 1024;

/// `n` requests in `concurrency` parallel streams; every answer must have
/// status `want`. Returns the statuses seen, in no particular order.
async fn load(
    url: &str,
    method: Method,
    headers: Vec<(String, String)>,
    body: Bytes,
    n: usize,
    concurrency: usize,
) -> Vec<StatusCode> {
    let tasks: Vec<_> = (0..concurrency)
        .map(|c| {
            let (url, method, headers, body) = (
                url.to_owned(),
                method.clone(),
                headers.clone(),
                body.clone(),
            );
            tokio::spawn(async move {
                let http = Http::new();
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                let mut seen = Vec::new();
                for _ in (c..n).step_by(concurrency) {
                    let r = http
                        .send(method.clone(), &url, &headers, body.clone())
                        .await
                        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
                    seen.push(r.status);
                }
                seen
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("client task"));
    }
    all
}

/// A directory holding the example plugin (service `example`).
fn example_plugins() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let lib = build_example("example");
    std::fs::copy(&lib, dir.path().join(lib.file_name().unwrap())).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_entries_refer_to_a_big_stub_instead_of_copying_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(env!("CARGO_BIN_EXE_fake-servicer"), dir.path(), &[]);
    let http = Http::new();
    let body = "x".repeat(500_000);
    let created = http
        .post_json(
            &format!("{}/__admin/mappings", server.url),
            &json!({"request": {"urlPath": "/big"}, "response": {"body": body}}).to_string(),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let start = server.status_kib("VmHWM");

    let statuses = load(
        &format!("{}/big", server.url),
        Method::GET,
        vec![],
        Bytes::new(),
        1000,
        4,
    )
    .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );

    // 1 000 copies of the mapping would be 500 MB.
    let peak = server.status_kib("VmHWM");
    println!("1000 GETs of a 500 KB stub: peak RSS {start} KiB before, {peak} KiB after");
    assert!(
        peak < 150 * MIB,
        "peak RSS {peak} KiB: journal entries copy the stub"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_a_full_journal_holds_a_bounded_amount_of_memory() {
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(env!("CARGO_BIN_EXE_fake-servicer"), dir.path(), &[]);
    // Bytes that are not UTF-8 grow threefold as the entry's `body` text:
    // the 64 MiB journal reads as about 280 MB of JSON.
    let statuses = load(
        &format!("{}/upload", server.url),
        Method::POST,
        vec![],
        Bytes::from(vec![0xFF; 1_000_000]),
        100,
        4,
    )
    .await;
    assert!(statuses.iter().all(|s| *s == StatusCode::NOT_FOUND));
    let filled = server.status_kib("VmHWM");

    let r = Http::new()
        .get(&format!("{}/__admin/requests", server.url))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with(b"{\"requests\":[{"), "{}", r.text());
    assert!(r.body.len() > 100_000_000, "{} bytes", r.body.len());
    let peak = server.status_kib("VmHWM");
    println!(
        "reading a full journal ({} bytes of JSON): peak RSS {filled} KiB before, {peak} KiB after",
        r.body.len()
    );
    assert!(
        peak - filled < 64 * MIB,
        "peak RSS grew from {filled} KiB to {peak} KiB: the answer is built whole"
    );
}

/// Arms `n` overrides with a 60 KB body on `n` paths of `example`; the
/// statuses of the arming requests.
async fn arm_big_overrides(server: &Process, n: usize) -> Vec<StatusCode> {
    let http = Http::new();
    let body = "b".repeat(60_000);
    let mut statuses = Vec::new();
    for i in 0..n {
        let r = http
            .send(
                Method::GET,
                &format!("{}/example/users/{i}", server.url),
                &[("X-Fake-Servicer-Next-Request-Body", &body)],
                Bytes::new(),
            )
            .await
            .unwrap();
        statuses.push(r.status);
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn armed_overrides_hold_a_bounded_amount_of_memory() {
    let plugins = example_plugins();
    let server = Process::start(env!("CARGO_BIN_EXE_fake-servicer"), plugins.path(), &[]);
    let start = server.status_kib("VmHWM");
    let statuses = arm_big_overrides(&server, 4000).await;
    let armed = statuses
        .iter()
        .filter(|s| **s == StatusCode::ACCEPTED)
        .count();
    let peak = server.status_kib("VmHWM");
    println!(
        "arming 4000 overrides of 60 KB: {armed} armed, peak RSS {start} KiB before, {peak} KiB after"
    );
    // 4 000 bodies of 60 KB would be 240 MB; the journal holds up to
    // 64 MiB of the arming requests besides.
    assert!(
        peak < 160 * MIB,
        "peak RSS {peak} KiB with {armed} overrides armed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_gives_the_memory_of_armed_overrides_back() {
    let plugins = example_plugins();
    // No journal: the overrides alone; room for 60 MB of them.
    let server = Process::start(
        env!("CARGO_BIN_EXE_fake-servicer"),
        plugins.path(),
        &[
            "--journal-size",
            "0",
            "--max-armed-override-bytes",
            "100000000",
        ],
    );
    let before = server.status_kib("VmRSS");
    let statuses = arm_big_overrides(&server, 1000).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::ACCEPTED),
        "{statuses:?}"
    );
    let armed = server.status_kib("VmRSS");
    let reset = Http::new()
        .post_json(&format!("{}/__admin/reset", server.url), "")
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    let after = server.status_kib("VmRSS");
    println!(
        "1000 overrides of 60 KB: RSS {before} KiB before, {armed} KiB armed, {after} KiB after a reset"
    );
    assert!(armed > before + 50 * MIB, "{armed} KiB armed");
    // At least half of it back (glibc kept all of it).
    assert!(
        after - before < (armed - before) / 2,
        "RSS {armed} KiB armed, still {after} KiB after a reset ({before} KiB before)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_journal_of_small_requests_takes_a_few_megabytes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(env!("CARGO_BIN_EXE_fake-servicer"), dir.path(), &[]);
    let headers: Vec<(String, String)> = (0..4)
        .map(|i| (format!("x-header-{i}"), format!("value number {i}")))
        .collect();
    let url = format!("{}/small?page=1", server.url);
    // Warm up: the connections' buffers and the allocator's first arenas.
    load(&url, Method::GET, headers.clone(), Bytes::new(), 500, 4).await;
    let before = server.status_kib("VmRSS");
    // Past the journal's 10 000 entries: it drops as it records.
    let statuses = load(&url, Method::GET, headers, Bytes::new(), 12_000, 4).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::NOT_FOUND));
    let after = server.status_kib("VmRSS");
    println!("10 000 journaled GETs with 5 headers: RSS {before} KiB before, {after} KiB after");
    // Packed, they take about 9.5 MiB; kept as header maps, strings and
    // lists, they took 17.5.
    assert!(
        after.saturating_sub(before) < 13 * MIB,
        "RSS grew from {before} KiB to {after} KiB"
    );
}
