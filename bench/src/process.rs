//! Server processes under test: start, wait for the first answer, read
//! memory, stop.

use crate::http;
use std::{
    collections::HashMap,
    fs::File,
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

/// A server started by the bench; killed when dropped.
pub struct Server {
    name: String,
    child: Child,
    log: PathBuf,
    pub addr: SocketAddr,
}

/// A loopback address nobody listens on right now.
pub fn free_addr() -> Result<SocketAddr, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free loopback port: {e}"))
}

impl Server {
    /// Starts `program` with `args` (plus `--listen ADDR`), its output in
    /// `logs/<name>.log`.
    pub fn start(name: &str, program: &Path, args: &[&str], logs: &Path) -> Result<Server, String> {
        let addr = free_addr()?;
        let log = logs.join(format!("{name}.log"));
        let out = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let child = Command::new(program)
            .args(args)
            .arg("--listen")
            .arg(addr.to_string())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        Ok(Server {
            name: name.to_owned(),
            child,
            log,
            addr,
        })
    }

    /// Polls `GET path` until it answers 200; the time that took.
    pub fn wait_ready(&mut self, path: &str, limit: Duration) -> Result<Duration, String> {
        let started = Instant::now();
        loop {
            if let Ok(reply) = http::get(self.addr, path) {
                if reply.status == 200 {
                    return Ok(started.elapsed());
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.failure(&format!("exited ({status}) before answering {path}")));
            }
            if started.elapsed() > limit {
                return Err(self.failure(&format!("no 200 from {path} within {limit:?}")));
            }
            thread::sleep(Duration::from_micros(500));
        }
    }

    /// Resident memory now, in KiB.
    pub fn rss_kib(&self) -> Result<u64, String> {
        status_field(self.child.id(), "VmRSS:")
    }

    /// CPU time each thread of the process has run so far, by thread id
    /// (`/proc/<pid>/task/<tid>/schedstat`, in nanoseconds: finer than
    /// the clock ticks of `/proc/<pid>/stat`).
    pub fn thread_cpu(&self) -> Result<HashMap<u32, u64>, String> {
        let dir = format!("/proc/{}/task", self.child.id());
        let tasks = std::fs::read_dir(&dir).map_err(|e| format!("{dir}: {e}"))?;
        let mut times = HashMap::new();
        for task in tasks.flatten() {
            let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
                continue;
            };
            // A thread that just ended has no file left: it ran no more.
            let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else {
                continue;
            };
            if let Some(ns) = text.split_whitespace().next().and_then(|n| n.parse().ok()) {
                times.insert(tid, ns);
            }
        }
        Ok(times)
    }

    /// File descriptors the process has open (sockets included).
    pub fn open_files(&self) -> Result<usize, String> {
        let path = format!("/proc/{}/fd", self.child.id());
        std::fs::read_dir(&path)
            .map(Iterator::count)
            .map_err(|e| format!("{path}: {e}"))
    }

    /// An error about this server, with the end of its log.
    pub fn failure(&self, what: &str) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!(
            "{}: {what}\n--- {} (last lines) ---\n{}",
            self.name,
            self.log.display(),
            tail.join("\n")
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `kB` field of `/proc/<pid>/status`.
fn status_field(pid: u32, field: &str) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("{path}: no {field}"))
}
