use super::*;
use http::Method;
use serde_json::json;

fn streams(max_streams: usize, max_queued_bytes: usize) -> Streams {
    Streams::new(
        Limits {
            max_streams,
            max_queued_bytes,
            idle_timeout: Duration::from_secs(60),
            max_message_bytes: 1024,
        },
        None,
    )
}

fn open(streams: &Streams, path: &str, scope: Option<&str>) -> Arc<Open> {
    let scopes = scope.map_or_else(
        || Scopes::from_headers(&http::HeaderMap::new()),
        Scopes::one,
    );
    streams
        .open(Arc::new(Recorded::new(Method::GET, path)), scopes, false)
        .expect("under the cap")
}

fn pattern(v: Value) -> RequestPattern {
    RequestPattern::parse(&v, "").expect("a valid pattern")
}

fn body(text: &str) -> Item {
    Item::Body(text.to_owned())
}

#[test]
fn a_push_reaches_only_the_streams_whose_request_matches_in_its_scope() {
    let s = streams(10, 1024);
    let a = open(&s, "/feed", Some("a"));
    let b = open(&s, "/feed", Some("b"));
    let _other = open(&s, "/other", Some("a"));
    let p = pattern(json!({"urlPath": "/feed"}));
    assert_eq!(s.push(&p, Some("a"), &[body("x")], false).reached, 1);
    assert_eq!(crate::sync::lock(&a.queue).items.len(), 1);
    assert_eq!(crate::sync::lock(&b.queue).items.len(), 0);
    assert_eq!(s.push(&p, None, &[body("y")], false).reached, 2);
}

#[test]
fn a_push_past_the_queue_cap_closes_the_stream_and_drops_its_queue() {
    let s = streams(10, 10);
    let a = open(&s, "/feed", None);
    let p = pattern(json!({"urlPath": "/feed"}));
    assert_eq!(s.push(&p, None, &[body("12345678")], false).reached, 1);
    let pushed = s.push(&p, None, &[body("123")], false);
    assert_eq!(
        pushed,
        Pushed {
            reached: 0,
            overflowed: 1
        }
    );
    let queue = crate::sync::lock(&a.queue);
    assert_eq!((queue.items.len(), queue.bytes), (0, 0));
    assert_eq!(queue.closed, Some(Closed::Overflow));
    drop(queue);
    assert!(s.is_empty(), "an overflowed stream is no longer listed");
}

#[test]
fn the_stream_cap_refuses_one_more() {
    let s = streams(2, 10);
    let _a = open(&s, "/a", None);
    let b = open(&s, "/b", None);
    let third = s.open(
        Arc::new(Recorded::new(Method::GET, "/c")),
        Scopes::one("x"),
        false,
    );
    assert_eq!(third.map(|_| ()).unwrap_err().max, 2);
    s.forget(b.id);
    assert!(
        s.open(
            Arc::new(Recorded::new(Method::GET, "/c")),
            Scopes::one("x"),
            false
        )
        .is_ok()
    );
}

#[test]
fn closing_a_scope_closes_only_its_streams() {
    let s = streams(10, 1024);
    let a = open(&s, "/feed", Some("a"));
    let _b = open(&s, "/feed", Some("b"));
    assert_eq!(
        s.close_where(|o| o.scopes.contains("a"), Closed::Deleted),
        1
    );
    assert_eq!(crate::sync::lock(&a.queue).closed, Some(Closed::Deleted));
    assert_eq!(s.len(), 1);
}

#[test]
fn a_stream_opened_while_stopping_is_closed_from_the_start() {
    let s = streams(10, 1024);
    let a = open(&s, "/feed", None);
    s.stop();
    assert_eq!(crate::sync::lock(&a.queue).closed, Some(Closed::Stopping));
    let b = open(&s, "/feed", None);
    assert_eq!(crate::sync::lock(&b.queue).closed, Some(Closed::Stopping));
}
