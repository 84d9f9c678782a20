//! The blocking client against a real fake-servicer (started on a runtime
//! of its own), from plain `#[test]`s.

use fake_servicer_client::Error;
use fake_servicer_client::blocking::Client;
use fake_servicer_client::prelude::{GET, any, any_url, at_least, get, json, status};
use serde_json::json;

/// A server with the example plugins on a runtime of its own (kept alive by
/// the returned guard, dropped after the server).
fn start(
    adjust: impl FnOnce(&mut fake_servicer_server::Config),
) -> (tokio::runtime::Runtime, testkit::TestServer) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(testkit::serve_examples(adjust));
    (rt, server)
}

fn call(base: &str, path: &str) -> (u16, String) {
    let r = reqwest::blocking::get(format!("{base}{path}")).unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

#[test]
fn the_blocking_client_stubs_arms_verifies_and_resets() {
    let (_rt, srv) = start(|_| {});
    let base = srv.url();
    let server = Client::new(&base);

    server
        .stub(get("/users/7").service("example"))
        .respond(json(json!({"id": 7})))
        .unwrap();
    assert_eq!(
        call(&base, "/example/users/7"),
        (200, r#"{"id":7}"#.to_owned())
    );

    server
        .next_request("example", GET, "/users")
        .status(403)
        .body("no")
        .arm()
        .unwrap();
    assert_eq!(call(&base, "/example/users"), (403, "no".to_owned()));

    server
        .verify(get("/users/7").service("example"), 1)
        .unwrap();
    server.verify(get(any_url()), at_least(2)).unwrap();
    let err = server.verify(get("/users/7"), 5).unwrap_err();
    assert!(
        matches!(err, Error::Verification { actual: 0, .. }),
        "{err}"
    );
    // The arming request is journaled too.
    assert_eq!(server.find(any(any_url())).unwrap().len(), 3);
    assert_eq!(server.requests().unwrap()[0].status(), 403);
    assert!(server.services().unwrap().get("example").is_some());

    server.reset().unwrap();
    assert_eq!(server.count(any(any_url())).unwrap(), 0);
    assert!(server.stubs().unwrap().is_empty());
}

#[test]
fn the_blocking_client_reports_what_the_server_answered() {
    let (_rt, srv) = start(|c| c.admin_token = Some("t0ken".to_owned()));
    let without = Client::new(srv.url());
    let err = without.stub(get("/x")).respond(status(200)).unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");

    let with = Client::builder(srv.url())
        .admin_token("t0ken")
        .build_blocking()
        .unwrap();
    let stub = with.stub(get("/x")).respond(status(204)).unwrap();
    with.remove_stub(&stub).unwrap();
    with.reset_requests().unwrap();
    with.reset_mappings().unwrap();
    with.reset_scenarios().unwrap();
    with.remove_stubs().unwrap();
    assert_eq!(with.unmatched().unwrap().len(), 0);
    assert_eq!(with.health().unwrap().status, "ok");
}

#[test]
fn the_blocking_client_works_within_a_scope_and_waits_for_requests() {
    let (_rt, srv) = start(|_| {});
    let base = srv.url();
    let server = Client::new(&base);
    let test = server.scope("blocking-1");
    test.stub(get("/users/7").service("example"))
        .respond(status(200).body("scoped"))
        .unwrap();
    test.next_request("example", GET, "/users")
        .status(403)
        .arm()
        .unwrap();

    let scoped = |path: &str| {
        reqwest::blocking::Client::new()
            .get(format!("{base}{path}"))
            .header("baggage", test.baggage())
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_ne!(call(&base, "/example/users/7").1, "scoped");
    assert_eq!(scoped("/example/users/7"), 200);
    assert_eq!(scoped("/example/users"), 403);

    let arrived = test
        .wait(get("/users").service("example"))
        .timeout(std::time::Duration::from_secs(10))
        .received()
        .unwrap();
    assert_eq!(arrived[0].scopes(), ["blocking-1"]);
    test.verify(get(any_url()), 2).unwrap();
    assert_eq!(test.count(any(any_url())).unwrap(), 2);
    assert_eq!(
        test.find(get("/users/7").service("example")).unwrap().len(),
        1
    );
    assert_eq!(test.requests().unwrap().len(), 2);
    assert_eq!(test.journal_evicted().unwrap(), 0);
    let err = server
        .wait(get("/never"))
        .timeout(std::time::Duration::from_millis(100))
        .received()
        .unwrap_err();
    assert!(matches!(err, Error::WaitTimedOut { .. }), "{err}");

    assert_eq!(server.scopes().unwrap()[0].scope, "blocking-1");
    let removed = test.reset().unwrap();
    assert_eq!((removed.stubs, removed.requests), (1, 2));
    assert!(server.scopes().unwrap().is_empty());
}
