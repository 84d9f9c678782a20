//! The built `fake-servicer` binary as a process, for what only a process
//! shows: its resident memory.

use std::{
    io::BufRead,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

/// A `fake-servicer` process on a free loopback port; killed on drop.
pub struct Process {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Process {
    /// Runs `bin` (`env!("CARGO_BIN_EXE_fake-servicer")` in the server's
    /// tests, [`binary`](crate::binary) elsewhere) with the plugins of
    /// `plugins` and the extra flags `args`, without Docker; returns once it
    /// says where it listens.
    pub fn start(bin: impl AsRef<Path>, plugins: &Path, args: &[&str]) -> Process {
        let mut child = Command::new(bin.as_ref())
            .args(["--listen", "127.0.0.1:0", "--docker", "off", "--plugins"])
            .arg(plugins)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
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
