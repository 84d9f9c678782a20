//! `--admin-token`: what needs it (every admin call but health, and
//! arming a next-request override) and how it is checked.

use http::{HeaderMap, header};

/// Whether `headers` carry `Authorization: Bearer <token>` (compared in
/// constant time).
pub(crate) fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    constant_time_eq(given.trim().as_bytes(), token.as_bytes())
}

/// Equality whose time depends only on the lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_eq_is_equality() {
        use super::constant_time_eq as eq;
        assert!(eq(b"s3cret", b"s3cret"));
        assert!(!eq(b"s3cret", b"s3creT"));
        assert!(!eq(b"s3cret", b"s3cre"));
        assert!(!eq(b"", b"x"));
        assert!(eq(b"", b""));
    }
}
