use super::*;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use serde_json::json;

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
        query: query.map(Into::into),
        headers: h,
        body: Bytes::from(body.to_owned()),
        service: path.starts_with("/svc").then(|| ("svc".into(), 4)),
        ..Recorded::new(method, path)
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
        pattern(json!({"headers": {"x-token": {"equalTo": "secret", "caseInsensitive": true}}}))
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
fn long_texts_are_not_measured_character_by_character() {
    let long = "a".repeat(MAX_DISTANCE_CHARS + 1);
    assert_eq!(levenshtein_distance(&long, &long), 0.0);
    assert_eq!(levenshtein_distance(&long, "a"), 1.0);
    assert_eq!(levenshtein_distance("abc", "abd"), 1.0 / 3.0);
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
        err(json!({"bodyPatterns": [{"equalToXml": "<a"}]})).pointer,
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
