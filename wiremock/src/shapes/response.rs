//! A response definition (a mapping's `response`).

use serde::Deserialize;
use serde_json::{Map, Value};

/// WireMock's `ResponseDefinition`. A `null` field is as good as none.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResponseDefinition {
    pub status: Option<i64>,
    pub status_message: Option<String>,
    /// Name → a string, a list of strings, or any other value as its text.
    pub headers: Option<Value>,
    pub body: Option<String>,
    pub json_body: Option<Value>,
    pub base64_body: Option<String>,
    pub body_file_name: Option<String>,
    pub fixed_delay_milliseconds: Option<u64>,
    pub delay_distribution: Option<DelayDistribution>,
    pub chunked_dribble_delay: Option<ChunkedDribbleDelay>,
    pub fault: Option<String>,
    pub transformers: Option<Vec<String>>,
    pub transformer_parameters: Option<Map<String, Value>>,
    pub proxy_base_url: Option<String>,
    pub additional_proxy_request_headers: Option<Map<String, Value>>,
    pub remove_proxy_request_headers: Option<Vec<String>>,
    pub proxy_url_prefix_to_remove: Option<String>,
    /// fake-servicer: a stream of items instead of a body (see
    /// [`crate::stream`]).
    pub stream: Option<Value>,
    /// fake-servicer: the stream stays open after its last item.
    pub live: Option<bool>,
    /// fake-servicer: a WebSocket answer (see [`crate::stream`]).
    pub web_socket: Option<Value>,
}

/// `delayDistribution`: a fixed or random delay in milliseconds.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum DelayDistribution {
    Fixed {
        milliseconds: u64,
    },
    Uniform {
        lower: u64,
        upper: u64,
    },
    #[serde(rename_all = "camelCase")]
    Lognormal {
        median: f64,
        sigma: f64,
        max_value: Option<f64>,
    },
}

/// `chunkedDribbleDelay`: the body in `numberOfChunks` chunks spread over
/// `totalDuration` milliseconds.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChunkedDribbleDelay {
    pub number_of_chunks: u64,
    pub total_duration: u64,
}
