//! Watches (`?watch=true`, `/watch/` paths): a live stream
//! ([`crate::streams`]) of newline-delimited `{"type", "object"}` events.
//! A watch answers first what it missed (every object as `ADDED` when no
//! `resourceVersion` is given, else the history's changes after it), then
//! each change as it is made. Its stream is registered by the request path
//! after the answer is made: a watch waits here as pending until then, and
//! whatever changed meanwhile is sent when it opens (nothing is missed).

use super::{
    kinds::KindId,
    selectors::{Fields, Labels},
    store::Event,
};
use crate::request::Recorded;
use crate::streams::{Closed, Open, Streams};
use fake_servicer_wiremock::stream::Item;
use serde_json::Value;
use std::{
    sync::{Arc, Weak},
    time::Duration,
};

/// What one watch sees.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub scope: Option<Arc<str>>,
    pub kind: KindId,
    /// `None`: every namespace.
    pub namespace: Option<String>,
    pub labels: Labels,
    pub fields: Fields,
    /// `timeoutSeconds`: the watch ends after it.
    pub timeout: Option<Duration>,
}

impl Spec {
    /// Whether `object` (of `kind`, in `scope`) is one this watch sees.
    pub fn sees(&self, scope: Option<&str>, kind: KindId, object: &Value) -> bool {
        self.scope.as_deref() == scope
            && self.kind == kind
            && self.namespace.as_deref().is_none_or(|ns| {
                object
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    == Some(ns)
            })
            && self.labels.matches(object)
            && self.fields.matches(object)
    }

    /// Whether `event` is one this watch sees.
    pub fn sees_event(&self, event: &Event) -> bool {
        self.sees(event.scope.as_deref(), event.kind, &event.object)
    }
}

/// A watch whose stream is not open yet.
struct Pending {
    request: Weak<Recorded>,
    spec: Spec,
    /// Sent up to this `resourceVersion` in the answer itself.
    sent_up_to: u64,
}

/// A watch whose stream is open.
struct Live {
    open: Weak<Open>,
    spec: Spec,
}

/// The watches.
pub(crate) struct Watchers {
    streams: Arc<Streams>,
    pending: Vec<Pending>,
    live: Vec<Live>,
}

impl Watchers {
    /// No watch yet; events go to streams of `streams`.
    pub fn new(streams: Arc<Streams>) -> Watchers {
        Watchers {
            streams,
            pending: Vec::new(),
            live: Vec::new(),
        }
    }

    /// A watch answered to `request` with what changed up to `sent_up_to`:
    /// it goes live when its stream opens ([`Watchers::opened`]).
    pub fn expect(&mut self, request: &Arc<Recorded>, spec: Spec, sent_up_to: u64) {
        // Those whose request is gone never opened (refused past
        // --max-streams): forgotten.
        self.pending.retain(|p| p.request.strong_count() > 0);
        self.pending.push(Pending {
            request: Arc::downgrade(request),
            spec,
            sent_up_to,
        });
    }

    /// A stream opened: when it is a pending watch's, it goes live, and
    /// gets the changes made since its answer (`history`). Its
    /// `timeoutSeconds`, if any, is started.
    pub fn opened<'a>(&mut self, open: &Arc<Open>, history: impl Fn(u64) -> Vec<&'a Arc<Event>>) {
        let Some(at) = self
            .pending
            .iter()
            .position(|p| std::ptr::eq(p.request.as_ptr(), Arc::as_ptr(&open.request)))
        else {
            return;
        };
        let pending = self.pending.swap_remove(at);
        let missed: Vec<Item> = history(pending.sent_up_to)
            .into_iter()
            .filter(|e| pending.spec.sees_event(e))
            .map(|e| Item::Json(e.to_json()))
            .collect();
        if !missed.is_empty() && self.streams.push_to(open, &missed).is_err() {
            return;
        }
        if let Some(timeout) = pending.spec.timeout {
            let ending = Arc::downgrade(open);
            tokio::spawn(async move {
                tokio::time::sleep(timeout).await;
                if let Some(open) = ending.upgrade() {
                    open.close(Closed::Finished);
                }
            });
        }
        self.live.push(Live {
            open: Arc::downgrade(open),
            spec: pending.spec,
        });
    }

    /// Sends `event` to the watches that see it; those closed are
    /// forgotten.
    pub fn send(&mut self, event: &Event) {
        let streams = &self.streams;
        let mut item = None;
        self.live.retain(|w| {
            let Some(open) = w.open.upgrade() else {
                return false;
            };
            if !w.spec.sees_event(event) {
                return true;
            }
            let item = item.get_or_insert_with(|| [Item::Json(event.to_json())]);
            streams.push_to(&open, item).is_ok()
        });
    }

    /// `scope`'s watches end (the scope was deleted: its streams are
    /// closed by the admin call).
    pub fn forget_scope(&mut self, scope: &str) {
        self.live.retain(|w| w.spec.scope.as_deref() != Some(scope));
        self.pending
            .retain(|p| p.spec.scope.as_deref() != Some(scope));
    }

    /// Every watch ends (a reset closes every stream).
    pub fn clear(&mut self) {
        self.live.clear();
        self.pending.clear();
    }
}
