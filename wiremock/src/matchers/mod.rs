//! WireMock's request matchers: a [`RequestPattern`] (method, URL, path
//! parameters, query, headers, basic auth, cookies, form parameters, body,
//! and our `service` extension) parsed once from a mapping's `request`
//! JSON into a tree of small matchers, and matched against a
//! [`RequestContext`] that works out each view of the request (query,
//! cookies, JSON body…) once however many stubs look at it.
//!
//! Matching answers yes or no on the hot path; the distance (0..1, as
//! WireMock ranks near misses) is computed only when asked.

mod auth;
mod body;
mod context;
mod date;
mod json;
mod logic;
mod multi;
pub mod near_miss;
mod schema;
mod string;
mod url;
mod xml;

pub use auth::BasicAuth;
pub use body::BodyMatcher;
pub use context::RequestContext;
pub use json::json_equal;
pub use multi::MultiMatcher;
pub use schema::{MatchesJsonSchema, SchemaVersion};
pub use string::StringMatcher;
pub use url::{PathParams, PathTemplate, UrlMatcher};

use crate::request::Recorded;
use crate::shapes::request::RequestPatternJson;
use regex::Regex;
use serde_json::{Map, Value};

pub use crate::shapes::PatternError;

type Result<T> = std::result::Result<T, PatternError>;

/// Something a received request matches or not, and how far it is from
/// matching (0: a match, up to 1).
pub trait Match {
    /// Whether the request matches.
    fn matches(&self, ctx: &RequestContext<'_>) -> bool;
    /// How far the request is from matching, 0..1.
    fn distance(&self, ctx: &RequestContext<'_>) -> f64;
}

/// A regex that must match the whole value, as WireMock's do.
fn whole_regex(pattern: &str, pointer: &str) -> Result<Regex> {
    Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| PatternError::new(pointer, format!("invalid regex {pattern:?}: {e}")))
}

/// The pattern a [`whole_regex`] was made from.
fn regex_source(r: &Regex) -> &str {
    let s = r.as_str();
    s.strip_prefix("^(?:")
        .and_then(|s| s.strip_suffix(")$"))
        .unwrap_or(s)
}

fn as_str<'a>(v: &'a Value, pointer: &str) -> Result<&'a str> {
    v.as_str()
        .ok_or_else(|| PatternError::new(pointer, "expected a string"))
}

/// The longest text (in characters) whose Levenshtein distance is worked
/// out: the cost grows with the product of the two lengths, and a near
/// miss is computed for every stub on each unanswered request.
pub const MAX_DISTANCE_CHARS: usize = 2048;

/// An expression matcher's value: `"expr"`, or `{"expression": "expr",
/// <string matcher>}` applied to what the expression selects (`kind` names
/// the language in errors, e.g. "JSONPath").
fn expression_and_matcher(
    v: &Value,
    at: &str,
    kind: &str,
) -> Result<(String, Option<StringMatcher>)> {
    match v {
        Value::String(s) => Ok((s.clone(), None)),
        Value::Object(o) => {
            let expression = o
                .get("expression")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    PatternError::new(
                        format!("{at}/expression"),
                        format!("expected {kind} string"),
                    )
                })?
                .to_owned();
            let mut rest = o.clone();
            rest.remove("expression");
            Ok((
                expression,
                Some(StringMatcher::parse(&Value::Object(rest), at)?),
            ))
        }
        _ => Err(PatternError::new(
            at,
            format!("expected {kind} string or {{\"expression\": …, matcher}}"),
        )),
    }
}

/// Levenshtein distance over the longer length, as WireMock's
/// `normalisedLevenshteinDistance`; texts longer than
/// [`MAX_DISTANCE_CHARS`] are 0 when equal and 1 otherwise.
fn levenshtein_distance(a: &str, b: &str) -> f64 {
    let longest = a.chars().count().max(b.chars().count());
    if longest == 0 || a == b {
        return 0.0;
    }
    if longest > MAX_DISTANCE_CHARS {
        return 1.0;
    }
    strsim::levenshtein(a, b) as f64 / longest as f64
}

/// The mean of some distances; 0 for none.
fn mean(distances: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = distances.fold((0.0, 0usize), |(s, n), d| (s + d, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// A request pattern: a mapping's `request`, or the body of
/// `/__admin/requests/count`, `/find` and the near-miss endpoints.
#[derive(Debug, Clone)]
pub struct RequestPattern {
    /// Our extension: only requests to this service, matched on the
    /// service-relative path.
    pub service: Option<String>,
    pub method: Option<String>,
    pub url: UrlMatcher,
    pub path_params: PathParams,
    pub query: Vec<(String, MultiMatcher)>,
    pub headers: Vec<(String, MultiMatcher)>,
    pub basic_auth: Option<BasicAuth>,
    pub cookies: Vec<(String, StringMatcher)>,
    pub form: Vec<(String, MultiMatcher)>,
    pub body: Vec<BodyMatcher>,
}

/// WireMock's weights of the parts of a request in a distance: the URL,
/// host and port 10, method, scheme and client IP 3, the rest 1 each.
const URL_WEIGHT: f64 = 10.0;
const METHOD_WEIGHT: f64 = 3.0;
/// Scheme, host, port and client IP: always matched here.
const FIXED_WEIGHT: f64 = 3.0 + 10.0 + 10.0 + 3.0;
/// Path parameters, headers, query, form, cookies, body, multipart.
const REST_PARTS: f64 = 7.0;

impl RequestPattern {
    /// A pattern matching every request.
    pub fn any() -> RequestPattern {
        RequestPattern {
            service: None,
            method: None,
            url: UrlMatcher::Any,
            path_params: PathParams::default(),
            query: Vec::new(),
            headers: Vec::new(),
            basic_auth: None,
            cookies: Vec::new(),
            form: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Parses WireMock's request JSON; `pointer` locates it (`/request`).
    pub fn parse(v: &Value, pointer: &str) -> Result<RequestPattern> {
        crate::shapes::read::<RequestPatternJson>(v, pointer)?.into_pattern(pointer)
    }

    /// Whether `req` matches (a context of its own; to try many patterns
    /// on one request, make one [`RequestContext`] and use [`Match`]).
    pub fn matches(&self, req: &Recorded) -> bool {
        Match::matches(self, &RequestContext::new(req))
    }

    /// Whether a request of `method` to `path` (resolved to `service` as
    /// [`Recorded::service`] keeps it) could match whatever its query,
    /// headers, cookies and body: `false` only when its method, service or
    /// path rule it out (a `urlPattern`, which may look at the query, never
    /// does).
    pub fn could_match_route(
        &self,
        method: &str,
        path: &str,
        service: Option<(&str, usize)>,
    ) -> bool {
        if let Some(m) = &self.method
            && method != m
        {
            return false;
        }
        let Some(path) = crate::request::path_for(path, service, self.service.as_deref()) else {
            return false;
        };
        let url = match &self.url {
            UrlMatcher::Url(u) => u.split_once('?').map_or(u.as_str(), |(p, _)| p) == path,
            UrlMatcher::UrlPattern(_) => true,
            other => other.matches(path, None),
        };
        url && self.path_params.matches(self.template(), path)
    }

    /// Its `urlPathTemplate`, if it has one.
    pub fn template(&self) -> Option<&PathTemplate> {
        match &self.url {
            UrlMatcher::Template(t) => Some(t),
            _ => None,
        }
    }

    /// Header matchers with the basic-auth one.
    fn all_headers(&self) -> impl Iterator<Item = (&str, &MultiMatcher)> {
        self.headers
            .iter()
            .map(|(n, m)| (n.as_str(), m))
            .chain(self.basic_auth.iter().map(|a| ("Authorization", &a.header)))
    }

    fn cookie_matches(m: &StringMatcher, values: &[&str]) -> bool {
        if values.is_empty() {
            m.is_absent()
        } else {
            values.iter().any(|v| m.matches(Some(v)))
        }
    }

    fn cookie_distance(m: &StringMatcher, values: &[&str]) -> f64 {
        if values.is_empty() {
            f64::from(u8::from(!m.is_absent()))
        } else {
            values
                .iter()
                .map(|v| m.distance(Some(v)))
                .fold(1.0, f64::min)
        }
    }

    /// Distances of the parts after method and URL, in WireMock's order.
    fn rest_distances(&self, ctx: &RequestContext<'_>, path: &str) -> [f64; 7] {
        let headers = mean(
            self.all_headers()
                .map(|(n, m)| m.distance(&ctx.header_values(n))),
        );
        let query = mean(
            self.query
                .iter()
                .map(|(n, m)| m.distance(&RequestContext::values(ctx.query(), n))),
        );
        let form = mean(
            self.form
                .iter()
                .map(|(n, m)| m.distance(&RequestContext::values(ctx.form(), n))),
        );
        let cookies = mean(
            self.cookies
                .iter()
                .map(|(n, m)| Self::cookie_distance(m, &RequestContext::values(ctx.cookies(), n))),
        );
        let body = mean(self.body.iter().map(|b| b.distance(ctx)));
        [
            self.path_params.distance(self.template(), path),
            headers,
            query,
            form,
            cookies,
            body,
            0.0,
        ]
    }

    /// What differs between the pattern and the request, in words
    /// (`method`, `url`, `header X-A`, `body`…), for the 404 body.
    pub fn differences(&self, ctx: &RequestContext<'_>) -> Vec<String> {
        let req = ctx.req;
        let mut out = Vec::new();
        if let Some(m) = &self.method
            && req.method.as_str() != m
        {
            out.push(format!("method: expected {m}, got {}", req.method));
        }
        let Some(path) = req.path_for(self.service.as_deref()) else {
            out.push(format!(
                "service: expected {}",
                self.service.as_deref().unwrap_or_default()
            ));
            return out;
        };
        if !self.url.matches(path, req.query.as_deref()) {
            out.push(format!("url: expected {}", self.url.describe()));
        }
        if !self.path_params.matches(self.template(), path) {
            out.push("path parameters".to_owned());
        }
        for (name, m) in self.all_headers() {
            if !m.matches(&ctx.header_values(name)) {
                out.push(format!("header {name}: expected {}", m.describe()));
            }
        }
        for (name, m) in &self.query {
            if !m.matches(&RequestContext::values(ctx.query(), name)) {
                out.push(format!("query parameter {name}: expected {}", m.describe()));
            }
        }
        for (name, m) in &self.form {
            if !m.matches(&RequestContext::values(ctx.form(), name)) {
                out.push(format!("form parameter {name}: expected {}", m.describe()));
            }
        }
        for (name, m) in &self.cookies {
            if !Self::cookie_matches(m, &RequestContext::values(ctx.cookies(), name)) {
                out.push(format!("cookie {name}: expected {}", m.describe()));
            }
        }
        if !self.body.iter().all(|b| b.matches_in(ctx)) {
            out.push("body".to_owned());
        }
        out
    }
}

impl Match for RequestPattern {
    fn matches(&self, ctx: &RequestContext<'_>) -> bool {
        let req = ctx.req;
        if let Some(m) = &self.method
            && req.method.as_str() != m
        {
            return false;
        }
        let Some(path) = req.path_for(self.service.as_deref()) else {
            return false;
        };
        if !self.url.matches(path, req.query.as_deref())
            || !self.path_params.matches(self.template(), path)
        {
            return false;
        }
        for (name, m) in self.all_headers() {
            if !m.matches(&ctx.header_values(name)) {
                return false;
            }
        }
        for (name, m) in &self.query {
            if !m.matches(&RequestContext::values(ctx.query(), name)) {
                return false;
            }
        }
        for (name, m) in &self.form {
            if !m.matches(&RequestContext::values(ctx.form(), name)) {
                return false;
            }
        }
        for (name, m) in &self.cookies {
            if !Self::cookie_matches(m, &RequestContext::values(ctx.cookies(), name)) {
                return false;
            }
        }
        self.body.iter().all(|b| b.matches_in(ctx))
    }

    /// WireMock's weighted mean: method and URL first; when they differ the
    /// rest is not looked at.
    fn distance(&self, ctx: &RequestContext<'_>) -> f64 {
        let req = ctx.req;
        let method = match &self.method {
            Some(m) if req.method.as_str() != m => 1.0,
            _ => 0.0,
        };
        let path = req.path_for(self.service.as_deref());
        let url = path.map_or(1.0, |p| self.url.distance(p, req.query.as_deref()));
        let first = METHOD_WEIGHT * method + URL_WEIGHT * url;
        let first_weight = FIXED_WEIGHT + METHOD_WEIGHT + URL_WEIGHT;
        let Some(path) = path.filter(|_| first == 0.0) else {
            return first / first_weight;
        };
        let rest: f64 = self.rest_distances(ctx, path).iter().sum();
        rest / (first_weight + REST_PARTS)
    }
}

fn named<T>(
    part: Option<Map<String, Value>>,
    pointer: &str,
    parse: fn(&Value, &str) -> Result<T>,
) -> Result<Vec<(String, T)>> {
    part.into_iter()
        .flatten()
        .map(|(name, m)| {
            let at = format!("{pointer}/{name}");
            Ok((name, parse(&m, &at)?))
        })
        .collect()
}

impl RequestPatternJson {
    /// The pattern the server runs; `pointer` locates this one in its
    /// document (`/request`, `/filters`, or the empty pointer of a whole
    /// body).
    pub fn into_pattern(self, pointer: &str) -> Result<RequestPattern> {
        let at = |field: &str| format!("{pointer}/{field}");
        let urls = [
            &self.url,
            &self.url_pattern,
            &self.url_path,
            &self.url_path_pattern,
            &self.url_path_template,
        ];
        if urls.iter().filter(|u| u.is_some()).count() > 1 {
            return Err(PatternError::new(
                pointer,
                "give one of url, urlPattern, urlPath, urlPathPattern, urlPathTemplate",
            ));
        }
        for (key, value) in [
            ("multipartPatterns", &self.multipart_patterns),
            ("customMatcher", &self.custom_matcher),
            ("scheme", &self.scheme),
            ("host", &self.host),
            ("port", &self.port),
        ] {
            let empty =
                |v: &Value| v == &Value::Object(Map::new()) || v == &Value::Array(Vec::new());
            if value.as_ref().is_some_and(|v| !empty(v)) {
                return Err(PatternError::new(
                    at(key),
                    format!("{key} matching is not supported"),
                ));
            }
        }
        let method = match self.method {
            None => None,
            Some(m) if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) => {
                return Err(PatternError::new(
                    at("method"),
                    format!("invalid method {m:?}"),
                ));
            }
            Some(m) => Some(m.to_ascii_uppercase()).filter(|m| m != "ANY"),
        };
        let url = if let Some(u) = self.url {
            UrlMatcher::Url(u)
        } else if let Some(p) = self.url_pattern {
            UrlMatcher::UrlPattern(whole_regex(&p, &at("urlPattern"))?)
        } else if let Some(p) = self.url_path {
            UrlMatcher::Path(p)
        } else if let Some(p) = self.url_path_pattern {
            UrlMatcher::PathPattern(whole_regex(&p, &at("urlPathPattern"))?)
        } else if let Some(t) = self.url_path_template {
            UrlMatcher::Template(PathTemplate::parse(&t, &at("urlPathTemplate"))?)
        } else {
            UrlMatcher::Any
        };
        let body = self
            .body_patterns
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, b)| BodyMatcher::parse(b, &format!("{}/{i}", at("bodyPatterns"))))
            .collect::<Result<_>>()?;
        Ok(RequestPattern {
            service: self.service,
            method,
            url,
            // As WireMock: without a template they are kept and not used;
            // a name the template lacks has no value (only `absent`
            // matches it).
            path_params: PathParams(named(
                self.path_parameters,
                &at("pathParameters"),
                StringMatcher::parse,
            )?),
            query: named(
                self.query_parameters,
                &at("queryParameters"),
                MultiMatcher::parse,
            )?,
            headers: named(self.headers, &at("headers"), MultiMatcher::parse)?,
            basic_auth: self.basic_auth_credentials.map(BasicAuth::from),
            cookies: named(self.cookies, &at("cookies"), StringMatcher::parse)?,
            form: named(
                self.form_parameters,
                &at("formParameters"),
                MultiMatcher::parse,
            )?,
            body,
        })
    }
}

#[cfg(test)]
mod tests;
