//! Response templating over real HTTP: the `response-template` transformer
//! on one stub, `--global-response-templating` for all, the request model,
//! the helpers, and errors (422 at creation, 500 at answer time).

use fake_servicer_server::Server;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use testkit::{Admin, Http, TestServer, serve};

/// A server with no plugins; `global` sets `--global-response-templating`.
async fn server(global: bool) -> TestServer {
    serve(&[], |c| c.global_response_templating = global).await
}

/// A templated stub answering `body` on every request under `/t`.
fn templated(body: &str) -> Value {
    json!({"request": {"urlPathPattern": "/t.*"},
           "response": {"body": body, "transformers": ["response-template"]}})
}

/// POSTs to `path` on `server` with a few headers, a cookie and `body`.
async fn ask(server: &Server, path: &str, body: &str) -> testkit::Reply {
    Http::new()
        .send(
            Method::POST,
            &format!("{}{path}", server.url()),
            &[
                ("x-foo", "bar"),
                ("cookie", "c=cv; d=dv"),
                ("content-type", "application/json"),
            ],
            body.to_owned(),
        )
        .await
        .expect("an answer")
}

/// Creates a stub rendering `template`, asks, returns the body.
async fn rendered(server: &Server, template: &str, path: &str, body: &str) -> String {
    let admin = Admin::new(server);
    admin.delete("/__admin/mappings").await;
    admin.stub(templated(template)).await;
    let r = ask(server, path, body).await;
    assert_eq!(r.status, StatusCode::OK, "{template}: {}", r.text());
    r.text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_templated_stub_answers_from_the_request_model() {
    let s = server(false).await;
    let port = s.url().rsplit(':').next().unwrap_or_default().to_owned();
    let cases = [
        (
            "{{request.url}}",
            "/t/a/b?x=1&x=2&y=z%20w",
            "/t/a/b?x=1&x=2&y=z%20w".to_owned(),
        ),
        ("{{request.path}}", "/t/a/b?x=1", "/t/a/b".to_owned()),
        (
            "{{request.pathSegments.[1]}}|{{request.path.[2]}}",
            "/t/a/b",
            "a|b".to_owned(),
        ),
        (
            "{{request.query.x}}|{{request.query.x.[1]}}|{{request.query.y}}",
            "/t?x=1&x=2&y=z%20w",
            "1|2|z w".to_owned(),
        ),
        ("{{request.method}}", "/t", "POST".to_owned()),
        (
            "{{request.host}}|{{request.port}}|{{request.scheme}}",
            "/t",
            format!("127.0.0.1|{port}|http"),
        ),
        (
            "{{request.baseUrl}}",
            "/t",
            format!("http://127.0.0.1:{port}"),
        ),
        (
            "{{request.headers.X-Foo}}|{{request.headers.x-foo}}|{{request.headers.[X-FOO]}}",
            "/t",
            "bar|bar|bar".to_owned(),
        ),
        (
            "{{request.cookies.c}}|{{request.cookies.d}}",
            "/t",
            "cv|dv".to_owned(),
        ),
        (
            "{{request.body}}",
            "/t",
            r#"{"a":{"b":"B"},"list":[1,2,3]}"#.to_owned(),
        ),
        (
            "{{request.bodyAsBase64}}",
            "/t",
            "eyJhIjp7ImIiOiJCIn0sImxpc3QiOlsxLDIsM119".to_owned(),
        ),
        ("{{request.clientIp}}", "/t", "127.0.0.1".to_owned()),
    ];
    for (template, path, want) in cases {
        let got = rendered(&s, template, path, r#"{"a":{"b":"B"},"list":[1,2,3]}"#).await;
        assert_eq!(got, want, "{template}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_parameters_of_a_url_path_template_are_in_the_model() {
    let s = server(false).await;
    Admin::new(&s)
        .stub(
            json!({"request": {"urlPathTemplate": "/users/{id}/orders/{order}"},
                     "response": {"body": "{{request.path.id}}/{{request.pathParameters.order}}",
                                  "transformers": ["response-template"]}}),
        )
        .await;
    assert_eq!(ask(&s, "/users/7/orders/x9", "").await.text(), "7/x9");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helpers_render_as_wiremock_renders_them() {
    let s = server(false).await;
    let body = r#"{"a":{"b":"B"},"list":[1,"x",true]}"#;
    let cases = [
        ("{{jsonPath request.body '$.a.b'}}", "B"),
        ("{{jsonPath request.body '$.list'}}", r#"[1,"x",true]"#),
        ("{{jsonPath request.body '$.nope' default='none'}}", "none"),
        (
            "{{#each (jsonPath request.body '$.list')}}<{{this}}>{{/each}}",
            "<1><x><true>",
        ),
        ("{{size (jsonPath request.body '$.list')}}", "3"),
        ("{{parseJson request.body 'doc'}}{{doc.a.b}}", "B"),
        (
            "{{math 1 '+' 2}} {{math 10 '/' 4}} {{math 1.5 '*' 2}}",
            "3 3 3.0",
        ),
        (
            "{{trim '  x  '}}{{upper 'ab'}}{{lower 'CD'}}{{capitalize 'e f'}}",
            "xABcdE F",
        ),
        (
            "{{base64 'hello'}} {{base64 'aGVsbG8=' decode=true}}",
            "aGVsbG8= hello",
        ),
        (
            "{{urlEncode 'a b&c'}} {{urlEncode 'a+b%21' decode=true}}",
            "a+b%26c a b!",
        ),
        (
            "{{regexExtract 'abc123' '[0-9]+'}} {{regexExtract 'abc' '[0-9]+' default='no'}}",
            "123 no",
        ),
        (
            "{{#eq request.method 'POST'}}post{{else}}other{{/eq}}",
            "post",
        ),
        (
            "{{#if (and true (not false))}}y{{/if}}{{#unless (or false false)}}u{{/unless}}",
            "yu",
        ),
        ("{{#gt 3 2}}gt{{/gt}}{{#lt 3 2}}lt{{else}}ge{{/lt}}", "gtge"),
        ("{{#with request}}{{method}}{{/with}}", "POST"),
        ("{{#assign 'v'}}val{{/assign}}{{v}}", "val"),
        (
            "{{formData 'k=a+b&k=c' 'f' urlDecode=true}}{{f.k.[1]}}",
            "c",
        ),
        ("{{request.headers.x-foo}}<&>", "bar<&>"),
    ];
    for (template, want) in cases {
        assert_eq!(rendered(&s, template, "/t", body).await, want, "{template}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_values_and_now_have_the_asked_shape() {
    let s = server(false).await;
    let t = rendered(&s, "{{randomValue length=12 type='HEXADECIMAL'}}", "/t", "").await;
    assert!(
        t.len() == 12 && t.bytes().all(|b| b.is_ascii_hexdigit()),
        "{t}"
    );
    let t = rendered(
        &s,
        "{{randomValue length=5 type='ALPHABETIC' uppercase=true}}",
        "/t",
        "",
    )
    .await;
    assert!(
        t.len() == 5 && t.bytes().all(|b| b.is_ascii_uppercase()),
        "{t}"
    );
    let t = rendered(&s, "{{randomValue type='UUID'}}", "/t", "").await;
    assert!(uuid_like(&t), "{t}");
    let t = rendered(&s, "{{randomInt lower=3 upper=5}}", "/t", "").await;
    assert!(["3", "4"].contains(&t.as_str()), "{t}");
    let t = rendered(&s, "{{now format='yyyy-MM-dd'}}", "/t", "").await;
    assert!(t.len() == 10 && t.as_bytes()[4] == b'-', "{t}");
    let t = rendered(&s, "{{now offset='1 days' format='epoch'}}", "/t", "").await;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    let ms: i64 = t.parse().unwrap_or_default();
    assert!((ms - now_ms - 86_400_000).abs() < 60_000, "{t}");
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.split('-').map(str::len).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_values_and_json_bodies_are_templated_but_not_the_status_message() {
    let s = server(false).await;
    Admin::new(&s)
        .stub(json!({"request": {"urlPath": "/j"},
                     "response": {"status": 201, "statusMessage": "S{{request.method}}",
                                  "headers": {"X-M": "{{request.method}}", "X-L": ["a{{request.query.q}}", "b"]},
                                  "jsonBody": {"m": "{{request.method}}", "n": 1, "q": "{{request.query.q}}"},
                                  "transformers": ["response-template"]}}))
        .await;
    let r = Http::new().get(&format!("{}/j?q=z", s.url())).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.header("x-m"), Some("GET"));
    let list: Vec<_> = r
        .headers
        .get_all("x-l")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(list, ["az", "b"]);
    assert_eq!(r.text(), r#"{"m":"GET","n":1,"q":"z"}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_transformer_or_the_flag_a_body_is_sent_as_written() {
    let s = server(false).await;
    Admin::new(&s)
        .stub(json!({"request": {"urlPath": "/plain"}, "response": {"body": "{{request.method}}"}}))
        .await;
    assert_eq!(ask(&s, "/plain", "").await.text(), "{{request.method}}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_flag_templates_every_stub() {
    let s = server(true).await;
    let admin = Admin::new(&s);
    admin
        .stub(json!({"request": {"urlPath": "/plain"},
                     "response": {"body": "{{request.method}} {{request.path}}",
                                  "headers": {"X-P": "{{request.query.p}}"}}}))
        .await;
    let r = ask(&s, "/plain?p=v", "").await;
    assert_eq!(r.text(), "POST /plain");
    assert_eq!(r.header("x-p"), Some("v"));
    // Header values beyond ASCII are templated too, and sent as UTF-8.
    admin
        .stub(json!({"request": {"urlPath": "/utf8"},
                     "response": {"headers": {"X-U": "café {{request.method}}", "X-V": "thé"}}}))
        .await;
    let r = ask(&s, "/utf8", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.headers.get("x-u").map(|v| v.as_bytes()),
        Some("café POST".as_bytes())
    );
    assert_eq!(
        r.headers.get("x-v").map(|v| v.as_bytes()),
        Some("thé".as_bytes())
    );
    // A rendered value that cannot be a header value is a render error.
    admin
        .stub(json!({"request": {"urlPath": "/crlf"},
                     "response": {"headers": {"X-C": "{{request.query.v}}"}}}))
        .await;
    let r = ask(&s, "/crlf?v=a%0Ab", "").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.text().contains("header x-c"), "{}", r.text());
    // base64Body is never templated.
    admin
        .stub(json!({"request": {"urlPath": "/b64"},
                     "response": {"base64Body": "e3tyZXF1ZXN0Lm1ldGhvZH19"}}))
        .await;
    assert_eq!(ask(&s, "/b64", "").await.text(), "{{request.method}}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transformer_parameters_are_in_the_model() {
    let s = server(false).await;
    Admin::new(&s)
        .stub(json!({"request": {"urlPath": "/p"},
                     "response": {"body": "{{parameters.greeting}}",
                                  "transformers": ["response-template"],
                                  "transformerParameters": {"greeting": "hi"}}}))
        .await;
    assert_eq!(ask(&s, "/p", "").await.text(), "hi");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_that_does_not_compile_is_refused_with_its_pointer() {
    let s = server(false).await;
    let admin = Admin::new(&s);
    let bad = [
        (
            json!({"body": "{{#if x}}open", "transformers": ["response-template"]}),
            "/response/body",
        ),
        (
            json!({"jsonBody": {"a": "{{#each}}"}, "transformers": ["response-template"]}),
            "/response/jsonBody",
        ),
        (
            json!({"headers": {"X-A": "{{/close}}"}, "transformers": ["response-template"]}),
            "/response/headers/x-a",
        ),
        (
            json!({"body": "x", "transformers": ["no-such-transformer"]}),
            "/response/transformers/0",
        ),
    ];
    for (response, pointer) in bad {
        let r = admin
            .post(
                "/__admin/mappings",
                json!({"request": {"urlPath": "/x"}, "response": response}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(
            r.json()["errors"][0]["source"]["pointer"],
            pointer,
            "{}",
            r.text()
        );
        assert_eq!(r.json()["errors"][0]["code"], 10);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_error_answers_500_naming_the_stub_and_the_error() {
    let s = server(false).await;
    let stored = Admin::new(&s).stub(templated("{{nosuchhelper 1}}")).await;
    let r = ask(&s, "/t", "").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let error = r.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        error.contains(stored["id"].as_str().unwrap_or("?")),
        "{error}"
    );
    assert!(error.contains("nosuchhelper"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_the_global_flag_a_stub_that_does_not_compile_is_kept_and_answers_500() {
    let s = server(true).await;
    Admin::new(&s)
        .stub(json!({"request": {"urlPath": "/x"}, "response": {"body": "{{#if"}}))
        .await;
    let r = ask(&s, "/x", "").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.text().contains("/response/body"), "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_cannot_make_an_unbounded_body() {
    let s = server(false).await;
    Admin::new(&s)
        .stub(templated("{{randomValue length=1000000000}}"))
        .await;
    let r = ask(&s, "/t", "").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.text().contains("randomValue"), "{}", r.text());
    // Each value under its cap, the whole over the output cap.
    let many = "{{#each (jsonPath request.body '$')}}{{randomValue length=1048576}}{{/each}}";
    Admin::new(&s).stub(templated(many)).await;
    let list = format!("[{}1]", "1,".repeat(20));
    let r = ask(&s, "/t", &list).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    // Stopped by the output cap, or (a slow build) by the budget first.
    let text = r.text();
    assert!(
        text.contains("larger than") || text.contains("budget"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_past_its_budget_answers_500_naming_the_stub_and_the_budget() {
    let s = server(false).await;
    let admin = Admin::new(&s);
    let stub = admin
        .stub(templated(
            "{{parseJson request.body 'a'}}{{#each a}}{{#each ../a}}{{#each ../../a}}{{/each}}{{/each}}{{/each}}done",
        ))
        .await;
    let id = stub["id"].as_str().unwrap_or_default();
    let numbers: Vec<u32> = (0..500).collect();
    let body = serde_json::to_string(&numbers).unwrap_or_default();
    let r = ask(&s, "/t", &body).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
    assert!(r.text().contains(id), "{}", r.text());
    assert!(r.text().contains("CPU budget of 1000 ms"), "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_while_renders_run_on_every_worker() {
    let s = server(false).await;
    Admin::new(&s)
        .stub(templated(
            "{{parseJson request.body 'a'}}{{#each a}}{{#each ../a}}{{#each ../../a}}{{/each}}{{/each}}{{/each}}done",
        ))
        .await;
    let numbers: Vec<u32> = (0..500).collect();
    let body = serde_json::to_string(&numbers).unwrap_or_default();
    // As many renders as the test runtime has workers.
    let attacks: Vec<_> = (0..2)
        .map(|_| {
            let (url, body) = (s.url(), body.clone());
            tokio::spawn(async move {
                Http::new()
                    .send(Method::POST, &format!("{url}/t"), &[], body)
                    .await
                    .map(|r| r.status)
            })
        })
        .collect();
    // Nothing tells from outside when a render has started: give them a
    // moment, well inside their budget.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let health = Http::new()
        .get(&format!("{}/__admin/health", s.url()))
        .await;
    assert_eq!(health.status, StatusCode::OK);
    assert!(
        attacks.iter().any(|a| !a.is_finished()),
        "health answered only once the renders had ended"
    );
    for a in attacks {
        let status = a.await.ok().and_then(Result::ok);
        assert_eq!(status, Some(StatusCode::INTERNAL_SERVER_ERROR));
    }
}
