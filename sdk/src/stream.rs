//! Stream answers: [`Streaming`], a list of items the server sends one by
//! one (server-sent events, NDJSON lines, text, bytes, pauses), that may stay
//! open for the items a test pushes (`POST /__admin/streams/push`, see
//! `docs/streams.md`); [`Sse`], one server-sent event.
//!
//! The items are copied out of the plugin when the handler returns, in the
//! JSON shape of a stub's `"stream"` (`[{"sse": {…}}, {"delayMs": 100}, …]`):
//! the server sends them, pauses included, without calling the plugin
//! again, and a reload of the plugin does not cut an open stream.

use crate::{
    abi::STREAM_HEADER,
    response::{IntoResponse, Response},
};
use http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// One server-sent event, for [`Streaming::sse`]: written as
/// `field: value` lines (`event`, `id`, `retry`, one `data:` line per line of
/// the data), then a blank line.
///
/// ```
/// use fake_servicer::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Serialize)]
/// struct Tick { n: u32 }
///
/// #[route(get, "/events")]
/// fn events() -> Streaming {
///     Streaming::new()
///         .sse(Sse::event("hello").data("first line\nsecond line"))
///         .sse(Sse::event("tick").id("1").json(&Tick { n: 1 }))
///         .sse(Sse::message().data(42).retry(Duration::from_secs(3)))
///         .sse(Sse::comment("keep-alive"))
/// }
/// // The client reads:
/// //   event: hello
/// //   data: first line
/// //   data: second line
/// //
/// //   event: tick
/// //   id: 1
/// //   data: {"n":1}
/// //
/// //   retry: 3000
/// //   data: 42
/// //
/// //   : keep-alive
/// //
/// # fn main() {
/// assert_eq!(events().items().len(), 4);
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sse {
    comment: Option<String>,
    event: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    data: Option<Value>,
    /// Why the event cannot be sent: the stream answers 500 naming it.
    error: Option<String>,
}

impl Sse {
    /// An event with no name (an `EventSource` dispatches it as
    /// `message`); give it [`data`](Self::data) or [`json`](Self::json).
    ///
    /// ```
    /// use fake_servicer::{Sse, Streaming, serde_json::json};
    ///
    /// let s = Streaming::new().sse(Sse::message().data("hi"));
    /// assert_eq!(s.items(), [json!({"sse": {"data": "hi"}})]);
    /// ```
    pub fn message() -> Sse {
        Sse::default()
    }

    /// An event named `name` (its `event:` line). A name is one line: one
    /// holding a line break makes the stream answer 500 naming it.
    ///
    /// ```
    /// use fake_servicer::{Sse, Streaming, serde_json::json};
    ///
    /// let s = Streaming::new().sse(Sse::event("update").data("v2"));
    /// assert_eq!(s.items(), [json!({"sse": {"event": "update", "data": "v2"}})]);
    /// ```
    pub fn event(name: impl Into<String>) -> Sse {
        let name = name.into();
        let error = one_line("name", &name);
        Sse {
            event: Some(name),
            error,
            ..Sse::default()
        }
    }

    /// A comment alone (`: text`), what servers send to keep a connection
    /// open; clients ignore it.
    ///
    /// ```
    /// use fake_servicer::{Sse, Streaming, serde_json::json};
    ///
    /// let s = Streaming::new().sse(Sse::comment("keep-alive"));
    /// assert_eq!(s.items(), [json!({"sse": {"comment": "keep-alive"}})]);
    /// ```
    pub fn comment(text: impl Into<String>) -> Sse {
        Sse {
            comment: Some(text.into()),
            ..Sse::default()
        }
    }

    /// Sets the data: a string is written as it is (one `data:` line per
    /// line of it), any other value as compact JSON.
    ///
    /// ```
    /// use fake_servicer::{Sse, Streaming, serde_json::json};
    ///
    /// let s = Streaming::new()
    ///     .sse(Sse::message().data("two\nlines")) // data: two / data: lines
    ///     .sse(Sse::message().data(json!({"n": 1}))); // data: {"n":1}
    /// assert_eq!(s.items()[1], json!({"sse": {"data": {"n": 1}}}));
    /// ```
    pub fn data(mut self, data: impl Into<Value>) -> Sse {
        self.data = Some(data.into());
        self
    }

    /// Sets the data to `value` as compact JSON (a string too: `.json(&"hi")`
    /// is `data: "hi"`). A value that cannot be serialized makes the stream
    /// answer 500 naming the error.
    ///
    /// ```
    /// use fake_servicer::prelude::*;
    ///
    /// #[derive(Serialize)]
    /// struct Price { symbol: &'static str, cents: u64 }
    ///
    /// let s = Streaming::new()
    ///     .sse(Sse::event("price").json(&Price { symbol: "ACME", cents: 1250 }));
    /// assert_eq!(
    ///     s.items()[0]["sse"]["data"],
    ///     serde_json::json!({"symbol": "ACME", "cents": 1250})
    /// );
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Sse {
        match serde_json::to_value(value) {
            // A string is sent as it is: its JSON text keeps the quotes.
            Ok(Value::String(s)) => self.data = Some(Value::String(Value::String(s).to_string())),
            Ok(v) => self.data = Some(v),
            Err(e) => {
                self.error.get_or_insert_with(|| {
                    format!("an event's data could not be serialized as JSON: {e}")
                });
            }
        }
        self
    }

    /// Sets the event's id (`id:`, what a reconnecting `EventSource` sends
    /// back as `Last-Event-ID`). An id is one line: one holding a line break
    /// makes the stream answer 500 naming it.
    ///
    /// ```
    /// use fake_servicer::{Sse, Streaming, serde_json::json};
    ///
    /// let s = Streaming::new().sse(Sse::event("tick").id("7").data(7));
    /// assert_eq!(s.items()[0]["sse"]["id"], "7");
    /// ```
    pub fn id(mut self, id: impl Into<String>) -> Sse {
        let id = id.into();
        if let Some(e) = one_line("id", &id) {
            self.error.get_or_insert(e);
        }
        self.id = Some(id);
        self
    }

    /// Sets how long a client waits before reconnecting (`retry:`, in
    /// milliseconds).
    ///
    /// ```
    /// use fake_servicer::{Sse, Streaming};
    /// use std::time::Duration;
    ///
    /// let s = Streaming::new().sse(Sse::message().retry(Duration::from_secs(2)));
    /// assert_eq!(s.items()[0]["sse"]["retry"], 2000);
    /// ```
    pub fn retry(mut self, after: Duration) -> Sse {
        self.retry = Some(millis(after));
        self
    }

    /// The stream item: `{"sse": {…}}`, fields left out when not set.
    fn into_item(self) -> Value {
        let mut fields = Map::new();
        let mut set = |name: &str, value: Option<Value>| {
            if let Some(value) = value {
                fields.insert(name.to_owned(), value);
            }
        };
        set("comment", self.comment.map(Value::String));
        set("event", self.event.map(Value::String));
        set("id", self.id.map(Value::String));
        set("retry", self.retry.map(Value::from));
        set("data", self.data);
        json!({ "sse": fields })
    }
}

/// Why `value` cannot be an event's `field`: it holds a line break.
fn one_line(field: &str, value: &str) -> Option<String> {
    value
        .contains(['\r', '\n'])
        .then(|| format!("an SSE event's {field} is one line: {value:?}"))
}

/// A duration in whole milliseconds (`u64::MAX` past it).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A stream answer: items the server sends one by one, each flushed as it
/// comes (a chunk on HTTP/1.1, a DATA frame on HTTP/2), with pauses between
/// them; with [`live`](Self::live) the stream then stays open for the items
/// a test pushes (`POST /__admin/streams/push`, see `docs/streams.md`).
///
/// Without a `Content-Type` of its own (set one with
/// [`header`](Self::header)), a stream whose items are all events is sent as
/// `text/event-stream`, one whose items are all [`json`](Self::json) lines
/// as `application/x-ndjson`. The server keeps its limits: at most 10 000
/// items and pauses of at most 10 minutes each (past them the route answers
/// 500 naming the item). For a delay before the status line, call
/// [`Response::delay`] on [`into_response`](IntoResponse::into_response)'s
/// answer.
///
/// ```
/// use fake_servicer::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Serialize)]
/// struct Token<'a> { text: &'a str }
///
/// /// An LLM-style token stream, one NDJSON line every 50 ms.
/// #[route(post, "/generate")]
/// fn generate() -> Streaming {
///     let mut s = Streaming::new();
///     for word in ["Hello", ",", " world"] {
///         s = s.json(&Token { text: word }).pause(Duration::from_millis(50));
///     }
///     s
/// }
///
/// /// A notification feed: a first event, then whatever the test pushes.
/// #[route(get, "/notifications")]
/// fn notifications() -> Streaming {
///     Streaming::new().sse(Sse::event("hello").data("welcome")).live()
/// }
///
/// # fn main() {
/// assert_eq!(generate().items().len(), 6);
/// assert!(notifications().is_live());
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Streaming {
    /// Status and headers; the body is set from the items.
    response: Response,
    items: Vec<Value>,
    live: bool,
    /// Why the stream cannot be sent: it answers 500 naming it.
    error: Option<String>,
}

impl Default for Streaming {
    fn default() -> Self {
        Streaming::new()
    }
}

impl Streaming {
    /// A `200 OK` stream of no items that ends after them (see
    /// [`live`](Self::live)).
    ///
    /// ```
    /// use fake_servicer::Streaming;
    ///
    /// let s = Streaming::new();
    /// assert!(s.items().is_empty() && !s.is_live());
    /// ```
    pub fn new() -> Self {
        Streaming {
            response: Response::new(),
            items: Vec::new(),
            live: false,
            error: None,
        }
    }

    /// Sets the status.
    ///
    /// ```
    /// use fake_servicer::prelude::*;
    ///
    /// let r = Streaming::new().status(StatusCode::ACCEPTED).into_response();
    /// assert_eq!(r.status_code(), StatusCode::ACCEPTED);
    /// ```
    pub fn status(mut self, status: StatusCode) -> Self {
        self.response = self.response.status(status);
        self
    }

    /// Adds a header line (repeat the call for a multi-valued header), as
    /// [`Response::header`].
    ///
    /// ```
    /// use fake_servicer::prelude::*;
    ///
    /// let r = Streaming::new()
    ///     .header("content-type", "application/jsonl")
    ///     .json(&1)
    ///     .into_response();
    /// assert_eq!(r.header_value("Content-Type"), Some(&b"application/jsonl"[..]));
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl AsRef<[u8]>) -> Self {
        self.response = self.response.header(name, value);
        self
    }

    /// Adds a server-sent event ([`Sse`]).
    ///
    /// ```
    /// use fake_servicer::{Sse, Streaming, serde_json::json};
    ///
    /// let s = Streaming::new().sse(Sse::event("tick").data(1));
    /// assert_eq!(s.items(), [json!({"sse": {"event": "tick", "data": 1}})]);
    /// ```
    pub fn sse(mut self, event: Sse) -> Self {
        self.push_sse(event);
        self
    }

    /// Adds `value` as one NDJSON line: compact JSON, then `\n`. A value
    /// that cannot be serialized makes the stream answer 500 naming the
    /// error.
    ///
    /// ```
    /// use fake_servicer::{Streaming, serde_json::json};
    ///
    /// let s = Streaming::new().json(&json!({"n": 1})).json(&[1, 2]);
    /// // The client reads {"n":1}\n[1,2]\n
    /// assert_eq!(s.items(), [json!({"json": {"n": 1}}), json!({"json": [1, 2]})]);
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_value(value) {
            Ok(v) => self.items.push(json!({ "json": v })),
            Err(e) => {
                self.error.get_or_insert_with(|| {
                    format!("a stream item could not be serialized as JSON: {e}")
                });
            }
        }
        self
    }

    /// Adds text, sent as it is.
    ///
    /// ```
    /// use fake_servicer::{Streaming, serde_json::json};
    ///
    /// let s = Streaming::new().text("partial ").text("answer");
    /// assert_eq!(s.items(), [json!({"body": "partial "}), json!({"body": "answer"})]);
    /// ```
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.items.push(json!({ "body": text.into() }));
        self
    }

    /// Adds bytes, sent as they are.
    ///
    /// ```
    /// use fake_servicer::{Streaming, serde_json::json};
    ///
    /// let s = Streaming::new().bytes([0xff, 0x00]);
    /// assert_eq!(s.items(), [json!({"base64Body": "/wA="})]);
    /// ```
    pub fn bytes(mut self, bytes: impl AsRef<[u8]>) -> Self {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        self.items.push(json!({ "base64Body": encoded }));
        self
    }

    /// Adds a pause: the next item is sent `pause` after this point (whole
    /// milliseconds; at most 10 minutes). The server waits, not a thread.
    ///
    /// ```
    /// use fake_servicer::{Streaming, serde_json::json};
    /// use std::time::Duration;
    ///
    /// let s = Streaming::new().text("a").pause(Duration::from_millis(250)).text("b");
    /// assert_eq!(s.items()[1], json!({"delayMs": 250}));
    /// ```
    pub fn pause(mut self, pause: Duration) -> Self {
        self.items.push(json!({ "delayMs": millis(pause) }));
        self
    }

    /// Ends the stream here, even a [`live`](Self::live) one: items after
    /// it and pushes are not sent.
    ///
    /// ```
    /// use fake_servicer::{Streaming, serde_json::json};
    ///
    /// let s = Streaming::new().text("bye").close().live();
    /// assert_eq!(s.items()[1], json!({"close": {}}));
    /// ```
    pub fn close(mut self) -> Self {
        self.items.push(json!({ "close": {} }));
        self
    }

    /// Keeps the stream open after its items, for the items tests push
    /// (`POST /__admin/streams/push`), until a push closes it, it is
    /// closed through the admin API, or it sends nothing for
    /// `--stream-idle-timeout`.
    ///
    /// ```
    /// use fake_servicer::prelude::*;
    ///
    /// #[route(get, "/watch")]
    /// fn watch() -> Streaming {
    ///     Streaming::new().json(&serde_json::json!({"type": "SYNCED"})).live()
    /// }
    /// // The test then pushes:
    /// //   POST /__admin/streams/push
    /// //   {"request": {"service": "…", "urlPath": "/watch"},
    /// //    "items": [{"json": {"type": "ADDED"}}]}
    /// # fn main() {
    /// assert!(watch().is_live());
    /// # }
    /// ```
    pub fn live(mut self) -> Self {
        self.live = true;
        self
    }

    /// The items so far, in the JSON shape the server reads (a stub's
    /// `"stream"`): for unit tests.
    ///
    /// ```
    /// use fake_servicer::{Sse, Streaming, serde_json::json};
    ///
    /// let s = Streaming::new().sse(Sse::comment("hi")).text("x");
    /// assert_eq!(s.items(), [json!({"sse": {"comment": "hi"}}), json!({"body": "x"})]);
    /// ```
    pub fn items(&self) -> &[Value] {
        &self.items
    }

    /// Whether the stream stays open after its items ([`live`](Self::live)).
    ///
    /// ```
    /// use fake_servicer::Streaming;
    ///
    /// assert!(Streaming::new().live().is_live());
    /// ```
    pub fn is_live(&self) -> bool {
        self.live
    }

    fn push_sse(&mut self, event: Sse) {
        match event.error.clone() {
            Some(e) => {
                self.error.get_or_insert(e);
            }
            None => self.items.push(event.into_item()),
        }
    }
}

/// A stream of these events, in order.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[route(get, "/countdown")]
/// fn countdown() -> Streaming {
///     (1..=3).rev().map(|n| Sse::event("count").data(n)).collect()
/// }
/// # fn main() {
/// assert_eq!(countdown().items()[0]["sse"]["data"], 3);
/// # }
/// ```
impl FromIterator<Sse> for Streaming {
    fn from_iter<I: IntoIterator<Item = Sse>>(events: I) -> Self {
        let mut s = Streaming::new();
        s.extend(events);
        s
    }
}

/// Adds these events, in order.
///
/// ```
/// use fake_servicer::{Sse, Streaming};
///
/// let mut s = Streaming::new().sse(Sse::event("start"));
/// s.extend((0..2).map(|n| Sse::message().data(n)));
/// assert_eq!(s.items().len(), 3);
/// ```
impl Extend<Sse> for Streaming {
    fn extend<I: IntoIterator<Item = Sse>>(&mut self, events: I) {
        for event in events {
            self.push_sse(event);
        }
    }
}

/// The answer: the status and headers set, the header
/// [`STREAM_HEADER`](crate::abi::STREAM_HEADER) (`live` or `end`) and the
/// items as a JSON list; `500` naming the error instead when an item could
/// not be made (a value that does not serialize, an event name or id with a
/// line break).
///
/// ```
/// use fake_servicer::prelude::*;
/// use fake_servicer::abi::STREAM_HEADER;
///
/// let r = Streaming::new().text("hi").live().into_response();
/// assert_eq!(r.header_value(STREAM_HEADER), Some(&b"live"[..]));
/// assert_eq!(r.body_bytes(), br#"[{"body":"hi"}]"#);
///
/// let broken = Streaming::new().sse(Sse::event("two\nlines")).into_response();
/// assert_eq!(broken.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
/// ```
impl IntoResponse for Streaming {
    fn into_response(self) -> Response {
        if let Some(error) = self.error {
            return Response::new()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .text(error);
        }
        self.response
            .set_header(STREAM_HEADER, if self.live { "live" } else { "end" })
            .body(Value::Array(self.items).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(r: &Response) -> Value {
        serde_json::from_slice(r.body_bytes()).expect("a JSON body")
    }

    #[test]
    fn an_event_writes_only_the_fields_set() {
        let s = Streaming::new().sse(
            Sse::event("e")
                .id("7")
                .retry(Duration::from_millis(300))
                .data("x"),
        );
        assert_eq!(
            s.items(),
            [json!({"sse": {"event": "e", "id": "7", "retry": 300, "data": "x"}})]
        );
    }

    #[test]
    fn an_empty_message_is_an_sse_item_with_no_fields() {
        let s = Streaming::new().sse(Sse::message());
        assert_eq!(s.items(), [json!({"sse": {}})]);
    }

    #[test]
    fn json_data_of_a_string_keeps_its_quotes() {
        let s = Streaming::new().sse(Sse::message().json("hi"));
        assert_eq!(s.items()[0]["sse"]["data"], "\"hi\"");
    }

    #[test]
    fn json_data_of_a_struct_is_the_value_in_field_order() {
        #[derive(Serialize)]
        struct P {
            z: u8,
            a: u8,
        }
        let r = Streaming::new()
            .sse(Sse::message().json(&P { z: 1, a: 2 }))
            .into_response();
        assert_eq!(r.body_bytes(), br#"[{"sse":{"data":{"z":1,"a":2}}}]"#);
    }

    #[test]
    fn a_retry_is_in_whole_milliseconds() {
        let s = Streaming::new().sse(Sse::message().retry(Duration::from_micros(2_500_900)));
        assert_eq!(s.items()[0]["sse"]["retry"], 2500);
    }

    #[test]
    fn an_event_name_with_a_line_break_answers_500_naming_it() {
        let r = Streaming::new()
            .sse(Sse::event("a\nb").data(1))
            .into_response();
        assert_eq!(r.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let text = String::from_utf8_lossy(r.body_bytes()).into_owned();
        assert!(text.contains(r#"name is one line: "a\nb""#), "{text}");
        assert_eq!(r.header_value(STREAM_HEADER), None);
    }

    #[test]
    fn an_id_with_a_carriage_return_answers_500() {
        let r = Streaming::new()
            .sse(Sse::message().id("1\r"))
            .into_response();
        assert_eq!(r.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn a_value_that_does_not_serialize_answers_500_naming_the_error() {
        let mut bad = std::collections::HashMap::new();
        bad.insert((1, 2), "tuple keys are not JSON");
        let r = Streaming::new().text("a").json(&bad).into_response();
        assert_eq!(r.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let text = String::from_utf8_lossy(r.body_bytes()).into_owned();
        assert!(text.contains("could not be serialized as JSON"), "{text}");
        let r = Streaming::new()
            .sse(Sse::message().json(&bad))
            .into_response();
        assert_eq!(r.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn ndjson_text_bytes_pause_and_close_items_have_the_stub_shape() {
        let s = Streaming::new()
            .json(&json!({"n": 1}))
            .text("t")
            .bytes(b"ab")
            .pause(Duration::from_secs(1))
            .close();
        assert_eq!(
            s.items(),
            [
                json!({"json": {"n": 1}}),
                json!({"body": "t"}),
                json!({"base64Body": "YWI="}),
                json!({"delayMs": 1000}),
                json!({"close": {}}),
            ]
        );
    }

    #[test]
    fn the_answer_marks_a_stream_that_ends_with_end() {
        let r = Streaming::new().text("x").into_response();
        assert_eq!(r.header_value(STREAM_HEADER), Some(&b"end"[..]));
        assert_eq!(body_json(&r), json!([{"body": "x"}]));
    }

    #[test]
    fn the_answer_marks_a_live_stream_with_live() {
        let r = Streaming::new().live().into_response();
        assert_eq!(r.header_value(STREAM_HEADER), Some(&b"live"[..]));
        assert_eq!(r.body_bytes(), b"[]");
    }

    #[test]
    fn status_and_headers_are_kept_and_no_content_type_is_added() {
        let r = Streaming::new()
            .status(StatusCode::CREATED)
            .header("x-a", "1")
            .header("x-a", "2")
            .sse(Sse::comment("c"))
            .into_response();
        assert_eq!(r.status_code(), StatusCode::CREATED);
        assert_eq!(r.header_value("x-a"), Some(&b"1"[..]));
        assert_eq!(r.header_value("content-type"), None);
        let ffi = r.into_ffi();
        assert_eq!(ffi.headers.len(), 3);
    }

    #[test]
    fn a_stream_header_set_by_hand_is_replaced() {
        let r = Streaming::new()
            .header(STREAM_HEADER, "bogus")
            .into_response();
        assert_eq!(r.header_value(STREAM_HEADER), Some(&b"end"[..]));
        assert_eq!(r.into_ffi().headers.len(), 1);
    }

    #[test]
    fn a_status_tuple_sets_the_streams_status() {
        let r = (StatusCode::ACCEPTED, Streaming::new().live()).into_response();
        assert_eq!(r.status_code(), StatusCode::ACCEPTED);
        assert_eq!(r.header_value(STREAM_HEADER), Some(&b"live"[..]));
    }

    #[test]
    fn collected_and_extended_events_keep_their_order() {
        let mut s: Streaming = (0..3).map(|n| Sse::message().data(n)).collect();
        s.extend([Sse::event("last")]);
        let data: Vec<&Value> = s.items().iter().map(|i| &i["sse"]).collect();
        assert_eq!(
            data,
            [
                &json!({"data": 0}),
                &json!({"data": 1}),
                &json!({"data": 2}),
                &json!({"event": "last"})
            ]
        );
    }

    #[test]
    fn a_broken_event_among_collected_ones_answers_500() {
        let s: Streaming = [Sse::message().data(1), Sse::event("x\ny")]
            .into_iter()
            .collect();
        assert_eq!(
            s.into_response().status_code(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
