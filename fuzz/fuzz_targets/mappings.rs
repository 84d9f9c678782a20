//! The mapping parser and the matchers: any JSON, any request.
#![no_main]

use bytes::Bytes;
use fake_servicer_server::{mappings::parse_mapping, matchers::RequestPattern, request::Recorded};
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
        path,
        query,
        headers,
        body: Bytes::from(body),
        service,
        client: None,
        received_at: SystemTime::now(),
    }
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
        let _ = stub.response.plan(Duration::ZERO);
    }
    if let Ok(pattern) = RequestPattern::parse(&value, "") {
        let _ = pattern.matches(&req);
    }
});
