//! Stubs: WireMock mappings (a request pattern and a response definition),
//! created through the admin API or loaded from `--mappings` files, matched
//! by priority (lower first, then newest first), with WireMock's scenarios.
//!
//! Readers take a lock-free snapshot of the live stubs; writers rebuild it
//! under a mutex.

mod files;
mod near_misses;
mod parse;
mod response;
mod scenarios;
mod store;
#[cfg(test)]
mod tests;

pub use files::MappingFiles;
pub use near_misses::{NearMiss, add_to_not_found};
pub use parse::parse_mapping;
pub use response::{Delay, StubResponse};
pub use scenarios::{STARTED, ScenarioRule};
pub use store::{ScenarioDetails, ScenarioStateError, ServicesHook, Stubs};

use crate::matchers::{PatternError, RequestPattern};
use crate::plan::{MAX_DELAY_MS, Plan, PlanBody};
use crate::regular_file::{self, Cap};
use crate::request::Recorded;
use crate::sync::lock;
use crate::{fault::Fault, headers};
use arc_swap::ArcSwap;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{Map, Value};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
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
