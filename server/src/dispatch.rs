//! The request path for services: resolve the service, match a route, run
//! the plugin handler off the async workers, carry out its plan.

use crate::{
    conn::Conn,
    plan::Plan,
    plugin::{Registry, Service},
    routing::{self, RouteMatch},
};
use abi_stable::std_types::{RSlice, RStr};
use axum::{
    extract::{ConnectInfo, Request, State},
    response::Response,
};
use bytes::Bytes;
use fake_servicer::abi::{FfiHeader, FfiParam, FfiRequest, HandlerFn};
use http::{HeaderValue, StatusCode, header, request::Parts};
use serde_json::json;
use std::{sync::Arc, time::Duration};

/// What the service path needs from the server.
pub struct App {
    pub registry: Arc<Registry>,
    pub handler_timeout: Duration,
    pub max_body_bytes: usize,
}

/// Fallback handler of the HTTP router: every request that is not for the
/// admin API.
pub async fn dispatch(State(app): State<Arc<App>>, req: Request) -> Response {
    let conn = req
        .extensions()
        .get::<ConnectInfo<Conn>>()
        .map(|c| c.0.clone());
    plan_for(&app, req).await.execute(conn.as_ref()).await
}

async fn plan_for(app: &App, req: Request) -> Plan {
    let (parts, body) = req.into_parts();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.host());
    let snapshot = app.registry.snapshot();
    let target = match routing::resolve(host, parts.uri.path(), |name| {
        snapshot.get(name).map(|s| s.name.clone())
    }) {
        Ok(t) => t,
        Err(guess) => {
            return Plan::json(
                StatusCode::NOT_FOUND,
                &json!({
                    "error": match &guess {
                        Some(name) => format!("no service named {name:?}"),
                        None => "no service named in this request".to_owned(),
                    },
                    "service": guess,
                    "known_services": snapshot.names(),
                    "hint": "call http://<service>/<path> or http://<this host>/<service>/<path>",
                }),
            );
        }
    };
    let Some(service) = snapshot.get(&target.service).cloned() else {
        return Plan::json(StatusCode::NOT_FOUND, &json!({"error": "service vanished"}));
    };
    let rel_path = target.path.to_owned();
    drop(snapshot);

    let (handler, pattern, params) = match service.library.routes.find(&parts.method, &rel_path) {
        RouteMatch::Found { route, params } => (route.handler, route.pattern.clone(), params),
        RouteMatch::NotFound => {
            return Plan::json(
                StatusCode::NOT_FOUND,
                &json!({
                    "error": format!("no route for {} {}", parts.method, rel_path),
                    "service": service.name,
                    "routes": route_list(&service),
                }),
            );
        }
        RouteMatch::MethodNotAllowed(allowed) => {
            let allow = allowed
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let mut plan = Plan::json(
                StatusCode::METHOD_NOT_ALLOWED,
                &json!({
                    "error": format!("{} is not allowed on {}", parts.method, rel_path),
                    "service": service.name,
                    "allowed": allowed.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
                }),
            );
            if let Ok(v) = HeaderValue::from_str(&allow) {
                plan.headers.push((header::ALLOW, v));
            }
            return plan;
        }
    };

    let body = match read_body(body, &parts, app.max_body_bytes).await {
        Ok(b) => b,
        Err(plan) => return plan,
    };
    let route_name = format!("{} {}", parts.method, pattern);
    let call = Call {
        service: service.clone(),
        handler,
        parts,
        rel_path,
        params,
        body,
    };
    match tokio::time::timeout(
        app.handler_timeout,
        tokio::task::spawn_blocking(move || call.run()),
    )
    .await
    {
        Ok(Ok(Ok(plan))) => plan,
        Ok(Ok(Err(msg))) => Plan::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"error": msg, "service": service.name, "route": route_name}),
        ),
        Ok(Err(join)) => Plan::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"error": format!("handler call failed: {join}"), "service": service.name, "route": route_name}),
        ),
        Err(_) => {
            tracing::warn!(service = %service.name, route = %route_name, "handler still running after {:?}: answered 504", app.handler_timeout);
            Plan::json(
                StatusCode::GATEWAY_TIMEOUT,
                &json!({
                    "error": format!("handler did not return within {:?}", app.handler_timeout),
                    "service": service.name,
                    "route": route_name,
                }),
            )
        }
    }
}

fn route_list(service: &Service) -> Vec<String> {
    service
        .library
        .routes
        .routes()
        .iter()
        .map(|r| format!("{} {}", r.method, r.pattern))
        .collect()
}

async fn read_body(body: axum::body::Body, parts: &Parts, max: usize) -> Result<Bytes, Plan> {
    let too_large = || {
        Plan::json(
            StatusCode::PAYLOAD_TOO_LARGE,
            &json!({"error": format!("request body larger than {max} bytes (--max-body-bytes)")}),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    match axum::body::to_bytes(body, max).await {
        Ok(b) => Ok(b),
        Err(e) => {
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

/// One handler call, owned so it can move to a blocking thread.
struct Call {
    /// Keeps the library version being called alive (and findable) until
    /// its answer has been copied.
    service: Arc<Service>,
    handler: HandlerFn,
    parts: Parts,
    rel_path: String,
    params: Vec<(String, String)>,
    body: Bytes,
}

impl Call {
    fn run(self) -> Result<Plan, String> {
        let headers: Vec<FfiHeader<'_>> = self
            .parts
            .headers
            .iter()
            .map(|(name, value)| FfiHeader {
                name: RStr::from_str(name.as_str()),
                value: RSlice::from_slice(value.as_bytes()),
            })
            .collect();
        let params: Vec<FfiParam<'_>> = self
            .params
            .iter()
            .map(|(name, value)| FfiParam {
                name: RStr::from_str(name),
                value: RStr::from_str(value),
            })
            .collect();
        let request = FfiRequest {
            method: RStr::from_str(self.parts.method.as_str()),
            path: RStr::from_str(&self.rel_path),
            query: RStr::from_str(self.parts.uri.query().unwrap_or("")),
            headers: RSlice::from_slice(&headers),
            params: RSlice::from_slice(&params),
            body: RSlice::from_slice(&self.body),
        };
        let answer = (self.handler)(&request);
        // Copy the plugin-allocated answer before the library may go.
        let plan = Plan::from_ffi(&answer);
        drop(answer);
        drop(self.service);
        plan
    }
}
