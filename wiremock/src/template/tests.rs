use super::*;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use serde_json::json;

fn render(template: &str, path: &str, query: Option<&str>, body: &str) -> Result<String, String> {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("example:8080"));
    headers.append("x-foo", HeaderValue::from_static("bar"));
    headers.append("x-foo", HeaderValue::from_static("baz"));
    headers.insert("cookie", HeaderValue::from_static("c=cv; d=dv"));
    let req = Recorded {
        query: query.map(Into::into),
        headers,
        body: Bytes::from(body.to_owned()),
        ..Recorded::new(Method::POST, path)
    };
    let params = json!({"p": "P"});
    let input = Input {
        req: &req,
        service: None,
        path_template: Some("/u/{id}/x"),
        parameters: &params,
    };
    match Compiled::new(template)? {
        Some(c) => c.render(&input.model(template.contains("bodyAsBase64"))),
        None => Ok(template.to_owned()),
    }
}

fn r(template: &str) -> String {
    render(
        template,
        "/u/7/x",
        Some("a=1&a=2&b=x%20y"),
        r#"{"a":{"b":"B"},"arr":[1,"x",true]}"#,
    )
    .unwrap_or_else(|e| format!("ERROR {e}"))
}

#[test]
fn the_request_model_answers_wiremock_paths() {
    assert_eq!(r("{{request.url}}"), "/u/7/x?a=1&a=2&b=x%20y");
    assert_eq!(
        r("{{request.path}}|{{request.pathSegments.[1]}}|{{request.path.[2]}}"),
        "/u/7/x|7|x"
    );
    assert_eq!(
        r("{{request.path.id}}|{{request.pathParameters.id}}"),
        "7|7"
    );
    assert_eq!(
        r("{{request.query.a}}|{{request.query.a.[1]}}|{{request.query.b}}"),
        "1|2|x y"
    );
    assert_eq!(r("{{request.query.a.first}}|{{request.query.zz}}"), "1|");
    assert_eq!(
        r("{{request.headers.X-Foo}}|{{request.headers.[x-foo].[1]}}"),
        "bar|baz"
    );
    assert_eq!(r("{{request.cookies.d}}|{{request.method}}"), "dv|POST");
    assert_eq!(
        r("{{request.host}}|{{request.port}}|{{request.scheme}}|{{request.baseUrl}}"),
        "example|8080|http|http://example:8080"
    );
    assert_eq!(r("{{request.bodyAsBase64}}").len(), 48);
    assert_eq!(r("{{parameters.p}}"), "P");
    assert_eq!(
        r("{{#each request.query.a}}[{{this}}]{{/each}}{{size request.query.a}}"),
        "[1][2]2"
    );
    assert_eq!(r("{{request.pathSegments}}"), "/u/7/x");
}

#[test]
fn helpers_answer_as_wiremock() {
    assert_eq!(
        r("{{jsonPath request.body '$.a.b'}}|{{jsonPath request.body '$.arr'}}"),
        r#"B|[1,"x",true]"#
    );
    assert_eq!(r("{{jsonPath request.body '$.nope' default='d'}}"), "d");
    assert_eq!(
        r("{{#each (jsonPath request.body '$.arr')}}<{{this}}>{{/each}}"),
        "<1><x><true>"
    );
    assert_eq!(r("{{parseJson request.body 'pj'}}{{pj.a.b}}"), "B");
    assert_eq!(r("{{#assign 'v'}}val{{/assign}}{{v}}"), "val");
    assert_eq!(
        r("{{math 1 '+' 2}} {{math 10 '/' 4}} {{math 1.5 '*' 2}} {{math 7 '%' 3}}"),
        "3 3 3.0 1"
    );
    assert_eq!(
        r("{{size 'abc'}} {{trim '  x  '}} {{upper 'ab'}} {{lower 'AB'}} {{capitalize 'ab cd'}}"),
        "3 x AB ab Ab Cd"
    );
    assert_eq!(
        r("{{base64 'hello'}} {{base64 'aGVsbG8=' decode=true}}"),
        "aGVsbG8= hello"
    );
    assert_eq!(
        r("{{urlEncode 'a b&c'}} {{urlEncode 'a+b%20' decode=true}}"),
        "a+b%26c a b "
    );
    assert_eq!(
        r("{{regexExtract 'abc123def' '[0-9]+'}} {{regexExtract 'abc' '[0-9]+' default='none'}}"),
        "123 none"
    );
    assert_eq!(
        r("{{regexExtract 'a1b22' '([a-z])([0-9]+)' 'parts'}}{{parts.[1]}}"),
        "1"
    );
    assert_eq!(
        r(
            "{{#eq request.query.b 'x y'}}y{{else}}n{{/eq}}{{#eq request.query.a '1'}}y{{else}}n{{/eq}}"
        ),
        "yn"
    );
    assert_eq!(
        r("{{#and true false}}y{{else}}n{{/and}}{{#or true false}}y{{/or}}{{#not false}}y{{/not}}"),
        "nyy"
    );
    assert_eq!(
        r(
            "{{#gt 3 2}}y{{/gt}}{{#lt 3 2}}y{{else}}n{{/lt}}{{#unless false}}u{{/unless}}{{#with request}}{{method}}{{/with}}"
        ),
        "ynuPOST"
    );
    assert_eq!(r("{{#trim}}  a  {{/trim}}"), "a");
    assert_eq!(
        r("{{formData 'x=1&y=a+b' 'f' urlDecode=true}}{{f.y}}"),
        "a b"
    );
    assert_eq!(r("{{request.query.b}}&<"), "x y&<", "no HTML escaping");
}

#[test]
fn a_json_path_object_is_written_as_wiremock_writes_it() {
    let got = render(
        "{{jsonPath request.body '$.a'}}",
        "/",
        None,
        r#"{"a":{"b":"B","c":[1,{"d":{}},[]],"e":{"f":null,"g":1.5},"h":{}}}"#,
    );
    let want = "{\n  \"b\" : \"B\",\n  \"c\" : [ 1, {\n    \"d\" : { }\n  }, [ ] ],\n  \"e\" : {\n    \"g\" : 1.5\n  },\n  \"h\" : { }\n}";
    assert_eq!(got.as_deref(), Ok(want));
}

#[test]
fn random_values_and_now_have_their_shapes() {
    let s = r("{{randomValue length=8 type='NUMERIC'}}");
    assert!(s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()), "{s}");
    let s = r("{{randomValue length=6 type='ALPHABETIC' uppercase=true}}");
    assert!(
        s.len() == 6 && s.bytes().all(|b| b.is_ascii_uppercase()),
        "{s}"
    );
    assert_eq!(r("{{randomValue type='UUID'}}").len(), 36);
    let n: i64 = r("{{randomInt lower=5 upper=9}}").parse().unwrap_or(-1);
    assert!((5..9).contains(&n));
    assert_eq!(r("{{now format='yyyy'}}").len(), 4);
    assert!(r("{{now}}").ends_with('Z'));
    assert!(r("{{now timezone='+02:00'}}").ends_with("+02:00"));
}

#[test]
fn errors_are_reported_not_panicked() {
    assert!(Compiled::new("{{#if x}}oops").is_err());
    assert!(r("{{nosuch 1 2}}").starts_with("ERROR"));
    assert!(r("{{randomValue length=100000000}}").contains("outside"));
    assert!(r("{{math 1 '/' 0}}").contains("division by zero"));
    assert!(r("{{jsonPath request.body '$[['}}").starts_with("ERROR"));
    assert!(r("{{now timezone='Mars/Base'}}").starts_with("ERROR"));
}

#[test]
fn output_is_capped() {
    // 17 × 1 MiB > the cap.
    let t = "{{#each request.query.a}}{{randomValue length=1048576}}{{/each}}".repeat(9);
    assert!(r(&t).contains("larger than"), "capped");
}

#[test]
fn deeply_nested_templates_fail_or_render_within_a_worker_stack() {
    for n in [MAX_NESTING, MAX_NESTING + 1, 1_000, 100_000] {
        let t = format!("{}x{}", "{{#if true}}".repeat(n), "{{/if}}".repeat(n));
        let done = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                Compiled::new(&t).map(|c| c.map(|c| c.render(&Context::from(json!({})))))
            })
            .map(|h| h.join().is_ok());
        assert!(matches!(done, Ok(true)), "{n} levels");
    }
    let deep = format!("{}x{}", "{{#if true}}".repeat(65), "{{/if}}".repeat(65));
    assert!(Compiled::new(&deep).unwrap_err().contains("64 deep"));
    let ok = format!("{}x{}", "{{#if true}}".repeat(64), "{{/if}}".repeat(64));
    assert_eq!(
        Compiled::new(&ok).map(|c| c.map(|c| c.render(&Context::from(json!({}))))),
        Ok(Some(Ok("x".to_owned())))
    );
    let parens = format!(
        "{{{{upper {}'x'{}}}}}",
        "(upper ".repeat(65),
        ")".repeat(65)
    );
    assert!(Compiled::new(&parens).unwrap_err().contains("64 deep"));
}

/// Prints what a templated answer costs over a plain one (run with
/// `cargo test --release -p fake-servicer --lib render_cost -- --ignored --nocapture`).
#[test]
#[ignore = "a measurement, not a check"]
fn render_cost() {
    use std::time::Instant;
    let n = 50_000u32;
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("example:8080"));
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let req = Recorded {
        query: Some("a=1&b=2".into()),
        headers,
        body: Bytes::from_static(br#"{"a":{"b":"B"},"list":[1,2,3]}"#),
        ..Recorded::new(Method::POST, "/users/7")
    };
    let params = json!({});
    let input = Input {
        req: &req,
        service: None,
        path_template: Some("/users/{id}"),
        parameters: &params,
    };
    let source = r#"{"id": "{{request.path.id}}", "q": "{{request.query.a}}", "m": "{{request.method}}", "name": "{{jsonPath request.body '$.a.b'}}"}"#;
    let per = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        t.elapsed().as_nanos() / u128::from(n)
    };
    let plain = Bytes::from(source);
    let plain_ns = per(&mut || {
        std::hint::black_box(plain.clone());
    });
    let compile_ns = per(&mut || {
        std::hint::black_box(Compiled::new(source).ok());
    });
    let Ok(Some(big)) = Compiled::new(source) else {
        panic!("compiles")
    };
    let Ok(Some(small)) = Compiled::new("{{request.method}}") else {
        panic!("compiles")
    };
    let model_ns = per(&mut || {
        std::hint::black_box(input.model(false));
    });
    let big_ns = per(&mut || {
        std::hint::black_box(big.render(&input.model(false)).ok());
    });
    let small_ns = per(&mut || {
        std::hint::black_box(small.render(&input.model(false)).ok());
    });
    eprintln!(
        "plain body {plain_ns} ns; compile {compile_ns} ns (once per stub); model {model_ns} ns; \
         model + {{{{request.method}}}} {small_ns} ns; model + 4-field JSON with jsonPath {big_ns} ns"
    );
}

/// `render` of `template` against `body` within `budget`.
fn render_within(
    template: &str,
    body: &str,
    budget: std::time::Duration,
) -> Result<String, String> {
    fake_servicer_core::budget::within(budget, || render(template, "/", None, body))
}

#[test]
fn loops_that_multiply_stop_at_the_budget() {
    let numbers: Vec<u32> = (0..500).collect();
    let body = serde_json::to_string(&numbers).unwrap();
    let template = "{{parseJson request.body 'a'}}{{#each a}}{{#each ../a}}{{#each ../../a}}{{/each}}{{/each}}{{/each}}done";
    let started = std::time::Instant::now();
    let e = render_within(template, &body, std::time::Duration::from_millis(50)).unwrap_err();
    assert!(e.contains("CPU budget of 50 ms"), "{e}");
    // 125 million passes through the innermost block were asked for.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn a_template_within_its_budget_renders_as_before() {
    let out = render_within(
        "{{#each request.query.a}}[{{this}}]{{else}}none{{/each}}",
        "",
        std::time::Duration::from_secs(5),
    );
    assert_eq!(out.unwrap(), "none");
    assert_eq!(r("{{#each request.query.a}}[{{this}}]{{/each}}"), "[1][2]");
}

#[test]
fn json_path_matches_larger_than_the_output_cap_are_refused_before_copying() {
    // Each `id` holds the rest of the document: 40 matches of up to
    // 1 MiB each.
    let mut doc = serde_json::to_string(&"x".repeat(1 << 20)).unwrap();
    for _ in 0..40 {
        doc = format!(r#"{{"id":{doc}}}"#);
    }
    let e = render("{{jsonPath request.body '$..id'}}", "/", None, &doc).unwrap_err();
    assert!(e.contains("the matches are larger than"), "{e}");
    assert_eq!(r("{{jsonPath request.body '$.arr[1]'}}"), "x");
}
