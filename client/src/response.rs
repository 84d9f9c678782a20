//! What a stub answers (WireMock's `response` object), and connection
//! faults.

use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};
use std::time::Duration;

/// A connection fault acted out on the socket instead of an answer.
///
/// ```
/// use fake_servicer_client::prelude::*;
///
/// let broken = fault(Fault::ConnectionResetByPeer);
/// # let _ = broken;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The connection is reset (`CONNECTION_RESET_BY_PEER`).
    ConnectionResetByPeer,
    /// The connection closes without an answer (`EMPTY_RESPONSE`).
    EmptyResponse,
    /// A status line, then a broken chunk (`MALFORMED_RESPONSE_CHUNK`).
    MalformedResponseChunk,
    /// Garbage, then the connection closes (`RANDOM_DATA_THEN_CLOSE`).
    RandomDataThenClose,
}

impl Fault {
    /// WireMock's name of the fault.
    ///
    /// ```
    /// # use fake_servicer_client::Fault;
    /// assert_eq!(Fault::EmptyResponse.as_str(), "EMPTY_RESPONSE");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::ConnectionResetByPeer => "CONNECTION_RESET_BY_PEER",
            Fault::EmptyResponse => "EMPTY_RESPONSE",
            Fault::MalformedResponseChunk => "MALFORMED_RESPONSE_CHUNK",
            Fault::RandomDataThenClose => "RANDOM_DATA_THEN_CLOSE",
        }
    }
}

/// What a stub answers. Made with [`status`], [`ok`], [`json`], [`fault`]
/// or [`proxy_to`], refined with its methods.
///
/// ```
/// use fake_servicer_client::prelude::*;
/// use std::time::Duration;
///
/// let answer = status(201)
///     .header("Location", "/users/8")
///     .json(serde_json::json!({"id": 8}))
///     .delay(Duration::from_millis(50));
/// assert_eq!(answer.to_json()["status"], 201);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    def: Map<String, Value>,
    headers: Map<String, Value>,
    pub(crate) problem: Option<String>,
}

impl Response {
    fn new() -> Response {
        Response {
            def: Map::new(),
            headers: Map::new(),
            problem: None,
        }
    }

    fn set(mut self, key: &str, value: Value) -> Response {
        self.def.insert(key.to_owned(), value);
        self
    }

    /// Answers with status `code`.
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let r = ok().status(204);
    /// # let _ = r;
    /// ```
    pub fn status(self, code: u16) -> Response {
        self.set("status", Value::from(code))
    }

    /// The reason phrase of the status line (`statusMessage`).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let r = status(418).status_message("I'm a teapot");
    /// # let _ = r;
    /// ```
    pub fn status_message(self, message: impl Into<String>) -> Response {
        self.set("statusMessage", Value::String(message.into()))
    }

    /// Adds header `name: value`; a second value for the same name sends
    /// both lines.
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let r = ok().header("Set-Cookie", "a=1").header("Set-Cookie", "b=2");
    /// # let _ = r;
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Response {
        add_header(&mut self.headers, name.into(), value.into());
        self
    }

    /// The body, verbatim (`body`).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let r = status(503).body("down for maintenance");
    /// # let _ = r;
    /// ```
    pub fn body(self, text: impl Into<String>) -> Response {
        self.set("body", Value::String(text.into()))
    }

    /// The body as bytes (`base64Body`).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let r = ok().body_bytes([0x89u8, b'P', b'N', b'G']);
    /// # let _ = r;
    /// ```
    pub fn body_bytes(self, bytes: impl AsRef<[u8]>) -> Response {
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes.as_ref());
        self.set("base64Body", Value::String(encoded))
    }

    /// `value` as a JSON body (`jsonBody`) with `Content-Type:
    /// application/json` (unless a `Content-Type` was set before).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let r = status(404).json(serde_json::json!({"error": "no such user"}));
    /// # let _ = r;
    /// ```
    pub fn json(mut self, value: impl Serialize) -> Response {
        match serde_json::to_value(value) {
            Ok(v) => {
                if !self
                    .headers
                    .keys()
                    .any(|k| k.eq_ignore_ascii_case("content-type"))
                {
                    self.headers.insert(
                        "Content-Type".to_owned(),
                        Value::String("application/json".to_owned()),
                    );
                }
                self.set("jsonBody", v)
            }
            Err(e) => {
                self.problem = Some(format!("the JSON body cannot be serialised: {e}"));
                self
            }
        }
    }

    /// Waits `delay` before answering (`fixedDelayMilliseconds`; the server
    /// refuses more than 10 minutes).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let slow = ok().delay(std::time::Duration::from_millis(300));
    /// # let _ = slow;
    /// ```
    pub fn delay(self, delay: Duration) -> Response {
        self.set("fixedDelayMilliseconds", Value::from(millis(delay)))
    }

    /// Waits a random time between `lower` and `upper` before answering
    /// (`delayDistribution` `uniform`).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// use std::time::Duration;
    /// let jittery = ok().random_delay(Duration::from_millis(10), Duration::from_millis(50));
    /// # let _ = jittery;
    /// ```
    pub fn random_delay(self, lower: Duration, upper: Duration) -> Response {
        self.set(
            "delayDistribution",
            serde_json::json!({"type": "uniform", "lower": millis(lower), "upper": millis(upper)}),
        )
    }

    /// Sends the body in `chunks` pieces spread over `total`
    /// (`chunkedDribbleDelay`).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let trickle = ok().body("0123456789").dribble(5, std::time::Duration::from_millis(500));
    /// # let _ = trickle;
    /// ```
    pub fn dribble(self, chunks: u32, total: Duration) -> Response {
        self.set(
            "chunkedDribbleDelay",
            serde_json::json!({"numberOfChunks": chunks, "totalDuration": millis(total)}),
        )
    }

    /// Acts out `fault` on the socket instead of answering.
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// let r = ok().fault(Fault::EmptyResponse);
    /// # let _ = r;
    /// ```
    pub fn fault(self, fault: Fault) -> Response {
        self.set("fault", Value::String(fault.as_str().to_owned()))
    }

    /// The response as WireMock JSON (the `response` of a mapping).
    ///
    /// ```
    /// # use fake_servicer_client::prelude::*;
    /// assert_eq!(status(204).to_json(), serde_json::json!({"status": 204}));
    /// ```
    pub fn to_json(&self) -> Value {
        let mut def = self.def.clone();
        if !self.headers.is_empty() {
            def.insert("headers".to_owned(), Value::Object(self.headers.clone()));
        }
        Value::Object(def)
    }
}

/// Adds `value` to header `name` of a WireMock header object: a second
/// value makes the entry a list.
pub(crate) fn add_header(headers: &mut Map<String, Value>, name: String, value: String) {
    match headers.get_mut(&name) {
        Some(Value::Array(values)) => values.push(Value::String(value)),
        Some(first) => {
            let first = first.take();
            headers.insert(name, Value::Array(vec![first, Value::String(value)]));
        }
        None => {
            headers.insert(name, Value::String(value));
        }
    }
}

/// Milliseconds of `d`, saturating.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Answers with status `code`.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let r = status(503).body("down");
/// # let _ = r;
/// ```
pub fn status(code: u16) -> Response {
    Response::new().status(code)
}

/// Answers 200.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let r = ok().body("pong");
/// # let _ = r;
/// ```
pub fn ok() -> Response {
    status(200)
}

/// Answers 200 with `value` as a JSON body and `Content-Type:
/// application/json`.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let r = json(serde_json::json!({"id": 7, "name": "Stubbed"}));
/// # let _ = r;
/// ```
pub fn json(value: impl Serialize) -> Response {
    ok().json(value)
}

/// Acts out `fault` instead of answering.
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let r = fault(Fault::RandomDataThenClose);
/// # let _ = r;
/// ```
pub fn fault(fault: Fault) -> Response {
    Response::new().fault(fault)
}

/// Forwards the request to `base_url` and answers what it answers
/// (`proxyBaseUrl`, plain `http://`).
///
/// ```
/// # use fake_servicer_client::prelude::*;
/// let r = proxy_to("http://payments.internal:8080");
/// # let _ = r;
/// ```
pub fn proxy_to(base_url: impl Into<String>) -> Response {
    Response::new().set("proxyBaseUrl", Value::String(base_url.into()))
}
