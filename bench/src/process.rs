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
        self.wait_until(
            &format!("a 200 from {path}"),
            limit,
            |addr| match http::get(addr, path) {
                Ok(reply) if reply.status == 200 => Ok(()),
                Ok(reply) => Err(format!("answered {}", reply.status)),
                Err(e) => Err(e.to_string()),
            },
        )
    }

    /// Polls `probe` until it returns `Ok` (`what` it waits for, for the
    /// error); the time that took.
    pub fn wait_until(
        &mut self,
        what: &str,
        limit: Duration,
        mut probe: impl FnMut(SocketAddr) -> Result<(), String>,
    ) -> Result<Duration, String> {
        let started = Instant::now();
        loop {
            let last = match probe(self.addr) {
                Ok(()) => return Ok(started.elapsed()),
                Err(e) => e,
            };
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.failure(&format!("exited ({status}) before {what}")));
            }
            if started.elapsed() > limit {
                return Err(self.failure(&format!("no {what} within {limit:?} (last: {last})")));
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

    /// CPU time the process has used so far, user plus system, in clock
    /// ticks (all its threads: fields 14 and 15 of `/proc/<pid>/stat`).
    pub fn cpu_ticks(&self) -> Result<u64, String> {
        cpu_ticks(self.child.id())
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

/// utime + stime of `/proc/<pid>/stat`, in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    parse_cpu_ticks(&text).ok_or_else(|| format!("{path}: cannot read utime and stime"))
}

/// utime + stime from the text of `/proc/<pid>/stat`. The command name
/// (field 2) is in parentheses and may hold spaces, so fields are counted
/// from the last `)`: utime and stime are the 12th and 13th after it.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 when it cannot be asked).
pub fn clock_ticks_per_sec() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_read_past_a_command_name_with_spaces() {
        let stat = "4242 (fake servicer) S 1 4242 4242 0 -1 4194560 1046 0 0 0 \
                    731 205 0 0 20 0 4 0 123 456 789";
        assert_eq!(parse_cpu_ticks(stat), Some(936));
        assert_eq!(parse_cpu_ticks("4242 (x) S 1"), None);
    }

    #[test]
    fn this_process_has_used_cpu_time() {
        // Spin until the kernel has charged a tick, however loaded the
        // machine (a fixed spin of wall time may get no CPU at all); bounded.
        let spin = std::time::Instant::now();
        let mut ticks = cpu_ticks(std::process::id());
        while !ticks.as_ref().is_ok_and(|t| *t > 0) && spin.elapsed() < Duration::from_secs(60) {
            let burst = std::time::Instant::now();
            while burst.elapsed() < Duration::from_millis(10) {
                std::hint::black_box(burst);
            }
            ticks = cpu_ticks(std::process::id());
        }
        assert!(ticks.as_ref().is_ok_and(|t| *t > 0), "{ticks:?}");
    }
}
