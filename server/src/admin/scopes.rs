//! Scopes in the admin API: `GET /__admin/scopes`, `DELETE
//! /__admin/scopes/{scope}`, and `POST /__admin/requests/wait` (a blocking
//! verify: `crate::journal::waits`).

use super::{ApiError, ApiResult, parse_json};
use crate::{journal::Entry, matchers::RequestPattern, state::App};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};
use serde_json::{Value, json};
use std::{collections::BTreeMap, sync::Arc, time::Duration};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/__admin/scopes", get(list))
        .route("/__admin/scopes/{scope}", delete(remove))
        .route("/__admin/requests/wait", post(wait))
}

/// The scope filter of an admin call: the `X-Fake-Servicer-Scope` header,
/// else `field` (a body's `scope`).
pub(crate) fn filter(
    headers: &HeaderMap,
    field: Option<&Value>,
) -> Result<Option<String>, ApiError> {
    if let Some(s) = crate::scope::of_admin_request(headers) {
        return Ok(Some(s));
    }
    match field {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
        Some(other) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("/scope"),
            format!("scope: expected a non-blank string, found {other}"),
        )),
    }
}

/// The eviction notice of an answer about `scope` and `pattern`: `None`
/// when the journal dropped nothing that could have matched them.
pub(crate) fn eviction_notice(
    app: &App,
    scope: Option<&str>,
    pattern: &RequestPattern,
) -> Option<Value> {
    let n = app.journal.evicted(scope, pattern);
    (n > 0).then(|| {
        json!({
            "evicted": n,
            "warning": format!(
                "the journal has evicted {n} entries{} that could have matched \
                 since it was last reset (--journal-size); counts may be short",
                scope.map(|s| format!(" of scope {s:?}")).unwrap_or_default()
            ),
        })
    })
}

/// The header carrying the eviction notice on count and find answers.
pub(crate) const EVICTED_HEADER: &str = "x-fake-servicer-journal-evicted";

/// Adds the eviction notice header to `response`, an answer about `scope`
/// and `pattern`.
pub(crate) fn with_eviction_header(
    app: &App,
    scope: Option<&str>,
    pattern: &RequestPattern,
    mut response: Response,
) -> Response {
    let n = app.journal.evicted(scope, pattern);
    if n > 0 {
        response
            .headers_mut()
            .insert(EVICTED_HEADER, axum::http::HeaderValue::from(n));
    }
    response
}

/// `GET /__admin/scopes`: every scope holding stubs, overrides or journal
/// entries, with how many of each.
async fn list(State(app): State<App>) -> Json<Value> {
    #[derive(Default)]
    struct Counts {
        stubs: usize,
        overrides: usize,
        requests: usize,
    }
    let mut all: BTreeMap<Arc<str>, Counts> = BTreeMap::new();
    for stub in app.stubs.list() {
        if let Some(s) = &stub.scope {
            all.entry(s.clone()).or_default().stubs += 1;
        }
    }
    for (s, n) in app.overrides.scope_counts() {
        all.entry(s).or_default().overrides += n;
    }
    for e in app.journal.all() {
        for s in e.scopes.iter() {
            all.entry(s.clone()).or_default().requests += 1;
        }
    }
    let scopes: Vec<Value> = all
        .into_iter()
        .map(|(name, c)| {
            json!({
                "scope": &*name,
                "stubs": c.stubs,
                "overrides": c.overrides,
                "requests": c.requests,
            })
        })
        .collect();
    Json(json!({ "scopes": scopes }))
}

/// `DELETE /__admin/scopes/{scope}`: the scope's stubs, overrides and
/// journal entries go; nothing else.
async fn remove(State(app): State<App>, Path(scope): Path<String>) -> Response {
    let stubs = app.stubs.remove_scope(&scope);
    let overrides = app.overrides.remove_scope(&scope);
    let requests = app
        .journal
        .remove_where(|e| e.scopes.contains(&scope))
        .len();
    app.scope_activity.forget(&scope);
    Json(json!({
        "scope": scope,
        "removed": {"stubs": stubs, "overrides": overrides, "requests": requests},
    }))
    .into_response()
}

/// What a wait asks for.
struct WaitFor {
    pattern: RequestPattern,
    /// The pattern as given, for near misses.
    shown: Value,
    count: usize,
    timeout: Duration,
    scope: Option<String>,
}

fn parse_wait(app: &App, headers: &HeaderMap, body: &Bytes) -> Result<WaitFor, ApiError> {
    let mut v = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        parse_json(body)?
    };
    let obj = v.as_object_mut().ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(""),
            "expected a request pattern object",
        )
    })?;
    let count = match obj.remove("count") {
        None | Some(Value::Null) => 1,
        Some(c) => c
            .as_u64()
            .filter(|c| *c >= 1 && *c <= 1_000_000)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some("/count"),
                    format!("count: expected a whole number from 1 to 1000000, found {c}"),
                )
            })? as usize,
    };
    let timeout = match obj.remove("timeoutMs") {
        None | Some(Value::Null) => Duration::from_millis(crate::journal::DEFAULT_WAIT_MS),
        Some(t) => Duration::from_millis(t.as_u64().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("/timeoutMs"),
                format!("timeoutMs: expected a non-negative whole number, found {t}"),
            )
        })?),
    }
    .min(app.journal.waiters.max_wait);
    let scope = filter(headers, obj.remove("scope").as_ref())?;
    let pattern = if obj.is_empty() {
        RequestPattern::any()
    } else {
        RequestPattern::parse(&v, "").map_err(ApiError::invalid)?
    };
    Ok(WaitFor {
        pattern,
        shown: v,
        count,
        timeout,
        scope,
    })
}

/// `POST /__admin/requests/wait`: a request pattern plus `count` (default
/// 1), `timeoutMs` (default [`crate::journal::DEFAULT_WAIT_MS`], cut to
/// `--max-wait-timeout`) and `scope`. Answers 200 with the matching
/// requests (oldest first) once `count` are in the journal, or 408 with
/// those that are at the timeout.
async fn wait(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let want = parse_wait(&app, &headers, &body)?;
    let _seat = app.journal.waiters.seat().map_err(|max| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            format!("{max} waits in progress already, the cap (--max-waiters)"),
        )
    })?;
    let matches =
        |e: &Entry| e.in_scope(want.scope.as_deref()) && want.pattern.matches(&e.request());
    let (reached, found) = app
        .journal
        .wait_for(matches, want.count, want.timeout)
        .await;
    let requests: Vec<Value> = found.iter().map(|e| e.logged_request()).collect();
    let mut answer = json!({
        "requests": requests,
        "count": found.len(),
        "wanted": want.count,
    });
    if let Some(notice) = eviction_notice(&app, want.scope.as_deref(), &want.pattern) {
        answer["journal"] = notice;
    }
    let status = if reached {
        StatusCode::OK
    } else {
        answer["nearMisses"] = near_misses(&app, &want).into();
        answer["error"] = format!(
            "{} of {} matching requests arrived within {} ms",
            found.len(),
            want.count,
            want.timeout.as_millis()
        )
        .into();
        StatusCode::REQUEST_TIMEOUT
    };
    Ok((status, Json(answer)).into_response())
}

/// The journal entries of the wait's scope closest to its pattern, as
/// `POST /__admin/near-misses/request-pattern` shows them.
fn near_misses(app: &App, want: &WaitFor) -> Vec<Value> {
    use crate::matchers::{Match, RequestContext};
    let entries = app
        .journal
        .all()
        .into_iter()
        .filter(|e| e.in_scope(want.scope.as_deref()));
    crate::matchers::near_miss::closest(entries, |e| {
        want.pattern.distance(&RequestContext::new(&e.request()))
    })
    .into_iter()
    .map(|(e, distance)| {
        json!({
            "request": e.logged_request(),
            "requestPattern": want.shown,
            "matchResult": super::near_misses::match_result(distance),
        })
    })
    .collect()
}
