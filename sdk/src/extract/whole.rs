use super::FromRequest;
use crate::Request;
use std::convert::Infallible;

/// The whole request as a handler argument: an owned copy of the method,
/// service-relative path, query string, headers, path parameters and body.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(post, "/echo/{id}")]
/// fn echo(req: WholeRequest) -> String {
///     format!(
///         "{} {} id={} q={} type={} body={}",
///         req.method(),
///         req.path(),
///         req.param("id").unwrap_or("-"),
///         req.query(),
///         req.header("content-type").unwrap_or("-"),
///         req.text().unwrap_or("-"),
///     )
/// }
/// # fn main() {}
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WholeRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, Vec<u8>)>,
    params: Vec<(String, String)>,
    body: Vec<u8>,
}

impl WholeRequest {
    /// HTTP method, upper case.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// Path relative to the service, as received (percent-encoded).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Raw query string without the leading `?`.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The first value of a header (case-insensitive), if it is UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// Every header in the order received: lower-case name and raw value.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// A path parameter captured by a `{name}` segment, decoded.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text, if it is UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }
}

impl FromRequest for WholeRequest {
    type Rejection = Infallible;
    fn from_request(req: &Request<'_>) -> Result<Self, Self::Rejection> {
        Ok(WholeRequest {
            method: req.method().to_owned(),
            path: req.path().to_owned(),
            query: req.query().to_owned(),
            headers: req
                .headers()
                .map(|(n, v)| (n.to_owned(), v.to_vec()))
                .collect(),
            params: req
                .params()
                .iter()
                .map(|p| (p.name.as_str().to_owned(), p.value.as_str().to_owned()))
                .collect(),
            body: req.body().to_vec(),
        })
    }
}
