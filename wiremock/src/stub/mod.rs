//! A stub as WireMock defines it: a request pattern, a response
//! definition, a priority, a scenario rule, and the mapping JSON it came
//! from.

pub mod parse;
pub mod proxy;
pub mod response;
pub mod scenarios;
#[cfg(test)]
mod tests;

pub use parse::parse_mapping;
pub use response::{BodyFile, StubResponse};
pub use scenarios::{STARTED, ScenarioRule};

use crate::matchers::{PatternError, RequestPattern};
use bytes::Bytes;
use fake_servicer_core::delay::{Delay, MAX_DELAY_MS};
use fake_servicer_core::fault::Fault;
use fake_servicer_core::headers;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{Map, Value};
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use uuid::Uuid;

type Result<T> = std::result::Result<T, PatternError>;

/// WireMock's default priority.
pub const DEFAULT_PRIORITY: i64 = 5;

/// One stub.
#[derive(Debug)]
pub struct Stub {
    pub id: Uuid,
    /// Creation order: ties in priority go to the newest.
    pub seq: u64,
    pub priority: i64,
    pub request: RequestPattern,
    pub response: StubResponse,
    pub scenario: Option<ScenarioRule>,
    /// The mapping as stored (the client's JSON with `id` and `uuid`).
    pub json: Value,
    /// The file it came from, for file-defined stubs.
    pub file: Option<PathBuf>,
    /// The scope it belongs to (`metadata.fake-servicer.scope`): it answers
    /// only requests of that scope, before stubs of no scope.
    pub scope: Option<Arc<str>>,
    /// Its `serveEventListeners` and `postServeActions` (webhooks, sent
    /// after each answer; see [`crate::webhook`]).
    pub listeners: Box<[crate::webhook::ServeListener]>,
}

/// The key of our part of a mapping's `metadata`.
pub const METADATA_KEY: &str = "fake-servicer";

/// Puts `scope` in mapping `v` (`metadata.fake-servicer.scope`).
pub fn set_scope(v: &mut Value, scope: &str) {
    let Some(obj) = v.as_object_mut() else { return };
    let metadata = obj
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !metadata.is_object() {
        *metadata = Value::Object(Map::new());
    }
    if let Some(m) = metadata.as_object_mut() {
        let ours = m
            .entry(METADATA_KEY)
            .or_insert_with(|| Value::Object(Map::new()));
        if !ours.is_object() {
            *ours = Value::Object(Map::new());
        }
        if let Some(o) = ours.as_object_mut() {
            o.insert("scope".into(), Value::String(scope.to_owned()));
        }
    }
}
