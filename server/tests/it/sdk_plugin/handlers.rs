//! Handlers that panic, block or overrun the timeout, pooled or inline: 500 or 504, serving on.

use super::{sink_server, sink_server_with, wait_for_answer};
use crate::slow_readers::{h2_get, h2c};
use http::{Method, StatusCode};
use std::time::Duration;
use testkit::Http;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_answers_500_and_the_server_keeps_serving() {
    let server = sink_server().await;
    let http = Http::new();
    let u = |p: &str| format!("{}/sink{p}", server.url());
    for _ in 0..3 {
        let r = http.get(&u("/panic")).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        let body = r.json();
        assert_eq!(body["message"], "boom from the plugin", "{body}");
        assert_eq!(body["route"], "GET /panic", "{body}");
        assert_eq!(http.get(&u("/fast")).await.text(), "fast");
    }
    // A panic in the destructor of a returned value is caught the same way.
    let bomb = http.get(&u("/drop-bomb")).await;
    assert_eq!(bomb.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(bomb.json()["message"], "boom in drop");
    assert_eq!(http.get(&u("/fast")).await.text(), "fast");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_handlers_do_not_stall_other_requests() {
    let server = sink_server().await;
    let http = Http::new();
    // Four times as many blocked handlers as this runtime has workers; they
    // block until released (or 20 s pass).
    let holders: Vec<_> = (0..8)
        .map(|_| {
            let http = http.clone();
            let url = format!("{}/sink/hold/20000", server.url());
            tokio::spawn(async move { http.get(&url).await })
        })
        .collect();
    // Answered while all eight block their threads.
    wait_for_answer(&http, &server, "/held", "8").await;
    let fast = http.get(&format!("{}/sink/fast", server.url())).await;
    assert_eq!(fast.text(), "fast");
    let unfinished = holders.iter().filter(|s| !s.is_finished()).count();
    assert_eq!(unfinished, 8, "the blocked handlers are still blocked");
    let released = http
        .send(
            Method::POST,
            &format!("{}/sink/release", server.url()),
            &[],
            "",
        )
        .await
        .unwrap();
    assert_eq!(released.text(), "released");
    for h in holders {
        assert_eq!(h.await.unwrap().text(), "released");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_past_the_timeout_is_answered_504_and_the_server_keeps_serving() {
    let server = sink_server_with(|c| c.handler_timeout = Duration::from_millis(300)).await;
    let http = Http::new();
    let slow = http.get(&format!("{}/sink/sleep/3000", server.url())).await;
    assert_eq!(slow.status, StatusCode::GATEWAY_TIMEOUT, "{}", slow.text());
    assert_eq!(slow.json()["route"], "GET /sleep/{ms}");
    assert_eq!(
        http.get(&format!("{}/sink/fast", server.url()))
            .await
            .text(),
        "fast"
    );
}

/// Calls `path` of the sink often enough for its route to run inline.
async fn prove_fast(http: &Http, server: &fake_servicer_server::Server, path: &str) {
    for _ in 0..2 * fake_servicer_server::runner::PROVEN {
        let r = http.get(&format!("{}/sink{path}", server.url())).await;
        assert!(r.status.is_success(), "{path}: {}", r.text());
    }
}

// Two workers: one inline slot, one worker always free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proven_fast_route_that_blocks_is_answered_504_on_time_and_stalls_no_one() {
    let server = sink_server_with(|c| c.handler_timeout = Duration::from_millis(500)).await;
    let http = Http::new();
    prove_fast(&http, &server, "/sleep/0").await;
    let blocker = {
        let http = http.clone();
        let url = format!("{}/sink/sleep/4000", server.url());
        tokio::spawn(async move { http.get(&url).await })
    };
    // While the inline call blocks its worker, the other one answers.
    wait_for_answer(&http, &server, "/sleeping", "1").await;
    assert_eq!(
        http.get(&format!("{}/sink/fast", server.url()))
            .await
            .text(),
        "fast"
    );
    assert!(!blocker.is_finished(), "the blocking call ended early");
    // The watchdog answers 504 on the blocked connection, then closes it;
    // without it the answer would be "slept", after 4 s.
    let slow = blocker.await.unwrap();
    assert_eq!(slow.status, StatusCode::GATEWAY_TIMEOUT, "{}", slow.text());
    assert_eq!(slow.json()["route"], "GET /sleep/{ms}");
    assert_eq!(slow.header("connection"), Some("close"));
    // The slow call sent the route back to the pool: the next blocking call
    // is answered 504 by the pool path, connection kept.
    let pooled = http.get(&format!("{}/sink/sleep/1500", server.url())).await;
    assert_eq!(pooled.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(pooled.header("connection"), None);
    assert_eq!(
        http.get(&format!("{}/sink/fast", server.url()))
            .await
            .text(),
        "fast"
    );
}

// Two workers: one inline slot, one worker always free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proven_fast_route_that_blocks_over_http2_has_its_connection_closed_on_time() {
    let server = sink_server_with(|c| c.handler_timeout = Duration::from_millis(500)).await;
    let http = Http::new();
    let (send, driver) = h2c(server.addr(), 65_535).await;
    let url = |p: &str| format!("{}/sink{p}", server.url());
    for _ in 0..2 * fake_servicer_server::runner::PROVEN {
        let r = h2_get(&send, &url("/sleep/0")).await.expect("an answer");
        assert_eq!(r.status(), StatusCode::OK);
    }
    let blocker = {
        let send = send.clone();
        let url = url("/sleep/4000");
        tokio::spawn(async move { h2_get(&send, &url).await })
    };
    // While the inline call blocks its worker, the other one answers.
    wait_for_answer(&http, &server, "/sleeping", "1").await;
    assert_eq!(http.get(&url("/fast")).await.text(), "fast");
    assert!(!blocker.is_finished(), "the blocking call ended early");
    // The watchdog closes the connection: no HTTP/2 answer can be written
    // from outside hyper. Through the pool the answer would be a 504, and
    // without the watchdog "slept", after 4 s.
    let cut = blocker.await.expect("the call's task");
    assert!(cut.is_err(), "answered: {:?}", cut.map(|r| r.status()));
    let closed = tokio::time::timeout(Duration::from_secs(5), driver).await;
    assert!(closed.is_ok(), "the connection stays open");
    // Demoted to the pool, the route's next blocking call is answered 504
    // on a connection that stays open.
    let (send, _driver) = h2c(server.addr(), 65_535).await;
    let pooled = h2_get(&send, &url("/sleep/1500")).await.expect("an answer");
    assert_eq!(pooled.status(), StatusCode::GATEWAY_TIMEOUT);
    let fast = h2_get(&send, &url("/fast")).await.expect("an answer");
    assert_eq!(fast.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proven_fast_routes_that_panic_keep_answering_500() {
    let server = sink_server().await;
    let http = Http::new();
    for path in ["/panic", "/drop-bomb"] {
        for _ in 0..2 * fake_servicer_server::runner::PROVEN + 4 {
            let r = http.get(&format!("{}/sink{path}", server.url())).await;
            assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        }
    }
    assert_eq!(
        http.get(&format!("{}/sink/fast", server.url()))
            .await
            .text(),
        "fast"
    );
}
