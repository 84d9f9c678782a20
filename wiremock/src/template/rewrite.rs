//! Paths in a compiled template made to fit the model, once, at compile
//! time — WireMock's model answers some paths the JSON model cannot (below
//! `request`, and below `originalRequest` in webhooks):
//!
//! - `request.headers.X-Name` — header names are lowered (they are
//!   case-insensitive, the model's keys are lower case);
//! - `request.path.[n]` is `request.pathSegments.[n]`, `request.path.name`
//!   is `request.pathParameters.name`;
//! - `{{request.query.x}}` (also `headers`, `cookies`) written directly
//!   writes the first value (the model holds lists), as does `.first`;
//! - `{{request.pathSegments}}` written directly writes the path.

use handlebars::template::{Parameter, TemplateElement};
use handlebars::{Path, PathSeg, Template};

/// Rewrites every path of `t`.
pub fn template(t: &mut Template) {
    for e in &mut t.elements {
        element(e, true);
    }
}

fn element(e: &mut TemplateElement, top: bool) {
    match e {
        TemplateElement::Expression(h)
        | TemplateElement::HtmlExpression(h)
        | TemplateElement::HelperBlock(h) => {
            let direct =
                top && h.params.is_empty() && h.hash.is_empty() && !h.block && h.template.is_none();
            parameter(&mut h.name, direct);
            for p in &mut h.params {
                parameter(p, false);
            }
            for p in h.hash.values_mut() {
                parameter(p, false);
            }
            for t in [&mut h.template, &mut h.inverse].into_iter().flatten() {
                template(t);
            }
        }
        TemplateElement::DecoratorExpression(d)
        | TemplateElement::DecoratorBlock(d)
        | TemplateElement::PartialExpression(d)
        | TemplateElement::PartialBlock(d) => {
            for p in &mut d.params {
                parameter(p, false);
            }
            for p in d.hash.values_mut() {
                parameter(p, false);
            }
            if let Some(t) = &mut d.template {
                template(t);
            }
        }
        _ => {}
    }
}

fn parameter(p: &mut Parameter, direct: bool) {
    match p {
        Parameter::Path(path) => {
            if let Some(new) = rewritten(path, direct) {
                *path = new;
            }
        }
        Parameter::Subexpression(s) => element(&mut s.element, false),
        _ => {}
    }
}

/// The path to use instead of `path`, if any.
fn rewritten(path: &Path, direct: bool) -> Option<Path> {
    let Path::Relative((segs, _)) = path else {
        return None;
    };
    let mut names: Vec<String> = segs
        .iter()
        .map(|s| match s {
            PathSeg::Named(n) => Some(n.clone()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    // `originalRequest`: the same model, as webhooks name it.
    if !matches!(
        names.first().map(String::as_str),
        Some("request" | "originalRequest")
    ) {
        return None;
    }
    let before = names.clone();
    match names.get(1).map(String::as_str) {
        Some("headers") => {
            if let Some(n) = names.get_mut(2) {
                *n = n.to_ascii_lowercase();
            }
        }
        Some("path") if names.len() > 2 => {
            let index = names[2].bytes().all(|b| b.is_ascii_digit());
            names[1] = if index {
                "pathSegments"
            } else {
                "pathParameters"
            }
            .to_owned();
        }
        Some("pathSegments") if names.len() == 2 && direct => names[1] = "path".to_owned(),
        _ => {}
    }
    if matches!(
        names.get(1).map(String::as_str),
        Some("query" | "headers" | "cookies")
    ) {
        if names.get(3).map(String::as_str) == Some("first") {
            names[3] = "0".to_owned();
        } else if names.len() == 3 && direct {
            names.push("0".to_owned());
        }
    }
    if names == before {
        return None;
    }
    let raw: Vec<String> = names.iter().map(|n| format!("[{n}]")).collect();
    Path::parse(&raw.join(".")).ok()
}
