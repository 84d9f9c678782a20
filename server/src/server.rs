//! Starting and stopping the server: plugin dir check, first load, watch,
//! HTTP listener.

use crate::{
    admin,
    config::Config,
    conn::{Conn, FaultListener},
    dispatch::{self, App},
    plugin::{Registry, Watcher, watcher},
};
use std::{io, net::SocketAddr, path::PathBuf, sync::Arc};
use thiserror::Error;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// Why the server did not start.
#[derive(Debug, Error)]
pub enum StartError {
    #[error("plugin dir {}: {reason} (set --plugins or FAKE_SERVICER_PLUGINS to a cargo target/ dir or a dir of .so files)", path.display())]
    PluginDir { path: PathBuf, reason: String },
    #[error("cannot create a private dir for loading plugins: {0}")]
    Scratch(io::Error),
    #[error("cannot watch plugin dir {}: {err}", path.display())]
    Watch { path: PathBuf, err: notify::Error },
    #[error("cannot listen on {addr}: {err}")]
    Bind { addr: String, err: io::Error },
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
    registry: Arc<Registry>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
    _watcher: Watcher,
    _scratch: tempfile::TempDir,
}

impl Server {
    /// Loads every plugin in the plugin dir, starts watching it and starts
    /// listening. Requests are served from the moment this returns.
    pub async fn start(config: Config) -> Result<Server, StartError> {
        let plugins = check_plugin_dir(&config.plugins)?;
        let scratch = tempfile::Builder::new()
            .prefix("fake-servicer-")
            .tempdir()
            .map_err(StartError::Scratch)?;
        let registry = Arc::new(Registry::new(scratch.path().to_owned()));

        let first = {
            let registry = registry.clone();
            let plugins = plugins.clone();
            tokio::task::spawn_blocking(move || {
                for lib in watcher::scan(&plugins) {
                    registry.load_file(&lib);
                }
            })
        };
        // Watch before the first scan ends, so nothing built meanwhile is missed.
        let watch = Watcher::start(
            plugins.clone(),
            registry.clone(),
            config.quiet_period(),
            config.poll,
        )
        .map_err(|err| StartError::Watch {
            path: plugins.clone(),
            err,
        })?;
        let _ = first.await;

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

        let app = Arc::new(App {
            registry: registry.clone(),
            handler_timeout: config.handler_timeout,
            max_body_bytes: config.max_body_bytes,
        });
        let router = admin::routes()
            .fallback(dispatch::dispatch)
            .with_state(app)
            .into_make_service_with_connect_info::<Conn>();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(FaultListener(listener), router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Server {
            addr,
            registry,
            stop: Some(stop),
            task,
            _watcher: watch,
            _scratch: scratch,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
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

    /// The service registry.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Stops accepting connections, lets in-flight requests finish, stops
    /// watching.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(Err(e)) => tracing::warn!("server stopped with an error: {e}"),
            Err(e) => tracing::warn!("server task failed: {e}"),
            Ok(Ok(())) => {}
        }
    }
}

fn check_plugin_dir(path: &std::path::Path) -> Result<PathBuf, StartError> {
    let fail = |reason: String| StartError::PluginDir {
        path: path.to_owned(),
        reason,
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => path.canonicalize().map_err(|e| fail(e.to_string())),
        Ok(_) => Err(fail("not a directory".to_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(fail("does not exist".to_owned())),
        Err(e) => Err(fail(e.to_string())),
    }
}
