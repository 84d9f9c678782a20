//! `--healthcheck`, and SIGTERM: in-flight requests finish (for at most 8 s), then a clean exit.

use super::{exit_within, run_binary};
use http::StatusCode;
use std::{process::Command, time::Duration};
use testkit::{Admin, Http};

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
