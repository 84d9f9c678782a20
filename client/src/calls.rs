//! The methods both clients share, written once. [`client_calls!`] expands
//! in `client.rs` to the async [`Client`](crate::Client)'s methods and in
//! `blocking.rs` to the blocking client's (feature `blocking`): the same
//! bodies, `async` and awaited in the one, plain in the other. The async
//! methods carry the documentation and its examples; each blocking one
//! points to its async twin and to the example on the blocking client.
//!
//! Below both clients and naming neither: the macros reach `ops`,
//! `prepare` and the public types (through `$crate`), and expand where the
//! client they are given is defined.

/// Public methods of a client: as written for the async client; for the
/// blocking one, each with a line pointing to its async twin instead of
/// the async docs (and to the example on `Client`, there the blocking
/// one). `$owner` is the type, as named at the crate root.
macro_rules! documented {
    (async $owner:literal; $($item:tt)*) => { $($item)* };
    (blocking $owner:literal; $(
        $(#[$doc:meta])*
        pub fn $name:ident ($($args:tt)*) -> $ret:ty $body:block
    )*) => { $(
        #[doc = concat!(
            "As [`", $owner, "::", stringify!($name), "`](crate::", $owner, "::",
            stringify!($name), "), for the blocking client: its calls block instead of \
            giving a future. The example on [`Client`] makes them all."
        )]
        pub fn $name ($($args)*) -> $ret $body
    )* };
}

pub(crate) use documented;

/// The methods of `$Client`, the async client (`async Client`) or the
/// blocking one (`blocking Client`), in the module that defines it: a
/// struct with the fields `http` (the `reqwest` client) and `settings`
/// ([`Settings`](crate::prepare::Settings)).
macro_rules! client_calls {
    (async $Client:ident) => {
        $crate::calls::client_calls!(@ async, $Client, [reqwest], [async], [.await]);
    };
    (blocking $Client:ident) => {
        $crate::calls::client_calls!(@ blocking, $Client, [reqwest::blocking], [], []);
    };
    (@ $mode:ident, $Client:ident, [$($http:ident)::+], [$($async:tt)?], [$($aw:tt)*]) => {
        impl $Client {
            /// A client with `settings`, or why its HTTP client cannot be built.
            pub(crate) fn from_settings(
                settings: $crate::prepare::Settings,
            ) -> $crate::Result<$Client> {
                $crate::prepare::tls_provider();
                let http = $($http)::+::Client::builder()
                    .timeout(settings.timeout)
                    .build()
                    .map_err(|e| {
                        $crate::Error::Invalid(format!("the HTTP client cannot be built: {e}"))
                    })?;
                Ok($Client { http, settings })
            }

            /// Sends `op`'s call and reads the answer.
            $($async)? fn run<T>(&self, op: $crate::ops::Op<T>) -> $crate::Result<T> {
                let prepared = self.settings.prepare(&op.call)?;
                let target = prepared.target;
                let mut request = $($http)::+::Request::try_from(prepared.request)
                    .map_err(|e| target.failed(e))?;
                *request.timeout_mut() = prepared.timeout;
                let resp = self
                    .http
                    .execute(request)
                    $($aw)*
                    .map_err(|e| target.failed(e))?;
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                let body = resp.bytes()$($aw)*.map_err(|e| target.failed(e))?.to_vec();
                op.finish(
                    &target.url,
                    $crate::ops::Answer {
                        status,
                        headers,
                        body,
                    },
                )
            }

            /// [`verify`](Self::verify), counting in `scope` when given.
            pub(crate) $($async)? fn verify_in(
                &self,
                scope: Option<&str>,
                pattern: $crate::RequestPattern,
                times: $crate::Times,
            ) -> $crate::Result<()> {
                let pattern = pattern.to_json();
                let counted = self.run($crate::ops::count(pattern.clone(), scope))$($aw)*?;
                if times.accepts(counted.count) {
                    return Ok(());
                }
                let recent = self
                    .run($crate::ops::requests(Some($crate::ops::RECENT_IN_ERRORS), scope))
                    $($aw)*
                    .unwrap_or_default();
                Err($crate::ops::verification(times, counted, &pattern, scope, &recent))
            }

            /// [`journal_evicted`](Self::journal_evicted), of `scope` when given.
            pub(crate) $($async)? fn journal_evicted_in(
                &self,
                scope: Option<&str>,
            ) -> $crate::Result<u64> {
                let counted = self
                    .run($crate::ops::count(serde_json::json!({}), scope))
                    $($aw)*?;
                Ok(counted.evicted.unwrap_or(0))
            }

            $crate::calls::documented! { $mode "Client";
                /// The server at `base` (`http://host:port`, no `/__admin`), without an
                /// admin token, with the default timeout.
                ///
                /// Panics only where `reqwest::Client::new` does (no TLS backend could
                /// start); [`Client::builder`](crate::Client::builder) returns that as an
                /// error instead.
                ///
                /// ```
                /// let server = fake_servicer_client::Client::new("http://127.0.0.1:8080");
                /// assert_eq!(server.base_url(), "http://127.0.0.1:8080");
                /// ```
                pub fn new(base: impl AsRef<str>) -> $Client {
                    $crate::prepare::tls_provider();
                    $Client {
                        http: $($http)::+::Client::builder()
                            .timeout($crate::DEFAULT_TIMEOUT)
                            .build()
                            .unwrap_or_default(),
                        settings: $crate::prepare::Settings::new(base.as_ref()),
                    }
                }

                /// The server's base URL, without a trailing slash.
                ///
                /// ```
                /// let server = fake_servicer_client::Client::new("http://127.0.0.1:8080/");
                /// assert_eq!(server.base_url(), "http://127.0.0.1:8080");
                /// ```
                pub fn base_url(&self) -> &str {
                    &self.settings.base
                }

                /// Starts a stub answering requests that match `pattern`; store it with
                /// [`respond`](crate::StubBuilder::respond).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// use fake_servicer_client::prelude::*;
                /// server.stub(get("/users/7").service("example")).respond(json(serde_json::json!({"id": 7}))).await?;
                /// # Ok(()) }
                /// ```
                pub fn stub(
                    &self,
                    pattern: $crate::RequestPattern,
                ) -> $crate::StubBuilder<'_, $Client> {
                    $crate::StubBuilder::new(self, pattern)
                }

                /// Stores a mapping given as WireMock JSON (`POST /__admin/mappings`).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let stub = server.stub_json(serde_json::json!({
                ///     "request": {"method": "GET", "urlPath": "/users"},
                ///     "response": {"status": 204}
                /// })).await?;
                /// # let _ = stub; Ok(()) }
                /// ```
                pub $($async)? fn stub_json(
                    &self,
                    mapping: serde_json::Value,
                ) -> $crate::Result<$crate::Stub> {
                    self.run($crate::ops::create_stub(mapping, None))$($aw)*
                }

                /// Every stub the server holds.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let n = server.stubs().await?.len();
                /// # let _ = n; Ok(()) }
                /// ```
                pub $($async)? fn stubs(&self) -> $crate::Result<Vec<$crate::Stub>> {
                    self.run($crate::ops::stubs())$($aw)*
                }

                /// Removes one stub (by a [`Stub`](crate::Stub) or its id).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// # use fake_servicer_client::prelude::*;
                /// let stub = server.stub(get("/users")).respond(status(503)).await?;
                /// server.remove_stub(&stub).await?;
                /// # Ok(()) }
                /// ```
                pub $($async)? fn remove_stub(&self, stub: impl AsRef<str>) -> $crate::Result<()> {
                    self.run($crate::ops::remove_stub(stub.as_ref()))$($aw)*
                }

                /// Starts a next-request override for the next `method path` request
                /// to `service`; arm it with [`arm`](crate::NextRequest::arm).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// use fake_servicer_client::prelude::*;
                /// server.next_request("example", GET, "/users").status(403).arm().await?;
                /// # Ok(()) }
                /// ```
                pub fn next_request(
                    &self,
                    service: &str,
                    method: $crate::Method,
                    path: &str,
                ) -> $crate::NextRequest<'_, $Client> {
                    $crate::NextRequest::new(self, service, method, path)
                }

                /// How many requests in the journal match `pattern`.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// # use fake_servicer_client::prelude::*;
                /// let n = server.count(post("/payments").service("billing")).await?;
                /// # let _ = n; Ok(()) }
                /// ```
                pub $($async)? fn count(
                    &self,
                    pattern: $crate::RequestPattern,
                ) -> $crate::Result<u64> {
                    Ok(self.run($crate::ops::count(pattern.to_json(), None))$($aw)*?.count)
                }

                /// The requests in the journal that match `pattern`, oldest first.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// # use fake_servicer_client::prelude::*;
                /// let posted = server.find(post("/users").service("example")).await?;
                /// let first: serde_json::Value = posted[0].json().expect("a JSON body");
                /// # let _ = first; Ok(()) }
                /// ```
                pub $($async)? fn find(
                    &self,
                    pattern: $crate::RequestPattern,
                ) -> $crate::Result<Vec<$crate::LoggedRequest>> {
                    self.run($crate::ops::find(pattern.to_json(), None))$($aw)*
                }

                /// The journal, newest first (at most the server's default page of
                /// 1 000 entries).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let events = server.requests().await?;
                /// # let _ = events; Ok(()) }
                /// ```
                pub $($async)? fn requests(&self) -> $crate::Result<Vec<$crate::ServeEvent>> {
                    self.run($crate::ops::requests(None, None))$($aw)*
                }

                /// The requests nothing answered (no stub, override or route).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// assert!(server.unmatched().await?.is_empty(), "the app called something unmocked");
                /// # Ok(()) }
                /// ```
                pub $($async)? fn unmatched(&self) -> $crate::Result<Vec<$crate::LoggedRequest>> {
                    self.run($crate::ops::unmatched())$($aw)*
                }

                /// Checks that the journal holds `times` requests matching `pattern`
                /// (a number is exactly that many; see [`at_least`](crate::at_least),
                /// [`at_most`](crate::at_most), [`never`](crate::never)). The error
                /// says how many there were and lists the newest requests.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// use fake_servicer_client::prelude::*;
                /// server.verify(get("/users").service("example"), 2).await?;
                /// server.verify(post("/users").service("example"), at_least(1)).await?;
                /// server.verify(delete(any_url()), never()).await?;
                /// # Ok(()) }
                /// ```
                pub $($async)? fn verify(
                    &self,
                    pattern: $crate::RequestPattern,
                    times: impl Into<$crate::Times>,
                ) -> $crate::Result<()> {
                    self.verify_in(None, pattern, times.into())$($aw)*
                }

                /// Waits until requests matching `pattern` arrive: sends
                /// `POST /__admin/requests/wait`, which the server answers as soon as
                /// [`count`](crate::Wait::count) of them (default 1) are in the journal —
                /// those already there count — or at the [`timeout`](crate::Wait::timeout)
                /// (default 10 s). Gives the matching requests, oldest first; at the
                /// timeout, an [`Error::WaitTimedOut`](crate::Error::WaitTimedOut) with
                /// what did arrive and the requests closest to the pattern.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// use fake_servicer_client::prelude::*;
                /// use std::time::Duration;
                ///
                /// // The app posts to the audit service from a background job.
                /// let events = server
                ///     .wait(post("/events").service("audit"))
                ///     .count(2)
                ///     .timeout(Duration::from_secs(5))
                ///     .await?;
                /// assert_eq!(events[0].json::<serde_json::Value>().ok(), Some(serde_json::json!({"kind": "signup"})));
                /// # Ok(()) }
                /// ```
                pub fn wait(&self, pattern: $crate::RequestPattern) -> $crate::Wait<'_, $Client> {
                    $crate::Wait::new(self, pattern, None)
                }

                /// How many journal entries the server dropped since the journal was
                /// last reset (its `--journal-size` or byte budget): when not 0,
                /// counts, finds and verifications may be short.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// assert_eq!(server.journal_evicted().await?, 0, "raise --journal-size");
                /// # Ok(()) }
                /// ```
                pub $($async)? fn journal_evicted(&self) -> $crate::Result<u64> {
                    self.journal_evicted_in(None)$($aw)*
                }

                /// The calls of one test within scope `name`: its stubs answer only
                /// requests of the scope, its overrides only they consume, its journal
                /// queries, verifications and waits see only them, and its
                /// [`reset`](crate::Scope::reset) removes only what belongs to it. A name
                /// that cannot be a scope (blank, over 256 bytes, not printable ASCII)
                /// fails each call with [`Error::Invalid`](crate::Error::Invalid).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// use fake_servicer_client::prelude::*;
                ///
                /// let test = server.scope("checkout-declined");
                /// test.next_request("bank", POST, "/pay").status(402).arm().await?;
                /// // … call the app with the header `baggage: {test.baggage()}` …
                /// test.verify(post("/pay").service("bank"), 1).await?;
                /// test.reset().await?;
                /// # Ok(()) }
                /// ```
                pub fn scope(&self, name: &str) -> $crate::Scope<$Client> {
                    $crate::Scope::new(self.clone(), name)
                }

                /// Every scope holding stubs, overrides or journal entries, with how
                /// many of each (`GET /__admin/scopes`).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let leftovers: Vec<String> = server.scopes().await?.into_iter().map(|s| s.scope).collect();
                /// # let _ = leftovers; Ok(()) }
                /// ```
                pub $($async)? fn scopes(&self) -> $crate::Result<Vec<$crate::ScopeInfo>> {
                    self.run($crate::ops::scopes())$($aw)*
                }

                /// Queues `push`'s items on every open stream (of a stub's or a plugin's
                /// stream answer, or a WebSocket) whose opening request matches its
                /// pattern (`POST /__admin/streams/push`); gives how many it reached. A
                /// push that reaches none is not an error: `streams` is 0 (poll
                /// [`streams`](Self::streams) first to wait until the app has opened
                /// its stream).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// use fake_servicer_client::{Push, Sse, prelude::*};
                ///
                /// // A stub with `{"stream": [...], "live": true}` answers GET /notifications/events.
                /// let pushed = server
                ///     .push(Push::to(get("/events").service("notifications")).sse(Sse::event("tick").data("2")))
                ///     .await?;
                /// assert_eq!(pushed.streams, 1);
                /// server.push(Push::to(get("/events").service("notifications")).close()).await?;
                /// # Ok(()) }
                /// ```
                pub $($async)? fn push(
                    &self,
                    push: $crate::Push,
                ) -> $crate::Result<$crate::Pushed> {
                    self.run($crate::ops::push(push.body()?, None))$($aw)*
                }

                /// The open streams, oldest first (`GET /__admin/streams`).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let open = server.streams().await?;
                /// assert!(open.iter().all(|s| s.bytes_queued == 0), "a reader is behind");
                /// # Ok(()) }
                /// ```
                pub $($async)? fn streams(&self) -> $crate::Result<Vec<$crate::StreamInfo>> {
                    self.run($crate::ops::streams(None))$($aw)*
                }

                /// Closes every open stream (`DELETE /__admin/streams`); gives how many.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let closed = server.close_streams().await?;
                /// # let _ = closed; Ok(()) }
                /// ```
                pub $($async)? fn close_streams(&self) -> $crate::Result<u64> {
                    self.run($crate::ops::close_streams(None))$($aw)*
                }

                /// Closes one open stream (by a [`StreamInfo`](crate::StreamInfo) or its
                /// id; `DELETE /__admin/streams/{id}`). None open with that id is an
                /// [`Error::Server`](crate::Error::Server) with status 404.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// for s in server.streams().await? {
                ///     if s.url.starts_with("/slow") {
                ///         server.close_stream(&s).await?;
                ///     }
                /// }
                /// assert_eq!(server.close_stream("999").await.unwrap_err().status(), Some(404));
                /// # Ok(()) }
                /// ```
                pub $($async)? fn close_stream(&self, id: impl AsRef<str>) -> $crate::Result<()> {
                    self.run($crate::ops::close_stream(id.as_ref()))$($aw)*
                }

                /// Declares a resource at run time (`POST /__admin/resources`; see
                /// `docs/stateful.md`): the server then answers `GET`, `POST`, `PUT`,
                /// `PATCH` and `DELETE` on its path, keeping what is written per scope.
                /// `declaration` is a mapping file's `{"resource": {...}}` or its inner
                /// object; declaring a name again replaces that resource.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// use serde_json::json;
                /// server
                ///     .declare_resource(json!({"name": "orders", "path": "/orders", "service": "shop",
                ///                              "seed": [{"id": "1", "status": "open"}]}))
                ///     .await?;
                /// // The app's `POST http://shop/orders` is stored; `GET http://shop/orders` lists it.
                /// # Ok(()) }
                /// ```
                pub $($async)? fn declare_resource(
                    &self,
                    declaration: serde_json::Value,
                ) -> $crate::Result<()> {
                    self.run($crate::ops::declare_resource(declaration))$($aw)*
                }

                /// The items of resource `name` that requests of no scope see
                /// (`GET /__admin/resources/{name}`); [`Scope::resource_items`](crate::Scope::resource_items)
                /// for a scope's.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let orders = server.resource_items("orders").await?;
                /// assert!(orders.iter().any(|o| o["status"] == "paid"));
                /// # Ok(()) }
                /// ```
                pub $($async)? fn resource_items(
                    &self,
                    name: &str,
                ) -> $crate::Result<Vec<serde_json::Value>> {
                    self.run($crate::ops::resource_items(name, None))$($aw)*
                }

                /// Replaces the items of resource `name` that requests of no scope see
                /// (`PUT /__admin/resources/{name}`; ids generated where missing);
                /// gives them as stored.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// use serde_json::json;
                /// let stored = server.set_resource_items("orders", vec![json!({"status": "open"})]).await?;
                /// assert!(stored[0]["id"].is_string());
                /// # Ok(()) }
                /// ```
                pub $($async)? fn set_resource_items(
                    &self,
                    name: &str,
                    items: Vec<serde_json::Value>,
                ) -> $crate::Result<Vec<serde_json::Value>> {
                    self.run($crate::ops::set_resource_items(name, items, None))$($aw)*
                }

                /// Empties resource `name` for requests of no scope (the seed
                /// included, until a reset; `DELETE /__admin/resources/{name}`);
                /// gives how many items went.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let removed = server.empty_resource("orders").await?;
                /// # let _ = removed; Ok(()) }
                /// ```
                pub $($async)? fn empty_resource(&self, name: &str) -> $crate::Result<u64> {
                    self.run($crate::ops::empty_resource(name, None))$($aw)*
                }

                /// Everything back to the start: stubs back to the server's mapping
                /// files, journal cleared, overrides disarmed, scenarios reset, open
                /// streams closed.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// server.reset().await?;
                /// # Ok(()) }
                /// ```
                pub $($async)? fn reset(&self) -> $crate::Result<()> {
                    self.run($crate::ops::reset())$($aw)*
                }

                /// Clears the journal.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// server.reset_requests().await?;
                /// # Ok(()) }
                /// ```
                pub $($async)? fn reset_requests(&self) -> $crate::Result<()> {
                    self.run($crate::ops::reset_requests())$($aw)*
                }

                /// Stubs back to the server's mapping files (stubs made by calls go).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// server.reset_mappings().await?;
                /// # Ok(()) }
                /// ```
                pub $($async)? fn reset_mappings(&self) -> $crate::Result<()> {
                    self.run($crate::ops::reset_mappings())$($aw)*
                }

                /// Removes every stub, those from files too.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// server.remove_stubs().await?;
                /// # Ok(()) }
                /// ```
                pub $($async)? fn remove_stubs(&self) -> $crate::Result<()> {
                    self.run($crate::ops::remove_stubs())$($aw)*
                }

                /// Every scenario back to `Started`.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// server.reset_scenarios().await?;
                /// # Ok(()) }
                /// ```
                pub $($async)? fn reset_scenarios(&self) -> $crate::Result<()> {
                    self.run($crate::ops::reset_scenarios())$($aw)*
                }

                /// The services the server routes to, and the files it refused.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let loaded = server.services().await?.get("example").is_some();
                /// # let _ = loaded; Ok(()) }
                /// ```
                pub $($async)? fn services(&self) -> $crate::Result<$crate::Services> {
                    self.run($crate::ops::services())$($aw)*
                }

                /// `/__admin/health` (needs no admin token).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let version = server.health().await?.version;
                /// # let _ = version; Ok(()) }
                /// ```
                pub $($async)? fn health(&self) -> $crate::Result<$crate::Health> {
                    self.run($crate::ops::health())$($aw)*
                }
            }
        }

        impl $crate::StubBuilder<'_, $Client> {
            $crate::calls::documented! { $mode "StubBuilder";
                /// Stores the stub, answering `response`; returns it as stored.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// use fake_servicer_client::prelude::*;
                /// let stub = server.stub(get("/users")).respond(status(503).body("down")).await?;
                /// # let _ = stub; Ok(()) }
                /// ```
                pub $($async)? fn respond(
                    self,
                    response: $crate::Response,
                ) -> $crate::Result<$crate::Stub> {
                    let client = self.client;
                    let (mapping, scope) = self.into_mapping(response)?;
                    client.run($crate::ops::create_stub(mapping, scope.as_deref()))$($aw)*
                }
            }
        }

        impl $crate::NextRequest<'_, $Client> {
            $crate::calls::documented! { $mode "NextRequest";
                /// Arms the override (the server answers 202; a malformed part is its
                /// 400, a full override store its 507, a missing admin token its 401).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// use fake_servicer_client::prelude::*;
                /// server.next_request("example", POST, "/users").status(409).arm().await?;
                /// # Ok(()) }
                /// ```
                pub $($async)? fn arm(self) -> $crate::Result<()> {
                    self.client.run($crate::ops::arm(self.arming()?))$($aw)*
                }
            }
        }

        impl $crate::Scope<$Client> {
            $crate::calls::documented! { $mode "Scope";
                /// How many requests of this scope in the journal match `pattern`.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// # use fake_servicer_client::prelude::*;
                /// let n = server.scope("test-42").count(post("/payments").service("billing")).await?;
                /// # let _ = n; Ok(()) }
                /// ```
                pub $($async)? fn count(
                    &self,
                    pattern: $crate::RequestPattern,
                ) -> $crate::Result<u64> {
                    let scope = Some(self.checked()?);
                    Ok(self
                        .client
                        .run($crate::ops::count(pattern.to_json(), scope))
                        $($aw)*?
                        .count)
                }

                /// The requests of this scope in the journal that match `pattern`,
                /// oldest first.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// # use fake_servicer_client::prelude::*;
                /// let posted = server.scope("test-42").find(post("/users").service("example")).await?;
                /// # let _ = posted; Ok(()) }
                /// ```
                pub $($async)? fn find(
                    &self,
                    pattern: $crate::RequestPattern,
                ) -> $crate::Result<Vec<$crate::LoggedRequest>> {
                    let scope = Some(self.checked()?);
                    self.client.run($crate::ops::find(pattern.to_json(), scope))$($aw)*
                }

                /// The journal entries of this scope, newest first (at most the
                /// server's default page of 1 000).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let events = server.scope("test-42").requests().await?;
                /// # let _ = events; Ok(()) }
                /// ```
                pub $($async)? fn requests(&self) -> $crate::Result<Vec<$crate::ServeEvent>> {
                    let scope = Some(self.checked()?);
                    self.client.run($crate::ops::requests(None, scope))$($aw)*
                }

                /// Checks that the journal holds `times` requests of this scope
                /// matching `pattern`, as [`Client::verify`](crate::Client::verify) does.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// use fake_servicer_client::prelude::*;
                /// server.scope("test-42").verify(get("/users").service("example"), at_least(1)).await?;
                /// # Ok(()) }
                /// ```
                pub $($async)? fn verify(
                    &self,
                    pattern: $crate::RequestPattern,
                    times: impl Into<$crate::Times>,
                ) -> $crate::Result<()> {
                    let scope = Some(self.checked()?);
                    self.client.verify_in(scope, pattern, times.into())$($aw)*
                }

                /// How many journal entries of this scope the server dropped since the
                /// journal was last reset (see
                /// [`Client::journal_evicted`](crate::Client::journal_evicted)).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let evicted = server.scope("test-42").journal_evicted().await?;
                /// # let _ = evicted; Ok(()) }
                /// ```
                pub $($async)? fn journal_evicted(&self) -> $crate::Result<u64> {
                    let scope = Some(self.checked()?);
                    self.client.journal_evicted_in(scope)$($aw)*
                }

                /// Queues `push`'s items on the open streams of this scope's requests
                /// whose opening request matches its pattern (the push sent with the
                /// scope header): tests running in parallel never see each other's
                /// events. Gives how many it reached.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// use fake_servicer_client::{Push, Sse, prelude::*};
                /// let test = server.scope("test-42");
                /// // … the app opens GET /notifications/events with `baggage: {test.baggage()}` …
                /// let pushed = test
                ///     .push(Push::to(get("/events").service("notifications")).sse(Sse::event("tick").data(1)))
                ///     .await?;
                /// assert_eq!(pushed.streams, 1);
                /// # Ok(()) }
                /// ```
                pub $($async)? fn push(
                    &self,
                    push: $crate::Push,
                ) -> $crate::Result<$crate::Pushed> {
                    let scope = Some(self.checked()?);
                    self.client.run($crate::ops::push(push.body()?, scope))$($aw)*
                }

                /// The open streams of this scope's requests, oldest first.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let open = server.scope("test-42").streams().await?;
                /// # let _ = open; Ok(()) }
                /// ```
                pub $($async)? fn streams(&self) -> $crate::Result<Vec<$crate::StreamInfo>> {
                    let scope = Some(self.checked()?);
                    self.client.run($crate::ops::streams(scope))$($aw)*
                }

                /// Closes the open streams of this scope's requests, no other; gives
                /// how many. ([`reset`](Self::reset) closes them too.)
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let closed = server.scope("test-42").close_streams().await?;
                /// # let _ = closed; Ok(()) }
                /// ```
                pub $($async)? fn close_streams(&self) -> $crate::Result<u64> {
                    let scope = Some(self.checked()?);
                    self.client.run($crate::ops::close_streams(scope))$($aw)*
                }

                /// The items of resource `name` that this scope's requests see: the
                /// seed plus the scope's own writes (`GET
                /// /__admin/resources/{name}?scope=`).
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let mine = server.scope("test-42").resource_items("orders").await?;
                /// # let _ = mine; Ok(()) }
                /// ```
                pub $($async)? fn resource_items(
                    &self,
                    name: &str,
                ) -> $crate::Result<Vec<serde_json::Value>> {
                    let scope = Some(self.checked()?);
                    self.client.run($crate::ops::resource_items(name, scope))$($aw)*
                }

                /// Replaces what this scope's requests see of resource `name`; gives
                /// the items as stored. Other scopes keep theirs.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// use serde_json::json;
                /// let test = server.scope("test-42");
                /// test.set_resource_items("orders", vec![json!({"id": "7", "status": "paid"})]).await?;
                /// # Ok(()) }
                /// ```
                pub $($async)? fn set_resource_items(
                    &self,
                    name: &str,
                    items: Vec<serde_json::Value>,
                ) -> $crate::Result<Vec<serde_json::Value>> {
                    let scope = Some(self.checked()?);
                    self.client.run($crate::ops::set_resource_items(name, items, scope))$($aw)*
                }

                /// Empties resource `name` for this scope's requests (the seed
                /// included, until the scope is reset); gives how many items went.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// server.scope("test-42").empty_resource("orders").await?;
                /// # Ok(()) }
                /// ```
                pub $($async)? fn empty_resource(&self, name: &str) -> $crate::Result<u64> {
                    let scope = Some(self.checked()?);
                    self.client.run($crate::ops::empty_resource(name, scope))$($aw)*
                }

                /// Removes this scope's stubs, overrides and journal entries and closes
                /// its open streams, nothing else (`DELETE /__admin/scopes/{name}`); gives
                /// how many stubs, overrides and entries went.
                ///
                /// ```no_run
                /// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
                /// let removed = server.scope("test-42").reset().await?;
                /// println!("{} stubs removed", removed.stubs);
                /// # Ok(()) }
                /// ```
                pub $($async)? fn reset(&self) -> $crate::Result<$crate::ScopeInfo> {
                    let scope = self.checked()?;
                    self.client.run($crate::ops::remove_scope(scope))$($aw)*
                }
            }
        }
    };
}

pub(crate) use client_calls;
