use super::*;
use serde_json::json;

fn req(path: &str) -> Recorded {
    Recorded {
        method: http::Method::GET,
        path: path.into(),
        query: None,
        headers: http::HeaderMap::new(),
        body: Bytes::new(),
        service: None,
        client: None,
        received_at: std::time::SystemTime::now(),
        version: http::Version::HTTP_11,
        secure: false,
    }
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
fn response_definitions_parse_or_name_the_bad_field() {
    let r = StubResponse::parse(&json!({
        "status": 201, "statusMessage": "Made", "headers": {"A": "1", "B": ["x", "y"]},
        "jsonBody": {"z": 1, "a": [true]}, "fixedDelayMilliseconds": 5, "fault": "EMPTY_RESPONSE"
    }))
    .unwrap();
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.reason.as_deref(), Some("Made"));
    assert_eq!(r.headers.len(), 3);
    assert_eq!(
        r.body, r#"{"z":1,"a":[true]}"#,
        "compact, in the stub's key order"
    );
    assert_eq!(r.delay, Delay::Fixed(Duration::from_millis(5)));
    assert_eq!(r.fault, Some(Fault::EmptyResponse));
    let bad = |v: Value| StubResponse::parse(&v).unwrap_err().pointer;
    assert_eq!(bad(json!({"status": 99})), "/response/status");
    assert_eq!(bad(json!({"status": "x"})), "/response/status");
    assert_eq!(bad(json!({"fault": "BOOM"})), "/response/fault");
    assert_eq!(
        bad(json!({"delayDistribution": {"type": "pareto"}})),
        "/response/delayDistribution/type"
    );
    assert_eq!(
        bad(json!({"delayDistribution": {"type": "uniform", "lower": 5, "upper": 1}})),
        "/response/delayDistribution/upper"
    );
    assert_eq!(bad(json!({"body": "a", "jsonBody": {}})), "/response");
    assert_eq!(
        bad(json!({"bodyFileName": "x.json"})),
        "/response/bodyFileName"
    );
    assert_eq!(bad(json!({"colour": "red"})), "/response/colour");
}

#[test]
fn extreme_lognormal_parameters_draw_delays_within_the_maximum() {
    for (median, sigma) in [
        (1e300, 1000.0),
        (90.0, 1000.0),
        (f64::MAX, 10.0),
        (0.0, 1e9),
    ] {
        let d = Delay::LogNormal {
            median,
            sigma,
            max: None,
        };
        for _ in 0..200 {
            assert!(d.sample() <= crate::plan::MAX_DELAY, "{median} {sigma}");
        }
    }
}

#[test]
fn delays_sample_within_their_distribution() {
    for _ in 0..200 {
        let d = Delay::Uniform {
            lower: 10,
            upper: 20,
        }
        .sample();
        assert!((10..=20).contains(&(d.as_millis() as u64)), "{d:?}");
        let l = Delay::LogNormal {
            median: 50.0,
            sigma: 0.5,
            max: Some(80.0),
        }
        .sample();
        assert!(l <= Duration::from_millis(80), "{l:?}");
    }
}

#[test]
fn dribble_splits_the_body() {
    let r = StubResponse::parse(&json!({"body": "abcdefghij", "chunkedDribbleDelay": {"numberOfChunks": 3, "totalDuration": 300}})).unwrap();
    match r.plan(Duration::ZERO).body {
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
        Err("/request/urlPath: expected a string".to_owned())
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
