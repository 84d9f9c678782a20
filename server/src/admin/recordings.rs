//! `/__admin/recordings`: WireMock's record and snapshot endpoints (see
//! [`crate::record`]).

use super::{ApiError, ApiResult, ok_empty, parse_json};
use crate::matchers::PatternError;
use crate::record::{Recorder, Spec};
use crate::{
    record::{RecordError, not_recording},
    state::App,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};
use std::sync::Arc;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/__admin/recordings/start", post(start))
        .route("/__admin/recordings/stop", post(stop))
        .route("/__admin/recordings/status", get(status))
        .route("/__admin/recordings/snapshot", post(snapshot))
}

/// The JSON body; an empty one is `null` (no options).
fn body_json(body: &Bytes) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(Value::Null)
    } else {
        parse_json(body)
    }
}

fn failed(e: RecordError) -> Response {
    match e {
        RecordError::Invalid(e) => ApiError::invalid(e).into_response(),
        RecordError::NotRecording => {
            let (status, body) = not_recording();
            (status, Json(body)).into_response()
        }
    }
}

/// How long a recording's start waits to learn whether its target leads
/// back to this server.
const LOOP_PROBE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

async fn start(State(app): State<App>, body: Bytes) -> ApiResult {
    let spec = body_json(&body)?;
    if let Ok(Spec {
        target: Some(target),
        ..
    }) = Spec::parse(&spec, true)
        && app.proxy.leads_back(&target, LOOP_PROBE_WAIT).await
    {
        return Err(ApiError::invalid(PatternError::new(
            "/targetBaseUrl",
            format!("{target} leads back to this server: a recording of it would record itself"),
        )));
    }
    Ok(match app.recorder.start(&app.stubs, &spec) {
        Ok(()) => ok_empty(),
        Err(e) => failed(e),
    })
}

async fn stop(State(app): State<App>) -> Response {
    match app.recorder.stop(&app.stubs) {
        Ok(mappings) => Json(json!({ "mappings": mappings })).into_response(),
        Err(e) => failed(e),
    }
}

async fn status(State(recorder): State<Arc<Recorder>>) -> Json<Value> {
    Json(json!({ "status": recorder.status().name() }))
}

async fn snapshot(State(app): State<App>, body: Bytes) -> ApiResult {
    let spec = body_json(&body)?;
    Ok(match app.recorder.snapshot(&app.stubs, &spec) {
        Ok(mappings) => Json(json!({ "mappings": mappings })).into_response(),
        Err(e) => failed(e),
    })
}
