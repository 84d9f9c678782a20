//! The request journal as this crate reads it: logged requests, serve
//! events, and how many a verification expects.

use base64::Engine as _;
use serde_json::Value;
use std::fmt;

/// How many matching requests a [`verify`](crate::Client::verify) expects.
/// A number is [`exactly`] that many.
///
/// ```
/// use fake_servicer_client::prelude::*;
///
/// assert!(exactly(2).accepts(2));
/// assert!(at_least(1).accepts(5));
/// assert!(at_most(1).accepts(0));
/// assert!(never().accepts(0));
/// assert_eq!(Times::from(3), exactly(3));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Times {
    /// Exactly this many.
    Exactly(u64),
    /// This many or more.
    AtLeast(u64),
    /// This many or fewer.
    AtMost(u64),
}

impl Times {
    /// Whether `count` requests satisfy it.
    ///
    /// ```
    /// # use fake_servicer_client::Times;
    /// assert!(!Times::Exactly(1).accepts(2));
    /// ```
    pub fn accepts(self, count: u64) -> bool {
        match self {
            Times::Exactly(n) => count == n,
            Times::AtLeast(n) => count >= n,
            Times::AtMost(n) => count <= n,
        }
    }
}

impl From<u64> for Times {
    fn from(n: u64) -> Times {
        Times::Exactly(n)
    }
}

impl fmt::Display for Times {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (how, n) = match self {
            Times::Exactly(n) => ("exactly", n),
            Times::AtLeast(n) => ("at least", n),
            Times::AtMost(n) => ("at most", n),
        };
        let s = if *n == 1 { "" } else { "s" };
        write!(f, "{how} {n} request{s}")
    }
}

/// Exactly `n` requests.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// assert_eq!(exactly(2).to_string(), "exactly 2 requests");
/// ```
pub fn exactly(n: u64) -> Times {
    Times::Exactly(n)
}

/// `n` requests or more.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// assert_eq!(at_least(1).to_string(), "at least 1 request");
/// ```
pub fn at_least(n: u64) -> Times {
    Times::AtLeast(n)
}

/// `n` requests or fewer.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// assert!(at_most(2).accepts(1));
/// ```
pub fn at_most(n: u64) -> Times {
    Times::AtMost(n)
}

/// No request at all.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// assert_eq!(never(), exactly(0));
/// ```
pub fn never() -> Times {
    Times::Exactly(0)
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The first value of header `name` (any case) in a WireMock header object.
fn header_in<'a>(headers: Option<&'a Value>, name: &str) -> Option<&'a str> {
    let (_, value) = headers?
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))?;
    match value {
        Value::String(s) => Some(s),
        Value::Array(values) => values.first()?.as_str(),
        _ => None,
    }
}

fn decode_base64(encoded: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap_or_default()
}

/// A request as the journal recorded it.
///
/// ```no_run
/// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::prelude::*;
///
/// for r in server.find(post("/users").service("example")).await? {
///     println!("{} {} {:?} {}", r.method(), r.url(), r.header("Content-Type"), r.body());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedRequest {
    raw: Value,
}

impl LoggedRequest {
    pub(crate) fn from_json(raw: Value) -> LoggedRequest {
        LoggedRequest { raw }
    }

    /// The method (`GET`, …).
    ///
    /// ```no_run
    /// # fn demo(r: fake_servicer_client::LoggedRequest) {
    /// assert_eq!(r.method(), "POST");
    /// # }
    /// ```
    pub fn method(&self) -> String {
        text(&self.raw, "method")
    }

    /// The path and query as received (with the service prefix when the
    /// service was named by the path).
    ///
    /// ```no_run
    /// # fn demo(r: fake_servicer_client::LoggedRequest) {
    /// assert_eq!(r.url(), "/example/users?page=2");
    /// # }
    /// ```
    pub fn url(&self) -> String {
        text(&self.raw, "url")
    }

    /// The service the request resolved to, if any.
    ///
    /// ```no_run
    /// # fn demo(r: fake_servicer_client::LoggedRequest) {
    /// assert_eq!(r.service().as_deref(), Some("example"));
    /// # }
    /// ```
    pub fn service(&self) -> Option<String> {
        self.raw
            .get("service")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// The scopes the request carried (header, `baggage`, trace id), in
    /// that order; empty when none.
    ///
    /// ```no_run
    /// # fn demo(r: fake_servicer_client::LoggedRequest) {
    /// assert_eq!(r.scopes(), ["test-42"]);
    /// # }
    /// ```
    pub fn scopes(&self) -> Vec<String> {
        self.raw
            .get("scopes")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first value of header `name`, in any case.
    ///
    /// ```no_run
    /// # fn demo(r: fake_servicer_client::LoggedRequest) {
    /// assert_eq!(r.header("content-type"), Some("application/json"));
    /// # }
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(self.raw.get("headers"), name)
    }

    /// The body as text (lossy for bodies that are not UTF-8).
    ///
    /// ```no_run
    /// # fn demo(r: fake_servicer_client::LoggedRequest) {
    /// assert!(r.body().contains("Ada"));
    /// # }
    /// ```
    pub fn body(&self) -> String {
        text(&self.raw, "body")
    }

    /// The body's bytes.
    ///
    /// ```no_run
    /// # fn demo(r: fake_servicer_client::LoggedRequest) {
    /// let bytes: Vec<u8> = r.body_bytes();
    /// # let _ = bytes;
    /// # }
    /// ```
    pub fn body_bytes(&self) -> Vec<u8> {
        decode_base64(&text(&self.raw, "bodyAsBase64"))
    }

    /// The body parsed as JSON into `T`.
    ///
    /// ```no_run
    /// # fn demo(r: fake_servicer_client::LoggedRequest) -> Result<(), serde_json::Error> {
    /// let body: serde_json::Value = r.json()?;
    /// # let _ = body; Ok(()) }
    /// ```
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_slice(&self.body_bytes())
    }

    /// The whole entry as the server sent it (WireMock's `LoggedRequest`).
    ///
    /// ```no_run
    /// # fn demo(r: fake_servicer_client::LoggedRequest) {
    /// let ip = r.to_json()["clientIp"].as_str();
    /// # let _ = ip;
    /// # }
    /// ```
    pub fn to_json(&self) -> &Value {
        &self.raw
    }
}

/// One request and what answered it (WireMock's serve event).
///
/// ```no_run
/// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
/// for event in server.requests().await? {
///     println!("{} {} -> {}", event.request().method(), event.request().url(), event.status());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ServeEvent {
    request: LoggedRequest,
    raw: Value,
}

impl ServeEvent {
    pub(crate) fn from_json(raw: Value) -> ServeEvent {
        let request = LoggedRequest::from_json(raw.get("request").cloned().unwrap_or_default());
        ServeEvent { request, raw }
    }

    /// The entry's id.
    ///
    /// ```no_run
    /// # fn demo(e: fake_servicer_client::ServeEvent) {
    /// println!("{}", e.id());
    /// # }
    /// ```
    pub fn id(&self) -> String {
        text(&self.raw, "id")
    }

    /// The request.
    ///
    /// ```no_run
    /// # fn demo(e: fake_servicer_client::ServeEvent) {
    /// println!("{}", e.request().url());
    /// # }
    /// ```
    pub fn request(&self) -> &LoggedRequest {
        &self.request
    }

    /// The status that was sent (0 when a fault was acted out instead).
    ///
    /// ```no_run
    /// # fn demo(e: fake_servicer_client::ServeEvent) {
    /// assert_eq!(e.status(), 403);
    /// # }
    /// ```
    pub fn status(&self) -> u16 {
        self.raw
            .pointer("/response/status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(0)
    }

    /// The first value of response header `name`, in any case.
    ///
    /// ```no_run
    /// # fn demo(e: fake_servicer_client::ServeEvent) {
    /// assert_eq!(e.response_header("content-type"), Some("application/json"));
    /// # }
    /// ```
    pub fn response_header(&self, name: &str) -> Option<&str> {
        header_in(self.raw.pointer("/response/headers"), name)
    }

    /// The response body as text.
    ///
    /// ```no_run
    /// # fn demo(e: fake_servicer_client::ServeEvent) {
    /// assert_eq!(e.response_body(), "{\"id\":7}");
    /// # }
    /// ```
    pub fn response_body(&self) -> String {
        self.raw
            .pointer("/response/body")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    /// Whether a stub answered (WireMock's `wasMatched`).
    ///
    /// ```no_run
    /// # fn demo(e: fake_servicer_client::ServeEvent) {
    /// assert!(e.was_matched());
    /// # }
    /// ```
    pub fn was_matched(&self) -> bool {
        self.raw
            .get("wasMatched")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The id of the stub that answered, if one did.
    ///
    /// ```no_run
    /// # fn demo(e: fake_servicer_client::ServeEvent) {
    /// println!("{:?}", e.stub_id());
    /// # }
    /// ```
    pub fn stub_id(&self) -> Option<String> {
        self.raw
            .pointer("/stubMapping/id")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// The whole event as the server sent it.
    ///
    /// ```no_run
    /// # fn demo(e: fake_servicer_client::ServeEvent) {
    /// let timing = &e.to_json()["timing"];
    /// # let _ = timing;
    /// # }
    /// ```
    pub fn to_json(&self) -> &Value {
        &self.raw
    }

    /// `METHOD url -> status`, for messages.
    pub(crate) fn summary(&self) -> String {
        format!(
            "{} {} -> {}",
            self.request.method(),
            self.request.url(),
            self.status()
        )
    }
}
