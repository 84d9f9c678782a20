//! `/__admin/resources`: declare resources at run time, list them, and
//! read, replace or empty the items one scope sees (see
//! [`crate::resources`]).

use super::{ApiError, ApiResult, parse_json};
use crate::{
    resources::{Item, Origin, Resource, Resources, id_of},
    state::App,
    sync::lock,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{delete, get},
};
use serde_json::{Map, Value, json};
use std::{collections::HashSet, sync::Arc};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/__admin/resources", get(list).post(declare))
        .route(
            "/__admin/resources/{name}",
            get(items).put(replace_items).delete(empty_items),
        )
        .route("/__admin/resources/{name}/declaration", delete(undeclare))
}

/// The `?scope=` of a call (else its `X-Fake-Servicer-Scope` header):
/// whose items it reads or changes; none is the unscoped state.
#[derive(serde::Deserialize)]
struct ScopeQuery {
    scope: Option<String>,
}

fn scope_of(query: &ScopeQuery, headers: &HeaderMap) -> Option<Arc<str>> {
    query
        .scope
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Arc::from)
        .or_else(|| crate::scope::of_admin_request(headers).map(Arc::from))
}

fn resource(resources: &Resources, name: &str) -> Result<Arc<Resource>, ApiError> {
    resources.get(name).ok_or_else(|| {
        let known: Vec<String> = resources
            .list()
            .iter()
            .map(|r| r.decl.name.to_string())
            .collect();
        ApiError::not_found(format!(
            "no resource named {name:?} (declared: {})",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ))
    })
}

/// A resource as listed: its declaration, where it came from, and how
/// many items the seed, the unscoped state and each scope with writes
/// hold.
fn described(r: &Resource) -> Value {
    let mut v = r.decl.to_json();
    let states = lock(&r.states);
    let scopes: Map<String, Value> = states
        .per_scope
        .scopes()
        .map(|(s, c)| (s.to_string(), Value::from(c.len())))
        .collect();
    v["items"] = json!({
        "seed": states.per_scope.seed().len(),
        "unscoped": states.per_scope.view(None).len(),
        "unscopedWritten": states.per_scope.has_own(None),
        "scopes": scopes,
    });
    v["origin"] = match &r.origin {
        Origin::File(path) => json!({"file": path.display().to_string()}),
        Origin::Admin => json!("admin"),
    };
    v
}

/// `GET /__admin/resources`: `{"resources": [...], "writtenBytes"}`,
/// sorted by name.
async fn list(State(resources): State<Arc<Resources>>) -> ApiResult {
    let list: Vec<Value> = resources.list().iter().map(|r| described(r)).collect();
    Ok(Json(json!({
        "resources": list,
        "writtenBytes": resources.total_bytes(),
    }))
    .into_response())
}

/// `POST /__admin/resources` with `{"resource": {...}}`, as a mapping file
/// declares one: 201 (200 when it replaced one of the same name, whose
/// state is gone); 409 when another resource answers the same path.
async fn declare(State(resources): State<Arc<Resources>>, body: Bytes) -> ApiResult {
    let value = parse_json(&body)?;
    let limits = *resources.limits();
    let decl = crate::resources::parse(&value, None, &limits).map_err(ApiError::invalid)?;
    let name = decl.name.clone();
    let declared = resources
        .declare(decl, Origin::Admin)
        .map_err(|e| ApiError::new(StatusCode::CONFLICT, Some(&e.pointer), e.title))?;
    let status = match declared {
        crate::resources::Declared::New => StatusCode::CREATED,
        crate::resources::Declared::Replaced => StatusCode::OK,
    };
    let shown = resources.get(&name).map(|r| described(&r));
    Ok((status, Json(json!({"resource": shown}))).into_response())
}

/// The items `scope` sees, in order, as the admin API answers them.
fn listing(r: &Resource, scope: Option<&Arc<str>>) -> Value {
    let states = lock(&r.states);
    let state = states.per_scope.view(scope.map(|s| &**s));
    let items: Vec<Value> = state
        .iter()
        .map(|i| Value::Object(i.value.clone()))
        .collect();
    json!({
        "name": &*r.decl.name,
        "scope": scope.map(|s| &**s),
        "total": items.len(),
        "bytes": state.bytes(),
        "items": items,
    })
}

/// `GET /__admin/resources/{name}?scope=`: `{"name", "scope", "items",
/// "total"}`.
async fn items(
    State(resources): State<Arc<Resources>>,
    Path(name): Path<String>,
    Query(query): Query<ScopeQuery>,
    headers: HeaderMap,
) -> ApiResult {
    let r = resource(&resources, &name)?;
    let scope = scope_of(&query, &headers);
    Ok(Json(listing(&r, scope.as_ref())).into_response())
}

/// `PUT /__admin/resources/{name}?scope=` with a list of items (or
/// `{"items": [...]}`): what the scope sees replaced; an item without an
/// id gets one. Answers the items.
async fn replace_items(
    State(app): State<App>,
    Path(name): Path<String>,
    Query(query): Query<ScopeQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let r = resource(&app.resources, &name)?;
    let scope = scope_of(&query, &headers);
    let value = parse_json(&body)?;
    let (list, at) = match &value {
        Value::Array(list) => (list, ""),
        Value::Object(o) => match o.get("items") {
            Some(Value::Array(list)) => (list, "/items"),
            _ => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some("/items"),
                    "expected a list of items, or {\"items\": [...]}",
                ));
            }
        },
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(""),
                "expected a list of items, or {\"items\": [...]}",
            ));
        }
    };
    let field = &r.decl.id;
    let mut seen = HashSet::new();
    let mut new = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let pointer = format!("{at}/{i}");
        let Value::Object(map) = v else {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&pointer),
                format!("item: expected an object, found {v}"),
            ));
        };
        let mut map = map.clone();
        let id = match id_of(&map, field) {
            Some(Ok(id)) => id,
            Some(Err(why)) => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(&format!("{pointer}/{field}")),
                    why,
                ));
            }
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                map.insert(field.clone(), Value::from(id.as_str()));
                Arc::from(id)
            }
        };
        if !seen.insert(id.clone()) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&format!("{pointer}/{field}")),
                format!("duplicate id {id:?}"),
            ));
        }
        new.push(Item::new(id, map));
    }
    let budget = app.resources.budget();
    {
        let mut states = lock(&r.states);
        if states.retired {
            return Err(ApiError::not_found(format!(
                "resource {name:?} is no longer declared"
            )));
        }
        states
            .per_scope
            .view_mut(scope.as_deref())
            .replace_all(new, &budget)
            .map_err(|e| match e {
                crate::resources::WriteError::Full(full) => {
                    ApiError::new(StatusCode::INSUFFICIENT_STORAGE, Some(at), full.message)
                }
                other => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(at),
                    other.to_string(),
                ),
            })?;
    }
    if let Some(s) = &scope {
        app.scope_activity.touch(s);
    }
    Ok(Json(listing(&r, scope.as_ref())).into_response())
}

/// `DELETE /__admin/resources/{name}?scope=`: the scope sees no items
/// (the seed included) until a reset or the scope's deletion; answers
/// `{"name", "scope", "removed": N}`. The declaration stays.
async fn empty_items(
    State(app): State<App>,
    Path(name): Path<String>,
    Query(query): Query<ScopeQuery>,
    headers: HeaderMap,
) -> ApiResult {
    let r = resource(&app.resources, &name)?;
    let scope = scope_of(&query, &headers);
    let budget = app.resources.budget();
    let removed = {
        let mut states = lock(&r.states);
        if states.retired {
            return Err(ApiError::not_found(format!(
                "resource {name:?} is no longer declared"
            )));
        }
        states.per_scope.view_mut(scope.as_deref()).clear(&budget)
    };
    if let Some(s) = &scope {
        app.scope_activity.touch(s);
    }
    Ok(Json(json!({
        "name": &*r.decl.name,
        "scope": scope.as_deref(),
        "removed": removed,
    }))
    .into_response())
}

/// `DELETE /__admin/resources/{name}/declaration`: the resource is no
/// longer declared (its state goes); a file's declaration comes back
/// when the file changes.
async fn undeclare(State(resources): State<Arc<Resources>>, Path(name): Path<String>) -> ApiResult {
    if !resources.undeclare(&name) {
        return Err(resource(&resources, &name)
            .err()
            .unwrap_or_else(|| ApiError::not_found(format!("no resource named {name:?}"))));
    }
    Ok(Json(json!({"name": name, "undeclared": true})).into_response())
}
