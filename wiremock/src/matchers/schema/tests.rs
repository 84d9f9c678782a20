use super::*;
use crate::matchers::{BodyMatcher, RequestPattern, StringMatcher};
use serde_json::json;
use std::time::{Duration, Instant};

/// A `matchesJsonSchema` body pattern (with `schemaVersion` when given).
fn body(schema: Value, version: Option<&str>) -> BodyMatcher {
    let mut pattern = json!({"matchesJsonSchema": schema});
    if let Some(v) = version {
        pattern["schemaVersion"] = json!(v);
    }
    BodyMatcher::parse(&pattern, "/b").unwrap()
}

fn matches(schema: Value, version: Option<&str>, text: &str) -> bool {
    body(schema, version).matches(text.as_bytes())
}

/// The matcher itself, to look at distances.
fn schema(schema: Value) -> MatchesJsonSchema {
    match StringMatcher::parse(&json!({"matchesJsonSchema": schema}), "").unwrap() {
        StringMatcher::JsonSchema(m) => m,
        other => panic!("not a schema matcher: {other:?}"),
    }
}

/// The error of a request pattern with this body pattern.
fn refusal(pattern: Value) -> PatternError {
    RequestPattern::parse(&json!({"bodyPatterns": [pattern]}), "/request").unwrap_err()
}

fn person() -> Value {
    json!({
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}
    })
}

/// `[[[…"x"…]]]`, `depth` arrays deep.
fn nested(depth: usize) -> Value {
    (0..depth).fold(json!("x"), |v, _| json!([v]))
}

#[test]
fn a_body_valid_against_the_schema_matches() {
    assert!(matches(person(), None, r#"{"name": "ann", "age": 3}"#));
}

#[test]
fn a_body_invalid_against_the_schema_does_not_match() {
    assert!(!matches(person(), None, r#"{"age": 3}"#));
    assert!(!matches(person(), None, r#"{"name": "ann", "age": "x"}"#));
}

#[test]
fn a_schema_given_as_a_string_is_the_same_schema() {
    let text = person().to_string();
    assert!(matches(json!(text), None, r#"{"name": "ann"}"#));
    assert!(!matches(json!(text), None, r#"{"name": 1}"#));
}

#[test]
fn a_body_that_is_not_json_does_not_match() {
    assert!(!matches(person(), None, "name=ann"));
    assert!(!matches(person(), None, ""));
}

#[test]
fn a_body_that_is_not_json_is_validated_as_a_string() {
    // As WireMock: text that is not JSON is a JSON string.
    let short = json!({"type": "string", "maxLength": 3});
    assert!(matches(short.clone(), None, "abc"));
    assert!(!matches(short.clone(), None, "abcd"));
    assert!(matches(short, None, ""));
}

#[test]
fn a_scalar_that_fails_is_tried_again_as_the_string_it_was_written_as() {
    // A header `42` against a string schema matches, as in WireMock.
    let m = StringMatcher::parse(
        &json!({"matchesJsonSchema": {"type": "string", "maxLength": 4}}),
        "",
    )
    .unwrap();
    assert!(m.matches(Some("42")));
    assert!(m.matches(Some("true")));
    assert!(!m.matches(Some("12345")));
}

#[test]
fn a_missing_value_does_not_match() {
    let m = StringMatcher::parse(&json!({"matchesJsonSchema": {}}), "").unwrap();
    assert!(!m.matches(None));
    assert_eq!(m.distance(None), 1.0);
}

#[test]
fn the_default_schema_version_is_draft_2020_12() {
    let prefix = json!({"prefixItems": [{"type": "integer"}]});
    assert!(!matches(prefix.clone(), None, r#"["x"]"#));
    assert!(!matches(prefix.clone(), Some("V202012"), r#"["x"]"#));
    assert!(
        matches(prefix, Some("V7"), r#"["x"]"#),
        "prefixItems means nothing to draft 7"
    );
}

#[test]
fn a_draft_4_schema_uses_draft_4_exclusive_maximum() {
    let s = json!({"type": "number", "maximum": 10, "exclusiveMaximum": true});
    assert!(matches(s.clone(), Some("V4"), "9"));
    assert!(!matches(s.clone(), Some("V4"), "10"));
    assert!(!matches(s, Some("V4"), "11"));
}

#[test]
fn a_draft_6_schema_uses_a_numeric_exclusive_maximum() {
    let s = json!({"type": "number", "exclusiveMaximum": 10});
    assert!(matches(s.clone(), Some("V6"), "9"));
    assert!(!matches(s, Some("V6"), "10"));
}

#[test]
fn a_draft_7_schema_honours_if_then_else() {
    let s = json!({
        "if": {"properties": {"kind": {"const": "n"}}},
        "then": {"required": ["n"]},
        "else": {"required": ["s"]}
    });
    assert!(matches(s.clone(), Some("V7"), r#"{"kind": "n", "n": 1}"#));
    assert!(!matches(s.clone(), Some("V7"), r#"{"kind": "n", "s": 1}"#));
    assert!(matches(s, Some("V7"), r#"{"kind": "x", "s": 1}"#));
}

#[test]
fn a_draft_2019_09_schema_honours_dependent_required() {
    let s = json!({"dependentRequired": {"card": ["cvc"]}});
    assert!(!matches(s.clone(), Some("V201909"), r#"{"card": 1}"#));
    assert!(matches(
        s.clone(),
        Some("V201909"),
        r#"{"card": 1, "cvc": 2}"#
    ));
    assert!(
        matches(s, Some("V7"), r#"{"card": 1}"#),
        "dependentRequired means nothing to draft 7"
    );
}

#[test]
fn a_draft_7_schema_asserts_formats_and_a_2020_12_one_does_not() {
    let email = json!({"type": "string", "format": "email"});
    assert!(!matches(email.clone(), Some("V7"), r#""not an email""#));
    assert!(matches(email.clone(), Some("V7"), r#""a@b.example""#));
    assert!(matches(email, Some("V202012"), r#""not an email""#));
}

#[test]
fn a_local_ref_is_resolved() {
    let s = json!({
        "$defs": {"id": {"type": "integer", "minimum": 1}},
        "properties": {"id": {"$ref": "#/$defs/id"}}
    });
    assert!(matches(s.clone(), None, r#"{"id": 3}"#));
    assert!(!matches(s, None, r#"{"id": 0}"#));
}

#[test]
fn a_ref_to_a_draft_metaschema_is_resolved_without_fetching() {
    let s = json!({"$ref": "http://json-schema.org/draft-07/schema#"});
    assert!(matches(s.clone(), Some("V7"), r#"{"type": "string"}"#));
    assert!(!matches(s, Some("V7"), r#"{"type": 5}"#));
}

#[test]
fn a_schema_with_a_remote_ref_is_not_fetched() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/schema.json", listener.local_addr().unwrap());
    let e = refusal(json!({"matchesJsonSchema": {"$ref": url}}));
    assert_eq!(e.pointer, "/request/bodyPatterns/0/matchesJsonSchema");
    assert!(e.title.contains("not fetched"), "{}", e.title);
    let asked = listener.accept();
    assert!(
        matches!(&asked, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the server was asked: {asked:?}"
    );
}

#[test]
fn a_schema_with_a_file_ref_is_not_read() {
    let path = std::env::temp_dir().join("fake-servicer-schema-ref-test.json");
    std::fs::write(&path, r#"{"type": "string"}"#).unwrap();
    let url = format!("file://{}", path.display());
    let e = refusal(json!({"matchesJsonSchema": {"$ref": url}}));
    assert_eq!(e.pointer, "/request/bodyPatterns/0/matchesJsonSchema");
    let _ = std::fs::remove_file(path);
}

#[test]
fn an_unknown_schema_version_is_refused_with_its_pointer() {
    let e = refusal(json!({"matchesJsonSchema": {}, "schemaVersion": "V99"}));
    assert_eq!(e.pointer, "/request/bodyPatterns/0/schemaVersion");
    assert!(e.title.contains("V202012"), "{}", e.title);
    let e = refusal(json!({"matchesJsonSchema": {}, "schemaVersion": "v4"}));
    assert_eq!(e.pointer, "/request/bodyPatterns/0/schemaVersion");
}

#[test]
fn a_null_schema_version_is_refused_as_by_wiremock() {
    let e = refusal(json!({"matchesJsonSchema": {}, "schemaVersion": null}));
    assert_eq!(e.pointer, "/request/bodyPatterns/0/schemaVersion");
}

#[test]
fn a_schema_string_that_is_not_json_is_refused_with_its_pointer() {
    let e = refusal(json!({"matchesJsonSchema": "{not json"}));
    assert_eq!(e.pointer, "/request/bodyPatterns/0/matchesJsonSchema");
    assert!(e.title.contains("not JSON"), "{}", e.title);
}

#[test]
fn an_invalid_schema_is_refused_with_its_pointer() {
    for bad in [
        json!({"type": 5}),
        json!({"minLength": -1}),
        json!({"pattern": "("}),
        json!({"maximum": 10, "exclusiveMaximum": true}),
    ] {
        let e = refusal(json!({"matchesJsonSchema": bad}));
        assert_eq!(
            e.pointer, "/request/bodyPatterns/0/matchesJsonSchema",
            "{bad}"
        );
    }
}

#[test]
fn a_schema_that_is_neither_an_object_nor_a_boolean_is_refused() {
    let e = refusal(json!({"matchesJsonSchema": 5}));
    assert_eq!(e.pointer, "/request/bodyPatterns/0/matchesJsonSchema");
    assert!(matches(json!(true), None, "anything"));
    assert!(!matches(json!(false), None, "{}"));
}

#[test]
fn schema_version_alone_is_no_matcher() {
    let e = StringMatcher::parse(&json!({"schemaVersion": "V4"}), "/h").unwrap_err();
    assert_eq!(e.pointer, "/h/schemaVersion");
}

#[test]
fn headers_and_query_parameters_take_the_matcher_too() {
    let p = RequestPattern::parse(
        &json!({
            "headers": {"X-N": {"matchesJsonSchema": {"type": "integer"}}},
            "queryParameters": {"q": {"matchesJsonSchema": "{\"enum\": [\"a\", \"b\"]}"}}
        }),
        "/request",
    )
    .unwrap();
    let req = |n: &str, q: &str| {
        let mut r = crate::request::Recorded::new(http::Method::GET, "/");
        r.query = Some(format!("q={q}").into());
        r.headers
            .insert("x-n", http::HeaderValue::from_str(n).unwrap());
        r
    };
    assert!(p.matches(&req("42", "a")));
    assert!(!p.matches(&req("4.5", "a")));
    assert!(!p.matches(&req("42", "c")));
}

#[test]
fn a_match_has_distance_0_and_a_miss_its_errors_over_the_schema_properties() {
    let m = schema(person());
    assert_eq!(m.distance(Some(r#"{"name": "ann"}"#)), 0.0);
    assert_eq!(m.distance(Some(r#"{"name": "ann", "age": "x"}"#)), 0.5);
    assert_eq!(m.distance(Some(r#"{"age": "x"}"#)), 1.0);
    assert_eq!(m.distance(Some("[1]")), 0.5);
}

#[test]
fn more_errors_than_properties_give_a_distance_over_1_as_in_wiremock() {
    let m = schema(json!({"required": ["a", "b", "c"], "properties": {"a": {}, "b": {}}}));
    assert_eq!(m.distance(Some("{}")), 1.5);
}

#[test]
fn nested_properties_count_in_the_distance() {
    let m = schema(json!({
        "properties": {
            "a": {"properties": {"x": {"type": "string"}, "y": {"type": "string"}}},
            "b": {"type": "string"}
        }
    }));
    assert_eq!(m.distance(Some(r#"{"a": {"x": 1}}"#)), 0.25);
}

#[test]
fn a_miss_against_a_schema_without_properties_has_distance_1() {
    let m = schema(json!({"type": "string"}));
    assert_eq!(m.distance(Some(r#"{"a": 1}"#)), 1.0);
}

#[test]
fn the_body_distance_goes_into_the_request_distance() {
    use crate::matchers::{Match, RequestContext};
    let p = RequestPattern::parse(
        &json!({"urlPath": "/p", "bodyPatterns": [{"matchesJsonSchema": person()}]}),
        "/request",
    )
    .unwrap();
    let mut r = crate::request::Recorded::new(http::Method::POST, "/p");
    r.body = bytes::Bytes::from_static(br#"{"age": "x"}"#);
    // WireMock's: 1 of a weight of 46.
    assert!((p.distance(&RequestContext::new(&r)) - 1.0 / 46.0).abs() < 1e-12);
}

#[test]
fn a_ref_loop_that_does_not_go_into_the_value_is_refused() {
    for looping in [
        json!({"$ref": "#"}),
        json!({"$defs": {"a": {"allOf": [{"$ref": "#/$defs/b"}]}, "b": {"not": {"$ref": "#/$defs/a"}}}, "$ref": "#/$defs/a"}),
        json!({"anyOf": [{"type": "string"}, {"$ref": "#"}]}),
    ] {
        let e = refusal(json!({"matchesJsonSchema": looping}));
        assert_eq!(e.pointer, "/request/bodyPatterns/0/matchesJsonSchema");
        assert!(e.title.contains("loop"), "{}", e.title);
    }
}

#[test]
fn a_recursive_schema_validates_values_as_deep_as_json_goes() {
    let tree = json!({
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"$ref": "#"}}]
    });
    let m = body(tree, None);
    assert!(m.matches(nested(120).to_string().as_bytes()));
    let mut bad = nested(119);
    bad.as_array_mut().unwrap().push(json!(1));
    assert!(!m.matches(bad.to_string().as_bytes()));
}

#[test]
fn a_schema_that_doubles_its_work_at_every_level_does_not_stall() {
    // Each level applies the root twice to the next: 2^depth applications.
    let doubling = json!({"allOf": [{"items": {"$ref": "#"}}, {"items": {"$ref": "#"}}]});
    let m = body(doubling, None);
    assert!(
        m.matches(nested(5).to_string().as_bytes()),
        "shallow: checked"
    );
    let started = Instant::now();
    assert!(
        !m.matches(nested(100).to_string().as_bytes()),
        "too costly to check: no match"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_schema_whose_every_value_costs_too_much_is_refused() {
    let mut defs = Map::new();
    for i in 0..40 {
        let next = format!("#/$defs/d{}", i + 1);
        defs.insert(
            format!("d{i}"),
            json!({"allOf": [{"$ref": next}, {"$ref": next}]}),
        );
    }
    defs.insert("d40".into(), json!({"type": "string"}));
    let e = refusal(json!({"matchesJsonSchema": {"$defs": defs, "$ref": "#/$defs/d0"}}));
    assert_eq!(e.pointer, "/request/bodyPatterns/0/matchesJsonSchema");
    assert!(e.title.contains("subschemas"), "{}", e.title);
}

#[test]
fn a_chain_of_refs_too_long_for_the_stack_is_refused() {
    let mut defs = Map::new();
    for i in 0..2000 {
        defs.insert(
            format!("a{i}"),
            json!({"$ref": format!("#/$defs/a{}", i + 1)}),
        );
    }
    defs.insert("a2000".into(), json!({"type": "string"}));
    let e = refusal(json!({"matchesJsonSchema": {"$defs": defs, "$ref": "#/$defs/a0"}}));
    assert!(e.title.contains("deep"), "{}", e.title);
}

#[test]
fn the_deepest_validation_allowed_fits_in_a_small_stack() {
    // A chain of in-place $refs as long as allowed, and a value as deep as
    // serde_json reads against a schema recursing through anyOf and items,
    // on a thread of 1 MiB (the server's have 2 MiB).
    let mut defs = Map::new();
    let links = cost::MAX_NESTING - 3;
    for i in 0..links {
        defs.insert(
            format!("a{i}"),
            json!({"$ref": format!("#/$defs/a{}", i + 1)}),
        );
    }
    defs.insert(format!("a{links}"), json!({"type": "string"}));
    let chain = json!({"$defs": defs, "$ref": "#/$defs/a0"});
    let tree = json!({"anyOf": [{"type": "string"}, {"items": {"$ref": "#"}}]});
    let ran = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let chain = body(chain, None);
            let tree = body(tree, None);
            let deep = nested(127).to_string();
            chain.matches(b"\"x\"")
                && !chain.matches(b"[1]")
                && tree.matches(deep.as_bytes())
                && tree.distance(&crate::matchers::RequestContext::new(&{
                    let mut r = crate::request::Recorded::new(http::Method::POST, "/");
                    r.body = bytes::Bytes::from(deep.clone());
                    r
                })) == 0.0
        })
        .unwrap()
        .join();
    assert!(matches!(ran, Ok(true)));
}

#[test]
fn a_pattern_runs_in_linear_time() {
    // Catastrophic for a backtracking engine.
    let s = json!({"type": "string", "pattern": "^(a|a)*b$"});
    let started = Instant::now();
    assert!(!matches(s, None, &format!("\"{}\"", "a".repeat(5000))));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_pattern_too_big_to_compile_is_refused() {
    let e = refusal(json!({"matchesJsonSchema": {"pattern": "(\\w{1000}){1000}"}}));
    assert_eq!(e.pointer, "/request/bodyPatterns/0/matchesJsonSchema");
}

#[test]
fn it_describes_itself_with_its_schema() {
    let m = StringMatcher::parse(&json!({"matchesJsonSchema": {"type": "string"}}), "").unwrap();
    assert_eq!(m.describe(), r#"matchesJsonSchema {"type":"string"}"#);
}

#[test]
fn a_ref_loop_through_an_anchor_is_refused() {
    let e = refusal(json!({"matchesJsonSchema": {
        "$defs": {"a": {"$anchor": "a", "allOf": [{"$ref": "#a"}]}},
        "$ref": "#a"
    }}));
    assert!(e.title.contains("loop"), "{}", e.title);
}

#[test]
fn a_ref_to_an_embedded_resource_is_resolved() {
    let s = json!({
        "$id": "https://example.com/root.json",
        "$defs": {"item": {"$id": "item.json", "type": "integer"}},
        "items": {"$ref": "item.json"}
    });
    assert!(matches(s.clone(), None, "[1, 2]"));
    assert!(!matches(s, None, r#"["x"]"#));
}

#[test]
fn an_expression_tree_schema_matches_trees_of_ordinary_depth() {
    let expr = json!({
        "$defs": {
            "expr": {"oneOf": [
                {"type": "number"},
                {"$ref": "#/$defs/add"},
                {"$ref": "#/$defs/mul"}
            ]},
            "add": {"type": "object", "required": ["add"],
                "properties": {"add": {"type": "array", "items": {"$ref": "#/$defs/expr"}}}},
            "mul": {"type": "object", "required": ["mul"],
                "properties": {"mul": {"type": "array", "items": {"$ref": "#/$defs/expr"}}}}
        },
        "$ref": "#/$defs/expr"
    });
    let tree = (0..8).fold(json!(1), |t, i| {
        if i % 2 == 0 {
            json!({"add": [t, 2]})
        } else {
            json!({"mul": [3, t]})
        }
    });
    assert!(matches(expr.clone(), None, &tree.to_string()));
    assert!(!matches(expr, None, r#"{"add": [1, "x"]}"#));
}
