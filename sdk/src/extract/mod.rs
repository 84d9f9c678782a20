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

pub use body::Body;
pub use headers::Headers;
pub use json::Json;
pub use path::Path;
pub use query::Query;

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
