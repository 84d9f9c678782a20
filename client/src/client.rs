//! The async client: its struct and builder; its methods, shared with the
//! blocking client, are written once in [`crate::calls`].

use crate::error::Result;
use crate::journal::LoggedRequest;
use crate::ops;
use crate::prepare::Settings;
use crate::wait::Wait;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

/// Makes a [`Client`] with an admin token or another timeout.
///
/// ```no_run
/// # fn demo() -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::Client;
///
/// let server = Client::builder("http://fake-services")
///     .admin_token("s3cret")
///     .timeout(std::time::Duration::from_secs(5))
///     .build()?;
/// # let _ = server; Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct ClientBuilder {
    pub(crate) settings: Settings,
}

impl ClientBuilder {
    /// Sends `Authorization: Bearer <token>` with every admin call and
    /// every arming request (the server's `--admin-token`).
    ///
    /// ```
    /// let builder = fake_servicer_client::Client::builder("http://127.0.0.1:8080").admin_token("s3cret");
    /// # let _ = builder;
    /// ```
    pub fn admin_token(mut self, token: impl Into<String>) -> ClientBuilder {
        self.settings.token = Some(token.into());
        self
    }

    /// How long one call may take (default
    /// [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT), 30 s).
    ///
    /// ```
    /// let builder = fake_servicer_client::Client::builder("http://127.0.0.1:8080")
    ///     .timeout(std::time::Duration::from_secs(5));
    /// # let _ = builder;
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.settings.timeout = timeout;
        self
    }

    /// The async client.
    ///
    /// ```
    /// # fn demo() -> fake_servicer_client::Result<()> {
    /// let server = fake_servicer_client::Client::builder("http://127.0.0.1:8080").build()?;
    /// # let _ = server; Ok(()) }
    /// ```
    pub fn build(self) -> Result<Client> {
        Client::from_settings(self.settings)
    }
}

/// The async client of one server: its admin API (`/__admin`) and its
/// next-request overrides. Cheap to clone; clones share connections.
///
/// ```no_run
/// # async fn demo() -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::prelude::*;
///
/// let server = Client::new("http://fake-services");
/// server
///     .stub(get("/users/7").service("example"))
///     .respond(json(serde_json::json!({"id": 7, "name": "Stubbed"})))
///     .await?;
/// server.next_request("example", GET, "/users").status(403).arm().await?;
/// // … exercise the app …
/// server.verify(get("/users/7").service("example"), 1).await?;
/// server.reset().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    settings: Settings,
}

impl Client {
    /// A builder for a client of the server at `base`.
    ///
    /// ```
    /// let builder = fake_servicer_client::Client::builder("http://127.0.0.1:8080");
    /// # let _ = builder;
    /// ```
    pub fn builder(base: impl AsRef<str>) -> ClientBuilder {
        ClientBuilder {
            settings: Settings::new(base.as_ref()),
        }
    }
}

crate::calls::client_calls!(async Client);

impl<'c> IntoFuture for Wait<'c, Client> {
    type Output = Result<Vec<LoggedRequest>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'c>>;

    /// Sends the wait; see [`Client::wait`].
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let op = ops::wait(self.sought()?, self.client.settings.timeout);
            self.client.run(op).await?
        })
    }
}
