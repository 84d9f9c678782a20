//! The admin API under `/__admin`, WireMock-compatible where
//! WireMock has the endpoint. Request bodies are read as bytes and parsed
//! only where a body is expected (clients send `Content-Type:
//! application/json` on empty bodies too); bad input answers 400 or 422,
//! never 5xx.

mod mappings;
mod metadata;
mod near_misses;
mod recordings;
mod requests;
mod resources;
mod responses;
mod scopes;
mod serve_events;
mod streams;

use crate::mappings::Stubs;
use crate::plugin::Registry;
use crate::state::App;
use crate::tls::Tls;
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{any, get, post},
};
use serde_json::{Value, json};
use std::sync::Arc;

/// The admin routes, to merge into the server's router; with a token,
/// everything but `/__admin/health` and `/__admin/ca.pem` needs it. Request bodies over
/// `max_body` bytes are answered 413.
pub fn routes(token: Option<Arc<str>>, max_body: usize) -> Router<App> {
    protected()
        .route_layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let token = token.clone();
                async move {
                    match &token {
                        Some(t) if !crate::token::authorized(req.headers(), t) => {
                            unauthorized().into_response()
                        }
                        _ => next.run(req).await,
                    }
                }
            },
        ))
        .route("/__admin/health", get(health))
        .route("/__admin/ca.pem", get(ca_pem))
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| async move {
                if declared_length(&req).is_some_and(|n| n > max_body as u64) {
                    return ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        None,
                        format!("admin request body larger than {max_body} bytes (--max-admin-body-bytes)"),
                    )
                    .into_response();
                }
                next.run(req).await
            },
        ))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
}

/// The `Content-Length` a request declares.
fn declared_length(req: &axum::extract::Request) -> Option<u64> {
    req.headers()
        .get(axum::http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn protected() -> Router<App> {
    Router::new()
        .route("/__admin", get(root))
        .route("/__admin/", get(root))
        .route("/__admin/services", get(services))
        .route("/__admin/docker", get(docker))
        .route("/__admin/reset", post(reset))
        .route("/__admin/scenarios", get(scenarios))
        .route("/__admin/scenarios/reset", post(reset_scenarios))
        .route(
            "/__admin/scenarios/{name}/state",
            axum::routing::put(set_scenario_state),
        )
        .route("/__admin/version", get(version))
        .route(
            "/__admin/settings",
            get(get_settings).post(set_settings).put(set_settings),
        )
        .merge(metadata::routes())
        .merge(mappings::routes())
        .merge(responses::routes())
        .merge(requests::routes())
        .merge(near_misses::routes())
        .merge(recordings::routes())
        .merge(scopes::routes())
        .merge(streams::routes())
        .merge(resources::routes())
        .route("/__admin/{*rest}", any(unknown))
        .method_not_allowed_fallback(wrong_method)
}

/// An admin error, answered in WireMock's shape:
/// `{"errors": [{"code": 10, "source": {"pointer": …}, "title": …}]}`.
pub(crate) struct ApiError {
    status: StatusCode,
    /// WireMock's error code: 10 (bad input) unless said otherwise.
    code: u16,
    pointer: Option<String>,
    title: String,
}

pub(crate) type ApiResult = Result<Response, ApiError>;

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        pointer: Option<&str>,
        title: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code: 10,
            pointer: pointer.map(str::to_owned),
            title: title.into(),
        }
    }

    /// 422 for a mapping or pattern that does not hold together.
    pub(crate) fn invalid(e: crate::matchers::PatternError) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, Some(&e.pointer), e.title)
    }

    pub(crate) fn not_found(title: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, None, title)
    }

    /// The same error with WireMock's error `code`.
    pub(crate) fn with_code(mut self, code: u16) -> ApiError {
        self.code = code;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut e = json!({"code": self.code, "title": self.title});
        if let Some(p) = self.pointer {
            e["source"] = json!({"pointer": p});
        }
        (self.status, Json(json!({"errors": [e]}))).into_response()
    }
}

/// Parses a JSON body: 400 naming the problem when it does not parse.
pub(crate) fn parse_json(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            Some(""),
            format!("invalid JSON: {e}"),
        )
    })
}

/// `{}`, what WireMock answers where there is nothing to say.
pub(crate) fn ok_empty() -> Response {
    (StatusCode::OK, Json(json!({}))).into_response()
}

async fn root(State(registry): State<Arc<Registry>>) -> Json<Value> {
    Json(json!({
        "name": "fake-servicer",
        "version": env!("CARGO_PKG_VERSION"),
        "services": registry.snapshot().names(),
    }))
}

async fn health(State(app): State<App>) -> Json<Value> {
    let mut health = json!({
        "status": "ok",
        "services": app.registry.snapshot().len(),
        "stubs": app.stubs.len(),
        "version": env!("CARGO_PKG_VERSION"),
    });
    if let Some(tls) = &app.tls {
        health["tls"] = tls.to_json();
    }
    Json(health)
}

/// The CA that signs the HTTPS certificates, PEM; public, like any CA
/// certificate.
async fn ca_pem(State(tls): State<Option<Tls>>) -> Response {
    match &tls {
        Some(tls) => (
            [(axum::http::header::CONTENT_TYPE, "application/x-pem-file")],
            tls.ca_pem().to_owned(),
        )
            .into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            None,
            "HTTPS is off: start with --tls-listen to have a CA",
        )
        .into_response(),
    }
}

async fn services(State(app): State<App>) -> Json<Value> {
    let (plugins, refused) = app.registry.status();
    let mut services: Vec<Value> = plugins
        .iter()
        .filter_map(|s| {
            let mut v = serde_json::to_value(s).ok()?;
            if let Some(build) = app.builds.of_library(&s.file) {
                v["build"] = build;
            }
            Some(v)
        })
        .collect();
    let stubs = app.stubs.list();
    for name in app.registry.snapshot().stub_only() {
        let count = stubs
            .iter()
            .filter(|s| {
                s.request
                    .service
                    .as_deref()
                    .is_some_and(|s| crate::routing::same_service(s, name))
            })
            .count();
        services.push(json!({"name": &**name, "kind": "stubs", "stubs": count}));
    }
    services.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Json(json!({
        "services": services,
        "refused": refused,
        "builds": app.builds.to_json(),
        "docker": docker_status(&app),
    }))
}

fn docker_status(app: &App) -> Value {
    let status = crate::sync::lock(&app.docker).clone();
    serde_json::to_value(status).unwrap_or(Value::Null)
}

async fn docker(State(app): State<App>) -> Json<Value> {
    Json(docker_status(&app))
}

/// Stubs back to the files, journal emptied, overrides disarmed, scenarios
/// back to `Started`, resources back to their seeds, plugins' state per
/// scope dropped; the memory they held given back.
async fn reset(State(app): State<App>) -> Response {
    app.stubs.reset();
    app.stubs.reset_scenarios();
    app.journal.clear();
    app.overrides.clear();
    app.recorder.clear();
    app.resources.reset();
    app.scope_activity.clear();
    app.streams
        .close_where(|_| true, crate::streams::Closed::Deleted);
    if let Some(api) = &app.kubernetes {
        api.reset();
    }
    crate::plugin::scoped::forget(app.registry.snapshot(), None).await;
    crate::trim::return_freed_memory();
    ok_empty()
}

async fn scenarios(State(app): State<App>) -> Json<Value> {
    let list: Vec<Value> = app
        .stubs
        .scenario_details()
        .into_iter()
        .map(|d| {
            let mappings: Vec<&Value> = d.stubs.iter().map(|s| &s.json).collect();
            json!({
                "id": d.name,
                "name": d.name,
                "state": d.state,
                "possibleStates": d.possible_states,
                "mappings": mappings,
            })
        })
        .collect();
    Json(json!({ "scenarios": list }))
}

/// `PUT /__admin/scenarios/{name}/state` with `{"state": …}`; no body (or
/// no `state`) moves the scenario back to `Started`.
async fn set_scenario_state(
    State(stubs): State<Arc<Stubs>>,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    let state = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let v = parse_json(&body)?;
        v.get("state").and_then(Value::as_str).map(str::to_owned)
    };
    use crate::mappings::ScenarioStateError as E;
    match stubs.set_scenario_state(&name, state.as_deref()) {
        Ok(()) => Ok(ok_empty()),
        Err(E::UnknownScenario) => {
            Err(ApiError::not_found(format!("Scenario {name} does not exist")).with_code(404))
        }
        Err(E::UnknownState) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            format!(
                "Scenario {name} does not support state {}",
                state.as_deref().unwrap_or(crate::mappings::STARTED)
            ),
        )
        .with_code(11)),
    }
}

/// `GET /__admin/version`: this server's version.
async fn version() -> Json<Value> {
    Json(json!({"version": env!("CARGO_PKG_VERSION")}))
}

/// A method an admin path does not take: 404 as WireMock answers (not
/// 405), with a JSON error.
async fn wrong_method(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no admin endpoint {method} {}", uri.path()))
}

async fn reset_scenarios(State(app): State<App>) -> Response {
    app.stubs.reset_scenarios();
    ok_empty()
}

async fn get_settings(State(app): State<App>) -> Json<Value> {
    Json(json!({ "settings": app.settings.get() }))
}

async fn set_settings(State(app): State<App>, body: Bytes) -> ApiResult {
    let v = parse_json(&body)?;
    // WireMock accepts the settings bare or wrapped in {"settings": …}.
    let obj = v.get("settings").unwrap_or(&v).as_object().ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(""),
            "expected a JSON object of settings",
        )
    })?;
    let all = app
        .settings
        .update(obj)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, Some("/fixedDelay"), e))?;
    Ok((StatusCode::OK, Json(all)).into_response())
}

async fn unknown(Path(rest): Path<String>) -> ApiError {
    ApiError::not_found(format!("no admin endpoint /__admin/{rest}"))
}

/// The 401 for a call without the token, in WireMock's error shape.
fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        None,
        "this needs `Authorization: Bearer <token>` (--admin-token)",
    )
}
