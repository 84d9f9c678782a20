//! XML body matchers: `equalToXml` (same elements, attributes and text,
//! whatever the attribute order, prefixes and whitespace between
//! elements; with `enablePlaceholders`, a text or attribute of
//! `${xmlunit.ignore}` matches anything) and `matchesXPath` (XPath 1.0,
//! prefixes from `xPathNamespaces`; a node set must be non-empty, or with
//! a value matcher some node's text must match it).
//!
//! Built on `sxd-document` and `sxd-xpath`, the XPath 1.0 implementation
//! for Rust. A compiled XPath cannot be shared between threads, so a
//! stub keeps the checked expression and compiles it when it matches.

use super::string::StringMatcher;
use super::{PatternError, Result, as_str};
use serde_json::{Map, Value};
use sxd_document::dom::{self, ChildOfElement, ChildOfRoot};
use sxd_document::{Package, parser};
use sxd_xpath::{Context, Factory};

/// The deepest nesting of elements a document may have to be matched:
/// the parser and XPath's descendant axes recurse once per level, so a
/// request body nested deeper (a few kilobytes of `<a><a>…`) would
/// overflow a worker's stack. A deeper body is not XML to the matchers.
pub const MAX_DEPTH: usize = 256;

/// A parsed XML document.
pub struct Document(Package);

impl Document {
    /// Parses `text`; `None` when it is not XML or is nested deeper than
    /// [`MAX_DEPTH`].
    pub fn parse(text: &str) -> Option<Document> {
        if depth(text.as_bytes()) > MAX_DEPTH {
            return None;
        }
        parser::parse(text).ok().map(Document)
    }

    fn root_element(&self) -> Option<dom::Element<'_>> {
        self.0
            .as_document()
            .root()
            .children()
            .into_iter()
            .find_map(|c| match c {
                ChildOfRoot::Element(e) => Some(e),
                _ => None,
            })
    }
}

/// How deep elements nest in `xml`, told in one pass without parsing (a
/// tag that never closes counts as open): `<x>` opens, `</x>` closes,
/// `<x/>`, comments, CDATA, declarations and processing instructions
/// leave the depth alone; `>` inside quoted attribute values is skipped.
fn depth(xml: &[u8]) -> usize {
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    let skip_past = |from: usize, end: &[u8]| {
        memchr::memmem::find(&xml[from..], end).map_or(xml.len(), |at| from + at + end.len())
    };
    while let Some(at) = memchr::memchr(b'<', &xml[i..]) {
        let start = i + at;
        let rest = &xml[start..];
        i = if rest.starts_with(b"<!--") {
            skip_past(start, b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            skip_past(start, b"]]>")
        } else if rest.starts_with(b"<?") || rest.starts_with(b"<!") {
            skip_past(start, b">")
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            skip_past(start, b">")
        } else {
            let (mut quote, mut j) = (None, start + 1);
            while j < xml.len() {
                match (quote, xml[j]) {
                    (None, b'"' | b'\'') => quote = Some(xml[j]),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                j += 1;
            }
            if xml.get(j.wrapping_sub(1)) != Some(&b'/') {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (j + 1).min(xml.len())
        };
    }
    deepest
}

/// `equalToXml`.
#[derive(Debug, Clone)]
pub struct EqualToXml {
    expected: String,
    placeholders: bool,
}

impl EqualToXml {
    /// Parses `{"equalToXml": "<a/>", "enablePlaceholders": …}`.
    pub fn parse(v: &Value, obj: &Map<String, Value>, pointer: &str) -> Result<EqualToXml> {
        let at = format!("{pointer}/equalToXml");
        let expected = as_str(v, &at)?.to_owned();
        if Document::parse(&expected).is_none() {
            return Err(PatternError::new(at, "not well-formed XML"));
        }
        Ok(EqualToXml {
            expected,
            placeholders: obj
                .get("enablePlaceholders")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    /// Whether `actual` is the same document.
    pub fn matches(&self, actual: Option<&Document>) -> bool {
        let (Some(actual), Some(expected)) = (actual, Document::parse(&self.expected)) else {
            return false;
        };
        match (expected.root_element(), actual.root_element()) {
            (Some(e), Some(a)) => self.same_element(e, a),
            _ => false,
        }
    }

    fn same_text(&self, expected: &str, actual: &str) -> bool {
        (self.placeholders && expected.trim() == "${xmlunit.ignore}")
            || expected.trim() == actual.trim()
    }

    fn same_element(&self, e: dom::Element<'_>, a: dom::Element<'_>) -> bool {
        if e.name().namespace_uri() != a.name().namespace_uri()
            || e.name().local_part() != a.name().local_part()
        {
            return false;
        }
        let (ea, aa) = (e.attributes(), a.attributes());
        if ea.len() != aa.len()
            || !ea.iter().all(|x| {
                aa.iter().any(|y| {
                    x.name().namespace_uri() == y.name().namespace_uri()
                        && x.name().local_part() == y.name().local_part()
                        && self.same_text(x.value(), y.value())
                })
            })
        {
            return false;
        }
        let (ec, ac) = (significant(e), significant(a));
        ec.len() == ac.len()
            && ec.iter().zip(&ac).all(|pair| match pair {
                (Child::Element(x), Child::Element(y)) => self.same_element(*x, *y),
                (Child::Text(x), Child::Text(y)) => self.same_text(x, y),
                _ => false,
            })
    }
}

/// An element's children that count: elements, and text joined up,
/// whitespace-only text left out.
fn significant(el: dom::Element<'_>) -> Vec<Child<'_>> {
    let mut out: Vec<Child> = Vec::new();
    for c in el.children() {
        match c {
            ChildOfElement::Element(x) => out.push(Child::Element(x)),
            ChildOfElement::Text(t) => {
                if let Some(Child::Text(prev)) = out.last_mut() {
                    prev.push_str(t.text());
                } else {
                    out.push(Child::Text(t.text().to_owned()));
                }
            }
            _ => {}
        }
    }
    out.retain(|c| !matches!(c, Child::Text(t) if t.trim().is_empty()));
    out
}

enum Child<'d> {
    Element(dom::Element<'d>),
    Text(String),
}

/// `matchesXPath`.
#[derive(Debug, Clone)]
pub struct MatchesXPath {
    expression: String,
    namespaces: Vec<(String, String)>,
    sub: Option<StringMatcher>,
}

impl MatchesXPath {
    /// Parses `{"matchesXPath": "//a" | {"expression": …, matcher},
    /// "xPathNamespaces": {prefix: uri}}`.
    pub fn parse(v: &Value, obj: &Map<String, Value>, pointer: &str) -> Result<MatchesXPath> {
        let at = format!("{pointer}/matchesXPath");
        let (expression, sub) = super::expression_and_matcher(v, &at, "an XPath")?;
        match Factory::new().build(&expression) {
            Ok(Some(_)) => {}
            _ => {
                return Err(PatternError::new(
                    at,
                    format!("invalid XPath {expression:?}"),
                ));
            }
        }
        let mut namespaces = Vec::new();
        if let Some(ns) = obj.get("xPathNamespaces").filter(|v| !v.is_null()) {
            let ns_at = format!("{pointer}/xPathNamespaces");
            let ns = ns
                .as_object()
                .ok_or_else(|| PatternError::new(&ns_at, "expected {prefix: URI}"))?;
            for (prefix, uri) in ns {
                namespaces.push((
                    prefix.clone(),
                    as_str(uri, &format!("{ns_at}/{prefix}"))?.to_owned(),
                ));
            }
        }
        Ok(MatchesXPath {
            expression,
            namespaces,
            sub,
        })
    }

    /// Whether the expression selects something (that `sub` matches).
    pub fn matches(&self, doc: Option<&Document>) -> bool {
        let Some(doc) = doc else { return false };
        let Ok(Some(xpath)) = Factory::new().build(&self.expression) else {
            return false;
        };
        let mut context = Context::new();
        for (prefix, uri) in &self.namespaces {
            context.set_namespace(prefix, uri);
        }
        let document = doc.0.as_document();
        let Ok(value) = xpath.evaluate(&context, document.root()) else {
            return false;
        };
        match (value, &self.sub) {
            (sxd_xpath::Value::Nodeset(nodes), None) => nodes.size() > 0,
            (sxd_xpath::Value::Nodeset(nodes), Some(m)) => {
                nodes.iter().any(|n| m.matches(Some(&n.string_value())))
            }
            (other, None) => other.boolean(),
            (other, Some(m)) => m.matches(Some(&other.string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(s: &str) -> Document {
        Document::parse(s).unwrap()
    }

    fn equal(v: Value) -> EqualToXml {
        let obj = v.as_object().unwrap().clone();
        EqualToXml::parse(&v["equalToXml"], &obj, "").unwrap()
    }

    fn xpath(v: Value) -> MatchesXPath {
        let obj = v.as_object().unwrap().clone();
        MatchesXPath::parse(&v["matchesXPath"], &obj, "").unwrap()
    }

    #[test]
    fn equal_to_xml_ignores_attribute_order_and_whitespace() {
        let m = equal(json!({"equalToXml": "<a x=\"1\" y=\"2\"><b>t</b></a>"}));
        assert!(m.matches(Some(&doc("<a y=\"2\" x=\"1\">\n  <b>t</b>\n</a>"))));
        assert!(!m.matches(Some(&doc("<a x=\"1\" y=\"2\"><b>u</b></a>"))));
        assert!(!m.matches(None));
        let p = equal(
            json!({"equalToXml": "<a><id>${xmlunit.ignore}</id></a>", "enablePlaceholders": true}),
        );
        assert!(p.matches(Some(&doc("<a><id>42</id></a>"))));
    }

    #[test]
    fn xpath_with_namespaces_and_a_value_matcher() {
        let d = doc("<s:env xmlns:s=\"urn:s\"><s:body><n>7</n></s:body></s:env>");
        assert!(xpath(json!({"matchesXPath": "//n"})).matches(Some(&d)));
        assert!(!xpath(json!({"matchesXPath": "//m"})).matches(Some(&d)));
        assert!(
            xpath(json!({"matchesXPath": "/x:env/x:body", "xPathNamespaces": {"x": "urn:s"}}))
                .matches(Some(&d))
        );
        assert!(
            xpath(json!({"matchesXPath": {"expression": "//n/text()", "equalTo": "7"}}))
                .matches(Some(&d))
        );
        assert!(
            !xpath(json!({"matchesXPath": {"expression": "//n", "equalTo": "8"}}))
                .matches(Some(&d))
        );
    }

    #[test]
    fn nesting_depth_is_told_without_parsing() {
        assert_eq!(depth(b"<a><b/><c x='>' y=\"/>\">t</c></a>"), 2);
        assert_eq!(
            depth(b"<?xml version='1.0'?><!-- <x> --><a><![CDATA[<b>]]></a>"),
            1
        );
        assert_eq!(depth(b"<a><b><c>"), 3);
        assert_eq!(depth(b"no xml"), 0);
        for cut in [&b"<a"[..], b"<", b"<a x='>", b"</", b"<!--", b"<![CDATA["] {
            depth(cut);
        }
    }

    #[test]
    fn a_document_nested_deeper_than_the_cap_is_not_xml() {
        let nested = |n: usize| format!("{}<id>42</id>{}", "<a>".repeat(n), "</a>".repeat(n));
        assert!(Document::parse(&nested(MAX_DEPTH - 1)).is_some());
        assert!(Document::parse(&nested(9_000)).is_none());
        let m = xpath(json!({"matchesXPath": {"expression": "//id", "equalTo": "42"}}));
        assert!(m.matches(Document::parse(&nested(MAX_DEPTH - 1)).as_ref()));
        let same = equal(json!({"equalToXml": nested(MAX_DEPTH - 1)}));
        assert!(same.matches(Document::parse(&nested(MAX_DEPTH - 1)).as_ref()));
        assert!(!m.matches(Document::parse(&nested(9_000)).as_ref()));
    }

    #[test]
    fn bad_xml_and_xpath_are_refused() {
        let obj = Map::new();
        assert!(EqualToXml::parse(&json!("<a"), &obj, "").is_err());
        assert!(MatchesXPath::parse(&json!("//["), &obj, "").is_err());
    }
}
