//! Next-request overrides: armed by headers on a mock request, served once
//! (or their times) first in first out, met by prefix or Host, with their
//! delays and faults; malformed ones and ones past the caps arm nothing.

use super::{BODY, STATUS, server};
use http::{Method, StatusCode};
use std::time::{Duration, Instant};
use testkit::{Admin, Http, exchange_async, serve_examples};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_request_headers_arm_a_one_shot_answer_met_by_host() {
    let server = server().await;
    let a = Admin::new(&server);
    // Arm a 403 for the next GET /users on example (here by prefix) …
    let armed = a
        .mock(
            Method::GET,
            "/example/users",
            &[(STATUS, "403"), (BODY, r#"{"error":"Auth error"}"#)],
            "",
        )
        .await;
    assert_eq!(armed.status, StatusCode::ACCEPTED, "{}", armed.text());
    assert_eq!(armed.json()["armed"]["status"], 403);
    // … the next call (here by Host) gets it, once.
    let hit = a
        .mock(Method::GET, "/users", &[("host", "example")], "")
        .await;
    assert_eq!(
        (hit.status, hit.text().as_str()),
        (StatusCode::FORBIDDEN, r#"{"error":"Auth error"}"#)
    );
    let after = a.mock(Method::GET, "/example/users", &[], "").await;
    assert_eq!(after.status, StatusCode::OK);
    assert!(after.json().is_array(), "back to the plugin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_setting_status_and_body_keeps_the_handlers_headers() {
    let server = server().await;
    let a = Admin::new(&server);
    // The example of `docs/steering.md`: status and body set, headers not.
    let body = r#"{"error":"Auth error"}"#;
    a.mock(
        Method::GET,
        "/example/users",
        &[(STATUS, "403"), (BODY, body)],
        "",
    )
    .await;
    let hit = a.mock(Method::GET, "/example/users", &[], "").await;
    assert_eq!(hit.status, StatusCode::FORBIDDEN);
    assert_eq!(hit.text(), body);
    assert_eq!(
        hit.header("content-type"),
        Some("application/json"),
        "the plugin's content type is kept"
    );
    assert_eq!(
        hit.header("content-length"),
        Some(body.len().to_string().as_str()),
        "the length of the new body"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn override_headers_replace_the_handlers_header_of_the_same_name() {
    let server = server().await;
    let a = Admin::new(&server);
    a.mock(
        Method::GET,
        "/example/users/4",
        &[
            (STATUS, "418"),
            (BODY, "short"),
            (
                "X-Fake-Servicer-Next-Request-Headers",
                r#"{"Content-Type": "text/plain"}"#,
            ),
        ],
        "",
    )
    .await;
    let hit = a.mock(Method::GET, "/example/users/4", &[], "").await;
    assert_eq!(
        (hit.status, hit.text().as_str()),
        (StatusCode::IM_A_TEAPOT, "short")
    );
    assert_eq!(
        hit.headers
            .get_all("content-type")
            .iter()
            .collect::<Vec<_>>(),
        ["text/plain"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_armed_answer_leaves_other_paths_to_the_plugin() {
    let server = server().await;
    let a = Admin::new(&server);
    a.mock(
        Method::GET,
        "/example/users/1",
        &[(STATUS, "500"), ("X-Fake-Servicer-Next-Request-Times", "2")],
        "",
    )
    .await;
    assert_eq!(
        a.mock(Method::GET, "/example/users/2", &[], "")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn armed_answers_are_served_first_in_first_out_each_for_its_times() {
    let server = server().await;
    let a = Admin::new(&server);
    a.mock(
        Method::GET,
        "/example/users/1",
        &[(STATUS, "500"), ("X-Fake-Servicer-Next-Request-Times", "2")],
        "",
    )
    .await;
    a.mock(Method::GET, "/example/users/1", &[(STATUS, "503")], "")
        .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            a.mock(Method::GET, "/example/users/1", &[], "")
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses, [500, 500, 503, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_setting_only_the_status_keeps_the_handlers_body_and_headers() {
    let server = server().await;
    let a = Admin::new(&server);
    // Unset parts come from the handler: only the status changes here.
    a.mock(
        Method::GET,
        "/example/users/5",
        &[
            (STATUS, "202"),
            (
                "X-Fake-Servicer-Next-Request-Headers",
                r#"{"X-Extra": "yes"}"#,
            ),
        ],
        "",
    )
    .await;
    let mixed = a.mock(Method::GET, "/example/users/5", &[], "").await;
    assert_eq!(mixed.status, StatusCode::ACCEPTED);
    assert_eq!(mixed.json()["id"], 5, "the handler's body");
    assert_eq!(mixed.header("x-extra"), Some("yes"));
    assert_eq!(
        mixed.header("content-type"),
        Some("application/json"),
        "the handler's headers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn armed_answers_show_in_the_journal_as_overrides() {
    let server = server().await;
    let a = Admin::new(&server);
    a.mock(Method::GET, "/example/users/5", &[(STATUS, "202")], "")
        .await;
    a.mock(Method::GET, "/example/users/5", &[], "").await;
    let journal = a
        .get("/__admin/requests?limit=1&extensions=true")
        .await
        .json();
    assert_eq!(journal["requests"][0]["answeredBy"]["kind"], "override");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_override_header_is_refused_and_nothing_is_armed() {
    let server = server().await;
    let a = Admin::new(&server);
    for (name, value) in [
        (STATUS, "forbidden"),
        ("X-Fake-Servicer-Next-Request-Headers", "not json"),
        ("X-Fake-Servicer-Next-Request-Times", "0"),
        ("X-Fake-Servicer-Next-Request-Delay", "soon"),
        ("X-Fake-Servicer-Next-Request-Fault", "MELTDOWN"),
        ("X-Fake-Servicer-Next-Request-Stauts", "403"),
    ] {
        let r = a
            .mock(
                Method::GET,
                "/example/users/3",
                &[(STATUS, "418"), (name, value)],
                "",
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {value}");
        assert_eq!(
            r.json()["header"].as_str().unwrap().to_ascii_lowercase(),
            name.to_ascii_lowercase()
        );
        let next = a.mock(Method::GET, "/example/users/3", &[], "").await;
        assert_eq!(
            next.status,
            StatusCode::OK,
            "nothing armed after {name}: {value}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_armed_delay_comes_before_the_handlers_answer() {
    let server = server().await;
    let a = Admin::new(&server);
    a.mock(
        Method::GET,
        "/example/users/1",
        &[("X-Fake-Servicer-Next-Request-Delay", "300")],
        "",
    )
    .await;
    let started = Instant::now();
    let delayed = a.mock(Method::GET, "/example/users/1", &[], "").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(delayed.json()["id"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_armed_fault_happens_on_the_socket() {
    let server = server().await;
    let a = Admin::new(&server);
    a.mock(
        Method::GET,
        "/example/users",
        &[("X-Fake-Servicer-Next-Request-Fault", "EMPTY_RESPONSE")],
        "",
    )
    .await;
    let answer = exchange_async(
        server.addr(),
        "GET /example/users HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await;
    assert_eq!(answer.result().unwrap(), b"", "an override fault");
    assert_eq!(
        a.mock(Method::GET, "/example/users/1", &[], "")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_armed_override_is_served_exactly_once_under_concurrency() {
    let server = server().await;
    let base = server.url();
    let n = 100;
    let arms: Vec<_> = (0..n)
        .map(|i| {
            let (http, base) = (Http::new(), base.clone());
            tokio::spawn(async move {
                http.send(
                    Method::GET,
                    &format!("{base}/example/users/1"),
                    &[(BODY, &format!("armed-{i}"))],
                    "",
                )
                .await
                .map(|r| r.status)
            })
        })
        .collect();
    for a in arms {
        assert_eq!(a.await.unwrap(), Ok(StatusCode::ACCEPTED));
    }
    let serves: Vec<_> = (0..n + 20)
        .map(|_| {
            let (http, base) = (Http::new(), base.clone());
            tokio::spawn(async move { http.get(&format!("{base}/example/users/1")).await.text() })
        })
        .collect();
    let mut armed = Vec::new();
    let mut plugin = 0;
    for s in serves {
        let body = s.await.unwrap();
        match body.strip_prefix("armed-") {
            Some(i) => armed.push(i.parse::<usize>().unwrap()),
            None => plugin += 1,
        }
    }
    armed.sort_unstable();
    assert_eq!(
        armed,
        (0..n).collect::<Vec<_>>(),
        "every armed answer exactly once"
    );
    assert_eq!(plugin, 20, "the rest reach the plugin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arming_past_the_override_count_cap_answers_507_naming_the_flag_and_arms_nothing() {
    let server = serve_examples(|c| c.max_armed_overrides = 3).await;
    let a = Admin::new(&server);
    for i in 0..3 {
        let r = a
            .mock(
                Method::GET,
                &format!("/example/users/{i}"),
                &[(STATUS, "500")],
                "",
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    }
    let full = a
        .mock(Method::GET, "/example/users/3", &[(STATUS, "500")], "")
        .await;
    assert_eq!(full.status, StatusCode::INSUFFICIENT_STORAGE);
    let error = full.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        error.contains("3 armed overrides") && error.contains("--max-armed-overrides"),
        "{error}"
    );
    assert_eq!(full.json()["armed"], false);
    assert_eq!(
        a.mock(Method::GET, "/example/users/3", &[], "")
            .await
            .status,
        StatusCode::OK,
        "nothing armed"
    );
    // Served overrides make room; a reset frees them all.
    assert_eq!(
        a.mock(Method::GET, "/example/users/0", &[], "")
            .await
            .status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let r = a
        .mock(Method::GET, "/example/users/4", &[(STATUS, "500")], "")
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    a.call(Method::POST, "/__admin/reset", "").await;
    for i in 10..13 {
        let r = a
            .mock(
                Method::GET,
                &format!("/example/users/{i}"),
                &[(STATUS, "500")],
                "",
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::ACCEPTED,
            "after a reset: {}",
            r.text()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arming_past_the_override_byte_cap_answers_507_naming_the_flag_and_arms_nothing() {
    let server = serve_examples(|c| c.max_armed_override_bytes = 100_000).await;
    let a = Admin::new(&server);
    let body = "b".repeat(40_000);
    for i in 0..2 {
        let r = a
            .mock(
                Method::GET,
                &format!("/example/users/{i}"),
                &[(BODY, &body)],
                "",
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    }
    let full = a
        .mock(Method::GET, "/example/users/2", &[(BODY, &body)], "")
        .await;
    assert_eq!(full.status, StatusCode::INSUFFICIENT_STORAGE);
    let error = full.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        error.contains("100000 bytes") && error.contains("--max-armed-override-bytes"),
        "{error}"
    );
    let next = a.mock(Method::GET, "/example/users/2", &[], "").await;
    assert_eq!(next.json()["id"], 2, "nothing armed: {}", next.text());
    a.call(Method::POST, "/__admin/reset", "").await;
    let r = a
        .mock(Method::GET, "/example/users/5", &[(BODY, &body)], "")
        .await;
    assert_eq!(
        r.status,
        StatusCode::ACCEPTED,
        "after a reset: {}",
        r.text()
    );
}

/// A test arms an answer for a service no plugin or stub names (a partner
/// faked by overrides alone): met by prefix, once, then the usual 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_armed_for_a_service_nothing_names_answers_its_next_request() {
    let server = testkit::serve(&[], |_| {}).await;
    let a = Admin::new(&server);
    let armed = a
        .mock(
            Method::POST,
            "/bank/pay",
            &[(STATUS, "402"), (BODY, "declined")],
            "",
        )
        .await;
    assert_eq!(armed.status, StatusCode::ACCEPTED, "{}", armed.text());
    assert_eq!(armed.json()["armed"]["service"], "bank");
    let elsewhere = a.mock(Method::POST, "/bank/refund", &[], "").await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND, "another path");
    let hit = a.mock(Method::POST, "/bank/pay", &[], "").await;
    assert_eq!(
        (hit.status, hit.text().as_str()),
        (StatusCode::PAYMENT_REQUIRED, "declined")
    );
    let after = a.mock(Method::POST, "/bank/pay", &[], "").await;
    assert_eq!(after.status, StatusCode::NOT_FOUND, "served once");
}
