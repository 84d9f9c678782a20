//! The admin root, unknown admin paths, health and the services list.

use super::server;
use http::StatusCode;
use serde_json::json;
use testkit::Admin;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_admin_path_answers_404() {
    let server = server().await;
    let a = Admin::new(&server);
    assert_eq!(
        a.get("/__admin/nonsense").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_root_answers_200() {
    let server = server().await;
    assert_eq!(
        Admin::new(&server).get("/__admin").await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_counts_stubs_and_names_the_version() {
    let server = server().await;
    let a = Admin::new(&server);
    let before = a.get("/__admin/health").await.json();
    assert_eq!(before["stubs"], 0, "{before}");
    assert_eq!(before["services"], 2, "{before}");
    assert_eq!(
        before["version"],
        env!("CARGO_PKG_VERSION"),
        "the server's version: {before}"
    );
    a.stub(json!({"request": {"urlPath": "/h1"}})).await;
    a.stub(json!({"request": {"urlPath": "/h2"}})).await;
    assert_eq!(a.get("/__admin/health").await.json()["stubs"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_name_their_file_load_time_and_sdk_version() {
    let before = std::time::SystemTime::now();
    let server = server().await;
    let after = std::time::SystemTime::now();
    let a = Admin::new(&server);
    let all = a.get("/__admin/services").await.json();
    let example = all["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "example")
        .unwrap_or_else(|| panic!("example in {all}"))
        .clone();
    assert_eq!(
        example["file"].as_str().map(std::path::PathBuf::from),
        Some(server.plugin_dir().join("libexample.so")),
        "{example}"
    );
    assert_eq!(
        example["sdk_version"],
        fake_servicer::abi::SDK_VERSION,
        "{example}"
    );

    // RFC 3339 in UTC, to the millisecond, between start and first answer.
    let loaded_at = example["loaded_at"].as_str().unwrap();
    let millis = |t: std::time::SystemTime| {
        t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
    };
    let parsed = parse_rfc3339_millis(loaded_at)
        .unwrap_or_else(|| panic!("loaded_at is not RFC 3339: {loaded_at:?}"));
    assert!(
        (millis(before) - 1..=millis(after) + 1).contains(&parsed),
        "loaded_at {loaded_at} outside the server's start-up"
    );
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` as milliseconds since the epoch.
fn parse_rfc3339_millis(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 24 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[23] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss, ms) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
    // Days from civil (proleptic Gregorian).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000) + ms)
}
