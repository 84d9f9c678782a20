//! The HTTP/1 accept loop: each connection gets a [`FaultIo`] (so plans can
//! fail it on purpose), its [`Conn`] in every request's extensions, limits
//! on request heads, and graceful shutdown.
//!
//! Limits apply to what the client sends — header count, header bytes, the
//! time to send a request head — never to answers, so long delays and
//! dribbled bodies are not cut off.

use crate::{
    conn::{Conn, FaultIo, FaultSlot},
    dispatch,
    state::App,
};
use axum::{Router, extract::ConnectInfo};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::{sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tower_service::Service;

/// The header-line limit hyper applies when none is set.
const HYPER_MAX_HEADERS: usize = 100;

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

/// Serves `admin` (every path under `/__admin`) and `app` (everything
/// else) on `listener` until `stop` resolves, then lets open connections
/// finish their requests.
pub async fn serve(
    listener: TcpListener,
    admin: Router,
    app: Arc<App>,
    limits: Limits,
    stop: impl std::future::Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.head_timeout)
        .max_buf_size(limits.max_head_bytes.max(8 * 1024));
    // hyper's own limit is 100 header lines, parsed into a buffer on the
    // stack; set explicitly, the buffer is filled for every request.
    if limits.max_headers != HYPER_MAX_HEADERS {
        http.max_headers(limits.max_headers);
    }
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
        let (admin, app) = (admin.clone(), app.clone());
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let mut req = req.map(axum::body::Body::new);
            let conn = conn.clone();
            // The hot path takes no router and no extensions.
            let admin = req.uri().path().starts_with("/__admin").then(|| {
                req.extensions_mut().insert(ConnectInfo(conn.clone()));
                admin.clone()
            });
            let app = app.clone();
            async move {
                match admin {
                    Some(mut admin) => admin.call(req).await,
                    None => Ok(dispatch::handle(app, Some(conn), req).await),
                }
            }
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
