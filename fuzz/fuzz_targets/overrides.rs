//! The next-request header parser, and applying what it parses.
//!
//! Property: a parsed override, written back as override headers, parses
//! to an equivalent override (the same parts; the same values per header
//! name, in order).
#![no_main]

use fake_servicer_server::{overrides::Override, plan::Plan};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

const PREFIX: &str = "x-fake-servicer-next-request-";

/// `o` as the override headers that arm it.
fn to_headers(o: &Override) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut put = |part: &str, value: HeaderValue| {
        let name = HeaderName::from_bytes(format!("{PREFIX}{part}").as_bytes())
            .expect("an override header name");
        headers.append(name, value);
    };
    if let Some(status) = o.status {
        put("status", HeaderValue::from(status.as_u16()));
    }
    if let Some(body) = &o.body {
        let value = HeaderValue::from_maybe_shared(body.clone())
            .expect("a body read from a header value is a header value");
        put("body", value);
    }
    if !o.headers.is_empty() {
        let json = json_headers(&o.headers);
        let value = HeaderValue::from_str(&json)
            .unwrap_or_else(|_| panic!("{json:?} is not a header value"));
        put("headers", value);
    }
    put("times", HeaderValue::from(o.times));
    if let Some(delay) = o.delay {
        let ms = u64::try_from(delay.as_millis()).expect("a delay read as u64 milliseconds");
        put("delay", HeaderValue::from(ms));
    }
    if let Some(fault) = o.fault {
        put("fault", HeaderValue::from_static(fault.name()));
    }
    headers
}

/// `{"name": ["value", …], …}` in ASCII (a header value must be visible
/// ASCII), each name once with its values in order.
fn json_headers(headers: &[(HeaderName, HeaderValue)]) -> String {
    let mut names: Vec<&HeaderName> = Vec::new();
    for (name, _) in headers {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let fields: Vec<String> = names
        .iter()
        .map(|name| {
            let values: Vec<String> = headers
                .iter()
                .filter(|(n, _)| n == *name)
                .map(|(_, v)| {
                    json_string(std::str::from_utf8(v.as_bytes()).expect("parsed from a str"))
                })
                .collect();
            format!("{}:[{}]", json_string(name.as_str()), values.join(","))
        })
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// A JSON string literal of `s` in printable ASCII.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// Each header name's values, in order.
fn by_name(headers: &[(HeaderName, HeaderValue)]) -> BTreeMap<&str, Vec<&[u8]>> {
    let mut out: BTreeMap<&str, Vec<&[u8]>> = BTreeMap::new();
    for (name, value) in headers {
        out.entry(name.as_str()).or_default().push(value.as_bytes());
    }
    out
}

fn equivalent(a: &Override, b: &Override) -> bool {
    (a.status, &a.body, a.times, a.delay, a.fault) == (b.status, &b.body, b.times, b.delay, b.fault)
        && by_name(&a.headers) == by_name(&b.headers)
}

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (part, value) = (&line[..colon], &line[colon + 1..]);
        let name = [PREFIX.as_bytes(), part].concat();
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(&name),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(n, v);
        }
    }
    if let Some(Ok(o)) = Override::from_headers(&headers) {
        let _ = o.apply(Plan::json(StatusCode::OK, &serde_json::json!({"a": 1})));
        let _ = o.describe("svc", &http::Method::GET, "/");
        let written = to_headers(&o);
        match Override::from_headers(&written) {
            Some(Ok(again)) => assert!(
                equivalent(&o, &again),
                "{o:?}\nwritten as {written:?}\nparses to {again:?}"
            ),
            other => panic!("{o:?}\nwritten as {written:?}\nparses to {other:?}"),
        }
    }
});
