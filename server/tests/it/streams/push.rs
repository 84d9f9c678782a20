//! Tests feed open streams: pushes matched as stubs are, scoped; listing
//! and closing.

use super::{Reading, open_streams, push, stream_stub, until_open, with_stub};
use http::StatusCode;
use serde_json::json;
use testkit::Admin;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_items_reach_a_live_stream_after_its_own_and_close_ends_it() {
    let server = with_stub(stream_stub(
        "/feed",
        json!([{"json": {"hello": true}}]),
        true,
    ))
    .await;
    let mut reading = Reading::open(server.addr(), "/feed", &[]).await;
    reading.until("\n").await;
    let feed = json!({"urlPath": "/feed"});
    assert_eq!(
        push(&server, feed.clone(), json!([{"json": {"n": 1}}]), false).await,
        1
    );
    assert!(reading.until("{\"n\":1}\n").await.ends_with("{\"n\":1}\n"));
    assert_eq!(
        push(&server, feed.clone(), json!([{"json": {"n": 2}}]), true).await,
        1
    );
    assert_eq!(
        reading.read_to_end().await,
        "{\"hello\":true}\n{\"n\":1}\n{\"n\":2}\n"
    );
    until_open(&server, 0).await;
    assert_eq!(push(&server, feed, json!([{"json": 3}]), false).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_with_a_service_matches_the_service_relative_path() {
    let server = testkit::serve(&[], |_| {}).await;
    let mut stub = stream_stub("/ticks", json!([]), true);
    stub["request"]["service"] = json!("clock");
    Admin::new(&server).stub(stub).await;
    let mut reading = Reading::open(server.addr(), "/clock/ticks", &[]).await;
    until_open(&server, 1).await;
    let by_service = json!({"service": "clock", "urlPath": "/ticks"});
    assert_eq!(
        push(
            &server,
            json!({"urlPath": "/ticks"}),
            json!([{"body": "x"}]),
            false
        )
        .await,
        0
    );
    assert_eq!(
        push(&server, by_service, json!([{"body": "tick"}]), false).await,
        1
    );
    assert_eq!(
        push(
            &server,
            json!({"urlPath": "/clock/ticks"}),
            json!([{"body": "tock"}]),
            true
        )
        .await,
        1
    );
    reading.until("ticktock").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_readers_of_two_scopes_get_only_their_scopes_pushes() {
    let server = with_stub(stream_stub("/news", json!([]), true)).await;
    let mut readers = Vec::new();
    for i in 0..8 {
        let scope = if i % 2 == 0 { "even" } else { "odd" };
        let addr = server.addr();
        readers.push((
            scope,
            tokio::spawn(async move {
                Reading::open(addr, "/news", &[("x-fake-servicer-scope", scope)])
                    .await
                    .read_to_end()
                    .await
            }),
        ));
    }
    until_open(&server, 8).await;
    let admin = Admin::new(&server);
    for scope in ["even", "odd"] {
        for n in 0..3 {
            let r = admin
                .post(
                    "/__admin/streams/push",
                    json!({"request": {"urlPath": "/news"}, "scope": scope,
                           "items": [{"sse": {"event": scope, "data": n}}]}),
                )
                .await;
            assert_eq!(r.json()["streams"], 4, "{}", r.text());
        }
    }
    // The header names the scope as well as the field.
    for scope in ["even", "odd"] {
        let r = testkit::Http::new()
            .send(
                http::Method::POST,
                &format!("{}/__admin/streams/push", server.url()),
                &[("x-fake-servicer-scope", scope)],
                json!({"request": {"urlPath": "/news"}, "close": true}).to_string(),
            )
            .await
            .expect("a push");
        assert_eq!(r.json()["streams"], 4, "{}", r.text());
    }
    for (scope, reader) in readers {
        let got = reader.await.expect("a reader");
        let want: String = (0..3)
            .map(|n| format!("event: {scope}\ndata: {n}\n\n"))
            .collect();
        assert_eq!(got, want, "a reader of scope {scope}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_streams_are_listed_with_what_they_sent() {
    let server = with_stub(stream_stub("/list", json!([{"body": "abc"}]), true)).await;
    let mut reading = Reading::open(
        server.addr(),
        "/list?x=1",
        &[("x-fake-servicer-scope", "s1")],
    )
    .await;
    reading.until("abc").await;
    let open = open_streams(&server).await;
    assert_eq!(open.len(), 1, "{open:?}");
    let s = &open[0];
    assert_eq!(s["method"], "GET");
    assert_eq!(s["url"], "/list?x=1");
    assert_eq!(s["scopes"], json!(["s1"]));
    assert_eq!(
        (
            s["itemsSent"].as_u64(),
            s["bytesSent"].as_u64(),
            s["bytesQueued"].as_u64()
        ),
        (Some(1), Some(3), Some(0))
    );
    assert!(s["id"].is_string() && s["opened"].is_string(), "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_one_stream_all_streams_or_a_scope_closes_them() {
    let server = with_stub(stream_stub("/d", json!([{"body": "."}]), true)).await;
    let admin = Admin::new(&server);
    let open = |scope: &'static str| {
        let addr = server.addr();
        tokio::spawn(async move {
            Reading::open(addr, "/d", &[("x-fake-servicer-scope", scope)])
                .await
                .read_to_end()
                .await
        })
    };
    let (a, b, c) = (open("a"), open("b"), open("c"));
    until_open(&server, 3).await;
    let id = open_streams(&server)
        .await
        .into_iter()
        .find(|s| s["scopes"] == json!(["a"]))
        .expect("scope a's stream")["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(
        admin.delete(&format!("/__admin/streams/{id}")).await.json()["closed"],
        1
    );
    assert_eq!(a.await.expect("reader a"), ".");
    assert_eq!(
        admin.delete(&format!("/__admin/streams/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let removed = admin.delete("/__admin/scopes/b").await;
    assert_eq!(removed.status, StatusCode::OK);
    assert_eq!(b.await.expect("reader b"), ".");
    assert_eq!(admin.delete("/__admin/streams").await.json()["closed"], 1);
    assert_eq!(c.await.expect("reader c"), ".");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_closes_every_stream() {
    let server = with_stub(stream_stub("/r", json!([]), true)).await;
    let reading = Reading::open(server.addr(), "/r", &[]).await;
    until_open(&server, 1).await;
    Admin::new(&server).post("/__admin/reset", json!({})).await;
    assert_eq!(reading.read_to_end().await, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_with_bad_items_is_refused_422_with_a_pointer() {
    let server = testkit::serve(&[], |_| {}).await;
    let admin = Admin::new(&server);
    admin
        .post(
            "/__admin/streams/push",
            json!({"items": [{"json": 1}, {"delay": 5}]}),
        )
        .await
        .assert_invalid_at("/items/1/delay");
    admin
        .post("/__admin/streams/push", json!({"request": {"urlPath": 5}}))
        .await
        .assert_invalid_at("/request/urlPath");
    admin
        .post("/__admin/streams/push", json!({"itemz": []}))
        .await
        .assert_invalid_at("/itemz");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_entry_of_a_stream_keeps_what_was_pushed_to_it() {
    let server = with_stub(stream_stub("/journaled", json!([{"body": "own "}]), true)).await;
    let mut reading = Reading::open(server.addr(), "/journaled", &[]).await;
    reading.until("own ").await;
    let feed = json!({"urlPath": "/journaled"});
    push(&server, feed.clone(), json!([{"body": "first "}]), false).await;
    push(&server, feed, json!([{"json": {"n": 2}}]), true).await;
    assert_eq!(reading.read_to_end().await, "own first {\"n\":2}\n");
    let requests = Admin::new(&server).get("/__admin/requests").await.json();
    let entry = &requests["requests"][0];
    assert_eq!(entry["response"]["body"], "own ", "{entry}");
    let pushed: Vec<&str> = entry["subEvents"]
        .as_array()
        .expect("sub-events")
        .iter()
        .map(|e| e["data"]["body"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(pushed, ["first ", "{\"n\":2}\n"]);
}
