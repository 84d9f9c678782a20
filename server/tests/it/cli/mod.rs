//! The `fake-servicer` binary as a user runs it, and plugins written the way
//! `docs/plugins.md` ("Writing a plugin") tells users to write them: one
//! module per subject, sharing the helpers here that run the binary.

mod banner;
mod flags;
mod new;
mod refused;
mod serving;
mod signals;
mod wiremock_flags;

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

/// A running `fake-servicer` process, killed on drop.
struct Running {
    child: Child,
    url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary on a free port with the plugins in `plugins`.
fn run_binary(plugins: &std::path::Path) -> Running {
    run_plugins_logged(plugins).running
}

/// [`run_binary`], keeping what it logs.
fn run_plugins_logged(plugins: &std::path::Path) -> Logged {
    let plugins = plugins.to_str().expect("a UTF-8 temporary path");
    run_logged(&["--listen", "127.0.0.1:0", "--plugins", plugins], &[])
}

/// A `fake-servicer` process started with `args` and `envs`; what it writes
/// to stderr is kept in `log`.
struct Logged {
    running: Running,
    log: std::sync::Arc<std::sync::Mutex<String>>,
    /// What it printed on stdout (the banner).
    out: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Logged {
    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log holds every one of `needles`; returns it.
    async fn log_eventually(&self, needles: &[&str]) -> String {
        testkit::eventually(
            Duration::from_secs(20),
            &format!("{needles:?} in the log"),
            || async {
                let log = self.log();
                if needles.iter().all(|n| log.contains(n)) {
                    Ok(log)
                } else {
                    Err(log)
                }
            },
        )
        .await
    }
}

fn run_logged(args: &[&str], envs: &[(&str, &str)]) -> Logged {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
        .args(args)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fake-servicer starts");
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr");
    {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
    }
    let stdout = child.stdout.take().expect("stdout");
    let out = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let (tx, rx) = mpsc::channel();
    {
        let out = out.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let mut out = out.lock().unwrap();
                out.push_str(&line);
                out.push('\n');
                let _ = tx.send(line);
            }
        });
    }
    let mut logged = Logged {
        running: Running {
            child,
            url: String::new(),
        },
        log,
        out,
    };
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) {
        if let Some(url) = line.strip_prefix("fake-servicer listening on ") {
            logged.running.url = url.trim().to_owned();
            return logged;
        }
    }
    panic!("no 'listening on' line; stderr:\n{}", logged.log());
}

/// Waits for `child` to exit, for at most `limit`; `None` if it is still
/// running then.
fn exit_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for fake-servicer") {
            return Some(status);
        }
        if started.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Two builds of service `versioned` answering `v1` and `v2` on `/version`.
fn versioned_builds() -> &'static (std::path::PathBuf, std::path::PathBuf) {
    static BUILDS: std::sync::OnceLock<(std::path::PathBuf, std::path::PathBuf)> =
        std::sync::OnceLock::new();
    BUILDS.get_or_init(|| testkit::two_versions("cli_versioned", "versioned", "/version"))
}
