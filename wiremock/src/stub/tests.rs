use super::*;
use serde_json::json;

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
        bad(json!({"bodyFileName": "../x.json"})),
        "/response/bodyFileName"
    );
    assert_eq!(
        bad(json!({"bodyFileName": "x.json", "body": "b"})),
        "/response"
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
            assert!(
                d.sample() <= fake_servicer_core::delay::MAX_DELAY,
                "{median} {sigma}"
            );
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
fn a_fixed_delay_distribution_is_a_fixed_delay() {
    let r =
        StubResponse::parse(&json!({"delayDistribution": {"type": "fixed", "milliseconds": 300}}))
            .unwrap();
    assert_eq!(r.delay, Delay::Fixed(Duration::from_millis(300)));
    let bad = StubResponse::parse(
        &json!({"delayDistribution": {"type": "fixed", "milliseconds": 600_001}}),
    )
    .unwrap_err();
    assert_eq!(bad.pointer, "/response/delayDistribution/milliseconds");
}
