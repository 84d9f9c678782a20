//! The admin API under `/__admin` (DESIGN §6): health and services.

use crate::dispatch::App;
use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::IntoResponse,
    routing::get,
};
use serde_json::{Value, json};
use std::sync::Arc;

/// The admin routes, to merge into the server's router.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/__admin", get(root))
        .route("/__admin/", get(root))
        .route("/__admin/health", get(health))
        .route("/__admin/services", get(services))
        .route("/__admin/{*rest}", axum::routing::any(unknown))
}

async fn root(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!({
        "name": "fake-servicer",
        "version": env!("CARGO_PKG_VERSION"),
        "services": app.registry.snapshot().names(),
    }))
}

async fn health(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "services": app.registry.snapshot().len(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

async fn services(State(app): State<Arc<App>>) -> Json<Value> {
    let (services, refused) = app.registry.status();
    Json(json!({ "services": services, "refused": refused }))
}

async fn unknown(Path(rest): Path<String>) -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": format!("no admin endpoint /__admin/{rest}")})),
    )
}
