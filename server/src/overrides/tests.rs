use super::*;
use crate::headers::map as headers;

#[test]
fn parses_every_header() {
    let o = Override::from_headers(&headers(&[
        ("X-Fake-Servicer-Next-Request-Status", "403"),
        (
            "X-Fake-Servicer-Next-Request-Body",
            "{\"error\":\"Auth error\"}",
        ),
        (
            "X-Fake-Servicer-Next-Request-Headers",
            "{\"x-a\": \"1\", \"x-b\": [\"2\", \"3\"]}",
        ),
        ("X-Fake-Servicer-Next-Request-Times", "2"),
        ("X-Fake-Servicer-Next-Request-Delay", "150"),
        ("X-Fake-Servicer-Next-Request-Fault", "EMPTY_RESPONSE"),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(o.status, Some(StatusCode::FORBIDDEN));
    assert_eq!(o.body.as_deref(), Some(&b"{\"error\":\"Auth error\"}"[..]));
    assert_eq!(o.headers.len(), 3);
    assert_eq!(o.times, 2);
    assert_eq!(o.delay, Some(Duration::from_millis(150)));
    assert_eq!(o.fault, Some(Fault::EmptyResponse));
    assert!(Override::from_headers(&headers(&[("accept", "x")])).is_none());
}

#[test]
fn malformed_values_name_the_header() {
    for (name, value) in [
        ("X-Fake-Servicer-Next-Request-Status", "forbidden"),
        ("X-Fake-Servicer-Next-Request-Status", "42"),
        ("X-Fake-Servicer-Next-Request-Headers", "[1]"),
        ("X-Fake-Servicer-Next-Request-Headers", "{not json"),
        ("X-Fake-Servicer-Next-Request-Times", "0"),
        ("X-Fake-Servicer-Next-Request-Delay", "-5"),
        ("X-Fake-Servicer-Next-Request-Fault", "BOOM"),
        ("X-Fake-Servicer-Next-Request-Colour", "red"),
    ] {
        let err = Override::from_headers(&headers(&[(name, value)]))
            .unwrap()
            .unwrap_err();
        assert_eq!(
            err.header.to_ascii_lowercase(),
            name.to_ascii_lowercase(),
            "{value}: {err:?}"
        );
    }
}

#[test]
fn fifo_and_times() {
    let ov = Overrides::default();
    let with = |s: u16, times: u32| Override {
        status: Some(StatusCode::from_u16(s).unwrap()),
        times,
        ..Override::default()
    };
    ov.arm("svc", &Method::GET, "/a", with(500, 2)).unwrap();
    ov.arm("svc", &Method::GET, "/a", with(503, 1)).unwrap();
    let take = || {
        ov.take("svc", &Method::GET, "/a")
            .map(|o| o.status.unwrap().as_u16())
    };
    assert_eq!(ov.take("svc", &Method::POST, "/a"), None);
    assert_eq!(take(), Some(500));
    assert_eq!(take(), Some(500));
    assert_eq!(take(), Some(503));
    assert_eq!(take(), None);
    assert!(ov.is_empty());
}

#[test]
fn unset_parts_keep_the_base() {
    let base = Plan::json(StatusCode::OK, &json!({"a": 1}));
    let o = Override {
        status: Some(StatusCode::IM_A_TEAPOT),
        headers: vec![(
            HeaderName::from_static("content-type"),
            HeaderValue::from_static("text/x"),
        )],
        times: 1,
        ..Override::default()
    };
    let p = o.apply(base);
    assert_eq!(p.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(
        p.body,
        PlanBody::Full(Bytes::from(json!({"a": 1}).to_string()))
    );
    assert_eq!(p.headers.len(), 1);
    assert_eq!(p.headers[0].1, "text/x");
}

fn header(name: &'static str, value: &'static str) -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

fn base_with_headers() -> Plan {
    let mut base = Plan::json(StatusCode::OK, &json!({"a": 1}));
    base.headers.push(header("content-length", "7"));
    base.headers.push(header("x-handler", "kept"));
    base.headers.push(header("x-replaced", "old"));
    base
}

#[test]
fn status_and_body_keep_the_bases_other_headers() {
    let o = Override {
        status: Some(StatusCode::FORBIDDEN),
        body: Some(Bytes::from_static(b"{\"error\":\"Auth error\"}")),
        headers: vec![header("x-replaced", "new")],
        times: 1,
        ..Override::default()
    };
    assert!(o.needs_base(), "unset headers come from the base");
    let p = o.apply(base_with_headers());
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(
        p.body,
        PlanBody::Full(Bytes::from_static(b"{\"error\":\"Auth error\"}"))
    );
    let names = |name: &str| -> Vec<&HeaderValue> {
        p.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v)
            .collect()
    };
    assert_eq!(names("content-type"), ["application/json"]);
    assert_eq!(names("x-handler"), ["kept"]);
    assert_eq!(names("x-replaced"), ["new"], "same-named headers replaced");
    assert!(
        names("content-length").is_empty(),
        "the base's Content-Length does not fit the new body"
    );
}

#[test]
fn an_unchanged_body_keeps_the_bases_content_length() {
    let o = Override {
        status: Some(StatusCode::ACCEPTED),
        times: 1,
        ..Override::default()
    };
    let p = o.apply(base_with_headers());
    assert!(
        p.headers
            .iter()
            .any(|(n, v)| n == "content-length" && v == "7")
    );
}

#[test]
fn a_fault_needs_no_base() {
    let o = Override {
        status: Some(StatusCode::FORBIDDEN),
        fault: Some(Fault::EmptyResponse),
        times: 1,
        ..Override::default()
    };
    assert!(!o.needs_base());
    assert_eq!(
        o.apply(Plan::empty(StatusCode::OK)).fault,
        Some(Fault::EmptyResponse)
    );
}

fn with_body(len: usize) -> Override {
    Override {
        body: Some(Bytes::from(vec![b'b'; len])),
        times: 1,
        ..Override::default()
    }
}

#[test]
fn arming_past_the_count_cap_is_refused_naming_the_flag() {
    let ov = Overrides::new(2, usize::MAX);
    ov.arm("svc", &Method::GET, "/a", with_body(1)).unwrap();
    ov.arm("svc", &Method::GET, "/b", with_body(1)).unwrap();
    let err = ov.arm("svc", &Method::GET, "/c", with_body(1)).unwrap_err();
    assert_eq!((err.flag, err.cap), ("--max-armed-overrides", 2));
    assert_eq!(ov.take("svc", &Method::GET, "/c"), None, "nothing armed");
    assert!(ov.take("svc", &Method::GET, "/a").is_some());
    ov.arm("svc", &Method::GET, "/c", with_body(1))
        .expect("a served override makes room");
}

#[test]
fn arming_past_the_byte_cap_is_refused_naming_the_flag() {
    let ov = Overrides::new(usize::MAX, 10_000);
    ov.arm("svc", &Method::GET, "/a", with_body(6_000)).unwrap();
    let err = ov
        .arm("svc", &Method::GET, "/b", with_body(6_000))
        .unwrap_err();
    assert_eq!((err.flag, err.cap), ("--max-armed-override-bytes", 10_000));
    assert!(err.message.contains("10000 bytes"), "{}", err.message);
    assert_eq!(ov.len(), 1);
    ov.clear();
    ov.arm("svc", &Method::GET, "/b", with_body(6_000))
        .expect("a reset makes room");
}

#[test]
fn serving_and_clearing_give_the_bytes_and_the_map_back() {
    let ov = Overrides::new(usize::MAX, usize::MAX);
    for i in 0..1000 {
        ov.arm("svc", &Method::GET, &format!("/{i}"), with_body(10))
            .unwrap();
    }
    for i in 0..1000 {
        assert!(ov.take("svc", &Method::GET, &format!("/{i}")).is_some());
    }
    let armed = crate::sync::lock(&ov.armed);
    assert_eq!((armed.count, armed.bytes), (0, 0));
    assert_eq!(armed.queues.capacity(), 0, "the emptied map is replaced");
    drop(armed);
    for i in 0..1000 {
        ov.arm("svc", &Method::GET, &format!("/{i}"), with_body(10))
            .unwrap();
    }
    ov.clear();
    assert_eq!(crate::sync::lock(&ov.armed).queues.capacity(), 0);
}
