//! WireMock's request matchers: a [`RequestPattern`] (method, URL, query,
//! headers, body, and our `service` extension) built from a mapping's
//! `request` JSON, and the small matchers it is made of.

use crate::request::Recorded;
use regex::Regex;
use serde_json::{Map, Value};
use std::fmt;

/// Why a pattern could not be built: a JSON pointer to the culprit and a
/// message, as WireMock's 422 reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub pointer: String,
    pub title: String,
}

impl PatternError {
    pub fn new(pointer: impl Into<String>, title: impl Into<String>) -> Self {
        PatternError {
            pointer: pointer.into(),
            title: title.into(),
        }
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pointer, self.title)
    }
}

type Result<T> = std::result::Result<T, PatternError>;

/// A regex that must match the whole value, as WireMock's do.
fn whole_regex(pattern: &str, pointer: &str) -> Result<Regex> {
    Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| PatternError::new(pointer, format!("invalid regex {pattern:?}: {e}")))
}

fn as_str<'a>(v: &'a Value, pointer: &str) -> Result<&'a str> {
    v.as_str()
        .ok_or_else(|| PatternError::new(pointer, "expected a string"))
}

/// One matcher on a text value: `{"equalTo": "x"}`, `{"contains": …}`,
/// `{"matches": …}`, `{"doesNotMatch": …}`, `{"doesNotContain": …}`,
/// `{"absent": true}`, with `caseInsensitive` for `equalTo`.
#[derive(Debug, Clone)]
pub enum StringMatcher {
    EqualTo {
        value: String,
        case_insensitive: bool,
    },
    Contains(String),
    DoesNotContain(String),
    Matches(Regex),
    DoesNotMatch(Regex),
    Absent(bool),
}

impl StringMatcher {
    pub fn parse(v: &Value, pointer: &str) -> Result<StringMatcher> {
        let obj = v.as_object().ok_or_else(|| {
            PatternError::new(
                pointer,
                "expected a matcher object such as {\"equalTo\": \"…\"}",
            )
        })?;
        let case_insensitive = match obj.get("caseInsensitive") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(PatternError::new(
                    format!("{pointer}/caseInsensitive"),
                    "expected true or false",
                ));
            }
        };
        let mut found = None;
        for (key, value) in obj {
            let at = format!("{pointer}/{key}");
            let m = match key.as_str() {
                "caseInsensitive" => continue,
                "equalTo" => StringMatcher::EqualTo {
                    value: as_str(value, &at)?.to_owned(),
                    case_insensitive,
                },
                "contains" => StringMatcher::Contains(as_str(value, &at)?.to_owned()),
                "doesNotContain" => StringMatcher::DoesNotContain(as_str(value, &at)?.to_owned()),
                "matches" => StringMatcher::Matches(whole_regex(as_str(value, &at)?, &at)?),
                "doesNotMatch" => {
                    StringMatcher::DoesNotMatch(whole_regex(as_str(value, &at)?, &at)?)
                }
                "absent" => StringMatcher::Absent(
                    value
                        .as_bool()
                        .ok_or_else(|| PatternError::new(&at, "expected true or false"))?,
                ),
                other => {
                    return Err(PatternError::new(
                        at,
                        format!(
                            "unsupported matcher {other:?} (supported: equalTo, contains, doesNotContain, matches, doesNotMatch, absent)"
                        ),
                    ));
                }
            };
            if found.replace(m).is_some() {
                return Err(PatternError::new(pointer, "one matcher per value"));
            }
        }
        found.ok_or_else(|| PatternError::new(pointer, "no matcher given"))
    }

    /// Matches one value.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            StringMatcher::EqualTo {
                value: want,
                case_insensitive: true,
            } => want.to_lowercase() == value.to_lowercase(),
            StringMatcher::EqualTo { value: want, .. } => want == value,
            StringMatcher::Contains(s) => value.contains(s.as_str()),
            StringMatcher::DoesNotContain(s) => !value.contains(s.as_str()),
            StringMatcher::Matches(r) => r.is_match(value),
            StringMatcher::DoesNotMatch(r) => !r.is_match(value),
            StringMatcher::Absent(absent) => !absent,
        }
    }

    /// Matches a possibly absent, possibly multi-valued field: `absent`
    /// looks at presence, the others need one value that matches.
    pub fn matches_values(&self, values: &[String]) -> bool {
        match self {
            StringMatcher::Absent(absent) => values.is_empty() == *absent,
            _ => values.iter().any(|v| self.matches(v)),
        }
    }
}

/// How the URL is matched.
#[derive(Debug, Clone)]
pub enum UrlMatcher {
    Any,
    /// `url`: path and query, exactly.
    Url(String),
    /// `urlPattern`: path and query, by regex.
    UrlPattern(Regex),
    /// `urlPath`: path only, exactly.
    Path(String),
    /// `urlPathPattern` (and `urlPathTemplate`): path only, by regex.
    PathPattern(Regex),
}

/// One matcher on the body.
#[derive(Debug, Clone)]
pub enum BodyMatcher {
    Text(StringMatcher),
    EqualToJson {
        value: Value,
        ignore_array_order: bool,
        ignore_extra_elements: bool,
    },
    JsonPath {
        path: serde_json_path::JsonPath,
        expression: String,
        sub: Option<StringMatcher>,
    },
    Binary(Vec<u8>),
}

impl BodyMatcher {
    pub fn parse(v: &Value, pointer: &str) -> Result<BodyMatcher> {
        let obj = v
            .as_object()
            .ok_or_else(|| PatternError::new(pointer, "expected a body pattern object"))?;
        let flag = |name: &str| obj.get(name).and_then(Value::as_bool).unwrap_or(false);
        if let Some(json) = obj.get("equalToJson") {
            let at = format!("{pointer}/equalToJson");
            let value = match json {
                Value::String(s) => serde_json::from_str(s)
                    .map_err(|e| PatternError::new(&at, format!("not JSON: {e}")))?,
                other => other.clone(),
            };
            return Ok(BodyMatcher::EqualToJson {
                value,
                ignore_array_order: flag("ignoreArrayOrder"),
                ignore_extra_elements: flag("ignoreExtraElements"),
            });
        }
        if let Some(jp) = obj.get("matchesJsonPath") {
            let at = format!("{pointer}/matchesJsonPath");
            let (expression, sub) = match jp {
                Value::String(s) => (s.clone(), None),
                Value::Object(o) => {
                    let expr = o
                        .get("expression")
                        .and_then(Value::as_str)
                        .ok_or_else(|| {
                            PatternError::new(
                                format!("{at}/expression"),
                                "expected a JSONPath string",
                            )
                        })?
                        .to_owned();
                    let mut rest: Map<String, Value> = o.clone();
                    rest.remove("expression");
                    (expr, Some(StringMatcher::parse(&Value::Object(rest), &at)?))
                }
                _ => {
                    return Err(PatternError::new(
                        at,
                        "expected a JSONPath string or {\"expression\": …, matcher}",
                    ));
                }
            };
            let path = serde_json_path::JsonPath::parse(&expression).map_err(|e| {
                PatternError::new(&at, format!("invalid JSONPath {expression:?}: {e}"))
            })?;
            return Ok(BodyMatcher::JsonPath {
                path,
                expression,
                sub,
            });
        }
        if let Some(b) = obj.get("binaryEqualTo") {
            let at = format!("{pointer}/binaryEqualTo");
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(as_str(b, &at)?)
                .map_err(|e| PatternError::new(&at, format!("not base64: {e}")))?;
            return Ok(BodyMatcher::Binary(bytes));
        }
        for unsupported in ["equalToXml", "matchesXPath"] {
            if obj.contains_key(unsupported) {
                return Err(PatternError::new(
                    format!("{pointer}/{unsupported}"),
                    format!("{unsupported} is not supported"),
                ));
            }
        }
        Ok(BodyMatcher::Text(StringMatcher::parse(v, pointer)?))
    }

    pub fn matches(&self, body: &[u8]) -> bool {
        match self {
            BodyMatcher::Binary(b) => b.as_slice() == body,
            BodyMatcher::Text(m) => match m {
                StringMatcher::Absent(absent) => body.is_empty() == *absent,
                _ => m.matches(&String::from_utf8_lossy(body)),
            },
            BodyMatcher::EqualToJson {
                value,
                ignore_array_order,
                ignore_extra_elements,
            } => serde_json::from_slice::<Value>(body).is_ok_and(|actual| {
                json_equal(value, &actual, *ignore_array_order, *ignore_extra_elements)
            }),
            BodyMatcher::JsonPath {
                path,
                expression,
                sub,
            } => {
                let Ok(doc) = serde_json::from_slice::<Value>(body) else {
                    return false;
                };
                let mut nodes: Vec<Value> = path.query(&doc).all().into_iter().cloned().collect();
                // Jayway (WireMock's JSONPath) applies a filter at the root to
                // the root object itself; RFC 9535 to its members.
                if nodes.is_empty() && doc.is_object() && expression.trim_start().starts_with("$[?")
                {
                    let wrapped = Value::Array(vec![doc.clone()]);
                    nodes = path.query(&wrapped).all().into_iter().cloned().collect();
                }
                match sub {
                    None => !nodes.is_empty(),
                    Some(m) => {
                        let texts: Vec<String> = nodes
                            .iter()
                            .map(|n| match n {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            })
                            .collect();
                        m.matches_values(&texts)
                    }
                }
            }
        }
    }
}

/// JSON equality with WireMock's two relaxations.
pub fn json_equal(want: &Value, got: &Value, ignore_order: bool, ignore_extra: bool) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            (ignore_extra || w.len() == g.len())
                && w.iter().all(|(k, wv)| {
                    g.get(k)
                        .is_some_and(|gv| json_equal(wv, gv, ignore_order, ignore_extra))
                })
        }
        (Value::Array(w), Value::Array(g)) => {
            if !ignore_extra && w.len() != g.len() {
                return false;
            }
            if ignore_order {
                let mut used = vec![false; g.len()];
                w.iter().all(|wv| {
                    let found = g.iter().enumerate().find(|(i, gv)| {
                        !used[*i] && json_equal(wv, gv, ignore_order, ignore_extra)
                    });
                    found.map(|(i, _)| used[i] = true).is_some()
                })
            } else if ignore_extra {
                // Elements in order, extra ones allowed at the end.
                w.len() <= g.len()
                    && w.iter()
                        .zip(g)
                        .all(|(wv, gv)| json_equal(wv, gv, ignore_order, ignore_extra))
            } else {
                w.iter()
                    .zip(g)
                    .all(|(wv, gv)| json_equal(wv, gv, ignore_order, ignore_extra))
            }
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => want == got,
    }
}

/// A request pattern: a mapping's `request`, or the body of
/// `/__admin/requests/count` and `/find`.
#[derive(Debug, Clone)]
pub struct RequestPattern {
    /// Our extension: only requests to this service, matched on the
    /// service-relative path.
    pub service: Option<String>,
    pub method: Option<String>,
    pub url: UrlMatcher,
    pub query: Vec<(String, StringMatcher)>,
    pub headers: Vec<(String, StringMatcher)>,
    pub body: Vec<BodyMatcher>,
}

const URL_KEYS: [&str; 5] = [
    "url",
    "urlPattern",
    "urlPath",
    "urlPathPattern",
    "urlPathTemplate",
];

impl RequestPattern {
    /// A pattern matching every request.
    pub fn any() -> RequestPattern {
        RequestPattern {
            service: None,
            method: None,
            url: UrlMatcher::Any,
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Parses WireMock's request JSON; `pointer` locates it (`/request`).
    pub fn parse(v: &Value, pointer: &str) -> Result<RequestPattern> {
        let obj = v
            .as_object()
            .ok_or_else(|| PatternError::new(pointer, "expected a request pattern object"))?;
        let mut p = RequestPattern::any();
        let mut url_keys = 0;
        for (key, value) in obj {
            let at = format!("{pointer}/{key}");
            match key.as_str() {
                "service" => p.service = Some(as_str(value, &at)?.to_owned()),
                "method" => {
                    let m = as_str(value, &at)?;
                    if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
                        return Err(PatternError::new(at, format!("invalid method {m:?}")));
                    }
                    let m = m.to_ascii_uppercase();
                    p.method = (m != "ANY").then_some(m);
                }
                "url" => p.url = UrlMatcher::Url(as_str(value, &at)?.to_owned()),
                "urlPattern" => {
                    p.url = UrlMatcher::UrlPattern(whole_regex(as_str(value, &at)?, &at)?)
                }
                "urlPath" => p.url = UrlMatcher::Path(as_str(value, &at)?.to_owned()),
                "urlPathPattern" => {
                    p.url = UrlMatcher::PathPattern(whole_regex(as_str(value, &at)?, &at)?)
                }
                "urlPathTemplate" => {
                    p.url = UrlMatcher::PathPattern(template_regex(as_str(value, &at)?, &at)?)
                }
                "queryParameters" => p.query = named_matchers(value, &at)?,
                "headers" => p.headers = named_matchers(value, &at)?,
                "bodyPatterns" => {
                    let list = value.as_array().ok_or_else(|| {
                        PatternError::new(&at, "expected a list of body patterns")
                    })?;
                    p.body = list
                        .iter()
                        .enumerate()
                        .map(|(i, b)| BodyMatcher::parse(b, &format!("{at}/{i}")))
                        .collect::<Result<_>>()?;
                }
                // Accepted and not used for matching.
                "cookies"
                | "basicAuthCredentials"
                | "multipartPatterns"
                | "customMatcher"
                | "scheme"
                | "host"
                | "port"
                | "formParameters"
                | "pathParameters" => {
                    if !value.is_null() && value != &Value::Object(Map::new()) {
                        return Err(PatternError::new(
                            at,
                            format!("{key} matching is not supported"),
                        ));
                    }
                }
                other => {
                    return Err(PatternError::new(
                        at,
                        format!("unknown request field {other:?}"),
                    ));
                }
            }
            if URL_KEYS.contains(&key.as_str()) {
                url_keys += 1;
            }
        }
        if url_keys > 1 {
            return Err(PatternError::new(
                pointer,
                "give one of url, urlPattern, urlPath, urlPathPattern, urlPathTemplate",
            ));
        }
        Ok(p)
    }

    /// Whether `req` matches.
    pub fn matches(&self, req: &Recorded) -> bool {
        if let Some(m) = &self.method
            && req.method.as_str() != m
        {
            return false;
        }
        let Some(path) = req.path_for(self.service.as_deref()) else {
            return false;
        };
        let url_ok = match &self.url {
            UrlMatcher::Any => true,
            UrlMatcher::Url(u) => crate::request::with_query(path, req.query.as_deref()) == *u,
            UrlMatcher::UrlPattern(r) => {
                r.is_match(&crate::request::with_query(path, req.query.as_deref()))
            }
            UrlMatcher::Path(p) => path == p,
            UrlMatcher::PathPattern(r) => r.is_match(path),
        };
        if !url_ok {
            return false;
        }
        if !self.query.is_empty() {
            let params = req.query_params();
            for (name, m) in &self.query {
                let values: Vec<String> = params
                    .iter()
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .collect();
                if !m.matches_values(&values) {
                    return false;
                }
            }
        }
        for (name, m) in &self.headers {
            if !m.matches_values(&req.header_values(name)) {
                return false;
            }
        }
        self.body.iter().all(|b| b.matches(&req.body))
    }
}

fn named_matchers(v: &Value, pointer: &str) -> Result<Vec<(String, StringMatcher)>> {
    let obj = v
        .as_object()
        .ok_or_else(|| PatternError::new(pointer, "expected an object of name → matcher"))?;
    obj.iter()
        .map(|(name, m)| {
            Ok((
                name.clone(),
                StringMatcher::parse(m, &format!("{pointer}/{name}"))?,
            ))
        })
        .collect()
}

/// `/users/{id}` → a regex where each `{param}` is one path segment.
fn template_regex(template: &str, pointer: &str) -> Result<Regex> {
    let mut re = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        re.push_str(&regex::escape(&rest[..start]));
        let end = rest[start..]
            .find('}')
            .ok_or_else(|| PatternError::new(pointer, "unclosed { in path template"))?;
        re.push_str("[^/]+");
        rest = &rest[start + end + 1..];
    }
    re.push_str(&regex::escape(rest));
    whole_regex(&re, pointer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};
    use serde_json::json;
    use std::time::SystemTime;

    fn req(
        method: Method,
        path: &str,
        query: Option<&str>,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Recorded {
        let mut h = HeaderMap::new();
        for (n, v) in headers {
            h.append(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        Recorded {
            method,
            path: path.to_owned(),
            query: query.map(str::to_owned),
            headers: h,
            body: Bytes::from(body.to_owned()),
            service: path.starts_with("/svc").then(|| ("svc".into(), 4)),
            client: None,
            received_at: SystemTime::now(),
            version: http::Version::HTTP_11,
            secure: false,
        }
    }

    fn pattern(v: Value) -> RequestPattern {
        RequestPattern::parse(&v, "/request").unwrap()
    }

    fn get(path: &str, query: Option<&str>) -> Recorded {
        req(Method::GET, path, query, &[], "")
    }

    #[test]
    fn url_matchers_follow_wiremock() {
        let r = get("/a/b", Some("x=1"));
        assert!(pattern(json!({"url": "/a/b?x=1"})).matches(&r));
        assert!(
            !pattern(json!({"url": "/a/b"})).matches(&r),
            "url includes the query"
        );
        assert!(pattern(json!({"urlPath": "/a/b"})).matches(&r));
        assert!(pattern(json!({"urlPattern": "/a/.*\\?x=\\d"})).matches(&r));
        assert!(
            !pattern(json!({"urlPathPattern": "/a"})).matches(&r),
            "regexes match the whole value"
        );
        assert!(pattern(json!({"urlPathPattern": "/a/[a-z]+"})).matches(&r));
        assert!(pattern(json!({"urlPathTemplate": "/a/{id}"})).matches(&r));
        assert!(!pattern(json!({"urlPathTemplate": "/{id}"})).matches(&r));
    }

    #[test]
    fn method_and_any() {
        let r = req(Method::POST, "/x", None, &[], "");
        assert!(pattern(json!({"method": "POST"})).matches(&r));
        assert!(pattern(json!({"method": "ANY"})).matches(&r));
        assert!(!pattern(json!({"method": "GET"})).matches(&r));
    }

    #[test]
    fn service_scoping_uses_the_service_relative_path() {
        let r = get("/svc/users", None);
        assert!(pattern(json!({"service": "svc", "urlPath": "/users"})).matches(&r));
        assert!(!pattern(json!({"service": "svc", "urlPath": "/svc/users"})).matches(&r));
        assert!(!pattern(json!({"service": "other", "urlPath": "/users"})).matches(&r));
        assert!(
            pattern(json!({"urlPath": "/svc/users"})).matches(&r),
            "no service: path as received"
        );
    }

    #[test]
    fn query_and_header_matchers() {
        let r = req(
            Method::GET,
            "/q",
            Some("a=1&a=2&name=J%C3%B6rg"),
            &[("X-Token", "Secret"), ("Accept", "a/b")],
            "",
        );
        assert!(
            pattern(json!({"queryParameters": {"a": {"equalTo": "2"}}})).matches(&r),
            "any value"
        );
        assert!(pattern(json!({"queryParameters": {"name": {"equalTo": "Jörg"}}})).matches(&r));
        assert!(pattern(json!({"queryParameters": {"b": {"absent": true}}})).matches(&r));
        assert!(!pattern(json!({"queryParameters": {"a": {"absent": true}}})).matches(&r));
        assert!(
            pattern(
                json!({"headers": {"x-token": {"equalTo": "secret", "caseInsensitive": true}}})
            )
            .matches(&r)
        );
        assert!(!pattern(json!({"headers": {"x-token": {"equalTo": "secret"}}})).matches(&r));
        assert!(pattern(json!({"headers": {"Accept": {"contains": "/"}}})).matches(&r));
        assert!(pattern(json!({"headers": {"Accept": {"matches": "[a-z]/[a-z]"}}})).matches(&r));
        assert!(pattern(json!({"headers": {"Accept": {"doesNotMatch": "x.*"}}})).matches(&r));
        assert!(pattern(json!({"headers": {"Missing": {"absent": true}}})).matches(&r));
        assert!(!pattern(json!({"headers": {"Missing": {"equalTo": "x"}}})).matches(&r));
    }

    #[test]
    fn body_matchers() {
        let body = r#"{"user":{"name":"ann","tags":["a","b"]},"total":7}"#;
        let r = req(Method::POST, "/b", None, &[], body);
        let m = |v: Value| pattern(json!({"bodyPatterns": [v]})).matches(&r);
        assert!(m(json!({"contains": "\"ann\""})));
        assert!(m(json!({"matches": ".*total.*"})));
        assert!(!m(json!({"equalTo": "nope"})));
        assert!(m(
            json!({"equalToJson": {"total": 7, "user": {"tags": ["a", "b"], "name": "ann"}}})
        ));
        assert!(m(
            json!({"equalToJson": "{\"total\": 7.0, \"user\": {\"name\": \"ann\", \"tags\": [\"a\", \"b\"]}}"})
        ));
        assert!(!m(json!({"equalToJson": {"total": 7}})));
        assert!(m(
            json!({"equalToJson": {"total": 7}, "ignoreExtraElements": true})
        ));
        assert!(!m(
            json!({"equalToJson": {"user": {"name": "ann", "tags": ["b", "a"]}, "total": 7}})
        ));
        assert!(m(
            json!({"equalToJson": {"user": {"name": "ann", "tags": ["b", "a"]}, "total": 7}, "ignoreArrayOrder": true})
        ));
        assert!(m(json!({"matchesJsonPath": "$.user.name"})));
        assert!(!m(json!({"matchesJsonPath": "$.user.age"})));
        assert!(m(json!({"matchesJsonPath": "$.user.tags[?(@ == 'b')]"})));
        assert!(
            m(json!({"matchesJsonPath": "$[?(@.total > 5)]"})),
            "a root filter applies to the root object"
        );
        assert!(m(
            json!({"matchesJsonPath": {"expression": "$.user.name", "equalTo": "ann"}})
        ));
        assert!(!m(
            json!({"matchesJsonPath": {"expression": "$.user.name", "equalTo": "bob"}})
        ));
        assert!(m(
            json!({"binaryEqualTo": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, body)})
        ));
    }

    #[test]
    fn bad_patterns_name_the_field() {
        let err = |v: Value| RequestPattern::parse(&v, "/request").unwrap_err();
        assert_eq!(
            err(json!({"urlPattern": "("})).pointer,
            "/request/urlPattern"
        );
        assert_eq!(err(json!({"method": 5})).pointer, "/request/method");
        assert_eq!(
            err(json!({"headers": {"a": {"sortOf": "x"}}})).pointer,
            "/request/headers/a/sortOf"
        );
        assert_eq!(
            err(json!({"bodyPatterns": [{"equalToXml": "<a/>"}]})).pointer,
            "/request/bodyPatterns/0/equalToXml"
        );
        assert_eq!(
            err(json!({"bodyPatterns": [{"matchesJsonPath": "$[["}]})).pointer,
            "/request/bodyPatterns/0/matchesJsonPath"
        );
        assert_eq!(
            err(json!({"url": "/a", "urlPath": "/a"})).pointer,
            "/request"
        );
        assert_eq!(err(json!({"nonsense": 1})).pointer, "/request/nonsense");
        assert_eq!(err(json!("GET /")).pointer, "/request");
    }
}
