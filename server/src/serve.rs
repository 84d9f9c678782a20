//! The accept loop: each connection gets a [`FaultIo`] (so plans can fail
//! it on purpose), its [`Conn`] in every request's extensions, limits on
//! request heads, and graceful shutdown.
//!
//! The plain port speaks HTTP/1 and cleartext HTTP/2 with prior knowledge
//! (h2c); the TLS port (`--tls-listen`) HTTP/2 and HTTP/1.1 as ALPN
//! chose. An HTTP/2 request without `Host` gets one from its
//! `:authority`, so routing by Host works the same. A fault on an HTTP/2
//! request acts on its stream only, leaving the connection's other
//! streams alone (see [`h2_fault`]).
//!
//! A connection idle for `--header-timeout` is closed on either protocol:
//! hyper's header read timeout does it on HTTP/1 (on a timer per
//! connection, [`HeadTimer`]); an HTTP/2 connection
//! without an open stream for that long gets a `GOAWAY`, and is dropped
//! should the client not answer it within the same time again.
//!
//! Limits apply to what the client sends — header count, header bytes, the
//! time to send a request head — never to answers, so long delays and
//! dribbled bodies are not cut off. hyper answers a `Content-Length` it
//! reserves (2⁶⁴−2, 2⁶⁴−1) itself, with a 431 as for a head too large;
//! the connection's [`FaultIo`] sends a 413 in its place (see
//! [`crate::conn::HeadScan`]).
//!
//! Answers a client does not read are bounded ([`crate::unsent`]): their
//! bytes count against `--max-unsent-bytes` until written (a plan's answer
//! over it is refused, see [`crate::plan`]; the admin API's answers are
//! counted, never refused), and a connection with bytes ready to send that
//! writes none for `--send-timeout` is dropped ([`Watchdog`]). `GET
//! /__admin/health` says how many bytes are charged (`unsentBytes`).
//!
//! `--max-connections` counts connections by slot ([`ConnSlot`]): an
//! HTTP/1 connection parked in a blocking wait gives its slot back while
//! it sleeps (the waits have their own cap, `--max-waiters`), and takes
//! one again when the wait answers, or closes after its answer when none
//! is free.

use crate::{
    conn::{Conn, ConnSlot, FaultIo, FaultSlot, Resettable, Socket, Wire},
    dispatch,
    fault::Fault,
    head_timer::HeadTimer,
    idle::{Streams, Tracked},
    refusal::Refusal,
    state::RequestPath,
    tls::Tls,
    unsent::{Budget, Charged, Ledger, Watchdog},
};
use axum::{Router, extract::ConnectInfo};
use http::StatusCode;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::{
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{Semaphore, watch},
};
use tower_service::Service;

/// What a service call fails with: on HTTP/2, the reset of its stream.
type StreamReset = h2::Error;

/// The header-line limit hyper applies when none is set.
const HYPER_MAX_HEADERS: usize = 100;

/// Streams one HTTP/2 connection may have open at once (more are refused
/// until one ends).
pub const MAX_CONCURRENT_STREAMS: u32 = 200;

/// Limits on request heads.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most header lines in one request (more: 431).
    pub max_headers: usize,
    /// Most bytes of a request head (more: 431). At least 8 KiB.
    pub max_head_bytes: usize,
    /// Time a client has to send a request head, and that a connection
    /// may sit idle (on HTTP/2: without an open stream).
    pub head_timeout: Duration,
    /// Connections served at once; the next is accepted when one closes.
    /// An HTTP/1 connection whose request is a parked wait does not count
    /// (see [`ConnSlot`]): waits are capped by `--max-waiters`.
    pub max_connections: usize,
    /// Most bytes of answers not yet sent, over all connections
    /// (`--max-unsent-bytes`); a plan's answer past it is refused (503).
    pub max_unsent_bytes: usize,
    /// A connection with bytes ready to send that writes none for this
    /// long is dropped (`--send-timeout`).
    pub send_timeout: Duration,
}

/// The answer to a request head that breaks the rules hyper leaves to us:
/// RFC 9112's Host rule (400) and the head's size, which hyper checks
/// only when a head arrives in several reads (431).
fn check_head<B>(req: &hyper::Request<B>, limits: &Limits) -> Option<axum::response::Response> {
    // One pass over the headers: the Host lines, and the head's size (the
    // request line and each header line with its separators).
    let (mut hosts, mut lines) = (0, 0);
    for (name, value) in req.headers() {
        hosts += usize::from(name == http::header::HOST);
        lines += name.as_str().len() + value.len() + 4;
    }
    let reason = if req.headers().len() > limits.max_headers {
        // hyper counts HTTP/1 header lines itself; this is for HTTP/2.
        Some((
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "more than {} header lines (--max-headers)",
                limits.max_headers
            ),
        ))
    } else if hosts > 1 {
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
        let uri = req.uri();
        let size = req.method().as_str().len()
            + uri.scheme_str().map_or(0, |s| s.len() + 3)
            + uri.authority().map_or(0, |a| a.as_str().len())
            + uri.path_and_query().map_or(1, |pq| pq.as_str().len())
            + 12
            + lines;
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
/// else) on `listener`, and over TLS on `tls`'s listener, until `stop`
/// resolves, then lets open connections finish their requests.
pub async fn serve(
    listener: TcpListener,
    tls: Option<(TcpListener, Tls)>,
    admin: Router,
    app: Arc<RequestPath>,
    limits: Limits,
    stop: impl std::future::Future<Output = ()>,
) {
    // Each HTTP/1 connection gets a timer of its own (`HeadTimer`) for the
    // header read timeout.
    let mut h1 = hyper::server::conn::http1::Builder::new();
    h1.header_read_timeout(limits.head_timeout)
        .max_buf_size(limits.max_head_bytes.max(8 * 1024));
    // hyper's own limit is 100 header lines, parsed into a buffer on the
    // stack; set explicitly, the buffer is filled for every request.
    if limits.max_headers != HYPER_MAX_HEADERS {
        h1.max_headers(limits.max_headers);
    }
    let mut h2 = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    // Extended CONNECT (RFC 8441): WebSockets over HTTP/2.
    h2.timer(TokioTimer::new())
        .enable_connect_protocol()
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .max_header_list_size(
            u32::try_from(limits.max_head_bytes.max(8 * 1024)).unwrap_or(u32::MAX),
        );
    let http = Arc::new((h1, h2));
    // Each connection holds a receiver; once `true` is sent, they finish
    // their requests and close, and the sender sees every receiver gone.
    let (stopping, stopping_rx) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(
        limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let (tls_listener, tls) = tls.unzip();
    let budget = Budget::new(limits.max_unsent_bytes);
    let too_large = too_large_answer(app.max_body_bytes);
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
        let (accepted, secure) = tokio::select! {
            accepted = listener.accept() => (accepted, false),
            accepted = accept(tls_listener.as_ref()) => (accepted, true),
            () = &mut stop => break,
        };
        let (stream, remote) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: back off
                // briefly instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Given back while a wait is parked on the connection (HTTP/1).
        let slot = ConnSlot::new(slot, slots.clone());
        let _ = stream.set_nodelay(true);
        let fd = std::os::fd::AsRawFd::as_raw_fd(&stream);
        let served = Served {
            http: http.clone(),
            admin: admin.clone(),
            app: app.clone(),
            limits,
            stopping: stopping_rx.clone(),
            budget: budget.clone(),
            too_large: too_large.clone(),
        };
        match (secure, &tls) {
            (true, Some(tls)) => {
                let tls = tls.clone();
                let stopped = served.stopped();
                tokio::spawn(async move {
                    // A stop drops a handshake in progress: no request yet.
                    let accepted = tokio::select! {
                        accepted = tls.accept(stream) => accepted,
                        () = stopped => None,
                    };
                    if let Some(stream) = accepted {
                        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                        let slot = (!h2).then(|| slot.clone());
                        let socket = h2.then(|| shared(stream.get_ref().0)).flatten();
                        served
                            .connection(stream, remote, socket, h2, true, slot)
                            .await;
                    }
                    slot.release();
                });
            }
            _ => {
                let stopped = served.stopped();
                tokio::spawn(async move {
                    // A stop drops a connection that has sent nothing yet.
                    let preface = tokio::select! {
                        preface = h2c_preface(&stream, limits.head_timeout) => Some(preface),
                        () = stopped => None,
                    };
                    match preface {
                        Some(Some(h2)) => {
                            let slot = (!h2).then(|| slot.clone());
                            let socket = if h2 {
                                shared(&stream)
                            } else {
                                Some(Socket::Http1(fd))
                            };
                            served
                                .connection(stream, remote, socket, h2, false, slot)
                                .await
                        }
                        Some(None) => {
                            tracing::debug!(%remote, "no request within {:?}", limits.head_timeout)
                        }
                        None => {}
                    }
                    slot.release();
                });
            }
        }
    }
    drop(listener);
    drop(tls_listener);
    drop(stopping_rx);
    let _ = stopping.send(true);
    // Open streams end now (SSE: a last comment), or the connections they
    // hold would never finish.
    app.streams.stop();
    stopping.closed().await;
}

/// How a connection ended.
enum Ended {
    /// It closed, or was closed, with this outcome.
    Closed(Result<(), hyper::Error>),
    /// It was dropped: answer bytes ready and none written for
    /// `--send-timeout`.
    Stalled,
}

/// Serves `conn` until it ends. Once `stopped` or `idle` resolves, asks it
/// (with `close`) to finish its requests and close; should it still be
/// open when `idle` resolves again, drops it. Drops it at once when
/// `stalled` resolves (a client that does not read its answers).
async fn drive<C>(
    conn: C,
    close: impl Fn(Pin<&mut C>),
    stopped: impl Future<Output = ()>,
    mut idle: impl FnMut() -> Pin<Box<dyn Future<Output = ()> + Send>>,
    mut stalled: Watchdog,
) -> Ended
where
    C: Future<Output = Result<(), hyper::Error>>,
{
    tokio::pin!(conn, stopped);
    let mut idling = idle();
    let mut closing = false;
    loop {
        // The connection first: the watchdog then sees what it wrote.
        tokio::select! {
            biased;
            ended = conn.as_mut() => return Ended::Closed(ended),
            () = &mut stalled => return Ended::Stalled,
            () = &mut stopped, if !closing => {
                close(conn.as_mut());
                closing = true;
            }
            () = &mut idling => {
                if closing {
                    return Ended::Closed(Ok(()));
                }
                close(conn.as_mut());
                closing = true;
                idling = idle();
            }
        }
    }
}

/// The first bytes of an HTTP/2 connection with prior knowledge.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Whether a plain connection starts with the HTTP/2 preface, looked at
/// without reading it; `None` when the client sent nothing in `limit` (the
/// time it has for a request head).
async fn h2c_preface(stream: &TcpStream, limit: Duration) -> Option<bool> {
    let mut buf = [0u8; H2_PREFACE.len()];
    tokio::time::timeout(limit, async {
        loop {
            let n = stream.peek(&mut buf).await.unwrap_or(0);
            if n == 0 || !H2_PREFACE.starts_with(&buf[..n]) {
                return false;
            }
            if n == H2_PREFACE.len() {
                return true;
            }
            // Part of the preface: wait for the rest without spinning.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .ok()
}

/// The next connection on `listener`; never, without one.
async fn accept(listener: Option<&TcpListener>) -> io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// What serving one connection needs.
struct Served {
    http: Arc<(
        hyper::server::conn::http1::Builder,
        hyper::server::conn::http2::Builder<TokioExecutor>,
    )>,
    admin: Router,
    app: Arc<RequestPath>,
    limits: Limits,
    /// Turns `true` when the server stops.
    stopping: watch::Receiver<bool>,
    /// The bytes of answers not yet sent, over all connections.
    budget: Arc<Budget>,
    /// The answer to a `Content-Length` hyper reserves (HTTP/1).
    too_large: bytes::Bytes,
}

impl Served {
    /// Resolves once the server stops.
    fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut signal = self.stopping.clone();
        async move {
            let _ = signal.wait_for(|stopping| *stopping).await;
        }
    }

    /// Serves requests on `stream` until it closes; `slot`, the
    /// connection's place among `--max-connections` on HTTP/1, goes with
    /// each request so that a wait can give it back while it sleeps.
    async fn connection<S: Resettable + Send + 'static>(
        self,
        stream: S,
        remote: SocketAddr,
        socket: Option<Socket>,
        h2: bool,
        secure: bool,
        slot: Option<Arc<ConnSlot>>,
    ) {
        let stopped = self.stopped();
        // `stopping` itself is held until the connection ends: the server
        // waits for every receiver to be gone.
        let Served {
            http,
            admin,
            app,
            limits,
            stopping,
            budget,
            too_large,
        } = self;
        let fault = Arc::new(FaultSlot::default());
        let ledger = Ledger::new(budget.clone());
        let conn = Conn {
            remote,
            socket,
            fault: fault.clone(),
            secure,
            slot,
            unsent: Some(ledger.clone()),
        };
        let stalled = Watchdog::new(ledger.clone(), limits.send_timeout);
        // On HTTP/2, whether a stream is open, to close the connection
        // once idle.
        let streams = h2.then(|| Arc::new(Streams::default()));
        // HTTP/1: hyper's header read timeout closes an idle connection,
        // on a timer of the connection's own, whose watcher runs here.
        let (h1, mut head_watcher) = if h2 {
            (None, None)
        } else {
            let (timer, watcher) = HeadTimer::new(limits.head_timeout);
            let mut h1 = http.0.clone();
            h1.timer(timer);
            let watcher: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(watcher);
            (Some(h1), Some(watcher))
        };
        let idle = {
            let streams = streams.clone();
            move || -> Pin<Box<dyn Future<Output = ()> + Send>> {
                match streams.clone() {
                    Some(streams) => {
                        Box::pin(async move { streams.idle_for(limits.head_timeout).await })
                    }
                    // Never resolves.
                    None => head_watcher
                        .take()
                        .unwrap_or_else(|| Box::pin(std::future::pending())),
                }
            }
        };
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let mut open = streams.as_ref().map(|s| s.open());
            let rejected = check_head(&req, &limits);
            let h2 = req.version() == http::Version::HTTP_2;
            let mut req = req.map(axum::body::Body::new);
            let mut conn = conn.clone();
            if h2 && req.extensions().get::<hyper::ext::Protocol>().is_some() {
                // An extended CONNECT (a WebSocket): the stream stays open
                // while whatever it becomes holds this.
                if let Some(open) = open.take() {
                    req.extensions_mut().insert(crate::idle::KeepOpen {
                        _held: Arc::new(open),
                    });
                }
            }
            if h2 {
                // A fault of its own.
                conn.fault = Arc::new(FaultSlot::default());
                conn.slot = None;
                authority_as_host(&mut req);
            }
            // The hot path takes no router and no extensions.
            let admin = req.uri().path().starts_with("/__admin").then(|| {
                // Its answers are charged here, whatever answers them.
                let mut info = conn.clone();
                info.unsent = None;
                req.extensions_mut().insert(ConnectInfo(info));
                let health =
                    req.method() == http::Method::GET && req.uri().path() == "/__admin/health";
                (admin.clone(), health.then(|| budget.clone()))
            });
            let app = app.clone();
            async move {
                if let Some(rejected) = rejected {
                    return Ok::<_, StreamReset>(rejected);
                }
                let answer = match admin {
                    // Boxed: every request's future would otherwise carry
                    // the admin router's room.
                    Some((mut admin, health)) => {
                        let answer = match Box::pin(admin.call(req)).await {
                            Ok(answer) => answer,
                            Err(never) => match never {},
                        };
                        let answer = match health {
                            Some(budget) => Box::pin(with_unsent_bytes(answer, &budget)).await,
                            None => answer,
                        };
                        match &conn.unsent {
                            Some(ledger) => answer
                                .map(|body| axum::body::Body::new(Charged::forced(body, ledger))),
                            None => answer,
                        }
                    }
                    None => dispatch::handle(app, Some(conn.clone()), req).await,
                };
                let answer = match conn.fault.armed() {
                    Some(fault) if h2 => h2_fault(fault, conn.unsent.clone())?,
                    _ => answer,
                };
                // The stream stays open until its answer is sent.
                Ok(match open {
                    Some(open) => {
                        answer.map(|body| axum::body::Body::new(Tracked::new(body, open)))
                    }
                    None => answer,
                })
            }
        });
        let wire = if h2 {
            Wire::h2()
        } else {
            Wire::h1(limits.max_head_bytes.max(8 * 1024), too_large)
        };
        let io = TokioIo::new(FaultIo::new(stream, fault, ledger, wire));
        let ended = match h1 {
            None => {
                let conn = http.1.serve_connection(io, service);
                drive(conn, |c| c.graceful_shutdown(), stopped, idle, stalled).await
            }
            Some(h1) => {
                // Upgrades: WebSocket answers (`crate::streams::websocket`).
                let conn = h1.serve_connection(io, service).with_upgrades();
                drive(conn, |c| c.graceful_shutdown(), stopped, idle, stalled).await
            }
        };
        match ended {
            Ended::Closed(Err(e)) => tracing::debug!(%remote, "connection ended: {e}"),
            Ended::Closed(Ok(())) => {}
            Ended::Stalled => {
                tracing::debug!(
                    %remote,
                    "dropped: answer bytes ready and none written for {:?} (--send-timeout)",
                    limits.send_timeout
                );
                return_freed_memory_soon();
            }
        }
        drop(stopping);
    }
}

/// Gives the memory freed by dropped stalled connections back to the
/// system (glibc's allocator keeps it): once, a second after the first
/// drop, for every drop meanwhile (an attack's connections go together),
/// on a blocking thread.
fn return_freed_memory_soon() {
    static SCHEDULED: AtomicBool = AtomicBool::new(false);
    if SCHEDULED.swap(true, Ordering::AcqRel) {
        return;
    }
    tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        SCHEDULED.store(false, Ordering::Release);
        let _ = tokio::task::spawn_blocking(crate::trim::return_freed_memory).await;
    });
}

/// The whole HTTP/1 answer to a `Content-Length` hyper reserves: 413, as
/// any other request body over `--max-body-bytes`; the connection closes.
fn too_large_answer(max_body_bytes: usize) -> bytes::Bytes {
    let body = Refusal::BodyTooLarge {
        max: max_body_bytes,
    }
    .body()
    .to_string();
    bytes::Bytes::from(format!(
        "HTTP/1.1 413 Payload Too Large\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ))
}

/// `GET /__admin/health`'s answer with `unsentBytes`: the bytes of answers
/// not yet sent, over all connections.
async fn with_unsent_bytes(
    answer: axum::response::Response,
    budget: &Budget,
) -> axum::response::Response {
    if answer.status() != StatusCode::OK {
        return answer;
    }
    let (mut parts, body) = answer.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        parts.status = StatusCode::INTERNAL_SERVER_ERROR;
        return axum::response::Response::from_parts(parts, axum::body::Body::empty());
    };
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut health)) => {
            health.insert("unsentBytes".to_owned(), budget.held().into());
            bytes::Bytes::from(serde_json::Value::Object(health).to_string())
        }
        _ => bytes,
    };
    parts.headers.remove(http::header::CONTENT_LENGTH);
    axum::response::Response::from_parts(parts, axum::body::Body::from(body))
}

/// Gives an HTTP/2 request without `Host` one from its `:authority`.
fn authority_as_host(req: &mut axum::extract::Request) {
    if req.headers().contains_key(http::header::HOST) {
        return;
    }
    if let Some(value) = req
        .uri()
        .authority()
        .and_then(|a| http::HeaderValue::from_str(a.as_str()).ok())
    {
        req.headers_mut().insert(http::header::HOST, value);
    }
}

/// A fault acted out on one HTTP/2 stream, as close to its HTTP/1 meaning
/// as a stream allows, leaving the connection's other streams alone:
///
/// - `EMPTY_RESPONSE`: the stream is reset (`INTERNAL_ERROR`) with no
///   answer.
/// - `CONNECTION_RESET_BY_PEER`: the stream is reset (`CANCEL`) with no
///   answer.
/// - `RANDOM_DATA_THEN_CLOSE`: no garbage fits in a frame without
///   breaking the connection, so the stream is reset (`PROTOCOL_ERROR`)
///   with no answer.
/// - `MALFORMED_RESPONSE_CHUNK`: a `200` head and a DATA frame of random
///   bytes, then the stream is reset (`PROTOCOL_ERROR`) before it ends.
///   The reset waits until the frame is written (`ledger` counts DATA
///   bytes written; at most [`GARBAGE_WAIT`]): one sent earlier would
///   drop the head and the frame still queued.
fn h2_fault(
    fault: Fault,
    ledger: Option<Arc<Ledger>>,
) -> Result<axum::response::Response, StreamReset> {
    let reset = |reason: h2::Reason| Err(StreamReset::from(reason));
    match fault {
        Fault::EmptyResponse => reset(h2::Reason::INTERNAL_ERROR),
        Fault::ConnectionResetByPeer => reset(h2::Reason::CANCEL),
        Fault::RandomDataThenClose => reset(h2::Reason::PROTOCOL_ERROR),
        Fault::MalformedResponseChunk => {
            let mut garbage = vec![0u8; GARBAGE_BYTES];
            rand::fill(&mut garbage[..]);
            let steps = futures_util::stream::unfold(
                Garbage::Chunk(bytes::Bytes::from(garbage)),
                move |step| {
                    let ledger = ledger.clone();
                    async move {
                        match step {
                            Garbage::Chunk(chunk) => {
                                let until = ledger
                                    .as_ref()
                                    .map_or(0, |l| l.progress() + chunk.len() as u64);
                                Some((Ok(chunk), Garbage::Reset { until }))
                            }
                            Garbage::Reset { until } => {
                                if let Some(ledger) = ledger {
                                    let _ = tokio::time::timeout(GARBAGE_WAIT, async {
                                        while ledger.progress() < until {
                                            tokio::time::sleep(Duration::from_millis(2)).await;
                                        }
                                    })
                                    .await;
                                }
                                let reset = StreamReset::from(h2::Reason::PROTOCOL_ERROR);
                                Some((Err(reset), Garbage::Done))
                            }
                            Garbage::Done => None,
                        }
                    }
                },
            );
            Ok(axum::response::Response::new(
                axum::body::Body::from_stream(steps),
            ))
        }
    }
}

/// The random bytes of `MALFORMED_RESPONSE_CHUNK` on HTTP/2.
const GARBAGE_BYTES: usize = 64;

/// How long the reset of `MALFORMED_RESPONSE_CHUNK` waits for its DATA
/// frame to be written (a client with no window takes none).
const GARBAGE_WAIT: Duration = Duration::from_secs(1);

/// Where the answer of `MALFORMED_RESPONSE_CHUNK` on HTTP/2 is.
enum Garbage {
    /// The garbage is next.
    Chunk(bytes::Bytes),
    /// The reset, once the connection's DATA bytes reach `until`.
    Reset {
        until: u64,
    },
    Done,
}

/// An HTTP/2 connection's socket for the handler watchdog: a duplicate,
/// so that it stays open while any of its streams' calls runs (one
/// `fcntl` per connection). `None` if the process is out of descriptors:
/// its calls then take the pool.
fn shared(stream: &TcpStream) -> Option<Socket> {
    use std::os::fd::AsFd;
    stream
        .as_fd()
        .try_clone_to_owned()
        .map(|fd| Socket::Shared(Arc::new(fd)))
        .inspect_err(|e| tracing::debug!("no duplicate of an HTTP/2 socket ({e})"))
        .ok()
}
