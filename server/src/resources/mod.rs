//! Declared resources: collections of JSON items (`{"resource": {"name",
//! "path", "id", "service", "seed"}}`, from a mapping file or `POST
//! /__admin/resources`) that answer list, get, create, replace, merge
//! patch and delete ([`source`]), their state kept per scope
//! ([`crate::per_scope`]): a scope sees the seed plus its own writes.
//!
//! Readers take a lock-free snapshot of the declarations; each resource's
//! state has a lock of its own, held only to read or change items (never
//! to serialise a list: items keep their JSON text).

mod collection;
mod declaration;
pub(crate) mod source;

pub(crate) use collection::{Collection, Item, WriteError, id_of};
pub(crate) use declaration::{Declaration, Target, parse};

use crate::{matchers::PatternError, per_scope::PerScope, sync::lock};
use arc_swap::ArcSwap;
use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

/// Default of `--max-resource-items`: items of one resource in one scope.
pub const DEFAULT_MAX_ITEMS: usize = 10_000;
/// Default of `--max-resource-bytes`: JSON bytes of one resource's items in
/// one scope.
pub const DEFAULT_MAX_BYTES: usize = 16 << 20;
/// Default of `--max-resource-total-bytes`: JSON bytes written to all
/// resources in all scopes (seeds not counted).
pub const DEFAULT_MAX_TOTAL_BYTES: usize = 256 << 20;

/// The caps on resources' items.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Items of one resource in one scope (`--max-resource-items`).
    pub max_items: usize,
    /// JSON bytes of one resource's items in one scope
    /// (`--max-resource-bytes`).
    pub max_bytes: usize,
    /// JSON bytes written over every resource and scope
    /// (`--max-resource-total-bytes`).
    pub max_total_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_items: DEFAULT_MAX_ITEMS,
            max_bytes: DEFAULT_MAX_BYTES,
            max_total_bytes: DEFAULT_MAX_TOTAL_BYTES,
        }
    }
}

/// A write past a cap: which flag, its value, and what happened.
#[derive(Debug, Clone)]
pub(crate) struct Full {
    pub flag: &'static str,
    pub cap: usize,
    pub message: String,
}

/// The caps one write is checked against, and the running total of
/// written bytes it charges.
pub(crate) struct Budget<'a> {
    limits: &'a Limits,
    total: &'a AtomicUsize,
}

impl<'a> Budget<'a> {
    pub fn new(limits: &'a Limits, total: &'a AtomicUsize) -> Budget<'a> {
        Budget { limits, total }
    }

    /// Whether a state of `items` items and `bytes` bytes is within the
    /// per-resource, per-scope caps.
    pub fn check(&self, items: usize, bytes: usize) -> Result<(), Full> {
        Budget::check_caps(self.limits, items, bytes)
    }

    /// [`check`](Self::check) against `limits`.
    pub fn check_caps(limits: &Limits, items: usize, bytes: usize) -> Result<(), Full> {
        if items > limits.max_items {
            return Err(Full {
                flag: "--max-resource-items",
                cap: limits.max_items,
                message: format!(
                    "{items} items would pass the cap of {} items per resource and scope (--max-resource-items)",
                    limits.max_items
                ),
            });
        }
        if bytes > limits.max_bytes {
            return Err(Full {
                flag: "--max-resource-bytes",
                cap: limits.max_bytes,
                message: format!(
                    "{bytes} bytes of items would pass the cap of {} bytes per resource and scope (--max-resource-bytes)",
                    limits.max_bytes
                ),
            });
        }
        Ok(())
    }

    /// Charges `bytes` to the total, unless that passes its cap.
    pub fn reserve(&self, bytes: usize) -> Result<(), Full> {
        if bytes == 0 {
            return Ok(());
        }
        let max = self.limits.max_total_bytes;
        self.total
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                t.checked_add(bytes).filter(|n| *n <= max)
            })
            .map(|_| ())
            .map_err(|t| Full {
                flag: "--max-resource-total-bytes",
                cap: max,
                message: format!(
                    "{bytes} more bytes would take the items written to all resources ({t} bytes) past {max} bytes (--max-resource-total-bytes)"
                ),
            })
    }

    /// Charges `new` bytes in place of `old`: only the growth is checked
    /// against the cap.
    pub fn change(&self, old: usize, new: usize) -> Result<(), Full> {
        if new > old {
            self.reserve(new - old)
        } else {
            self.release(old - new);
            Ok(())
        }
    }

    /// Gives `bytes` back to the total.
    pub fn release(&self, bytes: usize) {
        if bytes > 0 {
            let _ = self
                .total
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                    Some(t.saturating_sub(bytes))
                });
        }
    }
}

/// Where a declaration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A mapping file.
    File(PathBuf),
    /// `POST /__admin/resources`.
    Admin,
}

/// The states of one resource.
pub(crate) struct States {
    pub per_scope: PerScope<Collection>,
    /// Undeclared: it takes no more writes (a request that found it just
    /// before is answered 404).
    pub retired: bool,
}

impl States {
    /// Bytes written in every state (what the total holds for them).
    fn own_bytes(&self) -> usize {
        self.per_scope.view(None).own_bytes()
            + self
                .per_scope
                .scopes()
                .map(|(_, c)| c.own_bytes())
                .sum::<usize>()
    }
}

/// A declared resource and its states.
pub(crate) struct Resource {
    pub decl: Declaration,
    pub origin: Origin,
    pub states: Mutex<States>,
}

/// Receives the (canonical) names of the services the resources name.
pub type ServicesHook = Box<dyn Fn(BTreeSet<Arc<str>>) + Send + Sync>;

/// Every declared resource.
pub struct Resources {
    /// Sorted by name.
    declared: ArcSwap<Vec<Arc<Resource>>>,
    /// Held while declarations change.
    changing: Mutex<()>,
    limits: Limits,
    /// JSON bytes written over all resources and scopes.
    total: AtomicUsize,
    on_services: ServicesHook,
}

/// What a declaration did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Declared {
    New,
    /// A resource of that name was there: it and its state are gone.
    Replaced,
}

impl Resources {
    /// None declared yet; `on_services` hears the services they name.
    pub fn new(limits: Limits, on_services: ServicesHook) -> Resources {
        Resources {
            declared: ArcSwap::from_pointee(Vec::new()),
            changing: Mutex::new(()),
            limits,
            total: AtomicUsize::new(0),
            on_services,
        }
    }

    /// The caps.
    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A budget for one write.
    pub(crate) fn budget(&self) -> Budget<'_> {
        Budget::new(&self.limits, &self.total)
    }

    /// JSON bytes written over all resources and scopes.
    pub(crate) fn total_bytes(&self) -> usize {
        self.total.load(Ordering::Acquire)
    }

    /// The declarations now, sorted by name.
    pub(crate) fn list(&self) -> Arc<Vec<Arc<Resource>>> {
        self.declared.load_full()
    }

    /// Whether none is declared (the request path's first look).
    pub(crate) fn none(&self) -> bool {
        self.declared.load().is_empty()
    }

    /// The resource named `name`.
    pub(crate) fn get(&self, name: &str) -> Option<Arc<Resource>> {
        self.declared
            .load()
            .iter()
            .find(|r| &*r.decl.name == name)
            .cloned()
    }

    /// Declares `decl`: a resource of the same name (and what `origin`,
    /// a file, declared before) goes with its state. Refused when another
    /// resource answers the same path.
    pub(crate) fn declare(
        &self,
        decl: Declaration,
        origin: Origin,
    ) -> Result<Declared, PatternError> {
        let _changing = lock(&self.changing);
        let current = self.declared.load_full();
        let (gone, mut kept): (Vec<_>, Vec<_>) = current.iter().cloned().partition(|r| {
            r.decl.name == decl.name || (matches!(origin, Origin::File(_)) && r.origin == origin)
        });
        if let Some(other) = kept.iter().find(|r| r.decl.same_place(&decl)) {
            return Err(PatternError::new(
                "/resource/path",
                format!(
                    "resource {:?} already answers {}{}",
                    other.decl.name,
                    other
                        .decl
                        .service
                        .as_deref()
                        .map(|s| format!("service {s:?}, path "))
                        .unwrap_or_default(),
                    other.decl.path
                ),
            ));
        }
        let replaced = gone.iter().any(|r| r.decl.name == decl.name);
        let seed = decl.seed.clone();
        kept.push(Arc::new(Resource {
            decl,
            origin,
            states: Mutex::new(States {
                per_scope: PerScope::new(seed),
                retired: false,
            }),
        }));
        kept.sort_by(|a, b| a.decl.name.cmp(&b.decl.name));
        self.publish(kept);
        self.retire(&gone);
        Ok(if replaced {
            Declared::Replaced
        } else {
            Declared::New
        })
    }

    /// Undeclares `name`, its state gone; whether it was declared.
    pub(crate) fn undeclare(&self, name: &str) -> bool {
        self.remove_where(|r| &*r.decl.name == name)
    }

    /// Undeclares what the file at `path` declared; whether it declared
    /// anything.
    pub(crate) fn remove_file(&self, path: &Path) -> bool {
        self.remove_where(|r| matches!(&r.origin, Origin::File(p) if p == path))
    }

    /// The files whose declarations are in force.
    pub(crate) fn files(&self) -> Vec<PathBuf> {
        self.declared
            .load()
            .iter()
            .filter_map(|r| match &r.origin {
                Origin::File(p) => Some(p.clone()),
                Origin::Admin => None,
            })
            .collect()
    }

    /// Drops `scope`'s writes in every resource.
    pub(crate) fn drop_scope(&self, scope: &str) {
        let budget = self.budget();
        for r in self.declared.load().iter() {
            let mut states = lock(&r.states);
            if let Some(c) = states.per_scope.drop_scope(scope) {
                budget.release(c.own_bytes());
            }
        }
    }

    /// Every resource back to its seed.
    pub(crate) fn reset(&self) {
        let budget = self.budget();
        for r in self.declared.load().iter() {
            let mut states = lock(&r.states);
            budget.release(states.own_bytes());
            states.per_scope.reset();
        }
    }

    fn remove_where(&self, gone: impl Fn(&Resource) -> bool) -> bool {
        let _changing = lock(&self.changing);
        let current = self.declared.load_full();
        let (gone, kept): (Vec<_>, Vec<_>) = current.iter().cloned().partition(|r| gone(r));
        if gone.is_empty() {
            return false;
        }
        self.publish(kept);
        self.retire(&gone);
        true
    }

    /// Their states' bytes given back; they take no more writes.
    fn retire(&self, gone: &[Arc<Resource>]) {
        let budget = self.budget();
        for r in gone {
            let mut states = lock(&r.states);
            budget.release(states.own_bytes());
            states.per_scope.reset();
            states.retired = true;
        }
    }

    fn publish(&self, list: Vec<Arc<Resource>>) {
        let services: BTreeSet<Arc<str>> = list
            .iter()
            .filter_map(|r| r.decl.service.as_deref())
            .map(|s| Arc::from(crate::routing::canonical(s)))
            .collect();
        self.declared.store(Arc::new(list));
        (self.on_services)(services);
    }
}
