//! Stream items: what a stub's `"stream"` answer, a test's push
//! (`POST /__admin/streams/push`) and a WebSocket stub send, one item at a
//! time. Each item is an object with one field:
//!
//! | item | on an HTTP stream | on a WebSocket |
//! |---|---|---|
//! | `{"body": "text"}` | the text's bytes | a text message |
//! | `{"base64Body": "…"}` | the bytes | a binary message |
//! | `{"json": <value>}` | the value, compact, then `\n` (NDJSON) | a text message, compact |
//! | `{"sse": {"event", "data", "id", "retry", "comment"}}` | one event in SSE framing | a text message of that framing |
//! | `{"delayMs": N}` | a pause | a pause |
//! | `{"text": "…"}` | as `body` | a text message |
//! | `{"binary": "…"}` (base64) | as `base64Body` | a binary message |
//! | `{"close": {"code", "reason"}}` | the end of the stream | a close frame |
//!
//! ```
//! use fake_servicer_wiremock::stream::{Item, parse_items};
//! let items = parse_items(
//!     &serde_json::json!([{"sse": {"event": "tick", "data": {"n": 1}}}, {"delayMs": 5}]),
//!     "/items",
//! )
//! .unwrap();
//! assert_eq!(items[0].http_bytes().unwrap(), "event: tick\ndata: {\"n\":1}\n\n");
//! assert!(matches!(items[1], Item::Pause(_)));
//! ```

use crate::shapes::{PatternError, read};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// The most items one list may hold (a stub's stream, one push).
pub const MAX_ITEMS: usize = 10_000;

/// One stream item, as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `body`: text sent as it is.
    Body(String),
    /// `base64Body`: bytes.
    Bytes(Bytes),
    /// `json`: a value, compact, then a newline.
    Json(Value),
    /// `sse`: one server-sent event.
    Sse(SseEvent),
    /// `delayMs`: a pause before the next item.
    Pause(Duration),
    /// `text`: a WebSocket text message (its bytes on HTTP).
    Text(String),
    /// `binary`: a WebSocket binary message (its bytes on HTTP).
    Binary(Bytes),
    /// `close`: the end of the stream (a close frame on a WebSocket).
    Close(Close),
}

/// One server-sent event; fields left out are not written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SseEvent {
    pub event: Option<String>,
    /// A string is written as it is (one `data:` line per line of it),
    /// any other value compact.
    pub data: Option<Value>,
    pub id: Option<String>,
    pub retry: Option<u64>,
    pub comment: Option<String>,
}

/// A WebSocket close frame (the end of an HTTP stream).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Close {
    /// 1000 (normal closure) unless given.
    #[serde(default = "normal_closure")]
    pub code: u16,
    #[serde(default)]
    pub reason: String,
}

fn normal_closure() -> u16 {
    1000
}

/// A stub's stream answer: `"stream"` and `"live"` of its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamAnswer {
    pub items: Vec<Item>,
    /// Stays open after the last item, for pushes.
    pub live: bool,
    /// Whether any item holds a template.
    pub templated: bool,
}

impl StreamAnswer {
    /// This stream with each item's text rendered by `render` (a stub's
    /// templates, for one request).
    pub fn rendered(
        &self,
        render: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<StreamAnswer, String> {
        let items = self
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| item.rendered(render).map_err(|e| format!("item {i}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(StreamAnswer {
            items,
            live: self.live,
            templated: false,
        })
    }
}

/// A stub's WebSocket answer (`"webSocket"` of its response): the items
/// sent when the socket opens, and the replies to messages.
#[derive(Debug, Clone)]
pub struct WebSocketAnswer {
    /// `send`: sent on open.
    pub send: Vec<Item>,
    /// `replies`: the first whose `when` matches a message sends its items.
    pub replies: Vec<WebSocketReply>,
}

/// One of a WebSocket answer's `replies`.
#[derive(Debug, Clone)]
pub struct WebSocketReply {
    /// `when`: a matcher on the message (text, or a binary message's
    /// bytes): `equalTo`, `contains`, `matches`, `equalToJson`,
    /// `matchesJsonPath`, …; none matches every message.
    pub when: Option<crate::matchers::BodyMatcher>,
    /// `send`: the items sent in reply.
    pub send: Vec<Item>,
}

/// `"webSocket"` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SocketShape {
    send: Option<Value>,
    replies: Option<Vec<ReplyShape>>,
}

/// One of its `replies` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyShape {
    when: Option<Value>,
    send: Option<Value>,
}

impl WebSocketAnswer {
    /// Parses `"webSocket"` at `pointer`.
    pub fn parse(v: &Value, pointer: &str) -> Result<WebSocketAnswer, PatternError> {
        let shape: SocketShape = read(v, pointer)?;
        let items = |v: Option<Value>, at: String| match v {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(items) => parse_items(&items, &at),
        };
        let send = items(shape.send, format!("{pointer}/send"))?;
        let replies = shape
            .replies
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let at = format!("{pointer}/replies/{i}");
                let when = match r.when {
                    None | Some(Value::Null) => None,
                    Some(w) => Some(crate::matchers::BodyMatcher::parse(
                        &w,
                        &format!("{at}/when"),
                    )?),
                };
                let send = items(r.send, format!("{at}/send"))?;
                Ok(WebSocketReply { when, send })
            })
            .collect::<Result<_, PatternError>>()?;
        Ok(WebSocketAnswer { send, replies })
    }

    /// The items replying to `message`, if a reply matches it.
    pub fn reply_to(&self, message: &[u8]) -> Option<&[Item]> {
        self.replies
            .iter()
            .find(|r| r.when.as_ref().is_none_or(|w| w.matches(message)))
            .map(|r| r.send.as_slice())
    }
}

/// The items of a JSON list at `pointer` (a stub's `/response/stream`, a
/// push's `/items`).
pub fn parse_items(v: &Value, pointer: &str) -> Result<Vec<Item>, PatternError> {
    let Value::Array(list) = v else {
        return Err(PatternError::new(
            pointer,
            "expected a list of stream items",
        ));
    };
    if list.len() > MAX_ITEMS {
        return Err(PatternError::new(
            pointer,
            format!("{} items; at most {MAX_ITEMS}", list.len()),
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, v)| Item::parse(v, &format!("{pointer}/{i}")))
        .collect()
}

impl Item {
    /// One item from its JSON at `pointer`.
    pub fn parse(v: &Value, pointer: &str) -> Result<Item, PatternError> {
        const FIELDS: &str = "body, base64Body, json, sse, delayMs, text, binary, close";
        let Some((field, value)) = v
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.iter().next())
        else {
            return Err(PatternError::new(
                pointer,
                format!("a stream item is an object with one of {FIELDS}"),
            ));
        };
        let at = format!("{pointer}/{field}");
        let base64 = |value: &Value| {
            use base64::Engine;
            let text: String = read(value, &at)?;
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map(Bytes::from)
                .map_err(|e| PatternError::new(at.clone(), format!("not base64: {e}")))
        };
        Ok(match field.as_str() {
            "body" => Item::Body(read(value, &at)?),
            "base64Body" => Item::Bytes(base64(value)?),
            "json" => Item::Json(value.clone()),
            "sse" => {
                let e: SseEvent = read(value, &at)?;
                let newline =
                    |s: &Option<String>| s.as_deref().is_some_and(|s| s.contains(['\r', '\n']));
                if newline(&e.event) || newline(&e.id) {
                    return Err(PatternError::new(at, "an event's name and id are one line"));
                }
                Item::Sse(e)
            }
            "delayMs" => Item::Pause(Duration::from_millis(crate::stub::response::delay_ms(
                read(value, &at)?,
                &at,
            )?)),
            "text" => Item::Text(read(value, &at)?),
            "binary" => Item::Binary(base64(value)?),
            "close" => Item::Close(read(value, &at)?),
            other => {
                return Err(PatternError::new(
                    at.clone(),
                    format!("unknown stream item {other:?} (expected one of {FIELDS})"),
                ));
            }
        })
    }

    /// The bytes it sends on an HTTP stream: `None` for a pause or a close.
    pub fn http_bytes(&self) -> Option<Bytes> {
        Some(match self {
            Item::Body(s) | Item::Text(s) => Bytes::from(s.clone()),
            Item::Bytes(b) | Item::Binary(b) => b.clone(),
            Item::Json(v) => {
                let mut s = v.to_string();
                s.push('\n');
                Bytes::from(s)
            }
            Item::Sse(e) => Bytes::from(e.framed()),
            Item::Pause(_) | Item::Close(_) => return None,
        })
    }

    /// The bytes it takes in a queue (an estimate for a pause or a close).
    pub fn size(&self) -> usize {
        match self {
            Item::Body(s) | Item::Text(s) => s.len(),
            Item::Bytes(b) | Item::Binary(b) => b.len(),
            Item::Json(v) => v.to_string().len() + 1,
            Item::Sse(e) => e.framed().len(),
            Item::Pause(_) => 8,
            Item::Close(c) => 2 + c.reason.len(),
        }
    }

    /// Whether any of its text holds a template (`{{`).
    pub fn has_template(&self) -> bool {
        let t = |s: &str| s.contains("{{");
        match self {
            Item::Body(s) | Item::Text(s) => t(s),
            Item::Json(v) => t(&v.to_string()),
            Item::Sse(e) => {
                [&e.event, &e.id, &e.comment]
                    .iter()
                    .any(|s| s.as_deref().is_some_and(t))
                    || e.data.as_ref().is_some_and(|d| t(&d.to_string()))
            }
            Item::Close(c) => t(&c.reason),
            Item::Bytes(_) | Item::Binary(_) | Item::Pause(_) => false,
        }
    }

    /// This item with each text rendered by `render`; a `json` item's
    /// text, rendered, must still be JSON.
    pub fn rendered(
        &self,
        render: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<Item, String> {
        let opt = |s: &Option<String>| s.as_deref().map(render).transpose();
        Ok(match self {
            Item::Body(s) => Item::Body(render(s)?),
            Item::Text(s) => Item::Text(render(s)?),
            Item::Json(v) => {
                let text = render(&v.to_string())?;
                Item::Json(serde_json::from_str(&text).map_err(|e| {
                    format!("a json item rendered as text that is not JSON ({e}): {text}")
                })?)
            }
            Item::Sse(e) => {
                Item::Sse(SseEvent {
                    event: opt(&e.event)?,
                    id: opt(&e.id)?,
                    comment: opt(&e.comment)?,
                    retry: e.retry,
                    data: match &e.data {
                        Some(Value::String(s)) => Some(Value::String(render(s)?)),
                        Some(v) if v.to_string().contains("{{") => {
                            let text = render(&v.to_string())?;
                            Some(serde_json::from_str(&text).map_err(|e| {
                            format!("an event's data rendered as text that is not JSON ({e}): {text}")
                        })?)
                        }
                        other => other.clone(),
                    },
                })
            }
            Item::Close(c) => Item::Close(Close {
                code: c.code,
                reason: render(&c.reason)?,
            }),
            other => other.clone(),
        })
    }
}

impl SseEvent {
    /// An event of `data` alone.
    pub fn data(data: impl Into<Value>) -> SseEvent {
        SseEvent {
            data: Some(data.into()),
            ..SseEvent::default()
        }
    }

    /// The event in SSE framing: each field as `field: value`, a line per
    /// line of the comment and the data, then a blank line.
    pub fn framed(&self) -> String {
        let mut out = String::new();
        let mut field = |name: &str, value: &str| {
            for line in value.split('\n') {
                out.push_str(name);
                out.push_str(": ");
                out.push_str(line.strip_suffix('\r').unwrap_or(line));
                out.push('\n');
            }
        };
        if let Some(c) = &self.comment {
            field("", c);
        }
        if let Some(e) = &self.event {
            field("event", e);
        }
        if let Some(id) = &self.id {
            field("id", id);
        }
        if let Some(r) = self.retry {
            field("retry", &r.to_string());
        }
        match &self.data {
            Some(Value::String(s)) => field("data", s),
            Some(v) => field("data", &v.to_string()),
            None => {}
        }
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(v: Value) -> Item {
        Item::parse(&v, "/i").unwrap()
    }

    #[test]
    fn json_items_are_compact_lines() {
        let item = one(json!({"json": {"a": [1, 2], "b": "x"}}));
        assert_eq!(item.http_bytes().unwrap(), "{\"a\":[1,2],\"b\":\"x\"}\n");
    }

    #[test]
    fn sse_fields_are_written_with_one_space_and_a_blank_line_after() {
        let item = one(
            json!({"sse": {"comment": "hi", "event": "e", "id": "7", "retry": 300, "data": "l1\nl2"}}),
        );
        assert_eq!(
            item.http_bytes().unwrap(),
            ": hi\nevent: e\nid: 7\nretry: 300\ndata: l1\ndata: l2\n\n"
        );
        let item = one(json!({"sse": {"data": {"n": 1}}}));
        assert_eq!(item.http_bytes().unwrap(), "data: {\"n\":1}\n\n");
    }

    #[test]
    fn an_item_with_two_fields_or_an_unknown_one_is_refused_with_its_pointer() {
        let e = Item::parse(&json!({"body": "a", "json": 1}), "/response/stream/3").unwrap_err();
        assert_eq!(e.pointer, "/response/stream/3");
        let e = Item::parse(&json!({"bodyy": "a"}), "/response/stream/0").unwrap_err();
        assert_eq!(e.pointer, "/response/stream/0/bodyy");
        let e = Item::parse(&json!({"sse": {"evnt": "x"}}), "/s/1").unwrap_err();
        assert_eq!(e.pointer, "/s/1/sse/evnt");
        let e = Item::parse(&json!({"base64Body": "%%"}), "/s/1").unwrap_err();
        assert_eq!(e.pointer, "/s/1/base64Body");
        let e = Item::parse(&json!({"sse": {"event": "a\nb"}}), "/s/2").unwrap_err();
        assert_eq!(e.pointer, "/s/2/sse");
    }

    #[test]
    fn pauses_and_closes_send_no_bytes_on_http() {
        assert_eq!(
            one(json!({"delayMs": 5})),
            Item::Pause(Duration::from_millis(5))
        );
        let close = one(json!({"close": {}}));
        assert_eq!(
            close,
            Item::Close(Close {
                code: 1000,
                reason: String::new()
            })
        );
        assert_eq!(close.http_bytes(), None);
    }

    #[test]
    fn a_websocket_answers_unknown_fields_and_bad_parts_are_refused_with_their_pointers() {
        let at = |v: Value| WebSocketAnswer::parse(&v, "/ws").unwrap_err().pointer;
        assert_eq!(at(json!({"sned": []})), "/ws/sned");
        assert_eq!(at(json!({"replies": [{"whne": {}}]})), "/ws/replies/0/whne");
        assert_eq!(
            at(json!({"replies": [{"send": [{"x": 1}]}]})),
            "/ws/replies/0/send/0/x"
        );
        let ok = WebSocketAnswer::parse(
            &json!({"replies": [{"when": {"equalTo": "a"}, "send": [{"text": "b"}]}]}),
            "/ws",
        )
        .unwrap();
        assert_eq!(ok.reply_to(b"a"), Some(&[Item::Text("b".to_owned())][..]));
        assert_eq!(ok.reply_to(b"c"), None);
    }

    #[test]
    fn a_list_longer_than_the_cap_is_refused() {
        let list = Value::Array(vec![json!({"body": "x"}); MAX_ITEMS + 1]);
        assert!(parse_items(&list, "/items").is_err());
    }

    #[test]
    fn rendering_keeps_json_items_json() {
        let item = one(json!({"json": {"path": "{{request.path}}"}}));
        assert!(item.has_template());
        let rendered = item
            .rendered(&|s| Ok(s.replace("{{request.path}}", "/p")))
            .unwrap();
        assert_eq!(rendered, Item::Json(json!({"path": "/p"})));
        let broken = item.rendered(&|_| Ok("{".to_owned()));
        assert!(broken.unwrap_err().contains("not JSON"));
    }
}
