//! `/__admin/streams`: feed, list and close the open streams
//! (see [`crate::streams`]).

use super::{ApiError, ApiResult, parse_json};
use crate::{matchers::RequestPattern, state::App, streams::Closed};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::HeaderMap,
    response::IntoResponse,
    routing::{delete, get, post},
};
use bytes::Bytes;
use fake_servicer_wiremock::{shapes::read, stream::parse_items};
use serde_json::{Value, json};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/__admin/streams", get(list).delete(close_all))
        .route("/__admin/streams/push", post(push))
        .route("/__admin/streams/{id}", delete(close_one))
}

/// `POST /__admin/streams/push`: `{"request": <pattern>, "items": [...],
/// "close": false, "scope"}` queues the items on every open stream whose
/// opening request matches (in the scope); answers `{"streams": N}`.
async fn push(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let push: PushShape = read(&parse_json(&body)?, "").map_err(ApiError::invalid)?;
    let scope = super::scopes::filter(&headers, push.scope.as_ref())?;
    let pattern = match &push.request {
        None | Some(Value::Null) => RequestPattern::any(),
        Some(p) => RequestPattern::parse(p, "/request").map_err(ApiError::invalid)?,
    };
    let items = match &push.items {
        None | Some(Value::Null) => Vec::new(),
        Some(items) => parse_items(items, "/items").map_err(ApiError::invalid)?,
    };
    let close = push.close.unwrap_or(false);
    let pushed = app.streams.push(&pattern, scope.as_deref(), &items, close);
    Ok(Json(json!({"streams": pushed.reached, "overflowed": pushed.overflowed})).into_response())
}

/// A push as written.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PushShape {
    request: Option<Value>,
    items: Option<Value>,
    close: Option<bool>,
    scope: Option<Value>,
}

/// `GET /__admin/streams`: `{"streams": [...]}`, oldest first (the admin
/// scope header keeps those of one scope).
async fn list(State(app): State<App>, headers: HeaderMap) -> ApiResult {
    let scope = super::scopes::filter(&headers, None)?;
    Ok(Json(json!({"streams": app.streams.to_json(scope.as_deref())})).into_response())
}

/// `DELETE /__admin/streams`: closes every open stream (of the scope the
/// admin header names); answers `{"closed": N}`.
async fn close_all(State(app): State<App>, headers: HeaderMap) -> ApiResult {
    let scope = super::scopes::filter(&headers, None)?;
    let n = app
        .streams
        .close_where(|s| s.in_scope(scope.as_deref()), Closed::Deleted);
    Ok(Json(json!({"closed": n})).into_response())
}

/// `DELETE /__admin/streams/{id}`: closes one; 404 when none is open
/// with that id.
async fn close_one(State(app): State<App>, Path(id): Path<String>) -> ApiResult {
    let n = id.parse::<u64>().map_or(0, |id| {
        app.streams.close_where(|s| s.id == id, Closed::Deleted)
    });
    if n == 0 {
        return Err(ApiError::not_found(format!("no open stream {id:?}")));
    }
    Ok(Json(json!({"closed": n})).into_response())
}
