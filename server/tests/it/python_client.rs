//! The real python-wiremock client (PyPI `wiremock`) drives the admin API
//! exactly as it drives WireMock: `tests/python/test_wiremock_client.py`.
//! And parallel pytest workers (pytest-xdist) share one server through an
//! app under test without cross-talk, thanks to scopes:
//! `tests/python_parallel`.
//!
//! The client lives in a virtualenv at `target/tmp/python-venv`, made by
//! `.ci/run` or, when missing, by this test (pip from PyPI). Without
//! python3 the test is skipped visibly, or fails when
//! `FAKE_SERVICER_REQUIRE_DOCKER=1` (or, without it, `CI`) is set.

use std::{path::PathBuf, process::Command};
use testkit::workspace_root;

/// What the virtualenv holds: also the real gRPC clients of `grpc_clients`
/// (`.ci/run` installs the same list).
const PACKAGES: [&str; 11] = [
    "wiremock==2.7.0",
    "pytest==9.2.0",
    "pytest-xdist==3.8.0",
    "grpcio==1.85.1",
    "grpcio-tools==1.85.1",
    "grpcio-reflection==1.85.1",
    "grpcio-health-checking==1.85.1",
    "requests==2.32.5",
    "sseclient-py==1.8.0",
    "websockets==15.0.1",
    "kubernetes==37.0.3",
];

/// The virtualenv's python, made if missing; `None` when there is no
/// python3 on this machine.
pub(crate) fn venv_python() -> Option<PathBuf> {
    // The tests using it run at once: one makes the virtualenv.
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _making = MAKING.lock().unwrap_or_else(|e| e.into_inner());
    let venv = workspace_root()
        .join("target")
        .join("tmp")
        .join("python-venv");
    let python = venv.join("bin").join("python");
    let ready = Command::new(&python)
        .args([
            "-c",
            "import wiremock, pytest, xdist, grpc, grpc_tools, grpc_reflection, grpc_health, requests, sseclient, websockets, kubernetes",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if ready {
        return Some(python);
    }
    let made = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(&venv)
        .status()
        .ok()?;
    assert!(made.success(), "python3 -m venv {} failed", venv.display());
    let pip = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(PACKAGES)
        .status()
        .expect("pip runs");
    assert!(pip.success(), "pip install {PACKAGES:?} failed");
    Some(python)
}

/// Runs pytest on `dir` (under `server/tests`) with `args`, against the
/// server at `url`: whether it passed, and what it printed to stdout
/// (stdout and stderr are echoed for the test's log).
pub(crate) async fn pytest(
    python: PathBuf,
    dir: &str,
    args: &'static [&'static str],
    url: String,
) -> (bool, String) {
    let tests = workspace_root().join("server/tests").join(dir);
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .args(args)
            .arg(&tests)
            .env("FAKE_SERVICER_URL", url)
            // No `__pycache__` left in the source tree.
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .expect("pytest runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    (out.status.success(), stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_wiremock_drives_stubs_and_the_journal() {
    let Some(python) = venv_python() else {
        testkit::skip(
            "python_wiremock_drives_stubs_and_the_journal",
            "no python3 on this machine to make the python-wiremock virtualenv",
        );
        return;
    };
    let server = testkit::serve_examples(|_| {}).await;
    let (passed, stdout) = pytest(python, "python", &[], server.url()).await;
    assert!(passed, "python-wiremock tests failed:\n{stdout}");
    assert!(
        stdout.contains("passed") && !stdout.contains("skipped"),
        "{stdout}"
    );
}

/// Pytest workers in parallel (`-n 4`) arm answers for the same endpoint,
/// each in its own scope, and call an app that propagates `traceparent`
/// and `baggage` to the mock: 1 000 calls, none answered with another
/// worker's answer; without scopes, answers cross.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_pytest_workers_sharing_one_server_see_no_cross_talk_in_their_scopes() {
    let Some(python) = venv_python() else {
        testkit::skip(
            "parallel_pytest_workers_sharing_one_server_see_no_cross_talk_in_their_scopes",
            "no python3 on this machine to make the pytest-xdist virtualenv",
        );
        return;
    };
    let server = testkit::serve(&[], |_| {}).await;
    let (passed, stdout) = pytest(python, "python_parallel", &["-n", "4"], server.url()).await;
    assert!(passed, "cross-talk tests failed:\n{stdout}");
    assert!(
        stdout.contains("4 passed") && stdout.contains("cross-talk scoped: 0 of 1000"),
        "{stdout}"
    );
}
