//! The last source: nothing else took the request. A 404 that names the
//! service asked for, the services there are and the stubs that came
//! closest (near misses).

use super::{Answer, Asked, Reply, Source};
use crate::{mappings::Stubs, refusal::Refusal, routing};
use serde_json::Value;
use std::sync::Arc;

/// What a 404 needs.
pub(crate) struct NotFound {
    pub stubs: Arc<Stubs>,
}

impl Source for NotFound {
    fn reply<'a>(&'a self, asked: &'a Asked<'a>) -> Reply<'a> {
        let req = asked.req;
        let near_misses =
            |body: &mut Value| crate::mappings::add_to_not_found(&self.stubs, req, body);
        let refusal = match req.service() {
            None => Refusal::UnknownService {
                guess: asked.guess,
                known: asked.snapshot.names(),
            },
            // A service only stubs define, and none of them matched (a
            // plugin's service is answered by its routes).
            Some((name, path)) => Refusal::NoStubMatches {
                service: name,
                method: &req.method,
                path,
                stubs: self
                    .stubs
                    .list()
                    .iter()
                    .filter(|s| {
                        s.request
                            .service
                            .as_deref()
                            .is_some_and(|s| routing::same_service(s, name))
                    })
                    .filter_map(|s| s.json.get("request").cloned())
                    .collect(),
            },
        };
        Reply::Now(Answer::nothing(refusal.plan_with(near_misses)))
    }
}
