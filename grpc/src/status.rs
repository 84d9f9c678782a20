//! gRPC status codes, and the percent-encoding of `grpc-message`.

use std::fmt;

/// A gRPC status code, as sent in the `grpc-status` trailer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Code {
    /// `OK` (0): not an error.
    Ok = 0,
    /// `CANCELLED` (1): the operation was cancelled, typically by the caller.
    Cancelled,
    /// `UNKNOWN` (2): an unknown error.
    Unknown,
    /// `INVALID_ARGUMENT` (3): the client specified an invalid argument.
    InvalidArgument,
    /// `DEADLINE_EXCEEDED` (4): the deadline expired before the operation completed.
    DeadlineExceeded,
    /// `NOT_FOUND` (5): some requested entity was not found.
    NotFound,
    /// `ALREADY_EXISTS` (6): the entity a client tried to create already exists.
    AlreadyExists,
    /// `PERMISSION_DENIED` (7): the caller may not execute the operation.
    PermissionDenied,
    /// `RESOURCE_EXHAUSTED` (8): some resource (a quota, a message size) was exhausted.
    ResourceExhausted,
    /// `FAILED_PRECONDITION` (9): the system is not in a state the operation requires.
    FailedPrecondition,
    /// `ABORTED` (10): the operation was aborted, typically by a concurrency issue.
    Aborted,
    /// `OUT_OF_RANGE` (11): the operation was attempted past the valid range.
    OutOfRange,
    /// `UNIMPLEMENTED` (12): the operation is not implemented or not supported.
    Unimplemented,
    /// `INTERNAL` (13): an internal error.
    Internal,
    /// `UNAVAILABLE` (14): the service is currently unavailable.
    Unavailable,
    /// `DATA_LOSS` (15): unrecoverable data loss or corruption.
    DataLoss,
    /// `UNAUTHENTICATED` (16): the request lacks valid authentication credentials.
    Unauthenticated,
}

/// Every code, in numeric order (the index is the number).
const ALL: [Code; 17] = [
    Code::Ok,
    Code::Cancelled,
    Code::Unknown,
    Code::InvalidArgument,
    Code::DeadlineExceeded,
    Code::NotFound,
    Code::AlreadyExists,
    Code::PermissionDenied,
    Code::ResourceExhausted,
    Code::FailedPrecondition,
    Code::Aborted,
    Code::OutOfRange,
    Code::Unimplemented,
    Code::Internal,
    Code::Unavailable,
    Code::DataLoss,
    Code::Unauthenticated,
];

impl Code {
    /// The code a name stands for: its canonical name (`"NOT_FOUND"`, compared
    /// case-insensitively, as WireMock's gRPC extension reads `grpc-status-name`),
    /// or its number (`"5"`). Surrounding whitespace is ignored.
    pub fn from_name(name: &str) -> Option<Code> {
        let name = name.trim();
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
            return name.parse::<u32>().ok().and_then(Code::from_number);
        }
        ALL.into_iter()
            .find(|code| code.name().eq_ignore_ascii_case(name))
    }

    /// The code of a `grpc-status` number, if it is one of the 17 codes.
    pub fn from_number(number: u32) -> Option<Code> {
        usize::try_from(number)
            .ok()
            .and_then(|index| ALL.get(index))
            .copied()
    }

    /// The number sent in `grpc-status`.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// The canonical name, e.g. `"NOT_FOUND"`.
    pub fn name(self) -> &'static str {
        match self {
            Code::Ok => "OK",
            Code::Cancelled => "CANCELLED",
            Code::Unknown => "UNKNOWN",
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
            Code::NotFound => "NOT_FOUND",
            Code::AlreadyExists => "ALREADY_EXISTS",
            Code::PermissionDenied => "PERMISSION_DENIED",
            Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
            Code::FailedPrecondition => "FAILED_PRECONDITION",
            Code::Aborted => "ABORTED",
            Code::OutOfRange => "OUT_OF_RANGE",
            Code::Unimplemented => "UNIMPLEMENTED",
            Code::Internal => "INTERNAL",
            Code::Unavailable => "UNAVAILABLE",
            Code::DataLoss => "DATA_LOSS",
            Code::Unauthenticated => "UNAUTHENTICATED",
        }
    }

    /// The code gRPC maps an HTTP status to when a response carries no
    /// `grpc-status` (gRPC's `http-grpc-status-mapping.md`, also what WireMock's
    /// gRPC extension answers for a stub's non-200 HTTP status): 400 `INTERNAL`,
    /// 401 `UNAUTHENTICATED`, 403 `PERMISSION_DENIED`, 404 `UNIMPLEMENTED`,
    /// 429, 502, 503 and 504 `UNAVAILABLE`, anything else (200 included, since
    /// the mapping only applies when `grpc-status` is missing) `UNKNOWN`.
    pub fn from_http(status: u16) -> Code {
        match status {
            400 => Code::Internal,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::Unimplemented,
            429 | 502 | 503 | 504 => Code::Unavailable,
            _ => Code::Unknown,
        }
    }
}

impl fmt::Display for Code {
    /// The canonical name, e.g. `NOT_FOUND`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `grpc-message`'s percent-encoding (gRPC's HTTP/2 protocol spec): the UTF-8
/// bytes outside `0x20..=0x7E`, and `%` itself, written as `%XX` (upper-case hex).
pub fn encode_message_text(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if (0x20..=0x7E).contains(&byte) && byte != b'%' {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
    out
}

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
    fn every_code_name_round_trips() {
        for code in ALL {
            assert_eq!(Code::from_name(code.name()), Some(code));
            assert_eq!(Code::from_number(u32::from(code.number())), Some(code));
        }
    }

    #[test]
    fn code_names_are_case_insensitive_and_numbers_are_accepted() {
        assert_eq!(Code::from_name("not_found"), Some(Code::NotFound));
        assert_eq!(Code::from_name(" Unavailable "), Some(Code::Unavailable));
        assert_eq!(Code::from_name("5"), Some(Code::NotFound));
        assert_eq!(Code::from_name("16"), Some(Code::Unauthenticated));
        assert_eq!(Code::from_name("17"), None);
        assert_eq!(Code::from_name("NOPE"), None);
        assert_eq!(Code::from_name(""), None);
        assert_eq!(Code::NotFound.to_string(), "NOT_FOUND");
    }

    #[test]
    fn http_statuses_map_as_grpc_specifies() {
        assert_eq!(Code::from_http(400), Code::Internal);
        assert_eq!(Code::from_http(401), Code::Unauthenticated);
        assert_eq!(Code::from_http(403), Code::PermissionDenied);
        assert_eq!(Code::from_http(404), Code::Unimplemented);
        for status in [429, 502, 503, 504] {
            assert_eq!(Code::from_http(status), Code::Unavailable);
        }
        assert_eq!(Code::from_http(500), Code::Unknown);
        assert_eq!(Code::from_http(418), Code::Unknown);
    }

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
