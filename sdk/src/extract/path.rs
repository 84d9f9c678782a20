use super::{FromRequest, params::ParamsDeserializer};
use crate::{Rejection, Request};
use serde::de::DeserializeOwned;

/// Path parameters captured by `{name}` segments of the route pattern.
///
/// `T` is a single value (one parameter), a tuple (parameters in order) or a
/// struct (parameters by name). A value that does not parse answers 400 naming
/// the parameter.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(get, "/users/{id}")]
/// fn user(Path(id): Path<u64>) -> String {
///     format!("user {id}")
/// }
///
/// #[derive(Deserialize)]
/// struct OrderPath { user: u64, order: String }
///
/// #[route(get, "/users/{user}/orders/{order}")]
/// fn order(Path(p): Path<OrderPath>) -> String {
///     format!("order {} of user {}", p.order, p.user)
/// }
///
/// #[route(get, "/pairs/{a}/{b}")]
/// fn pair(Path((a, b)): Path<(String, u8)>) -> String {
///     format!("{a}-{b}")
/// }
///
/// # fn main() {
/// assert_eq!(user(Path(7)), "user 7");
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Path<T> {
    type Rejection = Rejection;

    fn from_request(req: &Request<'_>) -> Result<Self, Rejection> {
        let params = req.params();
        let only = match params {
            [one] => Some(one.name.as_str()),
            _ => None,
        };
        serde_path_to_error::deserialize(ParamsDeserializer { params })
            .map(Path)
            .map_err(|e| {
                let mut r = Rejection::from_path_error("invalid path parameter", e, only);
                // A tuple element is reported as `[i]`: name the parameter.
                let index = r.field.as_deref().and_then(|f| {
                    f.strip_prefix('[')?
                        .strip_suffix(']')?
                        .parse::<usize>()
                        .ok()
                });
                if let Some(p) = index.and_then(|i| params.get(i)) {
                    r.field = Some(p.name.as_str().to_owned());
                }
                r
            })
    }
}
