//! gRPC status codes and the [`Status`] answer.

use crate::response::{IntoResponse, Response};
use std::fmt;

/// A gRPC status code, as sent in `grpc-status`.
///
/// ```
/// use fake_servicer::grpc::Code;
///
/// assert_eq!(Code::NotFound.number(), 5);
/// assert_eq!(Code::NotFound.name(), "NOT_FOUND");
/// assert_eq!(Code::from_number(5), Some(Code::NotFound));
/// assert_eq!(Code::from_number(17), None);
/// assert_eq!(Code::DeadlineExceeded.to_string(), "DEADLINE_EXCEEDED");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// `OK` (0): not an error.
    Ok = 0,
    /// `CANCELLED` (1): the operation was cancelled, typically by the caller.
    Cancelled = 1,
    /// `UNKNOWN` (2): an unknown error.
    Unknown = 2,
    /// `INVALID_ARGUMENT` (3): the client specified an invalid argument.
    InvalidArgument = 3,
    /// `DEADLINE_EXCEEDED` (4): the deadline expired before the operation
    /// completed.
    DeadlineExceeded = 4,
    /// `NOT_FOUND` (5): some requested entity was not found.
    NotFound = 5,
    /// `ALREADY_EXISTS` (6): the entity a client tried to create already
    /// exists.
    AlreadyExists = 6,
    /// `PERMISSION_DENIED` (7): the caller may not execute the operation.
    PermissionDenied = 7,
    /// `RESOURCE_EXHAUSTED` (8): some resource (a quota, a message size) is
    /// exhausted.
    ResourceExhausted = 8,
    /// `FAILED_PRECONDITION` (9): the system is not in a state the operation
    /// requires.
    FailedPrecondition = 9,
    /// `ABORTED` (10): the operation was aborted, typically by a concurrency
    /// issue.
    Aborted = 10,
    /// `OUT_OF_RANGE` (11): the operation was attempted past the valid range.
    OutOfRange = 11,
    /// `UNIMPLEMENTED` (12): the operation is not implemented or not
    /// supported.
    Unimplemented = 12,
    /// `INTERNAL` (13): an internal error.
    Internal = 13,
    /// `UNAVAILABLE` (14): the service is currently unavailable.
    Unavailable = 14,
    /// `DATA_LOSS` (15): unrecoverable data loss or corruption.
    DataLoss = 15,
    /// `UNAUTHENTICATED` (16): the request lacks valid authentication
    /// credentials.
    Unauthenticated = 16,
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
    /// The code's number, as sent in `grpc-status`.
    ///
    /// ```
    /// use fake_servicer::grpc::Code;
    ///
    /// assert_eq!(Code::Ok.number(), 0);
    /// assert_eq!(Code::Unauthenticated.number(), 16);
    /// ```
    pub const fn number(self) -> i32 {
        self as i32
    }

    /// The code a number stands for, if it is one of the 17.
    ///
    /// ```
    /// use fake_servicer::grpc::Code;
    ///
    /// assert_eq!(Code::from_number(3), Some(Code::InvalidArgument));
    /// assert_eq!(Code::from_number(-1), None);
    /// ```
    pub fn from_number(number: i32) -> Option<Code> {
        usize::try_from(number)
            .ok()
            .and_then(|i| ALL.get(i))
            .copied()
    }

    /// The code a name stands for: its canonical name (`"NOT_FOUND"`,
    /// compared case-insensitively, as WireMock's gRPC extension reads
    /// `grpc-status-name`), or its number (`"5"`); surrounding whitespace
    /// is ignored.
    ///
    /// ```
    /// use fake_servicer::grpc::Code;
    ///
    /// assert_eq!(Code::from_name("not_found"), Some(Code::NotFound));
    /// assert_eq!(Code::from_name(" 14 "), Some(Code::Unavailable));
    /// assert_eq!(Code::from_name("17"), None);
    /// assert_eq!(Code::from_name("NOPE"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Code> {
        let name = name.trim();
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
            return name.parse::<i32>().ok().and_then(Code::from_number);
        }
        ALL.into_iter()
            .find(|code| code.name().eq_ignore_ascii_case(name))
    }

    /// The code gRPC maps an HTTP status to when an answer carries no
    /// `grpc-status` (gRPC's HTTP to gRPC status mapping, also what
    /// WireMock's gRPC extension answers for a stub's other HTTP status):
    /// 400 `INTERNAL`, 401 `UNAUTHENTICATED`, 403 `PERMISSION_DENIED`, 404
    /// `UNIMPLEMENTED`, 429, 502, 503 and 504 `UNAVAILABLE`, anything else
    /// `UNKNOWN`.
    ///
    /// ```
    /// use fake_servicer::grpc::Code;
    ///
    /// assert_eq!(Code::from_http(404), Code::Unimplemented);
    /// assert_eq!(Code::from_http(503), Code::Unavailable);
    /// assert_eq!(Code::from_http(418), Code::Unknown);
    /// ```
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

    /// The code's canonical name, as gRPC documents it (`"NOT_FOUND"`).
    ///
    /// ```
    /// use fake_servicer::grpc::Code;
    ///
    /// assert_eq!(Code::InvalidArgument.name(), "INVALID_ARGUMENT");
    /// ```
    pub const fn name(self) -> &'static str {
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
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A gRPC call's status: what a handler answers instead of a message.
///
/// As a response (a handler's `Err`, or any [`IntoResponse`]) it is gRPC's
/// "trailers-only" answer: HTTP 200 with `content-type: application/grpc`,
/// `grpc-status: <number>`, `grpc-message` (percent-encoded as the gRPC
/// spec says; left out when empty) and `grpc-status-details-bin` (the
/// details, base64 without padding; left out when empty), and no body.
///
/// ```
/// use fake_servicer::grpc::{Code, Status};
/// use fake_servicer::IntoResponse;
///
/// let status = Status::not_found("no user 7 — sorry").with_details(vec![8, 5]);
/// assert_eq!(status.code, Code::NotFound);
/// assert_eq!(status.to_string(), "NOT_FOUND: no user 7 — sorry");
///
/// let r = status.into_response();
/// assert_eq!(r.status_code().as_u16(), 200);
/// assert_eq!(r.header_value("content-type"), Some(&b"application/grpc"[..]));
/// assert_eq!(r.header_value("grpc-status"), Some(&b"5"[..]));
/// assert_eq!(r.header_value("grpc-message"), Some(&b"no user 7 %E2%80%94 sorry"[..]));
/// assert_eq!(r.header_value("grpc-status-details-bin"), Some(&b"CAU"[..]));
/// assert!(r.body_bytes().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Status {
    /// The code.
    pub code: Code,
    /// A message for the developer reading it (may be empty).
    pub message: String,
    /// Binary details, usually an encoded `google.rpc.Status` (may be
    /// empty).
    pub details: Vec<u8>,
}

/// The constructor of each code, with its doc example.
macro_rules! constructors {
    ($($fn_name:ident => $code:ident),* $(,)?) => {$(
        #[doc = concat!("A status with code [`Code::", stringify!($code), "`].")]
        ///
        /// ```
        /// use fake_servicer::grpc::{Code, Status};
        ///
        #[doc = concat!("let status = Status::", stringify!($fn_name), "(\"why\");")]
        #[doc = concat!("assert_eq!(status.code, Code::", stringify!($code), ");")]
        /// assert_eq!(status.message, "why");
        /// ```
        pub fn $fn_name(message: impl Into<String>) -> Status {
            Status::new(Code::$code, message)
        }
    )*};
}

impl Status {
    /// A status with any code and a message.
    ///
    /// ```
    /// use fake_servicer::grpc::{Code, Status};
    ///
    /// let status = Status::new(Code::Unavailable, "try again");
    /// assert_eq!(status.code, Code::Unavailable);
    /// assert!(status.details.is_empty());
    /// ```
    pub fn new(code: Code, message: impl Into<String>) -> Status {
        Status {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// Sets the binary details (`grpc-status-details-bin`), usually an
    /// encoded `google.rpc.Status`.
    ///
    /// ```
    /// use fake_servicer::grpc::Status;
    ///
    /// let status = Status::aborted("conflict").with_details(b"\x08\x0a".to_vec());
    /// assert_eq!(status.details, b"\x08\x0a");
    /// ```
    pub fn with_details(mut self, details: impl Into<Vec<u8>>) -> Status {
        self.details = details.into();
        self
    }

    constructors! {
        ok => Ok,
        cancelled => Cancelled,
        unknown => Unknown,
        invalid_argument => InvalidArgument,
        deadline_exceeded => DeadlineExceeded,
        not_found => NotFound,
        already_exists => AlreadyExists,
        permission_denied => PermissionDenied,
        resource_exhausted => ResourceExhausted,
        failed_precondition => FailedPrecondition,
        aborted => Aborted,
        out_of_range => OutOfRange,
        unimplemented => Unimplemented,
        internal => Internal,
        unavailable => Unavailable,
        data_loss => DataLoss,
        unauthenticated => Unauthenticated,
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

impl std::error::Error for Status {}

impl IntoResponse for Status {
    fn into_response(self) -> Response {
        let mut r = Response::new()
            .header("content-type", "application/grpc")
            .header("grpc-status", self.code.number().to_string());
        if !self.message.is_empty() {
            r = r.header("grpc-message", encode_message_text(&self.message));
        }
        if !self.details.is_empty() {
            r = r.header("grpc-status-details-bin", base64_unpadded(&self.details));
        }
        r
    }
}

/// `grpc-message`'s encoding (gRPC over HTTP/2, "Percent-Encoded"): bytes
/// 0x20–0x7E but `%` as they are, every other byte of the UTF-8 text as
/// `%XX`.
///
/// ```
/// use fake_servicer::grpc::encode_message_text;
///
/// assert_eq!(encode_message_text("100% café"), "100%25 caf%C3%A9");
/// ```
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

/// Standard base64 without padding, as gRPC sends `-bin` metadata.
pub(crate) fn base64_unpadded(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sextet = |n: u32| char::from(ALPHABET[(n & 0x3F) as usize]);
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| chunk.get(i).map_or(0, |&v| u32::from(v));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sextet(n >> 18));
        out.push(sextet(n >> 12));
        if chunk.len() > 1 {
            out.push(sextet(n >> 6));
        }
        if chunk.len() > 2 {
            out.push(sextet(n));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_number_and_name() {
        for (i, code) in ALL.iter().enumerate() {
            assert_eq!(usize::try_from(code.number()).ok(), Some(i));
            assert_eq!(Code::from_number(code.number()), Some(*code));
        }
        assert_eq!(Code::from_number(17), None);
        assert_eq!(Code::Ok.name(), "OK");
        assert_eq!(Code::FailedPrecondition.name(), "FAILED_PRECONDITION");
        assert_eq!(Code::Unauthenticated.name(), "UNAUTHENTICATED");
    }

    #[test]
    fn messages_are_percent_encoded_as_the_grpc_spec_says() {
        assert_eq!(encode_message_text("plain text, 100"), "plain text, 100");
        assert_eq!(encode_message_text("50% off"), "50%25 off");
        assert_eq!(encode_message_text("a\nb\tc"), "a%0Ab%09c");
        assert_eq!(encode_message_text("café"), "caf%C3%A9");
        assert_eq!(encode_message_text("\u{7f}~ "), "%7F~ ");
        assert_eq!(encode_message_text(""), "");
    }

    #[test]
    fn details_are_base64_without_padding() {
        // RFC 4648's test vectors, padding removed.
        for (raw, encoded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_unpadded(raw.as_bytes()), encoded, "{raw:?}");
        }
        assert_eq!(base64_unpadded(&[0xFB, 0xFF, 0xBF]), "+/+/");
    }

    #[test]
    fn a_status_is_a_trailers_only_answer() {
        let r = Status::invalid_argument("name is empty").into_response();
        assert_eq!(r.status_code(), http::StatusCode::OK);
        assert_eq!(
            r.header_value("content-type"),
            Some(&b"application/grpc"[..])
        );
        assert_eq!(r.header_value("grpc-status"), Some(&b"3"[..]));
        assert_eq!(r.header_value("grpc-message"), Some(&b"name is empty"[..]));
        assert_eq!(r.header_value("grpc-status-details-bin"), None);
        assert!(r.body_bytes().is_empty());
        assert!(r.into_ffi().chunks.is_empty());
    }

    #[test]
    fn an_empty_message_is_left_out() {
        let r = Status::new(Code::Unavailable, "").into_response();
        assert_eq!(r.header_value("grpc-status"), Some(&b"14"[..]));
        assert_eq!(r.header_value("grpc-message"), None);
        assert_eq!(Status::unavailable("").to_string(), "UNAVAILABLE");
    }
}
