use super::FromRequest;
use crate::Request;
use std::convert::Infallible;

/// All request headers, in the order received, duplicates kept.
///
/// Names are lower case; values that are not UTF-8 are converted lossily.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(get, "/whoami")]
/// fn whoami(headers: Headers) -> String {
///     headers.get("x-user").unwrap_or("anonymous").to_owned()
/// }
///
/// # fn main() {
/// let h = Headers::from_pairs([("X-User", "ann"), ("accept", "a"), ("accept", "b")]);
/// assert_eq!(whoami(h.clone()), "ann");
/// assert_eq!(h.get_all("Accept").collect::<Vec<_>>(), ["a", "b"]);
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    /// Builds headers from name/value pairs (names are lower-cased).
    pub fn from_pairs<N: AsRef<str>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        Headers(
            pairs
                .into_iter()
                .map(|(n, v)| (n.as_ref().to_ascii_lowercase(), v.into()))
                .collect(),
        )
    }

    /// The first value of `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name` (case-insensitive), in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// All headers as `(name, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Number of header lines.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromRequest for Headers {
    type Rejection = Infallible;

    fn from_request(req: &Request<'_>) -> Result<Self, Infallible> {
        Ok(Headers(
            req.headers()
                .map(|(n, v)| (n.to_owned(), String::from_utf8_lossy(v).into_owned()))
                .collect(),
        ))
    }
}
