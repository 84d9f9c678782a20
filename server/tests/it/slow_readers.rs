//! Clients that do not read their answers: the bytes of answers not yet
//! sent are capped (`--max-unsent-bytes`, 503 past it), a connection that
//! writes none of its ready bytes for `--send-timeout` is dropped and its
//! bytes go back, while delayed and dribbled answers still complete. Also
//! what goes over the wire for two cases hyper would answer itself or
//! HTTP/2 would lose: a reserved `Content-Length` (413) and the
//! `MALFORMED_RESPONSE_CHUNK` fault on an HTTP/2 stream.

use bytes::Bytes;
use http::StatusCode;
use serde_json::json;
use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};
use testkit::{Admin, Http, TestServer, eventually, exchange_async, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bytes of each large answer.
const LARGE: usize = 4 * 1024 * 1024;

/// A server with no plugins, `adjust`ed, and a stub of service `big`
/// whose answer (`GET /big/one`) is [`LARGE`] bytes rendered for each
/// request (a template), so that each answer's memory is its own.
async fn with_large_answers(adjust: impl FnOnce(&mut fake_servicer_server::Config)) -> TestServer {
    let server = serve(&[], adjust).await;
    let body = format!("{}{{{{request.path}}}}", "x".repeat(LARGE));
    Admin::new(&server)
        .stub(json!({
            "request": {"method": "GET", "urlPath": "/one", "service": "big"},
            "response": {"status": 200, "body": body, "transformers": ["response-template"]}
        }))
        .await;
    server
}

/// The bytes of answers not yet sent, as `GET /__admin/health` says.
async fn unsent(server: &TestServer) -> Result<u64, String> {
    let health = Admin::new(server).get("/__admin/health").await.json();
    health["unsentBytes"]
        .as_u64()
        .ok_or_else(|| format!("no unsentBytes in {health}"))
}

/// Waits (10 s at most) until the unsent bytes satisfy `test`.
async fn unsent_until(server: &TestServer, what: &str, test: impl Fn(u64) -> bool) -> u64 {
    eventually(Duration::from_secs(10), what, || async {
        let n = unsent(server).await?;
        if test(n) {
            Ok(n)
        } else {
            Err(format!("unsentBytes {n}"))
        }
    })
    .await
}

/// A cleartext HTTP/2 connection whose streams get `window` bytes of
/// flow-control window; its driver runs in a task.
pub(crate) async fn h2c(
    addr: SocketAddr,
    window: u32,
) -> (
    h2::client::SendRequest<Bytes>,
    tokio::task::JoinHandle<Result<(), h2::Error>>,
) {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to the server");
    let (send, conn) = h2::client::Builder::new()
        .initial_window_size(window)
        .handshake::<_, Bytes>(tcp)
        .await
        .expect("HTTP/2 handshake");
    (send, tokio::spawn(conn))
}

/// `GET url` on `send`: the answer's head, its body still to read.
pub(crate) async fn h2_get(
    send: &h2::client::SendRequest<Bytes>,
    url: &str,
) -> Result<http::Response<h2::RecvStream>, h2::Error> {
    let mut send = send.clone().ready().await?;
    let req = http::Request::get(url).body(()).expect("a valid request");
    let (answer, _) = send.send_request(req, true)?;
    answer.await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_would_pass_max_unsent_bytes_is_refused_503_while_a_small_one_still_answers()
{
    let server = with_large_answers(|c| {
        c.max_unsent_bytes = 10 * 1024 * 1024;
        c.send_timeout = Duration::from_secs(120);
    })
    .await;
    Admin::new(&server)
        .stub(json!({
            "request": {"method": "GET", "urlPath": "/small", "service": "big"},
            "response": {"status": 200, "body": "small"}
        }))
        .await;
    let url = format!("{}/big/one", server.url());
    // Two answers nobody reads (a zero window lets no DATA through), held
    // from before their heads were sent.
    let (send, driver) = h2c(server.addr(), 0).await;
    let mut heads = Vec::new();
    for _ in 0..2 {
        let head = h2_get(&send, &url).await.expect("an answer's head");
        assert_eq!(head.status(), StatusCode::OK);
        heads.push(head);
    }

    let http = Http::new();
    let third = http.get(&url).await;
    let text = third.text();
    assert_eq!(
        third.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        &text[..text.len().min(300)]
    );
    let refusal = third.json();
    assert_eq!(refusal["flag"], "--max-unsent-bytes", "{refusal}");
    assert!(
        refusal["error"]
            .as_str()
            .is_some_and(|e| e.contains("--max-unsent-bytes")),
        "{refusal}"
    );
    let small = http.get(&format!("{}/big/small", server.url())).await;
    assert_eq!(
        (small.status, small.text().as_str()),
        (StatusCode::OK, "small")
    );
    // The journal records what was sent: the refusal.
    let journal = http
        .get(&format!("{}/__admin/requests?limit=2", server.url()))
        .await
        .json();
    assert_eq!(
        journal["requests"][1]["response"]["status"], 503,
        "{}",
        journal["requests"][1]["response"]
    );

    driver.abort();
    drop((send, heads));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http1_connection_that_never_reads_its_answer_is_dropped_after_the_send_timeout() {
    let server = with_large_answers(|c| c.send_timeout = Duration::from_secs(1)).await;
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    // A small window, so that the kernel's buffers hold little of it.
    socket
        .set_recv_buffer_size(4096)
        .expect("a small receive buffer");
    let mut stream = socket.connect(server.addr()).await.expect("connect");
    stream
        .write_all(b"GET /big/one HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("request sent");
    let charged = unsent_until(&server, "the unread answer charged", |n| n > 0).await;
    let since = Instant::now();
    unsent_until(&server, "its bytes given back", |n| n == 0).await;
    assert!(
        since.elapsed() < Duration::from_secs(10),
        "{charged} bytes held for {:?}",
        since.elapsed()
    );

    // Reading now drains what the kernel held, then meets the end.
    let mut got = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) => return "end of stream".to_owned(),
                Ok(n) => got += n,
                Err(e) => return e.to_string(),
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the connection is still open after {got} bytes"
    );
    assert!(got < LARGE, "the whole answer arrived ({got} bytes)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_h2_stream_stalled_by_a_zero_window_gets_its_connection_dropped_and_its_bytes_back() {
    let server = with_large_answers(|c| c.send_timeout = Duration::from_secs(1)).await;
    let (send, driver) = h2c(server.addr(), 0).await;
    let head = h2_get(&send, &format!("{}/big/one", server.url()))
        .await
        .expect("the answer's head");
    assert_eq!(head.status(), StatusCode::OK);
    unsent_until(&server, "the stalled answer charged", |n| n >= LARGE as u64).await;
    unsent_until(&server, "its bytes given back", |n| n == 0).await;
    let ended = tokio::time::timeout(Duration::from_secs(10), driver).await;
    assert!(ended.is_ok(), "the HTTP/2 connection is still open");
    drop((send, head));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dribbled_answer_whose_pauses_outlast_the_send_timeout_still_completes() {
    let server = serve(&[], |c| c.send_timeout = Duration::from_secs(1)).await;
    Admin::new(&server)
        .stub(json!({
            "request": {"method": "GET", "urlPath": "/drip", "service": "slow"},
            "response": {"status": 200, "body": "abcdefghi",
                         "chunkedDribbleDelay": {"numberOfChunks": 3, "totalDuration": 4500}}
        }))
        .await;
    let started = Instant::now();
    let answer = Http::new()
        .get(&format!("{}/slow/drip", server.url()))
        .await;
    assert_eq!(
        (answer.status, answer.text().as_str()),
        (StatusCode::OK, "abcdefghi")
    );
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_delayed_past_the_send_timeout_still_completes() {
    let server = serve(&[], |c| c.send_timeout = Duration::from_secs(1)).await;
    Admin::new(&server)
        .stub(json!({
            "request": {"method": "GET", "urlPath": "/late", "service": "slow"},
            "response": {"status": 200, "body": "late", "fixedDelayMilliseconds": 2500}
        }))
        .await;
    let answer = Http::new()
        .get(&format!("{}/slow/late", server.url()))
        .await;
    assert_eq!(
        (answer.status, answer.text().as_str()),
        (StatusCode::OK, "late")
    );
    assert_eq!(unsent(&server).await, Ok(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_length_hyper_reserves_is_answered_413_naming_max_body_bytes() {
    let server = serve(&[], |_| {}).await;
    for length in ["18446744073709551614", "18446744073709551615"] {
        let raw = format!(
            "POST /big/one HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n\r\n"
        );
        let answer = exchange_async(server.addr(), raw).await.text();
        assert!(answer.starts_with("HTTP/1.1 413 "), "{length}: {answer}");
        assert!(answer.contains("--max-body-bytes"), "{length}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_malformed_chunk_fault_on_h2_sends_a_200_head_then_data_then_a_reset() {
    let server = serve(&[], |_| {}).await;
    Admin::new(&server)
        .stub(json!({
            "request": {"method": "GET", "urlPath": "/broken", "service": "faulty"},
            "response": {"fault": "MALFORMED_RESPONSE_CHUNK"}
        }))
        .await;
    let (send, driver) = h2c(server.addr(), 65_535).await;
    let head = h2_get(&send, &format!("{}/faulty/broken", server.url()))
        .await
        .expect("a 200 head before the reset");
    assert_eq!(head.status(), StatusCode::OK);
    let mut body = head.into_body();
    let garbage = tokio::time::timeout(Duration::from_secs(10), body.data())
        .await
        .expect("data within 10 s");
    let garbage = match garbage {
        Some(Ok(bytes)) => bytes,
        other => panic!("a DATA frame of garbage, got {other:?}"),
    };
    assert!(!garbage.is_empty());
    let _ = body.flow_control().release_capacity(garbage.len());
    let reset = tokio::time::timeout(Duration::from_secs(10), body.data())
        .await
        .expect("the reset within 10 s");
    match reset {
        Some(Err(e)) => assert_eq!(e.reason(), Some(h2::Reason::PROTOCOL_ERROR), "{e}"),
        other => panic!("a reset after the garbage, got {other:?}"),
    }
    driver.abort();
}

/// What one attack left behind: resident memory (MB) before, 5 s in and
/// 40 s in (past the default `--send-timeout`), the answers refused, the
/// connections still open at the end, and `unsentBytes` 5 s and 40 s in.
struct Held {
    before_mb: u64,
    at_5s_mb: u64,
    at_40s_mb: u64,
    refused: usize,
    open: usize,
    unsent: (Option<u64>, Option<u64>),
}

/// The binary's `unsentBytes`, when it has them.
async fn unsent_of(url: &str) -> Option<u64> {
    Http::new()
        .get(&format!("{url}/__admin/health"))
        .await
        .json()["unsentBytes"]
        .as_u64()
}

/// Runs `bin` (default flags), gives it a stub of service `big` answering
/// [`LARGE`] bytes rendered per request, lets `attack` loose on it, and
/// measures.
async fn attack_on<F, Fut>(bin: &str, attack: F) -> Held
where
    F: FnOnce(String, SocketAddr) -> Fut,
    Fut: std::future::Future<Output = (usize, Box<dyn FnOnce() -> Fut2 + Send>)>,
{
    let dir = tempfile::tempdir().expect("a plugin dir");
    let server = testkit::Process::start(bin, dir.path(), &[]);
    let body = format!("{}{{{{request.path}}}}", "x".repeat(LARGE));
    let created = Http::new()
        .post_json(
            &format!("{}/__admin/mappings", server.url),
            &json!({
                "request": {"method": "GET", "urlPath": "/one", "service": "big"},
                "response": {"status": 200, "body": body, "transformers": ["response-template"]}
            })
            .to_string(),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let addr: SocketAddr = server
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("the server's address");
    let mb = |kib: u64| kib / 1024;
    let before_mb = mb(server.status_kib("VmRSS"));
    let started = Instant::now();
    let (refused, count_open) = attack(server.url.clone(), addr).await;
    tokio::time::sleep(Duration::from_secs(5).saturating_sub(started.elapsed())).await;
    let at_5s_mb = mb(server.status_kib("VmRSS"));
    let unsent_5s = unsent_of(&server.url).await;
    tokio::time::sleep(Duration::from_secs(40).saturating_sub(started.elapsed())).await;
    let at_40s_mb = mb(server.status_kib("VmRSS"));
    let unsent_40s = unsent_of(&server.url).await;
    let (open, refused_unread) = count_open().await;
    Held {
        before_mb,
        at_5s_mb,
        at_40s_mb,
        refused: refused + refused_unread,
        open,
        unsent: (unsent_5s, unsent_40s),
    }
}

impl std::fmt::Display for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bytes = |n: Option<u64>| n.map_or("n/a".to_owned(), |n| n.to_string());
        write!(
            f,
            "RSS {} MB before, {} MB 5 s in, {} MB 40 s in; {} refused 503; {} connections open at the end; unsentBytes {} 5 s in, {} 40 s in",
            self.before_mb,
            self.at_5s_mb,
            self.at_40s_mb,
            self.refused,
            self.open,
            bytes(self.unsent.0),
            bytes(self.unsent.1)
        )
    }
}

/// The connections still open, and answers refused that were not read
/// before.
type Fut2 = std::pin::Pin<Box<dyn std::future::Future<Output = (usize, usize)> + Send>>;

/// 100 streams of one cleartext HTTP/2 connection with no window ask for
/// the large answer; how many were refused, and whether it is still open.
async fn h2_attack(url: String, addr: SocketAddr) -> (usize, Box<dyn FnOnce() -> Fut2 + Send>) {
    let (send, driver) = h2c(addr, 0).await;
    let mut refused = 0;
    let mut heads = Vec::new();
    for _ in 0..100 {
        match h2_get(&send, &format!("{url}/big/one")).await {
            Ok(head) if head.status() == StatusCode::OK => heads.push(head),
            Ok(_) => refused += 1,
            Err(e) => panic!("an answer's head: {e}"),
        }
    }
    let open: Box<dyn FnOnce() -> Fut2 + Send> = Box::new(move || {
        Box::pin(async move {
            let open = usize::from(!driver.is_finished());
            driver.abort();
            drop((send, heads));
            (open, 0)
        })
    });
    (refused, open)
}

/// 100 HTTP/1 connections ask for the large answer and never read it;
/// whether each was refused and is still open is read at the end.
async fn h1_attack(_url: String, addr: SocketAddr) -> (usize, Box<dyn FnOnce() -> Fut2 + Send>) {
    let mut streams = Vec::new();
    for _ in 0..100 {
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket
            .set_recv_buffer_size(4096)
            .expect("a small receive buffer");
        let mut stream = socket.connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /big/one HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .expect("request sent");
        streams.push(stream);
    }
    let open: Box<dyn FnOnce() -> Fut2 + Send> = Box::new(move || {
        Box::pin(async move {
            // Reads what the kernel holds; a connection the server dropped
            // (or refused) then ends, one it still serves does not within 5 s.
            let reads = streams.into_iter().map(|mut stream| {
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut status = Vec::new();
                    let ended = tokio::time::timeout(Duration::from_secs(5), async {
                        while let Ok(n) = stream.read(&mut buf).await {
                            if n == 0 {
                                break;
                            }
                            if status.len() < 12 {
                                status.extend_from_slice(&buf[..n.min(12)]);
                            }
                        }
                    })
                    .await;
                    (
                        usize::from(ended.is_err()),
                        usize::from(status.starts_with(b"HTTP/1.1 503")),
                    )
                })
            });
            let (mut open, mut refused) = (0, 0);
            for read in reads.collect::<Vec<_>>() {
                let (o, r) = read.await.unwrap_or((1, 0));
                open += o;
                refused += r;
            }
            (open, refused)
        })
    });
    (0, open)
}

/// Memory held by clients that never read 4 MiB answers, measured on the
/// built binary and, when `FAKE_SERVICER_COMPARE_BIN` names another (an
/// older build), on that one too, side by side. Takes about 3 minutes per
/// binary: `cargo test -p fake-servicer --test it -- --ignored
/// slow_readers::memory --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement of about 3 minutes per binary"]
async fn memory_held_by_readers_that_never_read_stays_under_the_cap_and_goes_with_them() {
    let ours = env!("CARGO_BIN_EXE_fake-servicer").to_owned();
    let mut bins = vec![("this build", ours)];
    if let Ok(other) = std::env::var("FAKE_SERVICER_COMPARE_BIN") {
        bins.push(("compared", other));
    }
    for (name, bin) in bins {
        let h2 = attack_on(&bin, h2_attack).await;
        println!("{name}: h2c, 100 zero-window streams of 4 MiB: {h2}");
        let h1 = attack_on(&bin, h1_attack).await;
        println!("{name}: HTTP/1, 100 connections never reading 4 MiB: {h1}");
        if name == "this build" {
            for held in [&h2, &h1] {
                assert!(
                    held.at_5s_mb < held.before_mb + 256 + 150,
                    "more than the cap held: {held}"
                );
                assert_eq!(held.open, 0, "{held}");
                assert_eq!(held.unsent.1, Some(0), "{held}");
            }
        }
    }
}
