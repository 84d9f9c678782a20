//! `/__admin/requests`: the request journal.
//!
//! Lists of entries are written entry by entry as the client reads them,
//! so a read holds one entry's JSON at a time however large the journal;
//! `GET /__admin/requests` answers one page (`limit`, [`DEFAULT_LIMIT`]
//! unless given) with the total in `meta.total`. Serve events are in
//! WireMock's shape, which its clients parse strictly; `extensions=true`
//! adds ours (`answeredBy`) to `GET /__admin/requests` and
//! `GET /__admin/requests/{id}`.

use super::serve_events::{logged_request, serve_event};
use super::{ApiError, ApiResult, ok_empty, parse_json};
use crate::journal::Journal;
use crate::{
    journal::{AnsweredBy, Entry},
    matchers::RequestPattern,
    state::App,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use fake_servicer_wiremock::shapes::serve_event::ServeEvent;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

/// Entries `GET /__admin/requests` answers when no `limit` is given.
pub const DEFAULT_LIMIT: usize = 1000;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/__admin/requests", get(list).delete(clear))
        .route("/__admin/requests/reset", post(clear))
        .route("/__admin/requests/count", post(count))
        .route("/__admin/requests/find", post(find))
        .route("/__admin/requests/remove", post(remove_matching))
        .route("/__admin/requests/unmatched", get(unmatched))
        .route("/__admin/requests/{id}", get(read).delete(remove))
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<String>,
    since: Option<String>,
    /// `true`: only requests nothing answered.
    unmatched: Option<String>,
    /// Only requests this stub answered.
    #[serde(rename = "matchingStub")]
    matching_stub: Option<String>,
    /// `true`: our fields too (`answeredBy`).
    extensions: Option<String>,
    /// Only requests of this scope.
    scope: Option<String>,
    /// Only requests a stateful resource of this name answered (`pods`).
    resource: Option<String>,
    /// Only requests a stateful resource answered with this verb (`list`,
    /// `create`, …).
    verb: Option<String>,
}

/// Whether a query flag is `true`.
fn flag(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The serve event writer for the `extensions` flag.
fn writer(extensions: bool) -> fn(&Entry) -> ServeEvent {
    if extensions {
        |e| serve_event(e, true)
    } else {
        |e| serve_event(e, false)
    }
}

async fn list(
    State(app): State<App>,
    headers: axum::http::HeaderMap,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let mut entries = app.journal.all();
    let scope = super::scopes::filter(&headers, q.scope.map(Value::String).as_ref())?;
    if scope.is_some() {
        entries.retain(|e| e.in_scope(scope.as_deref()));
    }
    if flag(&q.unmatched) {
        entries.retain(|e| !e.was_matched());
    }
    if let Some(stub) = q.matching_stub.as_deref().filter(|s| !s.is_empty()) {
        let id = Uuid::parse_str(stub).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                Some("/matchingStub"),
                format!("matchingStub: expected a stub id, found {stub:?}"),
            )
        })?;
        entries.retain(|e| matches!(e.outcome.answered_by, AnsweredBy::Stub(s) if s == id));
    }
    if q.resource.is_some() || q.verb.is_some() {
        let (resource, verb) = (q.resource.as_deref(), q.verb.as_deref());
        entries.retain(|e| match &e.outcome.answered_by {
            AnsweredBy::Resource {
                resource: r,
                verb: v,
                ..
            } => resource.is_none_or(|want| **r == *want) && verb.is_none_or(|want| *v == want),
            _ => false,
        });
    }
    let total = entries.len();
    if let Some(since) = q.since.filter(|s| !s.is_empty()) {
        // Timestamps in our own RFC 3339 format compare as text.
        entries.retain(|e| crate::timestamp::rfc3339(e.received_at()) > since);
    }
    let limit = match q.limit.filter(|s| !s.is_empty()) {
        Some(limit) => limit.parse::<usize>().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                Some("/limit"),
                format!("limit: expected a whole number, found {limit:?}"),
            )
        })?,
        None => DEFAULT_LIMIT,
    };
    entries.truncate(limit);
    let tail = json!({
        "meta": {"total": total},
        "requestJournalDisabled": !app.journal.enabled(),
    });
    Ok(super::scopes::with_eviction_header(
        &app,
        scope.as_deref(),
        &RequestPattern::any(),
        super::serve_events::requests_stream(entries, writer(flag(&q.extensions)), tail),
    ))
}

async fn clear(State(journal): State<Arc<Journal>>) -> Response {
    journal.clear();
    crate::trim::return_freed_memory();
    ok_empty()
}

/// A request pattern and the scope filter (the `X-Fake-Servicer-Scope`
/// header, else the body's `scope` field) from a call.
fn scoped_pattern(
    headers: &axum::http::HeaderMap,
    body: &Bytes,
) -> Result<(RequestPattern, Option<String>), ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((RequestPattern::any(), super::scopes::filter(headers, None)?));
    }
    let mut v = parse_json(body)?;
    let field = v.as_object_mut().and_then(|o| o.remove("scope"));
    let scope = super::scopes::filter(headers, field.as_ref())?;
    let p = RequestPattern::parse(&v, "").map_err(ApiError::invalid)?;
    Ok((p, scope))
}

/// Entries matching `p` in `scope`, oldest first.
fn find_scoped(app: &App, p: &RequestPattern, scope: Option<&str>) -> Vec<Arc<Entry>> {
    let mut v = app.journal.find(p);
    if scope.is_some() {
        v.retain(|e| e.in_scope(scope));
    }
    v
}

/// A request pattern from a body; an empty body matches everything.
fn pattern(body: &Bytes) -> Result<RequestPattern, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(RequestPattern::any());
    }
    RequestPattern::parse(&parse_json(body)?, "").map_err(ApiError::invalid)
}

async fn count(State(app): State<App>, headers: axum::http::HeaderMap, body: Bytes) -> ApiResult {
    let (p, scope) = scoped_pattern(&headers, &body)?;
    let n = find_scoped(&app, &p, scope.as_deref()).len();
    Ok(super::scopes::with_eviction_header(
        &app,
        scope.as_deref(),
        &p,
        Json(json!({ "count": n })).into_response(),
    ))
}

/// `{"serveEvents": [...]}`, WireMock's answer to removals.
pub(super) fn serve_events(entries: Vec<Arc<Entry>>) -> Response {
    let list: Vec<ServeEvent> = entries.iter().map(|e| serve_event(e, false)).collect();
    Json(json!({ "serveEvents": list })).into_response()
}

/// `POST /__admin/requests/remove`: the entries matching a request
/// pattern go; answers them.
async fn remove_matching(State(journal): State<Arc<Journal>>, body: Bytes) -> ApiResult {
    let p = pattern(&body)?;
    Ok(serve_events(
        journal.remove_where(|e| p.matches(&e.request())),
    ))
}

async fn find(State(app): State<App>, headers: axum::http::HeaderMap, body: Bytes) -> ApiResult {
    let (p, scope) = scoped_pattern(&headers, &body)?;
    Ok(super::scopes::with_eviction_header(
        &app,
        scope.as_deref(),
        &p,
        super::serve_events::requests_stream(
            find_scoped(&app, &p, scope.as_deref()),
            logged_request,
            json!({}),
        ),
    ))
}

async fn unmatched(State(app): State<App>) -> Response {
    super::serve_events::requests_stream(
        app.journal.unmatched(),
        logged_request,
        json!({"requestJournalDisabled": !app.journal.enabled()}),
    )
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("no request with id {id}"))
}

fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| not_found(id))
}

#[derive(Deserialize)]
struct ReadQuery {
    extensions: Option<String>,
}

async fn read(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<ReadQuery>,
) -> ApiResult {
    let entry = app
        .journal
        .get(parse_id(&id)?)
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(serve_event(&entry, flag(&q.extensions))).into_response())
}

async fn remove(State(app): State<App>, Path(id): Path<String>) -> ApiResult {
    if app.journal.remove(parse_id(&id)?) {
        Ok(ok_empty())
    } else {
        Err(not_found(&id))
    }
}
