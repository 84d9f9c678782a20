//! Runs `wrk` and reads its report.

use std::{net::SocketAddr, process::Command};

/// One `wrk` run.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub requests_per_sec: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub requests: u64,
    /// Answers with a status of 400 or more: what `wrk` counts on its
    /// "Non-2xx or 3xx responses" line, despite the name (a 1xx, 2xx or 3xx
    /// status is not counted, and `wrk` reads no body).
    pub status_errors: u64,
    /// Connect, read, write errors and timeouts.
    pub socket_errors: u64,
}

/// How `wrk` loads a server.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub threads: u32,
    pub connections: u32,
    pub seconds: u32,
}

/// Makes sure `wrk` can be run, installing Debian's package if it is missing.
pub fn ensure_installed() -> Result<(), String> {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return Ok(());
    }
    eprintln!("wrk not found: installing Debian's package");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let apt_get = |args: &[&str]| {
        let mut c = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.args(["-n", "apt-get"]);
            c
        };
        c.args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    let install = ["install", "-y", "-q", "--no-install-recommends", "wrk"];
    let installed = apt_get(&install) || (apt_get(&["update", "-q"]) && apt_get(&install));
    let ok = installed && Command::new("wrk").arg("--version").output().is_ok();
    if ok {
        Ok(())
    } else {
        Err("cannot install wrk: install it (Debian: apt-get install wrk) and run again".to_owned())
    }
}

/// Loads `addr` with `GET path` and returns what `wrk` measured.
pub fn run(addr: SocketAddr, path: &str, load: Load) -> Result<Run, String> {
    let out = Command::new("wrk")
        .arg(format!("-t{}", load.threads))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}s", load.seconds))
        .arg("--latency")
        .arg(format!("http://{addr}{path}"))
        .output()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "wrk failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse(&text).ok_or_else(|| format!("cannot read wrk's report:\n{text}"))
}

/// Reads the report `wrk --latency` prints.
pub fn parse(report: &str) -> Option<Run> {
    let mut run = Run {
        requests_per_sec: f64::NAN,
        p50_us: f64::NAN,
        p99_us: f64::NAN,
        requests: 0,
        status_errors: 0,
        socket_errors: 0,
    };
    for line in report.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", n] => run.requests_per_sec = n.parse().ok()?,
            ["50%", t] => run.p50_us = micros(t)?,
            ["99%", t] => run.p99_us = micros(t)?,
            [n, "requests", "in", ..] => run.requests = n.parse().ok()?,
            ["Non-2xx", "or", "3xx", "responses:", n] => run.status_errors = n.parse().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                run.socket_errors = rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum();
            }
            _ => {}
        }
    }
    let complete = [run.requests_per_sec, run.p50_us, run.p99_us]
        .iter()
        .all(|v| v.is_finite());
    complete.then_some(run)
}

/// `wrk`'s durations: `812.00us`, `1.20ms`, `2.00s`, `1.00m`.
fn micros(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        _ => return None,
    };
    Some(number * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 5s test @ http://127.0.0.1:40123/ping
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   410.50us  120.10us   4.72ms   91.20%
    Req/Sec    77.91k     3.02k   81.33k    86.00%
  Latency Distribution
     50%  398.00us
     75%  441.00us
     90%  502.00us
     99%    1.12ms
  387615 requests in 5.00s, 46.21MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:  77523.01
Transfer/sec:      9.24MB
";

    #[test]
    fn reads_a_report() {
        let run = parse(REPORT).unwrap();
        assert_eq!(
            run,
            Run {
                requests_per_sec: 77523.01,
                p50_us: 398.0,
                p99_us: 1120.0,
                requests: 387615,
                status_errors: 7,
                socket_errors: 3,
            }
        );
    }

    #[test]
    fn an_incomplete_report_is_refused() {
        assert!(parse("unable to connect to 127.0.0.1:1 Connection refused").is_none());
        assert_eq!(micros("2.00s"), Some(2e6));
        assert_eq!(micros("12"), None);
    }
}
