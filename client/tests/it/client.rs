//! The async client against a real fake-servicer started by the test (the
//! example plugins built with cargo, the server on a loopback port), called
//! over HTTP.

use fake_servicer_client::prelude::*;
use fake_servicer_client::{Error, Stub};
use serde_json::json;
use std::time::{Duration, Instant};
use testkit::TestServer;

/// A server with the example plugins, and the client of it.
async fn server() -> (TestServer, Client) {
    let server = testkit::serve_examples(|_| {}).await;
    let client = server.client();
    (server, client)
}

/// A plain GET of `path` on the server.
async fn call(client: &Client, path: &str) -> testkit::Reply {
    testkit::Admin::at(client.base_url().to_owned())
        .mock(Method::GET, path, &[], "")
        .await
}

#[tokio::test]
async fn a_stub_made_with_the_builder_answers_the_services_request() {
    let (_server, server) = server().await;
    let stub = server
        .stub(get("/users/7").service("example"))
        .priority(1)
        .metadata(json!({"test": "users"}))
        .respond(json(json!({"id": 7, "name": "Stubbed"})))
        .await
        .unwrap();
    assert_eq!(stub.to_json()["priority"], 1);
    assert_eq!(stub.to_json()["metadata"]["test"], "users");

    let r = call(&server, "/example/users/7").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"id": 7, "name": "Stubbed"}));
    assert_eq!(r.header("content-type"), Some("application/json"));

    let stubs = server.stubs().await.unwrap();
    assert_eq!(stubs.iter().map(Stub::id).collect::<Vec<_>>(), [stub.id()]);
}

#[tokio::test]
async fn matchers_on_headers_query_and_body_decide_which_request_the_stub_answers() {
    let (_server, server) = server().await;
    server
        .stub(
            post(url_path_pattern("/orders/[0-9]+"))
                .service("example")
                .header("X-Team", equal_to("BLUE").case_insensitive())
                .query("dry", "true")
                .body(matches_json_path_with("$.name", "Ada")),
        )
        .respond(status(201).header("Location", "/orders/1").body("created"))
        .await
        .unwrap();
    let http = testkit::Admin::at(server.base_url().to_owned());
    let matching = http
        .mock(
            Method::POST,
            "/example/orders/12?dry=true",
            &[("X-Team", "blue")],
            r#"{"name":"Ada"}"#,
        )
        .await;
    assert_eq!(matching.status, 201, "{}", matching.text());
    assert_eq!(matching.header("location"), Some("/orders/1"));
    assert_eq!(matching.text(), "created");
    let other_name = http
        .mock(
            Method::POST,
            "/example/orders/12?dry=true",
            &[("X-Team", "blue")],
            r#"{"name":"Bob"}"#,
        )
        .await;
    assert_ne!(other_name.status, 201);
    let no_header = http
        .mock(
            Method::POST,
            "/example/orders/12?dry=true",
            &[],
            r#"{"name":"Ada"}"#,
        )
        .await;
    assert_ne!(no_header.status, 201);
}

#[tokio::test]
async fn a_stub_the_server_refuses_is_an_error_naming_its_status_and_body() {
    let (_server, server) = server().await;
    let err = server
        .stub(get(url_path_pattern("/users/[")))
        .respond(ok())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422), "{err}");
    let body = err.body().unwrap();
    assert!(body.contains("\"errors\""), "{body}");
    let message = err.to_string();
    assert!(
        message.contains("POST")
            && message.contains("/__admin/mappings")
            && message.contains("422"),
        "{message}"
    );
    assert!(server.stubs().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_next_request_override_answers_once_then_the_plugin_answers_again() {
    let (_server, server) = server().await;
    server
        .next_request("example", GET, "/users")
        .status(403)
        .json(json!({"error": "Auth error"}))
        .header("X-Reason", "token expired")
        .arm()
        .await
        .unwrap();
    let first = call(&server, "/example/users").await;
    assert_eq!(first.status, 403);
    assert_eq!(first.json(), json!({"error": "Auth error"}));
    assert_eq!(first.header("x-reason"), Some("token expired"));
    assert_eq!(first.header("content-type"), Some("application/json"));
    let second = call(&server, "/example/users").await;
    assert_eq!(second.status, 200, "{}", second.text());
}

#[tokio::test]
async fn an_override_for_several_times_with_a_delay_answers_each_of_them_late() {
    let (_server, server) = server().await;
    server
        .next_request("example", GET, "users")
        .status(503)
        .body("busy")
        .times(2)
        .delay(Duration::from_millis(200))
        .arm()
        .await
        .unwrap();
    for _ in 0..2 {
        let started = Instant::now();
        let r = call(&server, "/example/users").await;
        assert_eq!((r.status.as_u16(), r.text().as_str()), (503, "busy"));
        assert!(started.elapsed() >= Duration::from_millis(200));
    }
    assert_eq!(call(&server, "/example/users").await.status, 200);
}

#[tokio::test]
async fn an_override_the_server_refuses_or_cannot_carry_is_an_error() {
    let (_server, server) = server().await;
    let err = server
        .next_request("example", GET, "/users")
        .status(42)
        .arm()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
    assert!(err.body().unwrap().contains("Status"), "{err}");

    let err = server
        .next_request("example", GET, "/users")
        .body("two\nlines")
        .arm()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    // Nothing was armed by either.
    assert_eq!(call(&server, "/example/users").await.status, 200);
}

#[tokio::test]
async fn a_fault_stub_breaks_the_connection_and_a_delayed_stub_answers_late() {
    let (_server, server) = server().await;
    server
        .stub(get("/broken"))
        .respond(fault(Fault::EmptyResponse))
        .await
        .unwrap();
    server
        .stub(get("/slow"))
        .respond(ok().body("late").delay(Duration::from_millis(300)))
        .await
        .unwrap();
    let http = testkit::Http::new();
    let broken = http
        .send(
            Method::GET,
            &format!("{}/broken", server.base_url()),
            &[],
            "",
        )
        .await;
    assert!(broken.is_err(), "{broken:?}");
    let started = Instant::now();
    let slow = call(&server, "/slow").await;
    assert_eq!(slow.text(), "late");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn verify_accepts_the_right_count_and_otherwise_says_what_arrived() {
    let (_server, server) = server().await;
    call(&server, "/example/users").await;
    call(&server, "/example/users").await;
    call(&server, "/other_service/users").await;

    let users = || get("/users").service("example");
    server.verify(users(), 2).await.unwrap();
    server.verify(users(), at_least(1)).await.unwrap();
    server.verify(users(), at_most(2)).await.unwrap();
    server.verify(delete(any_url()), never()).await.unwrap();
    server.verify(get(any_url()), exactly(3)).await.unwrap();

    let err = server.verify(users(), 3).await.unwrap_err();
    let Error::Verification {
        expected,
        actual,
        recent,
        ..
    } = &err
    else {
        panic!("not a verification error: {err}");
    };
    assert_eq!((*expected, *actual), (exactly(3), 2));
    assert_eq!(recent.len(), 3, "{recent:?}");
    assert!(
        recent[0].starts_with("GET /other_service/users -> 200"),
        "{recent:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("expected exactly 3 requests") && message.contains("found 2"),
        "{message}"
    );
}

#[tokio::test]
async fn journal_queries_find_count_list_and_show_the_unmatched() {
    let (_server, server) = server().await;
    let http = testkit::Admin::at(server.base_url().to_owned());
    http.mock(
        Method::POST,
        "/example/users",
        &[("content-type", "application/json")],
        r#"{"name":"Ada"}"#,
    )
    .await;
    call(&server, "/example/nothing-here").await;

    let posted = server
        .find(post("/users").service("example"))
        .await
        .unwrap();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].method(), "POST");
    assert_eq!(posted[0].service().as_deref(), Some("example"));
    assert_eq!(posted[0].header("Content-Type"), Some("application/json"));
    assert_eq!(
        posted[0].json::<serde_json::Value>().unwrap(),
        json!({"name": "Ada"})
    );
    assert_eq!(posted[0].body(), r#"{"name":"Ada"}"#);

    assert_eq!(server.count(any(any_url())).await.unwrap(), 2);
    assert_eq!(
        server
            .count(any(any_url()).header("content-type", absent()))
            .await
            .unwrap(),
        1
    );

    let events = server.requests().await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].request().url(), "/example/nothing-here");
    assert_eq!(events[0].status(), 404);
    assert!(!events[0].was_matched());
    assert_eq!(events[1].request().url(), "/example/users");

    let unmatched = server.unmatched().await.unwrap();
    assert_eq!(
        unmatched.iter().map(|r| r.url()).collect::<Vec<_>>(),
        ["/example/nothing-here"]
    );
}

#[tokio::test]
async fn the_journal_names_the_stub_that_answered() {
    let (_server, server) = server().await;
    let stub = server
        .stub(get("/users").service("example"))
        .respond(status(204).header("X-Stubbed", "yes"))
        .await
        .unwrap();
    call(&server, "/example/users").await;
    let events = server.requests().await.unwrap();
    assert_eq!(events[0].stub_id().as_deref(), Some(stub.id()));
    assert!(events[0].was_matched());
    assert_eq!(events[0].status(), 204);
    assert_eq!(events[0].response_header("x-stubbed"), Some("yes"));
}

#[tokio::test]
async fn resets_clear_what_they_name_and_keep_the_rest() {
    let (_server, server) = server().await;
    let kept = server.stub(get("/a")).respond(status(201)).await.unwrap();
    let removed = server.stub(get("/b")).respond(status(202)).await.unwrap();
    server.remove_stub(&removed).await.unwrap();
    assert_eq!(call(&server, "/a").await.status, 201);
    assert_ne!(call(&server, "/b").await.status, 202);
    assert_eq!(server.stubs().await.unwrap(), vec![kept.clone()]);

    // Only the journal.
    server.reset_requests().await.unwrap();
    assert_eq!(server.count(any(any_url())).await.unwrap(), 0);
    assert_eq!(call(&server, "/a").await.status, 201);

    // Scenarios back to Started.
    server
        .stub(post("/cart"))
        .in_scenario("cart")
        .will_set_state("full")
        .respond(status(201))
        .await
        .unwrap();
    server
        .stub(get("/cart"))
        .in_scenario("cart")
        .when_state("full")
        .respond(json(["book"]))
        .await
        .unwrap();
    let http = testkit::Admin::at(server.base_url().to_owned());
    assert_ne!(call(&server, "/cart").await.status, 200);
    http.mock(Method::POST, "/cart", &[], "").await;
    assert_eq!(call(&server, "/cart").await.json(), json!(["book"]));
    server.reset_scenarios().await.unwrap();
    assert_ne!(call(&server, "/cart").await.status, 200);

    // Stubs back to the files (none here), and everything.
    server.reset_mappings().await.unwrap();
    assert!(server.stubs().await.unwrap().is_empty());
    server.stub(get("/c")).respond(ok()).await.unwrap();
    server.remove_stubs().await.unwrap();
    assert!(server.stubs().await.unwrap().is_empty());

    server.stub(get("/d")).respond(ok()).await.unwrap();
    server
        .next_request("example", GET, "/users")
        .status(500)
        .arm()
        .await
        .unwrap();
    server.reset().await.unwrap();
    assert!(server.stubs().await.unwrap().is_empty());
    assert_eq!(
        call(&server, "/example/users").await.status,
        200,
        "disarmed"
    );
    assert_eq!(server.count(any(any_url())).await.unwrap(), 1);
}

#[tokio::test]
async fn services_and_health_describe_the_server() {
    let (_server, server) = server().await;
    let services = server.services().await.unwrap();
    let example = services.get("example").expect("example is loaded");
    assert_eq!(example.kind, "plugin");
    assert!(
        example.routes.iter().any(|r| r == "GET /users/{id}"),
        "{example:?}"
    );
    assert!(services.get("other_service").is_some());
    assert!(services.refused.is_empty());

    server
        .stub(get("/charge").service("billing"))
        .respond(ok())
        .await
        .unwrap();
    let billing = server.services().await.unwrap();
    let billing = billing.get("billing").expect("a stub-only service");
    assert_eq!((billing.kind.as_str(), billing.stubs), ("stubs", Some(1)));

    let health = server.health().await.unwrap();
    assert_eq!(health.status, "ok");
    assert_eq!(health.stubs, 1);
}

#[tokio::test]
async fn with_an_admin_token_the_client_sends_it_and_without_it_the_server_says_401() {
    let srv = testkit::serve_examples(|c| c.admin_token = Some("s3cret".to_owned())).await;
    let with = Client::builder(srv.url())
        .admin_token("s3cret")
        .build()
        .unwrap();
    with.stub(get("/users/1").service("example"))
        .respond(status(418))
        .await
        .unwrap();
    with.next_request("example", GET, "/users")
        .status(409)
        .arm()
        .await
        .unwrap();
    assert_eq!(call(&with, "/example/users").await.status, 409);
    assert_eq!(call(&with, "/example/users/1").await.status, 418);
    with.verify(get("/users/1").service("example"), 1)
        .await
        .unwrap();

    let without = Client::new(srv.url());
    let err = without.stubs().await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    let err = without
        .next_request("example", GET, "/users")
        .status(500)
        .arm()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    assert_eq!(without.health().await.unwrap().status, "ok");
}

#[tokio::test]
async fn a_server_that_is_not_there_is_a_transport_error_naming_the_call() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Client::builder(format!("http://127.0.0.1:{port}"))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let err = server.reset().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(err.to_string().contains("/__admin/reset"), "{err}");
}

#[tokio::test]
async fn a_mapping_given_as_json_is_stored_as_is() {
    let (_server, server) = server().await;
    let stub = server
        .stub_json(json!({
            "request": {"method": "GET", "urlPath": "/raw"},
            "response": {"status": 207, "body": "raw"}
        }))
        .await
        .unwrap();
    assert_eq!(stub.to_json()["response"]["status"], 207);
    let r = call(&server, "/raw").await;
    assert_eq!((r.status.as_u16(), r.text().as_str()), (207, "raw"));
}
