//! The stub registry: WireMock mappings (see
//! [`fake_servicer_wiremock::stub`]) created through the admin API or loaded from `--mappings` files, matched
//! by priority (lower first, then newest first), with WireMock's scenarios.
//!
//! Readers take a lock-free snapshot of the live stubs; writers rebuild it
//! under a mutex.

mod files;
mod near_misses;
mod store;
#[cfg(test)]
mod tests;

pub use fake_servicer_core::delay::Delay;
pub use fake_servicer_wiremock::stub::{
    DEFAULT_PRIORITY, METADATA_KEY, STARTED, ScenarioRule, Stub, StubResponse, parse_mapping,
    set_scope,
};
pub use files::MappingFiles;
pub use near_misses::{NearMiss, not_found_fields};
pub use store::{ScenarioDetails, ScenarioStateError, ServicesHook, Stubs};

use crate::matchers::PatternError;
use crate::request::Recorded;
use crate::sync::lock;
use arc_swap::ArcSwap;
use serde_json::Value;
use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};
use uuid::Uuid;

type Result<T> = std::result::Result<T, PatternError>;
