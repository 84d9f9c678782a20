//! Service names: compared and stored with case, and `-` against `_`,
//! aside.

/// Whether `a` and `b` name the same service: case, and `-` against `_`,
/// aside (`Other-Service` is `other_service`).
pub fn same_service(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| fold(x) == fold(y))
}

/// The form a service name takes when only stubs define it: lower case,
/// `_` for `-`.
pub fn canonical(name: &str) -> String {
    name.bytes().map(|b| char::from(fold(b))).collect()
}

fn fold(b: u8) -> u8 {
    if b == b'-' {
        b'_'
    } else {
        b.to_ascii_lowercase()
    }
}
