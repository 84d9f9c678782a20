//! The state the request path and the admin API share, as parts: each
//! handler takes the part it needs (axum's `FromRef` substates), and the
//! request path takes one part of its own ([`RequestPath`], one reference
//! count per request).

use crate::{
    answer::Sources, docker::StatusHandle, journal::Journal, mappings::Stubs, overrides::Overrides,
    plugin::Registry, record::Recorder, scope::Activity, settings::Settings, sources::Builds,
    tls::Tls,
};
use axum::extract::FromRef;
use std::{sync::Arc, time::Duration};

/// What the request path needs: everything a request that is not an admin
/// call reads or changes.
pub struct RequestPath {
    pub(crate) registry: Arc<Registry>,
    pub(crate) journal: Arc<Journal>,
    /// `--max-body-bytes`.
    pub(crate) max_body_bytes: usize,
    /// Time a client has to send a request body (`--body-timeout`).
    pub(crate) body_timeout: Duration,
    /// When each scope holding stubs or overrides was last used.
    pub(crate) scope_activity: Arc<Activity>,
    /// Source mode's builds (empty without `--sources`): a failed build is
    /// said in a header.
    pub(crate) builds: Arc<Builds>,
    /// What answers a request, in order.
    pub(crate) sources: Sources,
    /// `--enable-stub-cors`: preflights answered, CORS headers on answers
    /// (`crate::cors`).
    pub(crate) stub_cors: bool,
    /// Request bodies decoded and stub answers gzipped (`crate::gzip`);
    /// off with `--disable-gzip`.
    pub(crate) gzip: bool,
    /// gRPC calls to services faked by stubs; gRPC's health and reflection.
    pub(crate) grpc: Arc<crate::grpc::Grpc>,
    /// `--verbose`: every request and its answer in the log.
    pub(crate) verbose: bool,
    /// Sends stubs' webhooks after their answers.
    pub(crate) webhooks: crate::webhooks::Webhooks,
    /// The open streams (answers sent item by item).
    pub(crate) streams: Arc<crate::streams::Streams>,
}

/// Every part, for the admin API's router.
#[derive(Clone)]
pub struct App {
    pub(crate) path: Arc<RequestPath>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) stubs: Arc<Stubs>,
    pub(crate) journal: Arc<Journal>,
    pub(crate) overrides: Arc<Overrides>,
    pub(crate) settings: Arc<Settings>,
    /// State of the Docker alias manager.
    pub(crate) docker: StatusHandle,
    /// Source mode's builds (empty without `--sources`).
    pub(crate) builds: Arc<Builds>,
    /// Recordings and the proxied exchanges they are made of.
    pub(crate) recorder: Arc<Recorder>,
    /// HTTPS (`--tls-listen`), when on.
    pub(crate) tls: Option<Tls>,
    /// When each scope holding stubs or overrides was last used.
    pub(crate) scope_activity: Arc<Activity>,
    /// `--cpu-budget-ms`, for the admin calls that rank near misses.
    pub(crate) cpu_budget: Duration,
    /// The outbound client, to tell whether a recording's target leads
    /// back here.
    pub(crate) proxy: crate::proxy::Proxy,
    /// The open streams, for pushes and listing.
    pub(crate) streams: Arc<crate::streams::Streams>,
    /// The Kubernetes API (`--kubernetes`): its objects go with their
    /// scope and on reset.
    pub(crate) kubernetes: Option<Arc<crate::kubernetes::Api>>,
}

/// `FromRef<App>` for each part a handler may take on its own.
macro_rules! parts {
    ($($field:ident: $part:ty),* $(,)?) => {
        $(impl FromRef<App> for $part {
            fn from_ref(app: &App) -> $part {
                app.$field.clone()
            }
        })*
    };
}

parts!(
    path: Arc<RequestPath>,
    registry: Arc<Registry>,
    stubs: Arc<Stubs>,
    journal: Arc<Journal>,
    overrides: Arc<Overrides>,
    settings: Arc<Settings>,
    docker: StatusHandle,
    builds: Arc<Builds>,
    recorder: Arc<Recorder>,
    tls: Option<Tls>,
    scope_activity: Arc<Activity>,
    streams: Arc<crate::streams::Streams>,
);
