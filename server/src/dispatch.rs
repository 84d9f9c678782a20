//! The request path for everything but the admin API: read the body,
//! resolve the service, ask the answer sources (`crate::answer`) in order;
//! the journal records the outcome; the plan is carried out.

use crate::{
    answer::{Answer, Asked},
    conn::Conn,
    journal::Outcome,
    plan::Plan,
    refusal::Refusal,
    request::Recorded,
    routing,
    state::RequestPath,
};
use axum::{
    extract::{ConnectInfo, Request, State},
    response::Response,
};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, header};
use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

/// Fallback handler of the admin router: requests under `/__admin` that
/// are not admin calls.
pub async fn dispatch(State(app): State<Arc<RequestPath>>, req: Request) -> Response {
    let conn = req
        .extensions()
        .get::<ConnectInfo<Conn>>()
        .map(|c| c.0.clone());
    handle(app, conn, req).await
}

/// Every request that is not for the admin API.
pub async fn handle(app: Arc<RequestPath>, conn: Option<Conn>, req: Request) -> Response {
    let started = Instant::now();
    let received_at = SystemTime::now();
    if app.stub_cors
        && let Some(preflight) = crate::cors::preflight(req.method(), req.headers())
    {
        return preflight;
    }
    let grpc_call = crate::grpc::is_call(req.headers());
    if grpc_call && let Some(builtin) = app.grpc.builtin(req.uri().path()) {
        return builtin(req).await;
    }
    let (mut parts, body) = req.into_parts();
    // A WebSocket's handshake: its body, on HTTP/2, is the socket.
    let mut upgrade = crate::streams::websocket::Upgrade::take(&mut parts);
    // Boxed, and only when there is a body: most requests have none, and
    // every request's future would otherwise carry its room.
    let read = if upgrade.is_some() || axum::body::HttpBody::is_end_stream(&body) {
        Ok(Bytes::new())
    } else {
        Box::pin(read_body(
            body,
            &parts.headers,
            app.max_body_bytes,
            app.body_timeout,
        ))
        .await
    };
    let read = match read {
        Ok(b) if app.gzip && crate::gzip::is_gzipped(&parts.headers, &b) => {
            Box::pin(crate::gzip::decode_request(b, app.max_body_bytes)).await
        }
        read => read,
    };
    let (mut body, mut early) = match read {
        Ok(b) => (b, None),
        Err(plan) => (Bytes::new(), Some(plan)),
    };
    // A gRPC call: its messages as JSON, for the stubs and the journal.
    let mut call = None;
    let mut wire_body = None;
    if grpc_call {
        early = match early {
            // 413, 408: a gRPC client reads only a status.
            Some(refused) => Some(crate::grpc::call::refused(&refused)),
            None => {
                match crate::grpc::call::read(&app.grpc, parts.uri.path(), &parts.headers, &body) {
                    Ok((read, json)) => {
                        call = Some(read);
                        if let Some(json) = json {
                            wire_body = Some(std::mem::replace(&mut body, json));
                        }
                        None
                    }
                    Err(status) => Some(status),
                }
            }
        };
    }

    let snapshot = app.registry.snapshot();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.host());
    let resolved = routing::resolve(host, parts.uri.path(), |name| snapshot.resolve(name))
        .map(|t| (t.service, Recorded::rel_start(parts.uri.path(), t.path)));
    let (service, guess) = match resolved {
        Ok(s) => (Some(s), None),
        Err(guess) => (None, guess),
    };
    let scopes = crate::scope::Scopes::from_headers(&parts.headers);
    app.scope_activity.used(&scopes);
    // The journal packs its own copy of the text; only the body it keeps
    // as is, so that is copied out of hyper's read buffer.
    let (path, query) = crate::request::compact_path(parts.uri.path(), parts.uri.query());
    let request = Arc::new(Recorded {
        method: parts.method,
        path,
        query,
        headers: parts.headers,
        body: if app.journal.enabled() {
            crate::request::compact_body(body)
        } else {
            body
        },
        service,
        client: conn.as_ref().map(|c| c.remote),
        received_at,
        version: parts.version,
        secure: conn.as_ref().is_some_and(|c| c.secure),
    });

    let mut answer = match early {
        Some(plan) => Answer::server(plan),
        None => {
            let asked = Asked {
                req: &request,
                scopes: &scopes,
                snapshot: &snapshot,
                conn: conn.as_ref(),
                guess: guess.as_deref(),
                wire_body: wire_body.as_ref(),
                websocket: upgrade.is_some(),
                overridden: Default::default(),
            };
            // A client that hangs up while the answer is being made (a
            // slow handler, a proxied upstream) drops this future: the
            // request is journaled all the same.
            let mut abandoned = Abandoned {
                app: &app,
                request: &request,
                scopes: &scopes,
                started,
                armed: true,
            };
            let answer = app.sources.answer(&asked).await;
            abandoned.armed = false;
            answer
        }
    };
    if let Some((service, _)) = request.service()
        && app.builds.failed(service)
    {
        answer.plan.headers.push((
            http::HeaderName::from_static(crate::sources::FAILED_HEADER),
            HeaderValue::from_static(crate::sources::FAILED_VALUE),
        ));
    }
    drop(snapshot);
    // A stream or WebSocket answer opens its stream now (503 past
    // `--max-streams`).
    let opening = crate::streams::Opening::of(
        &app.streams,
        &mut answer.plan,
        &request,
        &scopes,
        &mut upgrade,
    )
    .unwrap_or_else(|refused| {
        answer = Answer::server(refused);
        None
    });
    // A gRPC call's answer: the journal keeps it as JSON, the messages are
    // sent.
    let mut responded = None;
    let mut trailers = None;
    if let Some(call) = &call {
        if app.journal.enabled() {
            responded = Some((
                answer.plan.status,
                crate::journal::Responded::of(&answer.plan),
            ));
        }
        trailers = call.answer(&mut answer.plan, &answer.by);
    }
    // The body is charged to `--max-unsent-bytes` before the journal
    // records what is sent: a 503 instead, when it would pass the cap.
    let reserved = match answer.plan.reserve(conn.as_ref()) {
        Ok(reserved) => reserved,
        Err(refused) => {
            answer = crate::answer::Answer::server(refused);
            None
        }
    };
    // Added once the journal has the answer as it was made.
    let cors = app
        .stub_cors
        .then(|| crate::cors::answer_headers(&request.headers, &answer.by));
    let gzip = app.gzip
        && !grpc_call
        && opening.is_none()
        && matches!(answer.by, crate::journal::AnsweredBy::Stub(_))
        && crate::gzip::wanted(&request.method, &request.headers, request.path.as_str());
    if app.verbose {
        log_served(&request, &answer.plan, &answer.by, started);
    }
    // A stub's webhooks go once its answer is made (`crate::webhooks`):
    // only then is the request held while the answer is sent.
    let hooked = crate::webhooks::Webhooks::of(answer.stub.as_ref()).map(|s| (s, request.clone()));
    let mut entry = None;
    if app.journal.enabled() {
        entry = app.journal.record_scoped(
            &request,
            scopes,
            Outcome {
                status: responded
                    .as_ref()
                    .map_or(answer.plan.status, |(status, _)| *status)
                    .as_u16(),
                response: responded
                    .map(|(_, response)| response)
                    .unwrap_or_else(|| crate::journal::Responded::of(&answer.plan)),
                answered_by: answer.by,
                stub: answer.stub,
                process_time: started.elapsed(),
                added_delay: answer.plan.delay,
            },
            &answer.plan.headers,
        );
    }
    if let Some(opening) = &opening {
        opening.recorded_as(entry);
    }
    // Not held while the answer is sent (delays, dribbled chunks).
    drop(request);
    let mut headers = std::mem::take(&mut answer.plan.headers);
    if gzip {
        Box::pin(crate::gzip::compress_answer(&mut answer.plan, &mut headers)).await;
    }
    if let Some(cors) = cors {
        headers.splice(0..0, cors);
    }
    let mut response = match opening {
        Some(opening) => {
            opening
                .answer(&app.streams, answer.plan, conn.as_ref(), &headers)
                .await
        }
        None => {
            answer
                .plan
                .execute(conn.as_ref(), &headers, reserved, None)
                .await
        }
    };
    if let Some(trailers) = trailers {
        response = crate::grpc::call::with_trailers(response, trailers);
    }
    if let Some((stub, request)) = hooked {
        app.webhooks.send_after(&stub, &request, entry);
    }
    response
}

/// Journals a request whose answer was never made because the future
/// making it was dropped — its client closed the connection first — with
/// the status 499 and `answeredBy` `abandoned`, so that a test can verify
/// that its app called (and gave up on) a slow mock.
struct Abandoned<'a> {
    app: &'a RequestPath,
    request: &'a Arc<Recorded>,
    scopes: &'a crate::scope::Scopes,
    started: Instant,
    armed: bool,
}

impl Drop for Abandoned<'_> {
    fn drop(&mut self) {
        if !self.armed || !self.app.journal.enabled() {
            return;
        }
        self.app.journal.record_scoped(
            self.request,
            self.scopes.clone(),
            Outcome {
                status: CLIENT_CLOSED_REQUEST,
                response: crate::journal::Responded::default(),
                answered_by: crate::journal::AnsweredBy::Abandoned,
                stub: None,
                process_time: self.started.elapsed(),
                added_delay: Duration::ZERO,
            },
            &[],
        );
    }
}

/// The status the journal gives a request whose client left before its
/// answer was made (nginx's "client closed request").
const CLIENT_CLOSED_REQUEST: u16 = 499;

/// `--verbose`'s line for one request.
fn log_served(request: &Recorded, plan: &Plan, by: &crate::journal::AnsweredBy, started: Instant) {
    let query = request
        .query
        .as_deref()
        .map_or(String::new(), |q| format!("?{q}"));
    tracing::info!(
        target: "fake_servicer::served",
        "{} {}{query} -> {} ({:?}, {} body bytes, {:.1} ms to plan)",
        request.method,
        request.path,
        plan.status.as_u16(),
        by,
        request.body.len(),
        started.elapsed().as_secs_f64() * 1000.0,
    );
}

/// The whole request body: at most `max` bytes (413), within `timeout`
/// (408, and the connection is closed: the rest of the body is never read).
async fn read_body(
    body: axum::body::Body,
    headers: &HeaderMap,
    max: usize,
    timeout: Duration,
) -> Result<Bytes, Plan> {
    if axum::body::HttpBody::is_end_stream(&body) {
        return Ok(Bytes::new());
    }
    let too_large = || Refusal::BodyTooLarge { max }.plan();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, max)).await {
        Ok(Ok(b)) => Ok(b),
        Err(_) => Err(Refusal::BodyTimedOut { timeout }.plan()),
        Ok(Err(e)) => {
            let limit = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if limit {
                Err(too_large())
            } else {
                Err(Refusal::BodyUnreadable {
                    error: e.to_string(),
                }
                .plan())
            }
        }
    }
}
