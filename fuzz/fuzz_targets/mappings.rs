//! The mapping parser and the matchers: any JSON, any request.
//!
//! Property: a stored mapping re-parses to itself: its stored JSON,
//! written out and read back, is the same JSON and parses to the same stub
//! (id, priority, request pattern, response, scenario), which decides the
//! fuzzed request the same way.
#![no_main]

use bytes::Bytes;
use fake_servicer_server::{
    mappings::{Stub, parse_mapping},
    matchers::RequestPattern,
    plan::Plan,
    request::Recorded,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, SystemTime};

/// A request from text lines: method, path, query, `name: value` headers,
/// then the body.
fn request(data: &[u8]) -> Recorded {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let method =
        Method::from_bytes(lines.next().unwrap_or("GET").as_bytes()).unwrap_or(Method::GET);
    let path = format!("/{}", lines.next().unwrap_or(""));
    let query = lines.next().map(str::to_owned);
    let mut headers = HeaderMap::new();
    let mut body = String::new();
    for line in lines {
        match line.split_once(": ") {
            Some((n, v)) if body.is_empty() => {
                if let (Ok(n), Ok(v)) = (
                    HeaderName::from_bytes(n.as_bytes()),
                    HeaderValue::from_str(v),
                ) {
                    headers.append(n, v);
                }
            }
            _ => body.push_str(line),
        }
    }
    let service = path.starts_with("/svc").then(|| ("svc".into(), 4));
    Recorded {
        method,
        path: path.into(),
        query: query.map(Into::into),
        headers,
        body: Bytes::from(body),
        service,
        client: None,
        received_at: SystemTime::now(),
        version: http::Version::HTTP_11,
        secure: false,
    }
}

/// What a stub is, apart from its creation order and file.
fn parsed(stub: &Stub) -> String {
    let r = &stub.response;
    format!(
        "id {} priority {} request {:?} response {:?} {:?} {:?} {:?} {:?} {:?} {:?} scenario {:?}",
        stub.id,
        stub.priority,
        stub.request,
        r.status,
        r.reason,
        r.headers,
        r.body,
        r.delay,
        r.dribble,
        r.fault,
        stub.scenario
    )
}

/// Writes `stub`'s stored JSON out, reads it back, and parses it again.
fn check_reparses(stub: &Stub, req: &Recorded) {
    let text = serde_json::to_string(&stub.json).expect("a JSON value is written");
    let read: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the stored mapping {text} is not read back: {e}"));
    assert_eq!(
        read, stub.json,
        "the stored mapping {text} reads back changed"
    );
    let again = parse_mapping(&read, 0, None)
        .unwrap_or_else(|e| panic!("the stored mapping {text} is refused: {e:?}"));
    assert_eq!(
        again.json, stub.json,
        "the stored mapping {text} is stored changed"
    );
    assert_eq!(
        parsed(&again),
        parsed(stub),
        "the stored mapping {text} parses differently"
    );
    assert_eq!(
        again.request.matches(req),
        stub.request.matches(req),
        "the stored mapping {text} matches differently"
    );
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let (mapping, rest) = data.split_at(split);
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(mapping) else {
        return;
    };
    let req = request(rest);
    if let Ok(stub) = parse_mapping(&value, 0, None) {
        let _ = stub.request.matches(&req);
        let _ = Plan::of_stub(&stub.response, Duration::ZERO);
        check_reparses(&stub, &req);
    }
    if let Ok(pattern) = RequestPattern::parse(&value, "") {
        let _ = pattern.matches(&req);
    }
});
