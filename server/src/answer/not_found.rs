//! The last source: nothing else took the request. A 404 that names the
//! service asked for, the services there are and the stubs that came
//! closest (near misses, ranked off the async workers within the CPU
//! budget: see [`crate::offload`]).

use super::{Answer, Asked, Reply, Source};
use crate::{mappings::Stubs, refusal::Refusal, routing};
use std::{sync::Arc, time::Duration};

/// What a 404 needs.
pub(crate) struct NotFound {
    pub stubs: Arc<Stubs>,
    /// `--cpu-budget-ms`: the longest the near misses may take to rank.
    pub budget: Duration,
}

impl Source for NotFound {
    fn reply<'a>(&'a self, asked: &'a Asked<'a>) -> Reply<'a> {
        if self.stubs.is_empty() {
            return Reply::Now(Answer::nothing(refusal(self, asked).plan()));
        }
        Reply::Later(Box::pin(async move {
            let (stubs, req) = (Arc::clone(&self.stubs), asked.req.clone());
            let scopes = asked.scopes.clone();
            let fields = crate::offload::run(self.budget, move || {
                crate::mappings::not_found_fields(&stubs, &req, &scopes)
            })
            .await
            .unwrap_or_default();
            let plan = refusal(self, asked).plan_with(|body| {
                if let Some(obj) = body.as_object_mut() {
                    obj.extend(fields);
                }
            });
            Answer::nothing(plan)
        }))
    }
}

/// The 404 for `asked`, without near misses.
fn refusal<'a>(not_found: &NotFound, asked: &'a Asked<'a>) -> Refusal<'a> {
    let req = asked.req;
    match req.service() {
        None => Refusal::UnknownService {
            guess: asked.guess,
            known: asked.snapshot.names(),
        },
        // A service only stubs define, and none of them matched (a plugin's
        // service is answered by its routes).
        Some((name, path)) => Refusal::NoStubMatches {
            service: name,
            method: &req.method,
            path,
            stubs: not_found
                .stubs
                .list()
                .iter()
                .filter(|s| {
                    s.request
                        .service
                        .as_deref()
                        .is_some_and(|s| routing::same_service(s, name))
                        && asked.scopes.admits(s.scope.as_deref())
                })
                .filter_map(|s| s.json.get("request").cloned())
                .collect(),
        },
    }
}
