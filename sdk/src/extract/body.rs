use super::FromRequest;
use crate::Request;
use std::convert::Infallible;

/// The raw request body.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(post, "/upload")]
/// fn upload(Body(bytes): Body) -> String {
///     format!("{} bytes", bytes.len())
/// }
///
/// # fn main() {
/// assert_eq!(upload(Body(vec![1, 2, 3])), "3 bytes");
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Body(pub Vec<u8>);

impl FromRequest for Body {
    type Rejection = Infallible;

    fn from_request(req: &Request<'_>) -> Result<Self, Infallible> {
        Ok(Body(req.body().to_vec()))
    }
}
