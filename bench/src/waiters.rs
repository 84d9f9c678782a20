//! Idle waits: the server's CPU time while many `POST
//! /__admin/requests/wait` calls sleep, next to its CPU time with none, in
//! one run; then one request wakes them all.

use crate::{http, process::Server};
use std::{
    io::{Read, Write},
    net::TcpStream,
    thread,
    time::{Duration, Instant},
};

/// What the bench measured.
#[derive(Debug, Clone, Copy)]
pub struct IdleWaiters {
    /// Waits in progress during the second window.
    pub waiters: usize,
    /// Length of each window.
    pub seconds: f64,
    /// The CPU time the server's threads ran per second of the window
    /// without waits, in ms.
    pub cpu_ms_per_s_none: f64,
    /// The same with `waiters` waits in progress.
    pub cpu_ms_per_s_waiting: f64,
    /// From the one request every wait was for to the last wait's answer.
    pub all_woken_ms: f64,
}

/// The path every wait is for; nothing requests it until the end.
const WAKE: &str = "/bench/wake";

/// On `server` (started with `--max-waiters waiters`): CPU time over
/// `window` idle, then over `window` with `waiters` waits in progress;
/// then requests what they wait for and checks that each answers 200.
pub fn measure(server: &Server, waiters: usize, window: Duration) -> Result<IdleWaiters, String> {
    // Let the start-up work settle before the first window.
    thread::sleep(Duration::from_secs(1));
    let none = cpu_ms_per_s(server, window)?;

    let body = format!(r#"{{"urlPath": "{WAKE}", "timeoutMs": 120000}}"#);
    let request = format!(
        "POST /__admin/requests/wait HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut open = Vec::with_capacity(waiters);
    let files = server.open_files()?;
    open_waits(server, &request, &mut open, waiters, files)?;
    all_seated(server, &request, &mut open, waiters, files)?;
    let waiting = cpu_ms_per_s(server, window)?;

    let woken = Instant::now();
    let reply = http::get(server.addr, WAKE).map_err(|e| server.failure(&e.to_string()))?;
    if reply.status != 404 {
        return Err(server.failure(&format!("{WAKE} answered {}", reply.status)));
    }
    for mut s in open {
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)
            .map_err(|e| server.failure(&format!("a wait was not answered: {e}")))?;
        if !raw.starts_with(b"HTTP/1.1 200 ") {
            let head = String::from_utf8_lossy(&raw[..raw.len().min(200)]).into_owned();
            return Err(server.failure(&format!("a wait answered {head:?}, expected 200")));
        }
    }
    Ok(IdleWaiters {
        waiters,
        seconds: window.as_secs_f64(),
        cpu_ms_per_s_none: none,
        cpu_ms_per_s_waiting: waiting,
        all_woken_ms: woken.elapsed().as_secs_f64() * 1e3,
    })
}

/// Opens waits until `open` holds `waiters` of them, a batch at a time,
/// each batch accepted (the server holds `files` plus one per wait) before
/// the next: connections past the listen backlog would get in only after
/// the kernel's retransmissions, seconds later.
fn open_waits(
    server: &Server,
    request: &str,
    open: &mut Vec<TcpStream>,
    waiters: usize,
    files: usize,
) -> Result<(), String> {
    while open.len() < waiters {
        for _ in 0..BATCH.min(waiters - open.len()) {
            let mut s = TcpStream::connect_timeout(&server.addr, Duration::from_secs(2))
                .map_err(|e| server.failure(&format!("cannot open a wait: {e}")))?;
            s.write_all(request.as_bytes())
                .map_err(|e| server.failure(&format!("cannot send a wait: {e}")))?;
            open.push(s);
        }
        accepted(server, files + open.len())?;
    }
    Ok(())
}

/// Whether a wait's connection has had no answer yet (nor been closed).
fn still_waiting(s: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    if s.set_nonblocking(true).is_err() {
        return false;
    }
    let waiting = matches!(s.peek(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
    waiting && s.set_nonblocking(false).is_ok()
}

/// Connections opened at once, well within the server's listen backlog.
const BATCH: usize = 64;

/// Waits until the server has `files` open: every connection opened so
/// far accepted.
fn accepted(server: &Server, files: usize) -> Result<(), String> {
    let started = Instant::now();
    while server.open_files()? < files {
        if started.elapsed() > Duration::from_secs(10) {
            return Err(server.failure("connections not accepted within 10 s"));
        }
        thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

/// Waits until `waiters` waits are in progress: one more answers 503
/// (the server's `--max-waiters` is `waiters`); it had `files` open
/// before they were opened.
///
/// A probe holds a seat for a moment: a wait still on its way then is
/// refused (503) and its connection closed. Such waits are opened again,
/// so that the 503 can only mean every wait in `open` is in progress.
fn all_seated(
    server: &Server,
    request: &str,
    open: &mut Vec<TcpStream>,
    waiters: usize,
    files: usize,
) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let probe = http::call(
            server.addr,
            "POST",
            "/__admin/requests/wait",
            &[("content-type", "application/json")],
            r#"{"urlPath": "/bench/probe", "timeoutMs": 0}"#,
        )
        .map_err(|e| server.failure(&format!("probe: {e}")))?;
        if probe.status == 503 {
            return Ok(());
        }
        open.retain(still_waiting);
        if open.len() < waiters {
            open_waits(server, request, open, waiters, files)?;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let held = server.open_files()?.saturating_sub(files);
            return Err(server.failure(&format!(
                "{waiters} waits not in progress within 20 s: one more answers {} {}, \
                 the server holds {held} more files than before them",
                probe.status, probe.body
            )));
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// The server's CPU time per second of `window`, in ms: what its threads
/// ran during it (a thread that ends within it loses its share).
fn cpu_ms_per_s(server: &Server, window: Duration) -> Result<f64, String> {
    let before = server.thread_cpu()?;
    let started = Instant::now();
    thread::sleep(window);
    let after = server.thread_cpu()?;
    let elapsed = started.elapsed();
    let ns: u64 = after
        .iter()
        .map(|(tid, ns)| ns.saturating_sub(before.get(tid).copied().unwrap_or(0)))
        .sum();
    Ok(ns as f64 / 1e6 / elapsed.as_secs_f64())
}
