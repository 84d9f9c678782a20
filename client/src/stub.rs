//! Stubs (WireMock mappings): the builder that makes one, and the stub the
//! server stored.

use crate::error::{Error, Result};
use crate::pattern::RequestPattern;
use crate::response::Response;
use serde::Serialize;
use serde_json::{Map, Value};

/// A stub being made: [`Client::stub`](crate::Client::stub) starts it with
/// a request pattern, these methods add to it, and `respond` stores it
/// with its answer.
///
/// ```no_run
/// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::prelude::*;
///
/// let stub = server
///     .stub(get("/users/7").service("example"))
///     .priority(1)
///     .metadata(serde_json::json!({"test": "users"}))
///     .respond(json(serde_json::json!({"id": 7, "name": "Stubbed"})))
///     .await?;
/// println!("stored as {}", stub.id());
/// # Ok(()) }
/// ```
#[must_use = "a stub is stored only by `respond`"]
pub struct StubBuilder<'c, C> {
    pub(crate) client: &'c C,
    pattern: RequestPattern,
    extra: Map<String, Value>,
    scope: Option<String>,
    problem: Option<String>,
}

impl<'c, C> StubBuilder<'c, C> {
    pub(crate) fn new(client: &'c C, pattern: RequestPattern) -> StubBuilder<'c, C> {
        StubBuilder {
            client,
            pattern,
            extra: Map::new(),
            scope: None,
            problem: None,
        }
    }

    /// Makes the stub in a scope (or reports the scope's problem when sent).
    pub(crate) fn scoped(mut self, scope: std::result::Result<String, String>) -> Self {
        match scope {
            Ok(s) => self.scope = Some(s),
            Err(p) => self.problem = Some(p),
        }
        self
    }

    fn set(mut self, key: &str, value: Value) -> StubBuilder<'c, C> {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// Lower wins among stubs that match (default 5; ties go to the
    /// newest).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.stub(any(any_url())).priority(10).respond(status(404)).await?;
    /// # Ok(()) }
    /// ```
    pub fn priority(self, priority: u32) -> StubBuilder<'c, C> {
        self.set("priority", Value::from(priority))
    }

    /// Metadata stored with the stub (`metadata`), to find or remove stubs
    /// by it.
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.stub(get("/x")).metadata(serde_json::json!({"owner": "checkout-tests"})).respond(ok()).await?;
    /// # Ok(()) }
    /// ```
    pub fn metadata(mut self, metadata: impl Serialize) -> StubBuilder<'c, C> {
        match serde_json::to_value(metadata) {
            Ok(v) => self.set("metadata", v),
            Err(e) => {
                self.problem = Some(format!("the metadata cannot be serialised: {e}"));
                self
            }
        }
    }

    /// A name for the stub (`name`).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.stub(get("/x")).name("x is down").respond(status(503)).await?;
    /// # Ok(()) }
    /// ```
    pub fn name(self, name: impl Into<String>) -> StubBuilder<'c, C> {
        self.set("name", Value::String(name.into()))
    }

    /// The stub belongs to scenario `scenario` (`scenarioName`).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.stub(post("/cart")).in_scenario("cart").will_set_state("full").respond(status(201)).await?;
    /// server.stub(get("/cart")).in_scenario("cart").when_state("full").respond(json(["book"])).await?;
    /// # Ok(()) }
    /// ```
    pub fn in_scenario(self, scenario: impl Into<String>) -> StubBuilder<'c, C> {
        self.set("scenarioName", Value::String(scenario.into()))
    }

    /// Matches only while the scenario is in `state`
    /// (`requiredScenarioState`; scenarios start in `Started`).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.stub(get("/cart")).in_scenario("cart").when_state("Started").respond(json([0; 0])).await?;
    /// # Ok(()) }
    /// ```
    pub fn when_state(self, state: impl Into<String>) -> StubBuilder<'c, C> {
        self.set("requiredScenarioState", Value::String(state.into()))
    }

    /// Moves the scenario to `state` when it answers (`newScenarioState`).
    ///
    /// ```no_run
    /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
    /// # use fake_servicer_client::prelude::*;
    /// server.stub(delete("/cart")).in_scenario("cart").will_set_state("Started").respond(status(204)).await?;
    /// # Ok(()) }
    /// ```
    pub fn will_set_state(self, state: impl Into<String>) -> StubBuilder<'c, C> {
        self.set("newScenarioState", Value::String(state.into()))
    }

    /// The mapping to store, answering `response`, and the scope it
    /// belongs to.
    pub(crate) fn into_mapping(self, response: Response) -> Result<(Value, Option<String>)> {
        if let Some(problem) = self.problem.or(response.problem.clone()) {
            return Err(Error::Invalid(problem));
        }
        let mut m = Map::new();
        m.insert("request".to_owned(), self.pattern.to_json());
        m.insert("response".to_owned(), response.to_json());
        m.extend(self.extra);
        Ok((Value::Object(m), self.scope))
    }
}

/// A stub the server stored.
///
/// ```no_run
/// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
/// # use fake_servicer_client::prelude::*;
/// let stub = server.stub(get("/users")).respond(status(503)).await?;
/// // … the test …
/// server.remove_stub(&stub).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Stub {
    id: String,
    mapping: Value,
}

impl Stub {
    pub(crate) fn from_json(mapping: Value) -> std::result::Result<Stub, String> {
        let id = mapping
            .get("id")
            .and_then(Value::as_str)
            .ok_or("a mapping without an `id`")?
            .to_owned();
        Ok(Stub { id, mapping })
    }

    /// Its id.
    ///
    /// ```no_run
    /// # fn demo(stub: fake_servicer_client::Stub) {
    /// println!("{}", stub.id());
    /// # }
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The mapping as the server stored it.
    ///
    /// ```no_run
    /// # fn demo(stub: fake_servicer_client::Stub) {
    /// assert_eq!(stub.to_json()["request"]["method"], "GET");
    /// # }
    /// ```
    pub fn to_json(&self) -> &Value {
        &self.mapping
    }
}

impl AsRef<str> for Stub {
    fn as_ref(&self) -> &str {
        &self.id
    }
}
