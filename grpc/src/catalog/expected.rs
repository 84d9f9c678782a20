//! What the JSON at a field path should have been, for errors that do not say.

use prost_reflect::{Kind, MessageDescriptor};
use serde_path_to_error::{Path, Segment};

/// What a value is: one, a list's, or a map's (of a map entry type).
enum Shape {
    Single(Kind),
    List(Kind),
    Map(MessageDescriptor),
}

/// What the JSON value at `path`, in a message of type `desc`, should be, e.g.
/// "an int64 (a number or a decimal string)"; `None` where the path leaves the
/// message's fields (an unknown field, inside a Struct).
pub(super) fn expected_at(desc: &MessageDescriptor, path: &Path) -> Option<String> {
    let mut shape = Shape::Single(Kind::Message(desc.clone()));
    for segment in path {
        shape = match (shape, segment) {
            (Shape::Map(entry), Segment::Map { .. }) => {
                Shape::Single(entry.map_entry_value_field().kind())
            }
            (Shape::List(kind), Segment::Seq { .. }) => Shape::Single(kind),
            (Shape::Single(Kind::Message(message)), Segment::Map { key }) => {
                if message.full_name().starts_with("google.protobuf.") {
                    return None;
                }
                let field = message
                    .get_field_by_json_name(key)
                    .or_else(|| message.get_field_by_name(key))?;
                match field.kind() {
                    Kind::Message(entry) if field.is_map() => Shape::Map(entry),
                    kind if field.is_list() => Shape::List(kind),
                    kind => Shape::Single(kind),
                }
            }
            _ => return None,
        };
    }
    Some(describe(&shape))
}

fn describe(shape: &Shape) -> String {
    match shape {
        Shape::Single(kind) => describe_kind(kind),
        Shape::List(kind) => format!("an array of {}", plural(kind)),
        Shape::Map(entry) => format!(
            "an object with {} keys and {} values",
            plural(&entry.map_entry_key_field().kind()),
            plural(&entry.map_entry_value_field().kind())
        ),
    }
}

/// `describe_kind` without its article, for "an array of ...".
fn plural(kind: &Kind) -> String {
    let one = describe_kind(kind);
    match one.split_once(' ') {
        Some(("a" | "an", rest)) => rest.to_owned(),
        _ => one,
    }
}

fn describe_kind(kind: &Kind) -> String {
    let text = match kind {
        Kind::Double | Kind::Float => "a number (or \"NaN\", \"Infinity\", \"-Infinity\")",
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => "an int32 number",
        Kind::Uint32 | Kind::Fixed32 => "a uint32 number",
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => "an int64 (a number or a decimal string)",
        Kind::Uint64 | Kind::Fixed64 => "a uint64 (a number or a decimal string)",
        Kind::Bool => "a boolean",
        Kind::String => "a string",
        Kind::Bytes => "a base64 string",
        Kind::Enum(enum_type) => return format!("a {} name or number", enum_type.full_name()),
        Kind::Message(message) => return describe_message(message),
    };
    text.to_owned()
}

fn describe_message(message: &MessageDescriptor) -> String {
    let text = match message.full_name() {
        "google.protobuf.Timestamp" => "an RFC 3339 timestamp string (\"2024-01-02T03:04:05Z\")",
        "google.protobuf.Duration" => "a duration string (\"1.5s\")",
        "google.protobuf.FieldMask" => "a field mask string (\"a.b,c\")",
        "google.protobuf.Struct" => "an object",
        "google.protobuf.ListValue" => "an array",
        "google.protobuf.Value" => "any JSON value",
        "google.protobuf.Any" => "an object with an \"@type\"",
        "google.protobuf.Empty" => "an empty object",
        "google.protobuf.DoubleValue" | "google.protobuf.FloatValue" => "a number",
        "google.protobuf.Int32Value" => "an int32 number",
        "google.protobuf.UInt32Value" => "a uint32 number",
        "google.protobuf.Int64Value" => "an int64 (a number or a decimal string)",
        "google.protobuf.UInt64Value" => "a uint64 (a number or a decimal string)",
        "google.protobuf.BoolValue" => "a boolean",
        "google.protobuf.StringValue" => "a string",
        "google.protobuf.BytesValue" => "a base64 string",
        name => return format!("an object (a {name})"),
    };
    text.to_owned()
}
