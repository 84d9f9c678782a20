//! `labelSelector` and `fieldSelector` as the API server reads them:
//! `app=web`, `app==web`, `app!=web`, `app`, `!app`, `tier in (a,b)`,
//! `tier notin (a,b)`, joined by `,` (all must hold); fields
//! `metadata.name=web`, `metadata.namespace!=x`, any other dotted path
//! compared as text (`status.phase=Running`).

use serde_json::Value;

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Label {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    Absent(String),
}

/// A label selector: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Labels(Vec<Label>);

impl Labels {
    /// Parses `labelSelector`; a message naming what is wrong otherwise.
    pub fn parse(text: &str) -> Result<Labels, String> {
        let mut out = Vec::new();
        for part in split_top(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let bad = || format!("unable to parse requirement: {part:?}");
            let label = if let Some(key) = part.strip_prefix('!') {
                Label::Absent(label_key(key.trim()).ok_or_else(bad)?)
            } else if let Some((key, values)) = set_op(part, " notin ") {
                Label::NotIn(label_key(key).ok_or_else(bad)?, values.ok_or_else(bad)?)
            } else if let Some((key, values)) = set_op(part, " in ") {
                Label::In(label_key(key).ok_or_else(bad)?, values.ok_or_else(bad)?)
            } else if let Some((key, value)) = part.split_once("!=") {
                Label::NotEquals(label_key(key).ok_or_else(bad)?, value.trim().to_owned())
            } else if let Some((key, value)) =
                part.split_once("==").or_else(|| part.split_once('='))
            {
                Label::Equals(label_key(key).ok_or_else(bad)?, value.trim().to_owned())
            } else {
                Label::Exists(label_key(part).ok_or_else(bad)?)
            };
            out.push(label);
        }
        Ok(Labels(out))
    }

    /// Whether `object`'s `metadata.labels` satisfy every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        let labels = object.pointer("/metadata/labels");
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.0.iter().all(|req| match req {
            Label::Equals(k, v) => get(k) == Some(v.as_str()),
            Label::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Label::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Label::NotIn(k, vs) => get(k).is_none_or(|x| vs.iter().all(|v| v != x)),
            Label::Exists(k) => get(k).is_some(),
            Label::Absent(k) => get(k).is_none(),
        })
    }
}

/// Splits at the commas outside parentheses.
fn split_top(text: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `key in (a, b)`: the key and the values (`None` when not a set).
fn set_op<'a>(part: &'a str, op: &str) -> Option<(&'a str, Option<Vec<String>>)> {
    let (key, rest) = part.split_once(op)?;
    let values = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .map(|inner| {
            inner
                .split(',')
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect()
        });
    Some((key, values))
}

/// A label key (`app`, `example.com/tier`), trimmed; `None` when empty or
/// holding what a key cannot.
fn label_key(key: &str) -> Option<String> {
    let key = key.trim();
    let ok = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
    ok.then(|| key.to_owned())
}

/// A field selector: every `path=value` (or `!=`) must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Fields(Vec<(String, bool, String)>);

impl Fields {
    /// Parses `fieldSelector`.
    pub fn parse(text: &str) -> Result<Fields, String> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (path, equal, value) = if let Some((p, v)) = part.split_once("!=") {
                (p, false, v)
            } else if let Some((p, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                (p, true, v)
            } else {
                return Err(format!("invalid selector: {part:?}; expected field=value"));
            };
            let path = path.trim();
            if path.is_empty() || !path.split('.').all(|s| !s.is_empty()) {
                return Err(format!("invalid field path in {part:?}"));
            }
            out.push((path.to_owned(), equal, value.trim().to_owned()));
        }
        Ok(Fields(out))
    }

    /// Whether `object` satisfies every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|(path, equal, value)| {
            let found = path
                .split('.')
                .try_fold(object, |v, key| v.get(key))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            (found == *value) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_selectors_read_every_operator_kubectl_sends() {
        let pod = json!({"metadata": {"labels": {"app": "web", "tier": "front"}}});
        for (sel, want) in [
            ("app=web", true),
            ("app==web,tier=front", true),
            ("app!=web", false),
            ("app", true),
            ("!app", false),
            ("tier in (front, back)", true),
            ("tier notin (front)", false),
            ("missing notin (x)", true),
            ("app=web,tier in (back)", false),
            ("", true),
        ] {
            let labels = Labels::parse(sel).expect(sel);
            assert_eq!(labels.matches(&pod), want, "{sel}");
        }
        assert!(Labels::parse("tier in front").is_err());
    }

    #[test]
    fn field_selectors_compare_dotted_paths_as_text() {
        let pod = json!({"metadata": {"name": "web", "namespace": "default"}, "status": {"phase": "Pending"}});
        let f = Fields::parse("metadata.name=web,status.phase!=Running").expect("valid");
        assert!(f.matches(&pod));
        assert!(
            !Fields::parse("metadata.namespace=kube-system")
                .expect("valid")
                .matches(&pod)
        );
        assert!(Fields::parse("metadata.name").is_err());
    }
}
