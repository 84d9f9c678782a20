use std::collections::HashMap;
use std::fs;
use std::path::Path;

use prost::Message;
use prost_reflect::{DynamicMessage, MapKey, Value};
use serde_json::json;
use tempfile::TempDir;

use super::*;

const MAX: u64 = 1 << 20;

const ORDERS: &str = r#"
syntax = "proto3";
package shop.v1;

import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

service Orders {
  rpc PlaceOrder(Order) returns (Order);
  rpc GetOrder(GetOrderRequest) returns (Order);
  rpc WatchOrders(stream GetOrderRequest) returns (stream Order);
}

enum Status {
  STATUS_UNSPECIFIED = 0;
  STATUS_OPEN = 1;
  STATUS_SHIPPED = 2;
}

message GetOrderRequest {
  string order_id = 1;
}

message Order {
  message Line {
    string sku = 1;
    uint32 quantity = 2;
    google.protobuf.Timestamp shipped_at = 3;
  }
  string id = 1;
  Status status = 2;
  repeated Line lines = 3;
  oneof payment {
    string card_token = 4;
    bool on_account = 5;
  }
  map<string, int64> totals_by_currency = 6;
  google.protobuf.Timestamp created_at = 7;
  google.protobuf.Struct metadata = 8;
  int64 version = 9;
  bytes signature = 10;
  repeated string tags = 11;
  map<int32, string> notes_by_line = 12;
  google.protobuf.Duration handling = 13;
  google.protobuf.Int32Value priority = 14;
  google.protobuf.Any extra = 15;
}
"#;

const MONEY: &str = r#"
syntax = "proto3";
package common;
message Money {
  string currency_code = 1;
  int64 units = 2;
}
"#;

const BILLING: &str = r#"
syntax = "proto3";
package billing;
import "common/money.proto";
import "google/protobuf/timestamp.proto";
service Billing {
  rpc Charge(ChargeRequest) returns (common.Money);
}
message ChargeRequest {
  common.Money amount = 1;
  google.protobuf.Timestamp at = 2;
}
"#;

/// A directory holding `files` (relative path, content).
fn dir_with(files: &[(&str, &[u8])]) -> TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, content) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create the parent directory");
        }
        fs::write(path, content).expect("write the file");
    }
    dir
}

/// The orders catalog, loaded from its .proto.
fn orders() -> Catalog {
    let dir = dir_with(&[("shop/v1/orders.proto", ORDERS.as_bytes())]);
    let (catalog, problems) = Catalog::load_dir(dir.path(), MAX);
    assert_eq!(problems, []);
    catalog
}

fn method(catalog: &Catalog, path: &str) -> Method {
    catalog.method(path).expect("a declared method")
}

/// The files `names` of `dir` (and their imports, if `imports`) compiled with protox,
/// as a serialized FileDescriptorSet.
fn descriptor_set(dir: &Path, names: &[&str], imports: bool) -> Vec<u8> {
    protox::Compiler::new([dir])
        .expect("a compiler")
        .include_imports(imports)
        .open_files(names)
        .expect("compiles")
        .file_descriptor_set()
        .encode_to_vec()
}

fn message(catalog: &Catalog, name: &str) -> DynamicMessage {
    let desc = catalog
        .descriptor_pool()
        .get_message_by_name(name)
        .expect("a message type");
    DynamicMessage::new(desc)
}

fn timestamp(catalog: &Catalog, seconds: i64, nanos: i32) -> Value {
    let mut at = message(catalog, "google.protobuf.Timestamp");
    at.transcode_from(&prost_types::Timestamp { seconds, nanos })
        .expect("a timestamp");
    Value::Message(at)
}

#[test]
fn request_to_json_writes_canonical_proto3_json() {
    let catalog = orders();
    let mut line_a = message(&catalog, "shop.v1.Order.Line");
    line_a.set_field_by_name("sku", Value::String("A-1".into()));
    line_a.set_field_by_name("quantity", Value::U32(2));
    line_a.set_field_by_name("shipped_at", timestamp(&catalog, 1_714_564_800, 0));
    let mut line_b = message(&catalog, "shop.v1.Order.Line");
    line_b.set_field_by_name("sku", Value::String("B-2".into()));
    line_b.set_field_by_name("quantity", Value::U32(0));
    let mut metadata = message(&catalog, "google.protobuf.Struct");
    let metadata_json = json!({"gift": true, "channel": "web", "tags": ["a", "b"]});
    let Some(prost_types::value::Kind::StructValue(struct_value)) =
        json_to_prost(metadata_json).kind
    else {
        panic!("an object is a Struct");
    };
    metadata.transcode_from(&struct_value).expect("a struct");

    let mut order = message(&catalog, "shop.v1.Order");
    order.set_field_by_name("id", Value::String("o-1".into()));
    order.set_field_by_name("status", Value::EnumNumber(2));
    order.set_field_by_name(
        "lines",
        Value::List(vec![Value::Message(line_a), Value::Message(line_b)]),
    );
    order.set_field_by_name("card_token", Value::String("tok".into()));
    order.set_field_by_name(
        "totals_by_currency",
        Value::Map(HashMap::from([
            (MapKey::String("USD".into()), Value::I64(1200)),
            (MapKey::String("EUR".into()), Value::I64(250)),
        ])),
    );
    order.set_field_by_name(
        "created_at",
        timestamp(&catalog, 1_714_559_400, 250_000_000),
    );
    order.set_field_by_name("metadata", Value::Message(metadata));
    order.set_field_by_name("version", Value::I64(9_007_199_254_740_993));
    order.set_field_by_name("signature", Value::Bytes(vec![1, 2, 0xFF].into()));
    order.set_field_by_name("tags", Value::List(vec![]));
    order.set_field_by_name(
        "notes_by_line",
        Value::Map(HashMap::from([
            (MapKey::I32(10), Value::String("x".into())),
            (MapKey::I32(9), Value::String("y".into())),
            (MapKey::I32(100), Value::String("z".into())),
        ])),
    );

    let json = method(&catalog, "/shop.v1.Orders/PlaceOrder")
        .request_to_json(&order.encode_to_vec())
        .expect("transcodes");
    assert_eq!(
        json,
        concat!(
            r#"{"id":"o-1","status":"STATUS_SHIPPED","#,
            r#""lines":[{"sku":"A-1","quantity":2,"shippedAt":"2024-05-01T12:00:00Z"},{"sku":"B-2"}],"#,
            r#""cardToken":"tok","totalsByCurrency":{"EUR":"250","USD":"1200"},"#,
            r#""createdAt":"2024-05-01T10:30:00.250Z","#,
            r#""metadata":{"channel":"web","gift":true,"tags":["a","b"]},"#,
            r#""version":"9007199254740993","signature":"AQL/","#,
            r#""notesByLine":{"9":"y","10":"x","100":"z"}}"#
        )
    );
}

fn json_to_prost(value: serde_json::Value) -> prost_types::Value {
    use prost_types::value::Kind as K;
    let kind = match value {
        serde_json::Value::Null => K::NullValue(0),
        serde_json::Value::Bool(b) => K::BoolValue(b),
        serde_json::Value::Number(n) => K::NumberValue(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => K::StringValue(s),
        serde_json::Value::Array(items) => K::ListValue(prost_types::ListValue {
            values: items.into_iter().map(json_to_prost).collect(),
        }),
        serde_json::Value::Object(fields) => K::StructValue(prost_types::Struct {
            fields: fields
                .into_iter()
                .map(|(k, v)| (k, json_to_prost(v)))
                .collect(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
}

#[test]
fn an_empty_message_is_an_empty_object() {
    let catalog = orders();
    let method = method(&catalog, "/shop.v1.Orders/GetOrder");
    assert_eq!(method.request_to_json(b"").expect("empty"), "{}");
}

#[test]
fn response_from_json_round_trips_through_response_to_json() {
    let catalog = orders();
    let method = method(&catalog, "/shop.v1.Orders/GetOrder");
    let canonical = concat!(
        r#"{"id":"o-2","status":"STATUS_OPEN","#,
        r#""lines":[{"sku":"A","quantity":1,"shippedAt":"2024-05-01T12:00:00.123456Z"},{}],"#,
        r#""onAccount":true,"totalsByCurrency":{"EUR":"-5","USD":"10"},"#,
        r#""createdAt":"2024-05-01T10:30:00Z","#,
        r#""metadata":{"a":{"b":[1.5,null,"c"]},"n":42.0},"#,
        r#""version":"-12","signature":"AQL/","tags":["x","y"],"#,
        r#""notesByLine":{"-1":"neg","2":"two"},"handling":"1.500s","priority":5}"#
    );
    let json: serde_json::Value = serde_json::from_str(canonical).expect("JSON");
    let bytes = method.response_from_json(&json).expect("a valid Order");
    assert_eq!(
        method.response_to_json(&bytes).expect("transcodes"),
        canonical
    );
}

#[test]
fn proto_field_names_are_read_as_well_as_camel_case_names() {
    let catalog = orders();
    let method = method(&catalog, "/shop.v1.Orders/GetOrder");
    let request = method
        .request_from_json(&json!({"order_id": "o-3"}))
        .expect("proto name");
    assert_eq!(
        method.request_to_json(&request).expect("json"),
        r#"{"orderId":"o-3"}"#
    );
    let reply =
        json!({"card_token": "t", "totals_by_currency": {"USD": 7}, "version": 3, "status": 2});
    let reply = method
        .response_from_json(&reply)
        .expect("proto names, numbers");
    assert_eq!(
        method.response_to_json(&reply).expect("json"),
        r#"{"status":"STATUS_SHIPPED","cardToken":"t","totalsByCurrency":{"USD":"7"},"version":"3"}"#
    );
}

#[test]
fn an_unknown_field_is_an_error_naming_its_path() {
    let catalog = orders();
    let method = method(&catalog, "/shop.v1.Orders/GetOrder");
    let error = method
        .response_from_json(&json!({"lines": [{"sku": "A"}, {"sku": "B", "colour": "red"}]}))
        .expect_err("colour is no field");
    assert_eq!(error.field(), Some("lines[1].colour"));
    assert_eq!(
        error.to_string(),
        "shop.v1.Order at lines[1].colour: unknown field"
    );

    let error = method
        .response_from_json(&json!({"nope": 1}))
        .expect_err("no field");
    assert_eq!(error.to_string(), "shop.v1.Order at nope: unknown field");
}

#[test]
fn a_value_of_the_wrong_type_is_an_error_naming_its_path() {
    let catalog = orders();
    let method = method(&catalog, "/shop.v1.Orders/GetOrder");
    let error = method
        .response_from_json(&json!({"lines": [{"sku": "A"}, {"shippedAt": 5}]}))
        .expect_err("a number is no timestamp");
    assert_eq!(error.message_type(), "shop.v1.Order");
    assert_eq!(error.field(), Some("lines[1].shippedAt"));
    assert!(error.reason().contains("timestamp"), "{error}");
    assert!(!error.to_string().contains('\n'));

    let error = method
        .response_from_json(&json!({"version": "twelve"}))
        .expect_err("no int64");
    assert_eq!(error.field(), Some("version"), "{error}");
    assert!(
        error
            .reason()
            .ends_with("expected an int64 (a number or a decimal string)"),
        "{error}"
    );
    let error = method
        .response_from_json(&json!({"status": "STATUS_LOST"}))
        .expect_err("no such enum");
    assert_eq!(error.field(), Some("status"), "{error}");
    let error = method
        .response_from_json(&json!(["not", "an", "object"]))
        .expect_err("no message");
    assert_eq!(error.field(), None, "{error}");
}

#[test]
fn bytes_that_are_not_the_message_are_an_error_naming_its_type() {
    let catalog = orders();
    let method = method(&catalog, "/shop.v1.Orders/GetOrder");
    let error = method
        .response_to_json(&[0x0A, 0xFF])
        .expect_err("truncated");
    assert!(error.to_string().starts_with("shop.v1.Order: "), "{error}");
}

#[test]
fn an_any_of_a_known_type_is_written_with_its_type_url() {
    let catalog = orders();
    let method = method(&catalog, "/shop.v1.Orders/GetOrder");
    let canonical = concat!(
        r#"{"extra":{"@type":"type.googleapis.com/shop.v1.Order","#,
        r#""notesByLine":{"1":"a","2":"b","3":"c","4":"d","5":"e","6":"f"}}}"#
    );
    let json: serde_json::Value = serde_json::from_str(canonical).expect("JSON");
    let bytes = method.response_from_json(&json).expect("a known Any");
    assert_eq!(
        method.response_to_json(&bytes).expect("transcodes"),
        canonical
    );

    let unknown = json!({"extra": {"@type": "type.googleapis.com/nowhere.Thing"}});
    let error = method
        .response_from_json(&unknown)
        .expect_err("unknown Any type");
    assert_eq!(error.field(), Some("extra"), "{error}");
}

#[test]
fn an_any_of_an_unknown_type_is_an_error_naming_the_type() {
    let catalog = orders();
    let method = method(&catalog, "/shop.v1.Orders/GetOrder");
    let mut any = message(&catalog, "google.protobuf.Any");
    let raw = prost_types::Any {
        type_url: "type.googleapis.com/nowhere.Thing".into(),
        value: vec![8, 1],
    };
    any.transcode_from(&raw).expect("an Any");
    let mut order = message(&catalog, "shop.v1.Order");
    order.set_field_by_name("extra", Value::Message(any));
    let error = method
        .response_to_json(&order.encode_to_vec())
        .expect_err("unknown type");
    assert_eq!(
        error.to_string(),
        "shop.v1.Order at extra: the Any's type 'nowhere.Thing' is in no loaded file"
    );
}

#[test]
fn methods_are_found_by_request_path_only() {
    let catalog = orders();
    let get = method(&catalog, "/shop.v1.Orders/GetOrder");
    assert_eq!(get.path(), "/shop.v1.Orders/GetOrder");
    assert_eq!(get.service_name(), "shop.v1.Orders");
    assert_eq!(get.name(), "GetOrder");
    assert_eq!(get.input_name(), "shop.v1.GetOrderRequest");
    assert_eq!(get.output_name(), "shop.v1.Order");
    assert!(!get.client_streaming() && !get.server_streaming());
    let watch = method(&catalog, "/shop.v1.Orders/WatchOrders");
    assert!(watch.client_streaming() && watch.server_streaming());
    for path in [
        "shop.v1.Orders/GetOrder",
        "/shop.v1.Orders/Nope",
        "/shop.v1.Nope/GetOrder",
        "/shop.v1.Orders/GetOrder/more",
        "/shop.v1.Orders/",
        "/",
        "",
    ] {
        assert!(catalog.method(path).is_none(), "{path}");
    }
    assert!(catalog.has_service("shop.v1.Orders"));
    assert!(!catalog.has_service("shop.v1.Order"));
    assert_eq!(catalog.services(), ["shop.v1.Orders"]);
    let paths: Vec<String> = catalog.methods().iter().map(Method::path).collect();
    assert_eq!(
        paths,
        [
            "/shop.v1.Orders/GetOrder",
            "/shop.v1.Orders/PlaceOrder",
            "/shop.v1.Orders/WatchOrders"
        ]
    );
}

#[test]
fn file_descriptor_set_holds_every_file_after_its_imports() {
    let catalog = orders();
    let set = catalog.file_descriptor_set();
    let names: Vec<&str> = set.file.iter().map(|file| file.name()).collect();
    let orders_at = names
        .iter()
        .position(|n| *n == "shop/v1/orders.proto")
        .expect("orders");
    for import in [
        "google/protobuf/timestamp.proto",
        "google/protobuf/struct.proto",
    ] {
        let at = names.iter().position(|n| *n == import).expect(import);
        assert!(at < orders_at, "{names:?}");
    }
    assert!(!catalog.is_empty());
    assert!(Catalog::empty().is_empty());
    assert_eq!(Catalog::empty().services(), Vec::<String>::new());
}

#[test]
fn a_missing_directory_is_an_empty_catalog_without_problems() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (catalog, problems) = Catalog::load_dir(&dir.path().join("nowhere"), MAX);
    assert!(catalog.is_empty());
    assert_eq!(problems, []);
}

#[test]
fn a_descriptor_set_file_loads_the_same_service_as_its_proto() {
    let sources = dir_with(&[("shop/v1/orders.proto", ORDERS.as_bytes())]);
    let set = descriptor_set(sources.path(), &["shop/v1/orders.proto"], true);
    let dir = dir_with(&[("orders.desc", &set)]);
    let (from_set, problems) = Catalog::load_dir(dir.path(), MAX);
    assert_eq!(problems, []);
    let from_proto = orders();
    assert_eq!(from_set.services(), from_proto.services());
    let request = json!({"orderId": "o-1"});
    let path = "/shop.v1.Orders/GetOrder";
    let bytes = method(&from_set, path)
        .request_from_json(&request)
        .expect("valid");
    assert_eq!(
        bytes,
        method(&from_proto, path)
            .request_from_json(&request)
            .expect("valid")
    );
    assert_eq!(
        method(&from_set, path)
            .request_to_json(&bytes)
            .expect("json"),
        r#"{"orderId":"o-1"}"#
    );
}

#[test]
fn every_descriptor_set_extension_is_read() {
    let sources = dir_with(&[("common/money.proto", MONEY.as_bytes())]);
    let set = descriptor_set(sources.path(), &["common/money.proto"], true);
    for name in ["a.dsc", "a.desc", "a.pb", "a.protoset"] {
        let dir = dir_with(&[(name, &set)]);
        let (catalog, problems) = Catalog::load_dir(dir.path(), MAX);
        assert_eq!(problems, [], "{name}");
        assert!(
            catalog
                .descriptor_pool()
                .get_message_by_name("common.Money")
                .is_some()
        );
    }
}

#[test]
fn a_bad_proto_is_a_problem_and_the_good_one_beside_it_loads() {
    let dir = dir_with(&[
        (
            "bad.proto",
            b"syntax = \"proto3\";\nmessage Broken {\n  string name = 1\n}\n",
        ),
        ("shop/v1/orders.proto", ORDERS.as_bytes()),
    ]);
    let (catalog, problems) = Catalog::load_dir(dir.path(), MAX);
    assert_eq!(catalog.services(), ["shop.v1.Orders"]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, dir.path().join("bad.proto"));
    assert!(
        problems[0].reason.starts_with("bad.proto:4:1: "),
        "{}",
        problems[0]
    );
    assert!(!problems[0].to_string().contains('\n'));
}

#[test]
fn a_file_that_is_not_a_descriptor_set_is_a_problem() {
    let dir = dir_with(&[
        ("data.pb", b"\xFF\xFF\xFF garbage"),
        ("common/money.proto", MONEY.as_bytes()),
    ]);
    let (catalog, problems) = Catalog::load_dir(dir.path(), MAX);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, dir.path().join("data.pb"));
    assert!(
        problems[0].reason.contains("FileDescriptorSet"),
        "{}",
        problems[0]
    );
    assert!(
        catalog
            .descriptor_pool()
            .get_message_by_name("common.Money")
            .is_some()
    );
}

#[test]
fn a_file_over_the_size_limit_is_a_problem() {
    let big = format!("{MONEY}\n// {}\n", "x".repeat(3000));
    let dir = dir_with(&[
        ("big.proto", big.as_bytes()),
        ("shop/v1/orders.proto", ORDERS.as_bytes()),
    ]);
    let (catalog, problems) = Catalog::load_dir(dir.path(), 2000);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, dir.path().join("big.proto"));
    assert!(
        problems[0]
            .reason
            .contains("larger than the limit of 2000 bytes"),
        "{}",
        problems[0]
    );
    assert_eq!(catalog.services(), ["shop.v1.Orders"]);
}

#[test]
fn an_import_between_two_files_of_the_directory_works() {
    let dir = dir_with(&[
        ("common/money.proto", MONEY.as_bytes()),
        ("billing.proto", BILLING.as_bytes()),
    ]);
    let (catalog, problems) = Catalog::load_dir(dir.path(), MAX);
    assert_eq!(problems, []);
    let charge = method(&catalog, "/billing.Billing/Charge");
    let request =
        json!({"amount": {"currencyCode": "EUR", "units": "12"}, "at": "2024-01-02T03:04:05Z"});
    let bytes = charge.request_from_json(&request).expect("valid");
    assert_eq!(
        charge.request_to_json(&bytes).expect("json"),
        r#"{"amount":{"currencyCode":"EUR","units":"12"},"at":"2024-01-02T03:04:05Z"}"#
    );
    assert_eq!(charge.output_name(), "common.Money");
}

#[test]
fn an_import_of_a_file_that_does_not_compile_is_a_problem_too() {
    let dir = dir_with(&[
        ("common/money.proto", b"message {"),
        ("billing.proto", BILLING.as_bytes()),
    ]);
    let (catalog, problems) = Catalog::load_dir(dir.path(), MAX);
    assert!(catalog.services().is_empty());
    let paths: Vec<&Path> = problems.iter().map(|p| p.path.as_path()).collect();
    assert_eq!(
        paths,
        [
            dir.path().join("billing.proto"),
            dir.path().join("common/money.proto")
        ]
    );
}

#[test]
fn a_descriptor_set_without_its_imports_loads_after_the_files_defining_them() {
    let sources = dir_with(&[
        ("common/money.proto", MONEY.as_bytes()),
        ("billing.proto", BILLING.as_bytes()),
    ]);
    // Neither common/money.proto nor google/protobuf/timestamp.proto is in the set,
    // and "a_billing.desc" comes before "common/money.proto".
    let set = descriptor_set(sources.path(), &["billing.proto"], false);
    let dir = dir_with(&[
        ("a_billing.desc", &set),
        ("common/money.proto", MONEY.as_bytes()),
    ]);
    let (catalog, problems) = Catalog::load_dir(dir.path(), MAX);
    assert_eq!(problems, []);
    assert!(catalog.has_service("billing.Billing"));

    let alone = dir_with(&[("a_billing.desc", &set)]);
    let (catalog, problems) = Catalog::load_dir(alone.path(), MAX);
    assert!(catalog.services().is_empty());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].reason.contains("'common/money.proto'"),
        "{}",
        problems[0]
    );
}

#[test]
fn the_same_file_as_proto_and_descriptor_set_does_not_conflict() {
    let sources = dir_with(&[("shop/v1/orders.proto", ORDERS.as_bytes())]);
    let set = descriptor_set(sources.path(), &["shop/v1/orders.proto"], true);
    let dir = dir_with(&[
        ("shop/v1/orders.proto", ORDERS.as_bytes()),
        ("shop/v1/orders.desc", &set),
    ]);
    let (catalog, problems) = Catalog::load_dir(dir.path(), MAX);
    assert_eq!(problems, []);
    assert_eq!(catalog.services(), ["shop.v1.Orders"]);
}

#[test]
fn a_file_name_loaded_earlier_with_other_definitions_is_a_conflict() {
    let other = dir_with(&[("shop/v1/orders.proto", MONEY.as_bytes())]);
    let set = descriptor_set(other.path(), &["shop/v1/orders.proto"], true);
    let dir = dir_with(&[
        ("a.desc", &set),
        ("shop/v1/orders.proto", ORDERS.as_bytes()),
    ]);
    let (catalog, problems) = Catalog::load_dir(dir.path(), MAX);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, dir.path().join("shop/v1/orders.proto"));
    assert!(
        problems[0].reason.contains("differently"),
        "{}",
        problems[0]
    );
    assert!(
        catalog
            .descriptor_pool()
            .get_message_by_name("common.Money")
            .is_some()
    );
    assert!(catalog.services().is_empty());
}

#[test]
fn a_symbol_defined_by_two_files_is_a_conflict_for_the_second() {
    let dir = dir_with(&[
        ("a/money.proto", MONEY.as_bytes()),
        ("b/money.proto", MONEY.as_bytes()),
    ]);
    let (catalog, problems) = Catalog::load_dir(dir.path(), MAX);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, dir.path().join("b/money.proto"));
    assert!(
        problems[0].reason.contains("common.Money"),
        "{}",
        problems[0]
    );
    let file = catalog
        .descriptor_pool()
        .get_message_by_name("common.Money")
        .expect("loaded");
    assert_eq!(file.parent_file().name(), "a/money.proto");
}

/// A serialized FileDescriptorSet of the .proto `text`, named `name`, with its imports.
fn set_of(name: &str, text: &str) -> Vec<u8> {
    let dir = dir_with(&[(name, text.as_bytes())]);
    descriptor_set(dir.path(), &[name], true)
}

#[test]
fn merged_sets_add_their_services_to_the_directorys() {
    let dir = orders();
    let sets = [("plugin billing".to_owned(), {
        let sources = dir_with(&[
            ("common/money.proto", MONEY.as_bytes()),
            ("billing.proto", BILLING.as_bytes()),
        ]);
        descriptor_set(sources.path(), &["billing.proto"], true)
    })];
    let (catalog, problems) = dir.merged("the proto dir", &sets);
    assert_eq!(problems, []);
    assert_eq!(catalog.services(), ["billing.Billing", "shop.v1.Orders"]);
    assert!(catalog.method("/billing.Billing/Charge").is_some());
    // The catalog merged into is unchanged.
    assert_eq!(dir.services(), ["shop.v1.Orders"]);
}

#[test]
fn a_merged_set_conflicting_with_the_directory_is_left_out_naming_both() {
    let dir = orders();
    let sets = [
        (
            "plugin other (libother.so)".to_owned(),
            set_of("shop/v1/orders.proto", MONEY),
        ),
        ("plugin money".to_owned(), set_of("money.proto", MONEY)),
    ];
    let (catalog, problems) = dir.merged("the proto dir ./protos", &sets);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, Path::new("plugin other (libother.so)"));
    assert!(
        problems[0]
            .reason
            .starts_with("conflicts with the proto dir ./protos: "),
        "{}",
        problems[0]
    );
    assert!(
        problems[0].reason.contains("'shop/v1/orders.proto'"),
        "{}",
        problems[0]
    );
    // The other set and the directory's files are kept.
    assert_eq!(catalog.services(), ["shop.v1.Orders"]);
    assert!(
        catalog
            .descriptor_pool()
            .get_message_by_name("common.Money")
            .is_some()
    );
}

#[test]
fn of_two_merged_sets_defining_one_symbol_the_second_is_left_out_naming_the_first() {
    let sets = [
        ("plugin a".to_owned(), set_of("a/money.proto", MONEY)),
        ("plugin b".to_owned(), set_of("b/money.proto", MONEY)),
    ];
    let (catalog, problems) = Catalog::empty().merged("the proto dir", &sets);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, Path::new("plugin b"));
    assert!(
        problems[0].reason.starts_with("conflicts with plugin a: "),
        "{}",
        problems[0]
    );
    let money = catalog
        .descriptor_pool()
        .get_message_by_name("common.Money")
        .expect("kept");
    assert_eq!(money.parent_file().name(), "a/money.proto");
}

#[test]
fn a_merged_set_that_does_not_decode_or_imports_what_nothing_defines_is_a_problem() {
    let billing = {
        let sources = dir_with(&[
            ("common/money.proto", MONEY.as_bytes()),
            ("billing.proto", BILLING.as_bytes()),
        ]);
        descriptor_set(sources.path(), &["billing.proto"], false)
    };
    let sets = [
        ("plugin junk".to_owned(), b"\xff\xff not a set".to_vec()),
        ("plugin empty".to_owned(), Vec::new()),
        ("plugin billing".to_owned(), billing),
    ];
    let (catalog, problems) = orders().merged("the proto dir", &sets);
    let reasons: Vec<(String, &str)> = problems
        .iter()
        .map(|p| (p.path.display().to_string(), p.reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert_eq!(reasons[0].0, "plugin junk");
    assert!(
        reasons[0]
            .1
            .starts_with("not a serialized FileDescriptorSet")
    );
    assert_eq!(
        reasons[1],
        (
            "plugin empty".to_owned(),
            "a FileDescriptorSet with no file"
        )
    );
    assert_eq!(reasons[2].0, "plugin billing");
    assert_eq!(
        reasons[2].1,
        "imports 'common/money.proto', defined by neither the proto dir nor another set"
    );
    assert_eq!(catalog.services(), ["shop.v1.Orders"]);
}

#[test]
fn a_merged_set_may_import_another_sets_file_given_after_it() {
    let sources = dir_with(&[
        ("common/money.proto", MONEY.as_bytes()),
        ("billing.proto", BILLING.as_bytes()),
    ]);
    let sets = [
        (
            "plugin billing".to_owned(),
            descriptor_set(sources.path(), &["billing.proto"], false),
        ),
        (
            "plugin money".to_owned(),
            descriptor_set(sources.path(), &["common/money.proto"], false),
        ),
    ];
    let (catalog, problems) = Catalog::empty().merged("the proto dir", &sets);
    assert_eq!(problems, []);
    assert_eq!(catalog.services(), ["billing.Billing"]);
}
