//! The fake-servicer image as a [testcontainers](https://docs.rs/testcontainers)
//! [`Image`] (feature `testcontainers`): a container with your plugin
//! libraries (a cargo `target/` dir) or your plugin crates (source mode,
//! the `dev` image) mounted, started, waited for until `/__admin/health`
//! answers, and handed back with a [`Client`] and the mapped port.
//!
//! The images are the repository's Dockerfile targets, built locally:
//! `docker build -t fake-servicer .` (the runtime image, for
//! [`FakeServicer::with_plugins`]) and `docker build --target dev -t
//! fake-servicer:dev .` (for [`FakeServicer::with_sources`]); another name
//! or tag is set with [`FakeServicer::image`].
//!
//! ```no_run
//! # async fn demo() -> fake_servicer_client::Result<()> {
//! use fake_servicer_client::prelude::*;
//! use fake_servicer_client::testcontainers::FakeServicer;
//!
//! let mock = FakeServicer::with_plugins("target/debug").start().await?;
//! mock.client()
//!     .stub(get("/users/7").service("example"))
//!     .respond(json(serde_json::json!({"id": 7})))
//!     .await?;
//! let users = format!("http://127.0.0.1:{}/example/users/7", mock.port());
//! # let _ = users; Ok(()) }
//! ```

use crate::{Client, Error, Result};
use std::borrow::Cow;
use std::path::Path;
use std::time::{Duration, Instant};
use testcontainers::core::{AccessMode, ContainerPort, IntoContainerPort, Mount, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, Image};

/// The image name [`FakeServicer`] uses unless told otherwise.
///
/// ```
/// println!("{:?}", fake_servicer_client::testcontainers::IMAGE);
/// ```
pub const IMAGE: &str = "fake-servicer";
/// The tag of the runtime image (prebuilt plugins).
///
/// ```
/// println!("{:?}", fake_servicer_client::testcontainers::RUNTIME_TAG);
/// ```
pub const RUNTIME_TAG: &str = "latest";
/// The tag of the dev image (source mode).
///
/// ```
/// println!("{:?}", fake_servicer_client::testcontainers::DEV_TAG);
/// ```
pub const DEV_TAG: &str = "dev";
/// The port the server listens on in the container.
///
/// ```
/// println!("{:?}", fake_servicer_client::testcontainers::PORT);
/// ```
pub const PORT: u16 = 80;
/// Where plugins (or plugin crates) are mounted in the container.
///
/// ```
/// println!("{:?}", fake_servicer_client::testcontainers::SERVICES_DIR);
/// ```
pub const SERVICES_DIR: &str = "/app/services";
/// Where mapping files are mounted in the container.
///
/// ```
/// println!("{:?}", fake_servicer_client::testcontainers::MAPPINGS_DIR);
/// ```
pub const MAPPINGS_DIR: &str = "/app/mappings";
/// How long [`FakeServicer::start`] waits for `/__admin/health` with
/// prebuilt plugins, unless [`FakeServicer::startup_timeout`] says otherwise.
///
/// ```
/// println!("{:?}", fake_servicer_client::testcontainers::DEFAULT_STARTUP_TIMEOUT);
/// ```
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// The same in source mode, where the first build of the plugins happens
/// in the container.
///
/// ```
/// println!("{:?}", fake_servicer_client::testcontainers::DEFAULT_SOURCES_STARTUP_TIMEOUT);
/// ```
pub const DEFAULT_SOURCES_STARTUP_TIMEOUT: Duration = Duration::from_secs(600);

/// A fake-servicer container to start: the image, what is mounted, the
/// settings. It is a testcontainers [`Image`], so testcontainers'
/// `ImageExt` (`with_network`, `with_container_name`, …) and `AsyncRunner`
/// work on it too; [`FakeServicer::start`] also waits for the health check
/// and makes the client.
///
/// ```no_run
/// # async fn demo() -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::testcontainers::FakeServicer;
///
/// let mock = FakeServicer::with_sources("tests/mocks")
///     .mappings("tests/mappings")
///     .admin_token("s3cret")
///     .start()
///     .await?;
/// println!("mock at {}", mock.url());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct FakeServicer {
    name: String,
    tag: String,
    mounts: Vec<Mount>,
    env: Vec<(String, String)>,
    token: Option<String>,
    startup_timeout: Duration,
    ports: [ContainerPort; 1],
}

fn host_path(dir: &Path) -> String {
    std::path::absolute(dir)
        .unwrap_or_else(|_| dir.to_owned())
        .to_string_lossy()
        .into_owned()
}

impl FakeServicer {
    fn new(tag: &str, startup_timeout: Duration) -> FakeServicer {
        FakeServicer {
            name: IMAGE.to_owned(),
            tag: tag.to_owned(),
            mounts: Vec::new(),
            env: vec![("FAKE_SERVICER_DOCKER".to_owned(), "off".to_owned())],
            token: None,
            startup_timeout,
            ports: [PORT.tcp()],
        }
    }

    /// The runtime image (`fake-servicer:latest`) serving the plugin
    /// libraries below `dir` (a cargo `target/` dir or a dir of `.so`
    /// files, built for the image's glibc), mounted read-only at
    /// `/app/services`. Rebuilding them on the host reloads them in the
    /// container.
    ///
    /// ```
    /// use fake_servicer_client::testcontainers::FakeServicer;
    /// let image = FakeServicer::with_plugins("target/debug");
    /// # let _ = image;
    /// ```
    pub fn with_plugins(dir: impl AsRef<Path>) -> FakeServicer {
        let mut me = FakeServicer::new(RUNTIME_TAG, DEFAULT_STARTUP_TIMEOUT);
        me.mounts.push(
            Mount::bind_mount(host_path(dir.as_ref()), SERVICES_DIR)
                .with_access_mode(AccessMode::ReadOnly),
        );
        me
    }

    /// The dev image (`fake-servicer:dev`, `docker build --target dev -t
    /// fake-servicer:dev .`) building and serving the plugin crates in
    /// `dir` (source mode, the image's `--sources /app/services`), mounted
    /// read-write at `/app/services`. Each crate sits in its own directory,
    /// `dir/<name>/Cargo.toml`, and depends on the SDK as `path =
    /// "../../sdk"` (the image holds it at `/app/sdk`, its dependencies
    /// vendored and prebuilt). The server builds them with the image's
    /// toolchain into `/app/target` and rebuilds a crate when its sources
    /// change on the host; [`start`](FakeServicer::start) waits up to
    /// [`DEFAULT_SOURCES_STARTUP_TIMEOUT`] for the health check, and a
    /// service appears once its first build is done
    /// ([`Client::services`](crate::Client::services) shows the builds and
    /// their errors).
    ///
    /// ```
    /// use fake_servicer_client::testcontainers::FakeServicer;
    /// let image = FakeServicer::with_sources("tests/mocks");
    /// # let _ = image;
    /// ```
    pub fn with_sources(dir: impl AsRef<Path>) -> FakeServicer {
        let mut me = FakeServicer::new(DEV_TAG, DEFAULT_SOURCES_STARTUP_TIMEOUT);
        me.mounts
            .push(Mount::bind_mount(host_path(dir.as_ref()), SERVICES_DIR));
        me
    }

    /// Also loads the WireMock mapping files in `dir` (`--mappings`),
    /// mounted read-only at `/app/mappings`.
    ///
    /// ```
    /// use fake_servicer_client::testcontainers::FakeServicer;
    /// let image = FakeServicer::with_plugins("target/debug").mappings("tests/mappings");
    /// # let _ = image;
    /// ```
    pub fn mappings(mut self, dir: impl AsRef<Path>) -> FakeServicer {
        self.mounts.push(
            Mount::bind_mount(host_path(dir.as_ref()), MAPPINGS_DIR)
                .with_access_mode(AccessMode::ReadOnly),
        );
        self.env("FAKE_SERVICER_MAPPINGS", MAPPINGS_DIR)
    }

    /// Sets the server's `--admin-token`; the client of
    /// [`FakeServicer::start`] sends it.
    ///
    /// ```
    /// use fake_servicer_client::testcontainers::FakeServicer;
    /// let image = FakeServicer::with_plugins("target/debug").admin_token("s3cret");
    /// # let _ = image;
    /// ```
    pub fn admin_token(mut self, token: impl Into<String>) -> FakeServicer {
        let token = token.into();
        self.token = Some(token.clone());
        self.env("FAKE_SERVICER_ADMIN_TOKEN", token)
    }

    /// Sets an environment variable of the server (any flag has one:
    /// `FAKE_SERVICER_JOURNAL_SIZE`, `FAKE_SERVICER_POLL`, …).
    ///
    /// ```
    /// use fake_servicer_client::testcontainers::FakeServicer;
    /// let image = FakeServicer::with_plugins("target/debug").env("FAKE_SERVICER_POLL", "true");
    /// # let _ = image;
    /// ```
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> FakeServicer {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Uses image `name:tag` instead of the default.
    ///
    /// ```
    /// use fake_servicer_client::testcontainers::FakeServicer;
    /// let image = FakeServicer::with_plugins("target/debug").image("registry.example/fake-servicer", "0.1.0");
    /// # let _ = image;
    /// ```
    pub fn image(mut self, name: impl Into<String>, tag: impl Into<String>) -> FakeServicer {
        self.name = name.into();
        self.tag = tag.into();
        self
    }

    /// How long [`FakeServicer::start`] waits for `/__admin/health` to
    /// answer (default [`DEFAULT_STARTUP_TIMEOUT`], 60 s, or
    /// [`DEFAULT_SOURCES_STARTUP_TIMEOUT`], 10 minutes, in source mode).
    ///
    /// ```
    /// use fake_servicer_client::testcontainers::FakeServicer;
    /// let image = FakeServicer::with_plugins("target/debug").startup_timeout(std::time::Duration::from_secs(20));
    /// # let _ = image;
    /// ```
    pub fn startup_timeout(mut self, timeout: Duration) -> FakeServicer {
        self.startup_timeout = timeout;
        self
    }

    /// Starts the container, waits until `/__admin/health` answers 200
    /// on the mapped port, and returns it with its client.
    ///
    /// ```no_run
    /// # async fn demo() -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::testcontainers::FakeServicer;
    /// let mock = FakeServicer::with_plugins("target/debug").start().await?;
    /// assert_eq!(mock.client().health().await?.status, "ok");
    /// # Ok(()) }
    /// ```
    pub async fn start(self) -> Result<Running> {
        let token = self.token.clone();
        let limit = self.startup_timeout;
        let container = AsyncRunner::start(self)
            .await
            .map_err(|e| Error::Container(e.to_string()))?;
        let port = container
            .get_host_port_ipv4(PORT)
            .await
            .map_err(|e| Error::Container(e.to_string()))?;
        let host = container
            .get_host()
            .await
            .map_err(|e| Error::Container(e.to_string()))?;
        let url = format!("http://{host}:{port}");
        let mut builder = Client::builder(&url).timeout(Duration::from_secs(5));
        if let Some(token) = token {
            builder = builder.admin_token(token);
        }
        let client = builder.build()?;
        let started = Instant::now();
        loop {
            match client.health().await {
                Ok(_) => break,
                Err(e) if started.elapsed() >= limit => {
                    return Err(Error::Container(format!(
                        "{url}/__admin/health did not answer within {limit:?}: {e}"
                    )));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        Ok(Running {
            container,
            client,
            port,
            url,
        })
    }
}

impl Image for FakeServicer {
    fn name(&self) -> &str {
        &self.name
    }

    fn tag(&self) -> &str {
        &self.tag
    }

    /// The server's start-up line: it is listening.
    fn ready_conditions(&self) -> Vec<WaitFor> {
        vec![WaitFor::message_on_stdout("fake-servicer listening on")]
    }

    fn env_vars(
        &self,
    ) -> impl IntoIterator<Item = (impl Into<Cow<'_, str>>, impl Into<Cow<'_, str>>)> {
        self.env.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    fn mounts(&self) -> impl IntoIterator<Item = &Mount> {
        &self.mounts
    }

    fn expose_ports(&self) -> &[ContainerPort] {
        &self.ports
    }
}

/// A started fake-servicer container: its client and mapped port. The
/// container is removed when this is dropped.
///
/// ```no_run
/// # async fn demo() -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::testcontainers::FakeServicer;
/// let mock = FakeServicer::with_plugins("target/debug").start().await?;
/// let app_config = format!("PAYMENTS_URL=http://127.0.0.1:{}/payments", mock.port());
/// # let _ = app_config; Ok(()) }
/// ```
pub struct Running {
    container: ContainerAsync<FakeServicer>,
    client: Client,
    port: u16,
    url: String,
}

impl Running {
    /// The client of the server in the container (with its admin token).
    ///
    /// ```no_run
    /// # async fn demo(mock: fake_servicer_client::testcontainers::Running) -> fake_servicer_client::Result<()> {
    /// mock.client().reset().await?;
    /// # Ok(()) }
    /// ```
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The host port mapped to the server's port 80.
    ///
    /// ```no_run
    /// # fn demo(mock: fake_servicer_client::testcontainers::Running) {
    /// println!("{}", mock.port());
    /// # }
    /// ```
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://<docker host>:<mapped port>`.
    ///
    /// ```no_run
    /// # fn demo(mock: fake_servicer_client::testcontainers::Running) {
    /// let users = format!("{}/example/users", mock.url());
    /// # let _ = users; }
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The container, for what testcontainers offers (logs, stop, exec).
    ///
    /// ```no_run
    /// # fn demo(mock: fake_servicer_client::testcontainers::Running) {
    /// println!("container {}", mock.container().id());
    /// # }
    /// ```
    pub fn container(&self) -> &ContainerAsync<FakeServicer> {
        &self.container
    }
}
