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
use http::StatusCode;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::{sync::Arc, time::Duration};
use tokio::{net::TcpListener, sync::Semaphore};
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
    /// Connections served at once; the next is accepted when one closes.
    pub max_connections: usize,
}

/// The answer to a request head that breaks the rules hyper leaves to us:
/// RFC 9112's Host rule (400) and the head's size, which hyper checks
/// only when a head arrives in several reads (431).
fn check_head<B>(req: &hyper::Request<B>, limits: &Limits) -> Option<axum::response::Response> {
    let hosts = req.headers().get_all(http::header::HOST).iter().count();
    let reason = if hosts > 1 {
        Some((
            StatusCode::BAD_REQUEST,
            "more than one Host header".to_owned(),
        ))
    } else if hosts == 0 && req.version() == http::Version::HTTP_11 {
        Some((
            StatusCode::BAD_REQUEST,
            "an HTTP/1.1 request needs a Host header".to_owned(),
        ))
    } else {
        // The request line and each header line with its separators.
        let uri = req.uri();
        let size = req.method().as_str().len()
            + uri.scheme_str().map_or(0, |s| s.len() + 3)
            + uri.authority().map_or(0, |a| a.as_str().len())
            + uri.path_and_query().map_or(1, |pq| pq.as_str().len())
            + 12
            + req
                .headers()
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len() + 4)
                .sum::<usize>();
        (size > limits.max_head_bytes.max(8 * 1024)).then(|| {
            (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                format!(
                    "request head larger than {} bytes (--max-header-bytes)",
                    limits.max_head_bytes
                ),
            )
        })
    };
    let (status, error) = reason?;
    let mut answer = axum::response::Response::new(axum::body::Body::from(
        serde_json::json!({ "error": error }).to_string(),
    ));
    *answer.status_mut() = status;
    let headers = answer.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    Some(answer)
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
    let slots = Arc::new(Semaphore::new(
        limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    tokio::pin!(stop);
    loop {
        // Past the cap, new connections wait in the listen backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
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
        let fault = Arc::new(FaultSlot::default());
        let conn = Conn {
            remote,
            fd: std::os::fd::AsRawFd::as_raw_fd(&stream),
            fault: fault.clone(),
        };
        let (admin, app) = (admin.clone(), app.clone());
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let rejected = check_head(&req, &limits);
            let mut req = req.map(axum::body::Body::new);
            let conn = conn.clone();
            // The hot path takes no router and no extensions.
            let admin = req.uri().path().starts_with("/__admin").then(|| {
                req.extensions_mut().insert(ConnectInfo(conn.clone()));
                admin.clone()
            });
            let app = app.clone();
            async move {
                if let Some(rejected) = rejected {
                    return Ok(rejected);
                }
                match admin {
                    Some(mut admin) => admin.call(req).await,
                    None => Ok(dispatch::handle(app, Some(conn), req).await),
                }
            }
        });
        let connection = http.serve_connection(TokioIo::new(FaultIo::new(stream, fault)), service);
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = watched.await {
                tracing::debug!(%remote, "connection ended: {e}");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
