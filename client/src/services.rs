//! What the server serves: its services (`/__admin/services`) and its
//! health (`/__admin/health`).

use serde::Deserialize;

/// One service the server routes to: a loaded plugin, or stubs naming a
/// service no plugin provides.
///
/// ```no_run
/// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
/// let services = server.services().await?;
/// let example = services.get("example").expect("the example plugin is loaded");
/// assert!(example.routes.contains(&"GET /users".to_owned()));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Service {
    /// Its name (the Host label or first path segment that reaches it).
    pub name: String,
    /// `plugin` or `stubs`.
    #[serde(default)]
    pub kind: String,
    /// A plugin's routes (`GET /users/{id}`, …).
    #[serde(default)]
    pub routes: Vec<String>,
    /// A plugin's generation: it grows with every reload.
    #[serde(default)]
    pub generation: Option<u64>,
    /// Why the last reload of a plugin failed, if it did.
    #[serde(default)]
    pub last_error: Option<String>,
    /// How many stubs a stub-only service has.
    #[serde(default)]
    pub stubs: Option<u64>,
}

/// A file the server refused to load, and why.
///
/// ```no_run
/// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
/// for refused in server.services().await?.refused {
///     eprintln!("{}: {}", refused.file, refused.error);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Refused {
    /// The file.
    pub file: String,
    /// Why it was refused.
    pub error: String,
}

/// The server's services and refused files.
///
/// ```no_run
/// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
/// let names: Vec<String> = server.services().await?.services.into_iter().map(|s| s.name).collect();
/// # let _ = names; Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Services {
    /// Every service, plugins and stub-only ones.
    pub services: Vec<Service>,
    /// Files that are not loaded.
    #[serde(default)]
    pub refused: Vec<Refused>,
}

impl Services {
    /// The service called `name`.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// let loaded = server.services().await?.get("payments").is_some();
    /// # let _ = loaded; Ok(()) }
    /// ```
    pub fn get(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }
}

/// `/__admin/health`.
///
/// ```no_run
/// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
/// let health = server.health().await?;
/// assert_eq!(health.status, "ok");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// How many services are loaded.
    #[serde(default)]
    pub services: u64,
    /// How many stubs there are.
    #[serde(default)]
    pub stubs: u64,
    /// The server's version.
    #[serde(default)]
    pub version: String,
}
