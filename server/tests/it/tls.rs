//! HTTPS and HTTP/2 with real clients over loopback: curl with the CA
//! (`--cacert`, `--http2`, `--http2-prior-knowledge`), Python `requests`
//! with `REQUESTS_CA_BUNDLE`, a hyper HTTP/2 client over rustls for the
//! stream-level behaviours (faults, delays, overrides), the CA kept in
//! `--ca-dir` across restarts, and handshakes that fail without wedging
//! anything.

use bytes::Bytes;
use fake_servicer_server::{Config, Server};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use serde_json::{Value, json};
use std::{
    io::{Read, Write},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};
use testkit::{Admin, TestServer, start_with};

/// A server with HTTPS on a free loopback port and stubs for the services
/// `example` and `other_service`.
async fn tls_server(adjust: impl FnOnce(&mut Config)) -> (TestServer, Admin) {
    let mut config = Config {
        plugins: None,
        tls_listen: Some("127.0.0.1:0".into()),
        ..Config::local("/nonexistent")
    };
    adjust(&mut config);
    let server = start_with(config).await;
    let client = server.client();
    for service in ["example", "other_service"] {
        client
            .stub_json(json!({
                "request": {"method": "GET", "urlPath": "/users", "service": service},
                "response": {"status": 200, "body": format!("users of {service}")}
            }))
            .await
            .expect("the users stub");
    }
    let admin = Admin::new(&server);
    (server, admin)
}

fn tls_port(server: &Server) -> u16 {
    server.tls_addr().expect("HTTPS is on").port()
}

/// The CA as `/__admin/ca.pem` serves it, written to a file.
async fn ca_file(admin: &Admin, dir: &Path) -> PathBuf {
    let reply = admin.get("/__admin/ca.pem").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let pem = reply.text();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let path = dir.join("ca.pem");
    std::fs::write(&path, pem).unwrap();
    path
}

/// curl's answer: `(exit ok, body, "%{http_version}")`.
fn curl(args: &[&str]) -> (bool, String, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "-w", "\n%{http_version}"])
        .args(args)
        .output()
        .expect("curl runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, version) = stdout.rsplit_once('\n').unwrap_or((&stdout, ""));
    if !out.status.success() {
        eprintln!("curl: {}", String::from_utf8_lossy(&out.stderr));
    }
    (out.status.success(), body.to_owned(), version.to_owned())
}

fn resolve(name: &str, port: u16) -> String {
    format!("{name}:{port}:127.0.0.1")
}

fn have(tool: &str, test: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        testkit::skip(test, &format!("no {tool} on PATH"));
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_with_the_ca_reaches_each_service_by_its_https_name_over_http1_and_h2() {
    if !have(
        "curl",
        "curl_with_the_ca_reaches_each_service_by_its_https_name",
    ) {
        return;
    }
    let (server, admin) = tls_server(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(&admin, dir.path()).await;
    let ca = ca.to_str().unwrap();
    let port = tls_port(&server);
    for (name, body) in [
        ("example.localhost", "users of example"),
        ("other-service.localhost", "users of other_service"),
        ("example.test", "users of example"),
        ("localhost", ""),
    ] {
        let url = format!("https://{name}:{port}/users");
        let r = resolve(name, port);
        let (ok, got, version) = curl(&["--cacert", ca, "--resolve", &r, "--http1.1", &url]);
        assert!(ok, "{name} over HTTP/1.1");
        assert_eq!(version, "1.1");
        if !body.is_empty() {
            assert_eq!(got, body);
        }
        let (ok, got, version) = curl(&["--cacert", ca, "--resolve", &r, "--http2", &url]);
        assert!(ok, "{name} over h2");
        assert_eq!(version, "2");
        if !body.is_empty() {
            assert_eq!(got, body);
        }
    }
    // A name that routes to no service gets no certificate for it.
    let url = format!("https://elsewhere.test:{port}/users");
    let r = resolve("elsewhere.test", port);
    let (ok, _, _) = curl(&["--cacert", ca, "--resolve", &r, &url]);
    assert!(!ok, "a certificate for a name that is not ours");

    let journal = admin.get("/__admin/requests").await.json();
    let requests = journal["requests"].as_array().unwrap();
    let protocols: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| {
            (
                r["request"]["protocol"].as_str().unwrap_or_default(),
                r["request"]["scheme"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(protocols.contains(&("HTTP/2.0", "https")), "{protocols:?}");
    assert!(protocols.contains(&("HTTP/1.1", "https")), "{protocols:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_speaks_h2c_with_prior_knowledge_on_the_plain_port() {
    if !have(
        "curl",
        "curl_speaks_h2c_with_prior_knowledge_on_the_plain_port",
    ) {
        return;
    }
    let (server, admin) = tls_server(|c| c.tls_listen = None).await;
    let port = server.addr().port();
    let url = format!("http://example.localhost:{port}/users");
    let r = resolve("example.localhost", port);
    let (ok, body, version) = curl(&["--resolve", &r, "--http2-prior-knowledge", &url]);
    assert!(ok);
    assert_eq!((body.as_str(), version.as_str()), ("users of example", "2"));
    // Path routing too, and HTTP/1.1 on the same port as before.
    let url = format!("{}/other_service/users", server.url());
    let (ok, body, _) = curl(&["--http2-prior-knowledge", &url]);
    assert!(ok);
    assert_eq!(body, "users of other_service");
    let (ok, _, version) = curl(&[&url]);
    assert!(ok);
    assert_eq!(version, "1.1");
    let journal = admin.get("/__admin/requests").await.json();
    let first = &journal["requests"][1]["request"];
    assert_eq!(first["protocol"], "HTTP/2.0", "{first}");
    assert_eq!(first["scheme"], "http");
    // Without --tls-listen there is no CA to serve.
    assert_eq!(admin.get("/__admin/ca.pem").await.status, 404);
}

fn python_with_requests() -> Option<PathBuf> {
    let venv = testkit::workspace_root().join("target/tmp/python-venv/bin/python3");
    [venv, PathBuf::from("python3")].into_iter().find(|py| {
        Command::new(py)
            .args(["-c", "import requests"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_requests_trusts_the_ca_through_requests_ca_bundle() {
    let Some(python) = python_with_requests() else {
        testkit::skip(
            "python_requests_trusts_the_ca_through_requests_ca_bundle",
            "no python3 with requests",
        );
        return;
    };
    let (server, admin) = tls_server(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(&admin, dir.path()).await;
    let port = tls_port(&server);
    // `*.localhost` resolves to loopback for curl and browsers, not for
    // every resolver: the script maps it (and `*.test`), as `curl
    // --resolve` does. An IP address (no SNI) gets the default
    // certificate, valid for 127.0.0.1.
    let script = r#"
import socket, sys, requests
real = socket.getaddrinfo
def local(host, *a, **k):
    if host.endswith((".localhost", ".test")):
        host = "127.0.0.1"
    return real(host, *a, **k)
socket.getaddrinfo = local
r = requests.get(sys.argv[1], timeout=10)
print(r.status_code, r.text)
r = requests.get(sys.argv[2], timeout=10)
print(r.status_code, r.text)
try:
    requests.get(sys.argv[3], timeout=10)
    print("elsewhere verified")
except requests.exceptions.SSLError:
    print("elsewhere refused")
"#;
    let out = Command::new(&python)
        .args([
            "-c",
            script,
            &format!("https://example.localhost:{port}/users"),
            &format!("https://127.0.0.1:{port}/other_service/users"),
            &format!("https://elsewhere.test:{port}/users"),
        ])
        .env("REQUESTS_CA_BUNDLE", &ca)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim(),
        "200 users of example\n200 users of other_service\nelsewhere refused"
    );
}

type H2Sender = hyper::client::conn::http2::SendRequest<Full<Bytes>>;

/// An HTTP/2 connection over `io`, and its task, which ends when the
/// connection closes.
async fn h2_handshake<T>(io: T) -> (H2Sender, tokio::task::JoinHandle<hyper::Result<()>>)
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(io))
            .await
            .expect("h2 handshake");
    (send, tokio::spawn(conn))
}

/// A cleartext HTTP/2 connection with prior knowledge (h2c) to `addr`.
async fn h2c_connect(addr: SocketAddr) -> (H2Sender, tokio::task::JoinHandle<hyper::Result<()>>) {
    h2_handshake(tokio::net::TcpStream::connect(addr).await.unwrap()).await
}

/// An HTTP/2 connection over TLS to `name` (SNI), trusting `ca_pem`.
async fn h2_connect(addr: SocketAddr, name: &str, ca_pem: &str) -> H2Sender {
    h2_connect_tracked(addr, name, ca_pem).await.0
}

/// [`h2_connect`], with the connection's task.
async fn h2_connect_tracked(
    addr: SocketAddr,
    name: &str,
    ca_pem: &str,
) -> (H2Sender, tokio::task::JoinHandle<hyper::Result<()>>) {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from(name.to_owned()).unwrap(), tcp)
        .await
        .expect("handshake");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    h2_handshake(tls).await
}

/// `GET url` on `send`, with `headers`: status and body, or the error.
async fn h2_get(
    send: &mut H2Sender,
    url: &str,
    headers: &[(&str, &str)],
) -> Result<(u16, String), String> {
    let mut req = http::Request::get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = send
        .send_request(req.body(Full::new(Bytes::new())).unwrap())
        .await
        .map_err(|e| format!("{e:?}"))?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("{e:?}"))?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_on_an_h2_stream_reset_that_stream_only() {
    let (server, admin) = tls_server(|_| {}).await;
    for (path, fault) in [
        ("/empty", "EMPTY_RESPONSE"),
        ("/reset", "CONNECTION_RESET_BY_PEER"),
        ("/random", "RANDOM_DATA_THEN_CLOSE"),
        ("/malformed", "MALFORMED_RESPONSE_CHUNK"),
    ] {
        admin
            .stub(json!({
                "request": {"method": "GET", "urlPath": path, "service": "example"},
                "response": {"fault": fault}
            }))
            .await;
    }
    admin
        .stub(json!({
            "request": {"method": "GET", "urlPath": "/slow", "service": "example"},
            "response": {"status": 200, "body": "slow", "fixedDelayMilliseconds": 400}
        }))
        .await;
    let ca = admin.get("/__admin/ca.pem").await.text();
    let addr = server.tls_addr().unwrap();
    let mut send = h2_connect(addr, "example.localhost", &ca).await;
    let base = "https://example.localhost";

    // A slow request in flight on the same connection while faults happen.
    let mut slow_send = send.clone();
    let slow = tokio::spawn(async move {
        let started = Instant::now();
        let r = h2_get(&mut slow_send, "https://example.localhost/slow", &[]).await;
        (r, started.elapsed())
    });
    for path in ["/empty", "/reset", "/random", "/malformed"] {
        let got = h2_get(&mut send, &format!("{base}{path}"), &[]).await;
        let err = got.expect_err(path);
        assert!(
            err.contains("Reset") || err.contains("reset"),
            "{path}: {err}"
        );
    }
    let (slow, took) = slow.await.unwrap();
    assert_eq!(slow.unwrap(), (200, "slow".to_owned()));
    assert!(took >= Duration::from_millis(400), "{took:?}");
    // The connection still serves.
    assert_eq!(
        h2_get(&mut send, &format!("{base}/users"), &[])
            .await
            .unwrap(),
        (200, "users of example".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_request_overrides_and_their_delays_work_over_h2() {
    let (server, admin) = tls_server(|_| {}).await;
    let ca = admin.get("/__admin/ca.pem").await.text();
    let mut send = h2_connect(server.tls_addr().unwrap(), "other-service.localhost", &ca).await;
    let url = "https://other-service.localhost/users";
    let armed = h2_get(
        &mut send,
        url,
        &[
            ("x-fake-servicer-next-request-status", "403"),
            ("x-fake-servicer-next-request-body", "denied"),
            ("x-fake-servicer-next-request-delay", "300"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(armed.0, 202, "{}", armed.1);
    let started = Instant::now();
    assert_eq!(
        h2_get(&mut send, url, &[]).await.unwrap(),
        (403, "denied".to_owned())
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        h2_get(&mut send, url, &[]).await.unwrap(),
        (200, "users of other_service".to_owned())
    );
    let journal = admin.get("/__admin/requests").await.json();
    let last = &journal["requests"][0]["request"];
    assert_eq!(last["protocol"], "HTTP/2.0", "{last}");
    assert_eq!(last["scheme"], "https");
    assert_eq!(last["service"], "other_service");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_dir_keeps_the_same_ca_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let ca_dir = dir.path().join("ca");
    let (first, admin) = tls_server(|c| c.ca_dir = Some(ca_dir.clone())).await;
    let served = admin.get("/__admin/ca.pem").await.text();
    drop(first);
    assert_eq!(
        std::fs::read_to_string(ca_dir.join("ca.pem")).unwrap(),
        served
    );
    let (second, admin) = tls_server(|c| c.ca_dir = Some(ca_dir.clone())).await;
    assert_eq!(admin.get("/__admin/ca.pem").await.text(), served);
    // A certificate from the second server verifies with the first's CA.
    let mut send = h2_connect(second.tls_addr().unwrap(), "example.localhost", &served).await;
    assert_eq!(
        h2_get(&mut send, "https://example.localhost/users", &[])
            .await
            .unwrap()
            .0,
        200
    );
    // The same CA given as --ca-cert/--ca-key.
    let (_third, admin) = tls_server(|c| {
        c.ca_cert = Some(ca_dir.join("ca.pem"));
        c.ca_key = Some(ca_dir.join("ca.key"));
    })
    .await;
    assert_eq!(admin.get("/__admin/ca.pem").await.text(), served);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_file_that_is_not_a_ca_stops_the_start_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("mine.pem");
    std::fs::write(&cert, "not a certificate").unwrap();
    let config = Config {
        plugins: None,
        tls_listen: Some("127.0.0.1:0".into()),
        ca_cert: Some(cert.clone()),
        ca_key: Some(cert),
        ..Config::local("/nonexistent")
    };
    let err = Server::start(config).await.err().expect("refused");
    assert!(err.to_string().contains("mine.pem"), "{err}");
}

fn health_tls(body: &Value) -> (u64, u64) {
    (
        body["tls"]["handshakes"].as_u64().unwrap_or_default(),
        body["tls"]["failedHandshakes"].as_u64().unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_silent_and_protocolless_handshakes_are_counted_and_wedge_nothing() {
    let (server, admin) =
        tls_server(|c| c.tls_handshake_timeout = Duration::from_millis(500)).await;
    let addr = server.tls_addr().unwrap();
    // Garbage instead of a ClientHello: the connection is closed.
    let garbage = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: example\r\n\r\n\x16\x03\x01garbage")
            .unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).is_ok()
    });
    // Silence: closed after the handshake timeout, not kept.
    let silent = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let started = Instant::now();
        let mut buf = Vec::new();
        let closed = s.read_to_end(&mut buf).is_ok();
        (closed, started.elapsed())
    });
    assert!(garbage.await.unwrap(), "the garbage connection is closed");
    let (closed, took) = silent.await.unwrap();
    assert!(closed && took < Duration::from_secs(4), "{closed} {took:?}");
    // A client offering only a protocol we do not speak (ALPN).
    let ca = admin.get("/__admin/ca.pem").await.text();
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"spdy/3".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let refused = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await;
    assert!(refused.is_err(), "no common application protocol");

    let health = testkit::eventually(Duration::from_secs(5), "three failed handshakes", || {
        let admin = &admin;
        async move {
            let h = admin.get("/__admin/health").await.json();
            let (_, failed) = health_tls(&h);
            if failed >= 3 {
                Ok(h)
            } else {
                Err(h.to_string())
            }
        }
    })
    .await;
    assert_eq!(health_tls(&health).1, 3, "{health}");
    // Still serving, on both ports.
    let mut send = h2_connect(addr, "example.localhost", &ca).await;
    assert_eq!(
        h2_get(&mut send, "https://example.localhost/users", &[])
            .await
            .unwrap()
            .0,
        200
    );
    let health = admin.get("/__admin/health").await.json();
    assert_eq!(health_tls(&health), (1, 3), "{health}");
}

/// How long after `since` the connection whose task is `conn` closed;
/// panics if it is still open 10 s later.
async fn closed_after(
    conn: tokio::task::JoinHandle<hyper::Result<()>>,
    since: Instant,
) -> Duration {
    let ended = tokio::time::timeout(Duration::from_secs(10), conn)
        .await
        .expect("the server closes the connection within 10 s");
    let took = since.elapsed();
    ended
        .unwrap()
        .expect("a clean close (GOAWAY), not an error");
    took
}

/// A server whose connections may sit idle for 1 s.
async fn impatient_server(tls: bool) -> (TestServer, Admin) {
    tls_server(|c| {
        c.header_timeout = Duration::from_secs(1);
        if !tls {
            c.tls_listen = None;
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_h2c_connection_is_closed_after_the_header_timeout() {
    let (server, _admin) = impatient_server(false).await;
    let (mut send, conn) = h2c_connect(server.addr()).await;
    let url = "http://example.localhost/users";
    assert_eq!(
        h2_get(&mut send, url, &[]).await.unwrap(),
        (200, "users of example".to_owned())
    );
    let took = closed_after(conn, Instant::now()).await;
    assert!(took >= Duration::from_millis(900), "closed after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_h2_connection_over_tls_is_closed_after_the_header_timeout() {
    let (server, admin) = impatient_server(true).await;
    let ca = admin.get("/__admin/ca.pem").await.text();
    let (mut send, conn) =
        h2_connect_tracked(server.tls_addr().unwrap(), "example.localhost", &ca).await;
    let url = "https://example.localhost/users";
    assert_eq!(
        h2_get(&mut send, url, &[]).await.unwrap(),
        (200, "users of example".to_owned())
    );
    let took = closed_after(conn, Instant::now()).await;
    assert!(took >= Duration::from_millis(900), "closed after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_h2_connection_dribbling_an_answer_past_the_header_timeout_is_not_idle() {
    let (server, admin) = impatient_server(false).await;
    admin
        .stub(json!({
            "request": {"method": "GET", "urlPath": "/dribble", "service": "example"},
            "response": {
                "status": 200,
                "body": "a slow answer",
                "chunkedDribbleDelay": {"numberOfChunks": 4, "totalDuration": 2500}
            }
        }))
        .await;
    let (mut send, conn) = h2c_connect(server.addr()).await;
    let started = Instant::now();
    assert_eq!(
        h2_get(&mut send, "http://example.localhost/dribble", &[])
            .await
            .unwrap(),
        (200, "a slow answer".to_owned())
    );
    assert!(started.elapsed() >= Duration::from_millis(1800));
    // Open all along: the same connection takes the next request.
    assert_eq!(
        h2_get(&mut send, "http://example.localhost/users", &[])
            .await
            .unwrap(),
        (200, "users of example".to_owned())
    );
    let took = closed_after(conn, Instant::now()).await;
    assert!(took >= Duration::from_millis(900), "closed after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_h2_request_with_more_header_lines_than_max_headers_is_answered_431() {
    let (server, _admin) = tls_server(|c| {
        c.tls_listen = None;
        c.max_headers = 10;
    })
    .await;
    let (mut send, _conn) = h2c_connect(server.addr()).await;
    let url = "http://example.localhost/users";
    let names: Vec<String> = (0..11).map(|i| format!("x-extra-{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let (status, body) = h2_get(&mut send, url, &many).await.unwrap();
    assert_eq!(status, 431, "{body}");
    assert!(body.contains("--max-headers"), "{body}");
    let (status, _) = h2_get(&mut send, url, &many[..10]).await.unwrap();
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_server_lets_an_h2_request_in_flight_finish() {
    let (server, admin) = tls_server(|c| c.tls_listen = None).await;
    admin
        .stub(json!({
            "request": {"method": "GET", "urlPath": "/slow", "service": "example"},
            "response": {"status": 200, "body": "finished", "fixedDelayMilliseconds": 1000}
        }))
        .await;
    let (mut send, conn) = h2c_connect(server.addr()).await;
    let slow =
        tokio::spawn(async move { h2_get(&mut send, "http://example.localhost/slow", &[]).await });
    // The journal records a request once its answer is decided: in flight.
    testkit::eventually(
        Duration::from_secs(10),
        "the slow request in flight",
        || {
            let admin = &admin;
            async move {
                let n = admin.get("/__admin/requests").await.json()["meta"]["total"].clone();
                if n == 1 { Ok(()) } else { Err(n.to_string()) }
            }
        },
    )
    .await;
    server.shutdown().await;
    assert_eq!(slow.await.unwrap().unwrap(), (200, "finished".to_owned()));
    closed_after(conn, Instant::now()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_server_does_not_wait_for_connections_that_sent_nothing() {
    let (server, admin) = tls_server(|_| {}).await;
    // Silent on both ports: no HTTP/2 preface, no ClientHello. Each would
    // be kept for --header-timeout (30 s) or --tls-handshake-timeout (10 s).
    let _plain = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let _tls = tokio::net::TcpStream::connect(server.tls_addr().unwrap())
        .await
        .unwrap();
    // Each port accepts in order: once a later connection is answered, the
    // silent one has been accepted.
    let ca = admin.get("/__admin/ca.pem").await.text();
    let (mut plain, _) = h2c_connect(server.addr()).await;
    let mut tls = h2_connect(server.tls_addr().unwrap(), "example.localhost", &ca).await;
    for (send, url) in [
        (&mut plain, "http://example.localhost/users"),
        (&mut tls, "https://example.localhost/users"),
    ] {
        assert_eq!(h2_get(send, url, &[]).await.unwrap().0, 200);
    }
    let started = Instant::now();
    assert!(
        server.shutdown_within(Duration::from_secs(5)).await,
        "still stopping after {:?}",
        started.elapsed()
    );
}
