//! `and`, `or` and `not` over text matchers, as WireMock's `LogicalAnd`,
//! `LogicalOr` and `NotPattern`.

use super::string::StringMatcher;
use super::{PatternError, Result};
use serde_json::Value;

fn operands(v: &Value, pointer: &str) -> Result<Vec<StringMatcher>> {
    let list = v
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| PatternError::new(pointer, "expected a non-empty list of matchers"))?;
    list.iter()
        .enumerate()
        .map(|(i, m)| StringMatcher::parse(m, &format!("{pointer}/{i}")))
        .collect()
}

/// `{"and": [m, …]}`: every operand matches; the distance is their mean.
#[derive(Debug, Clone)]
pub struct All(pub Vec<StringMatcher>);

impl All {
    /// Parses the operand list.
    pub fn parse(v: &Value, pointer: &str) -> Result<All> {
        operands(v, pointer).map(All)
    }

    /// Whether every operand matches.
    pub fn matches(&self, value: Option<&str>) -> bool {
        self.0.iter().all(|m| m.matches(value))
    }

    /// The operands' mean distance.
    pub fn distance(&self, value: Option<&str>) -> f64 {
        self.0.iter().map(|m| m.distance(value)).sum::<f64>() / self.0.len() as f64
    }
}

/// `{"or": [m, …]}`: one operand matches; the distance is the smallest.
#[derive(Debug, Clone)]
pub struct Any(pub Vec<StringMatcher>);

impl Any {
    /// Parses the operand list.
    pub fn parse(v: &Value, pointer: &str) -> Result<Any> {
        operands(v, pointer).map(Any)
    }

    /// Whether an operand matches.
    pub fn matches(&self, value: Option<&str>) -> bool {
        self.0.iter().any(|m| m.matches(value))
    }

    /// The smallest operand distance.
    pub fn distance(&self, value: Option<&str>) -> f64 {
        if self.matches(value) {
            return 0.0;
        }
        self.0.iter().map(|m| m.distance(value)).fold(1.0, f64::min)
    }
}

/// `{"not": m}`: the operand does not match.
#[derive(Debug, Clone)]
pub struct Not(pub Box<StringMatcher>);

impl Not {
    /// Parses the operand.
    pub fn parse(v: &Value, pointer: &str) -> Result<Not> {
        StringMatcher::parse(v, pointer).map(|m| Not(Box::new(m)))
    }

    /// Whether the operand does not match.
    pub fn matches(&self, value: Option<&str>) -> bool {
        !self.0.matches(value)
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
    fn and_or_not_combine_matchers() {
        let and = m(json!({"and": [{"contains": "a"}, {"contains": "b"}]}));
        assert!(and.matches(Some("ab")));
        assert!(!and.matches(Some("a")));
        assert_eq!(and.distance(Some("a")), 0.5);
        let or = m(json!({"or": [{"equalTo": "x"}, {"absent": true}]}));
        assert!(or.matches(None));
        assert!(or.matches(Some("x")));
        assert!(!or.matches(Some("y")));
        let not = m(json!({"not": {"contains": "x"}}));
        assert!(not.matches(Some("abc")));
        assert!(!not.matches(Some("xyz")));
    }

    #[test]
    fn an_empty_operand_list_is_refused() {
        let e = StringMatcher::parse(&json!({"and": []}), "/h").unwrap_err();
        assert_eq!(e.pointer, "/h/and");
    }
}
