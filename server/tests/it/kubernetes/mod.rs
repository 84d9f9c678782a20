//! The Kubernetes API (`--kubernetes`): driven by the real `kubectl`
//! (apply, get, get -w, patch, delete; by prefix, over HTTPS with the
//! generated CA) and by plain HTTP for what kubectl does not show (Status
//! codes, resourceVersion and generation, paging, selectors, watches from
//! a resourceVersion, scopes, caps).

mod api;
mod binary;
mod kubectl;
mod scopes;
mod watch;

use crate::streams::Reading;
use fake_servicer_server::Config;
use http::Method;
use serde_json::{Value, json};
use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};
use testkit::{Http, Reply, TestServer, start_with};

/// How long a test waits for what it expects.
const PATIENCE: Duration = Duration::from_secs(15);

/// A server with the Kubernetes API on, configured by `adjust`.
async fn k8s(adjust: impl FnOnce(&mut Config)) -> TestServer {
    let mut config = Config {
        plugins: None,
        kubernetes: true,
        ..Config::local("/nonexistent")
    };
    adjust(&mut config);
    start_with(config).await
}

/// The API's base URL on `server`, by prefix.
fn base(server: &TestServer) -> String {
    format!("{}/kubernetes", server.url())
}

/// A pod named `name` with `labels` and one container of `image`.
fn pod(name: &str, labels: Value, image: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "app", "image": image}]},
    })
}

/// A request to the API at `path` (under the base), with `scope` as the
/// scope header when given.
async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    body: Option<&Value>,
    content_type: &str,
    scope: Option<&str>,
) -> Reply {
    let mut headers = vec![("content-type", content_type)];
    if let Some(scope) = scope {
        headers.push(("x-fake-servicer-scope", scope));
    }
    let body = body.map(Value::to_string).unwrap_or_default();
    let url = format!("{}{path}", base(server));
    Http::new()
        .send(method.clone(), &url, &headers, body)
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"))
}

async fn get(server: &TestServer, path: &str) -> Reply {
    call(server, Method::GET, path, None, "application/json", None).await
}

async fn post(server: &TestServer, path: &str, body: &Value) -> Reply {
    call(
        server,
        Method::POST,
        path,
        Some(body),
        "application/json",
        None,
    )
    .await
}

async fn put(server: &TestServer, path: &str, body: &Value) -> Reply {
    call(
        server,
        Method::PUT,
        path,
        Some(body),
        "application/json",
        None,
    )
    .await
}

/// Creates `object` in the collection at `path`; the stored object.
async fn create(server: &TestServer, path: &str, object: &Value) -> Value {
    let reply = post(server, path, object).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()
}

/// The names of a list's items.
fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|i| {
            i["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Asserts `reply` is a `Status` failure with `code` and `reason`.
#[track_caller]
fn assert_status(reply: &Reply, code: u16, reason: &str) {
    assert_eq!(reply.status.as_u16(), code, "{}", reply.text());
    let status = reply.json();
    assert_eq!(status["kind"], "Status", "{status}");
    assert_eq!(status["status"], "Failure", "{status}");
    assert_eq!(status["reason"], reason, "{status}");
    assert_eq!(status["code"], code, "{status}");
}

/// A watch being read as it comes (a [`Reading`] of the streams tests):
/// its events, one JSON value a line.
struct Watch {
    reading: Reading,
    status: u16,
}

impl Watch {
    /// `GET path?...` (under the base) on `addr`, in `scope` if given.
    async fn open(server: &TestServer, path: &str, scope: Option<&str>) -> Watch {
        let headers: Vec<(&str, &str)> = scope
            .map(|scope| ("x-fake-servicer-scope", scope))
            .into_iter()
            .collect();
        let reading = Reading::open(server.addr(), &format!("/kubernetes{path}"), &headers).await;
        let status = reading.head.status.as_u16();
        Watch { reading, status }
    }

    /// The events read so far.
    fn events(&self) -> Vec<Value> {
        self.reading
            .text()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// Reads until `n` events have come (bounded); them.
    async fn until(&mut self, n: usize) -> Vec<Value> {
        let reading = async {
            while self.events().len() < n {
                if !self.reading.more().await {
                    panic!("the watch ended after {:?}", self.events());
                }
            }
        };
        if tokio::time::timeout(PATIENCE, reading).await.is_err() {
            panic!("no {n} events within {PATIENCE:?}: {:?}", self.events());
        }
        self.events()
    }

    /// Reads to the end (bounded); every event.
    async fn read_to_end(&mut self) -> Vec<Value> {
        let reading = async { while self.reading.more().await {} };
        if tokio::time::timeout(PATIENCE, reading).await.is_err() {
            panic!(
                "the watch did not end within {PATIENCE:?}: {:?}",
                self.events()
            );
        }
        self.events()
    }
}

/// `(type, name)` of each event.
fn kinds_and_names(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or_default().to_owned(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

/// The real kubectl; the test fails with a clear message when it is
/// missing.
fn kubectl_binary() -> &'static str {
    const PATH: &str = "kubectl";
    let found = Command::new(PATH)
        .args(["version", "--client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "these tests need the real kubectl on PATH: install it (https://kubernetes.io/docs/tasks/tools/)"
    );
    PATH
}

/// What kubectl printed and how it ended.
#[derive(Debug)]
struct Ran {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// kubectl against `server_url` (`--server`), with an empty kubeconfig
/// and `args`, fed `stdin`.
async fn kubectl(server_url: &str, args: &[&str], stdin: Option<&str>) -> Ran {
    let (server_url, stdin) = (server_url.to_owned(), stdin.map(str::to_owned));
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let mut child = kubectl_command(&server_url, &args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl starts");
        if let Some(mut pipe) = child.stdin.take() {
            let _ = pipe.write_all(stdin.unwrap_or_default().as_bytes());
        }
        let out = child.wait_with_output().expect("kubectl ends");
        Ran {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .expect("kubectl ran")
}

/// kubectl that must succeed: its output.
async fn kubectl_ok(server_url: &str, args: &[&str], stdin: Option<&str>) -> String {
    let ran = kubectl(server_url, args, stdin).await;
    assert!(
        ran.ok,
        "kubectl {args:?} failed: {}{}",
        ran.stdout, ran.stderr
    );
    ran.stdout
}

fn kubectl_command(server_url: &str, args: &[String]) -> Command {
    let mut cmd = Command::new(kubectl_binary());
    // Discovery is cached by host and port: a cache of this process's
    // own, not one a server of an earlier run on the same port left.
    let cache = testkit::tmp_dir()
        .join("kubectl-cache")
        .join(std::process::id().to_string());
    cmd.env("KUBECONFIG", "/dev/null")
        .arg("--cache-dir")
        .arg(cache)
        .arg("--server")
        .arg(server_url)
        .args(args);
    cmd
}

/// A kubectl left running (`get -w`), its output read line by line.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(server_url: &str, args: &[&str]) -> Running {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let mut child = kubectl_command(server_url, &args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("kubectl starts");
        let stdout = child.stdout.take().expect("its output");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (bounded) for a line for which `wanted` holds; it.
    fn line(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let until = std::time::Instant::now() + PATIENCE;
        loop {
            let left = until.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "kubectl printed no line with {what} within {PATIENCE:?}: {:?}",
                    self.seen
                ),
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
