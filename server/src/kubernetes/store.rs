//! The objects, per scope (copy on write, [`PerScope`]): one global
//! `resourceVersion` counter, a bounded history of changes for watches
//! from a `resourceVersion`, and the caps on objects and bytes per scope.

use super::{
    kinds::{KindId, Kinds},
    status::Failure,
    watch::Watchers,
};
use crate::per_scope::PerScope;
use serde_json::{Value, json};
use std::{
    collections::{BTreeMap, VecDeque},
    sync::Arc,
};

/// Default of `--max-kubernetes-objects`: objects one scope (or the
/// unscoped base) holds, namespaces included.
pub const DEFAULT_MAX_OBJECTS: usize = 10_000;
/// Default of `--max-kubernetes-bytes`: 64 MiB of objects (as JSON) per
/// scope.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;
/// Default of `--kubernetes-watch-history`: changes kept for watches from
/// a `resourceVersion`.
pub const DEFAULT_HISTORY: usize = 1_000;

/// The caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `--max-kubernetes-objects`.
    pub max_objects: usize,
    /// `--max-kubernetes-bytes`.
    pub max_bytes: usize,
    /// `--kubernetes-watch-history`.
    pub history: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_objects: DEFAULT_MAX_OBJECTS,
            max_bytes: DEFAULT_MAX_BYTES,
            history: DEFAULT_HISTORY,
        }
    }
}

/// Where an object is: its kind, namespace (empty for cluster-scoped
/// kinds) and name. Sorted: a list is a range.
pub(crate) type Key = (KindId, String, String);

/// What one scope sees.
#[derive(Debug, Clone, Default)]
pub(crate) struct Objects {
    /// Each object with its size as JSON.
    map: BTreeMap<Key, (Arc<Value>, usize)>,
    bytes: usize,
}

impl Objects {
    /// The objects of `kind` (in `namespace`, when given) from `after`
    /// on (exclusive), in order.
    pub fn list<'a>(
        &'a self,
        kind: KindId,
        namespace: Option<&'a str>,
        after: Option<&'a (String, String)>,
    ) -> impl Iterator<Item = (&'a Key, &'a Arc<Value>)> + 'a {
        let start = match after {
            Some((ns, name)) => std::ops::Bound::Excluded((kind, ns.clone(), name.clone())),
            None => std::ops::Bound::Included((kind, String::new(), String::new())),
        };
        self.map
            .range((start, std::ops::Bound::Unbounded))
            .take_while(move |((k, _, _), _)| *k == kind)
            .filter(move |((_, ns, _), _)| namespace.is_none_or(|want| ns == want))
            .map(|(key, (object, _))| (key, object))
    }

    /// The object at `key`.
    pub fn get(&self, key: &Key) -> Option<&Arc<Value>> {
        self.map.get(key).map(|(o, _)| o)
    }
}

/// What changed: a watch event.
#[derive(Debug)]
pub(crate) struct Event {
    pub rv: u64,
    pub scope: Option<Arc<str>>,
    pub kind: KindId,
    /// `ADDED`, `MODIFIED`, `DELETED`.
    pub what: &'static str,
    pub object: Arc<Value>,
}

impl Event {
    /// The event as a watch sends it.
    pub fn to_json(&self) -> Value {
        json!({"type": self.what, "object": &*self.object})
    }
}

/// Every scope's objects, the counter, the history and the watches.
pub(crate) struct Store {
    state: PerScope<Objects>,
    rv: u64,
    history: VecDeque<Arc<Event>>,
    /// The oldest `resourceVersion` a watch may start from: every change
    /// after it is in the history.
    oldest: u64,
    limits: Limits,
    pub watchers: Watchers,
}

impl Store {
    /// The seed: the namespaces `default`, `kube-system`, `kube-public`.
    pub fn new(limits: Limits, created: &str, watchers: Watchers) -> Store {
        let mut seed = Objects::default();
        let mut rv = 0;
        for name in ["default", "kube-system", "kube-public"] {
            rv += 1;
            let object = json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": name,
                    "uid": uuid::Uuid::new_v4().to_string(),
                    "resourceVersion": rv.to_string(),
                    "creationTimestamp": created,
                    "labels": {"kubernetes.io/metadata.name": name},
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            });
            let size = object.to_string().len();
            seed.bytes += size;
            seed.map.insert(
                (Kinds::NAMESPACES, String::new(), name.to_owned()),
                (Arc::new(object), size),
            );
        }
        Store {
            state: PerScope::new(seed),
            rv,
            history: VecDeque::new(),
            oldest: 0,
            limits,
            watchers,
        }
    }

    /// What `scope` sees.
    pub fn view(&self, scope: Option<&str>) -> &Objects {
        self.state.view(scope)
    }

    /// The newest `resourceVersion` given out.
    pub fn rv(&self) -> u64 {
        self.rv
    }

    /// The oldest `resourceVersion` a watch may start from.
    pub fn oldest(&self) -> u64 {
        self.oldest
    }

    /// The changes of `scope` after `rv`, oldest first.
    pub fn since(&self, scope: Option<&str>, rv: u64) -> impl Iterator<Item = &Arc<Event>> {
        self.history
            .iter()
            .filter(move |e| e.rv > rv && e.scope.as_deref() == scope)
    }

    /// Stores `object` at `key` in `scope` (`what`: `ADDED` or
    /// `MODIFIED`) with the next `resourceVersion`; refused past a cap,
    /// changing nothing.
    pub fn put(
        &mut self,
        scope: Option<&Arc<str>>,
        key: Key,
        mut object: Value,
        what: &'static str,
    ) -> Result<Arc<Value>, Failure> {
        let rv = self.rv + 1;
        object["metadata"]["resourceVersion"] = Value::String(rv.to_string());
        let size = object.to_string().len();
        let view = self.state.view(scope.map(|s| &**s));
        let old = view.map.get(&key).map_or(0, |(_, s)| *s);
        let count = view.map.len() + usize::from(!view.map.contains_key(&key));
        let shown = scope.map_or_else(
            || "unscoped requests".to_owned(),
            |s| format!("scope {s:?}"),
        );
        if count > self.limits.max_objects {
            return Err(Failure::over_cap(
                "--max-kubernetes-objects",
                format!(
                    "{shown} would hold {count} objects, more than {}",
                    self.limits.max_objects
                ),
            ));
        }
        let bytes = view.bytes - old + size;
        if bytes > self.limits.max_bytes {
            return Err(Failure::over_cap(
                "--max-kubernetes-bytes",
                format!(
                    "{shown} would hold {bytes} bytes of objects, more than {}",
                    self.limits.max_bytes
                ),
            ));
        }
        self.rv = rv;
        let object = Arc::new(object);
        let view = self.state.view_mut(scope.map(|s| &**s));
        view.bytes = bytes;
        view.map.insert(key.clone(), (object.clone(), size));
        self.record(scope, key.0, what, object.clone());
        Ok(object)
    }

    /// Removes the object at `key` in `scope`: the object as deleted (its
    /// `resourceVersion` the deletion's).
    pub fn remove(&mut self, scope: Option<&Arc<str>>, key: &Key) -> Option<Arc<Value>> {
        self.state.view(scope.map(|s| &**s)).map.get(key)?;
        let view = self.state.view_mut(scope.map(|s| &**s));
        let (object, size) = view.map.remove(key)?;
        view.bytes -= size;
        self.rv += 1;
        let mut gone = (*object).clone();
        gone["metadata"]["resourceVersion"] = Value::String(self.rv.to_string());
        let gone = Arc::new(gone);
        self.record(scope, key.0, "DELETED", gone.clone());
        Some(gone)
    }

    /// Notes a change in the history (dropping the oldest past its cap)
    /// and sends it to the watches that see it.
    fn record(
        &mut self,
        scope: Option<&Arc<str>>,
        kind: KindId,
        what: &'static str,
        object: Arc<Value>,
    ) {
        let event = Arc::new(Event {
            rv: self.rv,
            scope: scope.cloned(),
            kind,
            what,
            object,
        });
        if self.limits.history > 0 {
            while self.history.len() >= self.limits.history {
                if let Some(dropped) = self.history.pop_front() {
                    self.oldest = dropped.rv;
                }
            }
            self.history.push_back(event.clone());
        } else {
            self.oldest = self.rv;
        }
        self.watchers.send(&event);
    }

    /// A stream opened: when it is a watch's, the watch goes live
    /// ([`Watchers::opened`]).
    pub fn opened(&mut self, open: &Arc<crate::streams::Open>) {
        let scope = open.scopes.first().cloned();
        let history = &self.history;
        self.watchers.opened(open, |from| {
            history
                .iter()
                .filter(|e| e.rv > from && e.scope == scope)
                .collect()
        });
    }

    /// Drops `scope`'s objects and history: it sees the seed again.
    pub fn drop_scope(&mut self, scope: &str) {
        self.state.drop_scope(scope);
        self.history.retain(|e| e.scope.as_deref() != Some(scope));
        self.watchers.forget_scope(scope);
    }

    /// Every scope back to the seed; the history is dropped (a watch from
    /// an older `resourceVersion` is told it expired).
    pub fn reset(&mut self) {
        self.state.reset();
        self.history.clear();
        self.oldest = self.rv;
        self.watchers.clear();
    }
}
