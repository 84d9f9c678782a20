//! A real server on a free loopback port, in the test's process, that
//! stops when it is dropped.

use crate::examples;
use fake_servicer_client::Client;
use fake_servicer_server::{Config, Server};
use std::{
    ops::Deref,
    path::{Path, PathBuf},
    sync::OnceLock,
    time::Duration,
};
use tokio::runtime::{Handle, RuntimeFlavor};

/// How long a drop waits for the server to stop before it abandons it.
const STOP_ON_DROP: Duration = Duration::from_secs(10);

/// A [`Server`] started for one test. It derefs to the server (`url`,
/// `addr`, `service_routes` …) and stops when dropped: on a multi-thread
/// runtime the drop waits (up to 10 s) for in-flight requests as
/// [`Server::shutdown`] does; elsewhere, or while the test panics, the
/// server is told to stop and the runtime's end finishes it. A test of
/// stopping itself calls [`shutdown`](Self::shutdown) or
/// [`shutdown_within`](Self::shutdown_within).
///
/// A server made by [`serve`] owns its plugin dir, which goes once the
/// server has stopped.
pub struct TestServer {
    server: Option<Server>,
    plugins: Option<PathBuf>,
    admin_token: Option<String>,
    client: OnceLock<Client>,
    // Goes with the struct, once `drop` has stopped the server.
    _owned_dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// The plugin dir it was started with.
    pub fn plugin_dir(&self) -> &Path {
        self.plugins.as_deref().expect("a server with a plugin dir")
    }

    /// A [`fake_servicer_client::Client`] of this server (with its admin
    /// token, if it has one), for tests that steer the server rather than
    /// test its admin API.
    pub fn client(&self) -> Client {
        self.client
            .get_or_init(|| match &self.admin_token {
                Some(token) => Client::builder(self.url())
                    .admin_token(token.clone())
                    .build()
                    .expect("a client"),
                None => Client::new(self.url()),
            })
            .clone()
    }

    /// Stops the server and waits for in-flight requests to finish
    /// ([`Server::shutdown`]): for tests of stopping.
    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// [`Server::shutdown_within`]: whether in-flight requests finished
    /// within `limit`.
    pub async fn shutdown_within(mut self, limit: Duration) -> bool {
        match self.server.take() {
            Some(server) => server.shutdown_within(limit).await,
            None => true,
        }
    }
}

impl Deref for TestServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        self.server.as_ref().expect("a running server")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let Some(server) = self.server.take() else {
            return;
        };
        if std::thread::panicking() {
            // Dropping the `Server` tells it to stop; waiting could hang
            // on whatever made the test fail.
            return;
        }
        match Handle::try_current() {
            Ok(rt) if rt.runtime_flavor() == RuntimeFlavor::MultiThread => {
                let url = server.url();
                let stopped = tokio::task::block_in_place(|| {
                    rt.block_on(server.shutdown_within(STOP_ON_DROP))
                });
                if !stopped {
                    eprintln!("the test server at {url} was still busy after {STOP_ON_DROP:?}");
                }
            }
            // A current-thread runtime cannot wait here without stopping
            // the server it waits for; outside a runtime there is none to
            // wait on. Dropping the `Server` tells it to stop.
            _ => drop(server),
        }
    }
}

/// A server on a free loopback port with the plugins of `plugins`
/// ([`Config::local`]).
pub async fn start_server(plugins: &Path) -> TestServer {
    start_with(Config::local(plugins)).await
}

/// A server with its configuration as given.
pub async fn start_with(config: Config) -> TestServer {
    init_logs();
    let plugins = config.plugins.clone();
    let admin_token = config.admin_token.clone();
    TestServer {
        server: Some(Server::start(config).await.expect("server starts")),
        plugins,
        admin_token,
        client: OnceLock::new(),
        _owned_dir: None,
    }
}

/// A server whose plugin dir (a fresh temporary dir it owns, see
/// [`TestServer::plugin_dir`]) holds a copy of each of `libraries`,
/// configured by `adjust` on top of [`Config::local`].
pub async fn serve(libraries: &[PathBuf], adjust: impl FnOnce(&mut Config)) -> TestServer {
    let dir = tempfile::tempdir().expect("plugin dir");
    for lib in libraries {
        let name = lib.file_name().expect("a library file name");
        std::fs::copy(lib, dir.path().join(name)).expect("copy library");
    }
    let mut config = Config::local(dir.path());
    adjust(&mut config);
    let mut server = start_with(config).await;
    server._owned_dir = Some(dir);
    server
}

/// A server with the example plugins ([`examples`]), configured by
/// `adjust`.
pub async fn serve_examples(adjust: impl FnOnce(&mut Config)) -> TestServer {
    serve(examples(), adjust).await
}

/// The server's logs (`RUST_LOG`, else `fake_servicer_server=info`) go to
/// the test's captured output.
fn init_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "fake_servicer_server=info".into()),
            )
            .with_test_writer()
            .try_init();
    });
}
