//! What goes over the wire whatever a stub, an override or a client asks:
//! framing the server owns, status codes by the RFCs, request bodies and
//! connections that cannot be held forever, delays with a ceiling, and the
//! admin token.

use fake_servicer_server::{Config, Server};
use http::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;
use testkit::{Admin, Http, TestServer, build_example, eventually, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A server with the example plugin, `adjust`ed.
async fn server_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
    serve(&[build_example("example")], adjust).await
}

fn addr(server: &Server) -> String {
    server.addr().to_string()
}

/// Reads one HTTP/1.1 answer with a `Content-Length` from `stream`:
/// status, head, and exactly the body the length announces.
async fn read_answer(stream: &mut TcpStream) -> (u16, String, Vec<u8>) {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("an answer within 5 s")
            .expect("read");
        assert!(n > 0, "connection closed before a full head: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status = head[9..12].parse().expect("a status code");
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or_else(|| panic!("no Content-Length in {head:?}"));
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("the body within 5 s")
            .expect("read");
        assert!(n > 0, "connection closed inside the body");
        body.extend_from_slice(&chunk[..n]);
    }
    (status, head, body)
}

/// Sends `raw` on a new connection and reads one answer.
async fn exchange(server: &Server, raw: &[u8]) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr(server)).await.unwrap();
    s.write_all(raw).await.unwrap();
    read_answer(&mut s).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stubs_content_length_never_frames_the_answer() {
    let server = server_with(|_| {}).await;
    let forged =
        "x\r\n\r\nHTTP/1.1 302 Found\r\nLocation: http://evil/\r\nContent-Length: 0\r\n\r\n";
    server
        .client()
        .stub_json(json!({"request": {"urlPath": "/forge"},
               "response": {"status": 200, "body": forged, "headers": {"Content-Length": "1"}}}))
        .await
        .expect("the forging stub");
    let mut s = TcpStream::connect(addr(&server)).await.unwrap();
    s.write_all(b"GET /forge HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (status, head, body) = read_answer(&mut s).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        forged.as_bytes(),
        "the whole body, framed by its length: {head}"
    );
    // The next answer on the connection is the server's own, not the
    // forged 302.
    s.write_all(b"GET /example/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (status, _, body) = read_answer(&mut s).await;
    assert_eq!((status, body.as_slice()), (200, &b"pong"[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overrides_framing_headers_are_replaced_by_the_real_ones() {
    let server = server_with(|_| {}).await;
    let arm = Http::new()
        .send(
            Method::GET,
            &format!("{}/example/ping", server.url()),
            &[
                ("x-fake-servicer-next-request-body", "hello"),
                (
                    "x-fake-servicer-next-request-headers",
                    r#"{"Transfer-Encoding": "chunked", "Content-Length": "3", "Connection": "keep-alive", "X-Kept": "yes"}"#,
                ),
            ],
            "",
        )
        .await
        .unwrap();
    assert_eq!(arm.status, StatusCode::ACCEPTED, "{}", arm.text());
    let (status, head, body) =
        exchange(&server, b"GET /example/ping HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!((status, body.as_slice()), (200, &b"hello"[..]), "{head}");
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("content-length: 5\r\n"), "{head}");
    assert!(!lower.contains("transfer-encoding"), "{head}");
    assert!(!lower.contains("keep-alive"), "{head}");
    assert!(lower.contains("x-kept: yes"), "{head}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_body_that_stalls_is_answered_408() {
    let server = server_with(|c| c.body_timeout = Duration::from_millis(300)).await;
    let mut s = TcpStream::connect(addr(&server)).await.unwrap();
    s.write_all(b"POST /example/users HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        .await
        .unwrap();
    let (status, head, body) = read_answer(&mut s).await;
    assert_eq!(status, 408, "{head}");
    assert!(
        String::from_utf8_lossy(&body).contains("--body-timeout"),
        "{body:?}"
    );
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_max_connections_a_new_connection_is_served_once_one_closes() {
    let server = server_with(|c| c.max_connections = 2).await;
    let held: Vec<TcpStream> = vec![
        TcpStream::connect(addr(&server)).await.unwrap(),
        TcpStream::connect(addr(&server)).await.unwrap(),
    ];
    let mut third = TcpStream::connect(addr(&server)).await.unwrap();
    third
        .write_all(b"GET /example/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut byte = [0u8; 1];
    assert!(
        tokio::time::timeout(Duration::from_millis(500), third.read(&mut byte))
            .await
            .is_err(),
        "a third connection is not served while two are open"
    );
    drop(held);
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 1024];
        loop {
            let n = third.read(&mut buf).await.unwrap();
            rest.extend_from_slice(&buf[..n]);
            if n == 0 || rest.ends_with(b"pong") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "served within 5 s once the others closed");
    assert!(
        rest.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&rest)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http11_request_without_host_is_answered_400() {
    let server = server_with(|_| {}).await;
    let (status, _, body) = exchange(&server, b"GET /example/ping HTTP/1.1\r\n\r\n").await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("Host"));
    let (status, _, _) = exchange(&server, b"GET /example/ping HTTP/1.0\r\n\r\n").await;
    assert_eq!(status, 200, "HTTP/1.0 needs no Host");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_with_two_host_headers_is_answered_400() {
    let server = server_with(|_| {}).await;
    let (status, _, body) = exchange(
        &server,
        b"GET /example/ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    )
    .await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("more than one Host"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_over_the_byte_limit_is_answered_431_even_in_one_write() {
    let server = server_with(|_| {}).await;
    let mut raw = b"GET /example/ping HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    raw.extend(std::iter::repeat_n(b'a', 100_000));
    raw.extend_from_slice(b"\r\n\r\n");
    let (status, _, _) = exchange(&server, &raw).await;
    assert_eq!(status, 431);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_status_outside_100_to_599_is_refused_naming_the_header() {
    let server = server_with(|_| {}).await;
    let r = Http::new()
        .send(
            Method::GET,
            &format!("{}/example/ping", server.url()),
            &[("x-fake-servicer-next-request-status", "600")],
            "",
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["header"], "X-Fake-Servicer-Next-Request-Status");
    assert_eq!(
        Http::new()
            .get(&format!("{}/example/ping", server.url()))
            .await
            .text(),
        "pong",
        "nothing armed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stub_status_outside_100_to_599_is_refused_422() {
    let server = server_with(|_| {}).await;
    let r = Http::new()
        .post_json(
            &format!("{}/__admin/mappings", server.url()),
            &json!({"request": {"urlPath": "/s"}, "response": {"status": 600}}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        r.json()["errors"][0]["source"]["pointer"],
        "/response/status"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delays_beyond_the_maximum_are_refused_where_they_are_given() {
    let server = server_with(|_| {}).await;
    let http = Http::new();
    let url = format!("{}/__admin/mappings", server.url());
    for (response, pointer) in [
        (
            json!({"delayDistribution": {"type": "lognormal", "median": 90, "sigma": 1000}}),
            "/response/delayDistribution/sigma",
        ),
        (
            json!({"delayDistribution": {"type": "lognormal", "median": 1e300, "sigma": 0.1}}),
            "/response/delayDistribution/median",
        ),
        (
            json!({"fixedDelayMilliseconds": 600_001}),
            "/response/fixedDelayMilliseconds",
        ),
        (
            json!({"delayDistribution": {"type": "uniform", "lower": 1, "upper": 10_000_000}}),
            "/response/delayDistribution/upper",
        ),
        (
            json!({"chunkedDribbleDelay": {"numberOfChunks": 2, "totalDuration": 10_000_000}}),
            "/response/chunkedDribbleDelay/totalDuration",
        ),
    ] {
        let r = http
            .post_json(
                &url,
                &json!({"request": {"urlPath": "/d"}, "response": response}).to_string(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{response}: {}",
            r.text()
        );
        assert_eq!(
            r.json()["errors"][0]["source"]["pointer"],
            pointer,
            "{response}"
        );
    }
    let r = http
        .send(
            Method::GET,
            &format!("{}/example/ping", server.url()),
            &[("x-fake-servicer-next-request-delay", "600001")],
            "",
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["header"], "X-Fake-Servicer-Next-Request-Delay");
    let r = http
        .post_json(
            &format!("{}/__admin/settings", server.url()),
            &json!({"fixedDelay": 600_001}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_admin_token_is_a_start_up_error() {
    let dir = tempfile::tempdir().unwrap();
    for token in ["", "  "] {
        let mut config = Config::local(dir.path());
        config.admin_token = Some(token.to_owned());
        let err = Server::start(config).await.err().expect("refused");
        assert!(err.to_string().contains("--admin-token"), "{err}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
        .args(["--listen", "127.0.0.1:0", "--docker", "off"])
        .arg("--plugins")
        .arg(dir.path())
        .env("FAKE_SERVICER_ADMIN_TOKEN", "")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--admin-token"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_admin_token_arming_an_override_needs_it() {
    let server = server_with(|c| c.admin_token = Some("s3cret".to_owned())).await;
    let http = Http::new();
    let url = format!("{}/example/ping", server.url());
    let arm = |auth: Option<&'static str>| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let mut headers = vec![("x-fake-servicer-next-request-status", "503")];
            if let Some(a) = auth {
                headers.push(("authorization", a));
            }
            http.send(Method::GET, &url, &headers, "").await.unwrap()
        }
    };
    let refused = arm(None).await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        refused.text()
    );
    assert_eq!(
        arm(Some("Bearer wrong")).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(http.get(&url).await.text(), "pong", "nothing armed");
    assert_eq!(
        arm(Some("Bearer s3cret")).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(http.get(&url).await.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_body_over_its_cap_is_answered_413_naming_the_flag() {
    let server = server_with(|c| c.max_admin_body_bytes = 1000).await;
    let big = json!({"request": {"urlPath": "/b"}, "response": {"body": "x".repeat(2000)}});
    let r = Http::new()
        .post_json(
            &format!("{}/__admin/mappings", server.url()),
            &big.to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    assert!(r.text().contains("--max-admin-body-bytes"), "{}", r.text());
    let small = json!({"request": {"urlPath": "/b"}, "response": {"body": "x"}});
    Admin::new(&server).stub(small).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_raises_its_open_file_limit_to_the_hard_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -Sn 256 && exec {} --listen 127.0.0.1:0 --docker off --plugins {}",
            env!("CARGO_BIN_EXE_fake-servicer"),
            dir.path().display()
        ))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let limits = eventually(Duration::from_secs(10), "the server's limits", || async {
        let text =
            std::fs::read_to_string(format!("/proc/{pid}/limits")).map_err(|e| e.to_string())?;
        let line = text
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .ok_or("no open-files line")?
            .to_owned();
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (soft, hard) = (fields[3].to_owned(), fields[4].to_owned());
        if soft == "256" {
            Err(format!("still 256: {line}"))
        } else {
            Ok((soft, hard))
        }
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(limits.0, limits.1, "soft limit raised to the hard one");
}
