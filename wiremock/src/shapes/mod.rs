//! WireMock's JSON as serde types: a mapping, a request pattern, a
//! response definition, a recording spec — read — and a serve event —
//! written, at the admin edge, from the journal's facts. Read once with [`read`], which
//! turns any error into a JSON pointer to the field at fault (WireMock's
//! 422 `errors[].source.pointer`); each is then converted once into what
//! the server runs (`TryFrom`, or `into_pattern` where the pointer of the
//! pattern's place is needed), which checks what serde cannot (regexes,
//! ranges, one URL key of five).
//!
//! A matcher itself (`{"equalTo": …, "caseInsensitive": true}`, and the
//! twenty-odd operators beside it) stays a JSON value here: its operator is
//! the one key it has, read by the matchers.
//!
//! ```
//! use fake_servicer_wiremock::shapes::{read, response::ResponseDefinition};
//! let bad = read::<ResponseDefinition>(&serde_json::json!({"status": "x"}), "/response");
//! assert_eq!(bad.unwrap_err().pointer, "/response/status");
//! ```

pub mod mapping;
pub mod recording;
pub mod request;
pub mod response;
pub mod serve_event;

use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;

/// Why a pattern could not be built: a JSON pointer to the culprit and a
/// message, as WireMock's 422 reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub pointer: String,
    pub title: String,
}

impl PatternError {
    pub fn new(pointer: impl Into<String>, title: impl Into<String>) -> Self {
        PatternError {
            pointer: pointer.into(),
            title: title.into(),
        }
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pointer, self.title)
    }
}

/// Reads `v` as a `T`; an error points at the field (below `pointer`, the
/// place of `v` in the document).
pub fn read<T: DeserializeOwned>(v: &Value, pointer: &str) -> Result<T, PatternError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let mut at = pointer.to_owned();
        for segment in e.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    at.push('/');
                    at.push_str(&index.to_string());
                }
                serde_path_to_error::Segment::Map { key } => {
                    at.push('/');
                    at.push_str(&key.replace('~', "~0").replace('/', "~1"));
                }
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => {}
            }
        }
        PatternError::new(at, e.into_inner().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Two {
        a: Option<u32>,
        b: Option<Vec<u32>>,
    }

    #[test]
    fn a_wrong_type_points_at_its_field() {
        let e = read::<Two>(&json!({"b": [1, "x"]}), "/x").unwrap_err();
        assert_eq!(e.pointer, "/x/b/1");
    }

    #[test]
    fn an_unknown_field_points_at_itself() {
        let e = read::<Two>(&json!({"a": 1, "c/d": 2}), "/x").unwrap_err();
        assert_eq!(e.pointer, "/x/c~1d");
        assert!(e.title.contains("unknown field `c/d`"), "{}", e.title);
    }
}
