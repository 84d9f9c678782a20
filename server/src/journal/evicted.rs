//! What a journal shard dropped: enough to tell whether a dropped entry
//! could have matched a count's scope and pattern, so that a count that
//! may be short says so and one that cannot be stays quiet.
//!
//! Each dropped entry is counted under its route (method, path and the
//! service it resolved to), once for every entry and once per scope it
//! carried. The routes take at most a byte budget; past it the shard
//! forgets them and answers with what it still counts for sure: every
//! dropped entry of the scope, whatever the pattern.

use crate::journal::Entry;
use crate::matchers::RequestPattern;
use http::Method;
use std::{collections::HashMap, mem::size_of, sync::Arc};

/// Most scopes a shard counts evictions of; past it, a scope's count is
/// the total.
const MAX_SCOPES: usize = 4096;

/// How many dropped entries had one route.
struct RouteCount {
    method: Method,
    /// The service the request resolved to, and where in the path the
    /// path relative to it starts.
    service: Option<(Arc<str>, usize)>,
    count: u64,
}

/// Dropped entries per path (as received), then per method and service.
/// foldhash, seeded per map: counting one is on every request's path once
/// the journal is full, and SipHash took a third of it.
#[derive(Default)]
struct Routes(HashMap<Box<str>, Vec<RouteCount>, foldhash::fast::RandomState>);

impl Routes {
    /// Counts one entry; the bytes a new route took, `None` when it would
    /// take more than `room`.
    fn add(&mut self, e: &Entry, room: usize) -> Option<usize> {
        let (method, path, service) = (e.method(), e.path(), e.resolved());
        let same = |c: &RouteCount| {
            c.method == *method
                && c.service.as_ref().map(|(n, at)| (&**n, *at))
                    == service.map(|(n, at)| (&**n, *at))
        };
        let new_count = || RouteCount {
            method: method.clone(),
            service: service.cloned(),
            count: 1,
        };
        if let Some(counts) = self.0.get_mut(path) {
            if let Some(c) = counts.iter_mut().find(|c| same(c)) {
                c.count += 1;
                return Some(0);
            }
            let cost = size_of::<RouteCount>();
            if cost > room {
                return None;
            }
            counts.push(new_count());
            return Some(cost);
        }
        let cost = PATH_COST + path.len() + size_of::<RouteCount>();
        if cost > room {
            return None;
        }
        self.0.insert(path.into(), vec![new_count()]);
        Some(cost)
    }

    /// Dropped entries `pattern` could have matched.
    fn matching(&self, pattern: &RequestPattern) -> u64 {
        let mut n = 0;
        for (path, counts) in &self.0 {
            for c in counts {
                let service = c.service.as_ref().map(|(name, at)| (&**name, *at));
                if pattern.could_match_route(c.method.as_str(), path, service) {
                    n += c.count;
                }
            }
        }
        n
    }
}

/// The bytes a path's slot takes besides the path: the map's slot, the
/// list and their bookkeeping.
const PATH_COST: usize = size_of::<(Box<str>, Vec<RouteCount>)>() + 2 * size_of::<usize>();
/// The bytes a scope's slot takes besides its routes.
const SCOPE_COST: usize = size_of::<(Arc<str>, Routes)>() + 2 * size_of::<usize>();

/// A shard's dropped entries since the journal was last cleared.
#[derive(Default)]
pub struct Evicted {
    /// All of them.
    total: u64,
    /// Per scope they carried.
    by_scope: HashMap<Arc<str>, u64>,
    /// More than [`MAX_SCOPES`] scopes were dropped.
    scopes_overflow: bool,
    /// Every dropped entry by route.
    routes: Routes,
    /// Per scope, its dropped entries by route.
    scoped_routes: HashMap<Arc<str>, Routes>,
    /// Bytes the routes take.
    route_bytes: usize,
    /// The routes went over their budget and were forgotten.
    routes_overflow: bool,
}

impl Evicted {
    /// Counts a dropped entry; the routes take at most `budget` bytes.
    pub fn count(&mut self, e: &Entry, budget: usize) {
        self.total += 1;
        for s in e.scopes.iter() {
            if let Some(n) = self.by_scope.get_mut(s) {
                *n += 1;
            } else if self.by_scope.len() < MAX_SCOPES {
                self.by_scope.insert(s.clone(), 1);
            } else {
                self.scopes_overflow = true;
            }
        }
        if !self.routes_overflow && !self.count_route(e, budget) {
            // Forget them: from now on every dropped entry of a scope may
            // have matched.
            self.routes_overflow = true;
            self.routes = Routes::default();
            self.scoped_routes = HashMap::new();
            self.route_bytes = 0;
        }
    }

    /// Counts `e` by route, everywhere it belongs; `false` when that
    /// would take more than `budget` bytes.
    fn count_route(&mut self, e: &Entry, budget: usize) -> bool {
        let Some(cost) = self.routes.add(e, budget.saturating_sub(self.route_bytes)) else {
            return false;
        };
        self.route_bytes += cost;
        for s in e.scopes.iter() {
            let room = budget.saturating_sub(self.route_bytes);
            let routes = match self.scoped_routes.get_mut(s) {
                Some(routes) => routes,
                None => {
                    let cost = SCOPE_COST + s.len();
                    if cost > room {
                        return false;
                    }
                    self.route_bytes += cost;
                    self.scoped_routes.entry(s.clone()).or_default()
                }
            };
            let room = budget.saturating_sub(self.route_bytes);
            let Some(cost) = routes.add(e, room) else {
                return false;
            };
            self.route_bytes += cost;
        }
        true
    }

    /// Dropped entries of `scope` (`None`: any) that could have matched
    /// `pattern`, or, once the routes are forgotten, every dropped entry
    /// of `scope` (of every scope, when too many scopes were dropped to
    /// count each).
    pub fn could_match(&self, scope: Option<&str>, pattern: &RequestPattern) -> u64 {
        if self.routes_overflow {
            return match scope {
                Some(s) if !self.scopes_overflow => self.by_scope.get(s).copied().unwrap_or(0),
                _ => self.total,
            };
        }
        match scope {
            None => self.routes.matching(pattern),
            Some(s) => self
                .scoped_routes
                .get(s)
                .map_or(0, |routes| routes.matching(pattern)),
        }
    }
}
