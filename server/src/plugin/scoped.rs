//! Plugins' state per scope: what the server tells a plugin built with an
//! SDK that keeps state per scope (`fake_servicer::Store`). Its handlers
//! are handed their request's scope (the first of the request's scopes)
//! as a last header, [`SCOPE_HEADER`]; a call that wrote in a scope counts
//! as use of it ([`STATE_WRITTEN_HEADER`], see [`Scoped`]); and when a
//! scope ends (deleted, ended as idle) or the server is reset, every
//! loaded plugin drops that state ([`forget`]). Plugins of earlier SDKs
//! are told none of it.

use super::{Service, Snapshot};
use crate::scope::Activity;
use abi_stable::std_types::{RSlice, RStr};
use fake_servicer::abi::{FfiHeader, FfiResponseHeader};
pub use fake_servicer::abi::{SCOPE_HEADER, STATE_WRITTEN_HEADER};
use std::sync::Arc;

/// The scope a plugin call is made in, for a plugin that keeps state per
/// scope.
#[derive(Clone)]
pub struct Scoped {
    /// The request's first scope.
    pub name: Arc<str>,
    /// Where a call that wrote counts as use of the scope.
    pub activity: Arc<Activity>,
}

impl Scoped {
    /// The scope of a call of `service` by a request whose first scope is
    /// `first`: none when there is none or the plugin keeps no state per
    /// scope.
    pub fn of(
        service: &Service,
        first: Option<&Arc<str>>,
        activity: &Arc<Activity>,
    ) -> Option<Scoped> {
        let name = first?;
        service.library.forget_scope?;
        Some(Scoped {
            name: name.clone(),
            activity: activity.clone(),
        })
    }

    /// The header handing the scope to the handler (last of the headers).
    pub fn header(&self) -> FfiHeader<'_> {
        FfiHeader {
            name: RStr::from_str(SCOPE_HEADER),
            value: RSlice::from_slice(self.name.as_bytes()),
        }
    }

    /// `headers`, an answer's, without the SDK's mark of a write in a
    /// scope (its last header); counts such a write as use of the scope.
    pub fn answered<'a>(&self, headers: &'a [FfiResponseHeader]) -> &'a [FfiResponseHeader] {
        match headers.split_last() {
            Some((last, rest)) if last.name.as_str() == STATE_WRITTEN_HEADER => {
                self.activity.touch(&self.name);
                rest
            }
            _ => headers,
        }
    }
}

/// Makes every plugin of `snapshot` that keeps state per scope drop the
/// state of `scope` (`None`: all of it, and its base state), off the async
/// workers: a handler may be holding the state it waits for. Returns once
/// they all have.
pub async fn forget(snapshot: Arc<Snapshot>, scope: Option<Arc<str>>) {
    if !snapshot
        .services()
        .any(|s| s.library.forget_scope.is_some())
    {
        return;
    }
    let forgotten = tokio::task::spawn_blocking(move || forget_now(&snapshot, scope.as_deref()));
    if let Err(e) = forgotten.await {
        tracing::warn!("dropping plugins' state per scope failed: {e}");
    }
}

/// [`forget`], on this thread.
pub fn forget_now(snapshot: &Snapshot, scope: Option<&str>) {
    let name = RStr::from_str(scope.unwrap_or(""));
    for service in snapshot.services() {
        if let Some(forget) = service.library.forget_scope {
            // The SDK's side catches a panic of the state's `drop`.
            forget(name);
        }
    }
}
