//! The live stubs: a lock-free snapshot for readers, rebuilt under a
//! mutex by writers.

use super::*;
use crate::matchers::{Match, RequestContext};

#[derive(Default)]
pub(super) struct Inner {
    pub(super) live: Vec<Arc<Stub>>,
    pub(super) files: BTreeMap<PathBuf, Vec<Arc<Stub>>>,
}

/// All stubs and scenario states.
pub struct Stubs {
    pub(super) inner: Mutex<Inner>,
    /// Live stubs in match order.
    ordered: ArcSwap<Vec<Arc<Stub>>>,
    seq: AtomicU64,
    scenarios: Mutex<HashMap<String, String>>,
    /// Told the services the live stubs name, whenever stubs change.
    on_services: Option<ServicesHook>,
    /// Whether a live stub has a scope: without, matching skips scopes.
    has_scoped: std::sync::atomic::AtomicBool,
}

/// Receives the (canonical) names of the services the live stubs name.
pub type ServicesHook = Box<dyn Fn(BTreeSet<Arc<str>>) + Send + Sync>;

impl Default for Stubs {
    fn default() -> Self {
        Stubs {
            inner: Mutex::new(Inner::default()),
            ordered: ArcSwap::from_pointee(Vec::new()),
            seq: AtomicU64::new(0),
            scenarios: Mutex::new(HashMap::new()),
            on_services: None,
            has_scoped: Default::default(),
        }
    }
}

impl Stubs {
    /// Stubs that tell `on_services` which services they name, so that a
    /// service no plugin provides still exists.
    pub fn new(on_services: ServicesHook) -> Stubs {
        Stubs {
            on_services: Some(on_services),
            ..Stubs::default()
        }
    }

    pub(super) fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    pub(super) fn publish(&self, inner: &Inner) {
        let mut v = inner.live.clone();
        v.sort_by(|a, b| a.priority.cmp(&b.priority).then(b.seq.cmp(&a.seq)));
        self.has_scoped
            .store(v.iter().any(|s| s.scope.is_some()), Ordering::Release);
        self.ordered.store(Arc::new(v));
        if let Some(hook) = &self.on_services {
            hook(
                inner
                    .live
                    .iter()
                    .filter_map(|s| s.request.service.as_deref())
                    .map(|name| Arc::from(crate::routing::canonical(name)))
                    .collect(),
            );
        }
    }

    /// Creates a stub (replacing one with the same id).
    pub fn create(&self, v: &Value) -> Result<Arc<Stub>> {
        let stub = Arc::new(parse_mapping(v, self.next_seq(), None)?);
        let mut inner = lock(&self.inner);
        inner.live.retain(|s| s.id != stub.id);
        inner.live.push(stub.clone());
        self.publish(&inner);
        Ok(stub)
    }

    /// Replaces stub `id`; `Ok(None)` when there is none.
    pub fn replace(&self, id: Uuid, v: &Value) -> Result<Option<Arc<Stub>>> {
        let mut with_id = v.clone();
        if let Some(o) = with_id.as_object_mut() {
            o.insert("id".into(), Value::String(id.to_string()));
            o.remove("uuid");
        }
        let mut inner = lock(&self.inner);
        let Some(pos) = inner.live.iter().position(|s| s.id == id) else {
            return Ok(None);
        };
        let stub = Arc::new(parse_mapping(
            &with_id,
            self.next_seq(),
            inner.live[pos].file.as_deref(),
        )?);
        inner.live[pos] = stub.clone();
        self.publish(&inner);
        Ok(Some(stub))
    }

    /// The stub `id`.
    pub fn get(&self, id: Uuid) -> Option<Arc<Stub>> {
        lock(&self.inner).live.iter().find(|s| s.id == id).cloned()
    }

    /// All live stubs, newest first.
    pub fn list(&self) -> Vec<Arc<Stub>> {
        let mut v = lock(&self.inner).live.clone();
        v.sort_by_key(|s| std::cmp::Reverse(s.seq));
        v
    }

    /// Removes stub `id`; whether it existed.
    pub fn delete(&self, id: Uuid) -> bool {
        let mut inner = lock(&self.inner);
        let before = inner.live.len();
        inner.live.retain(|s| s.id != id);
        let removed = inner.live.len() != before;
        self.publish(&inner);
        removed
    }

    /// Removes every stub (file-defined ones too, until a reset).
    pub fn clear(&self) {
        let mut inner = lock(&self.inner);
        inner.live.clear();
        self.publish(&inner);
    }

    /// Back to exactly the file-defined stubs.
    pub fn reset(&self) {
        let mut inner = lock(&self.inner);
        inner.live = inner.files.values().flatten().cloned().collect();
        self.publish(&inner);
    }

    /// Number of live stubs.
    pub fn len(&self) -> usize {
        self.ordered.load().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The stub answering `req`, by priority; moves its scenario on.
    pub fn find(&self, req: &Recorded) -> Option<Arc<Stub>> {
        self.find_scoped(req, &crate::scope::Scopes::default())
    }

    /// The stub answering a request of `scopes`: one of its scopes' stubs
    /// first (by priority), else one of no scope; moves its scenario on.
    pub fn find_scoped(&self, req: &Recorded, scopes: &crate::scope::Scopes) -> Option<Arc<Stub>> {
        let ordered = self.ordered.load();
        if ordered.is_empty() {
            return None;
        }
        if !self.has_scoped.load(Ordering::Acquire) {
            return self.first_match(req, ordered.iter());
        }
        if !scopes.is_empty() {
            let own = ordered
                .iter()
                .filter(|s| s.scope.as_deref().is_some_and(|s| scopes.contains(s)));
            if let Some(stub) = self.first_match(req, own) {
                return Some(stub);
            }
        }
        self.first_match(req, ordered.iter().filter(|s| s.scope.is_none()))
    }

    /// Removes the stubs of `scope`; how many there were.
    pub fn remove_scope(&self, scope: &str) -> usize {
        self.remove_scopes(&HashSet::from([scope]))
    }

    /// Removes the stubs of every scope in `scopes` at once (one new
    /// snapshot however many scopes end together); how many there were.
    pub fn remove_scopes(&self, scopes: &HashSet<&str>) -> usize {
        self.remove_where(|s| s.scope.as_deref().is_some_and(|s| scopes.contains(s)))
            .len()
    }

    /// The first of `stubs` matching `req` in its scenario's state.
    fn first_match<'a>(
        &self,
        req: &Recorded,
        stubs: impl Iterator<Item = &'a Arc<Stub>>,
    ) -> Option<Arc<Stub>> {
        let mut scenarios = None;
        let ctx = RequestContext::new(req);
        for stub in stubs {
            if let Some(rule) = &stub.scenario
                && let Some(required) = &rule.required
            {
                let states = scenarios.get_or_insert_with(|| lock(&self.scenarios));
                let current = states.get(&rule.name).map_or(STARTED, String::as_str);
                if current != required {
                    continue;
                }
            }
            if Match::matches(&stub.request, &ctx) {
                if let Some(rule) = &stub.scenario
                    && let Some(next) = &rule.new_state
                {
                    let states = scenarios.get_or_insert_with(|| lock(&self.scenarios));
                    states.insert(rule.name.clone(), next.clone());
                }
                return Some(stub.clone());
            }
        }
        None
    }

    /// Removes the stubs `pick` selects; returns them, newest first.
    pub fn remove_where(&self, pick: impl Fn(&Stub) -> bool) -> Vec<Arc<Stub>> {
        let mut inner = lock(&self.inner);
        let mut removed = Vec::new();
        inner.live.retain(|s| {
            let gone = pick(s);
            if gone {
                removed.push(s.clone());
            }
            !gone
        });
        if !removed.is_empty() {
            self.publish(&inner);
        }
        removed.sort_by_key(|s| std::cmp::Reverse(s.seq));
        removed
    }

    /// Imports mappings already checked by [`parse_mapping`]: a stub whose
    /// id exists is replaced (`overwrite`) or left as it is; with
    /// `delete_rest`, stubs whose id the import does not name go.
    pub fn import(&self, list: &[Value], overwrite: bool, delete_rest: bool) -> Result<()> {
        let mut parsed = Vec::with_capacity(list.len());
        for m in list {
            parsed.push(Arc::new(parse_mapping(m, self.next_seq(), None)?));
        }
        let mut inner = lock(&self.inner);
        if delete_rest {
            let named: HashSet<Uuid> = parsed.iter().map(|s| s.id).collect();
            inner.live.retain(|s| named.contains(&s.id));
        }
        for stub in parsed {
            if inner.live.iter().any(|s| s.id == stub.id) {
                if !overwrite {
                    continue;
                }
                inner.live.retain(|s| s.id != stub.id);
            }
            inner.live.push(stub);
        }
        self.publish(&inner);
        Ok(())
    }

    /// Each scenario with its current state, its possible states
    /// (`Started` first, then as the stubs name them) and its stubs, oldest
    /// first; by name.
    pub fn scenario_details(&self) -> Vec<ScenarioDetails> {
        let states = lock(&self.scenarios);
        let mut live = lock(&self.inner).live.clone();
        live.sort_by_key(|s| s.seq);
        let mut out: BTreeMap<String, ScenarioDetails> = BTreeMap::new();
        for stub in &live {
            let Some(rule) = &stub.scenario else { continue };
            let d = out
                .entry(rule.name.clone())
                .or_insert_with(|| ScenarioDetails {
                    name: rule.name.clone(),
                    state: states
                        .get(&rule.name)
                        .cloned()
                        .unwrap_or_else(|| STARTED.to_owned()),
                    possible_states: vec![STARTED.to_owned()],
                    stubs: Vec::new(),
                });
            for s in [&rule.required, &rule.new_state].into_iter().flatten() {
                if !d.possible_states.contains(s) {
                    d.possible_states.push(s.clone());
                }
            }
            d.stubs.push(stub.clone());
        }
        out.into_values().collect()
    }

    /// Moves scenario `name` to `state` (`None`: back to `Started`).
    pub fn set_scenario_state(
        &self,
        name: &str,
        state: Option<&str>,
    ) -> std::result::Result<(), ScenarioStateError> {
        let details = self.scenario_details();
        let Some(d) = details.iter().find(|d| d.name == name) else {
            return Err(ScenarioStateError::UnknownScenario);
        };
        let state = state.unwrap_or(STARTED);
        if !d.possible_states.iter().any(|s| s == state) {
            return Err(ScenarioStateError::UnknownState);
        }
        lock(&self.scenarios).insert(name.to_owned(), state.to_owned());
        Ok(())
    }

    /// Every scenario back to `Started`.
    pub fn reset_scenarios(&self) {
        lock(&self.scenarios).clear();
    }

    /// Scenario names and states, for the admin API.
    pub fn scenarios(&self) -> Vec<(String, String)> {
        let states = lock(&self.scenarios);
        let mut names: Vec<String> = lock(&self.inner)
            .live
            .iter()
            .filter_map(|s| s.scenario.as_ref().map(|r| r.name.clone()))
            .collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|n| {
                let state = states
                    .get(&n)
                    .cloned()
                    .unwrap_or_else(|| STARTED.to_owned());
                (n, state)
            })
            .collect()
    }
}

/// A scenario as `GET /__admin/scenarios` lists it.
#[derive(Debug)]
pub struct ScenarioDetails {
    pub name: String,
    pub state: String,
    pub possible_states: Vec<String>,
    pub stubs: Vec<Arc<Stub>>,
}

/// Why a scenario's state was not set.
#[derive(Debug, PartialEq, Eq)]
pub enum ScenarioStateError {
    /// No stub names the scenario.
    UnknownScenario,
    /// No stub of the scenario requires or sets the state.
    UnknownState,
}
