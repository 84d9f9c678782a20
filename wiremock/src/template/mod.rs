//! WireMock's response templating: a stub whose response names the
//! `response-template` transformer (or every stub, with
//! `--global-response-templating`) has its body and header values rendered
//! as Handlebars templates against the request.
//!
//! Templates are compiled once, when the stub is parsed; a stub whose body
//! and headers hold no `{{` has no template and pays nothing.

mod budget;
mod helpers;
mod model;
mod now;
mod random;
mod rewrite;

use crate::request::Recorded;
use handlebars::{Context, Handlebars, Output, RenderContext, Renderable, Template};
use serde_json::Value;
use std::sync::LazyLock;

/// The transformer name that turns templating on for one stub.
pub const TRANSFORMER: &str = "response-template";

/// Most bytes one rendered body or header value may hold: a render that
/// writes more fails (500) rather than growing without bound.
pub const MAX_OUTPUT_BYTES: usize = 16 * 1024 * 1024;

/// The registry every template renders with: WireMock's helpers, no HTML
/// escaping (WireMock writes values as they are).
static REGISTRY: LazyLock<Handlebars<'static>> = LazyLock::new(|| {
    let mut r = Handlebars::new();
    r.register_escape_fn(handlebars::no_escape);
    helpers::register(&mut r);
    budget::register(&mut r);
    r
});

/// One compiled template.
#[derive(Debug, Clone)]
pub struct Compiled(Template);

impl Compiled {
    /// Compiles `source`; `None` when it holds no `{{` (nothing to render).
    pub fn new(source: &str) -> Result<Option<Compiled>, String> {
        if !source.contains("{{") {
            return Ok(None);
        }
        check_nesting(source)?;
        let mut t = Template::compile(source).map_err(|e| e.to_string())?;
        rewrite::template(&mut t);
        budget::guard(&mut t);
        Ok(Some(Compiled(t)))
    }

    /// Renders against `data` (the model of [`Input::model`]).
    pub fn render(&self, data: &Context) -> Result<String, String> {
        let mut out = Bounded(String::new());
        let mut rc = RenderContext::new(None);
        self.0
            .render(&REGISTRY, data, &mut rc, &mut out)
            .map_err(|e| render_error(&e))?;
        Ok(out.0)
    }
}

/// Deepest nesting of blocks and subexpressions a template may have:
/// rendering recurses once per level, on a worker thread's stack.
pub const MAX_NESTING: usize = 64;

/// Refuses a template nested deeper than [`MAX_NESTING`] (blocks opened by
/// `{{#`/`{{^` and not yet closed, plus parentheses open in the current
/// `{{…}}`), before the parser or the renderer recurses that deep.
fn check_nesting(source: &str) -> Result<(), String> {
    let mut blocks = 0usize;
    let mut rest = source;
    while let Some(start) = rest.find("{{") {
        let tag = rest[start + 2..].trim_start_matches(['{', '~']);
        let end = tag.find("}}").unwrap_or(tag.len());
        let body = &tag[..end];
        match body.as_bytes().first() {
            Some(b'#' | b'^') => blocks += 1,
            Some(b'/') => blocks = blocks.saturating_sub(1),
            _ => {}
        }
        let mut parens = 0usize;
        let mut deepest = 0usize;
        for b in body.bytes() {
            match b {
                b'(' => {
                    parens += 1;
                    deepest = deepest.max(parens);
                }
                b')' => parens = parens.saturating_sub(1),
                _ => {}
            }
        }
        if blocks + deepest > MAX_NESTING {
            return Err(format!(
                "the template nests blocks and subexpressions more than {MAX_NESTING} deep"
            ));
        }
        rest = &tag[end..];
    }
    Ok(())
}

/// A render error as one line: the reason and, when known, where.
fn render_error(e: &handlebars::RenderError) -> String {
    let mut s = e.reason().to_string();
    if let (Some(line), Some(col)) = (e.line_no, e.column_no) {
        s.push_str(&format!(" (line {line}, column {col})"));
    }
    s
}

/// A string output that refuses to grow past [`MAX_OUTPUT_BYTES`].
struct Bounded(String);

impl Output for Bounded {
    fn write(&mut self, seg: &str) -> Result<(), std::io::Error> {
        budget::check().map_err(std::io::Error::other)?;
        if self.0.len() + seg.len() > MAX_OUTPUT_BYTES {
            return Err(std::io::Error::other(format!(
                "the rendered template is larger than {MAX_OUTPUT_BYTES} bytes"
            )));
        }
        self.0.push_str(seg);
        Ok(())
    }
}

/// What a template sees: the request, and the stub facts the model needs.
pub struct Input<'a> {
    pub req: &'a Recorded,
    /// The stub's `service`: paths are then service-relative.
    pub service: Option<&'a str>,
    /// The stub's `urlPathTemplate`, for path parameters.
    pub path_template: Option<&'a str>,
    /// The stub's `transformerParameters` (`parameters.x`).
    pub parameters: &'a Value,
}

impl Input<'_> {
    /// The render context: `{request: …, parameters: …}`; `base64`: with
    /// `request.bodyAsBase64`.
    pub fn model(&self, base64: bool) -> Context {
        let data = serde_json::json!({
            "request": model::request(self, base64),
            "parameters": self.parameters,
        });
        Context::from(data)
    }

    /// A webhook's render context: `{originalRequest: …, parameters: …}`
    /// (`parameters`: the webhook's own), as WireMock's webhooks see it.
    pub fn webhook_model(&self, base64: bool) -> Context {
        let data = serde_json::json!({
            "originalRequest": model::request(self, base64),
            "parameters": self.parameters,
        });
        Context::from(data)
    }
}

#[cfg(test)]
mod tests;

/// A stub response's templates: its body and the header values that hold
/// one.
#[derive(Debug)]
pub struct ResponseTemplate {
    /// The stub names the `response-template` transformer: rendered with
    /// or without the global flag.
    pub always: bool,
    /// The compiled parts; for a stub that does not name the transformer, why
    /// they do not compile (told when the global flag renders them).
    parts: Result<Parts, String>,
    /// `transformerParameters`, as `parameters` in the model.
    pub parameters: Value,
    /// Whether a template names `bodyAsBase64` (else the model leaves it
    /// out rather than encode every body).
    base64: bool,
}

#[derive(Debug)]
struct Parts {
    body: Option<Compiled>,
    /// Index into the stub's headers, and that value's template.
    headers: Vec<(usize, Compiled)>,
}

/// A rendered body and header list.
pub type Rendered = (bytes::Bytes, Vec<(http::HeaderName, http::HeaderValue)>);

/// Which stubs' answers are rendered as templates (WireMock's
/// `--local-response-templating`, `--global-response-templating`,
/// `--disable-response-templating`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Templating {
    /// None: templates are sent as written.
    Off,
    /// Those whose response names the `response-template` transformer.
    #[default]
    Local,
    /// Every stub's.
    Global,
}

impl ResponseTemplate {
    /// Compiles a response's templates. `body_at` is the body field's
    /// pointer (`/response/body`, `/response/jsonBody`), `None` for a body
    /// that is not templated. `None` when nothing holds `{{`; a template
    /// that does not compile is an error (pointer, reason) when `always`.
    pub fn build(
        body: Option<(&str, &str)>,
        headers: &[(http::HeaderName, http::HeaderValue)],
        body_file: bool,
        always: bool,
        parameters: Value,
    ) -> Result<Option<ResponseTemplate>, (String, String)> {
        let parts = (|| {
            let body = match body {
                Some((at, text)) => Compiled::new(text).map_err(|e| (at.to_owned(), e))?,
                None => None,
            };
            let mut compiled = Vec::new();
            for (i, (name, value)) in headers.iter().enumerate() {
                let at = || format!("/response/headers/{name}");
                // A value that is not text holds no template.
                let Ok(text) = std::str::from_utf8(value.as_bytes()) else {
                    continue;
                };
                if let Some(c) = Compiled::new(text).map_err(|e| (at(), e))? {
                    compiled.push((i, c));
                }
            }
            Ok(Parts {
                body,
                headers: compiled,
            })
        })();
        let base64 = body.is_some_and(|(_, b)| b.contains("bodyAsBase64"))
            || headers
                .iter()
                .any(|(_, v)| v.as_bytes().windows(12).any(|w| w == b"bodyAsBase64"));
        match parts {
            Ok(p) if p.body.is_none() && p.headers.is_empty() && !body_file => Ok(None),
            Ok(p) => Ok(Some(ResponseTemplate {
                always,
                parts: Ok(p),
                parameters,
                base64,
            })),
            Err(e) if always => Err(e),
            Err((at, e)) => Ok(Some(ResponseTemplate {
                always,
                parts: Err(format!("{at}: {e}")),
                parameters,
                base64,
            })),
        }
    }

    /// `source` (a body file's name or text) rendered for one request.
    pub fn render_text(&self, input: &Input, source: &str) -> Result<String, String> {
        match Compiled::new(source)? {
            Some(t) => t.render(&input.model(source.contains("bodyAsBase64"))),
            None => Ok(source.to_owned()),
        }
    }

    /// Whether this answer is rendered under `mode`.
    pub fn applies(&self, mode: Templating) -> bool {
        match mode {
            Templating::Off => false,
            Templating::Local => self.always,
            Templating::Global => true,
        }
    }

    /// The body and headers for one request; `body` and `headers` are the
    /// stub's, kept where they hold no template. Run within a CPU budget
    /// ([`fake_servicer_core::budget::within`]), rendering stops with an
    /// error at its deadline.
    pub fn render(
        &self,
        input: &Input,
        body: &bytes::Bytes,
        headers: &[(http::HeaderName, http::HeaderValue)],
    ) -> Result<Rendered, String> {
        let parts = self.parts.as_ref().map_err(Clone::clone)?;
        let model = input.model(self.base64);
        let body = match &parts.body {
            Some(t) => bytes::Bytes::from(t.render(&model)?),
            None => body.clone(),
        };
        let mut headers = headers.to_vec();
        for (i, t) in &parts.headers {
            if let Some((name, value)) = headers.get_mut(*i) {
                let text = t
                    .render(&model)
                    .map_err(|e| format!("header {name}: {e}"))?;
                *value = http::HeaderValue::from_bytes(text.as_bytes()).map_err(|_| {
                    format!("header {name}: the rendered value is not a valid header value")
                })?;
            }
        }
        Ok((body, headers))
    }
}
