//! Typed gRPC handlers (cargo feature `grpc`).
//!
//! The server speaks gRPC on its plain port (HTTP/2 cleartext) and on TLS.
//! A call to `/<package>.<Service>/<Method>` that a plugin route answers is
//! handed to that route with its body as it came (gRPC frames); this module
//! reads and writes those frames with [prost](https://docs.rs/prost)
//! messages:
//!
//! - [`#[grpc("/pkg.Service/Method")]`](macro@crate::grpc) registers a unary
//!   handler, `fn(Request, extractors…) -> Result<Reply, Status>`, and
//!   `#[grpc(stream, "/pkg.Service/Method")]` a server-streaming one,
//!   `fn(Request, extractors…) -> Result<Stream<Reply>, Status>`;
//! - [`Message`] decodes the request message, [`Metadata`] is the call's
//!   metadata;
//! - [`Status`] (with its [`Code`]) answers an error, [`Stream`] a stream of
//!   messages with delays between them;
//! - [`unary`] and [`server_stream`] frame an answer (what `#[grpc]` calls).
//!
//! The message types are what `prost-build` generates from the `.proto`
//! (see `plugins/greeter`: a `build.rs` with `protox` and `prost-build`,
//! no `protoc` needed); the plugin depends on `prost` itself.
//!
//! ```
//! use fake_servicer::prelude::*;
//! use std::time::Duration;
//!
//! // prost-build generates these from helloworld.proto; written out here.
//! #[derive(Clone, PartialEq, prost::Message)]
//! pub struct HelloRequest {
//!     #[prost(string, tag = "1")]
//!     pub name: String,
//! }
//! #[derive(Clone, PartialEq, prost::Message)]
//! pub struct HelloReply {
//!     #[prost(string, tag = "1")]
//!     pub message: String,
//! }
//!
//! #[grpc("/helloworld.Greeter/SayHello")]
//! fn say_hello(req: HelloRequest) -> Result<HelloReply, Status> {
//!     if req.name.is_empty() {
//!         return Err(Status::invalid_argument("name is empty"));
//!     }
//!     Ok(HelloReply { message: format!("hello, {}", req.name) })
//! }
//!
//! #[grpc(stream, "/helloworld.Greeter/SayHelloStream")]
//! fn say_hello_stream(req: HelloRequest, metadata: Metadata) -> Result<Stream<HelloReply>, Status> {
//!     let greeting = metadata.get("x-greeting").unwrap_or("hello");
//!     let mut stream = Stream::new();
//!     for i in 1..=3 {
//!         let message = format!("{greeting} #{i}, {}", req.name);
//!         stream = stream.message(HelloReply { message }).delay(Duration::from_millis(100));
//!     }
//!     Ok(stream)
//! }
//!
//! fake_servicer::service!(name = "greeter", say_hello, say_hello_stream);
//! # fn main() {
//! let ann = HelloRequest { name: "Ann".into() };
//! assert_eq!(say_hello(ann.clone()).map(|r| r.message), Ok("hello, Ann".to_owned()));
//! let stream = say_hello_stream(ann, Metadata::default()).expect("a stream");
//! assert_eq!(stream.len(), 3);
//! # }
//! ```

mod message;
mod status;
mod stream;

pub use message::{Message, Messages};
pub use status::{Code, Status, encode_message_text};
pub use stream::Stream;

/// The `prost` crate the SDK encodes and decodes messages with.
pub use prost;

use crate::response::Response;

/// The call's metadata: its request headers, names in lower case.
///
/// The same type as the [`Headers`](crate::Headers) extractor, under the
/// name gRPC gives it. Binary metadata (names ending in `-bin`) holds
/// base64 text; HTTP/2 pseudo-headers are not part of it, but `te`,
/// `content-type`, `grpc-timeout`, `grpc-encoding` and `user-agent` are.
///
/// ```
/// use fake_servicer::prelude::*;
/// # #[derive(Clone, PartialEq, prost::Message)]
/// # pub struct Empty {}
///
/// #[grpc("/auth.Keys/Check")]
/// fn check(_: Empty, metadata: Metadata) -> Result<Empty, Status> {
///     match metadata.get("authorization") {
///         Some("Bearer good") => Ok(Empty {}),
///         _ => Err(Status::unauthenticated("a bearer token is needed")),
///     }
/// }
///
/// # fn main() {
/// let ok = Metadata::from_pairs([("authorization", "Bearer good")]);
/// assert!(check(Empty {}, ok).is_ok());
/// assert_eq!(check(Empty {}, Metadata::default()).unwrap_err().code, grpc::Code::Unauthenticated);
/// # }
/// ```
pub type Metadata = crate::Headers;

/// The answer of a unary call: `Ok(message)` framed, with
/// `content-type: application/grpc` and `grpc-status: 0` (the server sends
/// the status in the trailers, after the message); `Err(status)` is the
/// status alone.
///
/// ```
/// use fake_servicer::grpc::{self, Status};
///
/// let ok = grpc::unary(Ok(String::from("hi")));
/// assert_eq!(ok.header_value("content-type"), Some(&b"application/grpc"[..]));
/// assert_eq!(ok.header_value("grpc-status"), Some(&b"0"[..]));
/// // not compressed, 4 bytes of length, the message ("hi" as field 1)
/// assert_eq!(ok.body_bytes(), b"\x00\x00\x00\x00\x04\x0a\x02hi");
///
/// let err = grpc::unary::<String>(Err(Status::not_found("no such user")));
/// assert_eq!(err.header_value("grpc-status"), Some(&b"5"[..]));
/// assert!(err.body_bytes().is_empty());
/// ```
pub fn unary<T: prost::Message>(result: Result<T, Status>) -> Response {
    let framed = result.and_then(|message| message::frame(&message));
    match framed {
        Ok(frame) => ok_headers().body(frame),
        Err(status) => crate::IntoResponse::into_response(status),
    }
}

/// The answer of a server-streaming call: `Ok(stream)` as one chunk per
/// message, each sent after its delay, with `content-type:
/// application/grpc` and `grpc-status: 0` (sent in the trailers, after the
/// last message and the delay after it); `Err(status)` is the status alone.
///
/// ```
/// use fake_servicer::grpc::{self, Stream};
/// use std::time::Duration;
///
/// let stream = Stream::new()
///     .message(String::from("a"))
///     .delay(Duration::from_millis(100))
///     .message(String::from("b"));
/// let r = grpc::server_stream(Ok(stream));
/// assert_eq!(r.header_value("grpc-status"), Some(&b"0"[..]));
/// assert_eq!(r.body_bytes(), b"\0\0\0\0\x03\x0a\x01a\0\0\0\0\x03\x0a\x01b");
/// let chunks = r.into_ffi().chunks;
/// assert_eq!(chunks.len(), 2);
/// assert_eq!(chunks[1].delay_ms, 100);
/// ```
pub fn server_stream<T: prost::Message>(result: Result<Stream<T>, Status>) -> Response {
    let stream = match result {
        Ok(stream) => stream,
        Err(status) => return crate::IntoResponse::into_response(status),
    };
    let (messages, end_delay) = stream.into_parts();
    if messages.is_empty() {
        // No message: the status alone, after the delay.
        return ok_headers().delay(end_delay);
    }
    let mut chunks = Vec::with_capacity(messages.len() + 1);
    for (delay, message) in &messages {
        match message::frame(message) {
            Ok(frame) => chunks.push((*delay, frame)),
            Err(status) => return crate::IntoResponse::into_response(status),
        }
    }
    if !end_delay.is_zero() {
        // Holds the trailers back.
        chunks.push((end_delay, Vec::new()));
    }
    ok_headers().chunks(chunks)
}

/// The headers of an `OK` answer.
fn ok_headers() -> Response {
    Response::new()
        .header("content-type", "application/grpc")
        .header("grpc-status", "0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{FfiHeader, FfiRequest};
    use crate::{FromRequest, IntoResponse, Request};
    use abi_stable::std_types::{RSlice, RStr};
    use std::time::Duration;

    #[derive(Clone, PartialEq, prost::Message)]
    struct Hello {
        #[prost(string, tag = "1")]
        name: String,
        #[prost(int32, tag = "2")]
        times: i32,
    }

    /// Runs `f` on a POST request with `body` and `headers`.
    fn with_request<R>(
        body: &[u8],
        headers: &[(&'static str, &'static [u8])],
        f: impl FnOnce(&Request<'_>) -> R,
    ) -> R {
        let headers: Vec<FfiHeader<'_>> = headers
            .iter()
            .map(|(n, v)| FfiHeader {
                name: RStr::from_str(n),
                value: RSlice::from_slice(v),
            })
            .collect();
        let ffi = FfiRequest {
            method: RStr::from_str("POST"),
            path: RStr::from_str("/helloworld.Greeter/SayHello"),
            query: RStr::from_str(""),
            headers: RSlice::from_slice(&headers),
            params: RSlice::from_slice(&[]),
            body: RSlice::from_slice(body),
        };
        f(&Request::new(&ffi))
    }

    fn extract(body: &[u8], headers: &[(&'static str, &'static [u8])]) -> Result<Hello, Status> {
        with_request(body, headers, |req| {
            Message::<Hello>::from_request(req).map(Message::into_inner)
        })
    }

    #[test]
    fn the_extractor_decodes_one_framed_message() {
        let sent = Hello {
            name: "ann".into(),
            times: 4,
        };
        let body = message::frame(&sent).expect("framed");
        assert_eq!(extract(&body, &[]), Ok(sent));
    }

    #[test]
    fn the_extractor_refuses_with_statuses() {
        let code = |body: &[u8], headers| extract(body, headers).map_err(|s| s.code);
        assert_eq!(code(b"", &[]), Err(Code::Internal));
        assert_eq!(code(b"\0\0\0\0\x02\x0a", &[]), Err(Code::Internal));
        // A string field whose length runs past the message.
        assert_eq!(
            code(b"\0\0\0\0\x02\x0a\x05", &[]),
            Err(Code::InvalidArgument)
        );
        assert_eq!(
            code(b"\x01\0\0\0\x02\x0a\x00", &[("grpc-encoding", b"gzip")]),
            Err(Code::Unimplemented)
        );
        let bad = extract(b"\0\0\0\0\x02\x0a\x05", &[]).unwrap_err();
        assert!(
            bad.message
                .starts_with("the request message is not a valid Hello: "),
            "{bad}"
        );
    }

    #[test]
    fn the_metadata_is_the_request_headers() {
        let metadata = with_request(b"", &[("x-user", b"ann"), ("te", b"trailers")], |req| {
            Metadata::from_request(req)
        });
        let Ok(metadata) = metadata;
        assert_eq!(metadata.get("X-User"), Some("ann"));
        assert_eq!(metadata.len(), 2);
    }

    #[test]
    fn unary_frames_one_message_with_status_zero() {
        let r = unary(Ok(Hello {
            name: "x".into(),
            times: 0,
        }));
        assert_eq!(r.status_code(), http::StatusCode::OK);
        assert_eq!(r.header_value("grpc-status"), Some(&b"0"[..]));
        assert_eq!(r.body_bytes(), b"\0\0\0\0\x03\x0a\x01x");
        let ffi = r.into_ffi();
        assert!(ffi.chunks.is_empty());
        assert_eq!(ffi.body.len(), 8);
    }

    #[test]
    fn unary_errors_are_trailers_only() {
        let r = unary::<Hello>(Err(Status::invalid_argument("name is empty")));
        assert_eq!(r, Status::invalid_argument("name is empty").into_response());
        assert_eq!(r.header_value("grpc-status"), Some(&b"3"[..]));
        assert!(r.body_bytes().is_empty());
    }

    #[test]
    fn a_stream_is_one_chunk_per_message_after_its_delay() {
        let hello = |name: &str| Hello {
            name: name.into(),
            times: 0,
        };
        let stream = Stream::new()
            .delay(Duration::from_millis(10))
            .message(hello("a"))
            .delay(Duration::from_millis(100))
            .message(hello("b"))
            .message(hello("c"))
            .delay(Duration::from_millis(30));
        let r = server_stream(Ok(stream));
        assert_eq!(
            r.header_value("content-type"),
            Some(&b"application/grpc"[..])
        );
        assert_eq!(r.header_value("grpc-status"), Some(&b"0"[..]));
        let chunks: Vec<(u64, Vec<u8>)> = r
            .into_ffi()
            .chunks
            .into_iter()
            .map(|c| (c.delay_ms, c.data.into_vec()))
            .collect();
        assert_eq!(
            chunks,
            [
                (10, b"\0\0\0\0\x03\x0a\x01a".to_vec()),
                (100, b"\0\0\0\0\x03\x0a\x01b".to_vec()),
                (0, b"\0\0\0\0\x03\x0a\x01c".to_vec()),
                // The delay after the last message holds the trailers back.
                (30, Vec::new()),
            ]
        );
    }

    #[test]
    fn an_empty_stream_is_the_status_alone() {
        let r = server_stream(Ok(Stream::<Hello>::new().delay(Duration::from_millis(20))));
        assert_eq!(r.header_value("grpc-status"), Some(&b"0"[..]));
        assert!(r.body_bytes().is_empty());
        assert_eq!(r.delay_duration(), Duration::from_millis(20));
        assert!(r.into_ffi().chunks.is_empty());

        let err = server_stream::<Hello>(Err(Status::not_found("gone")));
        assert_eq!(err.header_value("grpc-status"), Some(&b"5"[..]));
        assert_eq!(err.header_value("grpc-message"), Some(&b"gone"[..]));
    }
}
