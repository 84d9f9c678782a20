//! Matchers on a field that may repeat (headers, query and form
//! parameters): one text matcher that some value must satisfy (or
//! `absent`), `hasExactly` (every value, each matched by one of the
//! matchers, as many values as matchers) or `includes` (each matcher
//! matches some value).

use super::string::StringMatcher;
use super::{PatternError, Result, mean};
use serde_json::Value;

/// A matcher on every value of a repeated field.
#[derive(Debug, Clone)]
pub enum MultiMatcher {
    /// Some value matches (or, for `absent`, none is there).
    Single(StringMatcher),
    /// `hasExactly`: as many values as matchers, each matcher matching one.
    HasExactly(Vec<StringMatcher>),
    /// `includes`: each matcher matches some value.
    Includes(Vec<StringMatcher>),
}

impl MultiMatcher {
    /// Parses a value's matcher; `pointer` locates it.
    pub fn parse(v: &Value, pointer: &str) -> Result<MultiMatcher> {
        if let Some(obj) = v.as_object() {
            for key in ["hasExactly", "includes"] {
                if let Some(list) = obj.get(key) {
                    let at = format!("{pointer}/{key}");
                    let list = list
                        .as_array()
                        .ok_or_else(|| PatternError::new(&at, "expected a list of matchers"))?;
                    let ms = list
                        .iter()
                        .enumerate()
                        .map(|(i, m)| StringMatcher::parse(m, &format!("{at}/{i}")))
                        .collect::<Result<Vec<_>>>()?;
                    return Ok(if key == "hasExactly" {
                        MultiMatcher::HasExactly(ms)
                    } else {
                        MultiMatcher::Includes(ms)
                    });
                }
            }
        }
        StringMatcher::parse(v, pointer).map(MultiMatcher::Single)
    }

    /// Whether `values` (empty: the field is missing) match.
    pub fn matches<S: AsRef<str>>(&self, values: &[S]) -> bool {
        match self {
            MultiMatcher::Single(m) => {
                if values.is_empty() {
                    m.matches(None)
                } else if let StringMatcher::Absent(absent) = m {
                    !absent
                } else {
                    values.iter().any(|v| m.matches(Some(v.as_ref())))
                }
            }
            MultiMatcher::HasExactly(ms) => {
                !values.is_empty()
                    && ms.len() == values.len()
                    && ms
                        .iter()
                        .all(|m| values.iter().any(|v| m.matches(Some(v.as_ref()))))
            }
            MultiMatcher::Includes(ms) => {
                !values.is_empty()
                    && ms
                        .iter()
                        .all(|m| values.iter().any(|v| m.matches(Some(v.as_ref()))))
            }
        }
    }

    /// WireMock's distance: the best value's for one matcher; for several,
    /// the mean of each matcher's best (and, for `hasExactly`, whether the
    /// counts agree).
    pub fn distance<S: AsRef<str>>(&self, values: &[S]) -> f64 {
        let best = |m: &StringMatcher| {
            values
                .iter()
                .map(|v| m.distance(Some(v.as_ref())))
                .fold(1.0, f64::min)
        };
        match self {
            MultiMatcher::Single(m) => {
                if values.is_empty() {
                    m.distance(None)
                } else if matches!(m, StringMatcher::Absent(_)) {
                    f64::from(u8::from(!self.matches(values)))
                } else {
                    best(m)
                }
            }
            _ if values.is_empty() => 1.0,
            MultiMatcher::Includes(ms) => mean(ms.iter().map(best)),
            MultiMatcher::HasExactly(ms) => {
                let count = f64::from(u8::from(ms.len() != values.len()));
                (count + mean(ms.iter().map(best))) / 2.0
            }
        }
    }

    /// A short description, for the 404 body.
    pub fn describe(&self) -> String {
        let list = |ms: &[StringMatcher]| {
            ms.iter()
                .map(StringMatcher::describe)
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        match self {
            MultiMatcher::Single(m) => m.describe(),
            MultiMatcher::HasExactly(ms) => format!("exactly [{}]", list(ms)),
            MultiMatcher::Includes(ms) => format!("including [{}]", list(ms)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(v: Value) -> MultiMatcher {
        MultiMatcher::parse(&v, "").unwrap()
    }

    #[test]
    fn has_exactly_needs_every_value_and_no_other() {
        let exactly = m(json!({"hasExactly": [{"equalTo": "1"}, {"equalTo": "2"}]}));
        assert!(exactly.matches(&["2", "1"]));
        assert!(!exactly.matches(&["1", "2", "3"]));
        assert!(!exactly.matches(&["1"]));
        assert!(!exactly.matches::<&str>(&[]));
        assert_eq!(exactly.distance(&["3"]), 1.0);
    }

    #[test]
    fn includes_needs_each_matcher_to_match_some_value() {
        let includes = m(json!({"includes": [{"equalTo": "1"}, {"matches": "[a-z]"}]}));
        assert!(includes.matches(&["x", "9", "1"]));
        assert!(!includes.matches(&["1", "2"]));
        assert_eq!(includes.distance(&["1", "2"]), 0.5);
    }

    #[test]
    fn a_single_matcher_takes_the_best_value() {
        let one = m(json!({"equalTo": "abc"}));
        assert!(one.matches(&["x", "abc"]));
        assert_eq!(one.distance(&["x", "abd"]), 1.0 / 3.0);
        assert!(m(json!({"absent": true})).matches::<&str>(&[]));
        assert!(!m(json!({"absent": true})).matches(&["x"]));
    }
}
