//! A Rust gRPC client (tonic) calls stub-only gRPC services: the server's
//! proto dir is a fresh copy of `tests/grpc/protos/` (the shop service as
//! `.proto` source, with an import) plus `tests/grpc/descriptors/
//! helloworld.dsc` (the greeter as a descriptor set only).
//!
//! No generated code: the client's messages are `prost_reflect`'s
//! `DynamicMessage`s of the descriptors `Catalog::load_dir` reads from the
//! same dir, sent through a small codec ([`Dynamic`]); they are written
//! and read as proto3 JSON with the catalog's `Method`. Health and
//! reflection use the clients tonic-health and tonic-reflection generate.
//!
//! The calls go over tonic's `Channel` (HTTP/2 with prior knowledge), but
//! for the deadline's: the channel enforces `grpc-timeout` itself (a
//! `CANCELLED` "Timeout expired" at the deadline), which would hide what
//! the server answers, so that call goes over a plain HTTP/2 client.

use fake_servicer_grpc::{Catalog, Method};
use futures_util::stream;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use prost::Message as _;
use prost_reflect::{DynamicMessage, MessageDescriptor};
use serde_json::{Value, json};
use std::{
    path::Path,
    str::FromStr,
    time::{Duration, Instant},
};
use testkit::{Admin, TestServer, eventually, serve, workspace_root};
use tonic::{
    Code, Request, Status,
    body::Body,
    client::{Grpc, GrpcService},
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    codegen::{Bytes, StdError, http::uri::PathAndQuery},
    transport::{Channel, Endpoint},
};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

/// How long a poll may wait for the server (a reload, the journal).
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// A codec of messages whose types are known at run time: requests of any
/// type, answers of the type given.
struct Dynamic {
    output: MessageDescriptor,
}

impl Codec for Dynamic {
    type Encode = DynamicMessage;
    type Decode = DynamicMessage;
    type Encoder = DynamicEncoder;
    type Decoder = DynamicDecoder;

    fn encoder(&mut self) -> DynamicEncoder {
        DynamicEncoder
    }

    fn decoder(&mut self) -> DynamicDecoder {
        DynamicDecoder(self.output.clone())
    }
}

struct DynamicEncoder;

impl Encoder for DynamicEncoder {
    type Item = DynamicMessage;
    type Error = Status;

    fn encode(&mut self, item: DynamicMessage, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode(dst)
            .map_err(|e| Status::internal(format!("encoding the request: {e}")))
    }
}

struct DynamicDecoder(MessageDescriptor);

impl Decoder for DynamicDecoder {
    type Item = DynamicMessage;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<DynamicMessage>, Status> {
        DynamicMessage::decode(self.0.clone(), src)
            .map(Some)
            .map_err(|e| Status::internal(format!("decoding a {}: {e}", self.0.full_name())))
    }
}

/// Copies the files under `from` to `to`, keeping their relative paths.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a dir in the proto dir");
    for entry in std::fs::read_dir(from).expect("a fixture dir") {
        let entry = entry.expect("a fixture dir entry");
        let path = entry.path();
        if entry.file_type().expect("a file type").is_dir() {
            copy_tree(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy a fixture");
        }
    }
}

/// A server given a proto dir of its own, and a channel to it.
struct Fixture {
    server: TestServer,
    channel: Channel,
    // Goes after the server (fields drop in order).
    dir: tempfile::TempDir,
}

/// The shop's protos and the greeter's descriptor set, served.
async fn shop() -> Fixture {
    let fixtures = workspace_root().join("server/tests/grpc");
    let dir = tempfile::tempdir().expect("a proto dir");
    copy_tree(&fixtures.join("protos"), dir.path());
    std::fs::copy(
        fixtures.join("descriptors/helloworld.dsc"),
        dir.path().join("helloworld.dsc"),
    )
    .expect("copy the greeter's descriptor set");
    let protos = dir.path().to_owned();
    let server = serve(&[], |c| c.proto_dir = Some(protos)).await;
    let channel = Endpoint::from_shared(server.url())
        .expect("the server's URL")
        .connect()
        .await
        .expect("an h2c channel to the server");
    Fixture {
        server,
        channel,
        dir,
    }
}

impl Fixture {
    /// The descriptors of the proto dir as they are now, read as the
    /// server reads them.
    fn catalog(&self) -> Catalog {
        let (catalog, problems) = Catalog::load_dir(self.dir.path(), 1 << 20);
        assert!(problems.is_empty(), "{problems:?}");
        catalog
    }

    /// The method `path` names, which the descriptors must define.
    fn method(&self, path: &str) -> Method {
        self.catalog()
            .method(path)
            .unwrap_or_else(|| panic!("no descriptor defines {path}"))
    }

    /// Posts a stub, which must be accepted; returns it as stored.
    async fn stub(&self, mapping: Value) -> Value {
        Admin::new(&self.server).stub(mapping).await
    }
}

/// A request of `method`'s input type, from its proto3 JSON.
pub(crate) fn request(method: &Method, message: Value) -> Request<DynamicMessage> {
    let bytes = method
        .request_from_json(&message)
        .unwrap_or_else(|e| panic!("{message} as a {}: {e}", method.input_name()));
    let message = DynamicMessage::decode(method.input_descriptor().clone(), bytes)
        .expect("the request message decodes");
    Request::new(message)
}

/// An answer of `method` as proto3 JSON.
fn answer_json(method: &Method, message: &DynamicMessage) -> Value {
    let text = method
        .response_to_json(&message.encode_to_vec())
        .unwrap_or_else(|e| panic!("an answer of {}: {e}", method.path()));
    serde_json::from_str(&text).expect("JSON")
}

fn path_of(method: &Method) -> PathAndQuery {
    PathAndQuery::from_str(&method.path()).expect("a method path")
}

/// A unary call of `method` over `channel`: its answer as proto3 JSON, or
/// its status.
async fn unary(
    channel: Channel,
    method: &Method,
    request: Request<DynamicMessage>,
) -> Result<Value, Status> {
    unary_with(Grpc::new(channel), method, request).await
}

/// [`unary`] with any gRPC client.
pub(crate) async fn unary_with<T>(
    mut grpc: Grpc<T>,
    method: &Method,
    request: Request<DynamicMessage>,
) -> Result<Value, Status>
where
    T: GrpcService<Body>,
    T::ResponseBody: http_body::Body<Data = Bytes> + Send + 'static,
    <T::ResponseBody as http_body::Body>::Error: Into<StdError> + Send,
{
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(Into::<StdError>::into(e).to_string()))?;
    let codec = Dynamic {
        output: method.output_descriptor().clone(),
    };
    let answer = grpc.unary(request, path_of(method), codec).await?;
    Ok(answer_json(method, answer.get_ref()))
}

/// A server-streaming call of `method`: each answer as proto3 JSON, or the
/// status it ended with.
async fn server_streaming(
    channel: Channel,
    method: &Method,
    request: Request<DynamicMessage>,
) -> Result<Vec<Value>, Status> {
    let mut grpc = Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let codec = Dynamic {
        output: method.output_descriptor().clone(),
    };
    let mut answers = grpc
        .server_streaming(request, path_of(method), codec)
        .await?
        .into_inner();
    let mut messages = Vec::new();
    while let Some(message) = answers.message().await? {
        messages.push(answer_json(method, &message));
    }
    Ok(messages)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unary_call_is_answered_by_the_stub_matching_its_message() {
    let f = shop().await;
    for (id, answer) in [
        (
            "o-1",
            json!({"id": "o-1", "state": "SHIPPED", "totalCents": "1999"}),
        ),
        (
            "o-2",
            json!({"id": "o-2", "state": "CANCELLED", "notes": ["late"]}),
        ),
    ] {
        f.stub(json!({
            "request": {"method": "POST", "urlPath": "/shop.v1.Shop/GetOrder",
                        "bodyPatterns": [{"equalToJson": {"id": id}}]},
            "response": {"status": 200, "jsonBody": answer}
        }))
        .await;
    }
    let get = f.method("/shop.v1.Shop/GetOrder");
    let answer = unary(f.channel.clone(), &get, request(&get, json!({"id": "o-2"})))
        .await
        .expect("an answer");
    assert_eq!(
        answer,
        json!({"id": "o-2", "state": "CANCELLED", "notes": ["late"]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_streaming_call_gets_one_message_per_item_of_the_stubs_list() {
    let f = shop().await;
    let orders = json!([{"id": "o-1"}, {"id": "o-2", "state": "PENDING"}, {"id": "o-3"}]);
    f.stub(json!({
        "request": {"method": "POST", "urlPath": "/shop.v1.Shop/ListOrders",
                    "bodyPatterns": [{"equalToJson": {"customerId": "c-1"}}]},
        "response": {"status": 200, "jsonBody": orders}
    }))
    .await;
    let list = f.method("/shop.v1.Shop/ListOrders");
    let answers = server_streaming(
        f.channel.clone(),
        &list,
        request(&list, json!({"customer_id": "c-1"})),
    )
    .await
    .expect("a stream of orders");
    assert_eq!(Value::Array(answers), orders);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_status_name_and_reason_become_the_calls_status() {
    let f = shop().await;
    f.stub(json!({
        "request": {"method": "POST", "urlPath": "/shop.v1.Shop/GetOrder"},
        "response": {"status": 200, "headers": {
            "grpc-status-name": "FAILED_PRECONDITION",
            "grpc-status-reason": "the shop is closed: 100% booked"
        }}
    }))
    .await;
    let get = f.method("/shop.v1.Shop/GetOrder");
    let status = unary(f.channel.clone(), &get, request(&get, json!({"id": "o-1"})))
        .await
        .expect_err("the stub's status");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(status.message(), "the shop is closed: 100% booked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_no_stub_answers_fails_not_found_naming_the_closest_stub() {
    let f = shop().await;
    let stored = f
        .stub(json!({
            "request": {"method": "POST", "urlPath": "/shop.v1.Shop/GetOrder",
                        "bodyPatterns": [{"equalToJson": {"id": "o-1"}}]},
            "response": {"status": 200, "jsonBody": {"id": "o-1"}}
        }))
        .await;
    let id = stored["id"].as_str().expect("the stub's id");
    let get = f.method("/shop.v1.Shop/GetOrder");
    let status = unary(f.channel.clone(), &get, request(&get, json!({"id": "o-2"})))
        .await
        .expect_err("no stub answers o-2");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert!(
        status.message().contains(id),
        "the message names the closest stub, {id}: {:?}",
        status.message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_no_descriptor_defines_fails_unimplemented() {
    let f = shop().await;
    // Its request is a GetOrderRequest, to a method the shop does not
    // have.
    let get = f.method("/shop.v1.Shop/GetOrder");
    let mut grpc = Grpc::new(f.channel.clone());
    grpc.ready().await.expect("a ready channel");
    let codec = Dynamic {
        output: get.output_descriptor().clone(),
    };
    let status = grpc
        .unary(
            request(&get, json!({"id": "o-1"})),
            PathAndQuery::from_static("/shop.v1.Shop/CancelOrder"),
            codec,
        )
        .await
        .expect_err("an undefined method");
    assert_eq!(status.code(), Code::Unimplemented, "{status:?}");
    // The server's own status, not one a client makes of an HTTP 404.
    assert!(
        status.message().contains("/shop.v1.Shop/CancelOrder"),
        "{:?}",
        status.message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_delayed_past_the_calls_deadline_answers_deadline_exceeded() {
    let f = shop().await;
    f.stub(json!({
        "request": {"method": "POST", "urlPath": "/shop.v1.Shop/GetOrder"},
        "response": {"status": 200, "jsonBody": {"id": "o-1"}, "fixedDelayMilliseconds": 10_000}
    }))
    .await;
    let get = f.method("/shop.v1.Shop/GetOrder");
    let deadline = Duration::from_millis(300);
    let mut call = request(&get, json!({"id": "o-1"}));
    call.set_timeout(deadline);
    // Not tonic's channel, which would give up by itself at the deadline.
    let h2 = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http::<Body>();
    let origin = f.server.url().parse().expect("the server's URI");
    let started = Instant::now();
    let answer = tokio::time::timeout(
        Duration::from_secs(5),
        unary_with(Grpc::with_origin(h2, origin), &get, call),
    )
    .await;
    let elapsed = started.elapsed();
    let status = answer
        .unwrap_or_else(|_| panic!("no status 5 s after a deadline of {deadline:?}"))
        .expect_err("the deadline's status");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(
        elapsed >= deadline - Duration::from_millis(50),
        "answered before the deadline, after {elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_proto_is_served_without_a_restart() {
    let f = shop().await;
    f.stub(json!({
        "request": {"method": "POST", "urlPath": "/inventory.v1.Inventory/GetStock",
                    "bodyPatterns": [{"equalToJson": {"sku": "a-1"}}]},
        "response": {"status": 200, "jsonBody": {"sku": "a-1", "count": 3}}
    }))
    .await;
    let inventory = f.dir.path().join("inventory/v1");
    std::fs::create_dir_all(&inventory).expect("a new package dir");
    std::fs::write(
        inventory.join("inventory.proto"),
        r#"syntax = "proto3";
           package inventory.v1;
           service Inventory { rpc GetStock(StockRequest) returns (Stock); }
           message StockRequest { string sku = 1; }
           message Stock { string sku = 1; int32 count = 2; }"#,
    )
    .expect("a new .proto");
    let stock = f.method("/inventory.v1.Inventory/GetStock");
    let answer = eventually(PATIENCE, "the new service answered by its stub", || async {
        match unary(
            f.channel.clone(),
            &stock,
            request(&stock, json!({"sku": "a-1"})),
        )
        .await
        {
            Ok(answer) => Ok(answer),
            Err(status) if status.code() == Code::Unimplemented => Err(format!("{status:?}")),
            Err(status) => panic!("not UNIMPLEMENTED, yet not answered: {status:?}"),
        }
    })
    .await;
    assert_eq!(answer, json!({"sku": "a-1", "count": 3}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_from_a_descriptor_set_is_answered() {
    let f = shop().await;
    f.stub(json!({
        "request": {"method": "POST", "urlPath": "/helloworld.Greeter/SayHello",
                    "bodyPatterns": [{"equalToJson": {"name": "Ada"}}]},
        "response": {"status": 200, "jsonBody": {"message": "Hello, Ada"}}
    }))
    .await;
    let hello = f.method("/helloworld.Greeter/SayHello");
    let answer = unary(
        f.channel.clone(),
        &hello,
        request(&hello, json!({"name": "Ada"})),
    )
    .await
    .expect("a greeting");
    assert_eq!(answer, json!({"message": "Hello, Ada"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_watch_streams_serving_for_a_known_service() {
    let f = shop().await;
    let mut health = HealthClient::new(f.channel.clone());
    let mut watch = health
        .watch(HealthCheckRequest {
            service: "shop.v1.Shop".to_owned(),
        })
        .await
        .expect("a watch")
        .into_inner();
    // Statuses are set just after the descriptors load: the first one
    // sent may come before SERVING, never anything after it.
    let serving = tokio::time::timeout(Duration::from_secs(5), async {
        let mut seen = Vec::new();
        while let Some(status) = watch.message().await.expect("a health status") {
            seen.push(status.status());
            if status.status() == ServingStatus::Serving {
                return Ok(());
            }
        }
        Err(seen)
    })
    .await
    .expect("SERVING within 5 s");
    assert_eq!(serving, Ok(()), "the watch ended without SERVING");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_v1_lists_the_services_of_the_descriptors() {
    let f = shop().await;
    let mut reflection = ServerReflectionClient::new(f.channel.clone());
    let ask = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(stream::iter([ask]))
        .await
        .expect("a reflection stream")
        .into_inner();
    let answer = answers
        .message()
        .await
        .expect("a reflection answer")
        .expect("one answer per request");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a list of services: {answer:?}");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    for service in ["shop.v1.Shop", "helloworld.Greeter"] {
        assert!(names.contains(&service), "{service} is not in {names:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_records_a_call_with_its_message_as_json() {
    let f = shop().await;
    f.stub(json!({
        "request": {"method": "POST", "urlPath": "/shop.v1.Shop/GetOrder"},
        "response": {"status": 200, "jsonBody": {"id": "o-5"}}
    }))
    .await;
    let get = f.method("/shop.v1.Shop/GetOrder");
    unary(f.channel.clone(), &get, request(&get, json!({"id": "o-5"})))
        .await
        .expect("an answer");
    let admin = Admin::new(&f.server);
    let body = eventually(PATIENCE, "the call in the journal", || async {
        let journal = admin.get("/__admin/requests").await.json();
        let entries = journal["requests"].as_array().cloned().unwrap_or_default();
        entries
            .iter()
            .map(|e| &e["request"])
            .find(|r| r["url"] == "/shop.v1.Shop/GetOrder")
            .map(|r| r["body"].clone())
            .ok_or_else(|| journal.to_string())
    })
    .await;
    let text = body.as_str().expect("the body as text");
    let message: Value = serde_json::from_str(text).expect("the body is JSON");
    assert_eq!(message, json!({"id": "o-5"}));
}
