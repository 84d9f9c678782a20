//! The state shared by the request path and the admin API (axum's
//! "AppState"): every store a request may read or change.

use crate::{
    journal::Journal, mappings::Stubs, overrides::Overrides, plugin::Registry, runner::Runner,
    settings::Settings,
};
use std::sync::Arc;

/// Everything a request may touch.
pub struct App {
    pub registry: Arc<Registry>,
    pub stubs: Arc<Stubs>,
    pub journal: Journal,
    pub overrides: Overrides,
    pub settings: Settings,
    /// State of the Docker alias manager.
    pub docker: crate::docker::StatusHandle,
    /// Where plugin handlers run; answers 504 after the handler timeout.
    pub runner: Runner,
    pub max_body_bytes: usize,
    /// Time a client has to send a request body.
    pub body_timeout: std::time::Duration,
    /// `--admin-token`: also needed to arm a next-request override.
    pub admin_token: Option<Arc<str>>,
    /// Source mode's builds (empty without `--sources`).
    pub builds: Arc<crate::build::Builds>,
    /// The outbound client of proxying stubs.
    pub proxy: crate::proxy::Proxy,
    /// Recordings and the proxied exchanges they are made of.
    pub recorder: crate::record::Recorder,
    /// `--global-response-templating`: every stub's response is a template.
    pub global_templating: bool,
    /// HTTPS (`--tls-listen`), when on.
    pub tls: Option<crate::tls::Tls>,
    /// When each scope holding stubs or overrides was last used.
    pub scope_activity: crate::scope::Activity,
    /// The waits in progress, capped.
    pub waiters: crate::admin::Waiters,
}
