//! WireMock's webhooks: a stub's `serveEventListeners` (or the older
//! `postServeActions`) named `webhook` send an HTTP request once the stub
//! has answered. Its URL, header values and body are Handlebars templates,
//! always rendered (whatever the stub's transformers) against
//! `originalRequest` — the request served, as response templates see
//! `request` — and `parameters`, the webhook's own parameters.
//!
//! Parsed once with the stub ([`parse`]), a JSON pointer to whatever is
//! wrong; rendered for one request into a [`Call`] the server sends.
//!
//! ```
//! use fake_servicer_wiremock::webhook::{ServeListener, parse};
//! let listeners = parse(
//!     Some(&serde_json::json!([{"name": "webhook", "parameters": {
//!         "method": "POST", "url": "http://example/cb", "body": "{{originalRequest.path}}"}}])),
//!     None,
//! )
//! .unwrap();
//! assert!(matches!(&listeners[0], ServeListener::Webhook(w) if w.method == http::Method::POST));
//! let bad = parse(Some(&serde_json::json!([{"name": "webhook", "parameters": {}}])), None);
//! assert_eq!(bad.unwrap_err().pointer, "/serveEventListeners/0/parameters/url");
//! ```

use crate::matchers::PatternError;
use crate::request::Recorded;
use crate::shapes::mapping::{Listener, WebhookParameters};
use crate::shapes::read;
use crate::stub::response::distribution_delay;
use crate::template::{Compiled, Input};
use bytes::Bytes;
use fake_servicer_core::delay::Delay;
use handlebars::Context;
use http::{HeaderName, HeaderValue, Method, Uri};
use serde_json::Value;
use std::cell::OnceCell;

#[cfg(test)]
mod tests;

/// The listener name of a webhook.
pub const NAME: &str = "webhook";

/// The request phase webhooks run in: a listener whose `requestPhases`
/// leave it out never runs.
pub const PHASE: &str = "AFTER_COMPLETE";

/// One of a stub's listeners.
#[derive(Debug)]
pub enum ServeListener {
    /// A webhook, sent after each answer of the stub.
    Webhook(Box<Webhook>),
    /// A listener of another name: kept in the mapping, never run (as
    /// WireMock without that extension).
    Unknown(String),
}

/// A webhook as a stub defines it.
#[derive(Debug)]
pub struct Webhook {
    /// `method` (default `GET`), as given: not a template.
    pub method: Method,
    url: Text,
    headers: Vec<(HeaderName, Text)>,
    body: Option<Body>,
    /// `delay`: how long to wait, from the answer, before sending it.
    pub delay: Delay,
    /// The listener's `parameters`, as `parameters` in the model.
    parameters: Value,
    /// Whether a template names `bodyAsBase64` (else the model leaves it
    /// out).
    base64: bool,
}

/// A part that may be a template.
#[derive(Debug)]
enum Text {
    Plain(String),
    Template(Compiled),
}

impl Text {
    fn new(source: &str) -> Result<Text, String> {
        Ok(match Compiled::new(source)? {
            Some(c) => Text::Template(c),
            None => Text::Plain(source.to_owned()),
        })
    }

    fn render<'m>(&self, model: &dyn Fn() -> &'m Context) -> Result<String, String> {
        match self {
            Text::Plain(s) => Ok(s.clone()),
            Text::Template(t) => t.render(model()),
        }
    }
}

#[derive(Debug)]
enum Body {
    Text(Text),
    Bytes(Bytes),
}

/// A webhook rendered for one request: what to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The webhook's method.
    pub method: Method,
    /// An absolute `http://` URL.
    pub url: String,
    /// The webhook's headers, rendered, in the order given.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// `None`: sent without one (only `POST`, `PUT` and `PATCH` carry a
    /// body, as with WireMock).
    pub body: Option<Bytes>,
}

/// Whether a webhook with `method` carries its body.
pub fn carries_body(method: &Method) -> bool {
    [Method::POST, Method::PUT, Method::PATCH].contains(method)
}

/// The listeners of a mapping: its `serveEventListeners` (a list), then
/// its `postServeActions` (a list too, or an object of name →
/// parameters). Listeners whose `requestPhases` leave out
/// `AFTER_COMPLETE` never run and are left out.
pub fn parse(
    listeners: Option<&Value>,
    actions: Option<&Value>,
) -> Result<Vec<ServeListener>, PatternError> {
    let mut out = Vec::new();
    for (field, value) in [
        ("/serveEventListeners", listeners),
        ("/postServeActions", actions),
    ] {
        match value {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let at = format!("{field}/{i}");
                    let l: Listener = read(item, &at)?;
                    let runs = l
                        .request_phases
                        .as_ref()
                        .is_none_or(|phases| phases.iter().any(|p| p == PHASE));
                    if runs {
                        let at = format!("{at}/parameters");
                        out.push(listener(&l.name, l.parameters.as_ref(), &at)?);
                    }
                }
            }
            Some(Value::Object(map)) if field == "/postServeActions" => {
                for (name, parameters) in map {
                    let at = format!("{field}/{}", name.replace('~', "~0").replace('/', "~1"));
                    out.push(listener(name, Some(parameters), &at)?);
                }
            }
            Some(_) => return Err(PatternError::new(field, "expected a list of listeners")),
        }
    }
    Ok(out)
}

/// The listener `name` with `parameters`, found at `at`.
fn listener(
    name: &str,
    parameters: Option<&Value>,
    at: &str,
) -> Result<ServeListener, PatternError> {
    if name != NAME {
        return Ok(ServeListener::Unknown(name.to_owned()));
    }
    let parameters = parameters
        .filter(|p| !p.is_null())
        .ok_or_else(|| PatternError::new(at, "a webhook needs parameters with a url"))?;
    Webhook::parse(parameters, at).map(|w| ServeListener::Webhook(Box::new(w)))
}

/// Checks a URL to send a webhook to: an absolute `http://` URL.
pub fn check_url(url: &str) -> Result<(), String> {
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http") if uri.authority().is_some() => Ok(()),
        Some("https") => Err(format!(
            "{url:?}: https webhooks are not supported (they are sent over plain HTTP)"
        )),
        _ => Err(format!("{url:?} is not an absolute http:// URL")),
    }
}

impl Webhook {
    /// Parses a webhook's `parameters`, found at `at`.
    pub fn parse(v: &Value, at: &str) -> Result<Webhook, PatternError> {
        let p: WebhookParameters = read(v, at)?;
        let field = |f: &str| format!("{at}/{f}");
        let template = |f: &str| {
            let at = field(f);
            move |e: String| PatternError::new(at, format!("invalid template: {e}"))
        };
        let method = match &p.method {
            None => Method::GET,
            Some(m) => Method::from_bytes(m.as_bytes()).map_err(|_| {
                PatternError::new(field("method"), format!("{m:?} is not an HTTP method"))
            })?,
        };
        let source = p
            .url
            .as_deref()
            .ok_or_else(|| PatternError::new(field("url"), "a webhook needs a url"))?;
        let url = Text::new(source).map_err(template("url"))?;
        if let Text::Plain(url) = &url {
            check_url(url).map_err(|e| PatternError::new(field("url"), e))?;
        }
        let mut base64 = source.contains("bodyAsBase64");
        let pairs = match &p.headers {
            None | Some(Value::Null) => Vec::new(),
            Some(h) => fake_servicer_core::headers::from_json(h).map_err(|e| {
                PatternError::new(format!("{}{}", field("headers"), e.pointer), e.reason)
            })?,
        };
        let mut headers = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            // A JSON string is UTF-8, and so is what it became.
            let text = String::from_utf8_lossy(value.as_bytes());
            base64 |= text.contains("bodyAsBase64");
            let text = Text::new(&text).map_err(template(&format!("headers/{name}")))?;
            headers.push((name, text));
        }
        let body = match (p.body, p.base64_body) {
            (Some(_), Some(_)) => {
                return Err(PatternError::new(at, "give one of body, base64Body"));
            }
            (Some(text), None) => {
                base64 |= text.contains("bodyAsBase64");
                Some(Body::Text(Text::new(&text).map_err(template("body"))?))
            }
            (None, Some(b64)) => {
                use base64::Engine;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| {
                        PatternError::new(field("base64Body"), format!("not base64: {e}"))
                    })?;
                Some(Body::Bytes(Bytes::from(bytes)))
            }
            (None, None) => None,
        };
        let delay = match p.delay {
            Some(d) => distribution_delay(d, &field("delay"))?,
            None => Delay::None,
        };
        Ok(Webhook {
            method,
            url,
            headers,
            body,
            delay,
            parameters: v.clone(),
            base64,
        })
    }

    /// The request to send for `req`, answered by a stub of `service` with
    /// `path_template` (its `urlPathTemplate`), or why it cannot be made.
    /// Run within a CPU budget ([`fake_servicer_core::budget::within`]),
    /// rendering stops with an error at its deadline.
    pub fn render(
        &self,
        req: &Recorded,
        service: Option<&str>,
        path_template: Option<&str>,
    ) -> Result<Call, String> {
        let input = Input {
            req,
            service,
            path_template,
            parameters: &self.parameters,
        };
        // Built once, and only when a part is a template.
        let cell = OnceCell::new();
        let model = || cell.get_or_init(|| input.webhook_model(self.base64));
        let url = self.url.render(&model).map_err(|e| format!("url: {e}"))?;
        check_url(&url)?;
        let mut headers = Vec::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            let text = value
                .render(&model)
                .map_err(|e| format!("header {name}: {e}"))?;
            let value = HeaderValue::from_str(&text).map_err(|_| {
                format!("header {name}: the rendered value is not a valid header value")
            })?;
            headers.push((name.clone(), value));
        }
        let body = match &self.body {
            _ if !carries_body(&self.method) => None,
            None => None,
            Some(Body::Bytes(b)) => Some(b.clone()),
            Some(Body::Text(t)) => Some(Bytes::from(
                t.render(&model).map_err(|e| format!("body: {e}"))?,
            )),
        };
        Ok(Call {
            method: self.method.clone(),
            url,
            headers,
            body,
        })
    }
}
