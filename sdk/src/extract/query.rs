use super::FromRequest;
use crate::{Rejection, Request};
use serde::de::DeserializeOwned;

/// The query string, deserialized with `serde_urlencoded`.
///
/// Use `Option` fields for optional parameters. A missing or unparsable
/// parameter answers 400 naming it.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Page { page: u32, per_page: Option<u32> }
///
/// #[route(get, "/items")]
/// fn items(Query(p): Query<Page>) -> String {
///     format!("page {} of {}", p.page, p.per_page.unwrap_or(20))
/// }
/// # fn main() {}
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Rejection = Rejection;

    fn from_request(req: &Request<'_>) -> Result<Self, Rejection> {
        let de =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(req.query().as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| Rejection::from_path_error("invalid query string", e, None))
    }
}
