//! Stubs and serve events selected by stub metadata:
//! `POST /__admin/mappings/find-by-metadata`,
//! `POST /__admin/mappings/remove-by-metadata` and
//! `POST /__admin/requests/remove-by-metadata`. The body is a WireMock
//! value pattern (`matchesJsonPath`, `equalToJson`, …) applied to each
//! stub's `metadata` as JSON text; a stub without metadata never matches.

use super::{ApiError, ApiResult, ok_empty, parse_json};
use crate::mappings::Stubs;
use crate::{mappings::Stub, matchers::BodyMatcher, state::App};
use axum::{Json, Router, body::Bytes, extract::State, response::IntoResponse, routing::post};
use serde_json::{Value, json};
use std::sync::Arc;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/__admin/mappings/find-by-metadata", post(find))
        .route("/__admin/mappings/remove-by-metadata", post(remove))
        .route("/__admin/requests/remove-by-metadata", post(remove_events))
}

/// The pattern of a body, as a matcher of metadata JSON.
fn pattern(body: &Bytes) -> Result<BodyMatcher, ApiError> {
    BodyMatcher::parse(&parse_json(body)?, "").map_err(ApiError::invalid)
}

/// Whether `stub`'s metadata matches.
fn matches(p: &BodyMatcher, stub: &Stub) -> bool {
    match stub.json.get("metadata") {
        Some(m @ Value::Object(_)) => p.matches(m.to_string().as_bytes()),
        _ => false,
    }
}

async fn find(State(stubs): State<Arc<Stubs>>, body: Bytes) -> ApiResult {
    let p = pattern(&body)?;
    let stubs = stubs.list();
    let found: Vec<&Value> = stubs
        .iter()
        .filter(|s| matches(&p, s))
        .map(|s| &s.json)
        .collect();
    let total = found.len();
    Ok(Json(json!({"mappings": found, "meta": {"total": total}})).into_response())
}

async fn remove(State(app): State<App>, body: Bytes) -> ApiResult {
    let p = pattern(&body)?;
    app.stubs.remove_where(|s| matches(&p, s));
    Ok(ok_empty())
}

async fn remove_events(State(app): State<App>, body: Bytes) -> ApiResult {
    let p = pattern(&body)?;
    let removed = app
        .journal
        .remove_where(|e| e.stub().is_some_and(|s| matches(&p, &s)));
    Ok(super::requests::serve_events(removed))
}
