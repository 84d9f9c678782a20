//! The server's configuration, as the library takes it. The command line
//! (`fake-servicer --help`, with an environment variable for each flag) is
//! parsed into it by the binary; tests and embedders build it directly,
//! usually from [`Config::local`].

use std::{fmt, path::PathBuf, str::FromStr, time::Duration};

/// Everything [`crate::Server::start`] needs. [`Config::default`] holds the
/// command line's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Where plugin libraries are found: a cargo `target/` dir, a profile dir,
    /// or a dir of `.so` files (searched recursively, skipping cargo's
    /// artifact dirs). `None`: no prebuilt plugins (source mode, or stubs
    /// only).
    pub plugins: Option<PathBuf>,
    /// HTTP listen address.
    pub listen: String,
    /// A directory of WireMock-style `*.json` stub files, loaded and
    /// hot-reloaded.
    pub mappings: Option<PathBuf>,
    /// WireMock's root directory: stubs in `mappings/` (subdirectories
    /// only organise them), bodies in `__files/`.
    pub root_dir: Option<PathBuf>,
    /// Whether to manage one DNS alias per service through the Docker API.
    pub docker: DockerMode,
    /// Request journal size (entries); 0 disables the journal.
    pub journal_size: usize,
    /// A plugin handler still running after this is answered 504.
    pub handler_timeout: Duration,
    /// The CPU budget of one request's templates and near misses: past it
    /// a render answers 500 naming it, and near misses rank the stubs
    /// measured so far.
    pub cpu_budget: Duration,
    /// Larger request bodies are answered 413.
    pub max_body_bytes: usize,
    /// Most header lines in one request; more are answered 431.
    pub max_headers: usize,
    /// Most bytes in one request head; more are answered 431 (at least 8192).
    pub max_header_bytes: usize,
    /// Time a client has to send a request head, and that a kept-alive
    /// connection may sit idle (HTTP/2: with no stream open); answers are
    /// never cut off.
    pub header_timeout: Duration,
    /// Poll the watched dirs instead of relying on file events.
    pub poll: bool,
    /// When set, every `/__admin/*` call but `/__admin/health` needs
    /// `Authorization: Bearer <token>`.
    pub admin_token: Option<String>,
    /// Milliseconds a changed file must stay unchanged before it is loaded.
    pub quiet_ms: u64,
    /// Async worker threads (`None`: as many as cores, at least 2).
    pub workers: Option<u16>,
    /// Time a client has to send a request body, from the end of its head;
    /// later, the request is answered 408 and the connection closed.
    pub body_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog until
    /// one closes.
    pub max_connections: usize,
    /// Larger admin request bodies (a stub, an import) are answered 413.
    pub max_admin_body_bytes: usize,
    /// Source mode: a directory of plugin crates the server builds with
    /// cargo and rebuilds when they change.
    pub sources: Option<PathBuf>,
    /// cargo's target dir in source mode (`None`: `$CARGO_TARGET_DIR`, else
    /// `target/` in the sources dir).
    pub target_dir: Option<PathBuf>,
    /// Build sources with `--release`.
    pub release: bool,
    /// A source-mode build still running after this is killed (with every
    /// process it started) and reported failed.
    pub build_timeout: Duration,
    /// Most next-request overrides armed at once; arming more is answered
    /// 507.
    pub max_armed_overrides: usize,
    /// Most bytes (bodies, headers, keys) armed overrides hold together;
    /// arming past it is answered 507.
    pub max_armed_override_bytes: usize,
    /// A plugin library larger than this is refused unread.
    pub max_plugin_bytes: u64,
    /// A mapping file larger than this is refused unread.
    pub max_mapping_file_bytes: u64,
    /// A `bodyFileName` file larger than this is not sent (500 naming it).
    pub max_body_file_bytes: u64,
    /// Time an upstream has to answer a proxied request in full; later, it
    /// is answered 500.
    pub proxy_timeout: Duration,
    /// The largest upstream body a proxying stub relays; larger is
    /// answered 500.
    pub proxy_max_body_bytes: usize,
    /// Most proxied exchanges kept for recordings and snapshots.
    pub max_recorded_exchanges: usize,
    /// Most bytes the kept proxied exchanges hold together.
    pub max_recorded_bytes: usize,
    /// Render every stub's body and headers as a response template, as if
    /// each named the `response-template` transformer.
    pub global_response_templating: bool,
    /// `false`: no stub's answer is rendered, whatever its transformers
    /// (WireMock's `--disable-response-templating`).
    pub response_templating: bool,
    /// HTTPS listen address (`None`: no TLS).
    pub tls_listen: Option<String>,
    /// A PEM CA certificate to sign the HTTPS certificates with (with
    /// `ca_key`); `None`: the one in `ca_dir`, else a new one.
    pub ca_cert: Option<PathBuf>,
    /// The PEM private key of `ca_cert`.
    pub ca_key: Option<PathBuf>,
    /// Where the CA is kept (`ca.pem`, `ca.key`): loaded when there, else
    /// generated and written there; `ca.pem` is written there in any case.
    pub ca_dir: Option<PathBuf>,
    /// Time a client has to complete its TLS handshake.
    pub tls_handshake_timeout: Duration,
    /// A scope's stubs, next-request overrides, writes to declared resources
    /// and the state plugins keep for it go after this long without a
    /// request of the scope or a
    /// change to it.
    pub scope_idle_timeout: Duration,
    /// Most `POST /__admin/requests/wait` calls waiting at once; more are
    /// answered 503.
    pub max_waiters: usize,
    /// The longest `timeoutMs` a wait may ask for (longer is cut to it).
    pub max_wait_timeout: Duration,
    /// Most bytes of answers not yet sent, over all connections (bodies
    /// from when their plan is carried out until written to the socket);
    /// an answer that would pass it is answered 503.
    pub max_unsent_bytes: usize,
    /// A connection with answer bytes ready to send that writes none of
    /// them for this long is dropped (a client that does not read).
    pub send_timeout: Duration,
    /// Answer CORS preflights (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`) and add CORS headers to stub
    /// answers, as WireMock's `--enable-stub-cors`.
    pub stub_cors: bool,
    /// Decode gzipped request bodies before matching and gzip stub answers
    /// for clients that accept it, as WireMock does unless `--disable-gzip`.
    pub gzip: bool,
    /// Log every request served and its answer (WireMock's `--verbose`).
    pub verbose: bool,
    /// Webhooks waiting to be sent; a webhook finding the queue full is
    /// dropped with a log line (the answer is never held up).
    pub max_queued_webhooks: usize,
    /// Webhooks sent at once (WireMock's `--webhook-threadpool-size`).
    pub webhook_concurrency: usize,
    /// Time a webhook's request has to be answered in full.
    pub webhook_timeout: Duration,
    /// gRPC descriptors (`*.proto`, descriptor sets) for stub-only gRPC
    /// services, hot-reloaded; `--root-dir`'s `grpc/` is read too.
    pub proto_dir: Option<PathBuf>,
    /// The largest gRPC message a call may carry (decompressed); larger is
    /// answered `RESOURCE_EXHAUSTED`.
    pub max_grpc_message_bytes: usize,
    /// Streams (answers sent item by item) open at once; one more is
    /// answered 503.
    pub max_streams: usize,
    /// Bytes pushed to one stream and not yet sent; a push past it closes
    /// the stream (its reader does not keep up) and drops what it held.
    pub max_stream_queue_bytes: usize,
    /// A live stream that sends nothing this long is closed.
    pub stream_idle_timeout: Duration,
    /// Items of one declared resource in one scope; a write past it is
    /// answered 507.
    pub max_resource_items: usize,
    /// JSON bytes of one declared resource's items in one scope; a write
    /// past it is answered 507.
    pub max_resource_bytes: usize,
    /// JSON bytes written to all declared resources in all scopes (seeds
    /// not counted); a write past it is answered 507.
    pub max_resource_total_bytes: usize,
    /// Serve the Kubernetes API as the service `kubernetes`
    /// (docs/stateful.md).
    pub kubernetes: bool,
    /// Custom resources the Kubernetes API serves: a JSON list of
    /// `{"group", "version", "kind", "plural", "namespaced"}`.
    pub kubernetes_resources: Option<PathBuf>,
    /// Objects one scope (or the unscoped base) of the Kubernetes API
    /// holds; a create past it is answered 507.
    pub max_kubernetes_objects: usize,
    /// Bytes of objects (as JSON) one scope of the Kubernetes API holds;
    /// a write past it is answered 507.
    pub max_kubernetes_bytes: usize,
    /// Changes the Kubernetes API keeps for watches from a
    /// `resourceVersion`; a watch from an older one is told it expired.
    pub kubernetes_watch_history: usize,
}

impl Default for Config {
    /// The command line's defaults: `/app/services`, `0.0.0.0:80`, Docker
    /// aliases when the socket is reachable.
    fn default() -> Config {
        Config {
            plugins: Some(PathBuf::from("/app/services")),
            listen: "0.0.0.0:80".to_owned(),
            mappings: None,
            root_dir: None,
            docker: DockerMode::Auto,
            journal_size: 10_000,
            handler_timeout: Duration::from_secs(30),
            cpu_budget: fake_servicer_core::budget::DEFAULT,
            max_body_bytes: 16 * 1024 * 1024,
            max_headers: 100,
            max_header_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(30),
            poll: false,
            admin_token: None,
            quiet_ms: 100,
            workers: None,
            body_timeout: Duration::from_secs(30),
            max_connections: 10_000,
            max_admin_body_bytes: 16 * 1024 * 1024,
            sources: None,
            target_dir: None,
            release: false,
            build_timeout: crate::sources::DEFAULT_BUILD_TIMEOUT,
            max_armed_overrides: crate::overrides::DEFAULT_MAX_ARMED,
            max_armed_override_bytes: crate::overrides::DEFAULT_MAX_ARMED_BYTES,
            max_plugin_bytes: 512 * 1024 * 1024,
            max_mapping_file_bytes: 8 * 1024 * 1024,
            max_body_file_bytes: crate::body_files::DEFAULT_MAX_BYTES,
            proxy_timeout: crate::proxy::DEFAULT_TIMEOUT,
            proxy_max_body_bytes: crate::proxy::DEFAULT_MAX_BODY,
            max_recorded_exchanges: crate::record::DEFAULT_MAX_EXCHANGES,
            max_recorded_bytes: crate::record::DEFAULT_MAX_BYTES,
            global_response_templating: false,
            response_templating: true,
            tls_listen: None,
            ca_cert: None,
            ca_key: None,
            ca_dir: None,
            tls_handshake_timeout: Duration::from_secs(10),
            scope_idle_timeout: crate::scope::DEFAULT_IDLE,
            max_waiters: crate::journal::DEFAULT_MAX_WAITERS,
            max_wait_timeout: crate::journal::DEFAULT_MAX_WAIT,
            max_unsent_bytes: crate::unsent::DEFAULT_MAX_BYTES,
            send_timeout: crate::unsent::DEFAULT_SEND_TIMEOUT,
            stub_cors: false,
            gzip: true,
            verbose: false,
            max_queued_webhooks: 1_000,
            webhook_concurrency: 10,
            webhook_timeout: Duration::from_secs(10),
            proto_dir: None,
            max_grpc_message_bytes: crate::grpc::DEFAULT_MAX_MESSAGE_BYTES,
            max_streams: crate::streams::DEFAULT_MAX_STREAMS,
            max_stream_queue_bytes: crate::streams::DEFAULT_MAX_QUEUED_BYTES,
            stream_idle_timeout: crate::streams::DEFAULT_IDLE_TIMEOUT,
            max_resource_items: crate::resources::DEFAULT_MAX_ITEMS,
            max_resource_bytes: crate::resources::DEFAULT_MAX_BYTES,
            max_resource_total_bytes: crate::resources::DEFAULT_MAX_TOTAL_BYTES,
            kubernetes: false,
            kubernetes_resources: None,
            max_kubernetes_objects: crate::kubernetes::store::DEFAULT_MAX_OBJECTS,
            max_kubernetes_bytes: crate::kubernetes::store::DEFAULT_MAX_BYTES,
            kubernetes_watch_history: crate::kubernetes::store::DEFAULT_HISTORY,
        }
    }
}

impl Config {
    /// The caps on declared resources.
    pub(crate) fn resource_limits(&self) -> crate::resources::Limits {
        crate::resources::Limits {
            max_items: self.max_resource_items,
            max_bytes: self.max_resource_bytes,
            max_total_bytes: self.max_resource_total_bytes,
        }
    }

    /// A configuration for embedding and tests: the given plugin dir, a free
    /// loopback port, Docker left alone, defaults elsewhere.
    pub fn local(plugins: impl Into<PathBuf>) -> Config {
        Config {
            plugins: Some(plugins.into()),
            listen: "127.0.0.1:0".to_owned(),
            docker: DockerMode::Off,
            ..Config::default()
        }
    }

    /// Async worker threads to start.
    pub fn worker_threads(&self) -> usize {
        self.workers.map_or_else(
            || std::thread::available_parallelism().map_or(2, |n| n.get().max(2)),
            usize::from,
        )
    }

    /// Which stubs' answers are rendered as templates.
    pub fn templating(&self) -> crate::template::Templating {
        use crate::template::Templating;
        match (self.response_templating, self.global_response_templating) {
            (false, _) => Templating::Off,
            (true, false) => Templating::Local,
            (true, true) => Templating::Global,
        }
    }

    /// The quiet period of the watchers.
    pub fn quiet_period(&self) -> Duration {
        Duration::from_millis(self.quiet_ms)
    }
}

/// `--docker`: whether to manage DNS aliases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DockerMode {
    /// Manage aliases when the Docker socket is reachable.
    #[default]
    Auto,
    /// Manage aliases; a missing or unusable socket is an error.
    On,
    /// Never touch Docker.
    Off,
}

impl DockerMode {
    /// Every mode with its name.
    pub const ALL: [(&'static str, DockerMode); 3] = [
        ("auto", DockerMode::Auto),
        ("on", DockerMode::On),
        ("off", DockerMode::Off),
    ];
}

impl FromStr for DockerMode {
    type Err = String;

    fn from_str(s: &str) -> Result<DockerMode, String> {
        DockerMode::ALL
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s.trim()))
            .map(|(_, mode)| *mode)
            .ok_or_else(|| format!("expected auto, on or off, found {s:?}"))
    }
}

impl fmt::Display for DockerMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = DockerMode::ALL
            .iter()
            .find(|(_, mode)| mode == self)
            .map_or("auto", |(name, _)| name);
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_differs_from_the_defaults_only_in_plugins_listen_and_docker() {
        let local = Config::local("/p");
        assert_eq!(
            Config {
                plugins: Some(PathBuf::from("/app/services")),
                listen: "0.0.0.0:80".to_owned(),
                docker: DockerMode::Auto,
                ..local.clone()
            },
            Config::default()
        );
        assert_eq!(local.listen, "127.0.0.1:0");
        assert_eq!(local.docker, DockerMode::Off);
    }

    #[test]
    fn docker_modes_parse_and_print_by_name() {
        for (name, mode) in DockerMode::ALL {
            assert_eq!(name.parse::<DockerMode>(), Ok(mode));
            assert_eq!(mode.to_string(), name);
        }
        assert!("maybe".parse::<DockerMode>().is_err());
    }
}
