//! JSON body matchers: `equalToJson` (with `ignoreArrayOrder` and
//! `ignoreExtraElements`) and `matchesJsonPath` (optionally with a value
//! matcher).

use super::string::StringMatcher;
use super::{PatternError, Result};
use serde_json::{Map, Value};

/// `equalToJson`.
#[derive(Debug, Clone)]
pub struct EqualToJson {
    value: Value,
    ignore_array_order: bool,
    ignore_extra_elements: bool,
}

impl EqualToJson {
    /// Parses the expected JSON (a value, or a string holding JSON).
    pub fn parse(json: &Value, obj: &Map<String, Value>, pointer: &str) -> Result<EqualToJson> {
        let at = format!("{pointer}/equalToJson");
        let value = match json {
            Value::String(s) => serde_json::from_str(s)
                .map_err(|e| PatternError::new(&at, format!("not JSON: {e}")))?,
            other => other.clone(),
        };
        let flag = |name: &str| obj.get(name).and_then(Value::as_bool).unwrap_or(false);
        Ok(EqualToJson {
            value,
            ignore_array_order: flag("ignoreArrayOrder"),
            ignore_extra_elements: flag("ignoreExtraElements"),
        })
    }

    /// Whether the body's JSON equals the expected JSON.
    pub fn matches(&self, actual: Option<&Value>) -> bool {
        actual.is_some_and(|a| {
            json_equal(
                &self.value,
                a,
                self.ignore_array_order,
                self.ignore_extra_elements,
            )
        })
    }
}

/// `matchesJsonPath`.
#[derive(Debug, Clone)]
pub struct MatchesJsonPath {
    path: serde_json_path::JsonPath,
    expression: String,
    sub: Option<StringMatcher>,
}

impl MatchesJsonPath {
    /// Parses `"$.a"` or `{"expression": "$.a", <matcher>}`.
    pub fn parse(jp: &Value, pointer: &str) -> Result<MatchesJsonPath> {
        let at = format!("{pointer}/matchesJsonPath");
        let (expression, sub) = super::expression_and_matcher(jp, &at, "a JSONPath")?;
        let path = serde_json_path::JsonPath::parse(&expression)
            .map_err(|e| PatternError::new(&at, format!("invalid JSONPath {expression:?}: {e}")))?;
        Ok(MatchesJsonPath {
            path,
            expression,
            sub,
        })
    }

    /// Whether the path selects something (that the value matcher matches).
    pub fn matches(&self, doc: Option<&Value>) -> bool {
        let Some(doc) = doc else { return false };
        let mut nodes: Vec<&Value> = self.path.query(doc).all();
        // Jayway (WireMock's JSONPath) applies a filter at the root to the
        // root object itself; RFC 9535 to its members.
        let wrapped;
        if nodes.is_empty() && doc.is_object() && self.expression.trim_start().starts_with("$[?") {
            wrapped = Value::Array(vec![doc.clone()]);
            nodes = self.path.query(&wrapped).all();
        }
        match &self.sub {
            None => !nodes.is_empty(),
            Some(StringMatcher::Absent(absent)) => nodes.is_empty() == *absent,
            Some(m) => nodes.iter().any(|n| match n {
                Value::String(s) => m.matches(Some(s)),
                other => m.matches(Some(&other.to_string())),
            }),
        }
    }
}

/// JSON equality with WireMock's two relaxations.
pub fn json_equal(want: &Value, got: &Value, ignore_order: bool, ignore_extra: bool) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            (ignore_extra || w.len() == g.len())
                && w.iter().all(|(k, wv)| {
                    g.get(k)
                        .is_some_and(|gv| json_equal(wv, gv, ignore_order, ignore_extra))
                })
        }
        (Value::Array(w), Value::Array(g)) => {
            if !ignore_extra && w.len() != g.len() {
                return false;
            }
            if ignore_order {
                let mut used = vec![false; g.len()];
                w.iter().all(|wv| {
                    let found = g.iter().enumerate().find(|(i, gv)| {
                        !used[*i] && json_equal(wv, gv, ignore_order, ignore_extra)
                    });
                    found.map(|(i, _)| used[i] = true).is_some()
                })
            } else if ignore_extra {
                // Elements in order, extra ones allowed at the end.
                w.len() <= g.len()
                    && w.iter()
                        .zip(g)
                        .all(|(wv, gv)| json_equal(wv, gv, ignore_order, ignore_extra))
            } else {
                w.iter()
                    .zip(g)
                    .all(|(wv, gv)| json_equal(wv, gv, ignore_order, ignore_extra))
            }
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => want == got,
    }
}
