//! Scopes in the admin API: `GET /__admin/scopes`, `DELETE
//! /__admin/scopes/{scope}`, and `POST /__admin/requests/wait` (a blocking
//! verify: `crate::journal::waits`).

use super::{ApiError, parse_json};
use crate::{
    conn::{Conn, Parked},
    journal::{Matcher, Wait},
    matchers::{Match, RequestPattern},
    state::App,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{ConnectInfo, Path, State},
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
/// journal entries go, its open streams close, its writes to declared
/// resources are dropped and the plugins drop the state they keep for it;
/// nothing else.
async fn remove(State(app): State<App>, Path(scope): Path<String>) -> Response {
    let stubs = app.stubs.remove_scope(&scope);
    let overrides = app.overrides.remove_scope(&scope);
    let requests = app
        .journal
        .remove_where(|e| e.scopes.contains(&scope))
        .len();
    app.resources.drop_scope(&scope);
    app.scope_activity.forget(&scope);
    // Its open streams end too (not counted: the answer's shape predates
    // streams).
    app.streams.close_where(
        |s| s.scopes.contains(&scope),
        crate::streams::Closed::Deleted,
    );
    // And its Kubernetes objects (`--kubernetes`).
    if let Some(api) = &app.kubernetes {
        api.drop_scope(&scope);
    }
    crate::plugin::scoped::forget(app.registry.snapshot(), Some(Arc::from(scope.as_str()))).await;
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
    count: u64,
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
            })?,
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
/// requests (oldest first, at most 1 000, `MAX_LISTED` in
/// `journal::waits`; `count` counts them all) once `count` are in the
/// journal, or 408 with those that are at the timeout.
///
/// A wait counts against `--max-waiters`, not `--max-connections`: on
/// HTTP/1 its connection gives its slot back while the wait sleeps (see
/// [`crate::conn::ConnSlot`]), and closes after the answer when no slot is
/// free by then. A wait refused over `--max-waiters` closes its
/// connection too.
async fn wait(
    State(app): State<App>,
    version: axum::http::Version,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let want = match parse_wait(&app, &headers, &body) {
        Ok(want) => want,
        Err(e) => return e.into_response(),
    };
    let http1 = version != axum::http::Version::HTTP_2;
    let _seat = match app.journal.waiters.seat(body.len()) {
        Ok(seat) => seat,
        Err(why) => {
            let refused = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, None, why.to_string());
            // A client retrying at once gets a new connection, which waits
            // its turn among `--max-connections`.
            return closing(refused.into_response(), http1);
        }
    };
    let deadline = tokio::time::Instant::now() + want.timeout;
    // The connection's slot is given back while the wait reads the
    // journal and sleeps.
    let parked = extensions
        .get::<ConnectInfo<Conn>>()
        .and_then(|c| c.slot.as_ref())
        .map(|slot| slot.park());
    let pattern = Arc::new(want.pattern);
    let matches: Matcher = {
        let pattern = pattern.clone();
        Box::new(move |ctx| Match::matches(&*pattern, ctx))
    };
    let waiting = Wait::start(&app.journal, want.scope.as_deref(), matches, want.count).await;
    waiting.until(deadline).await;
    let waited = waiting.finish();
    let keep_alive = parked.is_none_or(Parked::resume);
    let mut tail = json!({"count": waited.count, "wanted": want.count});
    if let Some(notice) = eviction_notice(&app, want.scope.as_deref(), &pattern) {
        tail["journal"] = notice;
    }
    let status = if waited.reached {
        StatusCode::OK
    } else {
        let near = near_misses(&app, want.scope.clone(), pattern, want.shown).await;
        tail["nearMisses"] = near.into();
        tail["error"] = format!(
            "{} of {} matching requests arrived within {} ms",
            waited.count,
            want.count,
            want.timeout.as_millis()
        )
        .into();
        StatusCode::REQUEST_TIMEOUT
    };
    let mut answer = super::serve_events::requests_stream(
        waited.listed,
        super::serve_events::logged_request,
        tail,
    );
    *answer.status_mut() = status;
    closing(answer, http1 && !keep_alive)
}

/// `answer`, with `Connection: close` when `close`.
fn closing(mut answer: Response, close: bool) -> Response {
    if close {
        answer.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    answer
}

/// The journal entries of the wait's scope closest to its pattern, as
/// `POST /__admin/near-misses/request-pattern` shows them: of the newest
/// [`crate::journal::NEAR_MISS_CANDIDATES`], ranked on a blocking thread.
async fn near_misses(
    app: &App,
    scope: Option<String>,
    pattern: Arc<RequestPattern>,
    shown: Value,
) -> Vec<Value> {
    app.journal
        .off_workers(move |journal| {
            let entries = journal
                .newest_of(scope.as_deref(), crate::journal::NEAR_MISS_CANDIDATES)
                .into_iter();
            super::near_misses::entries_near(entries, &pattern, &shown)
        })
        .await
        .unwrap_or_default()
}
