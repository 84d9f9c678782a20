//! Shared fixtures: real plugin crates built with real `cargo build`, a real
//! server on a loopback port, a plain HTTP client, an admin API client, a
//! raw-socket exchange, and the visible skip of tests whose tools are
//! missing.
#![allow(dead_code)]

use bytes::Bytes;
use fake_servicer_server::{Config, Server};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::{Duration, Instant},
};

/// The repository root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("server/ has a parent")
        .to_owned()
}

/// One cargo target dir for every plugin the tests build (dependencies are
/// compiled once).
pub fn plugin_target() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-target")
}

/// Where `cargo build` leaves the library of crate `name`.
pub fn built_library(name: &str) -> PathBuf {
    plugin_target()
        .join("debug")
        .join(format!("lib{name}.{}", std::env::consts::DLL_EXTENSION))
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    c.env("CARGO_TARGET_DIR", plugin_target());
    c
}

/// Runs `cargo build` on a manifest; returns (success, stderr).
pub fn cargo_build(manifest: &Path) -> (bool, String) {
    let out = cargo()
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(manifest)
        .output()
        .expect("cargo runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Builds one of the repository's example plugins and returns its library.
pub fn build_example(name: &str) -> PathBuf {
    let manifest = workspace_root()
        .join("plugins")
        .join(name)
        .join("Cargo.toml");
    let (ok, err) = cargo_build(&manifest);
    assert!(ok, "building plugin {name} failed:\n{err}");
    built_library(name)
}

/// A plugin crate written by a test, the way a user writes one: depends on
/// `fake-servicer-sdk` by path and on `serde`.
pub struct PluginCrate {
    pub dir: PathBuf,
    pub name: String,
}

impl PluginCrate {
    /// Writes the crate (not yet built). `name` must be unique per test.
    pub fn new(name: &str, lib_rs: &str) -> PluginCrate {
        Self::with_manifest_extra(name, lib_rs, "")
    }

    /// Like [`new`](Self::new), with extra lines appended to Cargo.toml.
    pub fn with_manifest_extra(name: &str, lib_rs: &str, extra: &str) -> PluginCrate {
        Self::with_sdk(name, lib_rs, extra, &workspace_root().join("sdk"))
    }

    /// Like [`with_manifest_extra`](Self::with_manifest_extra), against the
    /// SDK at `sdk`.
    pub fn with_sdk(name: &str, lib_rs: &str, extra: &str, sdk: &Path) -> PluginCrate {
        // Under cargo's target dir: kept between runs for incremental builds.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("crates")
            .join(name);
        let _ = std::fs::remove_dir_all(dir.join("src"));
        std::fs::create_dir_all(dir.join("src")).expect("src dir");
        let manifest = format!(
            r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]

[dependencies]
fake-servicer-sdk = {{ path = {sdk:?} }}
serde = {{ version = "1", features = ["derive"] }}

[workspace]

[profile.dev]
debug = false
{extra}
"#
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).expect("write manifest");
        std::fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock"))
            .expect("copy Cargo.lock");
        let krate = PluginCrate {
            dir,
            name: name.to_owned(),
        };
        krate.write_src(lib_rs);
        krate
    }

    /// Replaces `src/lib.rs`.
    pub fn write_src(&self, lib_rs: &str) {
        std::fs::write(self.dir.join("src/lib.rs"), lib_rs).expect("write lib.rs");
    }

    pub fn manifest(&self) -> PathBuf {
        self.dir.join("Cargo.toml")
    }

    /// `cargo build`; returns (success, stderr).
    pub fn try_build(&self) -> (bool, String) {
        cargo_build(&self.manifest())
    }

    /// `cargo build`, which must succeed; returns the library path.
    pub fn build(&self) -> PathBuf {
        let (ok, err) = self.try_build();
        assert!(ok, "building plugin {} failed:\n{err}", self.name);
        built_library(&self.name)
    }

    /// Builds and copies the library to `dest` (a private file).
    pub fn build_to(&self, dest: &Path) -> PathBuf {
        let lib = self.build();
        std::fs::copy(&lib, dest).expect("copy library");
        dest.to_owned()
    }
}

/// Installs a copy of `src` at `dest` the way cargo does: a fresh file is
/// written elsewhere (cargo's `deps/`), `dest` is removed, then hard-linked
/// to it. The fresh file is private, so later writes to `dest` never reach
/// `src`.
pub fn install_like_cargo(src: &Path, dest: &Path) {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let staging_dir = dest.parent().expect("dest has a parent").join("deps");
    std::fs::create_dir_all(&staging_dir).expect("deps dir");
    let staging = staging_dir.join(format!("staged-{n}.so"));
    std::fs::copy(src, &staging).expect("copy library");
    let _ = std::fs::remove_file(dest);
    std::fs::hard_link(&staging, dest).expect("hard link library");
}

/// A server on a free loopback port.
pub async fn start_server(plugins: &Path) -> Server {
    start_with(Config::local(plugins)).await
}

/// A server with its configuration as given.
pub async fn start_with(config: Config) -> Server {
    init_logs();
    Server::start(config).await.expect("server starts")
}

/// A server whose plugin dir (a fresh temporary dir, returned with it) holds
/// a copy of each of `libraries`, configured by `adjust` on top of
/// [`Config::local`].
pub async fn serve(
    libraries: &[PathBuf],
    adjust: impl FnOnce(&mut Config),
) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("plugin dir");
    for lib in libraries {
        let name = lib.file_name().expect("a library file name");
        std::fs::copy(lib, dir.path().join(name)).expect("copy library");
    }
    let mut config = Config::local(dir.path());
    adjust(&mut config);
    (start_with(config).await, dir)
}

/// The repository's example plugins (`example`, `other_service`), built
/// once per test binary.
pub fn examples() -> &'static [PathBuf] {
    static BUILT: OnceLock<Vec<PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| {
        ["example", "other_service"]
            .into_iter()
            .map(build_example)
            .collect()
    })
}

/// A server with the example plugins, configured by `adjust`.
pub async fn serve_examples(adjust: impl FnOnce(&mut Config)) -> (Server, tempfile::TempDir) {
    serve(examples(), adjust).await
}

fn init_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "fake_servicer_server=info".into()),
            )
            .with_test_writer()
            .try_init();
    });
}

/// A response as the tests look at it.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A plain HTTP/1.1 client over loopback.
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

impl Http {
    pub fn new() -> Http {
        Http {
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Sends a request; `Err` is a transport failure.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<Reply, String> {
        let mut req = Request::builder().method(method).uri(url);
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        let req = req
            .body(Full::new(body.into()))
            .map_err(|e| e.to_string())?;
        let resp = self
            .client
            .request(req)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    pub async fn get(&self, url: &str) -> Reply {
        self.send(Method::GET, url, &[], Bytes::new())
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }

    /// GET with a Host header.
    pub async fn get_host(&self, url: &str, host: &str) -> Reply {
        self.send(Method::GET, url, &[("host", host)], Bytes::new())
            .await
            .unwrap_or_else(|e| panic!("GET {url} (Host: {host}): {e}"))
    }

    pub async fn post_json(&self, url: &str, body: &str) -> Reply {
        self.send(
            Method::POST,
            url,
            &[("content-type", "application/json")],
            body.to_owned(),
        )
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"))
    }
}

/// The admin API (and the mocks) of one server, over HTTP with JSON bodies.
pub struct Admin {
    pub http: Http,
    pub base: String,
}

impl Admin {
    pub fn new(server: &Server) -> Admin {
        Admin::at(server.url())
    }

    /// The server at `base` (`http://127.0.0.1:PORT`).
    pub fn at(base: String) -> Admin {
        Admin {
            http: Http::new(),
            base,
        }
    }

    /// `method path` with a JSON content type and `body` verbatim.
    pub async fn call(&self, method: Method, path: &str, body: &str) -> Reply {
        self.http
            .send(
                method.clone(),
                &format!("{}{path}", self.base),
                &[("content-type", "application/json")],
                body.to_owned(),
            )
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, "").await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, &body.to_string()).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, &body.to_string()).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, "").await
    }

    /// Creates a stub, which must be accepted (201); returns it as stored.
    pub async fn stub(&self, mapping: Value) -> Value {
        let r = self.post("/__admin/mappings", mapping).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()
    }

    /// `POST /__admin/requests/count` for `pattern`.
    pub async fn count(&self, pattern: Value) -> u64 {
        let r = self.post("/__admin/requests/count", pattern).await;
        r.json()["count"]
            .as_u64()
            .unwrap_or_else(|| panic!("a count: {}", r.text()))
    }

    /// `GET /__admin/services`.
    pub async fn services(&self) -> Value {
        self.get("/__admin/services").await.json()
    }

    /// The entry of service `name` in `/__admin/services` (`Null` when it
    /// is not loaded).
    pub async fn service(&self, name: &str) -> Value {
        self.services().await["services"]
            .as_array()
            .expect("a services array")
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// A plain request to a mock (no content type added).
    pub async fn mock(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        self.http
            .send(
                method.clone(),
                &format!("{}{path}", self.base),
                headers,
                body.to_owned(),
            )
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }
}

/// What came back on a raw socket: every byte read until the server closed
/// (or the read timed out), the error that ended the exchange if any, and
/// how long it took from the first byte written.
#[derive(Debug)]
pub struct Exchange {
    pub bytes: Vec<u8>,
    pub error: Option<std::io::Error>,
    pub took: Duration,
}

impl Exchange {
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

/// Whether tests whose tools are missing must fail instead of skipping:
/// `FAKE_SERVICER_REQUIRE_DOCKER` set to anything but `0` (`.ci/run` sets
/// it), or, when it is unset, `CI` set.
pub fn tools_required() -> bool {
    match std::env::var("FAKE_SERVICER_REQUIRE_DOCKER") {
        Ok(v) => !v.trim().is_empty() && v.trim() != "0",
        Err(_) => std::env::var_os("CI").is_some(),
    }
}

/// Where skipped tests are listed, one `SKIPPED: <test>: <reason>` line
/// each (`.ci/run` prints it after the tests).
pub fn skip_log() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("skipped-tests.txt")
}

/// Records that `test` cannot run for `reason`: a failure when
/// [`tools_required`], otherwise a `SKIPPED: <test>: <reason>` line on the
/// process's stderr (which `cargo test` does not capture) and in
/// [`skip_log`]. The caller returns after it.
pub fn skip(test: &str, reason: &str) {
    assert!(
        !tools_required(),
        "{test} cannot run: {reason} (FAKE_SERVICER_REQUIRE_DOCKER or CI is set, so a missing tool is a failure)"
    );
    let line = format!("SKIPPED: {test}: {reason}\n");
    // `eprintln!` is captured by the test harness; the stderr handle is not.
    let _ = std::io::stderr().write_all(line.as_bytes());
    let log = skip_log();
    if let Some(dir) = log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
    {
        let _ = f.write_all(line.as_bytes());
    }
}

/// Polls `check` until it returns `Some`, for at most `limit`; panics with
/// `what` and the last observation otherwise.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < limit {
        match check().await {
            Ok(v) => return v,
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out after {limit:?} waiting for {what}; last seen: {last}");
}

/// A copy of the SDK with `edit` applied to its files, as a standalone
/// crate; for plugins "built against another SDK". Returns its directory.
pub fn sdk_variant(name: &str, edit: impl Fn(&str, String) -> String) -> PathBuf {
    let root = workspace_root();
    let dest = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("sdk-variants")
        .join(name);
    let _ = std::fs::remove_dir_all(&dest);
    copy_tree(&root.join("sdk/src"), &dest.join("src"), &edit);

    // The SDK's manifest stands alone but for the macros' relative path.
    let manifest = std::fs::read_to_string(root.join("sdk/Cargo.toml")).expect("sdk manifest");
    let macros = format!("path = {:?}", root.join("sdk-macros").display().to_string());
    assert!(manifest.contains(r#"path = "../sdk-macros""#), "{manifest}");
    let mut out = manifest.replace(r#"path = "../sdk-macros""#, &macros);
    out.push_str("\n[workspace]\n");
    std::fs::write(dest.join("Cargo.toml"), edit("Cargo.toml", out)).expect("write manifest");
    dest
}

fn copy_tree(from: &Path, to: &Path, edit: &impl Fn(&str, String) -> String) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &target, edit);
        } else {
            let text = std::fs::read_to_string(&path).expect("read source");
            let name = entry.file_name().to_string_lossy().into_owned();
            std::fs::write(&target, edit(&name, text)).expect("write source");
        }
    }
}

/// A plugin's source: service `service`, one route `GET <path>` answering
/// `answer`.
pub fn answering_plugin(service: &str, path: &str, answer: &str) -> String {
    format!(
        "use fake_servicer::prelude::*;\n\
         #[route(get, \"{path}\")]\n\
         fn answer() -> &'static str {{ \"{answer}\" }}\n\
         fake_servicer::service!(name = \"{service}\", answer);\n"
    )
}

/// Crate `krate` built twice, as service `service` answering `v1` then `v2`
/// on `GET <path>`; both libraries kept as files.
pub fn two_versions(krate: &str, service: &str, path: &str) -> (PathBuf, PathBuf) {
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{krate}-builds"));
    std::fs::create_dir_all(&keep).expect("builds dir");
    let plugin = PluginCrate::new(krate, &answering_plugin(service, path, "v1"));
    let v1 = plugin.build_to(&keep.join("v1.so"));
    plugin.write_src(&answering_plugin(service, path, "v2"));
    let v2 = plugin.build_to(&keep.join("v2.so"));
    (v1, v2)
}

/// The built `fake-servicer` binary, running on a free loopback port with
/// the plugins of `plugins` and the extra flags `args`; killed on drop.
/// For what only a process shows: its resident memory.
pub struct Process {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Process {
    pub fn start(plugins: &Path, args: &[&str]) -> Process {
        use std::io::BufRead;
        // `option_env!`: the client's tests share this module and have no
        // such binary.
        let Some(bin) = option_env!("CARGO_BIN_EXE_fake-servicer") else {
            panic!("only the fake-servicer package's tests have its binary");
        };
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0", "--docker", "off", "--plugins"])
            .arg(plugins)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("fake-servicer starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        let mut process = Process {
            child,
            url: String::new(),
        };
        let mut seen = Vec::new();
        while let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) {
            if let Some(url) = line.strip_prefix("fake-servicer listening on ") {
                process.url = url.trim().to_owned();
                return process;
            }
            seen.push(line);
        }
        panic!("fake-servicer {args:?}: no 'listening on' line; got {seen:?}");
    }

    /// A figure of `/proc/<pid>/status` in KiB: `VmRSS` (resident now) or
    /// `VmHWM` (the peak).
    pub fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {field} in {status}"))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
