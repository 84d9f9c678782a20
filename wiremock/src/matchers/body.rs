//! Matchers on the body (`bodyPatterns`): text matchers, the JSON and XML
//! ones, `binaryEqualTo`.

use super::context::RequestContext;
use super::json::{EqualToJson, MatchesJsonPath};
use super::string::StringMatcher;
use super::xml::{EqualToXml, MatchesXPath};
use super::{PatternError, Result, as_str};
use serde_json::Value;

/// One body pattern.
#[derive(Debug, Clone)]
pub enum BodyMatcher {
    /// A text matcher on the body (an empty body is a missing one).
    Text(StringMatcher),
    /// `equalToJson`.
    EqualToJson(EqualToJson),
    /// `matchesJsonPath`.
    JsonPath(MatchesJsonPath),
    /// `equalToXml`.
    EqualToXml(EqualToXml),
    /// `matchesXPath`.
    XPath(MatchesXPath),
    /// `binaryEqualTo`: these bytes exactly.
    Binary(Vec<u8>),
}

/// Keys that modify a body matcher rather than name one.
const MODIFIERS: [&str; 4] = [
    "ignoreArrayOrder",
    "ignoreExtraElements",
    "enablePlaceholders",
    "xPathNamespaces",
];

impl BodyMatcher {
    /// Parses one body pattern; `pointer` locates it.
    pub fn parse(v: &Value, pointer: &str) -> Result<BodyMatcher> {
        let obj = v
            .as_object()
            .ok_or_else(|| PatternError::new(pointer, "expected a body pattern object"))?;
        if let Some(json) = obj.get("equalToJson") {
            return EqualToJson::parse(json, obj, pointer).map(BodyMatcher::EqualToJson);
        }
        if let Some(jp) = obj.get("matchesJsonPath") {
            return MatchesJsonPath::parse(jp, pointer).map(BodyMatcher::JsonPath);
        }
        if let Some(xml) = obj.get("equalToXml") {
            return EqualToXml::parse(xml, obj, pointer).map(BodyMatcher::EqualToXml);
        }
        if let Some(xp) = obj.get("matchesXPath") {
            return MatchesXPath::parse(xp, obj, pointer).map(BodyMatcher::XPath);
        }
        if let Some(b) = obj.get("binaryEqualTo") {
            let at = format!("{pointer}/binaryEqualTo");
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(as_str(b, &at)?)
                .map_err(|e| PatternError::new(&at, format!("not base64: {e}")))?;
            return Ok(BodyMatcher::Binary(bytes));
        }
        StringMatcher::parse_object(obj, pointer, &MODIFIERS).map(BodyMatcher::Text)
    }

    /// Whether `body` alone matches (as the body of a request).
    pub fn matches(&self, body: &[u8]) -> bool {
        let req = crate::request::Recorded {
            body: bytes::Bytes::copy_from_slice(body),
            ..crate::request::Recorded::new(http::Method::GET, "/")
        };
        self.matches_in(&RequestContext::new(&req))
    }

    /// Whether the request's body matches.
    pub fn matches_in(&self, ctx: &RequestContext<'_>) -> bool {
        match self {
            BodyMatcher::Binary(b) => b.as_slice() == ctx.req.body.as_ref(),
            // The body's JSON is read once for every stub that looks at it.
            BodyMatcher::Text(StringMatcher::JsonSchema(m)) => {
                m.matches_text(ctx.body_text(), ctx.body_json())
            }
            BodyMatcher::Text(m) => m.matches(Self::text(ctx, m)),
            BodyMatcher::EqualToJson(m) => m.matches(ctx.body_json()),
            BodyMatcher::JsonPath(m) => m.matches(ctx.body_json()),
            BodyMatcher::EqualToXml(m) => m.matches(ctx.body_xml()),
            BodyMatcher::XPath(m) => m.matches(ctx.body_xml()),
        }
    }

    /// The body for a text matcher: missing when empty for `absent`.
    fn text<'c>(ctx: &'c RequestContext<'_>, m: &StringMatcher) -> Option<&'c str> {
        let text = ctx.body_text();
        match m {
            StringMatcher::Absent(_) if text.is_empty() => None,
            _ => Some(text),
        }
    }

    /// How far the body is from matching, 0..1.
    pub fn distance(&self, ctx: &RequestContext<'_>) -> f64 {
        match self {
            BodyMatcher::Text(StringMatcher::JsonSchema(m)) => {
                m.distance_text(ctx.body_text(), ctx.body_json())
            }
            BodyMatcher::Text(m) => m.distance(Self::text(ctx, m)),
            _ => f64::from(u8::from(!self.matches_in(ctx))),
        }
    }
}
