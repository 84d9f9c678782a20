use super::FromRequest;
use crate::Request;
use std::{
    any::{Any, TypeId},
    collections::HashMap,
    convert::Infallible,
    ops::Deref,
    sync::{Arc, Mutex, OnceLock},
};

/// State shared by every call of every route of the plugin: one `T` per
/// type, made with `T::default()` on first use. Like all plugin state it
/// starts afresh when the plugin is reloaded. `T` is shared between calls
/// running at once, so it holds its changing parts in atomics or a `Mutex`.
///
/// ```
/// use fake_servicer::prelude::*;
/// use std::sync::Mutex;
///
/// #[derive(Default)]
/// struct Orders(Mutex<Vec<String>>);
///
/// #[route(post, "/orders")]
/// fn place(State(orders): State<Orders>, item: String) -> StatusCode {
///     orders.0.lock().unwrap_or_else(|p| p.into_inner()).push(item);
///     StatusCode::CREATED
/// }
///
/// #[route(get, "/orders")]
/// fn list(State(orders): State<Orders>) -> Json<Vec<String>> {
///     Json(orders.0.lock().unwrap_or_else(|p| p.into_inner()).clone())
/// }
///
/// # fn main() {
/// let State(orders) = State::<Orders>::shared();
/// orders.0.lock().unwrap().push("tea".into());
/// assert_eq!(list(State::shared()).0, ["tea"]);
/// # }
/// ```
pub struct State<T: 'static>(pub Arc<T>);

impl<T: Default + Send + Sync + 'static> State<T> {
    /// The plugin's one `T` (made on first use).
    pub fn shared() -> State<T> {
        static ALL: OnceLock<Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>> = OnceLock::new();
        let mut all = ALL
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let any = all
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()))
            .clone();
        match any.downcast::<T>() {
            Ok(state) => State(state),
            // Stored under T's own TypeId, so always a T; never reached.
            Err(_) => State(Arc::new(T::default())),
        }
    }
}

impl<T> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Default + Send + Sync + 'static> FromRequest for State<T> {
    type Rejection = Infallible;
    fn from_request(_: &Request<'_>) -> Result<Self, Self::Rejection> {
        Ok(State::shared())
    }
}
