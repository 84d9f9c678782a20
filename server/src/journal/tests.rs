use super::*;
use bytes::Bytes;
use serde_json::{Value, json};
use std::time::Duration;

fn rec(path: &str, body: usize) -> Arc<Recorded> {
    rec_with_query(path, body, "a=1&a=2")
}

fn rec_with_query(path: &str, body: usize, query: &str) -> Arc<Recorded> {
    Arc::new(Recorded {
        query: Some(query.into()),
        body: Bytes::from(vec![b'x'; body]),
        ..Recorded::new(http::Method::GET, path)
    })
}

fn outcome(by: AnsweredBy) -> Outcome {
    Outcome {
        status: 200,
        response: Responded::default(),
        answered_by: by,
        stub: None,
        process_time: Duration::ZERO,
        added_delay: Duration::ZERO,
    }
}

/// The paths of the entries shown, newest first.
fn paths(j: &Journal) -> Vec<String> {
    j.all().iter().map(|e| e.path().to_string()).collect()
}

fn record_paths(j: &Journal, range: std::ops::Range<usize>) {
    for i in range {
        j.record(&rec(&format!("/{i}"), 0), outcome(AnsweredBy::Nothing));
    }
}

fn newest(range: std::ops::Range<usize>) -> Vec<String> {
    range.rev().map(|i| format!("/{i}")).collect()
}

#[test]
fn a_journal_of_size_one_hundred_keeps_the_newest_hundred() {
    let j = Journal::new(100);
    record_paths(&j, 0..1000);
    assert_eq!(paths(&j), newest(900..1000));
}

#[test]
fn a_journal_of_size_one_keeps_the_newest_entry_only() {
    let j = Journal::new(1);
    record_paths(&j, 0..50);
    assert_eq!(paths(&j), newest(49..50));
    let stored: usize = j.shards.iter().map(|s| lock(s).entries.len()).sum();
    assert_eq!(stored, 1, "nothing kept beyond it");
}

#[test]
fn a_large_sharded_journal_keeps_exactly_its_size() {
    let j = Journal::new(10_000);
    assert_eq!(j.shards.len(), MAX_SHARDS);
    record_paths(&j, 0..25_013);
    assert_eq!(paths(&j), newest(15_013..25_013));
    let stored: usize = j.shards.iter().map(|s| lock(s).entries.len()).sum();
    assert!(stored < 10_000 + MAX_SHARDS, "{stored} kept");
}

#[test]
fn query_strings_count_against_the_byte_budget() {
    let j = Journal::new(1_000_000);
    let query = "q=".to_owned() + &"a".repeat(60_000);
    for i in 0..2000 {
        j.record(
            &rec_with_query(&format!("/{i}"), 0, &query),
            outcome(AnsweredBy::Nothing),
        );
    }
    assert!(j.bytes() <= BYTE_BUDGET, "{} bytes charged", j.bytes());
    let kept: usize = j
        .all()
        .iter()
        .map(|e| e.request().query.as_ref().map_or(0, |q| q.len()))
        .sum();
    assert!(kept <= BYTE_BUDGET, "{kept} bytes of queries kept");
    assert!(j.len() < 2000);
}

#[test]
fn every_entry_is_charged_its_bookkeeping() {
    let j = Journal::new(1);
    j.record(&rec("/", 0), outcome(AnsweredBy::Nothing));
    assert!(
        j.bytes() >= size_of::<Entry>() + size_of::<Arc<Entry>>(),
        "{} bytes charged",
        j.bytes()
    );
}

#[test]
fn a_disabled_journal_keeps_nothing() {
    let j = Journal::new(0);
    j.record(&rec("/", 0), outcome(AnsweredBy::Nothing));
    assert!(j.is_empty());
}

#[test]
fn bodies_count_against_the_byte_budget() {
    let j = Journal::new(1_000_000);
    for i in 0..200 {
        j.record(
            &rec(&format!("/{i}"), MAX_BODY),
            outcome(AnsweredBy::Nothing),
        );
    }
    j.record(&rec("/huge", 3 * MAX_BODY), outcome(AnsweredBy::Nothing));
    assert_eq!(
        j.all()[0].request().body.len(),
        MAX_BODY,
        "a huge body is truncated"
    );
    let kept: usize = j.all().iter().map(|e| e.request().body.len()).sum();
    assert!(kept <= BYTE_BUDGET + MAX_SHARDS * MAX_BODY, "{kept}");
    assert!(j.len() < 200);
}

#[test]
fn response_bodies_count_against_the_byte_budget_and_are_kept_truncated() {
    let j = Journal::new(1_000_000);
    let body = Bytes::from(vec![b'y'; 2 * MAX_BODY]);
    for i in 0..100 {
        let mut o = outcome(AnsweredBy::Nothing);
        o.response.body = body.clone();
        j.record(&rec(&format!("/{i}"), 0), o);
    }
    assert_eq!(j.all()[0].outcome.response.body.len(), MAX_BODY);
    assert!(j.bytes() <= BYTE_BUDGET, "{} bytes charged", j.bytes());
    assert!(j.bytes() >= MAX_BODY, "{} bytes charged", j.bytes());
    assert!(j.len() < 100, "{} kept", j.len());
}

#[test]
fn a_chunked_answer_is_recorded_joined() {
    let mut plan = crate::plan::Plan::empty(http::StatusCode::OK);
    plan.body = crate::plan::PlanBody::Chunks(vec![
        (Duration::ZERO, Bytes::from_static(b"ab")),
        (Duration::ZERO, Bytes::from_static(b"cd")),
    ]);
    assert_eq!(&Responded::of(&plan).body[..], b"abcd");
}

fn pattern(v: Value) -> RequestPattern {
    RequestPattern::parse(&v, "").unwrap()
}

/// A journal of one entry that has dropped `GET /shop/price?id=1` of
/// scope `s1` and `POST /orders`.
fn after_evictions() -> Journal {
    let j = Journal::new(1);
    let mut price = (*rec_with_query("/shop/price", 0, "id=1")).clone();
    price.service = Some(("shop".into(), "/shop".len()));
    let scopes = crate::scope::Scopes::one("s1");
    j.record_scoped(&price, scopes, outcome(AnsweredBy::Nothing), &[]);
    let mut order = (*rec("/orders", 0)).clone();
    order.method = http::Method::POST;
    j.record(&order, outcome(AnsweredBy::Nothing));
    j.record(&rec("/kept", 0), outcome(AnsweredBy::Nothing));
    j
}

#[test]
fn a_pattern_no_dropped_entry_could_match_counts_no_evictions() {
    let j = after_evictions();
    for p in [
        json!({"urlPath": "/kept"}),
        json!({"method": "GET", "urlPath": "/orders"}),
        json!({"urlPath": "/shop/price", "service": "shop"}),
        json!({"urlPathPattern": "/shop/p.*", "service": "shop"}),
        json!({"url": "/price?id=2", "service": "other"}),
    ] {
        assert_eq!(j.evicted(None, &pattern(p.clone())), 0, "{p}");
    }
    let orders = pattern(json!({"urlPath": "/orders"}));
    assert_eq!(j.evicted(Some("s1"), &orders), 0, "not of the scope");
}

#[test]
fn a_pattern_a_dropped_entry_could_match_counts_it() {
    let j = after_evictions();
    for (p, n) in [
        (json!({}), 2),
        (json!({"method": "POST", "urlPath": "/orders"}), 1),
        (json!({"urlPath": "/price", "service": "shop"}), 1),
        (json!({"urlPathTemplate": "/{what}", "service": "shop"}), 1),
        // The query, headers and body were not kept: they may match.
        (json!({"url": "/price?id=2", "service": "shop"}), 1),
        (
            json!({"urlPath": "/orders", "headers": {"x": {"equalTo": "y"}}}),
            1,
        ),
        (json!({"urlPattern": "/nothing.*"}), 2),
    ] {
        assert_eq!(j.evicted(None, &pattern(p.clone())), n, "{p}");
    }
    let any = pattern(json!({}));
    assert_eq!(j.evicted(Some("s1"), &any), 1);
    assert_eq!(j.evicted(Some("s2"), &any), 0);
}

#[test]
fn past_the_budget_of_routes_every_dropped_entry_of_the_scope_counts() {
    let j = Journal::new(1);
    let long = "x".repeat(8 * 1024);
    let routes = EVICTED_ROUTES_BUDGET / long.len() + 2;
    for i in 0..routes {
        let scopes = crate::scope::Scopes::one("s1");
        let r = rec(&format!("/{i}/{long}"), 0);
        j.record_scoped(&r, scopes, outcome(AnsweredBy::Nothing), &[]);
    }
    let nothing = pattern(json!({"urlPath": "/nothing"}));
    let dropped = routes as u64 - 1;
    assert_eq!(j.evicted(None, &nothing), dropped);
    assert_eq!(j.evicted(Some("s1"), &nothing), dropped);
    assert_eq!(j.evicted(Some("s2"), &nothing), 0);
}

#[test]
fn find_unmatched_get_remove() {
    let j = Journal::new(10);
    j.record(&rec("/a", 0), outcome(AnsweredBy::Nothing));
    j.record(&rec("/b", 0), outcome(AnsweredBy::Override));
    j.record(&rec("/a", 0), outcome(AnsweredBy::Server));
    let pattern = RequestPattern::parse(&json!({"urlPath": "/a"}), "").unwrap();
    assert_eq!(j.find(&pattern).len(), 2);
    assert_eq!(j.unmatched().len(), 1);
    let id = j.all()[0].id;
    assert!(j.get(id).is_some());
    assert!(j.remove(id));
    assert!(!j.remove(id));
    assert_eq!(j.len(), 2);
    let kept = j.all()[0].request();
    assert_eq!(kept.url(), "/b?a=1&a=2");
    assert_eq!(
        kept.query_params(),
        [
            ("a".to_owned(), "1".to_owned()),
            ("a".to_owned(), "2".to_owned())
        ]
    );
    j.clear();
    assert!(j.is_empty());
}

#[test]
fn sub_events_are_added_to_their_entry_capped_and_charged_until_it_goes() {
    let j = Journal::new(1);
    let at = j
        .record_scoped(
            &rec("/a", 0),
            Default::default(),
            outcome(AnsweredBy::Nothing),
            &[],
        )
        .expect("an entry");
    let before = j.bytes();
    j.add_sub_events(at, (0..40).map(|i| SubEvent::error(format!("e{i}"))));
    j.add_sub_events(
        at,
        [SubEvent::WebhookResponse(WebhookResponse {
            status: 200,
            headers: Vec::new(),
            body: Bytes::from(vec![b'x'; 3 * sub_events::MAX_BODY]),
        })],
    );
    let events = j.all()[0].sub_events();
    assert_eq!(events.len(), sub_events::MAX_PER_ENTRY, "{events:?}");
    assert!(j.bytes() > before);
    // `/a` goes: its sub events with it, and a late one is dropped.
    j.record(&rec("/b", 0), outcome(AnsweredBy::Nothing));
    j.add_sub_events(at, [SubEvent::error("late")]);
    let only_b = Journal::new(1);
    only_b.record(&rec("/b", 0), outcome(AnsweredBy::Nothing));
    assert_eq!(j.bytes(), only_b.bytes());
    assert!(j.all()[0].sub_events().is_empty());
}

#[test]
fn a_sub_event_keeps_a_bounded_body() {
    let j = Journal::new(4);
    let at = j
        .record_scoped(
            &rec("/a", 0),
            Default::default(),
            outcome(AnsweredBy::Nothing),
            &[],
        )
        .expect("an entry");
    j.add_sub_events(
        at,
        [SubEvent::WebhookResponse(WebhookResponse {
            status: 200,
            headers: Vec::new(),
            body: Bytes::from(vec![b'x'; 3 * sub_events::MAX_BODY]),
        })],
    );
    match &j.all()[0].sub_events()[..] {
        [SubEvent::WebhookResponse(r)] => assert_eq!(r.body.len(), sub_events::MAX_BODY),
        other => panic!("{other:?}"),
    }
}
