//! Routing by host, subdomain or prefix; unknown routes, services and methods; too large bodies.

use super::{sink_server, sink_server_with};
use bytes::Bytes;
use http::{Method, StatusCode};
use testkit::Http;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_routing_and_prefix_routing_reach_the_same_routes() {
    let server = sink_server().await;
    let http = Http::new();
    let by_host = http
        .get_host(&format!("{}/path/1", server.url()), "sink")
        .await;
    assert_eq!(by_host.text(), "id=1");
    let by_subdomain = http
        .get_host(&format!("{}/path/2", server.url()), "sink.localhost:8080")
        .await;
    assert_eq!(by_subdomain.text(), "id=2");
    let by_prefix = http
        .get_host(&format!("{}/sink/path/3", server.url()), "fake-services")
        .await;
    assert_eq!(by_prefix.text(), "id=3");

    let no_route = http.get(&format!("{}/sink/nope", server.url())).await;
    assert_eq!(no_route.status, StatusCode::NOT_FOUND);
    let body = no_route.json();
    assert!(
        body["routes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "GET /path/{id}"),
        "{body}"
    );

    let no_service = http
        .get_host(&format!("{}/ghost/x", server.url()), "fake-services")
        .await;
    assert_eq!(no_service.status, StatusCode::NOT_FOUND);
    let body = no_service.json();
    assert_eq!(
        body["known_services"],
        serde_json::json!(["sink"]),
        "{body}"
    );
    assert_eq!(body["service"], "ghost");

    let wrong_method = http
        .send(
            Method::DELETE,
            &format!("{}/sink/str", server.url()),
            &[],
            Bytes::new(),
        )
        .await
        .unwrap();
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.header("allow"), Some("GET"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_answered_413() {
    let server = sink_server_with(|c| c.max_body_bytes = 1024).await;
    let http = Http::new();
    let url = format!("{}/sink/body", server.url());
    let ok = http
        .send(Method::PUT, &url, &[], vec![7u8; 1024])
        .await
        .unwrap();
    assert_eq!((ok.status, ok.body.len()), (StatusCode::OK, 1024));
    let big = http
        .send(Method::PUT, &url, &[], vec![7u8; 1025])
        .await
        .unwrap();
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", big.text());
}
