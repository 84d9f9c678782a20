//! gRPC without generated code, for services faked from stubs.
//!
//! - [`catalog`]: what the `.proto` files and descriptor sets of a directory
//!   define ([`Catalog`]), the method a request path names ([`Method`]), and
//!   its messages as canonical proto3 JSON and back;
//! - [`frame`]: the length-prefixed messages of gRPC bodies, compressed or not;
//! - [`status`]: gRPC status codes and `grpc-message`'s encoding.
//!
//! It knows nothing of HTTP/2: the server hands it paths, bodies and headers'
//! values, and answers with what it returns.
//!
//! ```
//! use fake_servicer_grpc::{Catalog, decode_messages, encode_message};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(
//!     dir.path().join("greeter.proto"),
//!     r#"syntax = "proto3";
//!        package hello;
//!        service Greeter { rpc SayHello(HelloRequest) returns (HelloReply); }
//!        message HelloRequest { string first_name = 1; int64 visits = 2; }
//!        message HelloReply { string message = 1; }"#,
//! )?;
//! let (catalog, problems) = Catalog::load_dir(dir.path(), 1 << 20);
//! assert!(problems.is_empty());
//! assert_eq!(catalog.services(), ["hello.Greeter"]);
//!
//! let method = catalog.method("/hello.Greeter/SayHello").expect("declared");
//! assert_eq!(method.input_name(), "hello.HelloRequest");
//!
//! // A request as a client sends it, read back as canonical JSON.
//! let request = method.request_from_json(&serde_json::json!({"first_name": "Ada", "visits": 3}))?;
//! let body = encode_message(&request);
//! let messages = decode_messages(&body, None, 4 << 20)?;
//! assert_eq!(method.request_to_json(&messages[0])?, r#"{"firstName":"Ada","visits":"3"}"#);
//!
//! // A stub's JSON answer, as the bytes of the response.
//! let reply = method.response_from_json(&serde_json::json!({"message": "Hello, Ada"}))?;
//! assert_eq!(method.response_to_json(&reply)?, r#"{"message":"Hello, Ada"}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod catalog;
pub mod frame;
pub mod status;

pub use catalog::{Catalog, Method, Problem, TranscodeError};
pub use frame::{ACCEPT_ENCODING, FrameError, decode_messages, encode_message};
pub use status::{Code, decode_message_text, encode_message_text};
