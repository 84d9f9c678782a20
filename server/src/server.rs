//! Starting and stopping the server: plugin dir check, first load, watch,
//! HTTP listener.

use crate::{
    admin,
    answer::{self, Sources},
    config::Config,
    dispatch,
    docker::Aliases,
    journal::{self, Journal},
    mappings::{MappingFiles, Stubs},
    overrides::{self, Overrides},
    plugin::Registry,
    runner::Runner,
    settings::Settings,
    sources::{self, Builder, Builds},
    state::{App, RequestPath},
    watch::{self, WatchTarget, Watcher},
};
use std::{io, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};
use thiserror::Error;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// Why the server did not start.
#[derive(Debug, Error)]
pub enum StartError {
    #[error("plugin dir {}: {reason} (set --plugins or FAKE_SERVICER_PLUGINS to a cargo target/ dir or a dir of .so files)", path.display())]
    PluginDir { path: PathBuf, reason: String },
    #[error("sources dir {}: {reason} (set --sources or FAKE_SERVICER_SOURCES to a dir of plugin crates)", path.display())]
    SourcesDir { path: PathBuf, reason: String },
    #[error("--sources: {0}")]
    Sources(String),
    #[error("cannot create a private dir for loading plugins: {0}")]
    Scratch(io::Error),
    #[error("mappings dir {}: {reason} (set --mappings or FAKE_SERVICER_MAPPINGS to a dir of WireMock *.json stub files)", path.display())]
    MappingsDir { path: PathBuf, reason: String },
    /// `--root-dir` is not a usable directory.
    #[error("--root-dir {}: {reason}", path.display())]
    RootDir { path: PathBuf, reason: String },
    /// `--proto-dir` is not a usable directory.
    #[error("--proto-dir {}: {reason}", path.display())]
    ProtoDir { path: PathBuf, reason: String },
    #[error("cannot watch {}: {err}", path.display())]
    Watch { path: PathBuf, err: notify::Error },
    #[error("--docker on: {0}")]
    Docker(String),
    #[error(
        "--admin-token (FAKE_SERVICER_ADMIN_TOKEN) is empty: give a token, or leave it unset to run the admin API without one"
    )]
    EmptyAdminToken,
    #[error("cannot listen on {addr}: {err}")]
    Bind { addr: String, err: io::Error },
    #[error("HTTPS: {0}")]
    Tls(String),
    /// `--kubernetes-resources` is not a usable file.
    #[error("--kubernetes-resources {0}")]
    KubernetesResources(String),
}

/// A running server.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use fake_servicer_server::{Config, Server};
/// let server = Server::start(Config::local("target/debug")).await?;
/// println!("serving at {}", server.url());
/// server.shutdown().await;
/// # Ok(()) }
/// ```
pub struct Server {
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    registry: Arc<Registry>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    _watchers: Vec<Watcher>,
    _builder: Option<Builder>,
    _aliases: Aliases,
    _scratch: tempfile::TempDir,
}

/// Loads everything `target` finds below `dir`, then watches `dir` (the
/// watch starts first, so nothing written meanwhile is missed).
async fn load_and_watch(
    dir: &std::path::Path,
    target: Arc<dyn WatchTarget>,
    config: &Config,
) -> Result<Watcher, StartError> {
    let watch = Watcher::start(
        dir.to_owned(),
        target.clone(),
        config.quiet_period(),
        config.poll,
    )
    .map_err(|err| StartError::Watch {
        path: dir.to_owned(),
        err,
    })?;
    let dir = dir.to_owned();
    let _ = tokio::task::spawn_blocking(move || {
        for file in watch::scan(&*target, &dir) {
            target.load(&file);
        }
    })
    .await;
    Ok(watch)
}

impl Server {
    /// Loads every plugin in the plugin dir, starts watching it and starts
    /// listening. Requests are served from the moment this returns.
    pub async fn start(config: Config) -> Result<Server, StartError> {
        let admin_token: Option<Arc<str>> = match config.admin_token.as_deref().map(str::trim) {
            Some("") => return Err(StartError::EmptyAdminToken),
            token => token.map(Arc::from),
        };
        let plugins = optional_dir(&config.plugins, |path, reason| StartError::PluginDir {
            path,
            reason,
        })?;
        let sources = optional_dir(&config.sources, |path, reason| StartError::SourcesDir {
            path,
            reason,
        })?;
        let mappings_dir = optional_dir(&config.mappings, |path, reason| {
            StartError::MappingsDir { path, reason }
        })?;
        let scratch = tempfile::Builder::new()
            .prefix("fake-servicer-")
            .tempdir()
            .map_err(StartError::Scratch)?;
        let registry = Arc::new(Registry::new(
            scratch.path().to_owned(),
            config.max_plugin_bytes,
        ));

        let mut watchers = Vec::new();
        if let Some(dir) = &plugins {
            watchers.push(load_and_watch(dir, registry.clone(), &config).await?);
        }
        let builds = Arc::new(Builds::default());
        let builder = match sources {
            Some(sources) => Some(
                Builder::start(
                    sources::Settings {
                        target_dir: config
                            .target_dir
                            .clone()
                            .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
                            .unwrap_or_else(|| sources.join("target")),
                        sources,
                        release: config.release,
                        quiet: config.quiet_period(),
                        poll: config.poll,
                        build_timeout: config.build_timeout,
                    },
                    registry.clone(),
                    builds.clone(),
                )
                .map_err(StartError::Sources)?,
            ),
            None => None,
        };
        let named = registry.clone();
        let stubs = Arc::new(Stubs::new(Box::new(move |names| {
            named.set_stub_services(names)
        })));
        let named = registry.clone();
        let resources = Arc::new(crate::resources::Resources::new(
            config.resource_limits(),
            Box::new(move |names| named.set_named_services("resources", names)),
        ));
        if let Some(dir) = &mappings_dir {
            let files = MappingFiles {
                stubs: stubs.clone(),
                resources: resources.clone(),
                root: dir.clone(),
                dirs_are_services: true,
                max_file_bytes: config.max_mapping_file_bytes,
            };
            watchers.push(load_and_watch(dir, Arc::new(files), &config).await?);
        }
        // WireMock's layout: `mappings/` is watched (made when missing, so
        // that recordings and later files are seen), bodies in `__files/`.
        let root_dir = optional_dir(&config.root_dir, |path, reason| StartError::RootDir {
            path,
            reason,
        })?;
        if let Some(root) = &root_dir {
            let dir = root.join("mappings");
            match std::fs::create_dir_all(&dir) {
                Ok(()) => {
                    let files = MappingFiles {
                        stubs: stubs.clone(),
                        resources: resources.clone(),
                        root: dir.clone(),
                        dirs_are_services: false,
                        max_file_bytes: config.max_mapping_file_bytes,
                    };
                    watchers.push(load_and_watch(&dir, Arc::new(files), &config).await?);
                }
                Err(e) => tracing::warn!(
                    "--root-dir {}: no mappings directory ({e}); no stubs from files",
                    root.display()
                ),
            }
        }
        // gRPC descriptors: --proto-dir, else the root dir's `grpc/`;
        // loaded before the server listens.
        let proto_dir = optional_dir(&config.proto_dir, |path, reason| StartError::ProtoDir {
            path,
            reason,
        })?
        .or_else(|| {
            root_dir
                .as_ref()
                .map(|r| r.join("grpc"))
                .filter(|d| d.is_dir())
        });
        let grpc = Arc::new(crate::grpc::Grpc::new(
            proto_dir,
            config.max_mapping_file_bytes,
            config.max_grpc_message_bytes,
        ));
        // And the plugins' descriptors, merged again whenever they change
        // (followed from before the first load: no change is missed).
        let plugin_changes = registry.subscribe();
        let loading = grpc.clone();
        let sets = registry.snapshot().grpc_descriptors();
        let _ = tokio::task::spawn_blocking(move || loading.start(sets)).await;
        follow_plugin_descriptors(&registry, grpc.clone(), plugin_changes);
        if let Some(dir) = grpc.dir().map(ToOwned::to_owned) {
            let target: Arc<dyn WatchTarget> = grpc.clone();
            let watch = Watcher::start(dir.clone(), target, config.quiet_period(), config.poll)
                .map_err(|err| StartError::Watch { path: dir, err })?;
            watchers.push(watch);
        }
        let persist_to = match (&root_dir, &mappings_dir) {
            (Some(root), _) => Some(crate::record::PersistTo {
                mappings: root.join("mappings"),
                files: root.join(crate::body_files::DIR_NAME),
            }),
            (None, Some(dir)) => Some(crate::record::PersistTo {
                mappings: dir.clone(),
                files: dir.join(crate::body_files::DIR_NAME),
            }),
            (None, None) => None,
        };
        let body_files_dir = persist_to.as_ref().map(|p| p.files.clone());

        let aliases = Aliases::start(config.docker, registry.clone())
            .await
            .map_err(StartError::Docker)?;

        let listener = TcpListener::bind(&config.listen)
            .await
            .map_err(|err| StartError::Bind {
                addr: config.listen.clone(),
                err,
            })?;
        let addr = listener.local_addr().map_err(|err| StartError::Bind {
            addr: config.listen.clone(),
            err,
        })?;

        let tls = match &config.tls_listen {
            Some(addr) => Some(start_tls(addr, &config, &registry, &aliases).await?),
            None => None,
        };
        let tls_addr = tls.as_ref().and_then(|(l, _)| l.local_addr().ok());

        let overrides = Arc::new(Overrides::new(
            config.max_armed_overrides,
            config.max_armed_override_bytes,
        ));
        let settings = Arc::new(Settings::default());
        let runner = Arc::new(Runner::new(inline_slots(), config.handler_timeout));
        let proxy = crate::proxy::Proxy::new(config.proxy_timeout, config.proxy_max_body_bytes)
            .regzipping(config.gzip);
        let recorder = Arc::new(crate::record::Recorder::new(
            config.max_recorded_exchanges,
            config.max_recorded_bytes,
            persist_to,
        ));
        let journal = Arc::new(Journal::new(config.journal_size).with_waiters(
            journal::Waiters::new(config.max_waiters, config.max_wait_timeout),
        ));
        let streams = Arc::new(crate::streams::Streams::new(
            crate::streams::Limits {
                max_streams: config.max_streams,
                max_queued_bytes: config.max_stream_queue_bytes,
                idle_timeout: config.stream_idle_timeout,
                max_message_bytes: config.max_body_bytes,
            },
            Some(journal.clone()),
        ));
        let scope_activity = Arc::new(crate::scope::Activity::default());
        let kubernetes = match config.kubernetes {
            true => Some(start_kubernetes(
                &config,
                &registry,
                &streams,
                &scope_activity,
            )?),
            false => None,
        };
        // Every kind of answer, in the order asked (`crate::answer`).
        let mut sources: Vec<Box<dyn answer::Source>> = vec![
            Box::new(answer::loops::LoopGuard {
                proxy: proxy.clone(),
            }),
            Box::new(overrides::source::Arming {
                overrides: overrides.clone(),
                admin_token: admin_token.clone(),
                scope_activity: scope_activity.clone(),
            }),
            Box::new(overrides::source::Armed {
                overrides: overrides.clone(),
            }),
            Box::new(answer::stubs::FromStubs {
                stubs: stubs.clone(),
                settings: settings.clone(),
                templating: config.templating(),
                proxy: proxy.clone(),
                recorder: recorder.clone(),
                budget: config.cpu_budget,
                files: Arc::new(crate::body_files::BodyFiles::new(
                    body_files_dir,
                    config.max_body_file_bytes,
                )),
            }),
            Box::new(crate::resources::source::FromResources {
                resources: resources.clone(),
                scope_activity: scope_activity.clone(),
            }),
        ];
        if let Some(api) = &kubernetes {
            sources.push(Box::new(crate::kubernetes::FromKubernetes(api.clone())));
        }
        sources.push(Box::new(answer::plugins::FromPlugins {
            runner: runner.clone(),
            scope_activity: scope_activity.clone(),
        }));
        sources.push(Box::new(answer::not_found::NotFound {
            stubs: stubs.clone(),
            budget: config.cpu_budget,
        }));
        let sources = Sources::new(sources);
        let path = Arc::new(RequestPath {
            registry: registry.clone(),
            journal: journal.clone(),
            max_body_bytes: config.max_body_bytes,
            body_timeout: config.body_timeout,
            scope_activity: scope_activity.clone(),
            builds: builds.clone(),
            sources,
            stub_cors: config.stub_cors,
            gzip: config.gzip,
            grpc,
            verbose: config.verbose,
            webhooks: crate::webhooks::Webhooks::new(
                crate::webhooks::Limits {
                    max_queued: config.max_queued_webhooks,
                    concurrency: config.webhook_concurrency,
                    timeout: config.webhook_timeout,
                    budget: config.cpu_budget,
                },
                journal.clone(),
            ),
            streams: streams.clone(),
        });
        let app = App {
            path: path.clone(),
            registry: registry.clone(),
            stubs,
            journal,
            overrides,
            settings,
            docker: aliases.status.clone(),
            builds,
            recorder,
            tls: tls.as_ref().map(|(_, tls)| tls.clone()),
            scope_activity,
            cpu_budget: config.cpu_budget,
            proxy: proxy.clone(),
            streams,
            resources,
            kubernetes,
        };
        expire_idle_scopes(&app, config.scope_idle_timeout);
        let admin = admin::routes(admin_token, config.max_admin_body_bytes)
            .fallback(dispatch::dispatch)
            .with_state(app);
        let (stop, stopped) = oneshot::channel::<()>();
        let limits = crate::serve::Limits {
            max_headers: config.max_headers,
            max_head_bytes: config.max_header_bytes,
            head_timeout: config.header_timeout,
            max_connections: config.max_connections,
            max_unsent_bytes: config.max_unsent_bytes,
            send_timeout: config.send_timeout,
        };
        let task = tokio::spawn(crate::serve::serve(
            listener,
            tls,
            admin,
            path,
            limits,
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(Server {
            addr,
            tls_addr,
            registry,
            stop: Some(stop),
            task,
            _watchers: watchers,
            _builder: builder,
            _aliases: aliases,
            _scratch: scratch,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The HTTPS address, with `--tls-listen`.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// A URL to reach the server from this machine (`http://127.0.0.1:PORT`
    /// when listening on all interfaces).
    pub fn url(&self) -> String {
        let ip = if self.addr.ip().is_unspecified() {
            match self.addr {
                SocketAddr::V4(_) => "127.0.0.1".to_owned(),
                SocketAddr::V6(_) => "[::1]".to_owned(),
            }
        } else if self.addr.is_ipv6() {
            format!("[{}]", self.addr.ip())
        } else {
            self.addr.ip().to_string()
        };
        format!("http://{ip}:{}", self.addr.port())
    }

    /// The services loaded now, sorted by name, each with its routes
    /// (`GET /users/{id}`).
    pub fn service_routes(&self) -> Vec<(String, Vec<String>)> {
        self.registry
            .snapshot()
            .services()
            .map(|s| {
                let routes = s.library.routes.routes().iter();
                (
                    s.name.to_string(),
                    routes.map(|r| r.label.to_string()).collect(),
                )
            })
            .collect()
    }

    /// The services only stubs define (no plugin provides them), sorted.
    pub fn stub_services(&self) -> Vec<String> {
        let snapshot = self.registry.snapshot();
        snapshot.stub_only().map(|s| s.to_string()).collect()
    }

    /// Like [`shutdown`](Self::shutdown), but gives in-flight requests at
    /// most `limit` to finish; whether they all did.
    pub async fn shutdown_within(mut self, limit: std::time::Duration) -> bool {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match tokio::time::timeout(limit, &mut self.task).await {
            Ok(_) => true,
            Err(_) => {
                self.task.abort();
                false
            }
        }
    }

    /// Stops accepting connections, lets in-flight requests finish, stops
    /// watching.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(e) = (&mut self.task).await {
            tracing::warn!("server task failed: {e}");
        }
    }
}

/// The Kubernetes API (`--kubernetes`): its kinds read, its service named.
fn start_kubernetes(
    config: &Config,
    registry: &Registry,
    streams: &Arc<crate::streams::Streams>,
    activity: &Arc<crate::scope::Activity>,
) -> Result<Arc<crate::kubernetes::Api>, StartError> {
    use crate::kubernetes::{Api, SERVICE, kinds::Kinds};
    let kinds = match &config.kubernetes_resources {
        Some(file) => Kinds::from_file(file),
        None => Kinds::new(Vec::new()),
    }
    .map_err(StartError::KubernetesResources)?;
    let limits = crate::kubernetes::Limits {
        max_objects: config.max_kubernetes_objects,
        max_bytes: config.max_kubernetes_bytes,
        history: config.kubernetes_watch_history,
    };
    let api = Api::new(kinds, limits, streams, activity.clone());
    registry.set_named_services(SERVICE, [Arc::from(SERVICE)].into_iter().collect());
    Ok(api)
}

/// Binds `addr` for HTTPS and sets up TLS: the CA, and certificates for
/// `localhost`, the container's names and aliases, and every name that
/// routes to a service by its Host.
async fn start_tls(
    addr: &str,
    config: &Config,
    registry: &Arc<Registry>,
    aliases: &Aliases,
) -> Result<(TcpListener, crate::tls::Tls), StartError> {
    use crate::tls::{Tls, ca, certs};
    let source = ca::CaSource {
        cert: config.ca_cert.clone(),
        key: config.ca_key.clone(),
        dir: config.ca_dir.clone(),
    };
    let ca = tokio::task::spawn_blocking(move || ca::Ca::obtain(&source))
        .await
        .map_err(|e| StartError::Tls(e.to_string()))?
        .map_err(StartError::Tls)?;
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let (registry, docker) = (registry.clone(), aliases.status.clone());
    let ours: certs::NameCheck = Box::new(move |name: &str| {
        (!hostname.is_empty() && name == hostname)
            || crate::sync::lock(&docker)
                .aliases
                .iter()
                .any(|a| a.eq_ignore_ascii_case(name))
            || {
                let snapshot = registry.snapshot();
                crate::routing::host_service(name, |n| snapshot.resolve(n)).is_some()
            }
    });
    let tls = Tls::new(
        certs::Certs::new(ca, ours).map_err(StartError::Tls)?,
        config.tls_handshake_timeout,
    )
    .map_err(StartError::Tls)?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|err| StartError::Bind {
            addr: addr.to_owned(),
            err,
        })?;
    Ok((listener, tls))
}

/// Merges the descriptors of the loaded plugins into `grpc` again whenever
/// the registry changes (off the request path: in a blocking task); ends
/// with the registry.
fn follow_plugin_descriptors(
    registry: &Arc<Registry>,
    grpc: Arc<crate::grpc::Grpc>,
    mut changes: tokio::sync::watch::Receiver<u64>,
) {
    let registry = Arc::downgrade(registry);
    tokio::spawn(async move {
        while changes.changed().await.is_ok() {
            let Some(sets) = registry.upgrade().map(|r| r.snapshot().grpc_descriptors()) else {
                return;
            };
            let merging = grpc.clone();
            if let Err(e) =
                tokio::task::spawn_blocking(move || merging.set_plugin_descriptors(sets)).await
            {
                tracing::warn!("merging the plugins' gRPC descriptors failed: {e}");
            }
        }
    });
}

/// Inline handler calls allowed at once: all workers of this runtime but
/// one (none on a single-threaded runtime), so one is always free.
fn inline_slots() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_workers()
        .saturating_sub(1)
}

/// The directory `dir` names, if any, checked by [`check_dir`]; `error`
/// says which setting was wrong.
fn optional_dir(
    dir: &Option<PathBuf>,
    error: impl FnOnce(PathBuf, String) -> StartError,
) -> Result<Option<PathBuf>, StartError> {
    dir.as_ref()
        .map(|d| check_dir(d).map_err(|reason| error(d.clone(), reason)))
        .transpose()
}

/// An existing directory, canonicalized; otherwise why not.
fn check_dir(path: &std::path::Path) -> Result<PathBuf, String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => path.canonicalize().map_err(|e| e.to_string()),
        Ok(_) => Err("not a directory".to_owned()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err("does not exist".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

/// Every so often, removes the stubs, overrides and resource states of
/// scopes idle for `idle`, and the state plugins keep for them (runs while
/// the server's runtime does).
fn expire_idle_scopes(app: &App, idle: Duration) {
    let (activity, stubs, overrides, resources, registry) = (
        Arc::downgrade(&app.scope_activity),
        Arc::downgrade(&app.stubs),
        Arc::downgrade(&app.overrides),
        Arc::downgrade(&app.resources),
        Arc::downgrade(&app.registry),
    );
    let kubernetes = app.kubernetes.as_ref().map(Arc::downgrade);
    let every = (idle / 4).clamp(Duration::from_millis(50), Duration::from_secs(60));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let (Some(activity), Some(stubs), Some(overrides), Some(resources), Some(registry)) = (
                activity.upgrade(),
                stubs.upgrade(),
                overrides.upgrade(),
                resources.upgrade(),
                registry.upgrade(),
            ) else {
                return;
            };
            let ended = activity.take_idle(idle);
            if ended.is_empty() {
                continue;
            }
            // All at once, off the async workers: thousands of scopes may
            // end together.
            let kubernetes = kubernetes.clone();
            let _ = tokio::task::spawn_blocking(move || {
                let ended: std::collections::HashSet<&str> = ended.iter().map(|s| &**s).collect();
                stubs.remove_scopes(&ended);
                overrides.remove_scopes(&ended);
                for scope in &ended {
                    resources.drop_scope(scope);
                }
                if let Some(api) = kubernetes.as_ref().and_then(std::sync::Weak::upgrade) {
                    for scope in &ended {
                        api.drop_scope(scope);
                    }
                }
                let snapshot = registry.snapshot();
                for scope in &ended {
                    crate::plugin::scoped::forget_now(&snapshot, Some(scope));
                }
            })
            .await;
        }
    });
}
