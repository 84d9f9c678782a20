//! gRPC status codes and `grpc-message`'s percent-encoding: the SDK's
//! (plugins answer with the same codes), and the decoding the server's
//! tests and logs read messages with.

pub use fake_servicer::grpc::{Code, encode_message_text};

/// The text of a percent-encoded `grpc-message`, leniently as gRPC clients read it:
/// a `%` not followed by two hex digits is kept as is, and bytes that are not
/// UTF-8 become U+FFFD.
pub fn decode_message_text(encoded: &str) -> String {
    fn hex(byte: u8) -> Option<u8> {
        char::from(byte)
            .to_digit(16)
            .and_then(|digit| u8::try_from(digit).ok())
    }
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', high, low]) => hex(*high).zip(hex(*low)),
            _ => None,
        };
        match escaped {
            Some((high, low)) => {
                out.push((high << 4) | low);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_text_escapes_percent_and_bytes_outside_printable_ascii() {
        assert_eq!(encode_message_text("plain text: ok!"), "plain text: ok!");
        assert_eq!(encode_message_text("100%"), "100%25");
        assert_eq!(encode_message_text("a\nb\tc"), "a%0Ab%09c");
        assert_eq!(encode_message_text("café ☕"), "caf%C3%A9 %E2%98%95");
        assert_eq!(encode_message_text("\u{7f}~"), "%7F~");
    }

    #[test]
    fn message_text_decodes_what_it_encodes_and_tolerates_stray_percents() {
        let text = "100% café\r\n ☕";
        assert_eq!(decode_message_text(&encode_message_text(text)), text);
        assert_eq!(decode_message_text("50%zz%4"), "50%zz%4");
        assert_eq!(decode_message_text("%FF"), "\u{fffd}");
    }
}
