//! Header helpers (see [`fake_servicer_core::headers`]), and a header map
//! for the unit tests.

pub use fake_servicer_core::headers::*;

#[cfg(test)]
pub fn map(pairs: &[(&str, &str)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (n, v) in pairs {
        map.append(
            http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}
