//! The verbs that read: get, list (selectors, pages with `continue`
//! tokens, tables for `kubectl get`) and watch (what it missed, then each
//! change, as a live stream).

use super::{
    Api,
    request::{At, Query, decode_continue, encode_continue},
    selectors::Fields,
    status::Failure,
    table, watch,
};
use crate::plan::{Plan, PlanBody};
use fake_servicer_wiremock::stream::{Item, StreamAnswer};
use http::{StatusCode, header::CONTENT_TYPE};
use serde_json::json;
use std::sync::Arc;

impl Api {
    /// `GET` of an object (or its `status`).
    pub(super) fn get(
        &self,
        scope: Option<&Arc<str>>,
        at: &At,
        table: bool,
    ) -> Result<Plan, Failure> {
        let kind = self.kinds.get(at.kind);
        let store = crate::sync::lock(&self.store);
        let key = at.key();
        let object = store
            .view(scope.map(|s| &**s))
            .get(&key)
            .cloned()
            .ok_or_else(|| Failure::not_found(&kind.qualified(), &key.2))?;
        if table {
            let meta = json!({"resourceVersion": store.rv().to_string()});
            return Ok(Plan::json(
                StatusCode::OK,
                &table::of(kind, [&*object], meta),
            ));
        }
        Ok(Plan::json(StatusCode::OK, &object))
    }

    /// `GET` of a collection.
    pub(super) fn list(
        &self,
        scope: Option<&Arc<str>>,
        at: &At,
        query: &Query,
        table: bool,
    ) -> Result<Plan, Failure> {
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
        if table {
            return Ok(Plan::json(
                StatusCode::OK,
                &table::of(kind, &items, metadata),
            ));
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
    pub(super) fn watch(
        &self,
        asked: &super::Asking,
        at: &At,
        query: &Query,
        table: bool,
    ) -> Result<Plan, Failure> {
        let (labels, mut fields) = query.selectors()?;
        if let Some(name) = &at.name {
            fields = Fields::parse(&format!("metadata.name={name}"))?;
        }
        let spec = watch::Spec {
            scope: at.scope.clone(),
            kind: at.kind,
            namespace: at.namespace.clone(),
            labels,
            fields,
            timeout: query.timeout,
            table: table.then(|| self.kinds.get(at.kind).clone()),
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
                .map(|e| Item::Json(spec.render(e.what, &e.object, e.rv)))
                .collect(),
            None => store
                .view(scope)
                .list(at.kind, at.namespace.as_deref(), None)
                .filter(|(_, o)| spec.sees(scope, at.kind, o))
                .map(|(_, o)| Item::Json(spec.render("ADDED", o, 0)))
                .collect(),
        };
        let up_to = store.rv();
        store.watchers.expect(&asked.req, spec, up_to);
        Ok(stream_plan(items, true))
    }
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
