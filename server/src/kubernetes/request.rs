//! Reading a request for the API: the scope a path names (`/scopes/{S}/…`),
//! what the path under it names ([`Target`]: discovery, or objects [`At`]),
//! the query parameters the API reads ([`Query`], `continue` tokens too)
//! and a body as a JSON object.

use super::{
    kinds::{KindId, Kinds},
    selectors::{Fields, Labels},
    status::Failure,
    store::Key,
};
use serde_json::{Value, json};
use std::{sync::Arc, time::Duration};

/// What a path names.
#[derive(Debug, PartialEq)]
pub(super) enum Target {
    Version,
    CoreVersions,
    Groups,
    Group(String),
    Resources(String, String),
    OpenApiRoot,
    OpenApi(String, String),
    Objects(At),
}

/// Objects a path names.
#[derive(Debug, PartialEq)]
pub(super) struct At {
    pub(super) kind: KindId,
    /// `None`: every namespace (or a cluster-scoped kind).
    pub(super) namespace: Option<String>,
    pub(super) name: Option<String>,
    /// A subresource: `status`.
    pub(super) sub: Option<String>,
    /// An old-style `/watch/` path.
    pub(super) watch: bool,
    /// `dryRun=All`: answered as if done, nothing changed.
    pub(super) dry_run: bool,
    /// Whose objects: the path's scope (`/scopes/{S}/…`), else the
    /// request's first.
    pub(super) scope: Option<Arc<str>>,
}

impl At {
    /// The key of the object it names.
    pub(super) fn key(&self) -> Key {
        (
            self.kind,
            self.namespace.clone().unwrap_or_default(),
            self.name.clone().unwrap_or_default(),
        )
    }
}

/// The most bytes of a scope's name, as in its header.
const MAX_SCOPE_BYTES: usize = 256;

/// A path under `/scopes/{S}/` (for clients that cannot send a scope
/// header, such as kubectl: `--server http://…/kubernetes/scopes/S`):
/// the scope and the path under it.
pub(super) fn in_scope(rel: &str) -> Result<(Option<Arc<str>>, &str), Failure> {
    let Some(rest) = rel.strip_prefix("/scopes/") else {
        return Ok((None, rel));
    };
    let (name, under) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
    let name = name.trim();
    if name.is_empty() || name.len() > MAX_SCOPE_BYTES {
        return Err(Failure::bad_request(format!(
            "a scope in the path (/scopes/{{S}}/…) must be 1 to {MAX_SCOPE_BYTES} bytes"
        )));
    }
    Ok((
        Some(Arc::from(name)),
        if under.is_empty() { "/" } else { under },
    ))
}

/// Reads a service-relative path.
pub(super) fn parse(kinds: &Kinds, rel: &str) -> Result<Target, Failure> {
    let segments: Vec<String> = rel
        .split('?')
        .next()
        .unwrap_or_default()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (group, version, rest) = match s.as_slice() {
        ["version"] => return Ok(Target::Version),
        ["api"] => return Ok(Target::CoreVersions),
        ["apis"] => return Ok(Target::Groups),
        ["apis", group] => return Ok(Target::Group((*group).to_owned())),
        ["openapi", "v3"] => return Ok(Target::OpenApiRoot),
        ["openapi", "v3", "api", version] => {
            return Ok(Target::OpenApi(String::new(), (*version).to_owned()));
        }
        ["openapi", "v3", "apis", group, version] => {
            return Ok(Target::OpenApi((*group).to_owned(), (*version).to_owned()));
        }
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Err(Failure::no_such_path()),
    };
    if !kinds.serves(group, version) {
        return Err(Failure::no_such_path());
    }
    let (watch, rest) = match rest {
        ["watch", rest @ ..] => (true, rest),
        rest => (false, rest),
    };
    let find = |plural: &str| {
        kinds
            .find(group, version, plural)
            .ok_or_else(Failure::no_such_path)
    };
    let at = |kind, namespace: Option<&str>, name: Option<&&str>, sub: Option<&&str>| {
        if let Some(sub) = sub
            && *sub != "status"
        {
            return Err(Failure::no_such_path());
        }
        Ok(Target::Objects(At {
            kind,
            namespace: namespace.map(str::to_owned),
            name: name.map(|n| (*n).to_owned()),
            sub: sub.map(|s| (*s).to_owned()),
            watch,
            dry_run: false,
            scope: None,
        }))
    };
    match rest {
        [] if !watch => Ok(Target::Resources(group.to_owned(), version.to_owned())),
        ["namespaces", ns, plural, more @ ..]
            if !matches!(*plural, "status" | "finalize") && more.len() <= 2 =>
        {
            let kind = find(plural)?;
            if !kinds.get(kind).namespaced {
                return Err(Failure::no_such_path());
            }
            at(kind, Some(ns), more.first(), more.get(1))
        }
        [plural, more @ ..] if more.len() <= 2 => {
            let kind = find(plural)?;
            if kinds.get(kind).namespaced && !more.is_empty() {
                return Err(Failure::no_such_path());
            }
            at(kind, None, more.first(), more.get(1))
        }
        _ => Err(Failure::no_such_path()),
    }
}

/// The query parameters the API reads.
#[derive(Debug, Default)]
pub(super) struct Query {
    pub(super) watch: bool,
    label_selector: Option<String>,
    field_selector: Option<String>,
    pub(super) limit: Option<usize>,
    pub(super) continue_token: Option<String>,
    pub(super) resource_version: Option<String>,
    pub(super) timeout: Option<Duration>,
    pub(super) dry_run: bool,
}

impl Query {
    pub(super) fn of(params: Vec<(String, String)>) -> Query {
        let mut q = Query::default();
        for (k, v) in params {
            match k.as_str() {
                // As Go's `strconv.ParseBool` reads it: the Python client
                // sends `True`.
                "watch" => {
                    q.watch = matches!(v.as_str(), "1" | "t" | "T" | "true" | "TRUE" | "True")
                }
                "labelSelector" => q.label_selector = Some(v),
                "fieldSelector" => q.field_selector = Some(v),
                "limit" => q.limit = v.parse().ok().filter(|n| *n > 0),
                "continue" if !v.is_empty() => q.continue_token = Some(v),
                "resourceVersion" => q.resource_version = Some(v),
                "timeoutSeconds" => q.timeout = v.parse().ok().map(Duration::from_secs),
                "dryRun" => q.dry_run = !v.is_empty(),
                _ => {}
            }
        }
        q
    }

    pub(super) fn selectors(&self) -> Result<(Labels, Fields), Failure> {
        let labels = Labels::parse(self.label_selector.as_deref().unwrap_or_default())
            .map_err(|e| Failure::bad_request(format!("labelSelector: {e}")))?;
        let fields = Fields::parse(self.field_selector.as_deref().unwrap_or_default())
            .map_err(|e| Failure::bad_request(format!("fieldSelector: {e}")))?;
        Ok((labels, fields))
    }
}

/// A `continue` token: where the last page ended.
pub(super) fn encode_continue(namespace: &str, name: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"ns": namespace, "name": name}).to_string())
}

pub(super) fn decode_continue(token: &str) -> Result<(String, String), Failure> {
    use base64::Engine;
    let bad = || Failure::bad_request(format!("invalid continue token {token:?}"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    match (
        v.get("ns").and_then(Value::as_str),
        v.get("name").and_then(Value::as_str),
    ) {
        (Some(ns), Some(name)) => Ok((ns.to_owned(), name.to_owned())),
        _ => Err(bad()),
    }
}

/// A request's body as a JSON object.
pub(super) fn parse_object(body: &[u8], content_type: &str) -> Result<Value, Failure> {
    if content_type.contains("protobuf") || content_type.contains("yaml") {
        return Err(Failure::unsupported_media_type(content_type));
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(o)) => Ok(Value::Object(o)),
        Ok(_) => Err(Failure::bad_request("the body must be a JSON object")),
        Err(e) => Err(Failure::bad_request(format!(
            "the body is not valid JSON: {e}"
        ))),
    }
}
