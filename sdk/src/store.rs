//! State per scope: [`Store`], a typed value each scope sees its own copy
//! of, and [`Scope`], the extractor naming the request's scope.
//!
//! A scope is what a test tags its requests with (`X-Fake-Servicer-Scope`,
//! a `baggage` member `fake-servicer-scope`, or a `traceparent`'s trace id;
//! the first of them). The server resolves it and hands it to the plugin;
//! requests of scope S see the seed plus S's own writes, never another
//! scope's, and requests of no scope share the base. The server makes every
//! store forget a scope when the scope is deleted
//! (`DELETE /__admin/scopes/{S}`) or ended as idle, and forget everything
//! on `POST /__admin/reset`; a reload of the plugin starts afresh, as
//! statics do.

use crate::{FromRequest, Request};
use std::{
    collections::HashMap,
    convert::Infallible,
    fmt,
    sync::{Arc, Mutex, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak},
};

/// The scope of the request being handled, as the server resolved it: the
/// first of its `X-Fake-Servicer-Scope` header, its `baggage` member
/// `fake-servicer-scope` and its `traceparent`'s trace id; none when it
/// carries none of them. Pass it to a [`Store`]'s `read` and `write`.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(get, "/whose")]
/// fn whose(scope: Scope) -> String {
///     scope.name().unwrap_or("no scope").to_owned()
/// }
///
/// # fn main() {
/// assert_eq!(whose(Scope::named("test-1")), "test-1");
/// assert_eq!(whose(Scope::none()), "no scope");
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scope(Option<Arc<str>>);

impl Scope {
    /// The scope called `name` (for calling handlers from unit tests).
    /// An empty name is no scope.
    ///
    /// ```
    /// use fake_servicer::Scope;
    /// assert_eq!(Scope::named("a").name(), Some("a"));
    /// assert_eq!(Scope::named(""), Scope::none());
    /// ```
    pub fn named(name: &str) -> Scope {
        Scope((!name.is_empty()).then(|| Arc::from(name)))
    }

    /// No scope: the state requests of no scope share.
    ///
    /// ```
    /// use fake_servicer::Scope;
    /// assert_eq!(Scope::none().name(), None);
    /// ```
    pub const fn none() -> Scope {
        Scope(None)
    }

    /// The scope's name, `None` for a request of no scope.
    ///
    /// ```
    /// use fake_servicer::Scope;
    /// assert!(Scope::named("a").name().is_some_and(|n| n == "a"));
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl fmt::Display for Scope {
    /// The name, or `(no scope)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name().unwrap_or("(no scope)"))
    }
}

/// Never refuses: a request of no scope gives [`Scope::none`].
impl FromRequest for Scope {
    type Rejection = Infallible;
    fn from_request(req: &Request<'_>) -> Result<Self, Infallible> {
        Ok(Scope::named(req.scope().unwrap_or("")))
    }
}

/// A `T` per scope, for a plugin's stateful routes; meant for a `static`.
///
/// Each scope starts from the seed (`T::default()` with [`Store::new`], or
/// the fn given to [`Store::with_seed`]) and sees its own writes only: its
/// first [`write`](Store::write) copies the seed (copy on write). Requests
/// of no scope share one base state, which starts from the seed too. The
/// server makes every store drop a scope's state when the scope is deleted
/// or ended as idle, and all of it on `POST /__admin/reset`; reloading the
/// plugin starts afresh.
///
/// Calls run on several threads at once: `read`s of one scope run
/// together, a `write` runs alone in its scope; other scopes are not held
/// up. Keep the closures short (no sleeping inside them). A handler that
/// panics inside `write` is answered 500 and leaves the state as the
/// closure left it.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// static NOTES: Store<Vec<String>> = Store::new();
///
/// #[route(post, "/notes")]
/// fn add(scope: Scope, note: String) -> StatusCode {
///     NOTES.write(&scope, |notes| notes.push(note));
///     StatusCode::CREATED
/// }
///
/// #[route(get, "/notes")]
/// fn list(scope: Scope) -> Json<Vec<String>> {
///     Json(NOTES.read(&scope, |notes| notes.clone()))
/// }
///
/// # fn main() {
/// let (a, b) = (Scope::named("test-a"), Scope::named("test-b"));
/// add(a.clone(), "milk".into());
/// assert_eq!(list(a).0, ["milk"]);
/// assert!(list(b).0.is_empty());
/// assert!(list(Scope::none()).0.is_empty());
/// # }
/// ```
pub struct Store<T> {
    seed: fn() -> T,
    /// Made, and registered for [`forget_scope`], on first use.
    states: OnceLock<Arc<States<T>>>,
}

impl<T: Default> Store<T> {
    /// A store whose seed is `T::default()`.
    ///
    /// ```
    /// use fake_servicer::{Scope, Store};
    /// static COUNT: Store<u64> = Store::new();
    /// assert_eq!(COUNT.read(&Scope::named("s"), |n| *n), 0);
    /// ```
    pub const fn new() -> Store<T> {
        Store::with_seed(T::default)
    }
}

impl<T: Default> Default for Store<T> {
    /// [`Store::new`].
    fn default() -> Store<T> {
        Store::new()
    }
}

impl<T> Store<T> {
    /// A store whose seed is what `seed` makes (called once, on first use).
    ///
    /// ```
    /// use fake_servicer::{Scope, Store};
    ///
    /// fn catalogue() -> Vec<&'static str> { vec!["tea", "coffee"] }
    /// static ITEMS: Store<Vec<&'static str>> = Store::with_seed(catalogue);
    ///
    /// let scope = Scope::named("test-1");
    /// ITEMS.write(&scope, |items| items.retain(|i| *i != "tea"));
    /// assert_eq!(ITEMS.read(&scope, |items| items.clone()), ["coffee"]);
    /// assert_eq!(ITEMS.read(&Scope::named("test-2"), |items| items.len()), 2);
    /// ```
    pub const fn with_seed(seed: fn() -> T) -> Store<T> {
        Store {
            seed,
            states: OnceLock::new(),
        }
    }
}

impl<T: Clone + Send + Sync + 'static> Store<T> {
    /// Calls `f` with what requests of `scope` see (the seed until the
    /// scope's first write) and returns its value.
    ///
    /// ```
    /// use fake_servicer::{Scope, Store};
    /// static NAMES: Store<Vec<String>> = Store::new();
    /// NAMES.write(&Scope::none(), |n| n.push("ann".into()));
    /// assert_eq!(NAMES.read(&Scope::none(), |n| n.len()), 1);
    /// assert_eq!(NAMES.read(&Scope::named("s"), |n| n.len()), 0);
    /// ```
    pub fn read<R>(&self, scope: &Scope, f: impl FnOnce(&T) -> R) -> R {
        let states = self.states();
        let own = match scope.name() {
            None => Some(states.base.clone()),
            Some(name) => read_lock(&states.scopes).get(name).cloned(),
        };
        match own {
            Some(own) => match &*read_lock(&own) {
                Some(state) => f(state),
                None => f(states.seed()),
            },
            None => f(states.seed()),
        }
    }

    /// Calls `f` with the state of `scope` to change (the seed copied at
    /// the scope's first write) and returns its value.
    ///
    /// ```
    /// use fake_servicer::{Scope, Store};
    /// static HITS: Store<u32> = Store::new();
    /// let scope = Scope::named("s");
    /// let after = HITS.write(&scope, |n| { *n += 1; *n });
    /// assert_eq!(after, 1);
    /// assert_eq!(HITS.read(&Scope::named("t"), |n| *n), 0);
    /// ```
    pub fn write<R>(&self, scope: &Scope, f: impl FnOnce(&mut T) -> R) -> R {
        let states = self.states();
        let own = match &scope.0 {
            None => states.base.clone(),
            Some(name) => {
                note_scoped_write();
                states.own(name)
            }
        };
        let mut guard = write_lock(&own);
        let state = guard.get_or_insert_with(|| states.seed().clone());
        f(state)
    }

    /// Replaces what `scope` sees with `value`.
    ///
    /// ```
    /// use fake_servicer::{Scope, Store};
    /// static MODE: Store<String> = Store::new();
    /// MODE.set(&Scope::named("s"), "maintenance".to_owned());
    /// assert_eq!(MODE.read(&Scope::named("s"), |m| m.clone()), "maintenance");
    /// ```
    pub fn set(&self, scope: &Scope, value: T) {
        self.write(scope, |state| *state = value);
    }

    /// A copy of what `scope` sees.
    ///
    /// ```
    /// use fake_servicer::{Scope, Store};
    /// static TAGS: Store<Vec<u8>> = Store::new();
    /// TAGS.write(&Scope::named("s"), |t| t.push(1));
    /// assert_eq!(TAGS.get(&Scope::named("s")), [1]);
    /// ```
    pub fn get(&self, scope: &Scope) -> T {
        self.read(scope, T::clone)
    }

    /// How many scopes have a state of their own (written since they
    /// began, and not forgotten since).
    ///
    /// ```
    /// use fake_servicer::{Scope, Store};
    /// static SEEN: Store<u8> = Store::new();
    /// SEEN.read(&Scope::named("a"), |_| ());
    /// SEEN.write(&Scope::named("b"), |n| *n = 1);
    /// assert_eq!(SEEN.scopes(), 1);
    /// ```
    pub fn scopes(&self) -> usize {
        read_lock(&self.states().scopes).len()
    }

    fn states(&self) -> &Arc<States<T>> {
        self.states.get_or_init(|| {
            let states = Arc::new(States {
                make_seed: self.seed,
                seed: OnceLock::new(),
                base: Arc::new(RwLock::new(None)),
                scopes: RwLock::new(HashMap::new()),
            });
            let weak: Weak<dyn Forget> = Arc::downgrade(&states) as Weak<dyn Forget>;
            register(weak);
            states
        })
    }
}

impl<T> fmt::Debug for Store<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("type", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

/// A state that may not have been written yet: `None` reads as the seed.
type Own<T> = Arc<RwLock<Option<T>>>;

/// The states of one store.
struct States<T> {
    make_seed: fn() -> T,
    /// Made once, on first need; never written.
    seed: OnceLock<T>,
    /// The state of requests of no scope (`None`: the seed).
    base: Own<T>,
    /// The scopes that have written.
    scopes: RwLock<HashMap<Arc<str>, Own<T>>>,
}

impl<T: Clone> States<T> {
    fn seed(&self) -> &T {
        self.seed.get_or_init(self.make_seed)
    }

    /// The state of scope `name`, made at its first write.
    fn own(&self, name: &Arc<str>) -> Own<T> {
        if let Some(own) = read_lock(&self.scopes).get(&**name) {
            return own.clone();
        }
        write_lock(&self.scopes)
            .entry(name.clone())
            .or_insert_with(|| Arc::new(RwLock::new(None)))
            .clone()
    }
}

/// What [`forget_scope`] does to one store.
trait Forget: Send + Sync {
    /// Drops `scope`'s state; `None`: every scope's, and the base's.
    fn forget(&self, scope: Option<&str>);
}

impl<T: Send + Sync> Forget for States<T> {
    fn forget(&self, scope: Option<&str>) {
        // Dropped outside the lock: a `T`'s drop may take its time.
        let dropped: Vec<Own<T>> = {
            let mut scopes = write_lock(&self.scopes);
            let dropped = match scope {
                Some(name) => scopes.remove(name).into_iter().collect(),
                None => scopes.drain().map(|(_, own)| own).collect(),
            };
            // Memory follows the scopes that are left.
            if scopes.capacity() > 64 && scopes.len() < scopes.capacity() / 4 {
                scopes.shrink_to_fit();
            }
            dropped
        };
        let base = match scope {
            None => write_lock(&self.base).take(),
            Some(_) => None,
        };
        drop((dropped, base));
    }
}

thread_local! {
    /// Whether a store was written in a scope since the last
    /// [`take_scoped_write`] on this thread.
    static SCOPED_WRITE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks a write in a scope, for the handler call running on this thread.
pub(crate) fn note_scoped_write() {
    SCOPED_WRITE.with(|w| w.set(true));
}

/// Whether a store was written in a scope since the last call, on this
/// thread; clears the mark.
pub(crate) fn take_scoped_write() -> bool {
    SCOPED_WRITE.with(|w| w.replace(false))
}

/// Every store of this plugin, for [`forget_scope`]: weak, so a store that
/// is not a static (in a unit test) can go.
static STORES: Mutex<Vec<Weak<dyn Forget>>> = Mutex::new(Vec::new());

fn register(store: Weak<dyn Forget>) {
    let mut stores = STORES.lock().unwrap_or_else(|p| p.into_inner());
    stores.retain(|s| s.strong_count() > 0);
    stores.push(store);
}

/// Makes every [`Store`] of the plugin drop the state of `scope` (`None`:
/// every scope's state and the base's, as after a reset). The server calls
/// it through the plugin's root module when a scope ends or the server is
/// reset; a plugin need not.
///
/// ```
/// use fake_servicer::{Scope, Store, forget_scope};
/// static N: Store<u32> = Store::new();
/// N.set(&Scope::named("s"), 7);
/// N.set(&Scope::none(), 8);
/// forget_scope(Some("s"));
/// assert_eq!(N.get(&Scope::named("s")), 0);
/// assert_eq!(N.get(&Scope::none()), 8);
/// forget_scope(None);
/// assert_eq!(N.get(&Scope::none()), 0);
/// ```
pub fn forget_scope(scope: Option<&str>) {
    let stores: Vec<Arc<dyn Forget>> = {
        let mut stores = STORES.lock().unwrap_or_else(|p| p.into_inner());
        stores.retain(|s| s.strong_count() > 0);
        stores.iter().filter_map(Weak::upgrade).collect()
    };
    for store in stores {
        store.forget(scope);
    }
}

/// A lock's guard even when a panicking holder poisoned it: the state is
/// as the panicking closure left it.
fn read_lock<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write_lock<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    #[test]
    fn a_scope_never_sees_another_scopes_writes_nor_the_bases() {
        let store: Store<Vec<&str>> = Store::with_seed(|| vec!["seed"]);
        let (a, b) = (Scope::named("a"), Scope::named("b"));
        store.write(&a, |v| v.push("a"));
        store.write(&Scope::none(), |v| v.push("base"));
        assert_eq!(store.get(&a), ["seed", "a"]);
        assert_eq!(store.get(&b), ["seed"]);
        assert_eq!(store.get(&Scope::none()), ["seed", "base"]);
        // Reading a scope copies nothing.
        assert_eq!(store.scopes(), 1);
    }

    #[test]
    fn the_seed_is_made_once_and_copied_at_each_scopes_first_write() {
        use std::sync::atomic::{AtomicU32, Ordering};
        static MADE: AtomicU32 = AtomicU32::new(0);
        fn seed() -> Vec<u32> {
            MADE.fetch_add(1, Ordering::SeqCst);
            vec![1]
        }
        let store = Store::with_seed(seed);
        for name in ["x", "y", "z"] {
            store.write(&Scope::named(name), |v| v.push(2));
            assert_eq!(store.read(&Scope::named(name), |v| v.len()), 2);
        }
        assert_eq!(MADE.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn scopes_writing_in_parallel_each_keep_only_their_own_writes() {
        let store: Arc<Store<Vec<usize>>> = Arc::new(Store::new());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    let scope = Scope::named(&format!("parallel-{t}"));
                    for i in 0..200 {
                        store.write(&scope, |v| v.push(t * 1000 + i));
                        store.write(&Scope::none(), |v| v.push(t));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("a writer");
        }
        for t in 0..8 {
            let seen = store.get(&Scope::named(&format!("parallel-{t}")));
            assert_eq!(seen, (0..200).map(|i| t * 1000 + i).collect::<Vec<_>>());
        }
        assert_eq!(store.read(&Scope::none(), |v| v.len()), 8 * 200);
    }

    #[test]
    fn forgetting_a_scope_drops_its_state_and_every_scope_drops_the_base_too() {
        let store: Store<u32> = Store::new();
        let (a, b) = (Scope::named("fa"), Scope::named("fb"));
        store.set(&a, 1);
        store.set(&b, 2);
        store.set(&Scope::none(), 3);
        let states = store.states().clone();
        states.forget(Some("fa"));
        assert_eq!((store.get(&a), store.get(&b)), (0, 2));
        assert_eq!(store.get(&Scope::none()), 3);
        states.forget(None);
        assert_eq!((store.get(&b), store.get(&Scope::none())), (0, 0));
        assert_eq!(store.scopes(), 0);
    }

    #[test]
    fn forget_scope_reaches_every_store_that_was_used() {
        let numbers: Store<u32> = Store::new();
        let words: Store<String> = Store::new();
        let scope = Scope::named("reached-by-forget");
        numbers.set(&scope, 4);
        words.set(&scope, "four".into());
        forget_scope(Some("reached-by-forget"));
        assert_eq!(numbers.get(&scope), 0);
        assert_eq!(words.get(&scope), "");
    }

    #[test]
    fn the_scope_map_shrinks_when_its_scopes_are_forgotten() {
        let store: Store<u8> = Store::new();
        for i in 0..10_000 {
            store.set(&Scope::named(&format!("many-{i}")), 1);
        }
        let states = store.states().clone();
        let grown = read_lock(&states.scopes).capacity();
        for i in 0..10_000 {
            states.forget(Some(&format!("many-{i}")));
        }
        assert_eq!(store.scopes(), 0);
        assert!(read_lock(&states.scopes).capacity() < grown / 4);
    }

    #[test]
    fn a_store_that_is_dropped_leaves_the_registry() {
        let before = STORES.lock().unwrap_or_else(|p| p.into_inner()).len();
        for _ in 0..50 {
            let store: Store<u8> = Store::new();
            store.set(&Scope::named("short-lived"), 1);
        }
        forget_scope(Some("short-lived"));
        let after = STORES.lock().unwrap_or_else(|p| p.into_inner()).len();
        // Other tests may register stores meanwhile; these 50 are gone.
        assert!(after < before + 50, "{before} -> {after}");
    }

    #[test]
    fn a_write_that_panicked_leaves_the_state_usable_as_it_was_left() {
        let store: Store<Vec<u8>> = Store::new();
        let scope = Scope::named("panicky");
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            store.write(&scope, |v| {
                v.push(1);
                panic!("in the closure");
            })
        }));
        assert!(panicked.is_err());
        assert_eq!(store.get(&scope), [1]);
        store.write(&scope, |v| v.push(2));
        assert_eq!(store.get(&scope), [1, 2]);
    }

    #[test]
    fn the_scope_extractor_reads_the_servers_last_header_only() {
        use crate::__private::{RSlice, RStr};
        use crate::abi::{FfiHeader, FfiRequest, SCOPE_HEADER};
        let header = |name, value: &'static [u8]| FfiHeader {
            name: RStr::from_str(name),
            value: RSlice::from_slice(value),
        };
        let request = |headers: &[FfiHeader<'static>]| -> (Scope, usize) {
            let ffi = FfiRequest {
                method: RStr::from_str("GET"),
                path: RStr::from_str("/"),
                query: RStr::from_str(""),
                headers: RSlice::from_slice(headers),
                params: RSlice::from_slice(&[]),
                body: RSlice::from_slice(b""),
            };
            let req = Request::new(&ffi);
            let Ok(scope) = Scope::from_request(&req);
            (scope, req.headers().count())
        };
        let scoped = [header("accept", b"*/*"), header(SCOPE_HEADER, b"s1")];
        assert_eq!(request(&scoped), (Scope::named("s1"), 1));
        // Not last: not the server's.
        let early = [header(SCOPE_HEADER, b"s1"), header("accept", b"*/*")];
        assert_eq!(request(&early), (Scope::none(), 2));
        assert_eq!(request(&[]), (Scope::none(), 0));
        assert_eq!(request(&[header(SCOPE_HEADER, b"")]), (Scope::none(), 0));
    }

    #[test]
    fn a_handler_call_that_wrote_in_a_scope_marks_its_answer_last() {
        use crate::__private::{RSlice, RStr, call};
        use crate::abi::{FfiRequest, STATE_WRITTEN_HEADER};
        use crate::response::Response;
        static MARKED: Store<u32> = Store::new();
        let ffi = FfiRequest {
            method: RStr::from_str("POST"),
            path: RStr::from_str("/"),
            query: RStr::from_str(""),
            headers: RSlice::from_slice(&[]),
            params: RSlice::from_slice(&[]),
            body: RSlice::from_slice(b""),
        };
        let marked = |write: fn()| {
            let answer = call(&ffi, "test", "POST /", |_| {
                write();
                Response::new().header("x-own", "1").text("ok")
            });
            let names: Vec<&str> = answer.headers.iter().map(|h| h.name.as_str()).collect();
            names.last() == Some(&STATE_WRITTEN_HEADER)
        };
        assert!(marked(|| MARKED.set(&Scope::named("marked"), 1)));
        assert!(!marked(|| MARKED.set(&Scope::none(), 1)));
        assert!(!marked(|| {
            MARKED.read(&Scope::named("marked"), |_| ());
        }));
        // A panicking handler's answer is marked too.
        assert!(marked(|| {
            MARKED.set(&Scope::named("marked"), 2);
            panic!("after the write");
        }));
    }
}
