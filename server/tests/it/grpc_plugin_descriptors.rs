//! A plugin publishes its gRPC descriptors (`service!(descriptors = …)`):
//! the server knows its services as it knows those of `--proto-dir`.
//! Reflection lists them, health reports them `SERVING`, the journal
//! records their calls' messages as JSON (the plugin still gets the frames
//! as sent), and a stub can answer one of their methods in the plugin's
//! place. The plugin is `plugins/greeter` (`helloworld.Greeter`); the
//! server has no proto dir, so what it knows of the service comes from the
//! plugin alone.
//!
//! The calls go over tonic's channel with `:authority` `greeter` (the
//! plugin's service), their messages built from `plugins/greeter/proto`
//! (the client's copy of the descriptors) with `grpc_tonic`'s helpers.

use crate::grpc_tonic::{PATIENCE, request, unary_with};
use fake_servicer_grpc::{Catalog, Method};
use futures_util::stream;
use serde_json::{Value, json};
use std::{path::PathBuf, sync::OnceLock};
use testkit::{Admin, TestServer, eventually, serve, workspace_root};
use tonic::{
    client::Grpc,
    transport::{Channel, Endpoint},
};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

/// The greeter's service, as its descriptors name it.
const GREETER: &str = "helloworld.Greeter";

/// The greeter plugin, built once per test binary.
fn greeter() -> &'static PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| testkit::build_example("greeter"))
}

/// A server with the greeter plugin (and no proto dir).
async fn serve_greeter() -> TestServer {
    serve(std::slice::from_ref(greeter()), |_| {}).await
}

/// A channel to `server` whose calls name the `greeter` service.
async fn greeter_channel(server: &TestServer) -> Channel {
    Endpoint::from_shared(server.url())
        .expect("the server's URL")
        .origin("http://greeter".parse().expect("an origin"))
        .connect()
        .await
        .expect("an h2c channel to the server")
}

/// The greeter's method `path`, from the client's copy of its `.proto`.
fn greeter_method(path: &str) -> Method {
    let dir = workspace_root().join("plugins/greeter/proto");
    let (catalog, problems) = Catalog::load_dir(&dir, 1 << 20);
    assert!(problems.is_empty(), "{problems:?}");
    catalog
        .method(path)
        .unwrap_or_else(|| panic!("the greeter's .proto defines no {path}"))
}

/// `SayHello` for `name`: the answer as proto3 JSON.
async fn say_hello(channel: Channel, name: &str) -> Value {
    let hello = greeter_method("/helloworld.Greeter/SayHello");
    unary_with(
        Grpc::new(channel),
        &hello,
        request(&hello, json!({ "name": name })),
    )
    .await
    .unwrap_or_else(|status| panic!("SayHello failed: {status:?}"))
}

/// The services server reflection (v1) lists.
async fn listed_services(channel: Channel) -> Vec<String> {
    let mut reflection = ServerReflectionClient::new(channel);
    let ask = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let answer = reflection
        .server_reflection_info(stream::iter([ask]))
        .await
        .expect("a reflection stream")
        .into_inner()
        .message()
        .await
        .expect("a reflection answer")
        .expect("one answer per request");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a list of services: {answer:?}");
    };
    list.service.into_iter().map(|s| s.name).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_lists_a_plugins_grpc_services() {
    let server = serve_greeter().await;
    let names = listed_services(greeter_channel(&server).await).await;
    assert!(
        names.iter().any(|n| n == GREETER),
        "{GREETER} is not in {names:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_records_a_plugin_call_with_its_message_as_json() {
    let server = serve_greeter().await;
    let answer = say_hello(greeter_channel(&server).await, "Ada").await;
    // The plugin answered: it got the message as sent, not its JSON.
    assert_eq!(answer, json!({"message": "hello, Ada"}));
    let admin = Admin::new(&server);
    let body = eventually(PATIENCE, "the call in the journal", || async {
        let journal = admin.get("/__admin/requests").await.json();
        let entries = journal["requests"].as_array().cloned().unwrap_or_default();
        entries
            .iter()
            .map(|e| &e["request"])
            .find(|r| r["url"] == "/helloworld.Greeter/SayHello")
            .map(|r| r["body"].clone())
            .ok_or_else(|| journal.to_string())
    })
    .await;
    let text = body.as_str().expect("the body as text");
    let message: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("the journal's body is not JSON ({e}): {text:?}"));
    assert_eq!(message, json!({"name": "Ada"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_answers_a_plugins_grpc_method_in_its_place() {
    let server = serve_greeter().await;
    Admin::new(&server)
        .stub(json!({
            "request": {"method": "POST", "urlPath": "/helloworld.Greeter/SayHello",
                        "bodyPatterns": [{"equalToJson": {"name": "Ada"}}]},
            "response": {"status": 200, "jsonBody": {"message": "stubbed, Ada"}}
        }))
        .await;
    let channel = greeter_channel(&server).await;
    assert_eq!(
        say_hello(channel.clone(), "Ada").await,
        json!({"message": "stubbed, Ada"})
    );
    // A call the stub does not match is the plugin's.
    assert_eq!(
        say_hello(channel, "Bob").await,
        json!({"message": "hello, Bob"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_a_loaded_plugins_service_as_serving() {
    let server = serve_greeter().await;
    let mut health = HealthClient::new(greeter_channel(&server).await);
    // The statuses are set just after the descriptors merge.
    eventually(PATIENCE, "the greeter SERVING", || {
        let mut health = health.clone();
        async move {
            let asked = HealthCheckRequest {
                service: GREETER.to_owned(),
            };
            match health.check(asked).await {
                Ok(answer) if answer.get_ref().status() == ServingStatus::Serving => Ok(()),
                other => Err(format!("{other:?}")),
            }
        }
    })
    .await;
    let unknown = health
        .check(HealthCheckRequest {
            service: "helloworld.Nobody".to_owned(),
        })
        .await
        .expect_err("no such service");
    assert_eq!(unknown.code(), tonic::Code::NotFound, "{unknown:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unloading_a_plugin_removes_its_services_from_reflection() {
    let server = serve_greeter().await;
    let channel = greeter_channel(&server).await;
    let names = listed_services(channel.clone()).await;
    assert!(
        names.iter().any(|n| n == GREETER),
        "{GREETER} is not in {names:?}"
    );
    let file = greeter().file_name().expect("a library file name");
    std::fs::remove_file(server.plugin_dir().join(file)).expect("remove the greeter");
    eventually(PATIENCE, "the greeter gone from reflection", || {
        let channel = channel.clone();
        async move {
            let names = listed_services(channel).await;
            match names.iter().any(|n| n == GREETER) {
                true => Err(format!("{names:?}")),
                false => Ok(()),
            }
        }
    })
    .await;
}
