//! A mapping (a stub definition: `POST /__admin/mappings`, a file in
//! `mappings/`).

use super::response::ResponseDefinition;
use serde::Deserialize;
use serde_json::{Map, Value};

/// WireMock's `StubMapping`. Fields WireMock has and this server does not
/// use (`persistent`, `postServeActions`, `serveEventListeners`,
/// `insertionIndex`…) are kept in the stored JSON and otherwise ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mapping {
    pub id: Option<String>,
    pub uuid: Option<String>,
    pub name: Option<String>,
    /// Read into a request pattern where its pointer is known (see
    /// [`super::request::RequestPatternJson`]).
    pub request: Option<Value>,
    pub response: Option<ResponseDefinition>,
    pub priority: Option<i64>,
    pub scenario_name: Option<String>,
    pub required_scenario_state: Option<String>,
    pub new_scenario_state: Option<String>,
    pub metadata: Option<Metadata>,
}

/// A mapping's `metadata`: free-form, with our part under
/// `fake-servicer`.
#[derive(Debug, Deserialize)]
pub struct Metadata {
    #[serde(rename = "fake-servicer")]
    pub ours: Option<Ours>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `metadata.fake-servicer`.
#[derive(Debug, Deserialize)]
pub struct Ours {
    /// The scope the stub belongs to.
    pub scope: Option<String>,
}
