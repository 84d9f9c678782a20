//! A resource's declaration, `{"resource": {"name", "path", "id",
//! "service", "seed"}}`, read with errors naming the field.

use super::{
    Limits,
    collection::{Collection, Item, id_of},
};
use crate::matchers::PatternError;
use serde_json::{Map, Value};
use std::{collections::HashSet, sync::Arc};

/// The id field when a declaration names none.
pub const DEFAULT_ID_FIELD: &str = "id";

/// A declared collection.
#[derive(Debug)]
pub(crate) struct Declaration {
    /// Unique among resources; what the admin API calls it.
    pub name: Arc<str>,
    /// The collection's path (`/orders`): no trailing `/`.
    pub path: String,
    /// The field holding an item's id.
    pub id: String,
    /// The service it belongs to, as a stub's `request.service`: then
    /// `path` is relative to the service.
    pub service: Option<String>,
    /// The items every state starts with.
    pub seed: Collection,
}

/// Where a request's path falls in a resource.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Target<'p> {
    /// The collection (`/orders`, `/orders/`).
    Collection,
    /// One item (`/orders/{id}`), its id as written in the path.
    Item(&'p str),
}

impl Declaration {
    /// Where `path` (service-relative when the resource has a service)
    /// falls: `None` when outside the resource.
    pub fn target<'p>(&self, path: &'p str) -> Option<Target<'p>> {
        let rest = path.strip_prefix(self.path.as_str())?;
        match rest {
            "" | "/" => Some(Target::Collection),
            _ => {
                let id = rest.strip_prefix('/')?;
                (!id.is_empty() && !id.contains('/')).then_some(Target::Item(id))
            }
        }
    }

    /// As declared, the seed as its items.
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::json!({
            "name": &*self.name,
            "path": self.path,
            "id": self.id,
        });
        if let Some(s) = &self.service {
            v["service"] = Value::from(s.as_str());
        }
        v
    }

    /// Whether `other` answers the same requests.
    pub fn same_place(&self, other: &Declaration) -> bool {
        self.path == other.path
            && match (&self.service, &other.service) {
                (None, None) => true,
                (Some(a), Some(b)) => crate::routing::same_service(a, b),
                _ => false,
            }
    }
}

/// Reads `{"resource": {...}}`; `service` is the service of a file's
/// directory, for a declaration that names none. The seed is checked
/// against the per-resource caps.
pub(crate) fn parse(
    value: &Value,
    service: Option<&str>,
    limits: &Limits,
) -> Result<Declaration, PatternError> {
    let wrapper = value
        .as_object()
        .ok_or_else(|| PatternError::new("", "expected an object {\"resource\": {...}}"))?;
    if let Some(other) = wrapper.keys().find(|k| *k != "resource") {
        return Err(PatternError::new(
            format!("/{other}"),
            format!("unknown field {other:?} next to \"resource\""),
        ));
    }
    let r = match wrapper.get("resource") {
        Some(Value::Object(r)) => r,
        Some(other) => {
            return Err(PatternError::new(
                "/resource",
                format!("resource: expected an object, found {other}"),
            ));
        }
        None => {
            return Err(PatternError::new(
                "/resource",
                "missing \"resource\": {\"name\", \"path\", \"id\", \"service\", \"seed\"}",
            ));
        }
    };
    const FIELDS: [&str; 5] = ["name", "path", "id", "service", "seed"];
    if let Some(other) = r.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(PatternError::new(
            format!("/resource/{other}"),
            format!(
                "unknown field {other:?} (a resource has {})",
                FIELDS.join(", ")
            ),
        ));
    }
    let name = text(r, "name")?.ok_or_else(|| {
        PatternError::new("/resource/name", "missing \"name\": the resource's name")
    })?;
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        || name.len() > 128
    {
        return Err(PatternError::new(
            "/resource/name",
            format!("name {name:?}: use 1 to 128 letters, digits, '-', '_' or '.'"),
        ));
    }
    let path = text(r, "path")?.ok_or_else(|| {
        PatternError::new(
            "/resource/path",
            "missing \"path\": where it answers (/orders)",
        )
    })?;
    let path = checked_path(path)?;
    let id = text(r, "id")?.unwrap_or(DEFAULT_ID_FIELD).to_owned();
    let service = match text(r, "service")? {
        Some(s) => Some(s.to_owned()),
        None => service.map(str::to_owned),
    };
    let seed = match r.get("seed") {
        None | Some(Value::Null) => Collection::default(),
        Some(Value::Array(items)) => seed(items, &id, limits)?,
        Some(other) => {
            return Err(PatternError::new(
                "/resource/seed",
                format!("seed: expected a list of objects, found {other}"),
            ));
        }
    };
    Ok(Declaration {
        name: Arc::from(name),
        path,
        id,
        service,
        seed,
    })
}

/// A non-empty string field, if present.
fn text<'a>(r: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, PatternError> {
    match r.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim())),
        Some(other) => Err(PatternError::new(
            format!("/resource/{field}"),
            format!("{field}: expected a non-blank string, found {other}"),
        )),
    }
}

/// `path` as a collection path: starting with `/`, not `/` alone, no
/// query, no trailing `/`.
fn checked_path(path: &str) -> Result<String, PatternError> {
    let bad = |why: &str| PatternError::new("/resource/path", format!("path {path:?}: {why}"));
    if !path.starts_with('/') {
        return Err(bad("must start with '/'"));
    }
    if path.contains(['?', '#']) || path.chars().any(char::is_whitespace) {
        return Err(bad("a path only: no query, fragment or spaces"));
    }
    if path.contains("//") {
        return Err(bad("has an empty segment"));
    }
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        return Err(bad(
            "'/' alone would take every request; name a collection (/orders)",
        ));
    }
    Ok(path.to_owned())
}

/// The seed's items: objects, each with a unique id, within the caps.
fn seed(items: &[Value], id: &str, limits: &Limits) -> Result<Collection, PatternError> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(items.len());
    let mut bytes = 0;
    for (i, v) in items.iter().enumerate() {
        let at = format!("/resource/seed/{i}");
        let Value::Object(map) = v else {
            return Err(PatternError::new(
                at,
                format!("seed item: expected an object, found {v}"),
            ));
        };
        let key = match id_of(map, id) {
            Some(Ok(key)) => key,
            Some(Err(why)) => return Err(PatternError::new(format!("{at}/{id}"), why)),
            None => {
                return Err(PatternError::new(
                    at,
                    format!("seed item without its id field {id:?}"),
                ));
            }
        };
        if !seen.insert(key.clone()) {
            return Err(PatternError::new(
                format!("{at}/{id}"),
                format!("duplicate id {key:?} in the seed"),
            ));
        }
        let item = Item::new(key, map.clone());
        bytes += item.bytes();
        out.push(item);
    }
    let budget_check = super::Budget::check_caps(limits, out.len(), bytes);
    if let Err(full) = budget_check {
        return Err(PatternError::new("/resource/seed", full.message));
    }
    Ok(Collection::seed(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(v: Value) -> Result<Declaration, PatternError> {
        parse(&v, None, &Limits::default())
    }

    #[test]
    fn a_declaration_names_the_field_that_is_wrong() {
        let cases = [
            (json!({"resource": {"path": "/o"}}), "/resource/name"),
            (json!({"resource": {"name": "o"}}), "/resource/path"),
            (
                json!({"resource": {"name": "o", "path": "o"}}),
                "/resource/path",
            ),
            (
                json!({"resource": {"name": "o", "path": "/"}}),
                "/resource/path",
            ),
            (
                json!({"resource": {"name": "o", "path": "/o", "sed": []}}),
                "/resource/sed",
            ),
            (
                json!({"resource": {"name": "o", "path": "/o", "seed": [{"x": 1}]}}),
                "/resource/seed/0",
            ),
            (
                json!({"resource": {"name": "o", "path": "/o", "seed": [{"id": 1}, {"id": 1}]}}),
                "/resource/seed/1/id",
            ),
            (
                json!({"resource": {"name": "a b", "path": "/o"}}),
                "/resource/name",
            ),
            (json!({"resource": 3}), "/resource"),
        ];
        for (v, pointer) in cases {
            let e = parsed(v.clone()).expect_err("refused");
            assert_eq!(e.pointer, pointer, "{v}: {}", e.title);
        }
    }

    #[test]
    fn a_path_takes_its_collection_and_one_segment_below() {
        let d = parsed(json!({"resource": {"name": "o", "path": "/api/orders/"}})).expect("ok");
        assert_eq!(d.path, "/api/orders");
        assert_eq!(d.target("/api/orders"), Some(Target::Collection));
        assert_eq!(d.target("/api/orders/"), Some(Target::Collection));
        assert_eq!(d.target("/api/orders/7"), Some(Target::Item("7")));
        assert_eq!(d.target("/api/orders/7/lines"), None);
        assert_eq!(d.target("/api/ordersx"), None);
    }
}
