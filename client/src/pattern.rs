//! Request patterns: what a stub answers, and what the journal queries and
//! verifications count (WireMock's `request` object).

use crate::matchers::Matcher;
use http::Method;
use serde_json::{Map, Value};

/// How a pattern matches the URL. A `&str` or `String` is [`url_path`]:
/// the path, whatever the query.
///
/// ```
/// use fake_servicer_client::prelude::*;
///
/// let exact = get(url("/users?page=2"));            // path and query
/// let path = get("/users");                          // the path only
/// let regex = get(url_path_pattern("/users/[0-9]+"));
/// let template = get(url_path_template("/users/{id}"));
/// # let _ = (exact, path, regex, template);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlMatcher {
    key: Option<&'static str>,
    value: String,
}

impl From<&str> for UrlMatcher {
    fn from(path: &str) -> UrlMatcher {
        url_path(path)
    }
}

impl From<String> for UrlMatcher {
    fn from(path: String) -> UrlMatcher {
        url_path(path)
    }
}

impl From<&String> for UrlMatcher {
    fn from(path: &String) -> UrlMatcher {
        url_path(path.as_str())
    }
}

fn url_matcher(key: &'static str, value: impl Into<String>) -> UrlMatcher {
    UrlMatcher {
        key: Some(key),
        value: value.into(),
    }
}

/// The path and query equal `url` (`url`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = get(url("/users?page=2"));
/// # let _ = p;
/// ```
pub fn url(url: impl Into<String>) -> UrlMatcher {
    url_matcher("url", url)
}

/// The path equals `path`, whatever the query (`urlPath`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = get(url_path("/users"));
/// # let _ = p;
/// ```
pub fn url_path(path: impl Into<String>) -> UrlMatcher {
    url_matcher("urlPath", path)
}

/// The path and query match the regular expression `regex` (`urlPattern`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = get(url_pattern("/users\\?page=[0-9]+"));
/// # let _ = p;
/// ```
pub fn url_pattern(regex: impl Into<String>) -> UrlMatcher {
    url_matcher("urlPattern", regex)
}

/// The path matches the regular expression `regex` (`urlPathPattern`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = get(url_path_pattern("/users/[0-9]+"));
/// # let _ = p;
/// ```
pub fn url_path_pattern(regex: impl Into<String>) -> UrlMatcher {
    url_matcher("urlPathPattern", regex)
}

/// The path fits the template `template`, `{name}` standing for one
/// segment (`urlPathTemplate`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = get(url_path_template("/users/{id}"));
/// # let _ = p;
/// ```
pub fn url_path_template(template: impl Into<String>) -> UrlMatcher {
    url_matcher("urlPathTemplate", template)
}

/// Any URL.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let every_get = get(any_url());
/// # let _ = every_get;
/// ```
pub fn any_url() -> UrlMatcher {
    UrlMatcher {
        key: None,
        value: String::new(),
    }
}

/// What a request must look like: a method, a URL, optionally the service
/// (fake-servicer's `"service"` extension), headers, query parameters and
/// body. Made with [`get`], [`post`], [`put`], [`delete`], [`patch`],
/// [`any`] or [`request`], refined with its methods; used by stubs,
/// journal queries and verifications.
///
/// ```
/// use fake_servicer_client::prelude::*;
///
/// let pattern = post("/users")
///     .service("example")
///     .header("Content-Type", contains("json"))
///     .body(matches_json_path_with("$.name", "Ada"));
/// assert_eq!(pattern.to_json()["service"], "example");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RequestPattern {
    method: Option<Method>,
    url: UrlMatcher,
    service: Option<String>,
    headers: Map<String, Value>,
    query: Map<String, Value>,
    body: Vec<Value>,
}

impl RequestPattern {
    /// A request with `method` (`None`: any method) to `url`.
    fn new(method: Option<Method>, url: UrlMatcher) -> RequestPattern {
        RequestPattern {
            method,
            url,
            service: None,
            headers: Map::new(),
            query: Map::new(),
            body: Vec::new(),
        }
    }

    /// Only requests to service `name`, matched against the
    /// service-relative path, whether the request named the service by its
    /// Host or by the first path segment.
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let p = get("/users/7").service("example");
    /// # let _ = p;
    /// ```
    pub fn service(mut self, name: impl Into<String>) -> RequestPattern {
        self.service = Some(name.into());
        self
    }

    /// Header `name` matches `matcher` (a `&str` is [`equal_to`](crate::equal_to)).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let p = get("/users").header("Accept", "application/json");
    /// # let _ = p;
    /// ```
    pub fn header(
        mut self,
        name: impl Into<String>,
        matcher: impl Into<Matcher>,
    ) -> RequestPattern {
        self.headers.insert(name.into(), matcher.into().to_json());
        self
    }

    /// Query parameter `name` matches `matcher` (`queryParameters`).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let p = get("/users").query("page", "2");
    /// # let _ = p;
    /// ```
    pub fn query(mut self, name: impl Into<String>, matcher: impl Into<Matcher>) -> RequestPattern {
        self.query.insert(name.into(), matcher.into().to_json());
        self
    }

    /// The body matches `matcher` (one of `bodyPatterns`; every one must
    /// match).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let p = post("/users").body(equal_to_json(serde_json::json!({"name": "Ada"})));
    /// # let _ = p;
    /// ```
    pub fn body(mut self, matcher: impl Into<Matcher>) -> RequestPattern {
        self.body.push(matcher.into().to_json());
        self
    }

    /// The pattern as WireMock JSON (the `request` of a mapping).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// assert_eq!(
    ///     get("/users").to_json(),
    ///     serde_json::json!({"method": "GET", "urlPath": "/users"}),
    /// );
    /// ```
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let method = self.method.as_ref().map_or("ANY", Method::as_str);
        m.insert("method".to_owned(), Value::String(method.to_owned()));
        if let Some(key) = self.url.key {
            m.insert(key.to_owned(), Value::String(self.url.value.clone()));
        }
        if let Some(service) = &self.service {
            m.insert("service".to_owned(), Value::String(service.clone()));
        }
        if !self.headers.is_empty() {
            m.insert("headers".to_owned(), Value::Object(self.headers.clone()));
        }
        if !self.query.is_empty() {
            m.insert(
                "queryParameters".to_owned(),
                Value::Object(self.query.clone()),
            );
        }
        if !self.body.is_empty() {
            m.insert("bodyPatterns".to_owned(), Value::Array(self.body.clone()));
        }
        Value::Object(m)
    }
}

/// A request with `method` to `url`.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = request(Method::OPTIONS, "/users");
/// # let _ = p;
/// ```
pub fn request(method: Method, url: impl Into<UrlMatcher>) -> RequestPattern {
    RequestPattern::new(Some(method), url.into())
}

/// A `GET` to `url`.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = get("/users/7").service("example");
/// # let _ = p;
/// ```
pub fn get(url: impl Into<UrlMatcher>) -> RequestPattern {
    request(Method::GET, url)
}

/// A `POST` to `url`.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = post("/users");
/// # let _ = p;
/// ```
pub fn post(url: impl Into<UrlMatcher>) -> RequestPattern {
    request(Method::POST, url)
}

/// A `PUT` to `url`.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = put("/users/7");
/// # let _ = p;
/// ```
pub fn put(url: impl Into<UrlMatcher>) -> RequestPattern {
    request(Method::PUT, url)
}

/// A `DELETE` to `url`.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = delete("/users/7");
/// # let _ = p;
/// ```
pub fn delete(url: impl Into<UrlMatcher>) -> RequestPattern {
    request(Method::DELETE, url)
}

/// A `PATCH` to `url`.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let p = patch("/users/7");
/// # let _ = p;
/// ```
pub fn patch(url: impl Into<UrlMatcher>) -> RequestPattern {
    request(Method::PATCH, url)
}

/// A request with any method to `url`.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let everything = any(any_url());
/// # let _ = everything;
/// ```
pub fn any(url: impl Into<UrlMatcher>) -> RequestPattern {
    RequestPattern::new(None, url.into())
}
