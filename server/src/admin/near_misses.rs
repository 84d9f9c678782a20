//! WireMock's near-miss endpoints: the stubs closest to a logged request
//! (`POST /__admin/near-misses/request`), the journal's requests closest
//! to a pattern (`POST /__admin/near-misses/request-pattern`), and the
//! stubs closest to each unmatched request
//! (`GET /__admin/requests/unmatched/near-misses`). Each answers
//! `{"nearMisses": [{request, stubMapping | requestPattern, matchResult}]}`,
//! at most three per request, closest first.

use super::{ApiError, ApiResult, parse_json};
use crate::journal::Journal;
use crate::matchers::near_miss::closest;
use crate::matchers::{Match, RequestContext, RequestPattern};
use crate::request::Recorded;
use crate::state::App;
use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::{Value, json};
use std::sync::Arc;

/// The near-miss routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/__admin/near-misses/request", post(for_request))
        .route("/__admin/near-misses/request-pattern", post(for_pattern))
        .route(
            "/__admin/requests/unmatched/near-misses",
            get(for_unmatched),
        )
}

/// WireMock's `matchResult`.
pub(super) fn match_result(distance: f64) -> Value {
    json!({"subEvents": [], "diffDescriptions": [], "distance": distance})
}

fn near_misses(list: Vec<Value>) -> Response {
    Json(json!({"nearMisses": list})).into_response()
}

/// The stubs closest to `req`, as near-miss objects showing `shown`.
fn stub_misses(app: &App, req: &Recorded, shown: &Value) -> Vec<Value> {
    app.stubs
        .near_misses(req)
        .into_iter()
        .map(|m| {
            json!({
                "request": shown,
                "stubMapping": m.stub.json,
                "matchResult": match_result(m.distance),
            })
        })
        .collect()
}

// Each ranks off the async workers within the CPU budget
// (`crate::offload`): past it, what was measured so far is ranked.

async fn for_request(State(app): State<App>, body: Bytes) -> ApiResult {
    let logged = parse_json(&body)?;
    let req = recorded(&logged)?;
    let budget = app.cpu_budget;
    let list = offload(budget, move || stub_misses(&app, &req, &logged)).await?;
    Ok(near_misses(list))
}

async fn for_pattern(State(app): State<App>, body: Bytes) -> ApiResult {
    let shown = parse_json(&body)?;
    let pattern = RequestPattern::parse(&shown, "").map_err(ApiError::invalid)?;
    let journal: Arc<Journal> = Arc::clone(&app.journal);
    let list = offload(app.cpu_budget, move || {
        entries_near(journal.all().into_iter(), &pattern, &shown)
    })
    .await?;
    Ok(near_misses(list))
}

async fn for_unmatched(State(app): State<App>) -> ApiResult {
    let budget = app.cpu_budget;
    let list = offload(budget, move || {
        let mut list = Vec::new();
        for entry in app.journal.unmatched() {
            if fake_servicer_core::budget::check().is_err() {
                break;
            }
            let shown = super::serve_events::logged_request_json(&entry);
            list.extend(stub_misses(&app, &entry.request(), &shown));
        }
        list
    })
    .await?;
    Ok(near_misses(list))
}

/// The entries closest to `pattern`, as near-miss objects showing it as
/// `shown`.
pub(super) fn entries_near(
    entries: impl Iterator<Item = Arc<crate::journal::Entry>>,
    pattern: &RequestPattern,
    shown: &Value,
) -> Vec<Value> {
    closest(entries, |e| {
        pattern.distance(&RequestContext::new(&e.request()))
    })
    .into_iter()
    .map(|(e, distance)| {
        json!({
            "request": super::serve_events::logged_request_json(&e),
            "requestPattern": shown,
            "matchResult": match_result(distance),
        })
    })
    .collect()
}

/// [`crate::offload::run`], a failure as a 500.
async fn offload<T: Send + 'static>(
    budget: std::time::Duration,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    crate::offload::run(budget, job)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, None, e))
}

fn bad(pointer: &str, title: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, Some(pointer), title)
}

/// A request from WireMock's `LoggedRequest` JSON: `url`, `method`,
/// `headers` (a value or a list of values each), `cookies`, `body` or
/// `bodyAsBase64`, and our `service`.
fn recorded(v: &Value) -> Result<Recorded, ApiError> {
    let obj = v
        .as_object()
        .ok_or_else(|| bad("", "expected a logged request object"))?;
    let text = |name: &str| obj.get(name).and_then(Value::as_str);
    let url = text("url").unwrap_or("/");
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (url.to_owned(), None),
    };
    let method = Method::from_bytes(text("method").unwrap_or("GET").as_bytes())
        .map_err(|_| bad("/method", "invalid method"))?;
    let mut headers = HeaderMap::new();
    if let Some(h) = obj.get("headers").and_then(Value::as_object) {
        for (name, value) in h {
            let at = format!("/headers/{name}");
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| bad(&at, "invalid header name"))?;
            let values: Vec<&Value> = match value {
                Value::Array(list) => list.iter().collect(),
                one => vec![one],
            };
            for v in values {
                let s = v.as_str().ok_or_else(|| bad(&at, "expected text"))?;
                let hv = HeaderValue::from_str(s).map_err(|_| bad(&at, "invalid header value"))?;
                headers.append(name.clone(), hv);
            }
        }
    }
    if let Some(c) = obj.get("cookies").and_then(Value::as_object) {
        let pairs: Vec<String> = c
            .iter()
            .filter_map(|(k, v)| {
                let v = v
                    .as_str()
                    .or_else(|| v.get("value").and_then(Value::as_str))?;
                Some(format!("{k}={v}"))
            })
            .collect();
        if let Ok(hv) = HeaderValue::from_str(&pairs.join("; "))
            && !pairs.is_empty()
        {
            headers.append(http::header::COOKIE, hv);
        }
    }
    let body = match (text("bodyAsBase64"), text("body")) {
        (Some(b64), _) if !b64.is_empty() => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| bad("/bodyAsBase64", "not base64"))?
                .into()
        }
        (_, Some(b)) => Bytes::copy_from_slice(b.as_bytes()),
        _ => Bytes::new(),
    };
    let service = text("service").map(|name| {
        let prefix = format!("/{name}");
        let at = if path == prefix || path.starts_with(&format!("{prefix}/")) {
            prefix.len()
        } else {
            0
        };
        (Arc::from(name), at)
    });
    Ok(Recorded {
        query: query.map(Into::into),
        headers,
        body,
        service,
        ..Recorded::new(method, &path)
    })
}
