//! The Kubernetes API (`--kubernetes`), served as the service
//! `kubernetes` (by alias, by prefix `http://fake-services/kubernetes`,
//! over HTTPS with the generated CA): discovery ([`discovery`]), the
//! built-in kinds and custom ones ([`kinds`]), create / get / list /
//! update / patch ([`patch`]) / delete, list selectors ([`selectors`]),
//! watches ([`watch`]), errors as `Status` objects ([`status`]); objects
//! kept per scope ([`store`]). Not a scheduler: pods are stored, not run.
//!
//! As an answer source it comes after stubs (a stub or override for the
//! service `kubernetes` still wins) and before plugins (a plugin's service
//! named `kubernetes` is not reached while the API is on).

pub(crate) mod discovery;
pub(crate) mod kinds;
pub(crate) mod patch;
pub(crate) mod selectors;
pub(crate) mod status;
pub(crate) mod store;
pub(crate) mod watch;

use crate::{
    answer::{Answer, Asked, Reply, Source},
    journal::AnsweredBy,
    plan::{Plan, PlanBody},
    scope::Activity,
    streams::Streams,
};
use fake_servicer_wiremock::stream::{Item, StreamAnswer};
use http::{Method, StatusCode, header::CONTENT_TYPE};
use kinds::{KindId, Kinds};
use selectors::{Fields, Labels};
use serde_json::{Map, Value, json};
use status::Failure;
use std::{
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};
use store::{Key, Store};

pub use store::Limits;

/// The name of the service the API is served as.
pub const SERVICE: &str = "kubernetes";

/// The API: its kinds and objects.
pub(crate) struct Api {
    kinds: Kinds,
    store: Mutex<Store>,
    /// Writes in a scope count as its use.
    activity: Arc<Activity>,
}

impl Api {
    /// The API serving `kinds` within `limits`; its watches are streams of
    /// `streams`.
    pub fn new(
        kinds: Kinds,
        limits: Limits,
        streams: &Arc<Streams>,
        activity: Arc<Activity>,
    ) -> Arc<Api> {
        let store = Store::new(
            limits,
            &timestamp(SystemTime::now()),
            watch::Watchers::new(streams.clone()),
        );
        let api = Arc::new(Api {
            kinds,
            store: Mutex::new(store),
            activity,
        });
        let weak = Arc::downgrade(&api);
        streams.on_open(Box::new(move |open| {
            if let Some(api) = weak.upgrade() {
                crate::sync::lock(&api.store).opened(open);
            }
        }));
        api
    }

    /// Drops `scope`'s objects: it sees the seed again.
    pub fn drop_scope(&self, scope: &str) {
        crate::sync::lock(&self.store).drop_scope(scope);
    }

    /// Every scope's objects back to the seed.
    pub fn reset(&self) {
        crate::sync::lock(&self.store).reset();
    }

    /// The answer to a request for the service, at `rel` (its path
    /// relative to the service).
    fn answer(&self, asked: &Asked<'_>, rel: &str) -> Answer {
        let (done, resource, verb) = self.serve(asked, rel);
        Answer {
            plan: done.unwrap_or_else(|failure| failure.plan()),
            by: AnsweredBy::Resource {
                api: SERVICE,
                resource,
                verb,
            },
            stub: None,
        }
    }

    /// The answer, with the resource and verb the journal names.
    fn serve(&self, asked: &Asked<'_>, rel: &str) -> Served {
        let discovery: Arc<str> = Arc::from("discovery");
        let found = |v: Option<Value>| {
            v.map(|v| Plan::json(StatusCode::OK, &v))
                .ok_or_else(Failure::no_such_path)
        };
        let method = &asked.req.method;
        let target = match parse(&self.kinds, rel) {
            Ok(Target::Objects(at)) => return self.objects(asked, at),
            Ok(_) if *method != Method::GET && *method != Method::HEAD => {
                return (Err(Failure::method_not_allowed(method)), discovery, "get");
            }
            Ok(target) => target,
            Err(failure) => return (Err(failure), discovery, "get"),
        };
        let plan = match target {
            Target::Version => found(Some(discovery::version())),
            Target::CoreVersions => found(Some(discovery::core_versions())),
            Target::Groups => found(Some(discovery::groups(&self.kinds))),
            Target::Group(g) => found(discovery::group(&self.kinds, &g)),
            Target::Resources(g, v) => found(Some(discovery::resources(&self.kinds, &g, &v))),
            Target::OpenApiRoot => found(Some(discovery::openapi_root(&self.kinds))),
            Target::OpenApi(g, v) => found(discovery::openapi_group_version(&self.kinds, &g, &v)),
            Target::Objects(_) => Err(Failure::no_such_path()),
        };
        (plan, discovery, "get")
    }

    /// A request for objects.
    fn objects(&self, asked: &Asked<'_>, at: At) -> Served {
        let kind = self.kinds.get(at.kind);
        let resource: Arc<str> = Arc::from(kind.plural.as_str());
        let query = Query::of(asked.req.query_params());
        let method = &asked.req.method;
        let verb: &'static str = match (method, &at.name) {
            (&Method::GET | &Method::HEAD, _) if at.watch || query.watch => "watch",
            (&Method::GET | &Method::HEAD, None) => "list",
            (&Method::GET | &Method::HEAD, Some(_)) => "get",
            (&Method::POST, None) => "create",
            (&Method::DELETE, None) => "deletecollection",
            (&Method::PUT, Some(_)) => "update",
            (&Method::PATCH, Some(_)) => "patch",
            (&Method::DELETE, Some(_)) => "delete",
            _ => {
                return (
                    Err(Failure::method_not_allowed(method)),
                    resource,
                    "unknown",
                );
            }
        };
        let done = self.verb(asked, &at, &query, verb);
        (done, resource, verb)
    }

    /// Carries out `verb` on the objects `at` names.
    fn verb(&self, asked: &Asked<'_>, at: &At, query: &Query, verb: &str) -> Result<Plan, Failure> {
        let kind = self.kinds.get(at.kind);
        let scope = asked.scopes.first();
        let method = &asked.req.method;
        if at.sub.is_some() && !matches!(verb, "get" | "update" | "patch") {
            return Err(Failure::method_not_allowed(method));
        }
        let body = &asked.req.body;
        let content_type = asked
            .req
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json");
        match verb {
            "watch" => self.watch(asked, at, query),
            "list" => self.list(scope, at, query),
            "get" => {
                let store = crate::sync::lock(&self.store);
                let key = self.key(at);
                let object = store
                    .view(scope.map(|s| &**s))
                    .get(&key)
                    .cloned()
                    .ok_or_else(|| Failure::not_found(&kind.qualified(), &key.2))?;
                Ok(Plan::json(StatusCode::OK, &object))
            }
            "create" => {
                let object = parse_object(body, content_type)?;
                self.touch(scope);
                self.create(scope, at, object)
            }
            "update" => {
                let object = parse_object(body, content_type)?;
                self.touch(scope);
                self.update(scope, at, Change::Replace(object))
            }
            "patch" => {
                let how = patch::PatchKind::of(content_type)
                    .ok_or_else(|| Failure::unsupported_media_type(content_type))?;
                if how == patch::PatchKind::Strategic && !kind.builtin {
                    return Err(Failure::unsupported_media_type(
                        "strategic merge patch is for the built-in kinds; use a merge patch",
                    ));
                }
                self.touch(scope);
                self.update(scope, at, Change::Patch(how, body))
            }
            "delete" => {
                self.touch(scope);
                self.delete(scope, at)
            }
            _ => {
                self.touch(scope);
                self.delete_collection(scope, at, query)
            }
        }
    }

    /// Notes a write in `scope` as its use.
    fn touch(&self, scope: Option<&Arc<str>>) {
        if let Some(scope) = scope {
            self.activity.touch(scope);
        }
    }

    /// The key of the object `at` names.
    fn key(&self, at: &At) -> Key {
        (
            at.kind,
            at.namespace.clone().unwrap_or_default(),
            at.name.clone().unwrap_or_default(),
        )
    }

    /// `GET` of a collection.
    fn list(&self, scope: Option<&Arc<str>>, at: &At, query: &Query) -> Result<Plan, Failure> {
        let kind = self.kinds.get(at.kind);
        let (labels, fields) = query.selectors()?;
        let after = match &query.continue_token {
            Some(token) => Some(decode_continue(token)?),
            None => None,
        };
        let store = crate::sync::lock(&self.store);
        let mut matching = store
            .view(scope.map(|s| &**s))
            .list(at.kind, at.namespace.as_deref(), after.as_ref())
            .filter(|(_, o)| labels.matches(o) && fields.matches(o));
        let limit = query.limit.unwrap_or(usize::MAX);
        let mut items = Vec::new();
        let mut last = None;
        for (key, object) in matching.by_ref().take(limit) {
            items.push((**object).clone());
            last = Some(key);
        }
        let remaining = matching.count();
        let mut metadata = json!({"resourceVersion": store.rv().to_string()});
        if remaining > 0
            && let Some((_, ns, name)) = last
        {
            metadata["continue"] = json!(encode_continue(ns, name));
            metadata["remainingItemCount"] = json!(remaining);
        }
        Ok(Plan::json(
            StatusCode::OK,
            &json!({
                "kind": format!("{}List", kind.kind),
                "apiVersion": kind.api_version(),
                "metadata": metadata,
                "items": items,
            }),
        ))
    }

    /// A watch: what it missed, then each change, as a live stream.
    fn watch(&self, asked: &Asked<'_>, at: &At, query: &Query) -> Result<Plan, Failure> {
        let (labels, mut fields) = query.selectors()?;
        if let Some(name) = &at.name {
            fields = Fields::parse(&format!("metadata.name={name}"))?;
        }
        let spec = watch::Spec {
            scope: asked.scopes.first().cloned(),
            kind: at.kind,
            namespace: at.namespace.clone(),
            labels,
            fields,
            timeout: query.timeout,
        };
        let from = match query.resource_version.as_deref() {
            None | Some("") | Some("0") => None,
            Some(rv) => Some(rv.parse::<u64>().map_err(|_| {
                Failure::bad_request(format!("invalid resourceVersion {rv:?}: expected a number"))
            })?),
        };
        let mut store = crate::sync::lock(&self.store);
        let scope = spec.scope.as_deref();
        let items: Vec<Item> = match from {
            Some(rv) if rv < store.oldest() => {
                let gone = Failure::expired(rv, store.oldest());
                return Ok(stream_plan(
                    vec![Item::Json(
                        json!({"type": "ERROR", "object": gone.to_status()}),
                    )],
                    false,
                ));
            }
            Some(rv) => store
                .since(scope, rv)
                .filter(|e| spec.sees_event(e))
                .map(|e| Item::Json(e.to_json()))
                .collect(),
            None => store
                .view(scope)
                .list(at.kind, at.namespace.as_deref(), None)
                .filter(|(_, o)| spec.sees(scope, at.kind, o))
                .map(|(_, o)| Item::Json(json!({"type": "ADDED", "object": &**o})))
                .collect(),
        };
        let up_to = store.rv();
        store.watchers.expect(asked.req, spec, up_to);
        Ok(stream_plan(items, true))
    }

    /// `POST` of a collection.
    fn create(&self, scope: Option<&Arc<str>>, at: &At, object: Value) -> Result<Plan, Failure> {
        let kind = self.kinds.get(at.kind);
        let mut object = checked_type(kind, object)?;
        let meta = metadata(&mut object);
        if kind.namespaced {
            let Some(ns) = &at.namespace else {
                return Err(Failure::method_not_allowed(&Method::POST));
            };
            match meta.get("namespace").and_then(Value::as_str) {
                Some(given) if !given.is_empty() && given != ns => {
                    return Err(Failure::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => {}
            }
            meta.insert("namespace".into(), json!(ns));
        } else {
            meta.remove("namespace");
        }
        if meta
            .get("resourceVersion")
            .and_then(Value::as_str)
            .is_some_and(|rv| !rv.is_empty())
        {
            return Err(Failure::invalid(
                &kind.kind,
                meta.get("name").and_then(Value::as_str).unwrap_or_default(),
                "metadata.resourceVersion",
                "must not be set on objects to be created",
            ));
        }
        let name = match (
            meta.get("name").and_then(Value::as_str),
            meta.get("generateName").and_then(Value::as_str),
        ) {
            (Some(name), _) if !name.is_empty() => name.to_owned(),
            (_, Some(prefix)) if !prefix.is_empty() => format!("{prefix}{}", random_suffix()),
            _ => {
                return Err(Failure::invalid(
                    &kind.kind,
                    "",
                    "metadata.name",
                    "Required value: name or generateName is required",
                ));
            }
        };
        if !kinds::is_object_name(&name) {
            return Err(Failure::invalid(
                &kind.kind,
                &name,
                "metadata.name",
                "Invalid value: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
            ));
        }
        meta.insert("name".into(), json!(name));
        meta.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        meta.insert(
            "creationTimestamp".into(),
            json!(timestamp(SystemTime::now())),
        );
        meta.insert("generation".into(), json!(1));
        for gone in [
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "managedFields",
        ] {
            meta.remove(gone);
        }
        defaults(&kind.kind, &name, &mut object);
        let mut store = crate::sync::lock(&self.store);
        let view = store.view(scope.map(|s| &**s));
        if let Some(ns) = at.namespace.as_deref().filter(|_| kind.namespaced)
            && view
                .get(&(Kinds::NAMESPACES, String::new(), ns.to_owned()))
                .is_none()
        {
            return Err(Failure::not_found("namespaces", ns));
        }
        let key = (
            at.kind,
            at.namespace
                .clone()
                .filter(|_| kind.namespaced)
                .unwrap_or_default(),
            name.clone(),
        );
        if view.get(&key).is_some() {
            return Err(Failure::already_exists(&kind.qualified(), &name));
        }
        let stored = store.put(scope, key, object, "ADDED")?;
        Ok(Plan::json(StatusCode::CREATED, &stored))
    }

    /// `PUT` or `PATCH` of an object (or its `status`).
    fn update(
        &self,
        scope: Option<&Arc<str>>,
        at: &At,
        change: Change<'_>,
    ) -> Result<Plan, Failure> {
        let kind = self.kinds.get(at.kind);
        let key = self.key(at);
        let mut store = crate::sync::lock(&self.store);
        let old = store
            .view(scope.map(|s| &**s))
            .get(&key)
            .cloned()
            .ok_or_else(|| Failure::not_found(&kind.qualified(), &key.2))?;
        let new = match change {
            Change::Replace(new) => {
                let new = checked_type(kind, new)?;
                let named = new.pointer("/metadata/name").and_then(Value::as_str);
                if named.is_some_and(|n| n != key.2) {
                    return Err(Failure::bad_request(format!(
                        "the name of the object ({}) does not match the name on the URL ({})",
                        named.unwrap_or_default(),
                        key.2
                    )));
                }
                new
            }
            Change::Patch(how, body) => patch::apply(&old, body, how).map_err(|e| {
                if e.starts_with("invalid") || e.starts_with("a ") {
                    Failure::bad_request(e)
                } else {
                    Failure::invalid(&kind.kind, &key.2, "patch", &e)
                }
            })?,
        };
        let mut new = checked_type(kind, new)?;
        let given_rv = new
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .filter(|rv| !rv.is_empty());
        let old_rv = old
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str);
        if given_rv.is_some() && given_rv != old_rv {
            return Err(Failure::conflict(&kind.qualified(), &key.2));
        }
        let mut next = if at.sub.is_some() {
            // The status subresource changes the status alone.
            let mut next = (*old).clone();
            match new.get("status") {
                Some(status) => next["status"] = status.clone(),
                None => {
                    if let Some(o) = next.as_object_mut() {
                        o.remove("status");
                    }
                }
            }
            next
        } else {
            // The object's own endpoint leaves its status alone.
            match old.get("status") {
                Some(status) => new["status"] = status.clone(),
                None => {
                    if let Some(o) = new.as_object_mut() {
                        o.remove("status");
                    }
                }
            }
            new
        };
        // What the server keeps: identity, creation, generation.
        let old_meta = old.get("metadata").cloned().unwrap_or_else(|| json!({}));
        let meta = metadata(&mut next);
        meta.insert("name".into(), json!(key.2));
        if kind.namespaced {
            meta.insert("namespace".into(), json!(key.1));
        } else {
            meta.remove("namespace");
        }
        for kept in ["uid", "creationTimestamp", "generation", "resourceVersion"] {
            match old_meta.get(kept) {
                Some(v) => meta.insert(kept.into(), v.clone()),
                None => meta.remove(kept),
            };
        }
        meta.remove("managedFields");
        if next == *old {
            // Nothing changed: no new resourceVersion, no event.
            return Ok(Plan::json(StatusCode::OK, &old));
        }
        if spec_of(&next) != spec_of(&old) {
            let generation = old_meta
                .get("generation")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            metadata(&mut next).insert("generation".into(), json!(generation + 1));
        }
        let stored = store.put(scope, key, next, "MODIFIED")?;
        Ok(Plan::json(StatusCode::OK, &stored))
    }

    /// `DELETE` of an object: the object as deleted. A namespace takes
    /// its objects with it.
    fn delete(&self, scope: Option<&Arc<str>>, at: &At) -> Result<Plan, Failure> {
        let kind = self.kinds.get(at.kind);
        let key = self.key(at);
        let mut store = crate::sync::lock(&self.store);
        if at.kind == Kinds::NAMESPACES {
            let inside: Vec<Key> = self
                .kinds
                .all()
                .filter(|(_, k)| k.namespaced)
                .flat_map(|(id, _)| {
                    store
                        .view(scope.map(|s| &**s))
                        .list(id, Some(&key.2), None)
                        .map(|(k, _)| k.clone())
                        .collect::<Vec<_>>()
                })
                .collect();
            if store.view(scope.map(|s| &**s)).get(&key).is_some() {
                for k in &inside {
                    store.remove(scope, k);
                }
            }
        }
        let gone = store
            .remove(scope, &key)
            .ok_or_else(|| Failure::not_found(&kind.qualified(), &key.2))?;
        Ok(Plan::json(StatusCode::OK, &gone))
    }

    /// `DELETE` of a collection: the objects deleted, as a list.
    fn delete_collection(
        &self,
        scope: Option<&Arc<str>>,
        at: &At,
        query: &Query,
    ) -> Result<Plan, Failure> {
        let kind = self.kinds.get(at.kind);
        if at.kind == Kinds::NAMESPACES {
            return Err(Failure::method_not_allowed(&Method::DELETE));
        }
        let (labels, fields) = query.selectors()?;
        let mut store = crate::sync::lock(&self.store);
        let keys: Vec<Key> = store
            .view(scope.map(|s| &**s))
            .list(at.kind, at.namespace.as_deref(), None)
            .filter(|(_, o)| labels.matches(o) && fields.matches(o))
            .map(|(k, _)| k.clone())
            .collect();
        let items: Vec<Value> = keys
            .iter()
            .filter_map(|k| store.remove(scope, k))
            .map(|o| (*o).clone())
            .collect();
        Ok(Plan::json(
            StatusCode::OK,
            &json!({
                "kind": format!("{}List", kind.kind),
                "apiVersion": kind.api_version(),
                "metadata": {"resourceVersion": store.rv().to_string()},
                "items": items,
            }),
        ))
    }
}

/// `object` with its `apiVersion` and `kind` checked against `kind`,
/// the kind served at its path (set when left out).
fn checked_type(kind: &kinds::Kind, mut object: Value) -> Result<Value, Failure> {
    let api_version = kind.api_version();
    for (field, want) in [
        ("apiVersion", api_version.as_str()),
        ("kind", kind.kind.as_str()),
    ] {
        match object.get(field).and_then(Value::as_str) {
            Some(given) if !given.is_empty() && given != want => {
                return Err(Failure::bad_request(format!(
                    "the {field} of the object ({given}) does not match the one of the path ({want})"
                )));
            }
            _ => object[field] = json!(want),
        }
    }
    Ok(object)
}

/// What a request for objects changes: the object given, or a patch.
enum Change<'a> {
    Replace(Value),
    Patch(patch::PatchKind, &'a [u8]),
}

/// An answer (or why not) with the journal's resource and verb.
type Served = (Result<Plan, Failure>, Arc<str>, &'static str);

/// What a path names.
#[derive(Debug, PartialEq)]
enum Target {
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
struct At {
    kind: KindId,
    /// `None`: every namespace (or a cluster-scoped kind).
    namespace: Option<String>,
    name: Option<String>,
    /// A subresource: `status`.
    sub: Option<String>,
    /// An old-style `/watch/` path.
    watch: bool,
}

/// Reads a service-relative path.
fn parse(kinds: &Kinds, rel: &str) -> Result<Target, Failure> {
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
struct Query {
    watch: bool,
    label_selector: Option<String>,
    field_selector: Option<String>,
    limit: Option<usize>,
    continue_token: Option<String>,
    resource_version: Option<String>,
    timeout: Option<Duration>,
}

impl Query {
    fn of(params: Vec<(String, String)>) -> Query {
        let mut q = Query::default();
        for (k, v) in params {
            match k.as_str() {
                "watch" => q.watch = matches!(v.as_str(), "true" | "1"),
                "labelSelector" => q.label_selector = Some(v),
                "fieldSelector" => q.field_selector = Some(v),
                "limit" => q.limit = v.parse().ok().filter(|n| *n > 0),
                "continue" if !v.is_empty() => q.continue_token = Some(v),
                "resourceVersion" => q.resource_version = Some(v),
                "timeoutSeconds" => q.timeout = v.parse().ok().map(Duration::from_secs),
                _ => {}
            }
        }
        q
    }

    fn selectors(&self) -> Result<(Labels, Fields), Failure> {
        let labels = Labels::parse(self.label_selector.as_deref().unwrap_or_default())
            .map_err(|e| Failure::bad_request(format!("labelSelector: {e}")))?;
        let fields = Fields::parse(self.field_selector.as_deref().unwrap_or_default())
            .map_err(|e| Failure::bad_request(format!("fieldSelector: {e}")))?;
        Ok((labels, fields))
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::bad_request(message)
    }
}

/// A `continue` token: where the last page ended.
fn encode_continue(namespace: &str, name: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"ns": namespace, "name": name}).to_string())
}

fn decode_continue(token: &str) -> Result<(String, String), Failure> {
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
fn parse_object(body: &[u8], content_type: &str) -> Result<Value, Failure> {
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

/// `object`'s `metadata`, made an object if it was not one.
fn metadata(object: &mut Value) -> &mut Map<String, Value> {
    if !object.is_object() {
        *object = json!({});
    }
    let meta = &mut object["metadata"];
    if !meta.is_object() {
        *meta = json!({});
    }
    match meta {
        Value::Object(m) => m,
        _ => unreachable!("made an object above"),
    }
}

/// What counts as a change of spec for `generation`: all but `metadata`
/// and `status`.
fn spec_of(object: &Value) -> Value {
    let mut rest = object.clone();
    if let Some(o) = rest.as_object_mut() {
        o.remove("metadata");
        o.remove("status");
    }
    rest
}

/// What the API server fills in on create: a pod's `Pending` phase, a
/// namespace's `Active` phase and label.
fn defaults(kind: &str, name: &str, object: &mut Value) {
    match kind {
        "Pod" if object.get("status").is_none_or(Value::is_null) => {
            object["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"});
        }
        "Namespace" => {
            object["status"] = json!({"phase": "Active"});
            object["spec"] = json!({"finalizers": ["kubernetes"]});
            let meta = metadata(object);
            if !meta.get("labels").is_some_and(Value::is_object) {
                meta.insert("labels".into(), json!({}));
            }
            meta["labels"]["kubernetes.io/metadata.name"] = json!(name);
        }
        _ => {}
    }
}

/// A `generateName` suffix: five of the API server's characters.
fn random_suffix() -> String {
    const CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut bytes = [0u8; 5];
    rand::fill(&mut bytes[..]);
    bytes
        .iter()
        .map(|b| CHARS[usize::from(*b) % CHARS.len()] as char)
        .collect()
}

/// RFC 3339 to the second, as the API server writes times.
fn timestamp(t: SystemTime) -> String {
    let full = crate::timestamp::rfc3339(t);
    format!("{}Z", full.get(..19).unwrap_or(&full))
}

/// A watch's answer: `items`, then (live) each change.
fn stream_plan(items: Vec<Item>, live: bool) -> Plan {
    let mut plan = Plan::empty(StatusCode::OK);
    plan.headers.push((
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    ));
    plan.body = PlanBody::Stream(Arc::new(StreamAnswer {
        items,
        live,
        templated: false,
    }));
    plan
}

/// The API as an answer source: takes the requests routed to the service
/// `kubernetes`.
pub(crate) struct FromKubernetes(pub Arc<Api>);

impl Source for FromKubernetes {
    fn reply<'a>(&'a self, asked: &'a Asked<'a>) -> Reply<'a> {
        match asked.req.service() {
            Some((SERVICE, rel)) => Reply::Now(self.0.answer(asked, rel)),
            _ => Reply::Pass,
        }
    }
}
