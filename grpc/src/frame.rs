//! gRPC's length-prefixed messages: each message of a request or response body
//! is a 1-byte compressed flag, a 4-byte big-endian length, then its bytes.

use std::fmt;
use std::io::Read;

use bytes::{BufMut, Bytes, BytesMut};

use crate::status::Code;

/// The length of a frame's header: the compressed flag and the length.
const HEADER_LEN: usize = 5;

/// The value of `grpc-accept-encoding` matching what [`decode_messages`] reads.
pub const ACCEPT_ENCODING: &str = "identity,gzip";

/// Why a body's messages could not be read, with the status the server answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameError {
    /// `INTERNAL` for a malformed body, `RESOURCE_EXHAUSTED` for a message over
    /// the size limit, `UNIMPLEMENTED` for an unsupported `grpc-encoding`.
    pub code: Code,
    /// One line for `grpc-message` (not yet percent-encoded).
    pub message: String,
}

impl FrameError {
    fn new(code: Code, message: impl Into<String>) -> FrameError {
        FrameError {
            code,
            message: message.into(),
        }
    }

    fn too_large(size: impl fmt::Display, max: usize) -> FrameError {
        FrameError::new(
            Code::ResourceExhausted,
            format!("gRPC message larger than max ({size} vs. {max} bytes)"),
        )
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for FrameError {}

/// The messages of a request or response body, in order.
///
/// A compressed message (flag 1) is decompressed with `encoding`, the
/// `grpc-encoding` header: `gzip` is supported; `identity` or no header with a
/// compressed message is `INTERNAL` (as gRPC's spec says); any other encoding is
/// `UNIMPLEMENTED` ("not supported"). Uncompressed messages never look at the
/// encoding.
///
/// Bounded: a message whose declared length, or whose decompressed size, is over
/// `max_message_bytes` is `RESOURCE_EXHAUSTED`, and nothing of that size is
/// allocated first (decompression stops one byte past the limit). A truncated
/// frame, or a flag other than 0 and 1, is `INTERNAL`. An empty body has no
/// messages.
pub fn decode_messages(
    body: &[u8],
    encoding: Option<&str>,
    max_message_bytes: usize,
) -> Result<Vec<Bytes>, FrameError> {
    let mut messages = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let Some((header, after)) = rest.split_first_chunk::<HEADER_LEN>() else {
            return Err(FrameError::new(
                Code::Internal,
                format!(
                    "truncated gRPC frame: {} bytes where a 5-byte header was expected",
                    rest.len()
                ),
            ));
        };
        let [flag, length @ ..] = *header;
        let declared = u32::from_be_bytes(length);
        let length = usize::try_from(declared)
            .ok()
            .filter(|length| *length <= max_message_bytes)
            .ok_or_else(|| FrameError::too_large(declared, max_message_bytes))?;
        let Some((message, after)) = after.split_at_checked(length) else {
            return Err(FrameError::new(
                Code::Internal,
                format!(
                    "truncated gRPC frame: {length} bytes declared, {} present",
                    after.len()
                ),
            ));
        };
        let message = match flag {
            0 => Bytes::copy_from_slice(message),
            1 => decompress(message, encoding, max_message_bytes)?,
            other => {
                return Err(FrameError::new(
                    Code::Internal,
                    format!("invalid gRPC compressed flag {other} (expected 0 or 1)"),
                ));
            }
        };
        messages.push(message);
        rest = after;
    }
    Ok(messages)
}

/// A compressed message's bytes, decompressed with `encoding`, at most `max` bytes.
fn decompress(message: &[u8], encoding: Option<&str>, max: usize) -> Result<Bytes, FrameError> {
    let encoding = encoding.map(str::trim).unwrap_or("identity");
    if encoding.eq_ignore_ascii_case("gzip") {
        let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(message)
            .take(limit)
            .read_to_end(&mut out)
            .map_err(|err| {
                FrameError::new(
                    Code::Internal,
                    format!("could not gunzip a gRPC message: {err}"),
                )
            })?;
        if out.len() > max {
            return Err(FrameError::too_large(
                format_args!("over {max} decompressed"),
                max,
            ));
        }
        Ok(Bytes::from(out))
    } else if encoding.eq_ignore_ascii_case("identity") {
        Err(FrameError::new(
            Code::Internal,
            "compressed gRPC message without a grpc-encoding",
        ))
    } else {
        Err(FrameError::new(
            Code::Unimplemented,
            format!("grpc-encoding '{encoding}' is not supported (supported: {ACCEPT_ENCODING})"),
        ))
    }
}

/// One uncompressed frame around `message`.
///
/// # Panics
///
/// If `message` is 4 GiB or longer, which a frame cannot declare.
pub fn encode_message(message: &[u8]) -> Bytes {
    let length = u32::try_from(message.len()).expect("a gRPC message is under 4 GiB");
    let mut frame = BytesMut::with_capacity(HEADER_LEN + message.len());
    frame.put_u8(0);
    frame.put_u32(length);
    frame.put_slice(message);
    frame.freeze()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).expect("writing to a Vec");
        encoder.finish().expect("writing to a Vec")
    }

    fn frame(flag: u8, message: &[u8]) -> Vec<u8> {
        let mut out = vec![flag];
        out.extend_from_slice(&u32::try_from(message.len()).expect("small").to_be_bytes());
        out.extend_from_slice(message);
        out
    }

    #[test]
    fn one_frame_decodes_to_its_message() {
        let body = encode_message(b"hello");
        assert_eq!(&body[..], b"\0\0\0\0\x05hello");
        let messages = decode_messages(&body, None, 1024).expect("valid");
        assert_eq!(messages, vec![Bytes::from_static(b"hello")]);
    }

    #[test]
    fn several_frames_decode_in_order_including_empty_messages() {
        let mut body = encode_message(b"one").to_vec();
        body.extend_from_slice(&encode_message(b""));
        body.extend_from_slice(&encode_message(b"three"));
        let messages = decode_messages(&body, Some("identity"), 1024).expect("valid");
        assert_eq!(messages, vec!["one", "", "three"]);
    }

    #[test]
    fn an_empty_body_has_no_messages() {
        assert_eq!(decode_messages(b"", None, 0), Ok(vec![]));
    }

    #[test]
    fn gzip_compressed_frames_are_decompressed() {
        let text = b"a message repeated, a message repeated, a message repeated";
        let mut body = frame(1, &gzip(text));
        body.extend_from_slice(&encode_message(b"plain"));
        let messages = decode_messages(&body, Some("gzip"), 1024).expect("valid");
        assert_eq!(messages, vec![&text[..], b"plain"]);
    }

    #[test]
    fn a_truncated_frame_is_internal() {
        let body = encode_message(b"hello");
        for cut in [1, 4, 5, 9] {
            let error = decode_messages(&body[..cut], None, 1024).expect_err("truncated");
            assert_eq!(error.code, Code::Internal, "cut at {cut}");
            assert!(error.message.contains("truncated"), "{error}");
        }
    }

    #[test]
    fn a_declared_length_over_the_cap_is_refused_before_allocating() {
        // Declares 4 GiB - 1 with 3 bytes present: refused from the header alone.
        let body = [0, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3];
        let error = decode_messages(&body, None, 1 << 20).expect_err("over the cap");
        assert_eq!(error.code, Code::ResourceExhausted);
        assert!(error.message.contains("4294967295"), "{error}");
    }

    #[test]
    fn a_message_exactly_at_the_cap_is_accepted() {
        let body = encode_message(&[7; 16]);
        assert_eq!(
            decode_messages(&body, None, 16).expect("at the cap").len(),
            1
        );
        let error = decode_messages(&body, None, 15).expect_err("over the cap");
        assert_eq!(error.code, Code::ResourceExhausted);
    }

    #[test]
    fn a_decompressed_size_over_the_cap_is_resource_exhausted() {
        let bomb = gzip(&vec![0; 1 << 20]);
        assert!(bomb.len() < 4096);
        let error = decode_messages(&frame(1, &bomb), Some("gzip"), 4096).expect_err("bomb");
        assert_eq!(error.code, Code::ResourceExhausted);
    }

    #[test]
    fn an_unknown_encoding_of_a_compressed_frame_is_unimplemented() {
        let error = decode_messages(&frame(1, b"xx"), Some("snappy"), 1024).expect_err("unknown");
        assert_eq!(error.code, Code::Unimplemented);
        assert!(
            error.message.contains("'snappy' is not supported"),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_encoding_does_not_matter_to_uncompressed_frames() {
        let messages = decode_messages(&encode_message(b"x"), Some("snappy"), 1024);
        assert_eq!(messages, Ok(vec![Bytes::from_static(b"x")]));
    }

    #[test]
    fn a_compressed_frame_without_an_encoding_is_internal() {
        let error = decode_messages(&frame(1, &gzip(b"x")), None, 1024).expect_err("no encoding");
        assert_eq!(error.code, Code::Internal);
    }

    #[test]
    fn corrupt_gzip_and_invalid_flags_are_internal() {
        let error = decode_messages(&frame(1, b"not gzip"), Some("gzip"), 1024).expect_err("bad");
        assert_eq!(error.code, Code::Internal);
        let error = decode_messages(&frame(2, b"x"), None, 1024).expect_err("bad flag");
        assert_eq!(error.code, Code::Internal);
    }
}
