//! gzip as WireMock 3 does it, unless `--disable-gzip` (`Config::gzip`
//! off):
//!
//! - a request body is decoded before anything sees it (matching, the
//!   journal, plugins, a proxied upstream — which gets it gzipped again)
//!   when its first `Content-Encoding` names gzip (any case, `x-gzip`
//!   too) or when it starts with gzip's magic bytes; concatenated members
//!   are decoded one after the other. The decoded bytes count against
//!   `--max-body-bytes` (413 past it, and decoding stops there: a small
//!   bomb costs no more than a body of the cap); a body that is not gzip
//!   is answered 500. `deflate` is not decoded.
//! - a stub's answer is gzipped (`Content-Encoding: gzip`, no `Vary`) for
//!   a client whose `Accept-Encoding` names gzip with a non-zero quality,
//!   when the method is GET, POST, PUT, PATCH or DELETE, the status is 2xx
//!   but 204 and 205, the answer has no `Content-Encoding` of its own, no
//!   `Content-Length` of its own under 32, and its content type is not
//!   one already compressed (Jetty's list: known image, audio and video
//!   types but SVG, zip, gzip, bzip2, brotli, xz, rar, compress, event
//!   streams); the path does not end in `.svgz`. An `ETag` gets `--gzip`
//!   appended. Any size, even an empty body. A dribbled body is
//!   compressed whole and its compressed bytes dribbled in as many chunks,
//!   on the same schedule.
//!
//! The journal keeps the request body decoded and the answer as it was
//! before compression, as WireMock's does. Bodies past a few KiB are
//! (de)compressed on the blocking pool (`crate::offload`).

use crate::{
    plan::{Plan, PlanBody},
    refusal::Refusal,
};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use std::io::{Read, Write};

/// gzip's first two bytes.
const MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Request bodies up to this long are decoded on the async worker (at
/// most about 1 MiB out: deflate expands at most ~1032 times).
const DECODE_INLINE: usize = 1024;

/// Answer bodies up to this long are compressed on the async worker.
const ENCODE_INLINE: usize = 16 * 1024;

/// An answer with a `Content-Length` of its own under this is sent as is
/// (Jetty's `minGzipSize`; without one, every size is compressed).
const MIN_DECLARED: u64 = 32;

/// Content types sent as they are: Jetty's known image, audio and video
/// types (but SVG), and compressed archives.
const UNCOMPRESSED_TYPES: &[&str] = &[
    "application/brotli",
    "application/bzip2",
    "application/compress",
    "application/gzip",
    "application/x-rar-compressed",
    "application/x-xz",
    "application/zip",
    "audio/basic",
    "audio/midi",
    "audio/mpeg",
    "audio/x-aiff",
    "audio/x-pn-realaudio",
    "audio/x-wav",
    "image/apng",
    "image/avif",
    "image/bmp",
    "image/gif",
    "image/ief",
    "image/jpeg",
    "image/jpeg2000",
    "image/png",
    "image/tiff",
    "image/vnd.wap.wbmp",
    "image/webp",
    "image/x-cmu-raster",
    "image/x-icon",
    "image/x-portable-anymap",
    "image/x-portable-bitmap",
    "image/x-portable-graymap",
    "image/x-portable-pixmap",
    "image/x-rgb",
    "image/x-xbitmap",
    "image/x-xpixmap",
    "image/x-xwindowdump",
    "image/xcf",
    "text/event-stream",
    "video/mp4",
    "video/mpeg",
    "video/quicktime",
    "video/vnd.rn-realvideo",
    "video/x-msvideo",
    "video/x-sgi-movie",
    "video/x.ms.asf",
    "video/x.ms.asx",
];

/// Whether a request body is gzip to decode: not empty, and its first
/// `Content-Encoding` names gzip or it starts with gzip's magic bytes.
pub(crate) fn is_gzipped(headers: &HeaderMap, body: &[u8]) -> bool {
    !body.is_empty()
        && (body.starts_with(&MAGIC) || names_gzip(headers.get(header::CONTENT_ENCODING)))
}

/// Whether a `Content-Encoding` value names gzip (any case).
pub(crate) fn names_gzip(value: Option<&HeaderValue>) -> bool {
    value.is_some_and(|v| {
        v.as_bytes()
            .windows(4)
            .any(|w| w.eq_ignore_ascii_case(b"gzip"))
    })
}

/// `body` decoded: at most `max` bytes (413 past them); 500 when it is
/// not gzip.
pub(crate) async fn decode_request(body: Bytes, max: usize) -> Result<Bytes, Plan> {
    let decoded = if body.len() <= DECODE_INLINE {
        gunzip(&body, max)
    } else {
        crate::offload::run_whole(move || gunzip(&body, max))
            .await
            .unwrap_or_else(|e| Err(Gunzip::Invalid(e)))
    };
    match decoded {
        Ok(bytes) => Ok(Bytes::from(bytes)),
        Err(Gunzip::TooLarge) => Err(Refusal::BodyTooLarge { max }.plan()),
        Err(Gunzip::Invalid(error)) => Err(Refusal::BodyNotGzip { error }.plan()),
    }
}

/// Why a body could not be decoded.
#[derive(Debug, PartialEq, Eq)]
enum Gunzip {
    /// It decodes to more than the cap.
    TooLarge,
    /// It is not gzip.
    Invalid(String),
}

/// The members of `input` decoded one after the other, stopping at the
/// first byte past `max`; bytes after the last member that do not start
/// another are ignored (as Java's `GZIPInputStream` does).
fn gunzip(mut input: &[u8], max: usize) -> Result<Vec<u8>, Gunzip> {
    let mut out = Vec::new();
    loop {
        let mut member = flate2::bufread::GzDecoder::new(input);
        let room = (max.saturating_sub(out.len()) as u64).saturating_add(1);
        (&mut member)
            .take(room)
            .read_to_end(&mut out)
            .map_err(|e| Gunzip::Invalid(e.to_string()))?;
        if out.len() > max {
            return Err(Gunzip::TooLarge);
        }
        input = member.into_inner();
        if !input.starts_with(&MAGIC) {
            return Ok(out);
        }
    }
}

/// Whether a request's stub answer may be gzipped: a method WireMock
/// compresses answers to, a client that accepts gzip, a path not ending
/// in `.svgz`.
pub(crate) fn wanted(method: &Method, headers: &HeaderMap, path: &str) -> bool {
    matches!(
        *method,
        Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) && accepts_gzip(headers)
        && !path.ends_with(".svgz")
}

/// Whether `Accept-Encoding` names gzip with a quality above zero (`*`
/// does not count, as in Jetty).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            name.eq_ignore_ascii_case("gzip")
                && parts
                    .filter_map(|p| {
                        let (k, v) = p.split_once('=')?;
                        k.trim().eq_ignore_ascii_case("q").then(|| v.trim())
                    })
                    .next()
                    .is_none_or(|q| q.parse::<f32>().is_ok_and(|q| q > 0.0))
        })
}

/// Gzips a stub's answer (`plan` and `headers`, the headers to send) when
/// it is one to gzip; otherwise leaves it as it is.
pub(crate) async fn compress_answer(plan: &mut Plan, headers: &mut Vec<(HeaderName, HeaderValue)>) {
    if !compressible(plan, headers) {
        return;
    }
    let body = std::mem::replace(&mut plan.body, PlanBody::Full(Bytes::new()));
    plan.body = if body.len() <= ENCODE_INLINE {
        compress_body(body)
    } else {
        match crate::offload::run_whole(move || compress_body(body)).await {
            Ok(body) => body,
            // The server is stopping: the answer will not be sent.
            Err(_) => return,
        }
    };
    for (name, value) in headers.iter_mut() {
        if *name == header::ETAG {
            *value = gzip_etag(value);
        }
    }
    headers.push((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
}

/// Whether the answer is one Jetty's gzip handler compresses, as WireMock
/// sets it up.
fn compressible(plan: &Plan, headers: &[(HeaderName, HeaderValue)]) -> bool {
    let status = plan.status;
    if plan.fault.is_some()
        || !status.is_success()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::RESET_CONTENT
    {
        return false;
    }
    let mut content_type = None;
    for (name, value) in headers {
        if name == header::CONTENT_ENCODING {
            return false;
        }
        if name == header::CONTENT_LENGTH
            && value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .is_some_and(|n| n < MIN_DECLARED)
        {
            return false;
        }
        if name == header::CONTENT_TYPE && content_type.is_none() {
            content_type = Some(value);
        }
    }
    content_type.is_none_or(|ct| !already_compressed(ct.as_bytes()))
}

/// Whether a content type is one sent as is (its parameters aside).
fn already_compressed(content_type: &[u8]) -> bool {
    let essence = content_type
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    UNCOMPRESSED_TYPES
        .iter()
        .any(|t| t.as_bytes().eq_ignore_ascii_case(essence))
}

/// `body` gzipped; a dribbled body is compressed whole and its bytes
/// dribbled in as many chunks (fewer when there are fewer bytes), each at
/// the time the first ones were due, the last carrying the rest of the
/// schedule.
fn compress_body(body: PlanBody) -> PlanBody {
    match body {
        PlanBody::Full(bytes) => PlanBody::Full(gzip(&[&bytes])),
        PlanBody::Chunks(chunks) => {
            let parts: Vec<&[u8]> = chunks.iter().map(|(_, c)| c.as_ref()).collect();
            let zipped = gzip(&parts);
            let n = chunks.len().clamp(1, zipped.len().max(1));
            let size = zipped.len().div_ceil(n).max(1);
            let mut delays = chunks.iter().map(|(d, _)| *d);
            let mut out: Vec<(std::time::Duration, Bytes)> = zipped
                .chunks(size)
                .map(|c| (delays.next().unwrap_or_default(), zipped.slice_ref(c)))
                .collect();
            if let Some(last) = out.last_mut() {
                last.0 += delays.sum::<std::time::Duration>();
            }
            PlanBody::Chunks(out)
        }
        // Sent as it comes: not compressed.
        stream @ (PlanBody::Stream(_) | PlanBody::WebSocket(_)) => stream,
    }
}

/// `parts`, one after the other, as one gzip member (the default level,
/// as Java's).
pub(crate) fn gzip(parts: &[&[u8]]) -> Bytes {
    let len = parts.iter().map(|p| p.len()).sum::<usize>();
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(len / 2 + 32),
        flate2::Compression::default(),
    );
    // Writing to a `Vec` does not fail.
    for part in parts {
        let _ = encoder.write_all(part);
    }
    Bytes::from(encoder.finish().unwrap_or_default())
}

/// `body` gzipped, on the blocking pool when it is long (a forwarded
/// request's body); as it is if the server is stopping.
pub(crate) async fn gzip_off_workers(body: Bytes) -> Bytes {
    if body.len() <= ENCODE_INLINE {
        return gzip(&[&body]);
    }
    let kept = body.clone();
    crate::offload::run_whole(move || gzip(&[&body]))
        .await
        .unwrap_or(kept)
}

/// An `ETag` of a gzipped answer: `--gzip` appended (inside the quotes).
fn gzip_etag(value: &HeaderValue) -> HeaderValue {
    let bytes = value.as_bytes();
    let tagged = match bytes.strip_suffix(b"\"") {
        Some(open) => [open, b"--gzip\""].concat(),
        None => [bytes, b"--gzip"].concat(),
    };
    HeaderValue::from_bytes(&tagged).unwrap_or_else(|_| value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (n, v) in pairs {
            map.append(*n, HeaderValue::from_static(v));
        }
        map
    }

    fn gunzip_all(bytes: &[u8]) -> Vec<u8> {
        gunzip(bytes, usize::MAX - 1).expect("gzip")
    }

    #[test]
    fn accept_encoding_names_gzip_with_a_quality_above_zero() {
        for yes in ["gzip", "GZIP", "br, gzip", "gzip;q=0.5, br", "gzip, *;q=0"] {
            assert!(accepts_gzip(&headers(&[("accept-encoding", yes)])), "{yes}");
        }
        for no in [
            "", "deflate", "gzip;q=0", "*", "x-gzip", "identity", "gzipx",
        ] {
            assert!(!accepts_gzip(&headers(&[("accept-encoding", no)])), "{no}");
        }
        let two = headers(&[("accept-encoding", "deflate"), ("accept-encoding", "gzip")]);
        assert!(accepts_gzip(&two));
    }

    #[test]
    fn a_request_body_is_gzip_by_its_first_content_encoding_or_its_magic_bytes() {
        let gz = gzip(&[b"hello"]);
        assert!(is_gzipped(&headers(&[]), &gz));
        let named = headers(&[("content-encoding", "GZIP")]);
        assert!(is_gzipped(&named, b"plain"));
        assert!(!is_gzipped(&named, b""));
        let second = headers(&[("content-encoding", "br"), ("content-encoding", "gzip")]);
        assert!(!is_gzipped(&second, b"plain"));
        assert!(!is_gzipped(
            &headers(&[("content-encoding", "deflate")]),
            b"x"
        ));
    }

    #[test]
    fn members_are_decoded_in_turn_and_trailing_bytes_ignored() {
        let one = gzip(&[b"hello"]);
        assert_eq!(gunzip_all(&[&one[..], &one[..]].concat()), b"hellohello");
        assert_eq!(gunzip_all(&[&one[..], b"trailing"].concat()), b"hello");
        assert!(matches!(
            gunzip(b"\x1f\x8bnot", 100),
            Err(Gunzip::Invalid(_))
        ));
        assert!(matches!(gunzip(b"plain", 100), Err(Gunzip::Invalid(_))));
    }

    #[test]
    fn decoding_stops_past_the_cap() {
        let bomb = gzip(&[&vec![0u8; 1_000_000]]);
        assert_eq!(gunzip(&bomb, 999_999), Err(Gunzip::TooLarge));
        assert_eq!(gunzip(&bomb, 1_000_000).map(|b| b.len()), Ok(1_000_000));
        let two = [&bomb[..], &bomb[..]].concat();
        assert_eq!(gunzip(&two, 1_500_000), Err(Gunzip::TooLarge));
    }

    #[test]
    fn content_types_already_compressed_are_sent_as_is() {
        for t in [
            "image/png",
            "IMAGE/PNG",
            "image/png; charset=x",
            "application/zip",
        ] {
            assert!(already_compressed(t.as_bytes()), "{t}");
        }
        for t in [
            "image/svg+xml",
            "image/x-foo",
            "text/plain",
            "application/x-gzip",
        ] {
            assert!(!already_compressed(t.as_bytes()), "{t}");
        }
    }

    #[test]
    fn an_etag_gets_the_gzip_suffix() {
        let quoted = gzip_etag(&HeaderValue::from_static("\"abc\""));
        assert_eq!(quoted, "\"abc--gzip\"");
        assert_eq!(gzip_etag(&HeaderValue::from_static("W/x")), "W/x--gzip");
    }

    #[test]
    fn a_dribbled_body_keeps_its_schedule() {
        use std::time::Duration;
        let ms = Duration::from_millis;
        let chunks = vec![
            (ms(10), Bytes::from_static(b"aaaa")),
            (ms(20), Bytes::from_static(b"bbbb")),
            (ms(30), Bytes::from_static(b"cccc")),
        ];
        let PlanBody::Chunks(out) = compress_body(PlanBody::Chunks(chunks)) else {
            panic!("chunks");
        };
        assert_eq!(out.len(), 3);
        assert_eq!(out.iter().map(|c| c.0).sum::<Duration>(), ms(60));
        let joined: Vec<u8> = out.iter().flat_map(|c| c.1.to_vec()).collect();
        assert_eq!(gunzip_all(&joined), b"aaaabbbbcccc");

        let many: Vec<_> = (0..100)
            .map(|_| (ms(1), Bytes::from_static(b"z")))
            .collect();
        let PlanBody::Chunks(out) = compress_body(PlanBody::Chunks(many)) else {
            panic!("chunks");
        };
        assert!(out.len() < 100 && out.iter().all(|c| !c.1.is_empty()));
        assert_eq!(out.iter().map(|c| c.0).sum::<Duration>(), ms(100));
    }
}
