//! Server processes under test: start, wait for the first answer, read
//! memory, stop.

use crate::http;
use std::{
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

    /// CPU time the process has used so far, user and system, all threads
    /// (`/proc/<pid>/stat`, in clock ticks).
    pub fn cpu_time(&self) -> Result<Duration, String> {
        let path = format!("/proc/{}/stat", self.child.id());
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        // Fields after the command name (which may hold spaces), from the
        // state (field 3): utime is field 14, stime field 15.
        let fields: Vec<&str> = text
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let field = |n: usize| -> Result<u64, String> {
            fields
                .get(n - 3)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{path}: no field {n}"))
        };
        let ticks = field(14)? + field(15)?;
        Ok(Duration::from_secs_f64(
            ticks as f64 / clock_ticks_per_second(),
        ))
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

/// The kernel's clock ticks per second (`getconf CLK_TCK`; 100 when it
/// cannot say).
fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|t| t.trim().parse::<f64>().ok())
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0)
    })
}
