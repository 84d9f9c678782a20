//! One journal entry: the request (its text packed), how it was answered,
//! and what it costs. WireMock's JSON of it is written at the admin edge
//! (`admin::serve_events`).

use super::{MAX_BODY, packed};
use crate::mappings::Stub;
use crate::request::Recorded;
use std::{
    mem::size_of,
    sync::{Arc, Weak},
    time::{Duration, SystemTime},
};
use uuid::Uuid;

/// What answered a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnsweredBy {
    /// A next-request override armed by headers.
    Override,
    /// The request armed an override (answered 202).
    Armed,
    /// A stub mapping.
    Stub(Uuid),
    /// A plugin route.
    Plugin {
        route: std::sync::Arc<str>,
        generation: u64,
    },
    /// A stateful resource: a declared collection (`api` `resource`) or
    /// the Kubernetes API (`api` `kubernetes`), with the resource's name
    /// and the verb (`list`, `get`, `create`, `update`, `patch`, `delete`,
    /// `watch`).
    Resource {
        api: &'static str,
        resource: std::sync::Arc<str>,
        verb: &'static str,
    },
    /// The server itself (a rejection such as 413 or 400).
    Server,
    /// Nothing: unknown service or route.
    Nothing,
    /// No answer was made: the client closed the connection while it was
    /// being made (journaled with the status 499).
    Abandoned,
}

/// What was sent back, as WireMock's serve events show it (with the
/// headers, which the entry keeps packed): the body (shared with the plan
/// when it is already `Bytes`; kept truncated to [`MAX_BODY`]) and the
/// fault acted out instead, if any.
#[derive(Debug, Clone, Default)]
pub struct Responded {
    pub body: bytes::Bytes,
    pub fault: Option<crate::fault::Fault>,
}

impl Responded {
    /// What `plan` sends besides its headers: its body, shared (a chunked
    /// body joined), and its fault.
    pub fn of(plan: &crate::plan::Plan) -> Responded {
        let body = plan.body.first_bytes(MAX_BODY);
        Responded {
            body,
            fault: plan.fault,
        }
    }
}

/// How a request was answered.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: u16,
    /// What was sent (empty when the journal is disabled).
    pub response: Responded,
    pub answered_by: AnsweredBy,
    /// The stub that answered, if one did: shown while it exists.
    pub stub: Option<Weak<Stub>>,
    /// Time to decide the answer (handler included), delays excluded.
    pub process_time: Duration,
    /// Delay added before the answer.
    pub added_delay: Duration,
}

/// One journal entry: the request (its text packed, see [`packed`]; read
/// it whole with [`Entry::request`]) and how it was answered.
pub struct Entry {
    pub seq: u64,
    pub id: Uuid,
    pub(super) method: http::Method,
    /// Path, query, the request's headers and the answer's.
    pub(super) text: packed::Text,
    pub(super) body: bytes::Bytes,
    pub(super) service: Option<(Arc<str>, usize)>,
    pub(super) client: Option<std::net::SocketAddr>,
    pub(super) received_at: SystemTime,
    pub(super) version: http::Version,
    pub(super) secure: bool,
    pub outcome: Outcome,
    /// The scopes the request carried.
    pub scopes: crate::scope::Scopes,
    pub(super) bytes: usize,
    /// How many waits list this entry (see [`super::waits`]): its bytes
    /// count against what waits keep once, however many list it.
    pub(super) listed_by_waits: std::sync::atomic::AtomicU32,
    /// What happened after the answer (webhooks), added as it comes; none
    /// allocated for most entries.
    pub(super) sub_events: std::sync::OnceLock<Box<std::sync::Mutex<super::sub_events::List>>>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("seq", &self.seq)
            .field("id", &self.id)
            .field("method", &self.method)
            .field("path", &self.text.path())
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

impl Entry {
    /// Asks the CPU to bring what dropping this entry reads into its
    /// caches: its packed text and its answer's body (with the header just
    /// before a body that shares its allocation).
    pub(super) fn prefetch_pieces(&self) {
        let (start, len) = self.text.span();
        prefetch(start, len.min(128));
        let body = &self.outcome.response.body;
        if !body.is_empty() {
            prefetch(body.as_ptr().wrapping_sub(32), 64);
        }
    }

    /// The request, unpacked.
    pub fn request(&self) -> Recorded {
        Recorded {
            method: self.method.clone(),
            path: self.text.path().into(),
            query: self.text.query().map(Into::into),
            headers: self.text.request_headers(),
            body: self.body.clone(),
            service: self.service.clone(),
            client: self.client,
            received_at: self.received_at,
            version: self.version,
            secure: self.secure,
        }
    }

    pub fn method(&self) -> &http::Method {
        &self.method
    }

    /// The path as received.
    pub fn path(&self) -> &str {
        self.text.path()
    }

    /// The service the request resolved to, and where in the path the
    /// path relative to it starts.
    pub fn resolved(&self) -> Option<&(Arc<str>, usize)> {
        self.service.as_ref()
    }

    pub fn received_at(&self) -> SystemTime {
        self.received_at
    }

    /// Whether something answered (a stub, an override or a plugin route).
    pub fn was_matched(&self) -> bool {
        !matches!(self.outcome.answered_by, AnsweredBy::Nothing)
    }

    /// The headers the answer was sent with, as kept.
    pub fn answer_headers(&self) -> packed::Headers<'_> {
        self.text.answer_headers()
    }

    /// Whether the request carried `scope` (`None`: every entry).
    pub fn in_scope(&self, scope: Option<&str>) -> bool {
        scope.is_none_or(|s| self.scopes.contains(s))
    }

    /// The stub that answered, while it exists.
    pub fn stub(&self) -> Option<Arc<Stub>> {
        self.outcome.stub.as_ref().and_then(Weak::upgrade)
    }

    /// What happened after the answer, in order.
    pub fn sub_events(&self) -> Vec<super::SubEvent> {
        self.sub_events
            .get()
            .map(|list| crate::sync::lock(list).events.clone())
            .unwrap_or_default()
    }

    /// The bytes the journal charges for it: its own and its sub events'.
    pub(super) fn charged(&self) -> usize {
        self.bytes
            + self
                .sub_events
                .get()
                .map_or(0, |list| crate::sync::lock(list).bytes)
    }
}

/// The bytes an entry keeps: its packed text (path, query, headers), the
/// request's and the answer's bodies, and the fixed part (the entry, its
/// reference counts, the ring slot, and the stub it refers to, whose
/// memory a removed stub leaves until the entry goes).
pub(super) fn charge(text: &packed::Text, body: &bytes::Bytes, outcome: &Outcome) -> usize {
    const COUNTS: usize = 2 * size_of::<usize>();
    const FIXED: usize = size_of::<Entry>() + COUNTS + size_of::<Arc<Entry>>();
    let stub = if outcome.stub.is_some() {
        size_of::<Stub>() + COUNTS
    } else {
        0
    };
    FIXED + stub + text.len() + body.len() + outcome.response.body.len()
}

/// Asks the CPU to bring `entry` into its caches, ahead of its shard
/// dropping it on one of its next records: a few dozen requests from now,
/// while the entry was written `--journal-size` requests ago.
pub(super) fn prefetch_entry(entry: &Arc<Entry>) {
    // The reference counts come first, just before the entry.
    const COUNTS: usize = 2 * size_of::<usize>();
    let start = Arc::as_ptr(entry).cast::<u8>().wrapping_sub(COUNTS);
    prefetch(start, COUNTS + size_of::<Entry>());
}

/// Asks the CPU to bring the `len` bytes at `start` into its caches.
fn prefetch(start: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    for line in (0..len).step_by(64) {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch is a hint: it never faults, and neither reads
        // into the program nor writes.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(line).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (start, len);
}
