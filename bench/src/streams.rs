//! Streams: the time from `POST /__admin/streams/push` to the pushed event
//! read by every one of 1, 100 and 1 000 open SSE clients, and the
//! server's RSS per open stream.
//!
//! The clients are tasks on one client thread (as `wrk -t1`), each an
//! HTTP/1.1 connection reading a live SSE stub's answer as it comes. The
//! pushes go one at a time from the bench's main thread: each waits until
//! every client has read the one before. A push's latency, for one client,
//! is from just before the push was sent to the moment that client read
//! the event.

use crate::{http, process::Server};
use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The live SSE stub the clients read.
pub const STUB: &str = r#"{"request": {"method": "GET", "urlPath": "/bench/events"},
 "response": {"status": 200, "stream": [{"sse": {"comment": "open"}}], "live": true}}"#;

/// One fan-out's figures.
#[derive(Debug, Clone)]
pub struct Fanout {
    /// Open SSE clients.
    pub clients: usize,
    /// Pushes sent.
    pub pushes: usize,
    /// Push to event read, every client and push, in ms.
    pub latencies_ms: Vec<f64>,
    /// The server's RSS with the clients' streams open, less with none,
    /// per stream, in KiB.
    pub rss_kib_per_stream: f64,
}

/// Each of `fanouts` (numbers of clients) in turn on `server` (which has
/// [`STUB`]): open the clients, `pushes` pushes, close them.
pub fn measure(server: &Server, fanouts: &[usize], pushes: usize) -> Result<Vec<Fanout>, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the stream clients' runtime: {e}"))?;
    fanouts
        .iter()
        .map(|&clients| fanout(server, &runtime, clients, pushes))
        .collect()
}

/// What each client read: when it read event `i`, at `[i]`.
type Seen = Arc<Mutex<Vec<Vec<Option<Instant>>>>>;

fn fanout(
    server: &Server,
    runtime: &tokio::runtime::Runtime,
    clients: usize,
    pushes: usize,
) -> Result<Fanout, String> {
    let before = server.rss_kib()?;
    let seen: Seen = Arc::new(Mutex::new(vec![vec![None; pushes]; clients]));
    let readers: Vec<_> = (0..clients)
        .map(|c| runtime.spawn(read(server.addr, c, pushes, seen.clone())))
        .collect();
    open_streams(server, clients)?;
    let after = server.rss_kib()?;
    let mut sent_at = Vec::with_capacity(pushes);
    for i in 0..pushes {
        let body = format!(
            r#"{{"request": {{"urlPath": "/bench/events"}}, "items": [{{"sse": {{"data": "{i}"}}}}]}}"#
        );
        let started = Instant::now();
        let reply = http::call(
            server.addr,
            "POST",
            "/__admin/streams/push",
            &[("content-type", "application/json")],
            &body,
        )
        .map_err(|e| server.failure(&format!("push {i}: {e}")))?;
        sent_at.push(started);
        let reached = serde_json::from_str::<serde_json::Value>(&reply.body)
            .ok()
            .and_then(|v| v["streams"].as_u64());
        if reached != Some(clients as u64) {
            return Err(server.failure(&format!(
                "push {i} reached {reached:?} of {clients} streams: {} {}",
                reply.status, reply.body
            )));
        }
        all_read(server, &seen, i)?;
    }
    let close = http::call(server.addr, "DELETE", "/__admin/streams", &[], "")
        .map_err(|e| server.failure(&format!("closing the streams: {e}")))?;
    if close.status != 200 {
        return Err(server.failure(&format!("closing the streams answered {}", close.status)));
    }
    for reader in readers {
        runtime
            .block_on(reader)
            .map_err(|e| format!("a stream client failed: {e}"))?
            .map_err(|e| server.failure(&e))?;
    }
    let seen = seen.lock().map_err(|_| "a stream client panicked")?;
    let latencies_ms = seen
        .iter()
        .flat_map(|client| {
            client.iter().zip(&sent_at).filter_map(|(read, sent)| {
                read.map(|r| r.duration_since(*sent).as_secs_f64() * 1e3)
            })
        })
        .collect();
    Ok(Fanout {
        clients,
        pushes,
        latencies_ms,
        rss_kib_per_stream: after.saturating_sub(before) as f64 / clients as f64,
    })
}

/// Waits (20 s at most) until `clients` streams are open.
fn open_streams(server: &Server, clients: usize) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let list = http::get(server.addr, "/__admin/streams")
            .map_err(|e| server.failure(&format!("listing streams: {e}")))?;
        let open = serde_json::from_str::<serde_json::Value>(&list.body)
            .ok()
            .and_then(|v| v["streams"].as_array().map(Vec::len))
            .unwrap_or(0);
        if open == clients {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(20) {
            return Err(server.failure(&format!("{open} of {clients} streams open after 20 s")));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits (10 s at most) until every client has read event `i`.
fn all_read(server: &Server, seen: &Seen, i: usize) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let done = seen
            .lock()
            .map_err(|_| "a stream client panicked")?
            .iter()
            .all(|client| client[i].is_some());
        if done {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(10) {
            return Err(server.failure(&format!("event {i} not read by every client in 10 s")));
        }
        std::thread::yield_now();
    }
}

/// Client `c`: opens the stream, notes when it reads each event, until
/// the server closes it; an error if the answer is not the stub's or an
/// event is missing.
async fn read(addr: SocketAddr, c: usize, pushes: usize, seen: Seen) -> Result<(), String> {
    let mut tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("client {c} cannot connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    tcp.write_all(b"GET /bench/events HTTP/1.1\r\nhost: bench\r\n\r\n")
        .await
        .map_err(|e| format!("client {c} cannot ask: {e}"))?;
    let mut text = String::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut next = 0;
    let mut head = false;
    loop {
        let n = tcp
            .read(&mut buf)
            .await
            .map_err(|e| format!("client {c} cannot read: {e}"))?;
        if n == 0 {
            break;
        }
        let now = Instant::now();
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
        if !head {
            let Some(end) = text.find("\r\n\r\n") else {
                continue;
            };
            if !text.starts_with("HTTP/1.1 200 ") {
                return Err(format!("client {c} got {:?}", &text[..end]));
            }
            text.drain(..end + 4);
            head = true;
        }
        while next < pushes {
            let event = format!("data: {next}\n\n");
            let Some(at) = text.find(&event) else { break };
            text.drain(..at + event.len());
            if let Ok(mut seen) = seen.lock() {
                seen[c][next] = Some(now);
            }
            next += 1;
        }
    }
    if next < pushes {
        return Err(format!(
            "client {c} read {next} of {pushes} events; left: {text:?}"
        ));
    }
    Ok(())
}
