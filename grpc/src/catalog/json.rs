//! Messages as canonical proto3 JSON, and back, with errors naming the field.

use std::cmp::Ordering;
use std::fmt;

use bytes::Bytes;
use prost::Message;
use prost_reflect::{
    DeserializeOptions, DynamicMessage, Kind, MessageDescriptor, ReflectMessage, SerializeOptions,
    Value,
};
use serde::{Serialize, Serializer};

use super::expected;

/// Why a message could not be turned into JSON or back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranscodeError {
    message_type: String,
    field: Option<String>,
    reason: String,
}

impl TranscodeError {
    fn new(message_type: &MessageDescriptor, field: Option<String>, reason: String) -> Self {
        TranscodeError {
            message_type: message_type.full_name().to_owned(),
            field,
            reason: super::one_line(&reason),
        }
    }

    /// The full name of the message type being read or written.
    pub fn message_type(&self) -> &str {
        &self.message_type
    }

    /// The path of the field at fault, as in the JSON (`items[2].when`), if known.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// What is wrong there.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for TranscodeError {
    /// One line: `pkg.Type at items[2].when: invalid type: integer `5`, expected ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} at {field}: {}", self.message_type, self.reason),
            None => write!(f, "{}: {}", self.message_type, self.reason),
        }
    }
}

impl std::error::Error for TranscodeError {}

/// The canonical JSON mapping's options, spelled out.
const CANONICAL: SerializeOptions = SerializeOptions::new()
    .stringify_64_bit_integers(true)
    .use_enum_numbers(false)
    .use_proto_field_name(false)
    .skip_default_fields(true);

/// A message serialized with [`CANONICAL`].
struct Canonical<'a>(&'a DynamicMessage);

impl Serialize for Canonical<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_with_options(serializer, &CANONICAL)
    }
}

/// A message of type `desc`, protobuf binary, as compact canonical JSON.
pub(super) fn to_json(desc: &MessageDescriptor, bytes: &[u8]) -> Result<String, TranscodeError> {
    let message = DynamicMessage::decode(desc.clone(), bytes)
        .map_err(|err| TranscodeError::new(desc, None, err.to_string()))?;
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::new(&mut out);
    serde_path_to_error::serialize(&Canonical(&message), &mut serializer).map_err(|err| {
        let path = err.path().to_string();
        let reason = err.into_inner().to_string();
        let reason = unknown_any_type(&reason).unwrap_or(reason);
        TranscodeError::new(desc, field_path(path), reason)
    })?;
    if needs_map_order(&message) {
        let mut value: serde_json::Value = serde_json::from_slice(&out)
            .map_err(|err| TranscodeError::new(desc, None, err.to_string()))?;
        order_maps(&mut value, desc);
        return Ok(value.to_string());
    }
    String::from_utf8(out).map_err(|err| TranscodeError::new(desc, None, err.to_string()))
}

/// `json` as a message of type `desc`, protobuf binary.
pub(super) fn from_json(
    desc: &MessageDescriptor,
    json: &serde_json::Value,
) -> Result<Bytes, TranscodeError> {
    let mut track = serde_path_to_error::Track::new();
    let deserializer = serde_path_to_error::Deserializer::new(json, &mut track);
    let options = DeserializeOptions::new().deny_unknown_fields(true);
    match DynamicMessage::deserialize_with_options(desc.clone(), deserializer, &options) {
        Ok(message) => Ok(Bytes::from(message.encode_to_vec())),
        Err(err) => Err(read_error(desc, &track.path(), err.to_string())),
    }
}

/// A JSON reading error at `path` as a [`TranscodeError`], said better.
fn read_error(
    desc: &MessageDescriptor,
    path: &serde_path_to_error::Path,
    reason: String,
) -> TranscodeError {
    let field = field_path(path.to_string());
    // prost-reflect reports an unknown field on the message holding it.
    if let Some(name) = reason
        .strip_prefix("unrecognized field name '")
        .and_then(|rest| rest.strip_suffix('\''))
    {
        let field = match field {
            Some(parent) => format!("{parent}.{name}"),
            None => name.to_owned(),
        };
        return TranscodeError::new(desc, Some(field), "unknown field".to_owned());
    }
    if let Some(reason) = unknown_any_type(&reason) {
        return TranscodeError::new(desc, field, reason);
    }
    let expected = match field {
        Some(_) if !reason.contains("expected") => expected::expected_at(desc, path),
        _ => None,
    };
    let reason = match expected {
        Some(expected) => format!("{}; expected {expected}", reason.trim_end_matches('.')),
        None => reason,
    };
    TranscodeError::new(desc, field, reason)
}

/// prost-reflect's "message 'x.Y' not found" (an `Any` of a type not in the pool),
/// said for the catalog.
fn unknown_any_type(reason: &str) -> Option<String> {
    let name = reason
        .strip_prefix("message '")?
        .strip_suffix("' not found")?;
    Some(format!("the Any's type '{name}' is in no loaded file"))
}

/// A path from serde_path_to_error, `None` for the message itself.
fn field_path(path: String) -> Option<String> {
    (path != ".").then_some(path)
}

/// Whether the message holds a map of several entries, or an `Any` (whose payload
/// may): prost-reflect writes maps in hash order, which [`order_maps`] fixes.
fn needs_map_order(message: &DynamicMessage) -> bool {
    fn value_needs(value: &Value) -> bool {
        match value {
            Value::Map(map) => map.len() > 1 || map.values().any(value_needs),
            Value::List(list) => list.iter().any(value_needs),
            Value::Message(message) => needs_map_order(message),
            _ => false,
        }
    }
    message.descriptor().full_name() == "google.protobuf.Any"
        || message.fields().any(|(_, value)| value_needs(value))
}

/// Orders the entries of every map field in `json`, a message of type `desc`, by key.
fn order_maps(json: &mut serde_json::Value, desc: &MessageDescriptor) {
    match desc.full_name() {
        "google.protobuf.Any" => return order_any(json, desc),
        name if name.starts_with("google.protobuf.") && has_special_json(name) => return,
        _ => {}
    }
    let Some(object) = json.as_object_mut() else {
        return;
    };
    for (key, value) in object.iter_mut() {
        let (kind, is_map, is_list) = if let Some(field) = desc.get_field_by_json_name(key) {
            (field.kind(), field.is_map(), field.is_list())
        } else if let Some(extension) = desc.get_extension_by_json_name(key) {
            (extension.kind(), extension.is_map(), extension.is_list())
        } else {
            continue;
        };
        let Kind::Message(message) = kind else {
            continue;
        };
        if is_map {
            order_map(value, &message);
        } else if is_list {
            if let Some(items) = value.as_array_mut() {
                items.iter_mut().for_each(|item| order_maps(item, &message));
            }
        } else {
            order_maps(value, &message);
        }
    }
}

/// Orders a map field's JSON object (`entry` is its map entry type) by key, and
/// the maps of its values.
fn order_map(json: &mut serde_json::Value, entry: &MessageDescriptor) {
    let Some(object) = json.as_object_mut() else {
        return;
    };
    let key_kind = entry.map_entry_key_field().kind();
    let mut entries: Vec<(String, serde_json::Value)> =
        std::mem::take(object).into_iter().collect();
    entries.sort_by(|(a, _), (b, _)| compare_keys(&key_kind, a, b));
    if let Kind::Message(value_type) = entry.map_entry_value_field().kind() {
        for (_, value) in &mut entries {
            order_maps(value, &value_type);
        }
    }
    object.extend(entries);
}

/// Map keys in their type's order: numbers numerically, strings by bytes.
fn compare_keys(kind: &Kind, a: &str, b: &str) -> Ordering {
    let numeric = match kind {
        Kind::Int32
        | Kind::Int64
        | Kind::Sint32
        | Kind::Sint64
        | Kind::Sfixed32
        | Kind::Sfixed64 => a
            .parse::<i64>()
            .ok()
            .zip(b.parse::<i64>().ok())
            .map(|(a, b)| a.cmp(&b)),
        Kind::Uint32 | Kind::Uint64 | Kind::Fixed32 | Kind::Fixed64 => a
            .parse::<u64>()
            .ok()
            .zip(b.parse::<u64>().ok())
            .map(|(a, b)| a.cmp(&b)),
        _ => None,
    };
    numeric.unwrap_or_else(|| a.cmp(b))
}

/// Orders the maps of an `Any`'s payload, when its type is known.
fn order_any(json: &mut serde_json::Value, any: &MessageDescriptor) {
    let Some(type_name) = json
        .get("@type")
        .and_then(serde_json::Value::as_str)
        .and_then(|url| url.rsplit('/').next())
    else {
        return;
    };
    let Some(payload) = any.parent_pool().get_message_by_name(type_name) else {
        return;
    };
    if has_special_json(payload.full_name()) {
        if let Some(value) = json.get_mut("value") {
            order_maps(value, &payload);
        }
    } else {
        order_maps(json, &payload);
    }
}

/// Whether a message type has a JSON form of its own (the well-known types).
fn has_special_json(full_name: &str) -> bool {
    matches!(
        full_name,
        "google.protobuf.Any"
            | "google.protobuf.Timestamp"
            | "google.protobuf.Duration"
            | "google.protobuf.FieldMask"
            | "google.protobuf.Struct"
            | "google.protobuf.Value"
            | "google.protobuf.ListValue"
            | "google.protobuf.Empty"
            | "google.protobuf.DoubleValue"
            | "google.protobuf.FloatValue"
            | "google.protobuf.Int64Value"
            | "google.protobuf.UInt64Value"
            | "google.protobuf.Int32Value"
            | "google.protobuf.UInt32Value"
            | "google.protobuf.BoolValue"
            | "google.protobuf.StringValue"
            | "google.protobuf.BytesValue"
    )
}
