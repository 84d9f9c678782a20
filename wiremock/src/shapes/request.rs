//! A request pattern (a mapping's `request`, a recording's `filters`, the
//! body of `requests/count`, `requests/find` and the near-miss endpoints).

use serde::Deserialize;
use serde_json::{Map, Value};

/// WireMock's `RequestPattern`, with our `service`. Each named part maps a
/// name to a matcher (read by the matchers); a `null` field is as good
/// as none.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestPatternJson {
    /// Our extension: only requests to this service, matched on the
    /// service-relative path.
    pub service: Option<String>,
    pub method: Option<String>,
    pub url: Option<String>,
    pub url_pattern: Option<String>,
    pub url_path: Option<String>,
    pub url_path_pattern: Option<String>,
    pub url_path_template: Option<String>,
    pub query_parameters: Option<Map<String, Value>>,
    pub headers: Option<Map<String, Value>>,
    pub form_parameters: Option<Map<String, Value>>,
    pub cookies: Option<Map<String, Value>>,
    pub path_parameters: Option<Map<String, Value>>,
    pub basic_auth_credentials: Option<BasicAuthCredentials>,
    pub body_patterns: Option<Vec<Value>>,
    /// Accepted when empty; matching on them is not supported.
    pub multipart_patterns: Option<Value>,
    pub custom_matcher: Option<Value>,
    pub scheme: Option<Value>,
    pub host: Option<Value>,
    pub port: Option<Value>,
}

/// `basicAuthCredentials`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuthCredentials {
    pub username: String,
    pub password: String,
}
