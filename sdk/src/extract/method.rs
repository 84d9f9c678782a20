use super::FromRequest;
use crate::{Rejection, Request};
use http::Method;

/// The request method ([`http::Method`]).
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(options, "/anything")]
/// fn anything(method: Method) -> String {
///     method.to_string()
/// }
///
/// # fn main() {
/// assert_eq!(anything(Method::OPTIONS), "OPTIONS");
/// # }
/// ```
impl FromRequest for Method {
    type Rejection = Rejection;

    fn from_request(req: &Request<'_>) -> Result<Self, Rejection> {
        Method::from_bytes(req.method().as_bytes())
            .map_err(|e| Rejection::bad_request("invalid method", None, e.to_string()))
    }
}
