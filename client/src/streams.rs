//! Streams (see `docs/streams.md`): what a test pushes to the open
//! streams of stubs and plugins ([`Push`], its server-sent events
//! [`Sse`]), what the push reached ([`Pushed`]), and the open streams as
//! the server lists them ([`StreamInfo`]).

use crate::error::{Error, Result};
use crate::pattern::RequestPattern;
use crate::response::millis;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// One server-sent event, for [`Push::sse`]: sent as `field: value` lines
/// (`event`, `id`, `retry`, one `data:` line per line of a string data, a
/// comment as `: text`), then a blank line. An event name or id holding a
/// line break is refused by the server (422, naming the item).
///
/// ```
/// use fake_servicer_client::Sse;
/// use std::time::Duration;
///
/// let tick = Sse::event("tick").id("1").data("first");
/// // event: tick / id: 1 / data: first
/// assert_eq!(tick.to_json(), serde_json::json!({"event": "tick", "id": "1", "data": "first"}));
///
/// let quiet = Sse::message().data(serde_json::json!({"n": 1})).retry(Duration::from_secs(3));
/// // retry: 3000 / data: {"n":1}
/// assert_eq!(quiet.to_json()["retry"], 3000);
/// # let _ = Sse::comment("keep-alive");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sse {
    event: Option<String>,
    data: Option<Value>,
    id: Option<String>,
    retry: Option<u64>,
    comment: Option<String>,
    problem: Option<String>,
}

impl Sse {
    /// An event with no name (an `EventSource` dispatches it as
    /// `message`); give it [`data`](Self::data) or [`json`](Self::json).
    ///
    /// ```
    /// use fake_servicer_client::Sse;
    /// assert_eq!(Sse::message().data("hi").to_json(), serde_json::json!({"data": "hi"}));
    /// ```
    pub fn message() -> Sse {
        Sse::default()
    }

    /// An event named `name` (its `event:` line).
    ///
    /// ```
    /// use fake_servicer_client::Sse;
    /// let update = Sse::event("update").data("v2");
    /// assert_eq!(update.to_json(), serde_json::json!({"event": "update", "data": "v2"}));
    /// ```
    pub fn event(name: impl Into<String>) -> Sse {
        Sse {
            event: Some(name.into()),
            ..Sse::default()
        }
    }

    /// A comment alone (`: text`), what servers send to keep a connection
    /// open; clients ignore it.
    ///
    /// ```
    /// use fake_servicer_client::Sse;
    /// assert_eq!(Sse::comment("keep-alive").to_json(), serde_json::json!({"comment": "keep-alive"}));
    /// ```
    pub fn comment(text: impl Into<String>) -> Sse {
        Sse {
            comment: Some(text.into()),
            ..Sse::default()
        }
    }

    /// Sets the data: a string is sent as it is (one `data:` line per line
    /// of it), any other value as compact JSON.
    ///
    /// ```
    /// use fake_servicer_client::Sse;
    /// let two_lines = Sse::message().data("two\nlines"); // data: two / data: lines
    /// let number = Sse::message().data(42); // data: 42
    /// assert_eq!(number.to_json()["data"], 42);
    /// # let _ = two_lines;
    /// ```
    pub fn data(mut self, data: impl Into<Value>) -> Sse {
        self.data = Some(data.into());
        self
    }

    /// Sets the data to `value` as compact JSON (a string too:
    /// `.json(&"hi")` is `data: "hi"`). A value that cannot be serialised
    /// fails the push with [`Error::Invalid`] before anything is sent.
    ///
    /// ```
    /// use fake_servicer_client::Sse;
    ///
    /// #[derive(serde::Serialize)]
    /// struct Price { symbol: &'static str, cents: u64 }
    ///
    /// let price = Sse::event("price").json(&Price { symbol: "ACME", cents: 1250 });
    /// assert_eq!(price.to_json()["data"], serde_json::json!({"symbol": "ACME", "cents": 1250}));
    /// assert_eq!(Sse::message().json(&"hi").to_json()["data"], "\"hi\"");
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Sse {
        match serde_json::to_value(value) {
            // A string data is sent as it is: its JSON text keeps the quotes.
            Ok(Value::String(s)) => self.data = Some(Value::String(Value::String(s).to_string())),
            Ok(v) => self.data = Some(v),
            Err(e) => {
                self.problem
                    .get_or_insert_with(|| format!("an event's data cannot be serialised: {e}"));
            }
        }
        self
    }

    /// Sets the event's id (`id:`, what a reconnecting `EventSource` sends
    /// back as `Last-Event-ID`).
    ///
    /// ```
    /// use fake_servicer_client::Sse;
    /// assert_eq!(Sse::event("tick").id("7").to_json()["id"], "7");
    /// ```
    pub fn id(mut self, id: impl Into<String>) -> Sse {
        self.id = Some(id.into());
        self
    }

    /// Sets how long a client waits before reconnecting (`retry:`, in whole
    /// milliseconds).
    ///
    /// ```
    /// use fake_servicer_client::Sse;
    /// let slow = Sse::message().retry(std::time::Duration::from_secs(2));
    /// assert_eq!(slow.to_json()["retry"], 2000);
    /// ```
    pub fn retry(mut self, after: Duration) -> Sse {
        self.retry = Some(millis(after));
        self
    }

    /// The event as the server takes it (the value of an `sse` item),
    /// fields left out when not set.
    ///
    /// ```
    /// use fake_servicer_client::Sse;
    /// assert_eq!(Sse::event("ping").to_json(), serde_json::json!({"event": "ping"}));
    /// ```
    pub fn to_json(&self) -> Value {
        let mut fields = Map::new();
        let mut set = |name: &str, value: Option<Value>| {
            if let Some(value) = value {
                fields.insert(name.to_owned(), value);
            }
        };
        set("comment", self.comment.clone().map(Value::String));
        set("event", self.event.clone().map(Value::String));
        set("id", self.id.clone().map(Value::String));
        set("retry", self.retry.map(Value::from));
        set("data", self.data.clone());
        Value::Object(fields)
    }
}

/// Items for the open streams whose opening request matches a pattern
/// (`POST /__admin/streams/push`): sent to each after what it already has
/// queued, in the order added. Made with [`Push::to`], sent with
/// [`Client::push`](crate::Client::push) (or a [`Scope`](crate::Scope)'s,
/// to reach only the streams of its requests).
///
/// The pattern is matched as a stub's: with a
/// [`service`](RequestPattern::service), against the service-relative
/// path; without, against the path as received. On a WebSocket, text is a
/// text message, bytes a binary message, JSON and events text messages.
///
/// ```
/// use fake_servicer_client::prelude::*;
/// use fake_servicer_client::{Push, Sse};
/// use std::time::Duration;
///
/// let push = Push::to(get("/events").service("notifications"))
///     .sse(Sse::event("tick").id("2").data("second"))
///     .pause(Duration::from_millis(100))
///     .json(&serde_json::json!({"type": "ADDED"}))
///     .text("plain\n")
///     .close();
/// assert_eq!(
///     push.to_json(),
///     serde_json::json!({
///         "request": {"method": "GET", "urlPath": "/events", "service": "notifications"},
///         "items": [
///             {"sse": {"event": "tick", "id": "2", "data": "second"}},
///             {"delayMs": 100},
///             {"json": {"type": "ADDED"}},
///             {"body": "plain\n"}
///         ],
///         "close": true
///     })
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Push {
    pattern: RequestPattern,
    items: Vec<Value>,
    close: bool,
    problem: Option<String>,
}

impl Push {
    /// A push of no items yet to the open streams opened by requests
    /// matching `pattern` (`any(any_url())`: every open stream).
    ///
    /// ```
    /// use fake_servicer_client::{Push, prelude::*};
    /// let everyone = Push::to(any(any_url())).text("bye").close();
    /// assert_eq!(everyone.to_json()["request"], serde_json::json!({"method": "ANY"}));
    /// ```
    pub fn to(pattern: RequestPattern) -> Push {
        Push {
            pattern,
            items: Vec::new(),
            close: false,
            problem: None,
        }
    }

    fn item(mut self, item: Value) -> Push {
        self.items.push(item);
        self
    }

    /// Adds a server-sent event ([`Sse`]).
    ///
    /// ```
    /// use fake_servicer_client::{Push, Sse, prelude::*};
    /// let p = Push::to(get("/events")).sse(Sse::event("tick").data(1));
    /// assert_eq!(p.to_json()["items"][0], serde_json::json!({"sse": {"event": "tick", "data": 1}}));
    /// ```
    pub fn sse(mut self, event: Sse) -> Push {
        if let Some(p) = &event.problem {
            self.problem.get_or_insert_with(|| p.clone());
        }
        self.item(json!({ "sse": event.to_json() }))
    }

    /// Adds `value` as one NDJSON line: compact JSON, then `\n` (on a
    /// WebSocket, a text message). A value that cannot be serialised fails
    /// the push with [`Error::Invalid`] before anything is sent.
    ///
    /// ```
    /// use fake_servicer_client::{Push, prelude::*};
    ///
    /// #[derive(serde::Serialize)]
    /// struct Token<'a> { text: &'a str }
    ///
    /// let p = Push::to(post("/generate")).json(&Token { text: "Hello" });
    /// // The reader gets {"text":"Hello"}\n
    /// assert_eq!(p.to_json()["items"][0], serde_json::json!({"json": {"text": "Hello"}}));
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Push {
        match serde_json::to_value(value) {
            Ok(v) => self.item(json!({ "json": v })),
            Err(e) => {
                self.problem
                    .get_or_insert_with(|| format!("a pushed item cannot be serialised: {e}"));
                self
            }
        }
    }

    /// Adds text, sent as it is (`body`; on a WebSocket, a text message).
    ///
    /// ```
    /// use fake_servicer_client::{Push, prelude::*};
    /// let p = Push::to(get("/log")).text("line 1\n");
    /// assert_eq!(p.to_json()["items"][0], serde_json::json!({"body": "line 1\n"}));
    /// ```
    pub fn text(self, text: impl Into<String>) -> Push {
        self.item(json!({ "body": text.into() }))
    }

    /// Adds bytes, sent as they are (`base64Body`; on a WebSocket, a binary
    /// message).
    ///
    /// ```
    /// use fake_servicer_client::{Push, prelude::*};
    /// let p = Push::to(get("/raw")).bytes([0xffu8, 0x00]);
    /// assert_eq!(p.to_json()["items"][0], serde_json::json!({"base64Body": "/wA="}));
    /// ```
    pub fn bytes(self, bytes: impl AsRef<[u8]>) -> Push {
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes.as_ref());
        self.item(json!({ "base64Body": encoded }))
    }

    /// Adds a pause: the next item is sent `pause` after this point (whole
    /// milliseconds; the server refuses more than 10 minutes). The server
    /// waits, not the test.
    ///
    /// ```
    /// use fake_servicer_client::{Push, prelude::*};
    /// let p = Push::to(get("/log")).text("a").pause(std::time::Duration::from_millis(250)).text("b");
    /// assert_eq!(p.to_json()["items"][1], serde_json::json!({"delayMs": 250}));
    /// ```
    pub fn pause(self, pause: Duration) -> Push {
        self.item(json!({ "delayMs": millis(pause) }))
    }

    /// Ends the streams after the items (and what they had queued before
    /// them), live ones too (`"close": true`).
    ///
    /// ```
    /// use fake_servicer_client::{Push, prelude::*};
    /// let last = Push::to(get("/events")).text("bye").close();
    /// assert_eq!(last.to_json()["close"], true);
    /// ```
    pub fn close(mut self) -> Push {
        self.close = true;
        self
    }

    /// Adds a close item: a WebSocket gets a close frame with `code` and
    /// `reason`; an HTTP stream ends there, as with [`close`](Self::close).
    ///
    /// ```
    /// use fake_servicer_client::{Push, prelude::*};
    /// let going_away = Push::to(get("/socket")).close_with(1001, "server restart");
    /// assert_eq!(
    ///     going_away.to_json()["items"][0],
    ///     serde_json::json!({"close": {"code": 1001, "reason": "server restart"}})
    /// );
    /// ```
    pub fn close_with(self, code: u16, reason: impl Into<String>) -> Push {
        self.item(json!({ "close": {"code": code, "reason": reason.into()} }))
    }

    /// The push as the server takes it (the body of
    /// `POST /__admin/streams/push`, without a scope).
    ///
    /// ```
    /// use fake_servicer_client::{Push, prelude::*};
    /// assert_eq!(
    ///     Push::to(get("/feed")).to_json(),
    ///     serde_json::json!({"request": {"method": "GET", "urlPath": "/feed"}, "items": [], "close": false}),
    /// );
    /// ```
    pub fn to_json(&self) -> Value {
        json!({
            "request": self.pattern.to_json(),
            "items": self.items,
            "close": self.close,
        })
    }

    /// The body to send, or why it cannot be sent.
    pub(crate) fn body(&self) -> Result<Value> {
        match &self.problem {
            Some(p) => Err(Error::Invalid(p.clone())),
            None => Ok(self.to_json()),
        }
    }
}

/// What a [`push`](crate::Client::push) reached.
///
/// ```no_run
/// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
/// use fake_servicer_client::{Push, prelude::*};
/// let pushed = server.push(Push::to(get("/events")).text("tick\n")).await?;
/// assert_eq!((pushed.streams, pushed.overflowed), (1, 0));
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Pushed {
    /// The open streams the push matched (and queued its items on).
    pub streams: u64,
    /// Of those, the streams closed because the push passed their queue cap
    /// (`--max-stream-queue-bytes`): their readers were not keeping up.
    #[serde(default)]
    pub overflowed: u64,
}

/// An open stream, as `GET /__admin/streams` lists it.
///
/// ```no_run
/// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
/// for s in server.streams().await? {
///     println!("{} {} {}: {} items, {} bytes queued", s.id, s.method, s.url, s.items_sent, s.bytes_queued);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StreamInfo {
    /// The stream's id, for [`close_stream`](crate::Client::close_stream).
    pub id: String,
    /// The service its opening request went to, if any.
    #[serde(default)]
    pub service: Option<String>,
    /// The opening request's method.
    pub method: String,
    /// The opening request's path and query, as received.
    pub url: String,
    /// The scopes of the opening request.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// When it opened (RFC 3339).
    #[serde(default)]
    pub opened: String,
    /// How many items it has sent.
    #[serde(default)]
    pub items_sent: u64,
    /// How many bytes it has sent.
    #[serde(default)]
    pub bytes_sent: u64,
    /// How many pushed bytes wait in its queue.
    #[serde(default)]
    pub bytes_queued: u64,
}

/// Its id, so that a listed stream can be closed as it is.
///
/// ```no_run
/// # async fn demo(server: fake_servicer_client::Client) -> fake_servicer_client::Result<()> {
/// if let Some(oldest) = server.streams().await?.first() {
///     server.close_stream(oldest).await?;
/// }
/// # Ok(()) }
/// ```
impl AsRef<str> for StreamInfo {
    fn as_ref(&self) -> &str {
        &self.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::get;

    #[test]
    fn a_value_that_does_not_serialise_fails_the_push_before_sending() {
        struct Broken;
        impl Serialize for Broken {
            fn serialize<S: serde::Serializer>(
                &self,
                _: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }
        let push = Push::to(get("/x")).json(&Broken);
        assert!(matches!(push.body(), Err(Error::Invalid(_))));
        let event = Push::to(get("/x")).sse(Sse::message().json(&Broken));
        assert!(matches!(event.body(), Err(Error::Invalid(_))));
        assert!(Push::to(get("/x")).text("ok").body().is_ok());
    }

    #[test]
    fn a_listed_stream_reads_from_the_servers_json() {
        let info: StreamInfo = serde_json::from_value(json!({
            "id": "7", "service": null, "method": "GET", "url": "/feed?x=1",
            "scopes": ["a"], "opened": "2024-01-01T00:00:00Z",
            "itemsSent": 2, "bytesSent": 30, "bytesQueued": 0
        }))
        .unwrap();
        assert_eq!(info.id, "7");
        assert_eq!(info.service, None);
        assert_eq!(info.scopes, ["a"]);
        assert_eq!((info.items_sent, info.bytes_sent), (2, 30));
    }
}
