//! Value matchers for headers, query parameters and bodies, as WireMock
//! writes them (`{"equalTo": "…"}`, `{"matchesJsonPath": "…"}`, …).

use base64::Engine as _;
use serde_json::{Map, Value, json};

/// One WireMock value matcher. A `&str` or `String` is [`equal_to`].
///
/// ```
/// use fake_servicer_client::prelude::*;
///
/// let pattern = get("/users")
///     .header("Accept", contains("json"))
///     .query("page", "2")
///     .header("X-Trace", absent());
/// # let _ = pattern;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Matcher(pub(crate) Map<String, Value>);

impl Matcher {
    fn one(key: &str, value: Value) -> Matcher {
        let mut m = Map::new();
        m.insert(key.to_owned(), value);
        Matcher(m)
    }

    /// Compares ignoring case (`caseInsensitive`, for [`equal_to`]).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let m = equal_to("APPLICATION/JSON").case_insensitive();
    /// # let _ = m;
    /// ```
    pub fn case_insensitive(mut self) -> Matcher {
        self.0
            .insert("caseInsensitive".to_owned(), Value::Bool(true));
        self
    }

    /// Array order does not matter (`ignoreArrayOrder`, for
    /// [`equal_to_json`]).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let m = equal_to_json(serde_json::json!([1, 2])).ignore_array_order();
    /// # let _ = m;
    /// ```
    pub fn ignore_array_order(mut self) -> Matcher {
        self.0
            .insert("ignoreArrayOrder".to_owned(), Value::Bool(true));
        self
    }

    /// Fields the expected JSON does not name are allowed
    /// (`ignoreExtraElements`, for [`equal_to_json`]).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let m = equal_to_json(serde_json::json!({"name": "Ada"})).ignore_extra_elements();
    /// # let _ = m;
    /// ```
    pub fn ignore_extra_elements(mut self) -> Matcher {
        self.0
            .insert("ignoreExtraElements".to_owned(), Value::Bool(true));
        self
    }

    /// The matcher as WireMock JSON.
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// assert_eq!(contains("x").to_json(), serde_json::json!({"contains": "x"}));
    /// ```
    pub fn to_json(&self) -> Value {
        Value::Object(self.0.clone())
    }
}

impl From<&str> for Matcher {
    fn from(value: &str) -> Matcher {
        equal_to(value)
    }
}

impl From<String> for Matcher {
    fn from(value: String) -> Matcher {
        equal_to(value)
    }
}

/// The value equals `value` (`equalTo`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = get("/users").header("Accept", equal_to("application/json"));
/// # let _ = p;
/// ```
pub fn equal_to(value: impl Into<String>) -> Matcher {
    Matcher::one("equalTo", Value::String(value.into()))
}

/// The value contains `part` (`contains`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = post("/users").body(contains("\"name\""));
/// # let _ = p;
/// ```
pub fn contains(part: impl Into<String>) -> Matcher {
    Matcher::one("contains", Value::String(part.into()))
}

/// The value does not contain `part` (`doesNotContain`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = get("/users").query("q", does_not_contain("drop"));
/// # let _ = p;
/// ```
pub fn does_not_contain(part: impl Into<String>) -> Matcher {
    Matcher::one("doesNotContain", Value::String(part.into()))
}

/// The whole value matches the regular expression `regex` (`matches`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = get("/users").query("page", matches("[0-9]+"));
/// # let _ = p;
/// ```
pub fn matches(regex: impl Into<String>) -> Matcher {
    Matcher::one("matches", Value::String(regex.into()))
}

/// The whole value does not match `regex` (`doesNotMatch`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = get("/users").header("User-Agent", does_not_match(".*bot.*"));
/// # let _ = p;
/// ```
pub fn does_not_match(regex: impl Into<String>) -> Matcher {
    Matcher::one("doesNotMatch", Value::String(regex.into()))
}

/// The header or query parameter is not there (`absent`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = get("/users").header("Authorization", absent());
/// # let _ = p;
/// ```
pub fn absent() -> Matcher {
    Matcher::one("absent", Value::Bool(true))
}

/// The body is JSON equal to `expected` (`equalToJson`); see
/// [`Matcher::ignore_array_order`] and [`Matcher::ignore_extra_elements`].
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = post("/users").body(equal_to_json(serde_json::json!({"name": "Ada"})));
/// # let _ = p;
/// ```
pub fn equal_to_json(expected: Value) -> Matcher {
    Matcher::one("equalToJson", expected)
}

/// The body is JSON in which the JSONPath `expression` finds something
/// (`matchesJsonPath`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = post("/users").body(matches_json_path("$.name"));
/// # let _ = p;
/// ```
pub fn matches_json_path(expression: impl Into<String>) -> Matcher {
    Matcher::one("matchesJsonPath", Value::String(expression.into()))
}

/// The body is JSON in which what the JSONPath `expression` finds matches
/// `matcher` (`matchesJsonPath` with an `expression`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = post("/users").body(matches_json_path_with("$.name", equal_to("Ada")));
/// # let _ = p;
/// ```
pub fn matches_json_path_with(
    expression: impl Into<String>,
    matcher: impl Into<Matcher>,
) -> Matcher {
    let mut inner = matcher.into().0;
    inner.insert("expression".to_owned(), Value::String(expression.into()));
    Matcher::one("matchesJsonPath", Value::Object(inner))
}

/// The body is exactly `bytes` (`binaryEqualTo`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = post("/upload").body(binary_equal_to([0u8, 1, 2]));
/// # let _ = p;
/// ```
pub fn binary_equal_to(bytes: impl AsRef<[u8]>) -> Matcher {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes.as_ref());
    Matcher::one("binaryEqualTo", json!(encoded))
}
