//! Delays, dribbled chunks and faults, carried out by the server on the socket.

use super::sink_server;
use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};
use testkit::Http;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delays_and_chunks_are_carried_out_by_the_server() {
    let server = sink_server().await;
    let http = Http::new();

    let started = Instant::now();
    let late = http.get(&format!("{}/sink/delay/300", server.url())).await;
    assert_eq!(late.text(), "late");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );

    // Read the dribbled body off a raw socket: the first chunk comes at once,
    // the rest after the chunk delays, each on its own.
    let addr = server.addr();
    let (first_at, all_at, seen_with_first, raw) = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /sink/chunks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let started = Instant::now();
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        let mut first = None;
        loop {
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&raw).into_owned();
            if first.is_none() && text.contains("one,") {
                first = Some((started.elapsed(), text));
            }
        }
        let (first_at, seen) = first.unwrap();
        (first_at, started.elapsed(), seen, raw)
    })
    .await
    .unwrap();
    let (head, body) = testkit::split_head(&raw).expect("a whole head");
    assert!(
        head.to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    assert_eq!(
        testkit::decode_chunked(body).unwrap(),
        b"one,two,three",
        "valid chunked encoding"
    );
    assert!(
        !seen_with_first.contains("two,"),
        "the first chunk arrives alone: {seen_with_first}"
    );
    assert!(
        all_at >= Duration::from_millis(600),
        "all chunks after {all_at:?}"
    );
    assert!(
        all_at - first_at >= Duration::from_millis(550),
        "first {first_at:?}, all {all_at:?}"
    );
}

/// A GET over a raw socket: the bytes until the server closes, or the
/// error that ended the exchange.
fn raw_get(addr: std::net::SocketAddr, path: &str) -> std::io::Result<Vec<u8>> {
    testkit::exchange(addr, format!("GET {path} HTTP/1.1\r\nHost: sink\r\n\r\n")).result()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_happen_for_real_on_the_socket() {
    let server = sink_server().await;
    let addr = server.addr();
    let results = tokio::task::spawn_blocking(move || {
        ["empty", "reset", "malformed", "random"]
            .map(|f| (f, raw_get(addr, &format!("/fault/{f}"))))
    })
    .await
    .unwrap();
    for (fault, result) in results {
        match fault {
            "empty" => assert_eq!(result.unwrap(), b"", "EMPTY_RESPONSE sends nothing"),
            "reset" => {
                let err = result.expect_err("CONNECTION_RESET_BY_PEER must reset");
                assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
            }
            "malformed" => {
                let raw = result.unwrap();
                let text = String::from_utf8_lossy(&raw).into_owned();
                assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
                let (head, body) = testkit::split_head(&raw).expect("a whole head");
                assert!(
                    head.to_ascii_lowercase()
                        .contains("transfer-encoding: chunked\r\n"),
                    "{head}"
                );
                assert!(!body.is_empty(), "garbage after the head: {text}");
                let error = testkit::decode_chunked(body)
                    .expect_err("MALFORMED_RESPONSE_CHUNK sends no valid chunked body");
                assert!(
                    error.starts_with("chunk-size line at byte 0 "),
                    "the very first chunk is malformed: {error}: {text}"
                );
            }
            _ => {
                let bytes = result.unwrap();
                assert!(!bytes.is_empty(), "RANDOM_DATA_THEN_CLOSE sends bytes");
                assert!(!bytes.starts_with(b"HTTP/"), "not an HTTP response");
            }
        }
    }
    // The server is unaffected.
    assert_eq!(
        Http::new()
            .get(&format!("{}/sink/fast", server.url()))
            .await
            .text(),
        "fast"
    );
}
