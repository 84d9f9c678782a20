//! One WireMock root directory (`tests/data/wiremock-root`: stubs in
//! subfolders, `__files` text and binary, a templated file name, a JSON
//! schema, a webhook, gzip) served by the reference WireMock 3.13.2 and by
//! fake-servicer, both started with the same WireMock command line. Every
//! answer (status, body, `Content-Type`, `Content-Encoding`, CORS headers)
//! and every webhook must be the same, but for the differences
//! `docs/wiremock.md` lists ([`KNOWN`]).
//!
//! Without `java` the test is skipped visibly, or fails when
//! `FAKE_SERVICER_REQUIRE_DOCKER=1` (or `CI`) is set.

use crate::java_client::{Reference, has};
use axum::{Router, extract::State, http::HeaderMap, routing::post};
use bytes::Bytes;
use http::Method;
use std::{
    io::{BufRead, Read, Write},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

/// WireMock's command line, the same for both (the root dir follows).
const ARGS: &[&str] = &[
    "--port",
    "0",
    "--bind-address",
    "127.0.0.1",
    "--disable-banner",
    "--enable-stub-cors",
    "--global-response-templating",
    "--container-threads",
    "20",
    "--root-dir",
];

/// Differences `docs/wiremock.md` lists: `(case, what differs)`.
const KNOWN: &[(&str, &str)] = &[
    (
        "a binary body file",
        "sent as stored; WireMock renders it as text, replacing the bytes that are not UTF-8",
    ),
    (
        "a binary body file, gzip accepted",
        "sent as stored; WireMock renders it as text, replacing the bytes that are not UTF-8",
    ),
    (
        "a templated body file name naming no file",
        "500 with a JSON error naming the file; WireMock's is Jetty's HTML error page",
    ),
];

/// How long a server may take to start, and a webhook to arrive.
const LIMIT: Duration = Duration::from_secs(90);

/// One request, sent to both.
struct Case {
    name: &'static str,
    method: Method,
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Case {
    fn get(name: &'static str, path: &'static str) -> Case {
        Case {
            name,
            method: Method::GET,
            path,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    fn with(mut self, name: &'static str, value: &str) -> Case {
        self.headers.push((name, value.to_owned()));
        self
    }

    fn post(name: &'static str, path: &'static str, body: impl Into<Vec<u8>>) -> Case {
        Case {
            method: Method::POST,
            body: body.into(),
            ..Case::get(name, path)
        }
        .with("content-type", "application/json")
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| format!("not gzip: {e}"))?;
    Ok(out)
}

fn cases() -> Vec<Case> {
    let order = br#"{"id": "ord-7", "quantity": 2}"#;
    vec![
        Case::get("a stub in a subfolder", "/hello"),
        Case::get("a stub of a nested multi-stub file", "/nested/thing"),
        Case::get("a globally templated stub", "/nested/templated?q=tea"),
        Case::get("a text body file, templated", "/files/text"),
        Case::get("a binary body file", "/files/logo"),
        Case::get("a templated body file name", "/files/named/alpha"),
        Case::get(
            "a templated body file name naming no file",
            "/files/named/beta",
        ),
        Case::get("a body file too small to gzip", "/hello").with("accept-encoding", "gzip"),
        Case::get("a large body file, gzip accepted", "/files/large")
            .with("accept-encoding", "gzip"),
        Case::get("a binary body file, gzip accepted", "/files/logo")
            .with("accept-encoding", "gzip"),
        Case::post(
            "a body valid against the schema",
            "/orders",
            order.as_slice(),
        ),
        Case::post(
            "a body the schema refuses",
            "/orders",
            br#"{"id": "ord-8", "quantity": 0}"#.as_slice(),
        ),
        Case::post(
            "a body that is not JSON, against the schema",
            "/orders",
            "id=7",
        ),
        Case::post(
            "a gzipped request body",
            "/orders/compressed",
            gzip(br#"{"quantity": 3, "id": "gz-1"}"#),
        )
        .with("content-encoding", "gzip"),
        Case::get("a stub answer to a CORS request", "/hello").with("origin", "http://app.example"),
        Case {
            method: Method::OPTIONS,
            ..Case::get("a CORS preflight", "/hello")
        }
        .with("origin", "http://app.example")
        .with("access-control-request-method", "POST")
        .with("access-control-request-headers", "X-Trace, Content-Type"),
        Case {
            method: Method::OPTIONS,
            ..Case::get("a CORS preflight for a path no stub has", "/nowhere")
        }
        .with("origin", "http://app.example")
        .with("access-control-request-method", "GET"),
        Case::get("a request no stub matches", "/nowhere"),
    ]
}

/// What is compared of an answer.
#[derive(Debug, PartialEq)]
struct Seen {
    status: u16,
    /// Headers compared, lower-case names, sorted.
    headers: Vec<(String, String)>,
    /// Decoded when gzipped; `None` for a 404 (its report's wording is
    /// each server's own).
    body: Option<Result<Vec<u8>, String>>,
}

fn seen(reply: &testkit::Reply) -> Seen {
    let mut headers: Vec<(String, String)> = reply
        .headers
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            // A 404's report is each server's own, its type too.
            name.starts_with("access-control-")
                || (reply.status != 404 && (name == "content-type" || name == "content-encoding"))
        })
        .map(|(n, v)| {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (n.as_str().to_owned(), normalised(n.as_str(), &value))
        })
        .collect();
    headers.sort();
    let gzipped = reply
        .headers
        .get("content-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let body = (reply.status != 404).then(|| {
        if gzipped {
            gunzip(&reply.body)
        } else {
            Ok(reply.body.to_vec())
        }
    });
    Seen {
        status: reply.status.as_u16(),
        headers,
        body,
    }
}

/// Lists in header values compared as sets (`GET, POST` = `POST,GET`).
fn normalised(name: &str, value: &str) -> String {
    if !name.starts_with("access-control-allow-") || name == "access-control-allow-origin" {
        return value.to_owned();
    }
    let mut items: Vec<String> = value
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    items.sort();
    items.join(",")
}

/// The fake-servicer binary with WireMock's command line; killed on drop.
struct Ours {
    child: Child,
    url: String,
}

impl Ours {
    fn start(root: &Path) -> Ours {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
            .args(ARGS)
            .arg(root)
            .env("FAKE_SERVICER_DOCKER", "off")
            .env_remove("FAKE_SERVICER_PLUGINS")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("fake-servicer starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut seen = Vec::new();
        while let Some(Ok(line)) = lines.next() {
            if let Some(addr) = line.strip_prefix("fake-servicer listening on ") {
                let url = addr.trim().to_owned();
                std::thread::spawn(move || lines.for_each(drop));
                return Ours { child, url };
            }
            seen.push(line);
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("fake-servicer printed no 'listening on' line; got {seen:?}");
    }
}

impl Drop for Ours {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A webhook as received.
#[derive(Debug, Clone, PartialEq)]
struct Hook {
    method: String,
    path: String,
    content_type: Option<String>,
    paid: Option<String>,
    body: String,
}

type Hooks = Arc<Mutex<Vec<Hook>>>;

/// A loopback receiver of webhooks; returns its port and what it got.
async fn receiver() -> (u16, Hooks) {
    async fn take(
        State(hooks): State<Hooks>,
        uri: http::Uri,
        method: Method,
        headers: HeaderMap,
        body: Bytes,
    ) -> &'static str {
        let header = |n: &str| {
            headers
                .get(n)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let hook = Hook {
            method: method.to_string(),
            path: uri.path().to_owned(),
            content_type: header("content-type"),
            paid: header("x-paid"),
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        hooks.lock().expect("hooks").push(hook);
        "received"
    }
    let hooks: Hooks = Arc::default();
    let app = Router::new()
        .route("/hooks/{id}", post(take))
        .with_state(hooks.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a receiver");
    let port = listener.local_addr().expect("its port").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, hooks)
}

/// The webhooks `hooks` got once one came, or after [`LIMIT`] when none.
async fn hooks_within(hooks: &Hooks) -> Vec<Hook> {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let got = hooks.lock().expect("hooks").clone();
        if !got.is_empty() || tokio::time::Instant::now() >= deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn send(http: &testkit::Http, base: &str, case: &Case) -> testkit::Reply {
    let headers: Vec<(&str, &str)> = case.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let url = format!("{base}{}", case.path);
    http.send(case.method.clone(), &url, &headers, case.body.clone())
        .await
        .unwrap_or_else(|e| panic!("{} ({url}): {e}", case.name))
}

/// A copy of the root directory for one server.
fn root_copy() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("make a dir");
        for entry in std::fs::read_dir(from).expect("read the root").flatten() {
            let (src, dst) = (entry.path(), to.join(entry.file_name()));
            if src.is_dir() {
                copy(&src, &dst);
            } else {
                std::fs::copy(&src, &dst).expect("copy a file");
            }
        }
    }
    let dir = tempfile::tempdir().expect("a root dir");
    copy(
        &testkit::workspace_root().join("server/tests/data/wiremock-root"),
        dir.path(),
    );
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wiremock_root_dir_is_served_as_the_reference_serves_it() {
    const TEST: &str = "a_wiremock_root_dir_is_served_as_the_reference_serves_it";
    if !has("java") {
        testkit::skip(TEST, "no java on this machine (a JRE 17)");
        return;
    }
    let (theirs_root, ours_root) = (root_copy(), root_copy());
    let (reference_root, our_root) = (theirs_root.path().to_owned(), ours_root.path().to_owned());
    let reference =
        tokio::task::spawn_blocking(move || Reference::start_with(ARGS, Some(&reference_root)));
    let ours = tokio::task::spawn_blocking(move || Ours::start(&our_root))
        .await
        .expect("start ours");
    let reference = reference.await.expect("start the reference");
    reference.ready().await;
    let http = testkit::Http::new();
    // Ours loads the root dir's files just after it listens.
    testkit::eventually(LIMIT, "fake-servicer to serve the root dir", || {
        let (http, url) = (http.clone(), format!("{}/hello", ours.url));
        async move {
            match http.send(Method::GET, &url, &[], Bytes::new()).await {
                Ok(r) if r.status == 200 => Ok(()),
                Ok(r) => Err(format!("status {}", r.status)),
                Err(e) => Err(e),
            }
        }
    })
    .await;

    let mut differences = Vec::new();
    let mut compared = 0;
    for case in cases() {
        let theirs = seen(&send(&http, &reference.url, &case).await);
        let mine = seen(&send(&http, &ours.url, &case).await);
        compared += 1;
        if theirs != mine && !KNOWN.iter().any(|(name, _)| *name == case.name) {
            differences.push(format!(
                "{} ({} {}):\n  reference: {}\n  ours:      {}",
                case.name,
                case.method,
                case.path,
                describe(&theirs),
                describe(&mine)
            ));
        }
    }

    // The webhook: each server calls its own receiver.
    let ((their_port, their_hooks), (our_port, our_hooks)) = (receiver().await, receiver().await);
    let payment = br#"{"id": "pay-42", "amount": 125}"#.to_vec();
    for (base, port) in [(&reference.url, their_port), (&ours.url, our_port)] {
        let case = Case::post("a payment with a webhook", "/payments", payment.clone())
            .with("x-receiver-port", &port.to_string());
        let reply = send(&http, base, &case).await;
        assert_eq!(reply.status, 200, "{base}: {}", reply.text());
    }
    let theirs = hooks_within(&their_hooks).await;
    let mine = hooks_within(&our_hooks).await;
    compared += 1;
    if theirs != mine {
        differences.push(format!(
            "the webhook:\n  reference: {theirs:?}\n  ours:      {mine:?}"
        ));
    }
    assert!(
        matches!(theirs.as_slice(), [one] if one.path == "/hooks/pay-42"),
        "the reference's webhook: {theirs:?}"
    );
    assert!(
        differences.is_empty(),
        "{} of {compared} exchanges differ from the reference WireMock:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

fn describe(seen: &Seen) -> String {
    let body = match &seen.body {
        None => "(404 report)".to_owned(),
        Some(Ok(b)) if b.len() > 160 => format!("{} bytes", b.len()),
        Some(Ok(b)) => format!("{:?}", String::from_utf8_lossy(b)),
        Some(Err(e)) => e.clone(),
    };
    format!("{} {:?} {body}", seen.status, seen.headers)
}
