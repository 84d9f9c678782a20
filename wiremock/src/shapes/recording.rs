//! A recording spec (the body of `recordings/start` and
//! `recordings/snapshot`).

use serde::Deserialize;
use serde_json::{Map, Value};

/// WireMock's `RecordSpec`. `requestBodyPattern`, `extractBodyCriteria`,
/// `outputFormat`, `transformers` and `transformerParameters` are
/// accepted and unused.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordSpec {
    pub target_base_url: Option<String>,
    /// A request pattern, with `ids` and `allowNonProxied` beside it
    /// (accepted and unused).
    pub filters: Option<Map<String, Value>>,
    /// Header name → `{"caseInsensitive": bool}`.
    pub capture_headers: Option<Map<String, Value>>,
    pub persist: Option<bool>,
    pub repeats_as_scenarios: Option<bool>,
}
