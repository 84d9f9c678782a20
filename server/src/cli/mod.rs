//! The binary's own part: the command line — clap's view of the flags
//! (each with an environment variable), turned into the library's
//! [`Config`], defaults from [`Config::default`] so they are written once —
//! and what the binary does besides serving: `new` ([`scaffold`]),
//! `healthcheck` ([`healthcheck`]), raising the open-file limit
//! ([`fd_limit`]). `docs/cli.md` is rendered from these definitions and
//! checked against them (`reference`, a test).

pub mod fd_limit;
pub mod healthcheck;
#[cfg(test)]
mod reference;
pub mod scaffold;
pub mod wiremock;

use clap::{Parser, builder::TypedValueParser};
use fake_servicer_server::{Config, DockerMode};
use std::{fmt, path::PathBuf, str::FromStr, time::Duration};
use wiremock::WithWireMock as _;

/// `fake-servicer`: serves mock HTTP services from hot-reloaded Rust plugins.
#[derive(Parser, Clone, Debug)]
#[command(name = "fake-servicer", version, about, long_about = None)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Where plugin libraries are found: a cargo `target/` dir, a profile dir,
    /// or a dir of `.so` files (searched recursively, skipping `deps`,
    /// `build`, `incremental`, `.fingerprint`, `examples`, `tmp`).
    /// [default: /app/services, unless --sources is given, or --root-dir
    /// is and /app/services is absent]
    #[arg(long, env = "FAKE_SERVICER_PLUGINS", value_name = "DIR")]
    pub plugins: Option<PathBuf>,

    /// HTTP listen address.
    #[arg(long, env = "FAKE_SERVICER_LISTEN", value_name = "ADDR", default_value_t = Config::default().listen)]
    pub listen: String,

    /// A directory of WireMock-style `*.json` stub files, loaded and
    /// hot-reloaded; the files of a subdirectory are the stubs of the
    /// service it names.
    #[arg(long, env = "FAKE_SERVICER_MAPPINGS", value_name = "DIR")]
    pub mappings: Option<PathBuf>,

    /// WireMock's root directory, laid out as WireMock's: the `*.json` stub
    /// files of `DIR/mappings` (subdirectories only organise them: no
    /// service binding), response bodies in `DIR/__files`; recordings are
    /// written there.
    #[arg(long, env = "FAKE_SERVICER_ROOT_DIR", value_name = "DIR")]
    pub root_dir: Option<PathBuf>,

    /// Manage one DNS alias per service through the Docker API: `auto` when
    /// the Docker socket is reachable, `on` (its absence is an error), `off`.
    #[arg(long, env = "FAKE_SERVICER_DOCKER", value_name = "MODE", default_value_t = Config::default().docker,
          value_parser = clap::builder::PossibleValuesParser::new(DockerMode::ALL.map(|(name, _)| name))
              .try_map(|s| s.parse::<DockerMode>()))]
    pub docker: DockerMode,

    /// Request journal size (entries); 0 disables the journal.
    #[arg(long, env = "FAKE_SERVICER_JOURNAL_SIZE", value_name = "N", default_value_t = Config::default().journal_size)]
    pub journal_size: usize,

    /// Seconds after which a plugin handler still running is answered 504.
    #[arg(long, env = "FAKE_SERVICER_HANDLER_TIMEOUT", value_name = "SECS", default_value_t = Seconds(Config::default().handler_timeout))]
    pub handler_timeout: Seconds,

    /// Milliseconds of CPU one request's templates may take to render (more
    /// is answered 500 naming the stub and the budget), and its near misses
    /// to be ranked (past it, the stubs measured so far are ranked).
    #[arg(long, env = "FAKE_SERVICER_CPU_BUDGET_MS", value_name = "MS", default_value_t = Config::default().cpu_budget.as_millis() as u64)]
    pub cpu_budget_ms: u64,

    /// Larger request bodies are answered 413 (read up to the limit, never
    /// buffered whole first).
    #[arg(long, env = "FAKE_SERVICER_MAX_BODY_BYTES", value_name = "N", default_value_t = Config::default().max_body_bytes)]
    pub max_body_bytes: usize,

    /// Most header lines in one request; more are answered 431.
    #[arg(long, env = "FAKE_SERVICER_MAX_HEADERS", value_name = "N", default_value_t = Config::default().max_headers)]
    pub max_headers: usize,

    /// Most bytes in one request head; more are answered 431 (at least 8192).
    #[arg(long, env = "FAKE_SERVICER_MAX_HEADER_BYTES", value_name = "N", default_value_t = Config::default().max_header_bytes)]
    pub max_header_bytes: usize,

    /// Seconds a client has to send a request head, and that a kept-alive
    /// connection may sit idle (HTTP/2: with no stream open); answers are
    /// never cut off.
    #[arg(long, env = "FAKE_SERVICER_HEADER_TIMEOUT", value_name = "SECS", default_value_t = Seconds(Config::default().header_timeout))]
    pub header_timeout: Seconds,

    /// Poll the watched dirs for changes instead of relying on inotify (for
    /// bind mounts where file events do not arrive, e.g. Docker Desktop).
    #[arg(long, env = "FAKE_SERVICER_POLL")]
    pub poll: bool,

    /// When set, every `/__admin/*` call but `/__admin/health` and
    /// `/__admin/ca.pem`, and arming a next-request override, need
    /// `Authorization: Bearer <token>` (401 otherwise); other requests to
    /// services need none. An empty token is a start-up error. Set it when
    /// the server shares a network with things you do not control.
    #[arg(
        long,
        env = "FAKE_SERVICER_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,

    /// The `healthcheck` subcommand, as a flag (kept for images and
    /// compose files that use it).
    #[arg(long)]
    pub healthcheck: bool,

    /// Milliseconds a changed file must stay unchanged before it is loaded.
    #[arg(long, env = "FAKE_SERVICER_QUIET_MS", value_name = "MS", default_value_t = Config::default().quiet_ms)]
    pub quiet_ms: u64,

    /// Async worker threads. Handlers proven fast run inline on all but one
    /// of them; other calls, and every call when this is 1, go to the
    /// blocking pool [default: as many as cores, at least 2].
    #[arg(long, env = "FAKE_SERVICER_WORKERS", value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: Option<u16>,

    /// Seconds a client has to send a request body, from the end of its
    /// head; later, the request is answered 408 and the connection closed.
    #[arg(long, env = "FAKE_SERVICER_BODY_TIMEOUT", value_name = "SECS", default_value_t = Seconds(Config::default().body_timeout))]
    pub body_timeout: Seconds,

    /// Connections served at once; more wait in the listen backlog until one
    /// closes.
    #[arg(long, env = "FAKE_SERVICER_MAX_CONNECTIONS", value_name = "N", default_value_t = Config::default().max_connections,
          value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    pub max_connections: usize,

    /// Larger admin request bodies (a stub, an import) are answered 413.
    #[arg(long, env = "FAKE_SERVICER_MAX_ADMIN_BODY_BYTES", value_name = "N", default_value_t = Config::default().max_admin_body_bytes)]
    pub max_admin_body_bytes: usize,

    /// Source mode: a directory of plugin crates (packages or workspaces
    /// with a `cdylib` library) that the server builds with cargo, loads,
    /// and rebuilds when their sources change.
    #[arg(long, env = "FAKE_SERVICER_SOURCES", value_name = "DIR")]
    pub sources: Option<PathBuf>,

    /// cargo's target dir in source mode [default: $CARGO_TARGET_DIR, else
    /// target/ in the sources dir].
    #[arg(long, env = "FAKE_SERVICER_TARGET_DIR", value_name = "DIR")]
    pub target_dir: Option<PathBuf>,

    /// Build sources in release mode (slower builds, faster plugins).
    #[arg(long, env = "FAKE_SERVICER_RELEASE")]
    pub release: bool,

    /// Seconds a source-mode build may run; past them cargo is killed,
    /// with every process it started (build scripts too), and the build
    /// is reported failed, naming this flag.
    #[arg(long, env = "FAKE_SERVICER_BUILD_TIMEOUT", value_name = "SECS", default_value_t = Seconds(Config::default().build_timeout))]
    pub build_timeout: Seconds,

    /// Most next-request overrides armed at once; arming more is answered
    /// 507 until some are served or the server is reset.
    #[arg(long, env = "FAKE_SERVICER_MAX_ARMED_OVERRIDES", value_name = "N", default_value_t = Config::default().max_armed_overrides)]
    pub max_armed_overrides: usize,

    /// Most bytes armed next-request overrides hold together (bodies,
    /// headers, paths); arming past it is answered 507.
    #[arg(long, env = "FAKE_SERVICER_MAX_ARMED_OVERRIDE_BYTES", value_name = "N", default_value_t = Config::default().max_armed_override_bytes)]
    pub max_armed_override_bytes: usize,

    /// A plugin library larger than this many bytes is refused unread (a
    /// log line and `/__admin/services` name the file and the cap).
    #[arg(long, env = "FAKE_SERVICER_MAX_PLUGIN_BYTES", value_name = "N", default_value_t = Config::default().max_plugin_bytes,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_plugin_bytes: u64,

    /// A mapping file larger than this many bytes is refused unread (a log
    /// line names the file and the cap).
    #[arg(long, env = "FAKE_SERVICER_MAX_MAPPING_FILE_BYTES", value_name = "N", default_value_t = Config::default().max_mapping_file_bytes,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_mapping_file_bytes: u64,

    /// A stub's `bodyFileName` file larger than this many bytes is not sent:
    /// the stub answers 500 naming the file and the cap.
    #[arg(long, env = "FAKE_SERVICER_MAX_BODY_FILE_BYTES", value_name = "N", default_value_t = Config::default().max_body_file_bytes,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_body_file_bytes: u64,

    /// Seconds an upstream has to answer a proxying stub's request in full
    /// (connect, head and body); later, the request is answered 500.
    #[arg(long, env = "FAKE_SERVICER_PROXY_TIMEOUT", value_name = "SECS", default_value_t = Seconds(Config::default().proxy_timeout))]
    pub proxy_timeout: Seconds,

    /// The largest upstream body a proxying stub relays; a larger one is
    /// answered 500.
    #[arg(long, env = "FAKE_SERVICER_PROXY_MAX_BODY_BYTES", value_name = "N", default_value_t = Config::default().proxy_max_body_bytes)]
    pub proxy_max_body_bytes: usize,

    /// Most proxied exchanges kept for recordings and snapshots (oldest
    /// dropped first; 0 keeps none).
    #[arg(long, env = "FAKE_SERVICER_MAX_RECORDED_EXCHANGES", value_name = "N", default_value_t = Config::default().max_recorded_exchanges)]
    pub max_recorded_exchanges: usize,

    /// Most bytes (bodies and headers) the kept proxied exchanges hold
    /// together (oldest dropped first).
    #[arg(long, env = "FAKE_SERVICER_MAX_RECORDED_BYTES", value_name = "N", default_value_t = Config::default().max_recorded_bytes)]
    pub max_recorded_bytes: usize,
    /// Render every stub's body and header values as a Handlebars response
    /// template (as WireMock's `--global-response-templating`); without it,
    /// only stubs whose response names the `response-template` transformer.
    #[arg(long, env = "FAKE_SERVICER_GLOBAL_RESPONSE_TEMPLATING")]
    pub global_response_templating: bool,
    /// HTTPS listen address (HTTP/2 and HTTP/1.1 by ALPN), with a
    /// certificate per service name signed by the CA [default: no HTTPS].
    #[arg(long, env = "FAKE_SERVICER_TLS_LISTEN", value_name = "ADDR")]
    pub tls_listen: Option<String>,

    /// A PEM CA certificate to sign the HTTPS certificates with (with
    /// --ca-key) [default: the one in --ca-dir, else a new one].
    #[arg(
        long,
        env = "FAKE_SERVICER_CA_CERT",
        value_name = "FILE",
        requires = "ca_key"
    )]
    pub ca_cert: Option<PathBuf>,

    /// The PEM private key of --ca-cert.
    #[arg(
        long,
        env = "FAKE_SERVICER_CA_KEY",
        value_name = "FILE",
        requires = "ca_cert"
    )]
    pub ca_key: Option<PathBuf>,

    /// Where the CA is kept (ca.pem, ca.key): loaded when there, else
    /// generated and written there; ca.pem is written there in any case.
    #[arg(long, env = "FAKE_SERVICER_CA_DIR", value_name = "DIR")]
    pub ca_dir: Option<PathBuf>,

    /// Seconds a client has to complete its TLS handshake.
    #[arg(long, env = "FAKE_SERVICER_TLS_HANDSHAKE_TIMEOUT", value_name = "SECS", default_value_t = Seconds(Config::default().tls_handshake_timeout))]
    pub tls_handshake_timeout: Seconds,

    /// Seconds after which a scope's stubs, next-request overrides, writes
    /// to declared resources, Kubernetes objects and the state plugins keep
    /// for it go when no request of the scope arrived
    /// and nothing in it changed.
    #[arg(long, env = "FAKE_SERVICER_SCOPE_IDLE_TIMEOUT", value_name = "SECS", default_value_t = Seconds(Config::default().scope_idle_timeout))]
    pub scope_idle_timeout: Seconds,

    /// Most `POST /__admin/requests/wait` calls waiting at once; more are
    /// answered 503.
    #[arg(long, env = "FAKE_SERVICER_MAX_WAITERS", value_name = "N", default_value_t = Config::default().max_waiters)]
    pub max_waiters: usize,

    /// Seconds a `POST /__admin/requests/wait` may wait at most (a longer
    /// `timeoutMs` is cut to it).
    #[arg(long, env = "FAKE_SERVICER_MAX_WAIT_TIMEOUT", value_name = "SECS", default_value_t = Seconds(Config::default().max_wait_timeout))]
    pub max_wait_timeout: Seconds,

    /// Most bytes of answers not yet sent, over all connections: a body
    /// counts from when its answer is chosen (its delay included) until its
    /// bytes are written to the socket; an answer that would pass it is
    /// answered 503 naming this flag (the admin API's answers count, and
    /// are never refused).
    #[arg(long, env = "FAKE_SERVICER_MAX_UNSENT_BYTES", value_name = "N", default_value_t = Config::default().max_unsent_bytes)]
    pub max_unsent_bytes: usize,

    /// Seconds a connection may have answer bytes ready to send without
    /// writing any (a client that stops reading); it is then dropped. Time
    /// an answer waits for its own delay or a dribble's pause does not
    /// count.
    #[arg(long, env = "FAKE_SERVICER_SEND_TIMEOUT", value_name = "SECS", default_value_t = Seconds(Config::default().send_timeout))]
    pub send_timeout: Seconds,

    /// Webhooks waiting to be sent; a webhook finding the queue full is
    /// dropped with a log line and an `ERROR` sub-event (answers are never
    /// held up).
    #[arg(long, env = "FAKE_SERVICER_MAX_QUEUED_WEBHOOKS", value_name = "N", default_value_t = Config::default().max_queued_webhooks)]
    pub max_queued_webhooks: usize,

    /// Seconds a webhook's receiver has to answer in full; later, the
    /// webhook is logged failed (an `ERROR` sub-event).
    #[arg(long, env = "FAKE_SERVICER_WEBHOOK_TIMEOUT", value_name = "SECS", default_value_t = Seconds(Config::default().webhook_timeout))]
    pub webhook_timeout: Seconds,

    /// Streams (answers sent item by item, see docs/streams.md) open at
    /// once; one more is answered 503.
    #[arg(long, env = "FAKE_SERVICER_MAX_STREAMS", value_name = "N", default_value_t = Config::default().max_streams)]
    pub max_streams: usize,

    /// Bytes pushed to one stream (`POST /__admin/streams/push`) and not
    /// yet sent; a push past it closes the stream, whose reader does not
    /// keep up, and drops what it held (logged).
    #[arg(long, env = "FAKE_SERVICER_MAX_STREAM_QUEUE_BYTES", value_name = "BYTES", default_value_t = Config::default().max_stream_queue_bytes)]
    pub max_stream_queue_bytes: usize,

    /// Seconds a live stream may send nothing before it is closed.
    #[arg(long, env = "FAKE_SERVICER_STREAM_IDLE_TIMEOUT", value_name = "SECS", default_value_t = Seconds(Config::default().stream_idle_timeout))]
    pub stream_idle_timeout: Seconds,

    /// Items of one declared resource in one scope (docs/stateful.md); a
    /// write past it is answered 507 and changes nothing.
    #[arg(long, env = "FAKE_SERVICER_MAX_RESOURCE_ITEMS", value_name = "N", default_value_t = Config::default().max_resource_items)]
    pub max_resource_items: usize,

    /// JSON bytes of one declared resource's items in one scope; a write
    /// past it is answered 507 and changes nothing.
    #[arg(long, env = "FAKE_SERVICER_MAX_RESOURCE_BYTES", value_name = "BYTES", default_value_t = Config::default().max_resource_bytes)]
    pub max_resource_bytes: usize,

    /// JSON bytes written to all declared resources in all scopes together
    /// (seeds not counted); a write past it is answered 507 and changes
    /// nothing.
    #[arg(long, env = "FAKE_SERVICER_MAX_RESOURCE_TOTAL_BYTES", value_name = "BYTES", default_value_t = Config::default().max_resource_total_bytes)]
    pub max_resource_total_bytes: usize,

    /// gRPC descriptors for services faked by stubs: `*.proto` files
    /// (compiled at load; the directory is the import root) and descriptor
    /// sets (`*.dsc`, `*.desc`, `*.pb`), hot-reloaded [default: --root-dir's
    /// `grpc/`, when there].
    #[arg(long, env = "FAKE_SERVICER_PROTO_DIR", value_name = "DIR")]
    pub proto_dir: Option<PathBuf>,

    /// The largest gRPC message a call may carry (decompressed); a larger
    /// one is answered `RESOURCE_EXHAUSTED`.
    #[arg(long, env = "FAKE_SERVICER_MAX_GRPC_MESSAGE_BYTES", value_name = "N", default_value_t = Config::default().max_grpc_message_bytes)]
    pub max_grpc_message_bytes: usize,

    /// Serve the Kubernetes API (discovery, CRUD, watches for pods,
    /// services, configmaps, secrets, namespaces, deployments) as the
    /// service `kubernetes`: `kubectl --server http://kubernetes…` works
    /// (docs/stateful.md).
    #[arg(long, env = "FAKE_SERVICER_KUBERNETES")]
    pub kubernetes: bool,

    /// Custom resources for --kubernetes: a JSON file listing
    /// `{"group", "version", "kind", "plural", "namespaced"}`.
    #[arg(long, env = "FAKE_SERVICER_KUBERNETES_RESOURCES", value_name = "FILE")]
    pub kubernetes_resources: Option<PathBuf>,

    /// Objects one scope (or the unscoped requests) of the Kubernetes API
    /// holds, namespaces included; a create past it is answered 507 and
    /// changes nothing.
    #[arg(long, env = "FAKE_SERVICER_MAX_KUBERNETES_OBJECTS", value_name = "N", default_value_t = Config::default().max_kubernetes_objects)]
    pub max_kubernetes_objects: usize,

    /// Bytes of objects (as JSON) one scope of the Kubernetes API holds; a
    /// write past it is answered 507 and changes nothing.
    #[arg(long, env = "FAKE_SERVICER_MAX_KUBERNETES_BYTES", value_name = "BYTES", default_value_t = Config::default().max_kubernetes_bytes)]
    pub max_kubernetes_bytes: usize,

    /// Changes the Kubernetes API keeps for watches from a
    /// `resourceVersion` (and at most --max-kubernetes-bytes of their
    /// objects); a watch from an older one gets a 410 `Expired` event.
    #[arg(long, env = "FAKE_SERVICER_KUBERNETES_WATCH_HISTORY", value_name = "N", default_value_t = Config::default().kubernetes_watch_history)]
    pub kubernetes_watch_history: usize,

    #[command(flatten)]
    pub wiremock: wiremock::WireMockArgs,
}

/// What to do instead of serving.
#[derive(clap::Subcommand, Clone, Debug)]
pub enum Command {
    /// Ask the server listening at --listen on this host for its health and
    /// exit: 0 when `/__admin/health` answers 200 (Docker HEALTHCHECK).
    Healthcheck,
    /// Write a new plugin crate that builds as it stands.
    New {
        /// The crate's name, also the service's (`-` becomes `_`).
        name: String,
        /// Where to write it; must be missing or empty [default: ./NAME].
        dir: Option<PathBuf>,
        /// The SDK checkout to depend on by path [default: $FAKE_SERVICER_SDK,
        /// else the one this binary was built from, else the registry].
        #[arg(long, value_name = "DIR")]
        sdk: Option<PathBuf>,
    },
}

impl Args {
    /// The library's configuration.
    pub fn config(&self) -> Config {
        Config {
            plugins: match (&self.plugins, &self.sources) {
                (Some(dir), _) => Some(dir.clone()),
                (None, Some(_)) => None,
                // Started as WireMock is (`--root-dir` alone): no plugins
                // unless the default plugin dir is there.
                (None, None) if self.root_dir.is_some() => {
                    Config::default().plugins.filter(|dir| dir.is_dir())
                }
                (None, None) => Config::default().plugins,
            },
            listen: self.listen.clone(),
            mappings: self.mappings.clone(),
            root_dir: self.root_dir.clone(),
            docker: self.docker,
            journal_size: self.journal_size,
            handler_timeout: self.handler_timeout.0,
            cpu_budget: Duration::from_millis(self.cpu_budget_ms),
            max_body_bytes: self.max_body_bytes,
            max_headers: self.max_headers,
            max_header_bytes: self.max_header_bytes,
            header_timeout: self.header_timeout.0,
            poll: self.poll,
            admin_token: self.admin_token.clone(),
            quiet_ms: self.quiet_ms,
            workers: self.workers,
            body_timeout: self.body_timeout.0,
            max_connections: self.max_connections,
            max_admin_body_bytes: self.max_admin_body_bytes,
            sources: self.sources.clone(),
            target_dir: self.target_dir.clone(),
            release: self.release,
            build_timeout: self.build_timeout.0,
            max_armed_overrides: self.max_armed_overrides,
            max_armed_override_bytes: self.max_armed_override_bytes,
            max_plugin_bytes: self.max_plugin_bytes,
            max_mapping_file_bytes: self.max_mapping_file_bytes,
            max_body_file_bytes: self.max_body_file_bytes,
            proxy_timeout: self.proxy_timeout.0,
            proxy_max_body_bytes: self.proxy_max_body_bytes,
            max_recorded_exchanges: self.max_recorded_exchanges,
            max_recorded_bytes: self.max_recorded_bytes,
            global_response_templating: self.global_response_templating,
            tls_listen: self.tls_listen.clone(),
            ca_cert: self.ca_cert.clone(),
            ca_key: self.ca_key.clone(),
            ca_dir: self.ca_dir.clone(),
            tls_handshake_timeout: self.tls_handshake_timeout.0,
            scope_idle_timeout: self.scope_idle_timeout.0,
            max_waiters: self.max_waiters,
            max_wait_timeout: self.max_wait_timeout.0,
            max_unsent_bytes: self.max_unsent_bytes,
            send_timeout: self.send_timeout.0,
            max_queued_webhooks: self.max_queued_webhooks,
            webhook_timeout: self.webhook_timeout.0,
            proto_dir: self.proto_dir.clone(),
            max_grpc_message_bytes: self.max_grpc_message_bytes,
            max_streams: self.max_streams,
            max_stream_queue_bytes: self.max_stream_queue_bytes,
            stream_idle_timeout: self.stream_idle_timeout.0,
            max_resource_items: self.max_resource_items,
            max_resource_bytes: self.max_resource_bytes,
            max_resource_total_bytes: self.max_resource_total_bytes,
            kubernetes: self.kubernetes,
            kubernetes_resources: self.kubernetes_resources.clone(),
            max_kubernetes_objects: self.max_kubernetes_objects,
            max_kubernetes_bytes: self.max_kubernetes_bytes,
            kubernetes_watch_history: self.kubernetes_watch_history,
            ..Config::default()
        }
        .with_wiremock(&self.wiremock)
    }

    /// The command line of this process, with WireMock's flags read as
    /// [`wiremock`] says; a refused WireMock flag ends the process with
    /// exit code 2 and a message naming it. Returns the ignored flags too,
    /// for the log.
    pub fn from_command_line() -> (Args, Vec<String>) {
        let wiremock_image =
            std::env::var_os("FAKE_SERVICER_WIREMOCK_ARGS").is_some_and(|v| v == "1");
        let mut argv: Vec<String> = std::env::args().collect();
        // The WireMock image's other way to pass flags.
        if wiremock_image && let Ok(options) = std::env::var("WIREMOCK_OPTIONS") {
            argv.extend(options.split_whitespace().map(str::to_owned));
        }
        if let Some((flag, instead)) = wiremock::refused(&argv) {
            eprintln!(
                "error: {flag} is a WireMock flag fake-servicer does not support: {instead} (see docs/wiremock.md)"
            );
            std::process::exit(2);
        }
        let (argv, ignored) = wiremock::without_ignored(argv, wiremock_image);
        (Args::parse_from(argv), ignored)
    }
}

/// A positive number of seconds, fractions allowed (`0.5`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Seconds(pub Duration);

impl FromStr for Seconds {
    type Err = String;

    fn from_str(s: &str) -> Result<Seconds, String> {
        let secs: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("expected a number of seconds, found {s:?}"))?;
        if !(secs > 0.0 && secs.is_finite()) {
            return Err(format!(
                "expected a positive number of seconds, found {s:?}"
            ));
        }
        Duration::try_from_secs_f64(secs)
            .map(Seconds)
            .map_err(|_| format!("{s:?} seconds is longer than this server can wait"))
    }
}

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_absurd_number_of_seconds_is_refused_not_a_panic() {
        let e = "1e30".parse::<super::Seconds>().unwrap_err();
        assert!(e.contains("longer than"), "{e}");
        assert!("0.5".parse::<super::Seconds>().is_ok());
    }

    use super::*;
    use std::path::Path;

    #[test]
    fn no_flags_give_the_library_defaults() {
        let c = Args::try_parse_from(["fake-servicer"]).unwrap().config();
        assert_eq!(c, Config::default());
        assert_eq!(c.plugins, Some(PathBuf::from("/app/services")));
        assert_eq!(c.listen, "0.0.0.0:80");
        assert_eq!(c.handler_timeout, Duration::from_secs(30));
        assert_eq!(c.max_body_bytes, 16_777_216);
        assert_eq!(c.journal_size, 10_000);
        assert_eq!(c.mappings, None);
        assert_eq!(c.docker, DockerMode::Auto);
    }

    #[test]
    fn started_with_a_root_dir_alone_it_runs_without_plugins_when_the_default_dir_is_absent() {
        let c = Args::try_parse_from(["fake-servicer", "--root-dir", "/wiremock"])
            .unwrap()
            .config();
        assert_eq!(c.root_dir, Some(PathBuf::from("/wiremock")));
        let default_there = Path::new("/app/services").is_dir();
        assert_eq!(c.plugins.is_some(), default_there);
        let explicit =
            Args::try_parse_from(["fake-servicer", "--root-dir", "/w", "--plugins", "/p"])
                .unwrap()
                .config();
        assert_eq!(explicit.plugins, Some(PathBuf::from("/p")));
    }

    #[test]
    fn docker_takes_auto_on_or_off_only() {
        let off = Args::try_parse_from(["fake-servicer", "--docker", "off"]).unwrap();
        assert_eq!(off.docker, DockerMode::Off);
        let on = Args::try_parse_from(["fake-servicer", "--docker", "on"]).unwrap();
        assert_eq!(on.docker, DockerMode::On);
        assert!(Args::try_parse_from(["fake-servicer", "--docker", "maybe"]).is_err());
    }

    #[test]
    fn handler_timeout_takes_fractions_and_refuses_nonsense() {
        let c = Args::try_parse_from(["fake-servicer", "--handler-timeout", "0.5"]).unwrap();
        assert_eq!(c.handler_timeout.0, Duration::from_millis(500));
        assert!(Args::try_parse_from(["fake-servicer", "--handler-timeout", "0"]).is_err());
        assert!(Args::try_parse_from(["fake-servicer", "--handler-timeout", "x"]).is_err());
    }

    #[test]
    fn file_size_caps_default_to_512_mib_and_8_mib_and_refuse_zero() {
        let c = Args::try_parse_from(["fake-servicer"]).unwrap().config();
        assert_eq!(c.max_plugin_bytes, 536_870_912);
        assert_eq!(c.max_mapping_file_bytes, 8_388_608);
        let set = Args::try_parse_from([
            "fake-servicer",
            "--max-plugin-bytes",
            "1000",
            "--max-mapping-file-bytes",
            "10",
        ])
        .unwrap()
        .config();
        assert_eq!(
            (set.max_plugin_bytes, set.max_mapping_file_bytes),
            (1000, 10)
        );
        for flag in ["--max-plugin-bytes", "--max-mapping-file-bytes"] {
            assert!(
                Args::try_parse_from(["fake-servicer", flag, "0"]).is_err(),
                "{flag}"
            );
        }
    }

    #[test]
    fn global_response_templating_is_off_unless_asked() {
        let c = Args::try_parse_from(["fake-servicer"]).unwrap().config();
        assert!(!c.global_response_templating);
        let on = Args::try_parse_from(["fake-servicer", "--global-response-templating"])
            .unwrap()
            .config();
        assert!(on.global_response_templating);
    }
}
