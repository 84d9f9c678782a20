//! The request path for everything but the admin API: resolve
//! the service, then the first of an armed next-request override, a stub, a
//! plugin route answers; the journal records the outcome; the plan is
//! carried out.

use crate::{
    conn::Conn,
    journal::{AnsweredBy, Outcome},
    mappings::Stub,
    overrides::Override,
    plan::Plan,
    plugin::{Service, Snapshot},
    request::Recorded,
    routing::{self, RouteMatch},
    runner::{self, Call, Ran},
    state::App,
};
use axum::{
    extract::{ConnectInfo, Request, State},
    response::Response,
};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Value, json};
use std::{
    borrow::Cow,
    sync::{Arc, Weak},
    time::{Duration, Instant, SystemTime},
};

/// An answer and who gave it.
struct Answer {
    plan: Plan,
    by: AnsweredBy,
    /// The stub that answered, for the journal (shared, not copied).
    stub: Option<Weak<Stub>>,
}

impl Answer {
    fn server(plan: Plan) -> Answer {
        Answer {
            plan,
            by: AnsweredBy::Server,
            stub: None,
        }
    }

    fn nothing(plan: Plan) -> Answer {
        Answer {
            plan,
            by: AnsweredBy::Nothing,
            stub: None,
        }
    }
}

/// Fallback handler of the admin router: requests under `/__admin` that
/// are not admin calls.
pub async fn dispatch(State(app): State<Arc<App>>, req: Request) -> Response {
    let conn = req
        .extensions()
        .get::<ConnectInfo<Conn>>()
        .map(|c| c.0.clone());
    handle(app, conn, req).await
}

/// Every request that is not for the admin API.
pub async fn handle(app: Arc<App>, conn: Option<Conn>, req: Request) -> Response {
    let started = Instant::now();
    let received_at = SystemTime::now();
    let (parts, body) = req.into_parts();
    // Boxed, and only when there is a body: most requests have none, and
    // every request's future would otherwise carry its room.
    let read = if axum::body::HttpBody::is_end_stream(&body) {
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
    let (body, too_large) = match read {
        Ok(b) => (b, None),
        Err(plan) => (Bytes::new(), Some(plan)),
    };

    let snapshot = app.registry.snapshot();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.host());
    let resolved = routing::resolve(host, parts.uri.path(), |name| snapshot.resolve(name))
        .map(|t| (t.service, Recorded::rel_start(parts.uri.path(), t.path)));
    let (service, unknown) = match resolved {
        Ok(s) => (Some(s), None),
        Err(guess) => (None, Some(guess)),
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

    let mut answer = match too_large {
        Some(plan) => Answer::server(plan),
        None => answer(&app, &request, &scopes, &snapshot, unknown, conn.as_ref()).await,
    };
    if let Some((service, _)) = request.service()
        && app.builds.failed(service)
    {
        answer.plan.headers.push((
            http::HeaderName::from_static(crate::build::FAILED_HEADER),
            HeaderValue::from_static(crate::build::FAILED_VALUE),
        ));
    }
    drop(snapshot);
    if app.journal.enabled() {
        app.journal.record_scoped(
            &request,
            scopes,
            Outcome {
                status: answer.plan.status.as_u16(),
                response: crate::journal::Responded::of(&answer.plan),
                answered_by: answer.by,
                stub: answer.stub,
                process_time: started.elapsed(),
                added_delay: answer.plan.delay,
            },
            &answer.plan.headers,
        );
    }
    // Not held while the answer is sent (delays, dribbled chunks).
    drop(request);
    let headers = std::mem::take(&mut answer.plan.headers);
    answer.plan.execute(conn.as_ref(), &headers).await
}

/// Arming request, armed override, or the normal answer.
async fn answer(
    app: &App,
    req: &Arc<Recorded>,
    scopes: &crate::scope::Scopes,
    snapshot: &Snapshot,
    unknown: Option<Option<Cow<'_, str>>>,
    conn: Option<&Conn>,
) -> Answer {
    if let Some((service, path)) = req.service() {
        let arming = Override::from_headers(&req.headers);
        if arming.is_some()
            && let Some(token) = &app.admin_token
            && !crate::admin::token::authorized(&req.headers, token)
        {
            return Answer::server(Plan::json(
                StatusCode::UNAUTHORIZED,
                &json!({
                    "error": "arming a next-request override needs `Authorization: Bearer <token>` (--admin-token)",
                    "armed": false,
                }),
            ));
        }
        match arming {
            Some(Err(e)) => {
                return Answer::server(Plan::json(
                    StatusCode::BAD_REQUEST,
                    &json!({
                        "error": format!("invalid {}: {}", e.header, e.reason),
                        "header": e.header,
                        "armed": false,
                    }),
                ));
            }
            Some(Ok(o)) => {
                let mut description = o.describe(service, &req.method, path);
                let scope: Option<Arc<str>> = req
                    .headers
                    .get(crate::scope::NEXT_REQUEST_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(Arc::from)
                    .or_else(|| scopes.first().cloned());
                description["armed"]["scope"] = scope.as_deref().into();
                if let Some(s) = &scope {
                    app.scope_activity.touch(s);
                }
                if let Err(full) = app
                    .overrides
                    .arm_scoped(service, &req.method, path, scope, o)
                {
                    return Answer::server(Plan::json(
                        StatusCode::INSUFFICIENT_STORAGE,
                        &json!({
                            "error": full.message,
                            "flag": full.flag,
                            "cap": full.cap,
                            "armed": false,
                        }),
                    ));
                }
                return Answer {
                    plan: Plan::json(StatusCode::ACCEPTED, &description),
                    by: AnsweredBy::Armed,
                    stub: None,
                };
            }
            None => {}
        }
        if let Some(o) = app
            .overrides
            .take_scoped(service, &req.method, path, scopes)
        {
            let base = if o.needs_base() {
                normal(app, req, scopes, snapshot, unknown, conn).await.plan
            } else {
                Plan::empty(StatusCode::OK)
            };
            return Answer {
                plan: o.apply(base),
                by: AnsweredBy::Override,
                stub: None,
            };
        }
    }
    normal(app, req, scopes, snapshot, unknown, conn).await
}

/// A stub, else a plugin route, else 404.
async fn normal(
    app: &App,
    req: &Arc<Recorded>,
    scopes: &crate::scope::Scopes,
    snapshot: &Snapshot,
    unknown: Option<Option<Cow<'_, str>>>,
    conn: Option<&Conn>,
) -> Answer {
    if let Some(stub) = app.stubs.find_scoped(req, scopes) {
        if let Some(spec) = &stub.response.proxy {
            return Answer {
                // Boxed: the proxy's future is large, and every request's
                // future would otherwise carry its room.
                plan: Box::pin(crate::proxy::answer(app, &stub, spec, req)).await,
                by: AnsweredBy::Stub(stub.id),
                stub: Some(Arc::downgrade(&stub)),
            };
        }
        return Answer {
            plan: stub_plan(app, req, &stub),
            by: AnsweredBy::Stub(stub.id),
            stub: Some(Arc::downgrade(&stub)),
        };
    }
    let Some((name, rel_path)) = req.service() else {
        let guess = unknown.flatten();
        let mut body = json!({
            "error": match &guess {
                Some(name) => format!("no service named {name:?}"),
                None => "no service named in this request".to_owned(),
            },
            "service": guess,
            "known_services": snapshot.names(),
            "hint": "call http://<service>/<path> or http://<this host>/<service>/<path>",
        });
        crate::mappings::add_to_not_found(&app.stubs, req, &mut body);
        return Answer::nothing(Plan::json(StatusCode::NOT_FOUND, &body));
    };
    let Some(service) = snapshot.get(name).cloned() else {
        // A service only stubs define, and none of them matched.
        let stubs: Vec<Value> = app
            .stubs
            .list()
            .iter()
            .filter(|s| {
                s.request
                    .service
                    .as_deref()
                    .is_some_and(|s| routing::same_service(s, name))
            })
            .filter_map(|s| s.json.get("request").cloned())
            .collect();
        let mut body = json!({
            "error": format!("no stub of service {name:?} matches {} {rel_path}", req.method),
            "service": name,
            "stubs": stubs,
        });
        crate::mappings::add_to_not_found(&app.stubs, req, &mut body);
        return Answer::nothing(Plan::json(StatusCode::NOT_FOUND, &body));
    };
    call_plugin(app, service, req.clone(), rel_path, conn).await
}

/// A stub's answer to `req`: its body and headers rendered when it is a
/// response template (500 naming the stub when rendering fails).
fn stub_plan(app: &App, req: &Recorded, stub: &Stub) -> Plan {
    let delay = app.settings.fixed_delay();
    let response = &stub.response;
    let Some(t) = response
        .template
        .as_deref()
        .filter(|t| t.applies(app.global_templating))
    else {
        return response.plan(delay);
    };
    let input = crate::template::Input {
        req,
        service: stub.request.service.as_deref(),
        path_template: stub
            .json
            .pointer("/request/urlPathTemplate")
            .and_then(Value::as_str),
        parameters: &t.parameters,
    };
    match t.render(&input, &response.body, &response.headers) {
        Ok((body, headers)) => response.plan_with(body, headers, delay),
        Err(e) => Plan::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({
                "error": format!("stub {}: response template: {e}", stub.id),
                "stub": stub.id.to_string(),
            }),
        ),
    }
}

async fn call_plugin(
    app: &App,
    service: Arc<Service>,
    req: Arc<Recorded>,
    rel_path: &str,
    conn: Option<&Conn>,
) -> Answer {
    let (route, params) = match service.library.routes.find(&req.method, rel_path) {
        RouteMatch::Found { route, params } => (route, params),
        RouteMatch::NotFound => {
            return Answer::nothing(Plan::json(
                StatusCode::NOT_FOUND,
                &json!({
                    "error": format!("no route for {} {}", req.method, rel_path),
                    "service": service.name,
                    "routes": route_list(&service),
                }),
            ));
        }
        RouteMatch::MethodNotAllowed(allowed) => {
            let names: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
            let mut plan = Plan::json(
                StatusCode::METHOD_NOT_ALLOWED,
                &json!({
                    "error": format!("{} is not allowed on {}", req.method, rel_path),
                    "service": service.name,
                    "allowed": names,
                }),
            );
            if let Ok(v) = HeaderValue::from_str(&names.join(", ")) {
                plan.headers.push((header::ALLOW, v));
            }
            return Answer::nothing(plan);
        }
    };
    let call = Call {
        service: service.clone(),
        handler: route.handler,
        request: req,
        params,
    };
    let failed = |msg: String| {
        Plan::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"error": msg, "service": service.name, "route": &*route.label}),
        )
    };
    let plan = match app.runner.run(call, route, conn).await {
        Ran::Returned(Ok(plan)) => plan,
        Ran::Returned(Err(msg)) | Ran::Failed(msg) => failed(msg),
        Ran::TimedOut => Plan::json(
            StatusCode::GATEWAY_TIMEOUT,
            &runner::timeout_body(app.runner.timeout(), &service.name, &route.label),
        ),
    };
    Answer {
        plan,
        by: AnsweredBy::Plugin {
            route: route.label.clone(),
            generation: service.generation,
        },
        stub: None,
    }
}

fn route_list(service: &Service) -> Vec<String> {
    service
        .library
        .routes
        .routes()
        .iter()
        .map(|r| r.label.to_string())
        .collect()
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
    let too_large = || {
        Plan::json(
            StatusCode::PAYLOAD_TOO_LARGE,
            &json!({"error": format!("request body larger than {max} bytes (--max-body-bytes)")}),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, max)).await {
        Ok(Ok(b)) => Ok(b),
        Err(_) => {
            let mut plan = Plan::json(
                StatusCode::REQUEST_TIMEOUT,
                &json!({"error": format!("the request body did not arrive within {timeout:?} (--body-timeout)")}),
            );
            plan.headers
                .push((header::CONNECTION, HeaderValue::from_static("close")));
            Err(plan)
        }
        Ok(Err(e)) => {
            let limit = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if limit {
                Err(too_large())
            } else {
                Err(Plan::json(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": format!("cannot read the request body: {e}")}),
                ))
            }
        }
    }
}
