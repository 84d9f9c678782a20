//! Overrides as sources of answers. [`Arming`] takes a request whose
//! `X-Fake-Servicer-Next-Request-*` headers arm an override — an
//! admin-style write carried by a data request — and answers 202 with what
//! was armed (401 without the admin token, 400 for a bad header, 507 at a
//! cap). [`Armed`] answers a request an override was armed for, whole or
//! as a change to what the next sources answer.

use super::{Override, Overrides};
use crate::{
    answer::{Answer, Asked, Reply, Source},
    journal::AnsweredBy,
    plan::Plan,
    refusal::Refusal,
    scope::{Activity, NEXT_REQUEST_HEADER},
};
use http::StatusCode;
use std::{borrow::Cow, sync::Arc};

/// Arms the override a request's headers describe.
pub(crate) struct Arming {
    pub overrides: Arc<Overrides>,
    /// `--admin-token`: arming needs it too.
    pub admin_token: Option<Arc<str>>,
    pub scope_activity: Arc<Activity>,
}

/// Answers with the override armed for the request.
pub(crate) struct Armed {
    pub overrides: Arc<Overrides>,
}

/// The service and service-relative path an override is armed and served
/// under. A request to a service nothing names yet (no plugin, no stub)
/// uses its first path segment: `/bank/pay` arms `bank`'s `/pay`, and is
/// what a later `/bank/pay` takes, so a test can arm an answer for a service
/// that has nothing else.
fn key<'a>(asked: &'a Asked<'a>) -> Option<(Cow<'a, str>, &'a str)> {
    if let Some((service, path)) = asked.req.service() {
        return Some((Cow::Borrowed(service), path));
    }
    let guess = asked.guess?;
    let rest = asked.req.path.strip_prefix('/')?;
    let tail = rest.find('/').map_or("/", |i| &rest[i..]);
    // Most names are canonical already: no copy for them.
    let service = if guess.bytes().any(|b| b == b'-' || b.is_ascii_uppercase()) {
        Cow::Owned(crate::routing::canonical(guess))
    } else {
        Cow::Borrowed(guess)
    };
    Some((service, tail))
}

impl Source for Arming {
    fn reply<'a>(&'a self, asked: &'a Asked<'a>) -> Reply<'a> {
        let req = asked.req;
        let Some(arming) = Override::from_headers(&req.headers) else {
            return Reply::Pass;
        };
        let Some((service, path)) = key(asked) else {
            return Reply::Pass;
        };
        let service = &*service;
        if let Some(token) = &self.admin_token
            && !crate::token::authorized(&req.headers, token)
        {
            return Reply::Now(Answer::server(Refusal::ArmingUnauthorized.plan()));
        }
        let o = match arming {
            Ok(o) => o,
            Err(e) => {
                let refusal = Refusal::ArmingInvalid {
                    header: &e.header,
                    reason: &e.reason,
                };
                return Reply::Now(Answer::server(refusal.plan()));
            }
        };
        let mut description = o.describe(service, &req.method, path);
        let scope: Option<Arc<str>> = req
            .headers
            .get(NEXT_REQUEST_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Arc::from)
            .or_else(|| asked.scopes.first().cloned());
        description["armed"]["scope"] = scope.as_deref().into();
        if let Some(s) = &scope {
            self.scope_activity.touch(s);
        }
        if let Err(full) = self
            .overrides
            .arm_scoped(service, &req.method, path, scope, o)
        {
            let refusal = Refusal::ArmingFull {
                message: &full.message,
                flag: full.flag,
                cap: full.cap,
            };
            return Reply::Now(Answer::server(refusal.plan()));
        }
        Reply::Now(Answer {
            plan: Plan::json(StatusCode::ACCEPTED, &description),
            by: AnsweredBy::Armed,
            stub: None,
        })
    }
}

impl Source for Armed {
    fn reply<'a>(&'a self, asked: &'a Asked<'a>) -> Reply<'a> {
        if !self.overrides.any_armed() {
            return Reply::Pass;
        }
        let Some((service, path)) = key(asked) else {
            return Reply::Pass;
        };
        let Some(o) = self
            .overrides
            .take_scoped(&service, &asked.req.method, path, asked.scopes)
        else {
            return Reply::Pass;
        };
        let overridden = |plan| Answer {
            plan,
            by: AnsweredBy::Override,
            stub: None,
        };
        if !o.needs_base() {
            return Reply::Now(overridden(o.apply(Plan::empty(StatusCode::OK))));
        }
        // What answers next only makes the answer the override changes.
        asked
            .overridden
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Reply::Change(Box::new(move |base: Answer| overridden(o.apply(base.plan))))
    }
}
