//! State per scope in a plugin (`fake_servicer::Store`): the sink's
//! `/notes` routes keep notes per scope, seeded with `["seeded"]`.

use super::{sink_server, sink_server_with};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use testkit::{Admin, Http};

const SCOPE: &str = "x-fake-servicer-scope";

/// `POST /sink/notes` with `note` in the scope given by `headers`: the
/// notes after it.
async fn add(http: &Http, base: &str, headers: &[(&str, &str)], note: &str) -> Value {
    let r = http
        .send(
            Method::POST,
            &format!("{base}/sink/notes"),
            headers,
            note.to_owned(),
        )
        .await
        .unwrap_or_else(|e| panic!("POST /notes: {e}"));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

/// `GET /sink/notes` in the scope given by `headers`.
async fn notes(http: &Http, base: &str, headers: &[(&str, &str)]) -> Value {
    let r = http
        .send(
            Method::GET,
            &format!("{base}/sink/notes"),
            headers,
            bytes::Bytes::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("GET /notes: {e}"));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_scopes_writing_in_parallel_each_see_only_their_own_notes() {
    let server = sink_server().await;
    let base = server.url();
    let http = Http::new();
    let writes = (0..40).map(|i| {
        let (http, base) = (&http, &base);
        async move {
            let scope = if i % 2 == 0 { "par-a" } else { "par-b" };
            add(http, base, &[(SCOPE, scope)], &format!("{scope}-{i}")).await;
        }
    });
    futures_util::future::join_all(writes).await;

    for scope in ["par-a", "par-b"] {
        let seen = notes(&http, &base, &[(SCOPE, scope)]).await;
        let seen = seen.as_array().expect("a list");
        assert_eq!(seen.len(), 21, "{scope}: {seen:?}");
        assert_eq!(seen[0], "seeded");
        assert!(
            seen[1..]
                .iter()
                .all(|n| n.as_str().is_some_and(|n| n.starts_with(scope))),
            "{scope} sees another scope's notes: {seen:?}"
        );
    }
    // Neither scope wrote to the base, and a new scope sees the seed.
    assert_eq!(notes(&http, &base, &[]).await, json!(["seeded"]));
    assert_eq!(
        notes(&http, &base, &[(SCOPE, "par-c")]).await,
        json!(["seeded"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unscoped_requests_share_the_base_and_scopes_never_see_it() {
    let server = sink_server().await;
    let base = server.url();
    let http = Http::new();
    add(&http, &base, &[], "first").await;
    add(&http, &base, &[], "second").await;
    assert_eq!(
        notes(&http, &base, &[]).await,
        json!(["seeded", "first", "second"])
    );
    assert_eq!(
        notes(&http, &base, &[(SCOPE, "s1")]).await,
        json!(["seeded"])
    );
    add(&http, &base, &[(SCOPE, "s1")], "mine").await;
    assert_eq!(
        notes(&http, &base, &[(SCOPE, "s1")]).await,
        json!(["seeded", "mine"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_scope_drops_its_notes_and_keeps_everyone_elses() {
    let server = sink_server().await;
    let base = server.url();
    let http = Http::new();
    add(&http, &base, &[(SCOPE, "gone")], "a").await;
    add(&http, &base, &[(SCOPE, "kept")], "b").await;
    add(&http, &base, &[], "c").await;

    let r = Admin::at(base.clone()).delete("/__admin/scopes/gone").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // The answer's shape is unchanged.
    assert_eq!(
        r.json(),
        json!({"scope": "gone", "removed": {"stubs": 0, "overrides": 0, "requests": 1}})
    );

    assert_eq!(
        notes(&http, &base, &[(SCOPE, "gone")]).await,
        json!(["seeded"])
    );
    assert_eq!(
        notes(&http, &base, &[(SCOPE, "kept")]).await,
        json!(["seeded", "b"])
    );
    assert_eq!(notes(&http, &base, &[]).await, json!(["seeded", "c"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_returns_every_scope_and_the_base_to_the_seed() {
    let server = sink_server().await;
    let base = server.url();
    let http = Http::new();
    add(&http, &base, &[(SCOPE, "r1")], "a").await;
    add(&http, &base, &[(SCOPE, "r2")], "b").await;
    add(&http, &base, &[], "c").await;

    let r = Admin::at(base.clone())
        .call(Method::POST, "/__admin/reset", "")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    for headers in [&[(SCOPE, "r1")][..], &[(SCOPE, "r2")], &[]] {
        assert_eq!(notes(&http, &base, headers).await, json!(["seeded"]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_whose_only_use_is_plugin_state_ends_as_idle_with_its_notes() {
    let idle = Duration::from_millis(300);
    let server = sink_server_with(|c| c.scope_idle_timeout = idle).await;
    let base = server.url();
    let http = Http::new();
    // No stub, no override: the write alone makes the scope one to end.
    add(&http, &base, &[(SCOPE, "idle")], "a").await;
    add(&http, &base, &[], "base").await;
    // Each look is a request in the scope, which counts as use of it: the
    // looks are spaced by more than the idle time.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let seen = notes(&http, &base, &[(SCOPE, "idle")]).await;
        if seen == json!(["seeded"]) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the idle scope's notes are still there: {seen}"
        );
        tokio::time::sleep(idle * 3).await;
    }
    // The base is no scope: it stays.
    assert_eq!(notes(&http, &base, &[]).await, json!(["seeded", "base"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_is_told_the_scope_the_server_resolved_and_sees_only_the_clients_headers() {
    let server = sink_server().await;
    let base = server.url();
    let http = Http::new();
    let told = |headers: &'static [(&'static str, &'static str)]| {
        let (http, url) = (&http, format!("{base}/sink/notes/scope"));
        async move {
            let r = http
                .send(Method::GET, &url, headers, bytes::Bytes::new())
                .await
                .unwrap_or_else(|e| panic!("GET /notes/scope: {e}"));
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            r.json()
        }
    };
    assert_eq!(
        told(&[(SCOPE, "by-header")]).await,
        json!({"scope": "by-header", "serverHeaderSeen": false, "clientScopeHeader": "by-header"})
    );
    assert_eq!(
        told(&[("baggage", "user=1,fake-servicer-scope=by-baggage")]).await["scope"],
        "by-baggage"
    );
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    assert_eq!(
        told(&[(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        )])
        .await["scope"],
        trace
    );
    // The first of several: the header's.
    assert_eq!(
        told(&[("baggage", "fake-servicer-scope=second"), (SCOPE, "first"),]).await["scope"],
        "first"
    );
    assert_eq!(
        told(&[]).await,
        json!({"scope": null, "serverHeaderSeen": false, "clientScopeHeader": null})
    );
}

/// A plugin keeping notes per scope, answering `version` on `/version`;
/// a state it drops writes `dropped` to the file `dropped`.
fn notes_plugin(version: &str, dropped: &std::path::Path) -> String {
    let dropped = dropped.display();
    format!(
        r#"use fake_servicer::prelude::*;

#[derive(Clone, Default)]
struct Notes(Vec<String>);

impl Drop for Notes {{
    fn drop(&mut self) {{
        let _ = std::fs::write("{dropped}", "dropped");
    }}
}}

static NOTES: Store<Notes> = Store::new();

#[route(post, "/notes")]
fn add(scope: Scope, note: String) -> (StatusCode, Json<Vec<String>>) {{
    (StatusCode::CREATED, Json(NOTES.write(&scope, |n| {{ n.0.push(note); n.0.clone() }})))
}}

#[route(get, "/notes")]
fn list(scope: Scope) -> Json<Vec<String>> {{
    Json(NOTES.read(&scope, |n| n.0.clone()))
}}

#[route(get, "/version")]
fn version() -> &'static str {{ "{version}" }}

fake_servicer::service!(name = "kept", add, list, version);
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuilt_plugin_starts_from_the_seed_in_every_scope_and_the_old_one_lets_go() {
    let keep = testkit::tmp_dir().join("scoped_reload-builds");
    std::fs::create_dir_all(&keep).expect("builds dir");
    let dropped = keep.join("dropped-by-v1");
    let _ = std::fs::remove_file(&dropped);
    let plugin = testkit::PluginCrate::new("scoped_reload", &notes_plugin("v1", &dropped));
    let v1 = plugin.build_to(&keep.join("v1.so"));
    plugin.write_src(&notes_plugin("v2", &keep.join("dropped-by-v2")));
    let v2 = plugin.build_to(&keep.join("v2.so"));

    let dir = tempfile::tempdir().expect("plugin dir");
    let lib = dir.path().join("libkept.so");
    testkit::install_like_cargo(&v1, &lib);
    let server = testkit::start_with(fake_servicer_server::Config::local(dir.path())).await;
    let base = server.url();
    let http = Http::new();
    let url = format!("{base}/kept/notes");
    for headers in [&[(SCOPE, "before")][..], &[]] {
        let r = http
            .send(Method::POST, &url, headers, "old")
            .await
            .expect("an answer");
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }

    let seen = http
        .send(Method::GET, &url, &[(SCOPE, "before")], bytes::Bytes::new())
        .await
        .expect("an answer");
    assert_eq!(seen.json(), json!(["old"]));
    assert!(!dropped.exists(), "v1 dropped a state while serving");

    testkit::install_like_cargo(&v2, &lib);
    testkit::eventually(Duration::from_secs(10), "v2 to serve", || async {
        let r = http.get(&format!("{base}/kept/version")).await.text();
        if r == "v2" { Ok(()) } else { Err(r) }
    })
    .await;
    for headers in [&[(SCOPE, "before")][..], &[]] {
        let r = http
            .send(Method::GET, &url, headers, bytes::Bytes::new())
            .await
            .expect("an answer");
        assert_eq!(r.json(), json!([]), "{headers:?}");
    }
    // The version no longer served lets go of its states' memory.
    testkit::eventually(Duration::from_secs(10), "v1 to drop its states", || async {
        if dropped.exists() {
            Ok(())
        } else {
            Err("not yet".to_owned())
        }
    })
    .await;
}
