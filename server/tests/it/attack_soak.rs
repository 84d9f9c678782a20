//! The attacks of a hostile client, run side by side against the binary
//! for a while (5 s by default; `FAKE_SERVICER_SOAK_SECS=60` for longer,
//! run alone): a template whose loops multiply, a JSONPath over a deep
//! body, waits for a million requests, a regular expression stub beside
//! unmatched 1 MiB requests, thousands of scopes expiring, a proxy loop,
//! deeply nested XML. Meanwhile `/__admin/health` must answer fast (99th
//! percentile under 100 ms) and the server's peak RSS stay under 300 MiB.

use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};
use std::time::{Duration, Instant};
use testkit::Http;

/// The 99th percentile of health latencies allowed.
const HEALTH_P99: Duration = Duration::from_millis(100);

/// The server's peak RSS allowed.
const PEAK_KIB: u64 = 300 * 1024;

/// A JSON document `depth` objects deep, each with an `id` holding the
/// rest, padded to about `bytes`.
fn nested_ids(depth: usize, bytes: usize) -> String {
    let mut doc = serde_json::to_string(&"x".repeat(bytes)).unwrap_or_default();
    for _ in 0..depth {
        doc = format!(r#"{{"id":{doc}}}"#);
    }
    doc
}

/// The stubs the attacks aim at.
fn stubs(base: &str) -> Vec<Value> {
    let mut list = vec![
        json!({"request": {"urlPath": "/loops"}, "response": {
            "body": "{{parseJson request.body 'a'}}{{#each a}}{{#each ../a}}{{#each ../../a}}{{/each}}{{/each}}{{/each}}done",
            "transformers": ["response-template"]}}),
        json!({"request": {"urlPath": "/ids"}, "response": {
            "body": "{{jsonPath request.body '$..id'}}", "transformers": ["response-template"]}}),
        json!({"request": {"urlPath": "/re", "bodyPatterns": [{"matches": "(?s).*\\w{100}x"}]},
               "response": {"body": "re"}}),
        json!({"request": {"urlPath": "/xml", "bodyPatterns": [{"matchesXPath": {"expression": "//id", "equalTo": "42"}}]},
               "response": {"body": "xml"}}),
        json!({"request": {"urlPath": "/loop"}, "response": {"proxyBaseUrl": base}}),
    ];
    list.extend((0..2_000).map(|i| {
        json!({"request": {"urlPath": format!("/scoped/{i}")}, "response": {"body": "s"},
               "metadata": {"fake-servicer": {"scope": format!("attack-{i}")}}})
    }));
    list
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attacks_side_by_side_keep_health_fast_and_memory_bounded() {
    let secs: u64 = std::env::var("FAKE_SERVICER_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().expect("a plugin dir");
    let server = testkit::Process::start(
        env!("CARGO_BIN_EXE_fake-servicer"),
        dir.path(),
        &["--scope-idle-timeout", "1"],
    );
    let base = server.url.clone();
    let http = Http::new();
    let import = json!({"mappings": stubs(&base)}).to_string();
    let r = http
        .post_json(&format!("{base}/__admin/mappings/import"), &import)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let numbers: Vec<u32> = (0..500).collect();
    let loops_body = serde_json::to_string(&numbers).unwrap_or_default();
    let ids_body = nested_ids(100, 4 << 20);
    let unmatched = "y".repeat(1 << 20);
    let xml = format!("{}{}", "<a>".repeat(9_000), "</a>".repeat(9_000));
    // Every request matches: the wait would keep them all.
    let wait = json!({"count": 1_000_000, "timeoutMs": 5_000}).to_string();
    let attacks: Vec<(Method, &str, String)> = vec![
        (Method::POST, "/loops", loops_body),
        (Method::POST, "/ids", ids_body),
        (Method::POST, "/elsewhere", unmatched),
        (Method::POST, "/xml", xml),
        (Method::POST, "/loop", "z".repeat(1024)),
        (Method::POST, "/__admin/requests/wait", wait),
    ];

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for (method, path, body) in attacks {
        for _ in 0..2 {
            let (stop, sent, failures) = (stop.clone(), sent.clone(), failures.clone());
            let (url, method, body) = (format!("{base}{path}"), method.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                let http = Http::new();
                while !stop.load(Ordering::Relaxed) {
                    match http.send(method.clone(), &url, &[], body.clone()).await {
                        // Any answer will do: the server answered it.
                        Ok(_) => {
                            sent.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => failures
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(format!("{url}: {e}")),
                    }
                }
            }));
        }
    }
    // Scopes used once, then left to expire, again and again.
    {
        let (stop, base) = (stop.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let http = Http::new();
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let r = http
                    .send(
                        Method::POST,
                        &format!("{base}/__admin/mappings"),
                        &[("x-fake-servicer-scope", &format!("churn-{i}"))],
                        json!({"request": {"urlPath": "/churn"}, "response": {"body": "c"}})
                            .to_string(),
                    )
                    .await;
                drop(r);
                i += 1;
            }
        }));
    }

    let mut latencies = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(secs) {
        let asked = Instant::now();
        let r = http.get(&format!("{base}/__admin/health")).await;
        latencies.push(asked.elapsed());
        assert_eq!(r.status, StatusCode::OK, "health: {}", r.text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
    }
    latencies.sort();
    let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
    let worst = latencies.last().copied().unwrap_or_default();
    let peak = server.status_kib("VmHWM");
    let failures = std::mem::take(&mut *failures.lock().unwrap_or_else(|p| p.into_inner()));
    println!(
        "attack soak {secs}s: {} attack requests answered, {} failed; health p99 {p99:?}, worst {worst:?} over {} probes; server peak RSS {peak} KiB (bounds {HEALTH_P99:?}, {PEAK_KIB} KiB)",
        sent.load(Ordering::Relaxed),
        failures.len(),
        latencies.len()
    );
    assert!(failures.is_empty(), "first failure: {:?}", failures.first());
    assert!(p99 < HEALTH_P99, "health p99 {p99:?}");
    assert!(peak < PEAK_KIB, "peak RSS {peak} KiB");
}
