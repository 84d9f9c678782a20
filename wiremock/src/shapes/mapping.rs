//! A mapping (a stub definition: `POST /__admin/mappings`, a file in
//! `mappings/`).

use super::response::{DelayDistribution, ResponseDefinition};
use serde::Deserialize;
use serde_json::{Map, Value};

/// WireMock's `StubMapping`. Fields WireMock has and this server does not
/// use (`persistent`, `insertionIndex`…) are kept in the stored JSON and
/// otherwise ignored.
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
    /// Extensions run for each request the stub serves: a list of
    /// [`Listener`]s, read where their pointers are known (see
    /// [`crate::webhook`]).
    pub serve_event_listeners: Option<Value>,
    /// The older form of `serveEventListeners`: a list of [`Listener`]s, or
    /// an object of name → parameters.
    pub post_serve_actions: Option<Value>,
}

/// One of a mapping's `serveEventListeners` (or of a list of
/// `postServeActions`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Listener {
    /// The extension: `webhook` is the one this server runs.
    pub name: String,
    /// When it runs (`AFTER_COMPLETE` and the others); absent: always.
    pub request_phases: Option<Vec<String>>,
    /// Its parameters (free-form: templates see them all as
    /// `parameters`).
    pub parameters: Option<Value>,
}

/// The parameters of a `webhook` listener that it acts on; any others are
/// kept for its templates.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookParameters {
    /// The request method (default `GET`).
    pub method: Option<String>,
    /// Where to send it (a template).
    pub url: Option<String>,
    /// Name → a string, a list of strings, or any other value as its text
    /// (each string a template).
    pub headers: Option<Value>,
    /// The body as text (a template).
    pub body: Option<String>,
    /// The body as base64.
    pub base64_body: Option<String>,
    /// Time to wait before sending it.
    pub delay: Option<DelayDistribution>,
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
