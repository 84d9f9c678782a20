//! The blocking client's scopes: the calls of [`crate::Scope`] that reach
//! the server, without `.await`.

use super::Client;
use crate::error::Result;
use crate::journal::{LoggedRequest, ServeEvent, Times};
use crate::ops;
use crate::pattern::RequestPattern;
use crate::scope::{Scope, ScopeInfo};

impl Scope<Client> {
    /// How many requests of this scope in the journal match `pattern`.
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// let n = server.scope("test-42").count(post("/payments").service("billing"))?;
    /// # let _ = n; Ok(()) }
    /// ```
    pub fn count(&self, pattern: RequestPattern) -> Result<u64> {
        let scope = Some(self.checked()?);
        Ok(self.client.run(ops::count(pattern.to_json(), scope))?.count)
    }

    /// The requests of this scope in the journal that match `pattern`,
    /// oldest first.
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// let posted = server.scope("test-42").find(post("/users").service("example"))?;
    /// # let _ = posted; Ok(()) }
    /// ```
    pub fn find(&self, pattern: RequestPattern) -> Result<Vec<LoggedRequest>> {
        let scope = Some(self.checked()?);
        self.client.run(ops::find(pattern.to_json(), scope))
    }

    /// The journal entries of this scope, newest first (at most the
    /// server's default page of 1 000).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// let events = server.scope("test-42").requests()?;
    /// # let _ = events; Ok(()) }
    /// ```
    pub fn requests(&self) -> Result<Vec<ServeEvent>> {
        let scope = Some(self.checked()?);
        self.client.run(ops::requests(None, scope))
    }

    /// Checks that the journal holds `times` requests of this scope
    /// matching `pattern`, as [`Client::verify`] does.
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// use fake_servicer_client::prelude::*;
    /// server.scope("test-42").verify(get("/users").service("example"), at_least(1))?;
    /// # Ok(()) }
    /// ```
    pub fn verify(&self, pattern: RequestPattern, times: impl Into<Times>) -> Result<()> {
        let scope = Some(self.checked()?);
        self.client.verify_in(scope, pattern, times.into())
    }

    /// How many journal entries of this scope the server dropped since the
    /// journal was last reset (see [`Client::journal_evicted`]).
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// let evicted = server.scope("test-42").journal_evicted()?;
    /// # let _ = evicted; Ok(()) }
    /// ```
    pub fn journal_evicted(&self) -> Result<u64> {
        let scope = Some(self.checked()?);
        self.client.journal_evicted_in(scope)
    }

    /// Removes this scope's stubs, overrides and journal entries, nothing
    /// else (`DELETE /__admin/scopes/{name}`); gives how many of each went.
    ///
    /// ```no_run
    /// # fn demo(server: fake_servicer_client::blocking::Client) -> fake_servicer_client::Result<()> {
    /// let removed = server.scope("test-42").reset()?;
    /// println!("{} stubs removed", removed.stubs);
    /// # Ok(()) }
    /// ```
    pub fn reset(&self) -> Result<ScopeInfo> {
        let scope = self.checked()?;
        self.client.run(ops::remove_scope(scope))
    }
}
