//! Which DNS aliases our container should have on its network.

use std::collections::BTreeSet;

/// The aliases for one service: its name, plus a hyphenated form when it
/// has `_` (some HTTP clients refuse underscores in host names).
pub fn for_service(name: &str) -> Vec<String> {
    let lower = name.to_ascii_lowercase();
    let mut v = vec![lower.clone()];
    if lower.contains('_') {
        v.push(lower.replace('_', "-"));
    }
    v
}

/// The aliases wanted: those the container had at start (the user's and
/// compose's) and one per service.
pub fn desired<'a>(
    base: &BTreeSet<String>,
    services: impl IntoIterator<Item = &'a str>,
) -> BTreeSet<String> {
    let mut set = base.clone();
    for s in services {
        set.extend(for_service(s));
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_add_their_names_and_hyphenated_forms() {
        let base: BTreeSet<String> = ["fake-services".to_owned(), "a1b2c3".to_owned()].into();
        let want = desired(&base, ["example", "other_service"]);
        let want: Vec<&str> = want.iter().map(String::as_str).collect();
        assert_eq!(
            want,
            [
                "a1b2c3",
                "example",
                "fake-services",
                "other-service",
                "other_service"
            ]
        );
    }
}
