//! Extractors: typed pieces of the request that a handler takes as arguments.
//!
//! Each handler argument's type implements [`FromRequest`]; `#[route]` runs
//! them in order and answers the extractor's rejection (400 JSON naming the
//! field and the reason; 415 for a wrong content type) when one fails.

mod body;
mod headers;
mod json;
mod method;
mod params;
mod path;
mod query;
mod state;
mod whole;

pub use body::Body;
pub use headers::Headers;
pub use json::Json;
pub use path::Path;
pub use query::Query;
pub use state::State;
pub use whole::WholeRequest;

use crate::{Request, response::IntoResponse};

/// Something a handler can take as an argument, built from the request.
///
/// Implement it for your own types to share request parsing between routes:
///
/// ```
/// use fake_servicer::prelude::*;
/// use fake_servicer::{FromRequest, Rejection, Request};
///
/// struct ApiKey(String);
///
/// impl FromRequest for ApiKey {
///     type Rejection = (StatusCode, &'static str);
///     fn from_request(req: &Request<'_>) -> Result<Self, Self::Rejection> {
///         req.header("x-api-key")
///             .map(|k| ApiKey(k.to_owned()))
///             .ok_or((StatusCode::UNAUTHORIZED, "missing x-api-key"))
///     }
/// }
///
/// #[route(get, "/secret")]
/// fn secret(ApiKey(key): ApiKey) -> String {
///     format!("hello {key}")
/// }
/// # fn main() {}
/// ```
pub trait FromRequest: Sized {
    /// What is answered when extraction fails.
    type Rejection: IntoResponse;

    /// Extracts `Self` from the request.
    fn from_request(req: &Request<'_>) -> Result<Self, Self::Rejection>;
}

/// An extractor that may fail without refusing the request: `None` where
/// `T` would have answered its rejection.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Page { page: u32 }
///
/// #[route(get, "/items")]
/// fn items(page: Option<Query<Page>>) -> String {
///     format!("page {}", page.map_or(1, |Query(p)| p.page))
/// }
/// # fn main() {}
/// ```
impl<T: FromRequest> FromRequest for Option<T> {
    type Rejection = std::convert::Infallible;
    fn from_request(req: &Request<'_>) -> Result<Self, Self::Rejection> {
        Ok(T::from_request(req).ok())
    }
}

/// An extractor's result as it is: the handler answers a refusal itself.
///
/// ```
/// use fake_servicer::prelude::*;
/// use fake_servicer::Rejection;
///
/// #[derive(Deserialize)]
/// struct Order { item: String }
///
/// #[route(post, "/orders")]
/// fn order(body: Result<Json<Order>, Rejection>) -> (StatusCode, String) {
///     match body {
///         Ok(Json(o)) => (StatusCode::CREATED, o.item),
///         Err(why) => (StatusCode::UNPROCESSABLE_ENTITY, why.reason),
///     }
/// }
/// # fn main() {}
/// ```
impl<T: FromRequest> FromRequest for Result<T, T::Rejection> {
    type Rejection = std::convert::Infallible;
    fn from_request(req: &Request<'_>) -> Result<Self, Self::Rejection> {
        Ok(T::from_request(req))
    }
}

/// The raw body as text (400 when it is not UTF-8).
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(post, "/echo")]
/// fn echo(text: String) -> String {
///     text
/// }
/// # fn main() {}
/// ```
impl FromRequest for String {
    type Rejection = crate::Rejection;
    fn from_request(req: &Request<'_>) -> Result<Self, Self::Rejection> {
        String::from_utf8(req.body().to_vec()).map_err(|e| {
            crate::Rejection::bad_request("invalid body", None, format!("body is not UTF-8: {e}"))
        })
    }
}
