//! Next-request overrides steer gRPC calls: armed by an ordinary HTTP
//! request to the method's path on the service (here `shop`, named by the
//! `Host`/`:authority`), the next call answers the override's status and
//! message.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use serde_json::json;
use testkit::{Http, serve, workspace_root};

/// A unary call over h2c: the answer's HTTP status and its `grpc-status`
/// and `grpc-message` (headers or trailers).
async fn call(url: &str, path: &str, message: Bytes) -> (u16, Option<String>, Option<String>) {
    let client = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let request = http::Request::post(format!("{url}{path}"))
        .header("host", "shop")
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(Full::new(fake_servicer_grpc::encode_message(&message)))
        .expect("a request");
    let response = client.request(request).await.expect("the call is answered");
    let status = response.status().as_u16();
    let mut headers = response.headers().clone();
    let collected = response.into_body().collect().await.expect("its body");
    if let Some(trailers) = collected.trailers() {
        headers.extend(trailers.clone());
    }
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    (status, text("grpc-status"), text("grpc-message"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_armed_over_http_answers_the_next_grpc_call_with_its_status() {
    let protos = workspace_root().join("server/tests/grpc/protos");
    let catalog = fake_servicer_grpc::Catalog::load_dir(&protos, 1 << 20).0;
    let method = catalog.method("/shop.v1.Shop/GetOrder").expect("GetOrder");
    let server = serve(&[], |c| c.proto_dir = Some(protos)).await;
    let (http, url) = (Http::new(), server.url());
    let stub = json!({"request": {"method": "POST", "urlPath": "/shop.v1.Shop/GetOrder", "service": "shop"},
        "response": {"jsonBody": {"id": "o-1"}}});
    let created = http
        .post_json(&format!("{url}/__admin/mappings"), &stub.to_string())
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let request = method
        .request_from_json(&json!({"id": "o-1"}))
        .expect("a request message");

    let armed = http
        .send(
            http::Method::POST,
            &format!("{url}/shop.v1.Shop/GetOrder"),
            &[
                ("host", "shop"),
                ("x-fake-servicer-next-request-status", "200"),
                (
                    "x-fake-servicer-next-request-headers",
                    r#"{"grpc-status-name": "UNAVAILABLE", "grpc-status-reason": "down for maintenance"}"#,
                ),
            ],
            Bytes::new(),
        )
        .await
        .expect("arming is answered");
    assert_eq!(armed.status, 202, "{}", armed.text());

    let steered = call(&url, "/shop.v1.Shop/GetOrder", request.clone()).await;
    assert_eq!(
        steered,
        (
            200,
            Some("14".to_owned()),
            Some("down for maintenance".to_owned())
        )
    );
    // One-shot: the stub answers the call after it.
    let (_, status, _) = call(&url, "/shop.v1.Shop/GetOrder", request).await;
    assert_eq!(status.as_deref(), Some("0"));
}
