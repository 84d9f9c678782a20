//! Matchers on one text value (`StringValuePattern` in WireMock):
//! `equalTo` (with `caseInsensitive`), `contains`, `doesNotContain`,
//! `matches`, `doesNotMatch`, `absent`, and the ones other modules define
//! (`and`/`or`/`not`, the date matchers, `matchesJsonSchema`).

use super::date::DateMatcher;
use super::logic::{All, Any, Not};
use super::schema::MatchesJsonSchema;
use super::{PatternError, Result, as_str, levenshtein_distance, whole_regex};
use regex::Regex;
use serde_json::{Map, Value};

/// One matcher on a text value that may be missing (`None`).
#[derive(Debug, Clone)]
pub enum StringMatcher {
    /// `equalTo`, optionally ignoring case.
    EqualTo {
        value: String,
        case_insensitive: bool,
    },
    /// `contains`.
    Contains(String),
    /// `doesNotContain`.
    DoesNotContain(String),
    /// `matches`: the whole value by regex.
    Matches(Regex),
    /// `doesNotMatch`.
    DoesNotMatch(Regex),
    /// `absent: true` (the value must be missing), `absent: false` (present).
    Absent(bool),
    /// `and`: every operand.
    And(All),
    /// `or`: one operand.
    Or(Any),
    /// `not`: the operand does not match.
    Not(Not),
    /// `before`, `after`, `equalToDateTime`.
    Date(DateMatcher),
    /// `matchesJsonSchema` (with `schemaVersion`).
    JsonSchema(MatchesJsonSchema),
}

/// The keys of the matchers this module parses, for error messages.
const SUPPORTED: &str = "equalTo, contains, doesNotContain, matches, doesNotMatch, absent, and, or, not, before, after, equalToDateTime, matchesJsonSchema";

impl StringMatcher {
    /// Parses `{"equalTo": "x"}` and the like; `pointer` locates `v`.
    pub fn parse(v: &Value, pointer: &str) -> Result<StringMatcher> {
        let obj = v.as_object().ok_or_else(|| {
            PatternError::new(
                pointer,
                "expected a matcher object such as {\"equalTo\": \"…\"}",
            )
        })?;
        Self::parse_object(obj, pointer, &[])
    }

    /// Parses a matcher object whose keys may include `extra` (modifiers a
    /// caller handles, such as a body pattern's `ignoreArrayOrder`).
    pub fn parse_object(
        obj: &Map<String, Value>,
        pointer: &str,
        extra: &[&str],
    ) -> Result<StringMatcher> {
        let case_insensitive = match obj.get("caseInsensitive") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(PatternError::new(
                    format!("{pointer}/caseInsensitive"),
                    "expected true or false",
                ));
            }
        };
        let mut found = None;
        for (key, value) in obj {
            let at = format!("{pointer}/{key}");
            let m = match key.as_str() {
                "caseInsensitive" => continue,
                // Read with `matchesJsonSchema`.
                "schemaVersion" if obj.contains_key("matchesJsonSchema") => continue,
                k if extra.contains(&k) || DateMatcher::MODIFIERS.contains(&k) => continue,
                "equalTo" => StringMatcher::EqualTo {
                    value: as_str(value, &at)?.to_owned(),
                    case_insensitive,
                },
                "contains" => StringMatcher::Contains(as_str(value, &at)?.to_owned()),
                "doesNotContain" => StringMatcher::DoesNotContain(as_str(value, &at)?.to_owned()),
                "matches" => StringMatcher::Matches(whole_regex(as_str(value, &at)?, &at)?),
                "doesNotMatch" => {
                    StringMatcher::DoesNotMatch(whole_regex(as_str(value, &at)?, &at)?)
                }
                "absent" => StringMatcher::Absent(
                    value
                        .as_bool()
                        .ok_or_else(|| PatternError::new(&at, "expected true or false"))?,
                ),
                "and" => StringMatcher::And(All::parse(value, &at)?),
                "or" => StringMatcher::Or(Any::parse(value, &at)?),
                "not" => StringMatcher::Not(Not::parse(value, &at)?),
                "before" | "after" | "equalToDateTime" => {
                    StringMatcher::Date(DateMatcher::parse(key, value, obj, pointer)?)
                }
                "matchesJsonSchema" => {
                    StringMatcher::JsonSchema(MatchesJsonSchema::parse(value, obj, pointer)?)
                }
                other => {
                    return Err(PatternError::new(
                        at,
                        format!("unsupported matcher {other:?} (supported: {SUPPORTED})"),
                    ));
                }
            };
            if found.replace(m).is_some() {
                return Err(PatternError::new(pointer, "one matcher per value"));
            }
        }
        found.ok_or_else(|| PatternError::new(pointer, "no matcher given"))
    }

    /// Whether this is `absent: true`, which a missing value satisfies.
    pub fn is_absent(&self) -> bool {
        matches!(self, StringMatcher::Absent(true))
    }

    /// Matches a value (`None`: missing).
    pub fn matches(&self, value: Option<&str>) -> bool {
        match self {
            StringMatcher::Absent(absent) => value.is_none() == *absent,
            StringMatcher::And(m) => m.matches(value),
            StringMatcher::Or(m) => m.matches(value),
            StringMatcher::Not(m) => m.matches(value),
            StringMatcher::Date(m) => m.matches(value),
            StringMatcher::JsonSchema(m) => m.matches(value),
            _ => {
                let Some(value) = value else { return false };
                match self {
                    StringMatcher::EqualTo {
                        value: want,
                        case_insensitive: true,
                    } => want.to_lowercase() == value.to_lowercase(),
                    StringMatcher::EqualTo { value: want, .. } => want == value,
                    StringMatcher::Contains(s) => value.contains(s.as_str()),
                    StringMatcher::DoesNotContain(s) => !value.contains(s.as_str()),
                    StringMatcher::Matches(r) => r.is_match(value),
                    StringMatcher::DoesNotMatch(r) => !r.is_match(value),
                    _ => false,
                }
            }
        }
    }

    /// How far `value` is from matching, 0 (a match) to 1, as WireMock
    /// measures it: `equalTo` by normalised Levenshtein distance, the others
    /// all or nothing.
    pub fn distance(&self, value: Option<&str>) -> f64 {
        match self {
            StringMatcher::EqualTo { value: want, .. } => {
                if self.matches(value) {
                    0.0
                } else {
                    value.map_or(1.0, |v| levenshtein_distance(want, v))
                }
            }
            StringMatcher::And(m) => m.distance(value),
            StringMatcher::Or(m) => m.distance(value),
            StringMatcher::Date(m) => m.distance(value),
            StringMatcher::JsonSchema(m) => m.distance(value),
            _ => f64::from(u8::from(!self.matches(value))),
        }
    }

    /// A short description, for the 404 body.
    pub fn describe(&self) -> String {
        match self {
            StringMatcher::EqualTo { value, .. } => format!("equalTo {value}"),
            StringMatcher::Contains(s) => format!("contains {s}"),
            StringMatcher::DoesNotContain(s) => format!("doesNotContain {s}"),
            StringMatcher::Matches(r) => format!("matches {}", super::regex_source(r)),
            StringMatcher::DoesNotMatch(r) => format!("doesNotMatch {}", super::regex_source(r)),
            StringMatcher::Absent(true) => "absent".to_owned(),
            StringMatcher::Absent(false) => "present".to_owned(),
            StringMatcher::And(_) => "and(…)".to_owned(),
            StringMatcher::Or(_) => "or(…)".to_owned(),
            StringMatcher::Not(_) => "not(…)".to_owned(),
            StringMatcher::Date(d) => d.describe(),
            StringMatcher::JsonSchema(m) => m.describe(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(v: Value) -> StringMatcher {
        StringMatcher::parse(&v, "").unwrap()
    }

    #[test]
    fn equal_to_distance_is_the_normalised_levenshtein_distance() {
        let eq = m(json!({"equalTo": "abc"}));
        assert_eq!(eq.distance(Some("abc")), 0.0);
        assert!((eq.distance(Some("abd")) - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(eq.distance(None), 1.0);
        assert_eq!(m(json!({"contains": "x"})).distance(Some("abc")), 1.0);
    }

    #[test]
    fn absent_looks_at_presence() {
        assert!(m(json!({"absent": true})).matches(None));
        assert!(!m(json!({"absent": true})).matches(Some("")));
        assert!(m(json!({"absent": false})).matches(Some("x")));
        assert!(!m(json!({"equalTo": "x"})).matches(None));
    }

    #[test]
    fn case_insensitive_equal_to() {
        let eq = m(json!({"equalTo": "ABC", "caseInsensitive": true}));
        assert!(eq.matches(Some("abc")));
        assert_eq!(eq.distance(Some("abc")), 0.0);
    }
}
