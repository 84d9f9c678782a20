//! The request message: the [`Message`] extractor, and gRPC's framing.

use super::Status;
use crate::{FromRequest, Request};

/// The call's request message, decoded from its gRPC frame.
///
/// The body of a gRPC call is length-prefixed frames (1 byte "compressed"
/// flag, 4 bytes big-endian length, the message); a unary or
/// server-streaming call sends exactly one. `#[grpc]` extracts the handler's
/// first argument with it. A call it cannot read is refused with a
/// [`Status`]: `INTERNAL` for a missing, cut-short or extra frame,
/// `INVALID_ARGUMENT` for bytes that do not decode as `T`, `UNIMPLEMENTED`
/// for a compressed message (the SDK decompresses none; gRPC clients
/// compress only when told to).
///
/// ```
/// use fake_servicer::grpc::Message;
/// use fake_servicer::prelude::*;
///
/// #[derive(Clone, PartialEq, prost::Message)]
/// struct Ping {
///     #[prost(uint32, tag = "1")]
///     seq: u32,
/// }
///
/// // What `#[grpc]` does for you; as a plain route it reads the same.
/// #[route(post, "/health.Pinger/Ping")]
/// fn ping(Message(ping): Message<Ping>) -> Response {
///     fake_servicer::grpc::unary(Ok(Ping { seq: ping.seq + 1 }))
/// }
/// # fn main() {
/// assert_eq!(ping(Message(Ping { seq: 1 })).header_value("grpc-status"), Some(&b"0"[..]));
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Message<T>(pub T);

impl<T> Message<T> {
    /// The message.
    ///
    /// ```
    /// use fake_servicer::grpc::Message;
    ///
    /// assert_eq!(Message(7u32).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: prost::Message + Default> FromRequest for Message<T> {
    type Rejection = Status;

    fn from_request(req: &Request<'_>) -> Result<Self, Status> {
        let payload = one_frame(req.body(), req.header("grpc-encoding"))?;
        T::decode(payload).map(Message).map_err(|e| {
            Status::invalid_argument(format!(
                "the request message is not a valid {}: {e}",
                short_type_name::<T>()
            ))
        })
    }
}

/// Every request message of a client-streaming or bidirectional call, in
/// the order sent: the first argument of a `#[grpc(client_stream, …)]` or
/// `#[grpc(bidi, …)]` handler, `Vec<T>` (the macro extracts it). The
/// server reads the client's whole stream before the handler runs.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[derive(Clone, PartialEq, prost::Message)]
/// struct Num {
///     #[prost(int32, tag = "1")]
///     n: i32,
/// }
///
/// #[grpc(client_stream, "/calc.Calc/Sum")]
/// fn sum(nums: Vec<Num>) -> Result<Num, Status> {
///     Ok(Num { n: nums.iter().map(|m| m.n).sum() })
/// }
/// # fn main() {
/// assert_eq!(sum(vec![Num { n: 1 }, Num { n: 2 }]).map(|m| m.n), Ok(3));
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Messages<C>(pub C);

impl<T: prost::Message + Default> FromRequest for Messages<Vec<T>> {
    type Rejection = Status;

    fn from_request(req: &Request<'_>) -> Result<Self, Status> {
        frames(req.body(), req.header("grpc-encoding"))?
            .into_iter()
            .map(|payload| {
                T::decode(payload).map_err(|e| {
                    Status::invalid_argument(format!(
                        "a request message is not a valid {}: {e}",
                        short_type_name::<T>()
                    ))
                })
            })
            .collect::<Result<Vec<T>, Status>>()
            .map(Messages)
    }
}

/// `T`'s name without its module path (`HelloRequest`).
fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

/// The one message of a call's body.
pub(crate) fn one_frame<'a>(body: &'a [u8], encoding: Option<&str>) -> Result<&'a [u8], Status> {
    match frames(body, encoding)?.as_slice() {
        [] => Err(Status::internal("the call carries no request message")),
        [one] => Ok(one),
        _ => Err(Status::internal(
            "the call sent more than one request message; this method takes one",
        )),
    }
}

/// Every message of a call's body, in order.
pub(crate) fn frames<'a>(
    mut body: &'a [u8],
    encoding: Option<&str>,
) -> Result<Vec<&'a [u8]>, Status> {
    let mut messages = Vec::new();
    while !body.is_empty() {
        let (message, rest) = next_frame(body, encoding)?;
        messages.push(message);
        body = rest;
    }
    Ok(messages)
}

/// The first message of `body` and what follows it.
fn next_frame<'a>(body: &'a [u8], encoding: Option<&str>) -> Result<(&'a [u8], &'a [u8]), Status> {
    let Some((&compressed, rest)) = body.split_first() else {
        return Err(Status::internal("the call carries no request message"));
    };
    let Some((length, rest)) = rest.split_first_chunk::<4>() else {
        return Err(Status::internal(format!(
            "the request's gRPC frame is cut short: {} bytes, a frame header is 5",
            body.len()
        )));
    };
    match compressed {
        0 => {}
        1 => {
            let encoding = encoding.unwrap_or("identity");
            return Err(Status::unimplemented(format!(
                "compressed messages are not supported by this plugin \
                 (grpc-encoding: {encoding}); send them uncompressed"
            )));
        }
        other => {
            return Err(Status::internal(format!(
                "the request's gRPC frame has compressed flag {other} (0 or 1)"
            )));
        }
    }
    let length = u32::from_be_bytes(*length);
    usize::try_from(length)
        .ok()
        .and_then(|n| rest.split_at_checked(n))
        .ok_or_else(|| {
            Status::internal(format!(
                "the request's gRPC frame is cut short: it announces {length} bytes, {} came",
                rest.len()
            ))
        })
}

/// `message` in a gRPC frame (uncompressed), or `INTERNAL` for a message
/// past the frame's 4 GiB.
pub(crate) fn frame(message: &impl prost::Message) -> Result<Vec<u8>, Status> {
    let len = message.encoded_len();
    let prefix = u32::try_from(len).map_err(|_| {
        Status::internal(format!(
            "the answer's message is {len} bytes, more than a gRPC frame holds"
        ))
    })?;
    let mut out = Vec::with_capacity(5 + len);
    out.push(0);
    out.extend_from_slice(&prefix.to_be_bytes());
    out.extend_from_slice(&message.encode_to_vec());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::Code;

    #[derive(Clone, PartialEq, prost::Message)]
    struct Hello {
        #[prost(string, tag = "1")]
        name: String,
    }

    #[test]
    fn a_message_is_framed_with_flag_and_big_endian_length() {
        let framed = frame(&Hello { name: "ann".into() }).expect("framed");
        // field 1, wire type 2 (0x0a), length 3, "ann"
        assert_eq!(framed, b"\x00\x00\x00\x00\x05\x0a\x03ann");
        assert_eq!(frame(&Hello::default()).expect("framed"), b"\0\0\0\0\0");
    }

    #[test]
    fn one_frame_reads_what_frame_wrote() {
        let framed = frame(&Hello { name: "bob".into() }).expect("framed");
        let payload = one_frame(&framed, None).expect("one frame");
        assert_eq!(
            <Hello as prost::Message>::decode(payload).expect("decodes"),
            Hello { name: "bob".into() }
        );
        // An empty message is a 5-byte frame.
        assert_eq!(one_frame(b"\0\0\0\0\0", None).map(<[u8]>::len), Ok(0));
    }

    #[test]
    fn bad_frames_are_internal() {
        let code = |body: &[u8]| one_frame(body, None).map(|_| ()).map_err(|s| s.code);
        assert_eq!(code(b""), Err(Code::Internal));
        assert_eq!(code(b"\0\0\0"), Err(Code::Internal));
        assert_eq!(code(b"\0\0\0\0\x05ab"), Err(Code::Internal));
        assert_eq!(code(b"\0\0\0\0\x01ab"), Err(Code::Internal));
        assert_eq!(code(b"\0\0\0\0\0\0\0\0\0\0"), Err(Code::Internal));
        assert_eq!(code(b"\x02\0\0\0\0"), Err(Code::Internal));
        let cut = one_frame(b"\0\0\0\0\x05ab", None).unwrap_err();
        assert_eq!(
            cut.message,
            "the request's gRPC frame is cut short: it announces 5 bytes, 2 came"
        );
    }

    #[test]
    fn compressed_messages_are_unimplemented() {
        for encoding in [None, Some("gzip"), Some("deflate")] {
            let refused = one_frame(b"\x01\0\0\0\x01x", encoding).unwrap_err();
            assert_eq!(refused.code, Code::Unimplemented);
            assert!(
                refused.message.starts_with("compressed messages"),
                "{refused}"
            );
        }
        let gzip = one_frame(b"\x01\0\0\0\x01x", Some("gzip")).unwrap_err();
        assert!(gzip.message.contains("grpc-encoding: gzip"), "{gzip}");
    }

    #[test]
    fn the_type_name_is_short() {
        assert_eq!(short_type_name::<Hello>(), "Hello");
        assert_eq!(short_type_name::<u32>(), "u32");
    }
}
