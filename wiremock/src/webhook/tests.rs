use super::*;
use serde_json::json;

/// The one webhook of `serveEventListeners: [{name: webhook, parameters}]`.
fn webhook(parameters: Value) -> Webhook {
    let listeners = parse(
        Some(&json!([{"name": "webhook", "parameters": parameters}])),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    match listeners.into_iter().next() {
        Some(ServeListener::Webhook(w)) => *w,
        other => panic!("not a webhook: {other:?}"),
    }
}

/// Where the webhook with `parameters` is refused.
fn refused(parameters: Value) -> String {
    parse(
        Some(&json!([{"name": "webhook", "parameters": parameters}])),
        None,
    )
    .unwrap_err()
    .pointer
}

fn request() -> Recorded {
    let mut headers = http::HeaderMap::new();
    headers.insert("x-req", HeaderValue::from_static("r1"));
    Recorded {
        query: Some("id=42".into()),
        headers,
        body: Bytes::from_static(b"{\"n\": 5}"),
        ..Recorded::new(Method::POST, "/orders/7")
    }
}

#[test]
fn a_webhook_renders_its_url_headers_and_body_against_the_original_request() {
    let w = webhook(json!({
        "method": "PUT",
        "url": "http://127.0.0.1:9/cb/{{originalRequest.query.id}}",
        "headers": {"X-Id": "{{originalRequest.headers.X-Req}}", "X-Multi": ["a", "b"],
                    "X-P": "{{parameters.method}} {{parameters.extra}}"},
        "body": "got {{originalRequest.body}} {{jsonPath originalRequest.body '$.n'}} {{originalRequest.pathSegments.[1]}}",
        "extra": "E"
    }));
    let call = w.render(&request(), None, None).unwrap();
    assert_eq!(call.method, Method::PUT);
    assert_eq!(call.url, "http://127.0.0.1:9/cb/42");
    let headers: Vec<(&str, &str)> = call
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
        .collect();
    assert_eq!(
        headers,
        [
            ("x-id", "r1"),
            ("x-multi", "a"),
            ("x-multi", "b"),
            ("x-p", "PUT E")
        ]
    );
    assert_eq!(call.body.as_deref(), Some(&b"got {\"n\": 5} 5 7"[..]));
}

#[test]
fn a_webhook_is_a_get_without_a_body_by_default_and_only_post_put_patch_carry_one() {
    let w = webhook(json!({"url": "http://h/x", "body": "b"}));
    let call = w.render(&request(), None, None).unwrap();
    assert_eq!((call.method, call.body), (Method::GET, None));
    for (method, carries) in [
        ("POST", true),
        ("PATCH", true),
        ("DELETE", false),
        ("post", false),
    ] {
        let w = webhook(json!({"url": "http://h/x", "method": method, "body": "b"}));
        let body = w.render(&request(), None, None).unwrap().body;
        assert_eq!(body.is_some(), carries, "{method}");
    }
}

#[test]
fn a_base64_body_is_its_bytes() {
    let w = webhook(json!({"url": "http://h/x", "method": "POST", "base64Body": "AP8K"}));
    let call = w.render(&request(), None, None).unwrap();
    assert_eq!(call.body.as_deref(), Some(&[0u8, 255, 10][..]));
}

#[test]
fn delays_are_wiremocks_distributions() {
    let delay = |d: Value| webhook(json!({"url": "http://h/x", "delay": d})).delay;
    assert_eq!(
        delay(json!({"type": "fixed", "milliseconds": 250})),
        Delay::Fixed(std::time::Duration::from_millis(250))
    );
    assert_eq!(
        delay(json!({"type": "uniform", "lower": 5, "upper": 9})),
        Delay::Uniform { lower: 5, upper: 9 }
    );
    assert!(matches!(
        delay(json!({"type": "lognormal", "median": 80, "sigma": 0.4})),
        Delay::LogNormal { .. }
    ));
    assert_eq!(webhook(json!({"url": "http://h/x"})).delay, Delay::None);
}

#[test]
fn a_bad_webhook_is_refused_with_the_pointer_of_its_fault() {
    let at = "/serveEventListeners/0/parameters";
    assert_eq!(refused(json!({"method": "POST"})), format!("{at}/url"));
    assert_eq!(
        refused(json!({"url": "http://h/x", "method": "NOT A METHOD"})),
        format!("{at}/method")
    );
    assert_eq!(
        refused(json!({"url": "http://h/x", "delay": {"type": "nope"}})),
        format!("{at}/delay/type")
    );
    assert_eq!(
        refused(json!({"url": "http://h/x", "delay": {"type": "uniform", "lower": 9, "upper": 1}})),
        format!("{at}/delay/upper")
    );
    assert_eq!(
        refused(json!({"url": "http://h/x", "body": "t", "base64Body": "AP8K"})),
        at
    );
    assert_eq!(
        refused(json!({"url": "http://h/x", "base64Body": "!!"})),
        format!("{at}/base64Body")
    );
    assert_eq!(refused(json!({"url": "/just/path"})), format!("{at}/url"));
    assert_eq!(refused(json!({"url": "https://h/x"})), format!("{at}/url"));
    assert_eq!(
        refused(json!({"url": "http://h/{{#if}}"})),
        format!("{at}/url")
    );
    assert_eq!(
        refused(json!({"url": "http://h/x", "headers": {"X-A": "{{#each}}"}})),
        format!("{at}/headers/x-a")
    );
    assert_eq!(
        refused(json!({"url": "http://h/x", "body": {"a": 1}})),
        format!("{at}/body")
    );
    let none = parse(Some(&json!([{"name": "webhook"}])), None).unwrap_err();
    assert_eq!(none.pointer, at);
}

#[test]
fn the_older_post_serve_actions_forms_give_the_same_webhook() {
    let parameters = json!({"url": "http://h/x", "method": "POST", "body": "b"});
    for actions in [
        json!([{"name": "webhook", "parameters": parameters}]),
        json!({"webhook": parameters}),
    ] {
        let listeners = parse(None, Some(&actions)).unwrap();
        let [ServeListener::Webhook(w)] = &listeners[..] else {
            panic!("{listeners:?}");
        };
        let call = w.render(&request(), None, None).unwrap();
        assert_eq!(call.body.as_deref(), Some(&b"b"[..]));
    }
    let bad = parse(None, Some(&json!({"webhook": {"method": "POST"}}))).unwrap_err();
    assert_eq!(bad.pointer, "/postServeActions/webhook/url");
}

#[test]
fn other_listeners_are_kept_unknown_and_phases_without_after_complete_never_run() {
    let listeners = parse(
        Some(&json!([
            {"name": "nosuch", "parameters": {}},
            {"name": "webhook", "requestPhases": ["BEFORE_MATCH"], "parameters": {"url": "http://h/a"}},
            {"name": "webhook", "requestPhases": ["AFTER_MATCH", "AFTER_COMPLETE"], "parameters": {"url": "http://h/b"}},
        ])),
        None,
    )
    .unwrap();
    assert_eq!(listeners.len(), 2, "{listeners:?}");
    assert!(matches!(&listeners[0], ServeListener::Unknown(n) if n == "nosuch"));
    assert!(matches!(&listeners[1], ServeListener::Webhook(_)));
}

#[test]
fn a_url_rendered_to_something_that_is_not_http_is_an_error_at_render() {
    let w = webhook(json!({"url": "{{originalRequest.path}}"}));
    let e = w.render(&request(), None, None).unwrap_err();
    assert!(e.contains("not an absolute http:// URL"), "{e}");
}

#[test]
fn a_stub_keeps_its_listeners_and_stores_post_serve_actions_as_a_list() {
    let stub = crate::stub::parse_mapping(
        &json!({"request": {"urlPath": "/x"},
                "postServeActions": {"webhook": {"url": "http://h/x"}}}),
        0,
        None,
    )
    .unwrap();
    assert_eq!(stub.listeners.len(), 1);
    assert_eq!(
        stub.json["postServeActions"],
        json!([{"name": "webhook", "parameters": {"url": "http://h/x"}}])
    );
}
