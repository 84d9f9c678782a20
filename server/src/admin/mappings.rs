//! `/__admin/mappings`: stub CRUD, reset to the files, import.

use super::{ApiError, ApiResult, ok_empty, parse_json};
use crate::mappings::Stubs;
use crate::{mappings::Stub, state::App};
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

pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/__admin/mappings",
            get(list).post(create).delete(delete_all),
        )
        .route("/__admin/mappings/reset", post(reset))
        .route("/__admin/mappings/save", post(save))
        .route("/__admin/mappings/import", post(import))
        .route("/__admin/mappings/remove", post(remove_matching))
        .route(
            "/__admin/mappings/unmatched",
            get(unmatched).delete(delete_unmatched),
        )
        .route(
            "/__admin/mappings/{id}",
            get(read).put(replace).delete(delete),
        )
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("no stub mapping with id {id}"))
}

fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| not_found(id))
}

fn mapping(status: StatusCode, stub: &Stub) -> Response {
    (status, Json(stub.json.clone())).into_response()
}

#[derive(Deserialize)]
struct Page {
    limit: Option<usize>,
    offset: Option<usize>,
}

async fn list(State(stubs): State<Arc<Stubs>>, Query(page): Query<Page>) -> Json<Value> {
    let all = stubs.list();
    let total = all.len();
    let (offset, limit) = (page.offset.unwrap_or(0), page.limit.unwrap_or(usize::MAX));
    let mappings: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|s| s.json.clone())
        .collect();
    Json(json!({"mappings": mappings, "meta": {"total": total}}))
}

/// The mapping in `body`, in the scope the call names in its
/// `X-Fake-Servicer-Scope` header, if any.
fn scoped(headers: &axum::http::HeaderMap, mut v: Value) -> Value {
    if let Some(scope) = crate::scope::of_admin_request(headers) {
        crate::mappings::set_scope(&mut v, &scope);
    }
    v
}

async fn create(State(app): State<App>, headers: axum::http::HeaderMap, body: Bytes) -> ApiResult {
    create_stub(&app, &headers, parse_json(&body)?)
}

/// Creates the stub `v`, in the scope the call names: 201 with the stub as
/// stored. Shared by `POST /__admin/mappings` and `POST /__admin/responses`.
pub(super) fn create_stub(app: &App, headers: &axum::http::HeaderMap, v: Value) -> ApiResult {
    grpc_check(app, &v, "")?;
    let stub = app
        .stubs
        .create(&scoped(headers, v))
        .map_err(ApiError::invalid)?;
    if let Some(scope) = &stub.scope {
        app.scope_activity.touch(scope);
    }
    Ok(mapping(StatusCode::CREATED, &stub))
}

/// A stub for a gRPC method whose answer cannot be its output message is
/// refused (422 at `prefix` + the field's pointer).
fn grpc_check(app: &App, m: &Value, prefix: &str) -> Result<(), ApiError> {
    crate::grpc::check::mapping(&app.path.grpc.catalog(), m).map_err(|(pointer, title)| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&format!("{prefix}{pointer}")),
            title,
        )
    })
}

async fn read(State(app): State<App>, Path(id): Path<String>) -> ApiResult {
    let stub = app
        .stubs
        .get(parse_id(&id)?)
        .ok_or_else(|| not_found(&id))?;
    Ok(mapping(StatusCode::OK, &stub))
}

async fn replace(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let uuid = parse_id(&id)?;
    let v = parse_json(&body)?;
    grpc_check(&app, &v, "")?;
    let stub = app
        .stubs
        .replace(uuid, &v)
        .map_err(ApiError::invalid)?
        .ok_or_else(|| not_found(&id))?;
    Ok(mapping(StatusCode::OK, &stub))
}

async fn delete(State(app): State<App>, Path(id): Path<String>) -> ApiResult {
    if app.stubs.delete(parse_id(&id)?) {
        Ok(ok_empty())
    } else {
        Err(not_found(&id))
    }
}

async fn delete_all(State(app): State<App>) -> Response {
    app.stubs.clear();
    ok_empty()
}

async fn reset(State(app): State<App>) -> Response {
    app.stubs.reset();
    ok_empty()
}

/// Stubs live in memory (or in the `--mappings` files): nothing to save.
async fn save() -> Response {
    ok_empty()
}

/// `{"mappings": [...]}`: all are checked first; one bad mapping stores none.
async fn import(State(app): State<App>, headers: axum::http::HeaderMap, body: Bytes) -> ApiResult {
    let mut v = parse_json(&body)?;
    if let Some(list) = v.get_mut("mappings").and_then(Value::as_array_mut) {
        for m in list.iter_mut() {
            *m = scoped(&headers, m.take());
        }
    }
    let list = v.get("mappings").and_then(Value::as_array).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("/mappings"),
            "expected {\"mappings\": [...]}",
        )
    })?;
    for (i, m) in list.iter().enumerate() {
        grpc_check(&app, m, &format!("/mappings/{i}"))?;
        crate::mappings::parse_mapping(m, 0, None).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&format!("/mappings/{i}{}", e.pointer)),
                e.title,
            )
        })?;
    }
    let options = v.get("importOptions");
    let overwrite = match options.and_then(|o| o.get("duplicatePolicy")) {
        None | Some(Value::Null) => true,
        Some(Value::String(p)) if p == "OVERWRITE" => true,
        Some(Value::String(p)) if p == "IGNORE" => false,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("/importOptions/duplicatePolicy"),
                format!("duplicatePolicy: expected OVERWRITE or IGNORE, found {other}"),
            ));
        }
    };
    let delete_rest = options
        .and_then(|o| o.get("deleteAllNotInImport"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    app.stubs
        .import(list, overwrite, delete_rest)
        .map_err(ApiError::invalid)?;
    for m in list {
        let scope = m
            .pointer("/metadata/fake-servicer/scope")
            .and_then(Value::as_str);
        if let Some(scope) = scope {
            app.scope_activity.touch(&Arc::from(scope.trim()));
        }
    }
    Ok(ok_empty())
}

/// `POST /__admin/mappings/remove`: the stub with the body's `id` (or
/// `uuid`), else the newest whose `request` is the body's; nothing
/// removed is no error (as WireMock).
async fn remove_matching(State(app): State<App>, body: Bytes) -> ApiResult {
    let v = parse_json(&body)?;
    let id = ["id", "uuid"]
        .iter()
        .find_map(|k| v.get(*k)?.as_str().and_then(|s| Uuid::parse_str(s).ok()));
    if let Some(id) = id
        && app.stubs.delete(id)
    {
        return Ok(ok_empty());
    }
    if let Some(request) = v.get("request")
        && let Some(stub) = app
            .stubs
            .list()
            .into_iter()
            .find(|s| s.json.get("request") == Some(request))
    {
        app.stubs.delete(stub.id);
    }
    Ok(ok_empty())
}

/// Ids of the stubs that answered a request in the journal.
fn used(app: &App) -> std::collections::HashSet<Uuid> {
    app.journal
        .all()
        .iter()
        .filter_map(|e| match e.outcome.answered_by {
            crate::journal::AnsweredBy::Stub(id) => Some(id),
            _ => None,
        })
        .collect()
}

/// `GET /__admin/mappings/unmatched`: stubs no request in the journal
/// matched.
async fn unmatched(State(app): State<App>) -> Json<Value> {
    let used = used(&app);
    let mappings: Vec<Value> = app
        .stubs
        .list()
        .iter()
        .filter(|s| !used.contains(&s.id))
        .map(|s| s.json.clone())
        .collect();
    let total = mappings.len();
    Json(json!({"mappings": mappings, "meta": {"total": total}}))
}

/// `DELETE /__admin/mappings/unmatched`: those stubs go.
async fn delete_unmatched(State(app): State<App>) -> Response {
    let used = used(&app);
    app.stubs.remove_where(|s| !used.contains(&s.id));
    ok_empty()
}
