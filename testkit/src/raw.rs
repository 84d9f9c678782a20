//! Raw bytes on a socket, for what an HTTP client hides: reason phrases,
//! header lines, framing, faults that break the connection.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    time::{Duration, Instant},
};

/// What came back on a raw socket: every byte read until the server closed
/// (or the read timed out), the error that ended the exchange if any, and
/// how long it took from the first byte written.
#[derive(Debug)]
pub struct Exchange {
    /// Every byte read.
    pub bytes: Vec<u8>,
    /// What ended the exchange, when it was not the server closing.
    pub error: Option<std::io::Error>,
    /// From the first byte written to the end.
    pub took: Duration,
}

impl Exchange {
    /// The bytes as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// The bytes, or the error that ended the exchange.
    pub fn result(self) -> std::io::Result<Vec<u8>> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.bytes),
        }
    }
}

/// How long a raw exchange waits for the server's next byte.
pub const RAW_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Writes `request` on a fresh connection to `addr`, then reads until the
/// server closes, for at most [`RAW_READ_TIMEOUT`] between bytes. Blocking:
/// call it from `spawn_blocking` (or use [`exchange_async`]).
pub fn exchange(addr: SocketAddr, request: impl AsRef<[u8]>) -> Exchange {
    let mut s = TcpStream::connect(addr).expect("connect to the server");
    s.set_read_timeout(Some(RAW_READ_TIMEOUT))
        .expect("read timeout");
    let started = Instant::now();
    let mut error = s.write_all(request.as_ref()).err();
    let mut bytes = Vec::new();
    if let Err(e) = s.read_to_end(&mut bytes) {
        error = Some(e);
    }
    Exchange {
        bytes,
        error,
        took: started.elapsed(),
    }
}

/// [`exchange`] on the blocking pool.
pub async fn exchange_async(addr: SocketAddr, request: impl Into<Vec<u8>>) -> Exchange {
    let request = request.into();
    tokio::task::spawn_blocking(move || exchange(addr, request))
        .await
        .expect("the exchange ran")
}

/// Splits a raw HTTP answer at the blank line after its head: (head, the
/// bytes after it). `None` when there is no complete head.
pub fn split_head(raw: &[u8]) -> Option<(String, &[u8])> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    Some((
        String::from_utf8_lossy(&raw[..end + 4]).into_owned(),
        &raw[end + 4..],
    ))
}

/// Decodes a body sent with chunked transfer encoding (RFC 9112 §7.1):
/// each chunk is a hex size (optionally `;extensions`) ending in CRLF, the
/// data, CRLF; a zero size, optional trailers and CRLF end it. `Err` names
/// the first place where `body` is not that, with its byte offset.
pub fn decode_chunked(body: &[u8]) -> Result<Vec<u8>, String> {
    let mut at = 0;
    let mut out = Vec::new();
    let line_end = |from: usize| -> Option<usize> {
        body[from..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|p| from + p)
    };
    loop {
        let end = line_end(at)
            .ok_or_else(|| format!("chunk-size line at byte {at} does not end in CRLF"))?;
        let line = &body[at..end];
        let digits = line.split(|b| *b == b';').next().unwrap_or_default();
        let size = std::str::from_utf8(digits)
            .ok()
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|d| usize::from_str_radix(d, 16).ok())
            .ok_or_else(|| {
                format!(
                    "chunk-size line at byte {at} is not hex: {:?}",
                    String::from_utf8_lossy(line)
                )
            })?;
        at = end + 2;
        if size == 0 {
            // Trailer fields, then the final CRLF.
            loop {
                let end = line_end(at)
                    .ok_or_else(|| format!("trailer at byte {at} does not end in CRLF"))?;
                let empty = end == at;
                at = end + 2;
                if empty {
                    return if at == body.len() {
                        Ok(out)
                    } else {
                        Err(format!("{} bytes after the last chunk", body.len() - at))
                    };
                }
            }
        }
        let data_end = at + size;
        if body.len() < data_end + 2 {
            return Err(format!("chunk at byte {at} is cut short"));
        }
        if &body[data_end..data_end + 2] != b"\r\n" {
            return Err(format!("chunk data at byte {at} does not end in CRLF"));
        }
        out.extend_from_slice(&body[at..data_end]);
        at = data_end + 2;
    }
}
