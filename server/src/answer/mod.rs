//! The seam every kind of answer plugs into. The dispatcher hands each
//! request to an ordered list of [`Source`]s; the first that takes it
//! answers. The list, built once where the server starts:
//!
//! 1. a request this server proxied to itself, stopped with a 508
//!    ([`loops`]);
//! 2. arming a next-request override (a request whose headers arm one is
//!    answered 202) and 3. an armed override (`crate::overrides::source`);
//! 4. a stub ([`stubs`]); 5. a declared resource
//!    ([`crate::resources::source`]); 6. with `--kubernetes`, the
//!    Kubernetes API (`crate::kubernetes`); 7. a plugin route
//!    ([`plugins`]); 8. the 404 naming what came closest ([`not_found`]).
//!
//! A new kind of answer (gRPC methods, streams, stateful resources) is one
//! module implementing [`Source`] and one line in that list. Error answers
//! of the request path are typed values in [`crate::refusal`]. A source sees
//! the request and its scopes ([`Asked`]) and passes, answers now, answers
//! later (a plugin call, a proxied upstream), or changes what the sources
//! after it answer (an override that keeps the rest of the answer).

pub(crate) mod loops;
pub(crate) mod not_found;
pub(crate) mod plugins;
pub(crate) mod stubs;

use crate::{
    conn::Conn, journal::AnsweredBy, mappings::Stub, plan::Plan, plugin::Snapshot,
    request::Recorded, scope::Scopes,
};
use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Weak},
};

/// What a source is asked about: the request, its scopes, the services as
/// they are for this request, the connection, and routing's guess at the
/// service when the request named none that is known.
pub(crate) struct Asked<'a> {
    pub req: &'a Arc<Recorded>,
    pub scopes: &'a Scopes,
    pub snapshot: &'a Snapshot,
    pub conn: Option<&'a Conn>,
    pub guess: Option<&'a str>,
    /// The body as it came when `req.body` holds it decoded (a gRPC call's
    /// messages as JSON): what a plugin is handed.
    pub wire_body: Option<&'a bytes::Bytes>,
    /// Whether the request asks for a WebSocket (its handshake).
    pub websocket: bool,
    /// Set by an armed next-request override that answers in place of
    /// the sources after it: those answer as they would, without side
    /// effects (a declared resource does not make the write).
    pub overridden: std::sync::atomic::AtomicBool,
}

impl Asked<'_> {
    /// Whether an armed override answers this request (see
    /// [`Asked::overridden`]).
    pub fn is_overridden(&self) -> bool {
        self.overridden.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// An answer and who gave it.
pub(crate) struct Answer {
    pub plan: Plan,
    pub by: AnsweredBy,
    /// The stub that answered, for the journal (shared, not copied).
    pub stub: Option<Weak<Stub>>,
}

impl Answer {
    /// An answer of the server itself (a refusal, an acknowledgement).
    pub fn server(plan: Plan) -> Answer {
        Answer {
            plan,
            by: AnsweredBy::Server,
            stub: None,
        }
    }

    /// The answer when nothing answers (404 and its like).
    pub fn nothing(plan: Plan) -> Answer {
        Answer {
            plan,
            by: AnsweredBy::Nothing,
            stub: None,
        }
    }
}

/// An answer still to come.
pub(crate) type Pending<'a> = Pin<Box<dyn Future<Output = Answer> + Send + 'a>>;

/// A change to what the sources after a source answer.
pub(crate) type Change<'a> = Box<dyn FnOnce(Answer) -> Answer + Send + 'a>;

/// What a source makes of a request.
pub(crate) enum Reply<'a> {
    /// Not this source's: the next one is asked.
    Pass,
    /// The answer.
    Now(Answer),
    /// The answer, once this future is done.
    Later(Pending<'a>),
    /// The next sources answer; this changes their answer.
    Change(Change<'a>),
}

/// One kind of answer.
pub(crate) trait Source: Send + Sync {
    /// Passes, or takes the request.
    fn reply<'a>(&'a self, asked: &'a Asked<'a>) -> Reply<'a>;
}

/// The sources, in the order they are asked.
pub(crate) struct Sources(Vec<Box<dyn Source>>);

impl Sources {
    /// The sources in the order given: the first that takes a request
    /// answers it. The server builds the list (`Server::start`).
    pub fn new(list: Vec<Box<dyn Source>>) -> Sources {
        Sources(list)
    }

    /// The answer of the first source that takes the request, changed by
    /// those before it that asked to.
    pub async fn answer(&self, asked: &Asked<'_>) -> Answer {
        let mut changes: Vec<Change<'_>> = Vec::new();
        for source in &self.0 {
            let answer = match source.reply(asked) {
                Reply::Pass => continue,
                Reply::Now(answer) => answer,
                Reply::Later(pending) => pending.await,
                Reply::Change(change) => {
                    changes.push(change);
                    continue;
                }
            };
            return changes
                .into_iter()
                .rev()
                .fold(answer, |a, change| change(a));
        }
        let last = Answer::nothing(crate::refusal::Refusal::NoSource.plan());
        changes.into_iter().rev().fold(last, |a, change| change(a))
    }
}
