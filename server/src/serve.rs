//! The HTTP/1 accept loop: each connection gets a [`FaultIo`] (so plans can
//! fail it on purpose), its [`Conn`] in every request's extensions, limits
//! on request heads, and graceful shutdown.
//!
//! Limits apply to what the client sends — header count, header bytes, the
//! time to send a request head — never to answers, so long delays and
//! dribbled bodies are not cut off.

use crate::conn::{Conn, FaultIo, FaultSlot};
use axum::{Router, extract::ConnectInfo};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::{sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tower_service::Service;

/// Limits on request heads.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most header lines in one request (more: 431).
    pub max_headers: usize,
    /// Most bytes of a request head (more: 431). At least 8 KiB.
    pub max_head_bytes: usize,
    /// Time a client has to send a request head.
    pub head_timeout: Duration,
}

/// Serves `router` on `listener` until `stop` resolves, then lets open
/// connections finish their requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stop: impl std::future::Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.head_timeout)
        .max_headers(limits.max_headers)
        .max_buf_size(limits.max_head_bytes.max(8 * 1024));
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off
                    // briefly instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let slot = Arc::new(FaultSlot::default());
        let conn = Conn {
            remote,
            fd: std::os::fd::AsRawFd::as_raw_fd(&stream),
            fault: slot.clone(),
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(conn.clone()));
            let mut router = router.clone();
            async move { router.call(req.map(axum::body::Body::new)).await }
        });
        let connection = http.serve_connection(TokioIo::new(FaultIo::new(stream, slot)), service);
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = watched.await {
                tracing::debug!(%remote, "connection ended: {e}");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
