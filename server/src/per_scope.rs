//! State kept per scope, copy on write: what stateful answers (declared
//! resources, the Kubernetes API) keep. Requests of no scope share the
//! base state; a scope sees the seed until its first write, which copies
//! the seed into a state of its own. Deleting the scope drops that copy;
//! a reset returns every state to the seed.
//!
//! ```text
//! let mut orders = PerScope::new(vec!["seeded"]);
//! orders.view_mut(Some("test-1")).push("mine");
//! assert_eq!(orders.view(Some("test-1")), &vec!["seeded", "mine"]);
//! assert_eq!(orders.view(Some("test-2")), &vec!["seeded"]);
//! assert_eq!(orders.view(None), &vec!["seeded"]);
//! ```

use std::{collections::HashMap, sync::Arc};

/// A `T` per scope, each starting as a copy of the seed.
#[derive(Debug, Clone)]
pub(crate) struct PerScope<T> {
    seed: T,
    /// The state of requests of no scope, once written.
    base: Option<T>,
    scopes: HashMap<Arc<str>, T>,
}

impl<T: Clone> PerScope<T> {
    /// Every scope, and the base, starting at `seed`.
    pub fn new(seed: T) -> PerScope<T> {
        PerScope {
            seed,
            base: None,
            scopes: HashMap::new(),
        }
    }

    /// What requests of `scope` (none: the base) see.
    pub fn view(&self, scope: Option<&str>) -> &T {
        match scope {
            None => self.base.as_ref(),
            Some(s) => self.scopes.get(s),
        }
        .unwrap_or(&self.seed)
    }

    /// The state requests of `scope` change: the seed copied at the
    /// first write.
    pub fn view_mut(&mut self, scope: Option<&str>) -> &mut T {
        let seed = &self.seed;
        match scope {
            None => self.base.get_or_insert_with(|| seed.clone()),
            Some(s) => {
                if !self.scopes.contains_key(s) {
                    self.scopes.insert(Arc::from(s), seed.clone());
                }
                self.scopes.get_mut(s).expect("inserted above")
            }
        }
    }

    /// Whether `scope` (none: the base) has written anything since the
    /// last reset.
    pub fn has_own(&self, scope: Option<&str>) -> bool {
        match scope {
            None => self.base.is_some(),
            Some(s) => self.scopes.contains_key(s),
        }
    }

    /// Drops `scope`'s writes: it sees the seed again.
    pub fn drop_scope(&mut self, scope: &str) -> Option<T> {
        self.scopes.remove(scope)
    }

    /// Every state back to the seed.
    pub fn reset(&mut self) {
        self.base = None;
        self.scopes.clear();
    }

    /// The seed.
    pub fn seed(&self) -> &T {
        &self.seed
    }

    /// The scopes with writes of their own, with their states.
    pub fn scopes(&self) -> impl Iterator<Item = (&Arc<str>, &T)> {
        self.scopes.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::PerScope;

    #[test]
    fn a_scope_sees_the_seed_plus_its_own_writes_and_never_another_scopes() {
        let mut orders = PerScope::new(vec!["seeded"]);
        orders.view_mut(Some("test-1")).push("mine");
        orders.view_mut(None).push("unscoped");
        assert_eq!(orders.view(Some("test-1")), &vec!["seeded", "mine"]);
        assert_eq!(orders.view(Some("test-2")), &vec!["seeded"]);
        assert_eq!(orders.view(None), &vec!["seeded", "unscoped"]);
    }

    #[test]
    fn dropping_a_scope_and_resetting_return_to_the_seed() {
        let mut orders = PerScope::new(vec![1]);
        orders.view_mut(Some("s")).push(2);
        orders.view_mut(None).push(3);
        assert_eq!(orders.drop_scope("s"), Some(vec![1, 2]));
        assert_eq!(orders.view(Some("s")), &vec![1]);
        orders.reset();
        assert_eq!(orders.view(None), &vec![1]);
        assert!(!orders.has_own(None));
    }
}
