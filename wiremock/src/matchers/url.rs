//! Matchers on the URL: `url` and `urlPattern` (path and query),
//! `urlPath`, `urlPathPattern` and `urlPathTemplate` (the path alone), and
//! `pathParameters`, matchers on a template's named segments.

use super::string::StringMatcher;
use super::{PatternError, Result, levenshtein_distance, whole_regex};
use regex::Regex;

/// How the URL is matched.
#[derive(Debug, Clone)]
pub enum UrlMatcher {
    /// Any URL.
    Any,
    /// `url`: path and query, exactly.
    Url(String),
    /// `urlPattern`: path and query, by regex.
    UrlPattern(Regex),
    /// `urlPath`: path only, exactly.
    Path(String),
    /// `urlPathPattern`: path only, by regex.
    PathPattern(Regex),
    /// `urlPathTemplate`: path only, `{name}` standing for one segment.
    Template(PathTemplate),
}

impl UrlMatcher {
    /// Whether the URL matches: `path` (service-relative where the pattern
    /// names a service) and the raw query.
    pub fn matches(&self, path: &str, query: Option<&str>) -> bool {
        match self {
            UrlMatcher::Any => true,
            UrlMatcher::Url(u) => match query {
                None => path == u,
                Some(q) => u
                    .strip_prefix(path)
                    .and_then(|rest| rest.strip_prefix('?'))
                    .is_some_and(|rest| rest == q),
            },
            UrlMatcher::UrlPattern(r) => r.is_match(&crate::request::with_query(path, query)),
            UrlMatcher::Path(p) => path == p,
            UrlMatcher::PathPattern(r) => r.is_match(path),
            UrlMatcher::Template(t) => t.regex.is_match(path),
        }
    }

    /// WireMock's distance: Levenshtein for the exact forms, else 0 or 1.
    pub fn distance(&self, path: &str, query: Option<&str>) -> f64 {
        if self.matches(path, query) {
            return 0.0;
        }
        match self {
            UrlMatcher::Url(u) => levenshtein_distance(u, &crate::request::with_query(path, query)),
            UrlMatcher::Path(p) => levenshtein_distance(p, path),
            UrlMatcher::Template(t) => levenshtein_distance(&t.without_variables(), path),
            _ => 1.0,
        }
    }

    /// The pattern as WireMock's JSON names it, for the 404 body.
    pub fn describe(&self) -> String {
        match self {
            UrlMatcher::Any => "any URL".to_owned(),
            UrlMatcher::Url(u) => u.clone(),
            UrlMatcher::UrlPattern(r) | UrlMatcher::PathPattern(r) => {
                super::regex_source(r).to_owned()
            }
            UrlMatcher::Path(p) => p.clone(),
            UrlMatcher::Template(t) => t.template.clone(),
        }
    }
}

/// A `urlPathTemplate` such as `/users/{id}`.
#[derive(Debug, Clone)]
pub struct PathTemplate {
    template: String,
    regex: Regex,
    names: Vec<String>,
}

impl PathTemplate {
    /// Parses a template; each `{name}` is one path segment.
    pub fn parse(template: &str, pointer: &str) -> Result<PathTemplate> {
        let mut re = String::new();
        let mut names = Vec::new();
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            re.push_str(&regex::escape(&rest[..start]));
            let end = rest[start..]
                .find('}')
                .ok_or_else(|| PatternError::new(pointer, "unclosed { in path template"))?;
            names.push(rest[start + 1..start + end].to_owned());
            re.push_str("([^/]+)");
            rest = &rest[start + end + 1..];
        }
        re.push_str(&regex::escape(rest));
        Ok(PathTemplate {
            template: template.to_owned(),
            regex: whole_regex(&re, pointer)?,
            names,
        })
    }

    /// The template as given (`/users/{id}`).
    pub fn source(&self) -> &str {
        &self.template
    }

    /// The template with each `{name}` as `_`, as WireMock measures a
    /// distance from it.
    fn without_variables(&self) -> String {
        let mut out = String::new();
        let mut rest = self.template.as_str();
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            out.push('_');
            rest = rest[start..]
                .find('}')
                .map_or("", |end| &rest[start + end + 1..]);
        }
        out.push_str(rest);
        out
    }

    /// The decoded value of each parameter in `path`, if it matches.
    pub fn values(&self, path: &str) -> Option<Vec<(&str, String)>> {
        let caps = self.regex.captures(path)?;
        Some(
            self.names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let raw = caps.get(i + 1).map_or("", |m| m.as_str());
                    let decoded = percent_encoding::percent_decode_str(raw)
                        .decode_utf8_lossy()
                        .into_owned();
                    (n.as_str(), decoded)
                })
                .collect(),
        )
    }
}

/// `pathParameters`: a matcher per template parameter.
#[derive(Debug, Clone, Default)]
pub struct PathParams(pub Vec<(String, StringMatcher)>);

impl PathParams {
    /// Whether the path's parameters match (the template matched already).
    pub fn matches(&self, template: Option<&PathTemplate>, path: &str) -> bool {
        self.distance_or_match(template, path, false) == 0.0
    }

    /// Mean distance over the parameters; 1 when the path does not fit.
    pub fn distance(&self, template: Option<&PathTemplate>, path: &str) -> f64 {
        self.distance_or_match(template, path, true)
    }

    fn distance_or_match(&self, template: Option<&PathTemplate>, path: &str, measure: bool) -> f64 {
        let (Some(t), false) = (template, self.0.is_empty()) else {
            return 0.0;
        };
        let Some(values) = t.values(path) else {
            return 1.0;
        };
        let value = |name: &str| {
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        if measure {
            super::mean(self.0.iter().map(|(n, m)| m.distance(value(n))))
        } else {
            f64::from(u8::from(!self.0.iter().all(|(n, m)| m.matches(value(n)))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_template_names_its_segments() {
        let t = PathTemplate::parse("/users/{id}/posts/{post}", "").unwrap();
        assert_eq!(
            t.values("/users/7/posts/a%20b"),
            Some(vec![("id", "7".to_owned()), ("post", "a b".to_owned())])
        );
        assert_eq!(t.values("/users/7"), None);
        let params = PathParams(vec![(
            "id".into(),
            StringMatcher::parse(&json!({"equalTo": "7"}), "").unwrap(),
        )]);
        assert!(params.matches(Some(&t), "/users/7/posts/1"));
        assert!(!params.matches(Some(&t), "/users/8/posts/1"));
    }

    #[test]
    fn exact_urls_measure_their_distance() {
        let u = UrlMatcher::Url("/userz".into());
        assert_eq!(u.distance("/users", Some("q=3")), 0.5);
        assert!(UrlMatcher::Url("/a?b=1".into()).matches("/a", Some("b=1")));
        let t = UrlMatcher::Template(PathTemplate::parse("/items/{id}", "").unwrap());
        assert_eq!(t.distance("/users", None), 0.625);
    }
}
