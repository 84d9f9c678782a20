//! `/__admin/streams`: feed, list and close the open streams
//! (see [`crate::streams`]).

use super::{ApiError, ApiResult, parse_json};
use crate::{matchers::RequestPattern, state::App, streams::Closed};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{delete, get, post},
};
use bytes::Bytes;
use fake_servicer_wiremock::stream::parse_items;
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
    let mut v = parse_json(&body)?;
    let Some(o) = v.as_object_mut() else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(""),
            "expected {\"request\": {...}, \"items\": [...]}",
        ));
    };
    if let Some(unknown) = o
        .keys()
        .find(|k| !["request", "items", "close", "scope"].contains(&k.as_str()))
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&format!("/{unknown}")),
            format!("unknown field {unknown:?} (expected request, items, close, scope)"),
        ));
    }
    let scope = super::scopes::filter(&headers, o.get("scope"))?;
    let pattern = match o.get("request") {
        None | Some(Value::Null) => RequestPattern::any(),
        Some(p) => RequestPattern::parse(p, "/request").map_err(ApiError::invalid)?,
    };
    let items = match o.get("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(items) => parse_items(items, "/items").map_err(ApiError::invalid)?,
    };
    let close = match o.get("close") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("/close"),
                format!("expected true or false, found {other}"),
            ));
        }
    };
    let pushed = app.streams.push(&pattern, scope.as_deref(), &items, close);
    Ok(Json(json!({"streams": pushed.reached, "overflowed": pushed.overflowed})).into_response())
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
    let n = app.streams.close_where(
        |s| {
            scope
                .as_deref()
                .is_none_or(|scope| s.scopes.contains(scope))
        },
        Closed::Deleted,
    );
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
