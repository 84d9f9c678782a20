//! A stub for a gRPC method a descriptor defines is checked when it is
//! created: an answer that cannot be the method's output message, or a
//! status that is none, is refused with 422 and the field's pointer.

use serde_json::{Value, json};
use testkit::{Http, serve, workspace_root};

async fn post(http: &Http, url: &str, stub: Value) -> (u16, Value) {
    let r = http
        .post_json(&format!("{url}/__admin/mappings"), &stub.to_string())
        .await;
    let body = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    (r.status.as_u16(), body)
}

fn pointer(answer: &Value) -> Option<&str> {
    answer
        .pointer("/errors/0/source/pointer")
        .and_then(Value::as_str)
}

fn get_order(response: Value) -> Value {
    json!({"request": {"method": "POST", "urlPath": "/shop.v1.Shop/GetOrder"}, "response": response})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpc_stub_whose_answer_cannot_be_the_output_message_is_refused_with_its_pointer() {
    let protos = workspace_root().join("server/tests/grpc/protos");
    let server = serve(&[], |c| c.proto_dir = Some(protos)).await;
    let (http, url) = (Http::new(), server.url());

    let (status, answer) = post(
        &http,
        &url,
        get_order(json!({"jsonBody": {"id": "o-1", "colour": "red"}})),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(pointer(&answer), Some("/response/jsonBody"), "{answer}");
    assert!(
        answer.to_string().contains("colour"),
        "names the field: {answer}"
    );

    let (status, answer) = post(&http, &url, get_order(json!({"jsonBody": [{"id": "a"}]}))).await;
    assert_eq!(status, 422, "a list for a unary method: {answer}");

    let stream = json!({"request": {"urlPath": "/shop.v1.Shop/ListOrders"},
        "response": {"jsonBody": [{"id": "a"}, {"id": "b", "totalCents": "not a number"}]}});
    let (status, answer) = post(&http, &url, stream).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(pointer(&answer), Some("/response/jsonBody/1"), "{answer}");

    let (status, answer) = post(
        &http,
        &url,
        get_order(json!({"headers": {"grpc-status-name": "NOPE"}})),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        pointer(&answer),
        Some("/response/headers/grpc-status-name"),
        "{answer}"
    );

    // What can only be known when it answers, and stubs for other paths,
    // are taken.
    let templated = get_order(
        json!({"jsonBody": {"id": "{{request.path}}"}, "transformers": ["response-template"]}),
    );
    assert_eq!(post(&http, &url, templated).await.0, 201);
    let good = get_order(json!({"jsonBody": {"id": "o-1", "state": "SHIPPED"}}));
    assert_eq!(post(&http, &url, good).await.0, 201);
    let http_stub =
        json!({"request": {"urlPath": "/orders"}, "response": {"jsonBody": {"colour": "red"}}});
    assert_eq!(post(&http, &url, http_stub).await.0, 201);
}
