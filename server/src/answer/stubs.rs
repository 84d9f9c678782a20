//! Stubs as a source: the best stub for the request (in its scopes)
//! answers: its response, rendered when it is a template, or what its
//! proxy target answers (noted for recordings).

use super::{Answer, Asked, Reply, Source};
use crate::{
    journal::AnsweredBy, mappings::Stub, plan::Plan, record::Recorder, refusal::Refusal,
    request::Recorded, settings::Settings,
};
use std::sync::Arc;

/// What a stub's answer needs.
pub(crate) struct FromStubs {
    pub stubs: Arc<crate::mappings::Stubs>,
    pub settings: Arc<Settings>,
    /// Which stubs' responses are templates.
    pub templating: crate::template::Templating,
    pub proxy: crate::proxy::Proxy,
    pub recorder: Arc<Recorder>,
    /// `--cpu-budget-ms`: the longest one answer's templates may render.
    pub budget: std::time::Duration,
    /// Where `bodyFileName` bodies are read from.
    pub files: Arc<crate::body_files::BodyFiles>,
}

impl Source for FromStubs {
    fn reply<'a>(&'a self, asked: &'a Asked<'a>) -> Reply<'a> {
        match self.stubs.find_scoped(asked.req, asked.scopes) {
            None => Reply::Pass,
            Some(stub) if stub.response.proxy.is_some() => {
                Reply::Later(Box::pin(self.proxied(stub, asked.req)))
            }
            Some(stub)
                if applied_template(&stub, self.templating).is_some()
                    || stub.response.body_file.is_some() =>
            {
                Reply::Later(Box::pin(self.rendered(stub, asked.req)))
            }
            Some(stub) => {
                let plan = Plan::of_stub(&stub.response, self.settings.fixed_delay());
                Reply::Now(answered(&stub, plan))
            }
        }
    }
}

fn answered(stub: &Arc<Stub>, plan: Plan) -> Answer {
    Answer {
        plan,
        by: AnsweredBy::Stub(stub.id),
        stub: Some(Arc::downgrade(stub)),
    }
}

impl FromStubs {
    /// The answer of a proxying stub: what its target answers.
    async fn proxied(&self, stub: Arc<Stub>, req: &Recorded) -> Answer {
        let fixed = self.settings.fixed_delay();
        let plan = match &stub.response.proxy {
            Some(spec) => {
                let note = |up: &crate::proxy::Upstream| self.recorder.note(req, up);
                self.proxy.answer(&stub, spec, req, fixed, note).await
            }
            None => Plan::of_stub(&stub.response, fixed),
        };
        answered(&stub, plan)
    }

    /// The answer of a templated stub or one with a body file, made off
    /// the async workers within the CPU budget (see [`crate::offload`]).
    async fn rendered(&self, stub: Arc<Stub>, req: &Recorded) -> Answer {
        let delay = self.settings.fixed_delay();
        let (req, on_pool) = (req.clone(), Arc::clone(&stub));
        let (mode, files) = (self.templating, Arc::clone(&self.files));
        let making = crate::offload::run(self.budget, move || {
            let stub = on_pool;
            let response = &stub.response;
            let templating = applied_template(&stub, mode).map(|t| {
                let input = crate::template::Input {
                    req: &req,
                    service: stub.request.service.as_deref(),
                    path_template: stub.request.template().map(|t| t.source()),
                    parameters: &t.parameters,
                };
                (t, input)
            });
            let (mut body, headers) = match &templating {
                Some((t, input)) => t
                    .render(input, &response.body, &response.headers)
                    .map_err(|e| ("response template", e))?,
                None => (response.body.clone(), response.headers.clone()),
            };
            if let Some(file) = &response.body_file {
                let templating = templating.as_ref().map(|(t, input)| (*t, input));
                body = body_file(&files, &file.name, templating)?;
            }
            let mut plan = Plan::of_stub_with(response, body, headers, delay);
            if let (Some(stream), Some((t, input))) = (&response.stream, &templating)
                && stream.templated
            {
                plan.body = crate::plan::PlanBody::Stream(Arc::new(
                    stream
                        .rendered(&|s| t.render_text(input, s))
                        .map_err(|e| ("stream item", e))?,
                ));
            }
            Ok(plan)
        });
        let plan = making
            .await
            .unwrap_or_else(|e| Err(("response", e)))
            .unwrap_or_else(|(part, error)| {
                Refusal::StubFailed {
                    stub: stub.id,
                    part,
                    error,
                }
                .plan()
            });
        answered(&stub, plan)
    }
}

/// The response template `stub` answers with under `mode`, if any.
fn applied_template(
    stub: &Stub,
    mode: crate::template::Templating,
) -> Option<&crate::template::ResponseTemplate> {
    stub.response
        .template
        .as_deref()
        .filter(|t| t.applies(mode))
}

/// The body of a stub's body file `name`: with templating on, the name and
/// the file's text rendered first.
fn body_file(
    files: &crate::body_files::BodyFiles,
    name: &str,
    templating: Option<(&crate::template::ResponseTemplate, &crate::template::Input)>,
) -> Result<bytes::Bytes, (&'static str, String)> {
    let name = match templating {
        Some((t, input)) => t
            .render_text(input, name)
            .map_err(|e| ("body file name", e))?,
        None => name.to_owned(),
    };
    let bytes = files.read(&name).map_err(|e| ("body file", e))?;
    match (templating, std::str::from_utf8(&bytes)) {
        (Some((t, input)), Ok(text)) => t
            .render_text(input, text)
            .map(bytes::Bytes::from)
            .map_err(|e| ("body file template", e)),
        _ => Ok(bytes),
    }
}
