//! What the matchers read of one request, worked out once per request
//! (when a matcher first asks) however many stubs look at it: the decoded
//! query, the cookies, the form parameters, the body as text, JSON and XML.

use crate::request::Recorded;
use serde_json::Value;
use std::borrow::Cow;
use std::cell::OnceCell;

/// A request and the views of it the matchers share.
pub struct RequestContext<'a> {
    /// The request.
    pub req: &'a Recorded,
    query: OnceCell<Vec<(String, String)>>,
    cookies: OnceCell<Vec<(String, String)>>,
    form: OnceCell<Vec<(String, String)>>,
    text: OnceCell<Cow<'a, str>>,
    json: OnceCell<Option<Value>>,
    xml: OnceCell<Option<super::xml::Document>>,
}

impl<'a> RequestContext<'a> {
    /// A context for `req`; nothing is parsed yet.
    pub fn new(req: &'a Recorded) -> RequestContext<'a> {
        RequestContext {
            req,
            query: OnceCell::new(),
            cookies: OnceCell::new(),
            form: OnceCell::new(),
            text: OnceCell::new(),
            json: OnceCell::new(),
            xml: OnceCell::new(),
        }
    }

    /// Decoded query parameters, in order, duplicates kept.
    pub fn query(&self) -> &[(String, String)] {
        self.query.get_or_init(|| self.req.query_params())
    }

    /// Cookies from every `Cookie` header, in order.
    pub fn cookies(&self) -> &[(String, String)] {
        self.cookies.get_or_init(|| {
            self.req
                .headers
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|c| {
                    let (k, v) = c.trim().split_once('=')?;
                    Some((k.trim().to_owned(), v.trim().to_owned()))
                })
                .collect()
        })
    }

    /// Form parameters of an `application/x-www-form-urlencoded` body.
    pub fn form(&self) -> &[(String, String)] {
        self.form.get_or_init(|| {
            let is_form = self
                .req
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| {
                    v.to_ascii_lowercase()
                        .contains("application/x-www-form-urlencoded")
                });
            if is_form {
                crate::request::form_urlencoded_pairs(self.body_text())
            } else {
                Vec::new()
            }
        })
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> &str {
        self.text
            .get_or_init(|| String::from_utf8_lossy(&self.req.body))
    }

    /// The body as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<&Value> {
        self.json
            .get_or_init(|| serde_json::from_slice(&self.req.body).ok())
            .as_ref()
    }

    /// The body as XML, if it is XML.
    pub fn body_xml(&self) -> Option<&super::xml::Document> {
        self.xml
            .get_or_init(|| super::xml::Document::parse(self.body_text()))
            .as_ref()
    }

    /// Values of `name` among `pairs`.
    pub fn values<'p>(pairs: &'p [(String, String)], name: &str) -> Vec<&'p str> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Values of header `name` (any case), lossily as text.
    pub fn header_values(&self, name: &str) -> Vec<Cow<'a, str>> {
        self.req
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
            .collect()
    }
}
