//! `/__admin/requests`: the request journal.

use super::{ApiError, ApiResult, ok_empty, parse_json};
use crate::{journal::Entry, matchers::RequestPattern, state::App};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/__admin/requests", get(list).delete(clear))
        .route("/__admin/requests/reset", post(clear))
        .route("/__admin/requests/count", post(count))
        .route("/__admin/requests/find", post(find))
        .route("/__admin/requests/unmatched", get(unmatched))
        .route("/__admin/requests/unmatched/near-misses", get(near_misses))
        .route("/__admin/requests/{id}", get(read).delete(remove))
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<String>,
    since: Option<String>,
}

async fn list(State(app): State<Arc<App>>, Query(q): Query<ListQuery>) -> ApiResult {
    let mut entries = app.journal.all();
    let total = entries.len();
    if let Some(since) = q.since.filter(|s| !s.is_empty()) {
        // Timestamps in our own RFC 3339 format compare as text.
        entries.retain(|e| crate::timestamp::rfc3339(e.request.received_at) > since);
    }
    if let Some(limit) = q.limit.filter(|s| !s.is_empty()) {
        let n = limit.parse::<usize>().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                Some("/limit"),
                format!("limit: expected a number, found {limit:?}"),
            )
        })?;
        entries.truncate(n);
    }
    let requests: Vec<Value> = entries.iter().map(|e| e.to_json()).collect();
    Ok(Json(json!({
        "requests": requests,
        "meta": {"total": total},
        "requestJournalDisabled": !app.journal.enabled(),
    }))
    .into_response())
}

async fn clear(State(app): State<Arc<App>>) -> Response {
    app.journal.clear();
    ok_empty()
}

/// A request pattern from a body; an empty body matches everything.
fn pattern(body: &Bytes) -> Result<RequestPattern, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(RequestPattern::any());
    }
    RequestPattern::parse(&parse_json(body)?, "").map_err(ApiError::invalid)
}

async fn count(State(app): State<Arc<App>>, body: Bytes) -> ApiResult {
    let p = pattern(&body)?;
    Ok(Json(json!({"count": app.journal.find(&p).len()})).into_response())
}

fn logged(entries: &[Arc<Entry>]) -> Vec<Value> {
    entries.iter().map(|e| e.logged_request()).collect()
}

async fn find(State(app): State<Arc<App>>, body: Bytes) -> ApiResult {
    let p = pattern(&body)?;
    Ok(Json(json!({"requests": logged(&app.journal.find(&p))})).into_response())
}

async fn unmatched(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!({
        "requests": logged(&app.journal.unmatched()),
        "requestJournalDisabled": !app.journal.enabled(),
    }))
}

async fn near_misses() -> Json<Value> {
    Json(json!({"nearMisses": []}))
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("no request with id {id}"))
}

fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| not_found(id))
}

async fn read(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult {
    let entry = app
        .journal
        .get(parse_id(&id)?)
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(entry.to_json()).into_response())
}

async fn remove(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult {
    if app.journal.remove(parse_id(&id)?) {
        Ok(ok_empty())
    } else {
        Err(not_found(&id))
    }
}
