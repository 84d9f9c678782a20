//! The next-request header parser, and applying what it parses.
#![no_main]

use fake_servicer_server::{overrides::Override, plan::Plan};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (part, value) = (&line[..colon], &line[colon + 1..]);
        let name = [b"x-fake-servicer-next-request-".as_slice(), part].concat();
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
    }
});
