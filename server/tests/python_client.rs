//! The real python-wiremock client (PyPI `wiremock`) drives the admin API
//! exactly as it drives WireMock: `tests/python/test_wiremock_client.py`.
//!
//! The client lives in a virtualenv at `target/tmp/python-venv`, made by
//! `.ci/run` or, when missing, by this test (pip from PyPI). Without
//! python3 the test is skipped visibly, or fails when
//! `FAKE_SERVICER_REQUIRE_DOCKER=1` (or, without it, `CI`) is set.

mod common;

use common::workspace_root;
use std::{path::PathBuf, process::Command};

const PACKAGES: [&str; 2] = ["wiremock==2.7.0", "pytest==9.2.0"];

/// The virtualenv's python, made if missing; `None` when there is no
/// python3 on this machine.
fn venv_python() -> Option<PathBuf> {
    let venv = workspace_root()
        .join("target")
        .join("tmp")
        .join("python-venv");
    let python = venv.join("bin").join("python");
    let ready = Command::new(&python)
        .args(["-c", "import wiremock, pytest"])
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_wiremock_drives_stubs_and_the_journal() {
    let Some(python) = venv_python() else {
        common::skip(
            "python_wiremock_drives_stubs_and_the_journal",
            "no python3 on this machine to make the python-wiremock virtualenv",
        );
        return;
    };
    let (server, _dir) = common::serve_examples(|_| {}).await;
    let url = server.url();
    let tests = workspace_root().join("server/tests/python");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(&tests)
            .env("FAKE_SERVICER_URL", url)
            .output()
            .expect("pytest runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "python-wiremock tests failed:\n{stdout}"
    );
    assert!(
        stdout.contains("passed") && !stdout.contains("skipped"),
        "{stdout}"
    );
    server.shutdown().await;
}
