//! Scopes and waits of the async client against a real fake-servicer
//! started by the test (the example plugins, the server on a loopback
//! port), called over HTTP.

use fake_servicer_client::prelude::*;
use fake_servicer_client::{Error, ScopeInfo};
use serde_json::json;
use std::time::{Duration, Instant};
use testkit::TestServer;

/// A server with the example plugins, configured by `adjust`, and the
/// client of it.
async fn server_with(
    adjust: impl FnOnce(&mut fake_servicer_server::Config),
) -> (TestServer, Client) {
    let server = testkit::serve_examples(adjust).await;
    let client = server.client();
    (server, client)
}

async fn server() -> (TestServer, Client) {
    server_with(|_| {}).await
}

/// `GET path` on the server with `headers`: (status, body).
async fn call(client: &Client, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let r = testkit::Admin::at(client.base_url().to_owned())
        .mock(Method::GET, path, headers, "")
        .await;
    (r.status.as_u16(), r.text())
}

/// A GET of `path` in scope `scope` (by the scope header).
async fn call_in(client: &Client, scope: &str, path: &str) -> (u16, String) {
    call(client, path, &[("X-Fake-Servicer-Scope", scope)]).await
}

#[tokio::test]
async fn a_scoped_stub_answers_only_its_scope_and_wins_over_an_unscoped_one() {
    let (_server, server) = server().await;
    server
        .stub(get("/users/7").service("example"))
        .priority(1)
        .respond(status(200).body("unscoped"))
        .await
        .unwrap();
    let stub = server
        .scope("test-a")
        .stub(get("/users/7").service("example"))
        .priority(9)
        .respond(status(200).body("scoped"))
        .await
        .unwrap();
    assert_eq!(
        stub.to_json()["metadata"]["fake-servicer"]["scope"],
        "test-a"
    );

    assert_eq!(
        call_in(&server, "test-a", "/example/users/7").await.1,
        "scoped"
    );
    assert_eq!(
        call_in(&server, "test-b", "/example/users/7").await.1,
        "unscoped"
    );
    assert_eq!(call(&server, "/example/users/7", &[]).await.1, "unscoped");
}

#[tokio::test]
async fn an_override_armed_in_a_scope_is_consumed_only_by_requests_carrying_its_baggage() {
    let (_server, server) = server().await;
    let test = server.scope("test 42/b");
    test.next_request("example", GET, "/users")
        .status(403)
        .body("denied")
        .arm()
        .await
        .unwrap();

    assert_eq!(call(&server, "/example/users", &[]).await.0, 200);
    let baggage = test.baggage();
    assert_eq!(baggage, "fake-servicer-scope=test%2042%2Fb");
    assert_eq!(
        call(&server, "/example/users", &[("baggage", &baggage)]).await,
        (403, "denied".to_owned())
    );
    assert_eq!(
        call(&server, "/example/users", &[("baggage", &baggage)])
            .await
            .0,
        200,
        "consumed once"
    );
}

#[tokio::test]
async fn counts_finds_and_journal_pages_of_a_scope_see_only_its_requests() {
    let (_server, server) = server().await;
    call_in(&server, "a", "/example/users").await;
    call_in(&server, "b", "/example/users").await;
    call(&server, "/example/users", &[]).await;
    let a = server.scope("a");
    let users = get("/users").service("example");

    assert_eq!(a.count(users.clone()).await.unwrap(), 1);
    let found = a.find(users.clone()).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].scopes(), ["a"]);
    let page = a.requests().await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].request().scopes(), ["a"]);
    a.verify(users.clone(), 1).await.unwrap();
    server.verify(users, 3).await.unwrap();
}

#[tokio::test]
async fn a_failed_scoped_verification_names_the_scope_and_lists_only_its_requests() {
    let (_server, server) = server().await;
    call_in(&server, "a", "/example/users").await;
    call_in(&server, "b", "/example/ping").await;

    let err = server
        .scope("a")
        .verify(get("/ping").service("example"), 1)
        .await
        .unwrap_err();
    let Error::Verification {
        actual,
        scope,
        recent,
        evicted,
        ..
    } = &err
    else {
        panic!("not a verification error: {err}");
    };
    assert_eq!(*actual, 0);
    assert_eq!(scope.as_deref(), Some("a"));
    assert_eq!(recent, &["GET /example/users -> 200"]);
    assert_eq!(*evicted, None);
    assert!(err.to_string().contains("in scope \"a\""), "{err}");
}

#[tokio::test]
async fn resetting_a_scope_removes_its_stubs_overrides_and_requests_only() {
    let (_server, server) = server().await;
    for name in ["a/1", "b"] {
        let scope = server.scope(name);
        scope
            .stub(get("/users/7").service("example"))
            .respond(status(200).body(name))
            .await
            .unwrap();
        scope
            .next_request("example", GET, "/ping")
            .status(500)
            .arm()
            .await
            .unwrap();
        call_in(&server, name, "/example/users/7").await;
    }
    assert_eq!(
        server.scopes().await.unwrap(),
        [scope_info("a/1", 1, 1, 1), scope_info("b", 1, 1, 1),]
    );

    let removed = server.scope("a/1").reset().await.unwrap();
    assert_eq!(removed, scope_info("a/1", 1, 1, 1));
    assert_eq!(server.scopes().await.unwrap(), [scope_info("b", 1, 1, 1)]);
    assert_ne!(call_in(&server, "a/1", "/example/users/7").await.1, "a/1");
    assert_eq!(call_in(&server, "b", "/example/users/7").await.1, "b");
}

fn scope_info(scope: &str, stubs: u64, overrides: u64, requests: u64) -> ScopeInfo {
    serde_json::from_value(
        json!({"scope": scope, "stubs": stubs, "overrides": overrides, "requests": requests}),
    )
    .unwrap()
}

#[tokio::test]
async fn a_wait_gives_the_matching_requests_oldest_first_once_they_arrived() {
    let (_server, server) = server().await;
    let waiting = {
        let server = server.clone();
        tokio::spawn(async move {
            server
                .wait(get(url_path_pattern("/users/[0-9]+")).service("example"))
                .count(2)
                .timeout(Duration::from_secs(20))
                .await
        })
    };
    call(&server, "/example/users/1", &[]).await;
    call(&server, "/example/ping", &[]).await;
    call(&server, "/example/users/2", &[]).await;

    let arrived = waiting.await.unwrap().unwrap();
    let urls: Vec<String> = arrived.iter().map(|r| r.url()).collect();
    assert_eq!(urls, ["/example/users/1", "/example/users/2"]);
}

#[tokio::test]
async fn a_scoped_wait_times_out_with_what_arrived_in_its_scope_and_the_near_misses() {
    let (_server, server) = server().await;
    call_in(&server, "a", "/example/users").await;
    call_in(&server, "a", "/example/ping").await;
    call_in(&server, "b", "/example/users").await;
    call_in(&server, "b", "/example/users").await;

    let started = Instant::now();
    let err = server
        .scope("a")
        .wait(get("/users").service("example"))
        .count(2)
        .timeout(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(300));
    let Error::WaitTimedOut {
        wanted,
        arrived,
        scope,
        near_misses,
        ..
    } = &err
    else {
        panic!("not a timed-out wait: {err}");
    };
    assert_eq!(*wanted, 2);
    assert_eq!(arrived.len(), 1, "b's requests do not count");
    assert_eq!(arrived[0].scopes(), ["a"]);
    assert_eq!(scope.as_deref(), Some("a"));
    assert!(
        near_misses
            .iter()
            .any(|m| m.starts_with("GET /example/ping")),
        "{near_misses:?}"
    );
    let shown = err.to_string();
    assert!(shown.contains("\"urlPath\":\"/users\""), "{shown}");
    assert!(shown.contains("in scope \"a\""), "{shown}");
    assert!(shown.contains("1 of 2 arrived"), "{shown}");
}

#[tokio::test]
async fn a_wait_longer_than_the_clients_timeout_still_gets_the_servers_answer() {
    let (srv, _) = server().await;
    let server = Client::builder(srv.url())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = server
        .wait(get("/never"))
        .timeout(Duration::from_millis(600))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WaitTimedOut { .. }), "{err}");
}

#[tokio::test]
async fn verifications_and_waits_say_when_the_journal_evicted_entries_of_their_scope() {
    let (_server, server) = server_with(|c| c.journal_size = 2).await;
    for _ in 0..3 {
        call_in(&server, "e", "/example/users").await;
    }
    call_in(&server, "f", "/example/users").await;
    let e = server.scope("e");
    let users = get("/users").service("example");

    assert_eq!(e.journal_evicted().await.unwrap(), 2);
    assert_eq!(server.scope("f").journal_evicted().await.unwrap(), 0);
    let err = e.verify(users.clone(), 3).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Verification {
                actual: 1,
                evicted: Some(2),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("evicted 2"), "{err}");
    let err = e
        .wait(users)
        .count(3)
        .timeout(Duration::ZERO)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::WaitTimedOut {
                evicted: Some(2),
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_name_that_cannot_be_a_scope_is_refused_before_anything_is_sent() {
    let (_server, server) = server().await;
    for name in ["", " padded", "caf\u{e9}", &"x".repeat(257)] {
        let scope = server.scope(name);
        let pattern = get("/users").service("example");
        let refused = [
            scope.stub(pattern.clone()).respond(ok()).await.map(drop),
            scope.next_request("example", GET, "/users").arm().await,
            scope.count(pattern.clone()).await.map(drop),
            scope.wait(pattern).await.map(drop),
            scope.reset().await.map(drop),
        ];
        for r in refused {
            assert!(matches!(r, Err(Error::Invalid(_))), "{name:?}: {r:?}");
        }
    }
    assert!(server.stubs().await.unwrap().is_empty());
    assert!(server.requests().await.unwrap().is_empty(), "nothing armed");
}
