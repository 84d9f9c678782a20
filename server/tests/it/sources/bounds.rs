//! Source mode's bounds: a build's output is kept by its head and tail, a
//! build past `--build-timeout` is killed and reported, and no build
//! outlives its server. The crates here have a build script and no
//! dependencies; each test builds into a target dir of its own, so a build
//! that hangs on purpose never holds the lock of the shared one.

use super::{BUILD, build_of};
use fake_servicer_server::{Config, Server};
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};
use testkit::{TestServer, eventually};

/// How long a killed process may take to be gone.
const DIE: Duration = Duration::from_secs(10);

/// A build script that writes its pid to `pid` (in its package's dir)
/// and then never ends.
const HANGS: &str = r#"
fn main() {
    std::fs::write("pid.tmp", std::process::id().to_string()).unwrap();
    std::fs::rename("pid.tmp", "pid").unwrap();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1000));
    }
}
"#;

/// A build script that runs through once, and hangs as [`HANGS`] once a
/// file `hang` is in its package's dir.
const HANGS_WHEN_TOLD: &str = r#"
fn main() {
    println!("cargo:rerun-if-changed=hang");
    if std::path::Path::new("hang").exists() {
        std::fs::write("pid.tmp", std::process::id().to_string()).unwrap();
        std::fs::rename("pid.tmp", "pid").unwrap();
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1000));
        }
    }
}
"#;

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// A `cdylib` package with no dependencies (its lock written) and, when
/// given, the build script `build_rs`.
fn write_bare_crate(sources: &Path, name: &str, build_rs: Option<&str>) -> PathBuf {
    let dir = sources.join(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    if let Some(build_rs) = build_rs {
        std::fs::write(dir.join("build.rs"), build_rs).unwrap();
    }
    // Written now, so that the first build does not write it and start
    // another.
    let locked = cargo()
        .args(["generate-lockfile", "--offline", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .status()
        .unwrap();
    assert!(locked.success(), "cargo generate-lockfile");
    dir
}

/// A source-mode server on `sources`, building into `sources/target`.
async fn source_server(sources: &Path, adjust: impl FnOnce(&mut Config)) -> TestServer {
    let mut config = Config::local(sources);
    config.plugins = None;
    config.sources = Some(sources.to_owned());
    config.target_dir = Some(sources.join("target"));
    adjust(&mut config);
    testkit::start_with(config).await
}

/// The build of `package` once its state is `state`.
async fn build_in_state(server: &Server, package: &str, state: &str) -> Value {
    eventually(
        BUILD,
        &format!("the build of {package} to be {state}"),
        || async {
            let b = build_of(server, package).await;
            if b["state"] == state {
                Ok(b)
            } else {
                Err(b.to_string())
            }
        },
    )
    .await
}

/// The pid the build script of the package in `dir` wrote, once written.
async fn build_script_pid(dir: &Path) -> String {
    let file = dir.join("pid");
    eventually(BUILD, "the build script to write its pid", || async {
        std::fs::read_to_string(&file).map_err(|e| e.to_string())
    })
    .await
}

/// Whether the process `pid` is gone (or a zombie: dead, not reaped yet).
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| matches!(rest.trim_start().chars().next(), Some('Z' | 'X'))),
    }
}

async fn is_gone(pid: &str, what: &str) {
    eventually(DIE, what, || async {
        if gone(pid) {
            Ok(())
        } else {
            Err(format!("process {pid} still runs"))
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_script_writing_megabytes_to_stderr_is_reported_by_its_head_and_tail_only() {
    let sources = tempfile::tempdir().unwrap();
    // 12 MB between two marks, then a failure: cargo shows it all.
    write_bare_crate(
        sources.path(),
        "src_loud",
        Some(
            r#"
use std::io::Write;
fn main() {
    let mut err = std::io::stderr().lock();
    writeln!(err, "HEAD-OF-THE-OUTPUT").unwrap();
    let line = "x".repeat(99);
    for _ in 0..120_000 {
        writeln!(err, "{line}").unwrap();
    }
    writeln!(err, "TAIL-OF-THE-OUTPUT").unwrap();
    std::process::exit(1);
}
"#,
        ),
    );
    let server = source_server(sources.path(), |_| {}).await;
    let failed = build_in_state(&server, "src_loud", "failed").await;
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(
        error.len() < 200 * 1024,
        "the error is {} bytes long",
        error.len()
    );
    for part in ["HEAD-OF-THE-OUTPUT", "bytes left out", "TAIL-OF-THE-OUTPUT"] {
        assert!(
            error.contains(part),
            "{part:?} in the error: {}…{}",
            &error[..error.len().min(2000)],
            &error[error.len().saturating_sub(2000)..]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_running_past_the_build_timeout_is_killed_and_reported_as_failed_naming_it() {
    let sources = tempfile::tempdir().unwrap();
    // The build script hangs only once `hang` is there: built (and run)
    // once first, the server's build only runs it again, well within the
    // timeout.
    let dir = write_bare_crate(sources.path(), "src_timed_out", Some(HANGS_WHEN_TOLD));
    let prebuilt = cargo()
        .args(["build", "--lib", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(sources.path().join("target"))
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(
        prebuilt.success(),
        "the crate builds while it does not hang"
    );
    std::fs::write(dir.join("hang"), "").unwrap();

    let server = source_server(sources.path(), |c| c.build_timeout = Duration::from_secs(3)).await;
    let failed = build_in_state(&server, "src_timed_out", "failed").await;
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("timed out") && error.contains("--build-timeout (3s)"),
        "{error}"
    );
    let pid =
        std::fs::read_to_string(dir.join("pid")).expect("the build script ran before the timeout");
    is_gone(&pid, "the hanging build script to be killed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_that_never_ends_does_not_keep_the_next_package_queued() {
    let sources = tempfile::tempdir().unwrap();
    // Built in name order: the one that hangs first.
    write_bare_crate(sources.path(), "src_a_hangs", Some(HANGS));
    write_bare_crate(sources.path(), "src_b_after", None);
    let server = source_server(sources.path(), |c| c.build_timeout = Duration::from_secs(3)).await;
    build_in_state(&server, "src_b_after", "ok").await;
    let hung = build_of(&server, "src_a_hangs").await;
    assert_eq!(hung["state"], "failed", "{hung}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_server_kills_the_build_in_flight_with_its_build_script() {
    let sources = tempfile::tempdir().unwrap();
    let dir = write_bare_crate(sources.path(), "src_stopped", Some(HANGS));
    let server = source_server(sources.path(), |_| {}).await;
    let pid = build_script_pid(&dir).await;
    server.shutdown().await;
    is_gone(&pid, "the build script to die with the server").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_the_binary_kills_the_build_in_flight_with_its_build_script() {
    let sources = tempfile::tempdir().unwrap();
    let dir = write_bare_crate(sources.path(), "src_sigterm", Some(HANGS));
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
            .args(["--listen", "127.0.0.1:0", "--docker", "off", "--sources"])
            .arg(sources.path())
            .arg("--target-dir")
            .arg(sources.path().join("target"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = build_script_pid(&dir).await;
    let term = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let exited = eventually(DIE, "the server to exit", || {
        let status = child.0.try_wait();
        async move {
            match status {
                Ok(Some(status)) => Ok(status),
                other => Err(format!("{other:?}")),
            }
        }
    })
    .await;
    assert!(exited.success(), "{exited:?}");
    is_gone(&pid, "the build script to die with the server").await;
}

/// A child process, killed if the test ends before it does.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
