//! The two messages of `plugins/greeter/proto/helloworld.proto`, written
//! out as prost-build writes them (no build script): what the bare tonic
//! baseline decodes and answers, and what the gRPC load generator sends
//! and expects back.

/// `helloworld.HelloRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(int32, tag = "2")]
    pub times: i32,
}

/// `helloworld.HelloReply`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    #[prost(string, tag = "1")]
    pub message: String,
}

/// The unary method every gRPC scenario calls.
pub const SAY_HELLO: &str = "/helloworld.Greeter/SayHello";

/// `message` in gRPC's length-prefixed framing: no compression flag, the
/// length (big-endian u32), the encoded message.
pub fn frame(message: &impl prost::Message) -> Vec<u8> {
    let body = message.encode_to_vec();
    let len = u32::try_from(body.len()).expect("a message under 4 GiB");
    let mut framed = Vec::with_capacity(5 + body.len());
    framed.push(0);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(&body);
    framed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_length_prefixed() {
        let framed = frame(&HelloRequest {
            name: "bench".to_owned(),
            times: 0,
        });
        assert_eq!(framed, b"\0\0\0\0\x07\x0a\x05bench");
    }
}
