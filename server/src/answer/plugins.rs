//! Plugin routes as a source: a request for a service a plugin provides is
//! answered by its route's handler, run by the [`Runner`] (404 for a path
//! no route has, 405 for a method the path does not take).

use super::{Answer, Asked, Reply, Source};
use crate::{
    journal::AnsweredBy,
    plan::SocketAnswer,
    plugin::{Service, scoped::Scoped},
    refusal::Refusal,
    routing::RouteMatch,
    runner::{Call, Ran, Runner},
    scope::Activity,
    streams::websocket::PluginCalls,
};
use std::sync::Arc;

/// What a plugin call needs.
pub(crate) struct FromPlugins {
    pub runner: Arc<Runner>,
    /// Where a call that wrote state in a scope counts as use of it.
    pub scope_activity: Arc<Activity>,
}

impl Source for FromPlugins {
    fn reply<'a>(&'a self, asked: &'a Asked<'a>) -> Reply<'a> {
        let Some((name, path)) = asked.req.service() else {
            return Reply::Pass;
        };
        let Some(service) = asked.snapshot.get(name) else {
            return Reply::Pass;
        };
        let method = &asked.req.method;
        let (route, params) = match service.library.routes.find(method, path) {
            RouteMatch::Found { route, params } => (route, params),
            RouteMatch::NotFound => {
                let routes = route_list(service);
                let refusal = Refusal::NoRoute {
                    service: &service.name,
                    method,
                    path,
                    routes,
                };
                return Reply::Now(Answer::nothing(refusal.plan()));
            }
            RouteMatch::MethodNotAllowed(allowed) => {
                let refusal = Refusal::MethodNotAllowed {
                    service: &service.name,
                    method,
                    path,
                    allowed: allowed.iter().map(|m| m.as_str()).collect(),
                };
                return Reply::Now(Answer::nothing(refusal.plan()));
            }
        };
        // A WebSocket's handshake: its messages call the route again.
        let scope = Scoped::of(service, asked.scopes.first(), &self.scope_activity);
        let handshake = asked
            .websocket
            .then(|| (asked.req.clone(), params.clone(), scope.clone()));
        let call = Call {
            service: service.clone(),
            handler: route.handler,
            request: match asked.wire_body {
                Some(body) => Arc::new(crate::request::Recorded {
                    body: body.clone(),
                    ..(**asked.req).clone()
                }),
                None => asked.req.clone(),
            },
            params,
            scope,
        };
        Reply::Later(Box::pin(async move {
            let ran = self.runner.run(call, route, asked.conn).await;
            let failed = |error| Refusal::HandlerFailed {
                service: &service.name,
                route: &route.label,
                error,
            };
            let plan = match ran {
                Ran::Returned(Ok(mut plan)) => {
                    if let crate::plan::PlanBody::WebSocket(SocketAnswer::Plugin { calls, .. }) =
                        &mut plan.body
                        && let Some((request, params, scope)) = handshake
                    {
                        *calls = Some(Arc::new(PluginCalls {
                            runner: self.runner.clone(),
                            service: service.clone(),
                            route: route.clone(),
                            request,
                            params,
                            scope,
                        }));
                    }
                    plan
                }
                Ran::Returned(Err(msg)) | Ran::Failed(msg) => failed(msg).plan(),
                Ran::TimedOut => Refusal::HandlerTimedOut {
                    service: &service.name,
                    route: &route.label,
                    timeout: self.runner.timeout(),
                }
                .plan(),
            };
            Answer {
                plan,
                by: AnsweredBy::Plugin {
                    route: route.label.clone(),
                    generation: service.generation,
                },
                stub: None,
            }
        }))
    }
}

fn route_list(service: &Service) -> Vec<String> {
    service
        .library
        .routes
        .routes()
        .iter()
        .map(|r| r.label.to_string())
        .collect()
}
