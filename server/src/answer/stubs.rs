//! Stubs as a source: the best stub for the request (in its scopes)
//! answers: its response, rendered when it is a template, or what its
//! proxy target answers (noted for recordings).

use super::{Answer, Asked, Reply, Source};
use crate::{
    journal::AnsweredBy, mappings::Stub, plan::Plan, record::Recorder, refusal::Refusal,
    request::Recorded, settings::Settings,
};
use serde_json::Value;
use std::sync::Arc;

/// What a stub's answer needs.
pub(crate) struct FromStubs {
    pub stubs: Arc<crate::mappings::Stubs>,
    pub settings: Arc<Settings>,
    /// `--global-response-templating`: every stub's response is a template.
    pub global_templating: bool,
    pub proxy: crate::proxy::Proxy,
    pub recorder: Arc<Recorder>,
}

impl Source for FromStubs {
    fn reply<'a>(&'a self, asked: &'a Asked<'a>) -> Reply<'a> {
        match self.stubs.find_scoped(asked.req, asked.scopes) {
            None => Reply::Pass,
            Some(stub) if stub.response.proxy.is_some() => {
                Reply::Later(Box::pin(self.proxied(stub, asked.req)))
            }
            Some(stub) => {
                let plan = self.plan(asked.req, &stub);
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

    /// A stub's answer to `req`: its body and headers rendered when it is a
    /// response template (500 naming the stub when rendering fails).
    fn plan(&self, req: &Recorded, stub: &Stub) -> Plan {
        let delay = self.settings.fixed_delay();
        let response = &stub.response;
        let Some(t) = response
            .template
            .as_deref()
            .filter(|t| t.applies(self.global_templating))
        else {
            return Plan::of_stub(response, delay);
        };
        let input = crate::template::Input {
            req,
            service: stub.request.service.as_deref(),
            path_template: stub
                .json
                .pointer("/request/urlPathTemplate")
                .and_then(Value::as_str),
            parameters: &t.parameters,
        };
        match t.render(&input, &response.body, &response.headers) {
            Ok((body, headers)) => Plan::of_stub_with(response, body, headers, delay),
            Err(e) => Refusal::TemplateFailed {
                stub: stub.id,
                error: e.to_string(),
            }
            .plan(),
        }
    }
}
