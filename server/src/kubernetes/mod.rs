//! The Kubernetes API (`--kubernetes`), served as the service
//! `kubernetes` (by alias, by prefix `http://fake-services/kubernetes`,
//! over HTTPS with the generated CA): discovery ([`discovery`]), the
//! built-in kinds and custom ones ([`kinds`]), create / get / list /
//! update / patch ([`patch`], server-side apply too) / delete, dry runs,
//! list selectors ([`selectors`]), tables for `kubectl get` ([`table`]),
//! watches ([`watch`]), errors as `Status` objects ([`status`]); objects
//! kept per scope ([`store`]): the request's, or the one its path names
//! (`/scopes/{S}/…`, for kubectl, which sends no scope header). Not a
//! scheduler: pods are stored, not run.
//!
//! Here: the [`Api`] (its construction, reset and dropping of a scope), its
//! answer source and the dispatch of a request to its verb. A request is
//! read in [`request`]; the verbs that read (get, list, watch) are in
//! [`read`], those that write (create, update, patch, apply, delete) in
//! [`write`]; what the API server does to objects (metadata, defaults,
//! timestamps) in [`objects`].
//!
//! As an answer source it comes after stubs (a stub or override for the
//! service `kubernetes` still wins) and before plugins (a plugin's service
//! named `kubernetes` is not reached while the API is on).

pub(crate) mod discovery;
pub(crate) mod kinds;
mod objects;
pub(crate) mod patch;
mod read;
mod request;
pub(crate) mod selectors;
pub(crate) mod status;
pub(crate) mod store;
pub(crate) mod table;
pub(crate) mod watch;
mod write;

use crate::{
    answer::{Answer, Asked, Reply, Source},
    journal::AnsweredBy,
    plan::Plan,
    request::Recorded,
    scope::Activity,
    scope::Scopes,
    streams::Streams,
};
use http::{Method, StatusCode, header::CONTENT_TYPE};
use kinds::Kinds;
use objects::timestamp;
use request::{At, Query, Target, in_scope, parse, parse_object};
use serde_json::Value;
use status::Failure;
use std::{
    sync::{Arc, Mutex},
    time::SystemTime,
};
use store::Store;
use write::Change;

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
    fn answer(&self, asked: &Asking, rel: &str) -> Answer {
        let (done, resource, verb) = match in_scope(rel) {
            Ok((scope, rel)) => {
                // Each request of a path's scope is a use of it (the
                // request path sees header scopes only).
                if let Some(scope) = &scope {
                    self.activity.touch(scope);
                }
                self.serve(asked, rel, scope)
            }
            Err(failure) => (Err(failure), Arc::from("discovery"), "get"),
        };
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
    fn serve(&self, asked: &Asking, rel: &str, scope: Option<Arc<str>>) -> Served {
        let discovery: Arc<str> = Arc::from("discovery");
        let found = |v: Option<Value>| {
            v.map(|v| Plan::json(StatusCode::OK, &v))
                .ok_or_else(Failure::no_such_path)
        };
        let method = &asked.req.method;
        let target = match parse(&self.kinds, rel) {
            Ok(Target::Objects(mut at)) => {
                at.scope = scope.or_else(|| asked.scopes.first().cloned());
                return self.objects(asked, at);
            }
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
    fn objects(&self, asked: &Asking, mut at: At) -> Served {
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
        // `dryRun` in the query, or (a delete) in its `DeleteOptions`.
        at.dry_run = query.dry_run
            || (*method == Method::DELETE
                && serde_json::from_slice::<Value>(&asked.req.body).is_ok_and(|o| {
                    o.get("dryRun")
                        .and_then(Value::as_array)
                        .is_some_and(|d| !d.is_empty())
                }));
        let done = self.verb(asked, &at, &query, verb);
        (done, resource, verb)
    }

    /// Carries out `verb` on the objects `at` names.
    fn verb(&self, asked: &Asking, at: &At, query: &Query, verb: &str) -> Result<Plan, Failure> {
        let kind = self.kinds.get(at.kind);
        let scope = at.scope.as_ref();
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
        let accept = asked.req.headers.get(http::header::ACCEPT);
        let table = table::wanted(accept.and_then(|v| v.to_str().ok()));
        match verb {
            "watch" => self.watch(asked, at, query, table),
            "list" => self.list(scope, at, query, table),
            "get" => self.get(scope, at, table),
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
                if how == patch::PatchKind::Apply {
                    return self.apply(scope, at, body);
                }
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
}

/// An answer (or why not) with the journal's resource and verb.
type Served = (Result<Plan, Failure>, Arc<str>, &'static str);

/// The API as an answer source: takes the requests routed to the service
/// `kubernetes`.
pub(crate) struct FromKubernetes(pub Arc<Api>);

/// What a request to the API is answered from: the request and its
/// scopes, owned, so that it is answered off the async workers.
pub(super) struct Asking {
    pub req: Arc<Recorded>,
    pub scopes: Scopes,
}

impl Source for FromKubernetes {
    /// A list of thousands of objects, a large patch or a watch replaying
    /// its history is real work under the store's lock: every request to
    /// the API is answered on the blocking pool (`crate::offload`), so
    /// the async workers stay free for everything else.
    fn reply<'a>(&'a self, asked: &'a Asked<'a>) -> Reply<'a> {
        let Some((SERVICE, rel)) = asked.req.service() else {
            return Reply::Pass;
        };
        let api = self.0.clone();
        let rel = rel.to_owned();
        let asking = Asking {
            req: asked.req.clone(),
            scopes: asked.scopes.clone(),
        };
        Reply::Later(Box::pin(async move {
            crate::offload::run_whole(move || api.answer(&asking, &rel))
                .await
                .unwrap_or_else(|why| {
                    Answer::server(
                        Failure::internal(format!("the request was not answered: {why}")).plan(),
                    )
                })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use selectors::{Fields, Labels};
    use serde_json::json;

    fn queued(open: &crate::streams::Open) -> u64 {
        open.to_json()["bytesQueued"].as_u64().unwrap_or_default()
    }

    #[test]
    fn a_change_made_before_a_watchs_stream_opens_is_sent_when_it_opens() {
        let streams = Arc::new(Streams::new(crate::streams::Limits::default(), None));
        let kinds = Kinds::new(Vec::new()).expect("the built-ins");
        let pods = kinds.find("", "v1", "pods").expect("pods");
        let api = Api::new(kinds, Limits::default(), &streams, Arc::default());
        let request = Arc::new(Recorded::new(
            Method::GET,
            "/api/v1/namespaces/default/pods",
        ));
        let spec = watch::Spec {
            scope: None,
            kind: pods,
            namespace: Some("default".into()),
            labels: Labels::default(),
            fields: Fields::default(),
            timeout: None,
            table: None,
        };
        let pod = |name: &str| json!({"metadata": {"name": name, "namespace": "default"}});
        {
            // The watch is answered; a change comes before its stream is
            // registered.
            let mut store = crate::sync::lock(&api.store);
            let up_to = store.rv();
            store.watchers.expect(&request, spec, up_to);
            let key = (pods, "default".to_owned(), "early".to_owned());
            store
                .put(None, key, pod("early"), "ADDED", false)
                .expect("stored");
        }
        let none = Scopes::from_headers(&http::HeaderMap::new());
        let open = streams.open(request, none, false).expect("opened");
        let early = queued(&open);
        assert!(
            early > 0,
            "the missed change is queued when the stream opens"
        );
        let key = (pods, "default".to_owned(), "late".to_owned());
        crate::sync::lock(&api.store)
            .put(None, key, pod("late"), "ADDED", false)
            .expect("stored");
        assert!(queued(&open) > early, "later changes follow");
    }
}
