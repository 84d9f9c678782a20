//! The verbs that write: create, update and patch (of an object or its
//! `status`), server-side apply, delete and delete of a collection; each
//! honours `dryRun`.

use super::{
    Api,
    kinds::{self, Kinds},
    objects::{checked_type, defaults, metadata, random_suffix, spec_of, timestamp},
    patch,
    request::{At, Query},
    status::Failure,
    store::Key,
};
use crate::plan::Plan;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::{sync::Arc, time::SystemTime};

/// What a request for objects changes: the object given, or a patch.
pub(super) enum Change<'a> {
    Replace(Value),
    Patch(patch::PatchKind, &'a [u8]),
}

impl Api {
    /// `POST` of a collection.
    pub(super) fn create(
        &self,
        scope: Option<&Arc<str>>,
        at: &At,
        object: Value,
    ) -> Result<Plan, Failure> {
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
        let stored = store.put(scope, key, object, "ADDED", at.dry_run)?;
        Ok(Plan::json(StatusCode::CREATED, &stored))
    }

    /// `PUT` or `PATCH` of an object (or its `status`).
    pub(super) fn update(
        &self,
        scope: Option<&Arc<str>>,
        at: &At,
        change: Change<'_>,
    ) -> Result<Plan, Failure> {
        let kind = self.kinds.get(at.kind);
        let key = at.key();
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
        let stored = store.put(scope, key, next, "MODIFIED", at.dry_run)?;
        Ok(Plan::json(StatusCode::OK, &stored))
    }

    /// Server-side apply: `body` (the object, as JSON) created when
    /// missing, else merged in (strategic for the built-ins).
    pub(super) fn apply(
        &self,
        scope: Option<&Arc<str>>,
        at: &At,
        body: &[u8],
    ) -> Result<Plan, Failure> {
        let kind = self.kinds.get(at.kind);
        let object: Value = serde_json::from_slice(body).map_err(|e| {
            Failure::unsupported_media_type(&format!(
                "server-side apply takes the object as JSON ({e})"
            ))
        })?;
        if !object.is_object() {
            return Err(Failure::bad_request(
                "the applied object must be a JSON object",
            ));
        }
        let exists = {
            let store = crate::sync::lock(&self.store);
            store.view(scope.map(|s| &**s)).get(&at.key()).is_some()
        };
        if !exists && at.sub.is_none() {
            let mut object = object;
            let name = at.name.clone().unwrap_or_default();
            metadata(&mut object).insert("name".into(), json!(name));
            let collection = At {
                kind: at.kind,
                namespace: at.namespace.clone(),
                name: None,
                sub: None,
                watch: false,
                dry_run: at.dry_run,
                scope: at.scope.clone(),
            };
            return self.create(scope, &collection, object);
        }
        let how = if kind.builtin {
            patch::PatchKind::Strategic
        } else {
            patch::PatchKind::Merge
        };
        self.update(scope, at, Change::Patch(how, body))
    }

    /// `DELETE` of an object: the object as deleted. A namespace takes
    /// its objects with it.
    pub(super) fn delete(&self, scope: Option<&Arc<str>>, at: &At) -> Result<Plan, Failure> {
        let kind = self.kinds.get(at.kind);
        let key = at.key();
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
                    store.remove(scope, k, at.dry_run);
                }
            }
        }
        let gone = store
            .remove(scope, &key, at.dry_run)
            .ok_or_else(|| Failure::not_found(&kind.qualified(), &key.2))?;
        Ok(Plan::json(StatusCode::OK, &gone))
    }

    /// `DELETE` of a collection: the objects deleted, as a list.
    pub(super) fn delete_collection(
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
            .filter_map(|k| store.remove(scope, k, at.dry_run))
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
