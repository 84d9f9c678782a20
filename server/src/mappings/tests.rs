use super::*;
use crate::plan::PlanBody;
use bytes::Bytes;
use serde_json::json;
use std::time::Duration;

fn req(path: &str) -> Recorded {
    Recorded::new(http::Method::GET, path)
}

fn body_of(stubs: &Stubs, path: &str) -> Option<Bytes> {
    stubs.find(&req(path)).map(|s| s.response.body.clone())
}

#[test]
fn lower_priority_wins_then_newest() {
    let stubs = Stubs::default();
    stubs
        .create(&json!({"request": {"urlPath": "/p"}, "response": {"body": "old"}}))
        .unwrap();
    stubs
        .create(&json!({"request": {"urlPath": "/p"}, "response": {"body": "new"}}))
        .unwrap();
    assert_eq!(body_of(&stubs, "/p").unwrap(), "new");
    stubs
        .create(
            &json!({"priority": 1, "request": {"urlPath": "/p"}, "response": {"body": "urgent"}}),
        )
        .unwrap();
    stubs
        .create(&json!({"priority": 9, "request": {"urlPath": "/p"}, "response": {"body": "late"}}))
        .unwrap();
    assert_eq!(body_of(&stubs, "/p").unwrap(), "urgent");
}

#[test]
fn client_ids_are_kept_and_replace() {
    let stubs = Stubs::default();
    let id = "7d8e3a1c-36a5-4b5e-9b0e-6f9f0c2a3b4d";
    let s = stubs
        .create(&json!({"id": id, "request": {"urlPath": "/a"}}))
        .unwrap();
    assert_eq!(s.id.to_string(), id);
    assert_eq!(s.json["id"], id);
    assert_eq!(s.json["uuid"], id);
    stubs
        .create(&json!({"id": id, "request": {"urlPath": "/b"}}))
        .unwrap();
    assert_eq!(stubs.list().len(), 1);
    let err = stubs
        .create(&json!({"id": "nope", "request": {}}))
        .unwrap_err();
    assert_eq!(err.pointer, "/id");
}

#[test]
fn dribble_splits_the_body() {
    let r = StubResponse::parse(&json!({"body": "abcdefghij", "chunkedDribbleDelay": {"numberOfChunks": 3, "totalDuration": 300}})).unwrap();
    match crate::plan::Plan::of_stub(&r, Duration::ZERO).body {
        PlanBody::Chunks(c) => {
            assert_eq!(c.len(), 3);
            assert_eq!(c.iter().map(|(_, b)| b.len()).sum::<usize>(), 10);
            assert!(c.iter().all(|(d, _)| *d == Duration::from_millis(100)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn scenarios_move_on_and_reset() {
    let stubs = Stubs::default();
    stubs.create(&json!({"scenarioName": "s", "requiredScenarioState": "Started", "newScenarioState": "paid",
        "request": {"urlPath": "/order"}, "response": {"body": "unpaid"}})).unwrap();
    stubs
        .create(
            &json!({"scenarioName": "s", "requiredScenarioState": "paid",
        "request": {"urlPath": "/order"}, "response": {"body": "paid"}}),
        )
        .unwrap();
    assert_eq!(body_of(&stubs, "/order").unwrap(), "unpaid");
    assert_eq!(body_of(&stubs, "/order").unwrap(), "paid");
    assert_eq!(body_of(&stubs, "/order").unwrap(), "paid");
    assert_eq!(stubs.scenarios(), [("s".to_owned(), "paid".to_owned())]);
    stubs.reset_scenarios();
    assert_eq!(body_of(&stubs, "/order").unwrap(), "unpaid");
}

#[test]
fn files_load_replace_and_reset() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("a.json");
    std::fs::write(
        &f,
        r#"{"mappings": [{"request": {"urlPath": "/f1"}}, {"request": {"urlPath": "/f2"}}]}"#,
    )
    .unwrap();
    let stubs = Stubs::default();
    assert_eq!(stubs.load_file(&f, None, 1 << 20), Ok(2));
    stubs
        .create(&json!({"request": {"urlPath": "/api"}}))
        .unwrap();
    assert_eq!(stubs.len(), 3);
    stubs.reset();
    assert_eq!(stubs.len(), 2);
    std::fs::write(&f, r#"{"request": {"urlPath": "/f3"}}"#).unwrap();
    assert_eq!(stubs.load_file(&f, None, 1 << 20), Ok(1));
    assert!(stubs.find(&req("/f3")).is_some() && stubs.find(&req("/f1")).is_none());
    std::fs::write(&f, r#"{"request": {"urlPath": 5}}"#).unwrap();
    assert_eq!(
        stubs.load_file(&f, None, 1 << 20),
        Err("/request/urlPath: invalid type: integer `5`, expected a string".to_owned())
    );
    assert!(
        stubs.find(&req("/f3")).is_some(),
        "a bad file changes nothing"
    );
    stubs.remove_file(&f);
    assert!(stubs.is_empty());
}

#[test]
fn a_mapping_file_over_the_cap_is_refused_unread_naming_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.json");
    let mapping = r#"{"request": {"urlPath": "/big"}}"#;
    std::fs::write(&f, format!("{mapping}{}", " ".repeat(100))).unwrap();
    let stubs = Stubs::default();
    assert_eq!(
        stubs.load_file(&f, None, 64),
        Err("132 bytes, over the 64-byte cap (--max-mapping-file-bytes)".to_owned())
    );
    assert!(stubs.is_empty());
    std::fs::write(&f, mapping).unwrap();
    assert_eq!(stubs.load_file(&f, None, 64), Ok(1));
}
