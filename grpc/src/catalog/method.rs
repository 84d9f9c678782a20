//! A method of a service, and the messages it reads and writes as JSON.

use std::fmt;

use bytes::Bytes;
use prost_reflect::{MessageDescriptor, MethodDescriptor};

use super::json::{self, TranscodeError};

/// A method of a service the catalog knows, with its request and response types.
///
/// Cloning is cheap: the descriptors are shared with the catalog.
#[derive(Clone)]
pub struct Method {
    method: MethodDescriptor,
    input: MessageDescriptor,
    output: MessageDescriptor,
}

impl Method {
    pub(super) fn new(method: MethodDescriptor) -> Method {
        Method {
            input: method.input(),
            output: method.output(),
            method,
        }
    }

    /// The request path that names it: `/pkg.Service/Method`.
    pub fn path(&self) -> String {
        format!("/{}/{}", self.service_name(), self.method.name())
    }

    /// The full name of its service: `pkg.Service`.
    pub fn service_name(&self) -> &str {
        self.method.parent_service().full_name()
    }

    /// Its name within the service: `Method`.
    pub fn name(&self) -> &str {
        self.method.name()
    }

    /// Whether the client sends a stream of requests.
    pub fn client_streaming(&self) -> bool {
        self.method.is_client_streaming()
    }

    /// Whether the server answers with a stream of responses.
    pub fn server_streaming(&self) -> bool {
        self.method.is_server_streaming()
    }

    /// The full name of its request message type, e.g. `pkg.GetThingRequest`.
    pub fn input_name(&self) -> &str {
        self.input.full_name()
    }

    /// The full name of its response message type, e.g. `pkg.Thing`.
    pub fn output_name(&self) -> &str {
        self.output.full_name()
    }

    /// The method's descriptor.
    pub fn descriptor(&self) -> &MethodDescriptor {
        &self.method
    }

    /// The request message type's descriptor.
    pub fn input_descriptor(&self) -> &MessageDescriptor {
        &self.input
    }

    /// The response message type's descriptor.
    pub fn output_descriptor(&self) -> &MessageDescriptor {
        &self.output
    }

    /// A request message (protobuf binary) as canonical proto3 JSON, as protobuf's
    /// `JsonFormat.printer()` writes it (and so as WireMock's gRPC extension matches
    /// it): lowerCamelCase names, fields in field-number order, default values of
    /// fields without presence omitted, 64-bit integers as strings, enums by name
    /// (unknown numbers as numbers), bytes in padded base64, and the well-known
    /// types (Timestamp, Duration, FieldMask, Struct, Value, ListValue, Empty, the
    /// wrappers, and Any when its type is in the catalog) in their JSON forms.
    /// Unknown fields are left out. Compact text.
    ///
    /// Differences from protobuf-java's printer, none of which changes the JSON
    /// value:
    /// - compact, where Java indents by default (`omittingInsignificantWhitespace()`
    ///   is compact too);
    /// - map entries are ordered by key (numerically for integer keys), where Java
    ///   keeps the order they came in on the wire; `Struct` keys are sorted too;
    /// - numbers are written as Rust writes them (`1e-7`, `10000000.0`) where Java
    ///   writes `1.0E-7` and `1.0E7`;
    /// - only `"` , `\` and control characters are escaped in strings, where Java
    ///   (through Gson) also escapes `<`, `>`, `&`, `=` and `'` as `\u003c`...
    ///
    /// An `Any` whose type is not in the catalog is an error, as in Java without a
    /// type registry holding it.
    pub fn request_to_json(&self, message: &[u8]) -> Result<String, TranscodeError> {
        json::to_json(&self.input, message)
    }

    /// A response message (protobuf binary) as canonical proto3 JSON, written as
    /// [`request_to_json`](Method::request_to_json) writes requests.
    pub fn response_to_json(&self, message: &[u8]) -> Result<String, TranscodeError> {
        json::to_json(&self.output, message)
    }

    /// A JSON value as the response message, protobuf binary.
    ///
    /// Reads proto3 JSON as protobuf's `JsonFormat.parser()` does: field names in
    /// lowerCamelCase or as in the `.proto`, `null` for a default value, 64-bit
    /// integers as numbers or strings, enums by name or number, the well-known types
    /// in their JSON forms. An unknown field, an unknown enum name, or a value of the
    /// wrong type is an error naming the field's path (`items[2].when`).
    pub fn response_from_json(&self, json: &serde_json::Value) -> Result<Bytes, TranscodeError> {
        json::from_json(&self.output, json)
    }

    /// A JSON value as the request message, protobuf binary, read as
    /// [`response_from_json`](Method::response_from_json) reads responses.
    pub fn request_from_json(&self, json: &serde_json::Value) -> Result<Bytes, TranscodeError> {
        json::from_json(&self.input, json)
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Method")
            .field("path", &self.path())
            .field("input", &self.input_name())
            .field("output", &self.output_name())
            .field("client_streaming", &self.client_streaming())
            .field("server_streaming", &self.server_streaming())
            .finish()
    }
}
