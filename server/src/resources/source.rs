//! Declared resources as a source: `GET /orders` (filters, paging), `GET
//! /orders/{id}`, `POST /orders`, `PUT` and `PATCH` (JSON merge patch,
//! RFC 7396) and `DELETE /orders/{id}`, in the request's scope (its first).
//!
//! Answers are made on the async worker: a list joins the items' JSON
//! text (kept with each item) under no lock, a copy of at most
//! `--max-resource-bytes`, so nothing is serialised again and nothing
//! needs the offload pool.

use super::{Full, Item, Resource, Resources, Target, WriteError, id_of};
use crate::{
    answer::{Answer, Asked, Reply, Source},
    journal::AnsweredBy,
    plan::{Plan, PlanBody},
    sync::lock,
};
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, header};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// What answers requests to declared resources.
pub(crate) struct FromResources {
    pub resources: Arc<Resources>,
    /// Writes in a scope count as use of it (idle scopes end, their
    /// states with them).
    pub scope_activity: Arc<crate::scope::Activity>,
}

impl Source for FromResources {
    fn reply<'a>(&'a self, asked: &'a Asked<'a>) -> Reply<'a> {
        if self.resources.none() {
            return Reply::Pass;
        }
        for r in self.resources.list().iter() {
            let Some(path) = asked.req.path_for(r.decl.service.as_deref()) else {
                continue;
            };
            if let Some(target) = r.decl.target(path) {
                return Reply::Now(self.answer(r, target, asked));
            }
        }
        Reply::Pass
    }
}

/// Why a request was not done; each is answered as JSON naming the
/// problem.
enum Failure {
    /// 400: the body or the query does not parse.
    BadRequest(String),
    /// 422: JSON, not an acceptable item.
    Unprocessable(String),
    /// 404: no item with that id.
    NotFound(Arc<str>),
    /// 409: an item already has that id.
    Duplicate(Arc<str>),
    /// 507: a cap would be passed.
    Full(Full),
    /// 405: the method does not apply; those that do.
    Method(&'static str),
    /// 404: the resource was undeclared meanwhile.
    Gone,
}

impl From<WriteError> for Failure {
    fn from(e: WriteError) -> Failure {
        match e {
            WriteError::NotFound(id) => Failure::NotFound(id),
            WriteError::Duplicate(id) => Failure::Duplicate(id),
            WriteError::Full(full) => Failure::Full(full),
        }
    }
}

impl Failure {
    fn plan(self, r: &Resource) -> Plan {
        let name = &*r.decl.name;
        let (status, body) = match self {
            Failure::BadRequest(e) => (
                StatusCode::BAD_REQUEST,
                json!({"error": e, "resource": name}),
            ),
            Failure::Unprocessable(e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": e, "resource": name}),
            ),
            Failure::NotFound(id) => (
                StatusCode::NOT_FOUND,
                json!({"error": format!("no {name} item with id {id:?}"), "resource": name, "id": &*id}),
            ),
            Failure::Duplicate(id) => (
                StatusCode::CONFLICT,
                json!({"error": format!("a {name} item with id {id:?} already exists"), "resource": name, "id": &*id}),
            ),
            Failure::Full(full) => (
                StatusCode::INSUFFICIENT_STORAGE,
                json!({"error": full.message, "resource": name, "flag": full.flag, "cap": full.cap}),
            ),
            Failure::Method(allowed) => {
                let mut plan = Plan::json(
                    StatusCode::METHOD_NOT_ALLOWED,
                    &json!({"error": format!("resource {name} takes {allowed} here"), "resource": name}),
                );
                plan.headers
                    .push((header::ALLOW, HeaderValue::from_static(allowed)));
                return plan;
            }
            Failure::Gone => (
                StatusCode::NOT_FOUND,
                json!({"error": format!("resource {name} is no longer declared"), "resource": name}),
            ),
        };
        Plan::json(status, &body)
    }
}

impl FromResources {
    fn answer(&self, r: &Arc<Resource>, target: Target<'_>, asked: &Asked<'_>) -> Answer {
        let scope = asked.scopes.first();
        let req = asked.req;
        let dry = asked.is_overridden();
        let (verb, done) = match (target, &req.method) {
            (Target::Collection, &Method::GET | &Method::HEAD) => {
                ("list", self.list(r, scope, req))
            }
            (Target::Collection, &Method::POST) => ("create", self.create(r, scope, dry, req)),
            (Target::Item(id), &Method::GET | &Method::HEAD) => {
                ("get", self.get(r, scope, &decoded(id)))
            }
            (Target::Item(id), &Method::PUT) => {
                ("update", self.update(r, scope, dry, &decoded(id), req))
            }
            (Target::Item(id), &Method::PATCH) => {
                ("patch", self.patch(r, scope, dry, &decoded(id), req))
            }
            (Target::Item(id), &Method::DELETE) => {
                ("delete", self.delete(r, scope, dry, &decoded(id)))
            }
            (Target::Collection, _) => ("unsupported", Err(Failure::Method("GET, POST"))),
            (Target::Item(_), _) => (
                "unsupported",
                Err(Failure::Method("GET, PUT, PATCH, DELETE")),
            ),
        };
        Answer {
            plan: done.unwrap_or_else(|f| f.plan(r)),
            by: AnsweredBy::Resource {
                api: "resource",
                resource: r.decl.name.clone(),
                verb,
            },
            stub: None,
        }
    }

    /// Changes the state `scope` sees with `change`, all or nothing. With
    /// `dry` (an armed override answers the request) the change is made on
    /// a copy, for its answer, and the state stays as it is.
    fn write<T>(
        &self,
        r: &Resource,
        scope: Option<&Arc<str>>,
        dry: bool,
        change: impl FnOnce(&mut super::Collection, &super::Budget<'_>) -> Result<T, WriteError>,
    ) -> Result<T, Failure> {
        let mut states = lock(&r.states);
        if states.retired {
            return Err(Failure::Gone);
        }
        let scope_name = scope.map(|s| &**s);
        if dry {
            let mut copy = states.per_scope.view(scope_name).clone();
            drop(states);
            let total = std::sync::atomic::AtomicUsize::new(self.resources.total_bytes());
            let budget = super::Budget::new(self.resources.limits(), &total);
            return change(&mut copy, &budget).map_err(Failure::from);
        }
        let budget = self.resources.budget();
        let had_own = states.per_scope.has_own(scope_name);
        let done = change(states.per_scope.view_mut(scope_name), &budget);
        if done.is_err()
            && !had_own
            && let Some(s) = scope_name
        {
            // A refused first write leaves no copy behind.
            states.per_scope.drop_scope(s);
        }
        drop(states);
        if let Some(s) = scope {
            self.scope_activity.touch(s);
        }
        done.map_err(Failure::from)
    }

    /// `GET /orders?field=value&limit=&offset=`: `{"items", "total"}`,
    /// `total` counting every match before paging.
    fn list(
        &self,
        r: &Resource,
        scope: Option<&Arc<str>>,
        req: &crate::request::Recorded,
    ) -> Result<Plan, Failure> {
        let mut filters = Vec::new();
        let (mut limit, mut offset) = (None, 0);
        for (key, value) in req.query_params() {
            match key.as_str() {
                "limit" => limit = Some(whole(&key, &value)?),
                "offset" => offset = whole(&key, &value)?,
                _ => filters.push((key, value)),
            }
        }
        let matching: Vec<Arc<Item>> = {
            let states = lock(&r.states);
            let items = states.per_scope.view(scope.map(|s| &**s));
            items.matching(&filters).cloned().collect()
        };
        let total = matching.len();
        let page = matching
            .iter()
            .skip(offset)
            .take(limit.unwrap_or(usize::MAX));
        let mut body = Vec::new();
        body.extend_from_slice(b"{\"items\":[");
        for (i, item) in page.enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(&item.json);
        }
        body.extend_from_slice(format!("],\"total\":{total}}}").as_bytes());
        Ok(json_plan(StatusCode::OK, Bytes::from(body)))
    }

    fn get(&self, r: &Resource, scope: Option<&Arc<str>>, id: &str) -> Result<Plan, Failure> {
        let states = lock(&r.states);
        let item = states.per_scope.view(scope.map(|s| &**s)).get(id).cloned();
        drop(states);
        let item = item.ok_or_else(|| Failure::NotFound(Arc::from(id)))?;
        Ok(json_plan(StatusCode::OK, item.json.clone()))
    }

    /// `POST /orders`: 201, `Location` naming the new item, the item.
    fn create(
        &self,
        r: &Resource,
        scope: Option<&Arc<str>>,
        dry: bool,
        req: &crate::request::Recorded,
    ) -> Result<Plan, Failure> {
        let mut item = object(&req.body)?;
        let field = &r.decl.id;
        let id = match id_of(&item, field) {
            Some(Ok(id)) => id,
            Some(Err(why)) => return Err(Failure::Unprocessable(why)),
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                item.insert(field.clone(), Value::from(id.as_str()));
                Arc::from(id)
            }
        };
        let stored = self.write(r, scope, dry, |c, budget| {
            c.insert(Item::new(id, item), budget)
        })?;
        let mut plan = json_plan(StatusCode::CREATED, stored.json.clone());
        let location = format!(
            "{}/{}",
            req.path.trim_end_matches('/'),
            percent_encoding::utf8_percent_encode(&stored.id, SEGMENT)
        );
        if let Ok(v) = HeaderValue::from_str(&location) {
            plan.headers.push((header::LOCATION, v));
        }
        Ok(plan)
    }

    /// `PUT /orders/{id}`: the item replaced (its id as it was, when the
    /// body has none); 200 with it.
    fn update(
        &self,
        r: &Resource,
        scope: Option<&Arc<str>>,
        dry: bool,
        id: &str,
        req: &crate::request::Recorded,
    ) -> Result<Plan, Failure> {
        let mut item = object(&req.body)?;
        let field = &r.decl.id;
        same_id(&item, field, id)?;
        self.replace(r, scope, dry, id, |old| {
            if !item.contains_key(field)
                && let Some(v) = old.value.get(field)
            {
                item.insert(field.clone(), v.clone());
            }
            item
        })
    }

    /// `PATCH /orders/{id}`: the body merged in (RFC 7396); 200 with the
    /// item.
    fn patch(
        &self,
        r: &Resource,
        scope: Option<&Arc<str>>,
        dry: bool,
        id: &str,
        req: &crate::request::Recorded,
    ) -> Result<Plan, Failure> {
        let patch = object(&req.body)?;
        let field = &r.decl.id;
        if patch.get(field).is_some_and(Value::is_null) {
            return Err(Failure::Unprocessable(format!(
                "the patch removes the id field {field:?}: an item keeps its id"
            )));
        }
        same_id(&patch, field, id)?;
        let patch = Value::Object(patch);
        self.replace(r, scope, dry, id, |old| {
            let mut merged = Value::Object(old.value.clone());
            json_patch::merge(&mut merged, &patch);
            match merged {
                Value::Object(m) => m,
                _ => old.value.clone(),
            }
        })
    }

    /// The item `id` replaced by what `new` makes of it (from the item as
    /// it was), keeping its id; 200 with the item stored. 404 when there
    /// is no such item.
    fn replace(
        &self,
        r: &Resource,
        scope: Option<&Arc<str>>,
        dry: bool,
        id: &str,
        new: impl FnOnce(&Item) -> Map<String, Value>,
    ) -> Result<Plan, Failure> {
        let stored = self.write(r, scope, dry, |c, budget| {
            let old = c
                .get(id)
                .ok_or_else(|| WriteError::NotFound(Arc::from(id)))?;
            let value = new(old);
            c.replace(Item::new(old.id.clone(), value), budget)
        })?;
        Ok(json_plan(StatusCode::OK, stored.json.clone()))
    }

    /// `DELETE /orders/{id}`: 204.
    fn delete(
        &self,
        r: &Resource,
        scope: Option<&Arc<str>>,
        dry: bool,
        id: &str,
    ) -> Result<Plan, Failure> {
        self.write(r, scope, dry, |c, budget| c.remove(id, budget))?;
        Ok(Plan::empty(StatusCode::NO_CONTENT))
    }
}

/// Characters escaped in an id put in a path segment.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A path segment's id, percent-decoded.
fn decoded(id: &str) -> String {
    percent_encoding::percent_decode_str(id)
        .decode_utf8_lossy()
        .into_owned()
}

/// A JSON answer of `body`, JSON text already.
fn json_plan(status: StatusCode, body: Bytes) -> Plan {
    let mut plan = Plan::empty(status);
    plan.headers.push((
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    ));
    plan.body = PlanBody::Full(body);
    plan
}

/// A request body holding one JSON object.
fn object(body: &[u8]) -> Result<Map<String, Value>, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure::BadRequest(
            "the body is empty: send the item as a JSON object".to_owned(),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Failure::Unprocessable(format!(
            "the body must be a JSON object, found {}",
            kind(&other)
        ))),
        Err(e) => Err(Failure::BadRequest(format!("the body is not JSON: {e}"))),
    }
}

/// What kind of JSON value `v` is, for errors.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Refuses a body whose id field names another item than the path.
fn same_id(body: &Map<String, Value>, field: &str, id: &str) -> Result<(), Failure> {
    match id_of(body, field) {
        None => Ok(()),
        Some(Ok(given)) if &*given == id => Ok(()),
        Some(Ok(given)) => Err(Failure::Unprocessable(format!(
            "the body's {field:?} is {given:?} but the path names {id:?}: an item's id does not change"
        ))),
        Some(Err(why)) => Err(Failure::Unprocessable(why)),
    }
}

/// A `limit` or `offset`: a whole number.
fn whole(key: &str, value: &str) -> Result<usize, Failure> {
    value.trim().parse().map_err(|_| {
        Failure::BadRequest(format!(
            "{key}: expected a non-negative whole number, found {value:?}"
        ))
    })
}
