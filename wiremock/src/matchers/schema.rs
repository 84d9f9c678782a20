//! `matchesJsonSchema` (WireMock's `MatchesJsonSchemaPattern`): the value,
//! read as JSON, is valid against a JSON Schema of draft 4, 6, 7, 2019-09
//! or 2020-12 (`schemaVersion`, WireMock's default `V202012`).
//!
//! As WireMock: the schema is given as a JSON object (or boolean) or as a
//! string holding one; a value that is not JSON is validated as a JSON
//! string (so `{"type": "string"}` matches any text), and a number,
//! boolean or `null` that fails is tried again as the string it was
//! written as (a header `42` against `{"type": "string"}` matches). The
//! distance of a miss is WireMock's: the number of errors over the number
//! of properties the schema declares (`properties`, nested ones too), or 1
//! when it declares none — so it can be over 1, as in WireMock.
//!
//! The schema is compiled once, when the stub is read: a schema that is
//! not JSON, not a valid schema, or with a `$ref` to anything but itself
//! and the drafts' own metaschemas is refused with a pointer to it. Nothing
//! is fetched or read from disk. Validation is bounded: `pattern`s run on
//! the linear-time `regex` engine, schemas whose `$ref`s loop without
//! descending into the value are refused, and a request whose validation
//! could take more than [`cost::MAX_APPLICATIONS`] subschema applications
//! (and [`cost::APPLICATIONS_PER_VALUE`] for each value in it) or recurse
//! deeper than [`cost::MAX_NESTING`] does not match (see [`cost`]).

mod cost;
#[cfg(test)]
mod tests;

use super::{PatternError, Result};
use serde_json::{Map, Value};
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// The drafts `schemaVersion` names, as WireMock's `JsonSchemaVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchemaVersion {
    /// Draft 4.
    V4,
    /// Draft 6.
    V6,
    /// Draft 7.
    V7,
    /// Draft 2019-09.
    V201909,
    /// Draft 2020-12, WireMock's default.
    #[default]
    V202012,
}

impl SchemaVersion {
    /// Every version, by the name `schemaVersion` gives it.
    pub const ALL: [(&'static str, SchemaVersion); 5] = [
        ("V4", SchemaVersion::V4),
        ("V6", SchemaVersion::V6),
        ("V7", SchemaVersion::V7),
        ("V201909", SchemaVersion::V201909),
        ("V202012", SchemaVersion::V202012),
    ];

    /// The version named `name` (`"V4"`…`"V202012"`).
    pub fn from_name(name: &str) -> Option<SchemaVersion> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// Its name in `schemaVersion`.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("V202012", |(n, _)| n)
    }

    fn draft(self) -> jsonschema::Draft {
        match self {
            SchemaVersion::V4 => jsonschema::Draft::Draft4,
            SchemaVersion::V6 => jsonschema::Draft::Draft6,
            SchemaVersion::V7 => jsonschema::Draft::Draft7,
            SchemaVersion::V201909 => jsonschema::Draft::Draft201909,
            SchemaVersion::V202012 => jsonschema::Draft::Draft202012,
        }
    }
}

/// A retriever for `$ref`s outside the schema: it retrieves nothing (no
/// network, no files). The drafts' metaschemas are built into the
/// validator.
struct NoRetrieval;

impl jsonschema::Retrieve for NoRetrieval {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> std::result::Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!("{uri} is not fetched: a schema may only refer to itself").into())
    }
}

/// The largest compiled `pattern` regex, in bytes (the `regex` engine's
/// own limit is 10 MiB).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// `matchesJsonSchema`, compiled.
#[derive(Clone)]
pub struct MatchesJsonSchema {
    /// The schema as given (a string's content, or the JSON written out).
    source: String,
    version: SchemaVersion,
    validator: Arc<jsonschema::Validator>,
    /// WireMock's `schemaPropertyCount`: the distance's denominator.
    property_count: usize,
    cost: Arc<cost::Cost>,
}

impl fmt::Debug for MatchesJsonSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MatchesJsonSchema")
            .field("schema", &self.source)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl MatchesJsonSchema {
    /// Parses `{"matchesJsonSchema": <schema>, "schemaVersion": "V7"}`:
    /// `schema` is the value of `matchesJsonSchema`, `obj` the whole
    /// matcher, `pointer` locates `obj`.
    pub fn parse(
        schema: &Value,
        obj: &Map<String, Value>,
        pointer: &str,
    ) -> Result<MatchesJsonSchema> {
        let at = format!("{pointer}/matchesJsonSchema");
        let version = match obj.get("schemaVersion") {
            None => SchemaVersion::default(),
            Some(v) => {
                let names = SchemaVersion::ALL.map(|(n, _)| n).join(", ");
                v.as_str()
                    .and_then(SchemaVersion::from_name)
                    .ok_or_else(|| {
                        PatternError::new(
                            format!("{pointer}/schemaVersion"),
                            format!("unknown schema version {v} (one of {names})"),
                        )
                    })?
            }
        };
        let (source, value) = match schema {
            Value::String(s) => {
                let value: Value = serde_json::from_str(s)
                    .map_err(|e| PatternError::new(&at, format!("not JSON: {e}")))?;
                (s.clone(), value)
            }
            other => (other.to_string(), other.clone()),
        };
        Self::compile(source, value, version)
            .map_err(|e| PatternError::new(&at, format!("invalid JSON schema: {e}")))
    }

    /// Compiles `value` (whose text is `source`) as a schema of `version`.
    fn compile(
        source: String,
        value: Value,
        version: SchemaVersion,
    ) -> std::result::Result<MatchesJsonSchema, String> {
        if !value.is_object() && !value.is_boolean() {
            return Err("a schema is a JSON object or a boolean".to_owned());
        }
        let options = jsonschema::options()
            .with_draft(version.draft())
            .with_retriever(NoRetrieval)
            .with_pattern_options(
                jsonschema::PatternOptions::regex()
                    .size_limit(REGEX_SIZE_LIMIT)
                    .dfa_size_limit(REGEX_SIZE_LIMIT),
            );
        // The validator is not ours: a panic on a strange schema refuses
        // the stub rather than ending the thread.
        // Bounded first: compiling recurses along the `$ref`s as well.
        let cost = cost::Cost::of(&value)?;
        let built = std::panic::catch_unwind(AssertUnwindSafe(|| options.build(&value)))
            .map_err(|_| "the schema could not be compiled".to_owned())?
            .map_err(|e| e.to_string())?;
        Ok(MatchesJsonSchema {
            property_count: property_count(&value),
            source,
            version,
            validator: Arc::new(built),
            cost: Arc::new(cost),
        })
    }

    /// The schema as given (a string's content, or the JSON written out).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Its `schemaVersion`.
    pub fn version(&self) -> SchemaVersion {
        self.version
    }

    /// Whether a text value (`None`: missing, which never matches) is valid.
    pub fn matches(&self, value: Option<&str>) -> bool {
        value.is_some_and(|text| self.matches_text(text, serde_json::from_str(text).ok().as_ref()))
    }

    /// Whether `text`, read as JSON into `json` (`None`: it is not JSON),
    /// is valid.
    pub fn matches_text(&self, text: &str, json: Option<&Value>) -> bool {
        self.errors(text, json, false) == Some(0)
    }

    /// How far a text value is from matching: 0 when valid, else the
    /// errors over the schema's properties (WireMock's; over 1 when there
    /// are more errors than properties), or 1 when it declares none.
    pub fn distance(&self, value: Option<&str>) -> f64 {
        value.map_or(1.0, |text| {
            self.distance_text(text, serde_json::from_str(text).ok().as_ref())
        })
    }

    /// [`Self::distance`] of `text`, read as JSON into `json` (`None`: it
    /// is not JSON).
    pub fn distance_text(&self, text: &str, json: Option<&Value>) -> f64 {
        match self.errors(text, json, true) {
            Some(0) => 0.0,
            Some(errors) if self.property_count > 0 => errors as f64 / self.property_count as f64,
            _ => 1.0,
        }
    }

    /// The number of errors of `text` (0: valid; only 0 or 1 unless
    /// `counted`), WireMock's way: read as JSON, else as a JSON string; a
    /// scalar that fails is tried again as the string it was written as.
    /// `None` when it is too costly to validate.
    fn errors(&self, text: &str, json: Option<&Value>, counted: bool) -> Option<usize> {
        let as_string;
        let value = match json {
            Some(v) => v,
            None => {
                as_string = Value::String(text.to_owned());
                &as_string
            }
        };
        match self.validate(value, counted)? {
            0 => Some(0),
            errors if matches!(value, Value::Array(_) | Value::Object(_) | Value::String(_)) => {
                Some(errors)
            }
            _ => self.validate(&Value::String(text.to_owned()), counted),
        }
    }

    /// The errors of `value` (0: valid; 1 for any number unless
    /// `counted`); `None` when validating it could cost more than the
    /// bounds.
    fn validate(&self, value: &Value, counted: bool) -> Option<usize> {
        if !self.cost.affordable(value) {
            return None;
        }
        let validator = &self.validator;
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            if validator.is_valid(value) {
                0
            } else if counted {
                validator.iter_errors(value).count().max(1)
            } else {
                1
            }
        }))
        .ok()
    }

    /// A short description, for the 404 body.
    pub fn describe(&self) -> String {
        format!("matchesJsonSchema {}", self.source)
    }
}

/// WireMock's `Json.schemaPropertyCount`: the entries of `properties`, and
/// of the `properties` of those entries, recursively.
fn property_count(schema: &Value) -> usize {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map_or(0, |props| {
            props
                .values()
                .map(|p| {
                    1 + if p.get("properties").is_some() {
                        property_count(p)
                    } else {
                        0
                    }
                })
                .sum()
        })
}
