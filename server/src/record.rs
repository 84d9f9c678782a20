//! Recording: stubs made from proxied exchanges, as WireMock's record and
//! snapshot do.
//!
//! Every answer a proxying stub relays is kept here, in a bounded store
//! (`--max-recorded-exchanges`, `--max-recorded-bytes`; the oldest go
//! first). A recording adds a proxy stub to its target, of default
//! priority and newest (so it answers unless another stub has a better
//! priority); stopping removes it and turns the exchanges relayed since the
//! start into stubs. A snapshot does the same with every exchange kept.

use crate::{
    mappings::Stubs,
    matchers::{PatternError, RequestPattern},
    proxy::Upstream,
    request::Recorded,
    sync::lock,
};
use base64::Engine;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{Map, Value, json};
use std::{
    collections::{HashMap, VecDeque},
    path::PathBuf,
    sync::Mutex,
};
use uuid::Uuid;

/// Default of `--max-recorded-exchanges`.
pub const DEFAULT_MAX_EXCHANGES: usize = 1000;

/// Default of `--max-recorded-bytes`: bodies and headers of the kept
/// exchanges together.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Where a recording stands, as `GET /__admin/recordings/status` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    NeverStarted,
    Recording,
    Stopped,
}

impl Status {
    /// WireMock's name.
    pub fn name(self) -> &'static str {
        match self {
            Status::NeverStarted => "NeverStarted",
            Status::Recording => "Recording",
            Status::Stopped => "Stopped",
        }
    }
}

/// One relayed request and answer.
struct Exchange {
    seq: u64,
    request: Recorded,
    response: Upstream,
    bytes: usize,
}

/// What to make stubs of, and how (the body of `recordings/start` and
/// `recordings/snapshot`).
#[derive(Debug, Clone)]
pub struct Spec {
    /// `targetBaseUrl` (start only).
    pub target: Option<String>,
    /// `filters`: only exchanges whose request matches.
    pub filters: Option<RequestPattern>,
    /// `captureHeaders`: request headers the stubs match, with
    /// `caseInsensitive`.
    pub capture: Vec<(String, bool)>,
    /// `persist`: mark the stubs persistent and write them to the
    /// `--mappings` directory.
    pub persist: bool,
    /// `repeatsAsScenarios`: identical requests become a scenario (else
    /// only the first is kept).
    pub repeats_as_scenarios: bool,
}

impl Spec {
    /// Parses the JSON body; `requestBodyPattern`, `extractBodyCriteria`,
    /// `outputFormat`, `transformers`, `transformerParameters` and the
    /// filters' `ids` and `allowNonProxied` are accepted and unused.
    pub fn parse(v: &Value, needs_target: bool) -> Result<Spec, PatternError> {
        let empty = Map::new();
        let obj = match v {
            Value::Object(o) => o,
            Value::Null => &empty,
            _ => return Err(PatternError::new("", "expected a JSON object")),
        };
        let mut spec = Spec {
            target: None,
            filters: None,
            capture: Vec::new(),
            persist: true,
            repeats_as_scenarios: true,
        };
        match obj.get("targetBaseUrl").filter(|v| !v.is_null()) {
            Some(t) => {
                let t = t
                    .as_str()
                    .ok_or_else(|| PatternError::new("/targetBaseUrl", "expected a URL string"))?;
                spec.target = Some(crate::proxy::check_base_url(t, "/targetBaseUrl")?);
            }
            None if needs_target => {
                return Err(PatternError::new(
                    "/targetBaseUrl",
                    "missing: the base URL to record from",
                ));
            }
            None => {}
        }
        if let Some(f) = obj.get("filters").filter(|v| !v.is_null()) {
            let mut f = f
                .as_object()
                .ok_or_else(|| PatternError::new("/filters", "expected a request pattern"))?
                .clone();
            f.remove("ids");
            f.remove("allowNonProxied");
            spec.filters = Some(RequestPattern::parse(&Value::Object(f), "/filters")?);
        }
        if let Some(c) = obj.get("captureHeaders").filter(|v| !v.is_null()) {
            let c = c.as_object().ok_or_else(|| {
                PatternError::new("/captureHeaders", "expected an object of header names")
            })?;
            for (name, opts) in c {
                let ci = opts
                    .get("caseInsensitive")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                spec.capture.push((name.clone(), ci));
            }
        }
        for (key, field) in [
            ("persist", &mut spec.persist),
            ("repeatsAsScenarios", &mut spec.repeats_as_scenarios),
        ] {
            match obj.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::Bool(b)) => *field = *b,
                Some(_) => {
                    return Err(PatternError::new(
                        format!("/{key}"),
                        "expected true or false",
                    ));
                }
            }
        }
        Ok(spec)
    }
}

struct Inner {
    status: Status,
    spec: Option<Spec>,
    /// The recording's proxy stub.
    proxy_stub: Option<Uuid>,
    /// Exchanges from this sequence number on belong to the recording.
    started_at: u64,
    next_seq: u64,
    exchanges: VecDeque<Exchange>,
    bytes: usize,
}

/// The recording state and the kept exchanges.
pub struct Recorder {
    inner: Mutex<Inner>,
    max_exchanges: usize,
    max_bytes: usize,
    /// `--mappings`: where persisted recordings are written.
    mappings_dir: Option<PathBuf>,
}

/// Why a recording call failed.
#[derive(Debug)]
pub enum RecordError {
    /// Bad input, with a JSON pointer.
    Invalid(PatternError),
    /// `recordings/stop` while not recording.
    NotRecording,
}

impl Recorder {
    /// A recorder keeping at most `max_exchanges` exchanges and
    /// `max_bytes` bytes of them, writing persisted stubs to
    /// `mappings_dir`.
    pub fn new(max_exchanges: usize, max_bytes: usize, mappings_dir: Option<PathBuf>) -> Recorder {
        Recorder {
            inner: Mutex::new(Inner {
                status: Status::NeverStarted,
                spec: None,
                proxy_stub: None,
                started_at: 0,
                next_seq: 0,
                exchanges: VecDeque::new(),
                bytes: 0,
            }),
            max_exchanges,
            max_bytes,
            mappings_dir,
        }
    }

    /// Keeps a relayed exchange (dropping the oldest past the caps).
    pub fn note(&self, req: &Recorded, response: &Upstream) {
        if self.max_exchanges == 0 {
            return;
        }
        let header_bytes = |it: &mut dyn Iterator<Item = (&HeaderName, &HeaderValue)>| {
            it.map(|(n, v)| n.as_str().len() + v.len()).sum::<usize>()
        };
        let bytes = req.body.len()
            + req.path.len()
            + req.query.as_ref().map_or(0, |q| q.len())
            + response.body.len()
            + header_bytes(&mut req.headers.iter())
            + header_bytes(&mut response.headers.iter().map(|(n, v)| (n, v)));
        if bytes > self.max_bytes {
            tracing::debug!(
                "a proxied exchange of {bytes} bytes is not kept for recording (--max-recorded-bytes {})",
                self.max_bytes
            );
            return;
        }
        let mut inner = lock(&self.inner);
        let seq = inner.next_seq;
        inner.next_seq += 1;
        // A copy of its own, not slices of the connection's read buffer.
        let mut request = req.clone();
        request.headers = crate::request::compact_headers(req.headers.clone());
        request.body = Bytes::copy_from_slice(&req.body);
        inner.exchanges.push_back(Exchange {
            seq,
            request,
            response: response.clone(),
            bytes,
        });
        inner.bytes += bytes;
        while inner.exchanges.len() > self.max_exchanges || inner.bytes > self.max_bytes {
            match inner.exchanges.pop_front() {
                Some(old) => inner.bytes -= old.bytes,
                None => break,
            }
        }
    }

    /// Forgets the kept exchanges (a reset).
    pub fn clear(&self) {
        let mut inner = lock(&self.inner);
        inner.exchanges.clear();
        inner.bytes = 0;
    }

    /// Where the recording stands.
    pub fn status(&self) -> Status {
        lock(&self.inner).status
    }

    /// Starts recording from `body`'s target: adds the proxy stub. Already
    /// recording, nothing changes (as in WireMock).
    pub fn start(&self, stubs: &Stubs, body: &Value) -> Result<(), RecordError> {
        let spec = Spec::parse(body, true).map_err(RecordError::Invalid)?;
        let mut inner = lock(&self.inner);
        if inner.status == Status::Recording {
            return Ok(());
        }
        let id = Uuid::new_v4();
        let target = spec.target.clone().unwrap_or_default();
        stubs
            .create(&json!({
                "id": id.to_string(),
                "request": {"method": "ANY"},
                "response": {"proxyBaseUrl": target},
            }))
            .map_err(RecordError::Invalid)?;
        inner.status = Status::Recording;
        inner.proxy_stub = Some(id);
        inner.started_at = inner.next_seq;
        inner.spec = Some(spec);
        Ok(())
    }

    /// Stops recording: removes the proxy stub and makes stubs of what was
    /// relayed since the start.
    pub fn stop(&self, stubs: &Stubs) -> Result<Vec<Value>, RecordError> {
        let (spec, mappings) = {
            let mut inner = lock(&self.inner);
            if inner.status != Status::Recording {
                return Err(RecordError::NotRecording);
            }
            inner.status = Status::Stopped;
            if let Some(id) = inner.proxy_stub.take() {
                stubs.delete(id);
            }
            let spec = inner.spec.take().unwrap_or_else(|| Spec {
                target: None,
                filters: None,
                capture: Vec::new(),
                persist: true,
                repeats_as_scenarios: true,
            });
            let from = inner.started_at;
            let mappings = make_mappings(inner.exchanges.iter().filter(|e| e.seq >= from), &spec);
            (spec, mappings)
        };
        Ok(self.add(stubs, &spec, mappings))
    }

    /// Makes stubs of every kept exchange, with `body`'s options.
    pub fn snapshot(&self, stubs: &Stubs, body: &Value) -> Result<Vec<Value>, RecordError> {
        let spec = Spec::parse(body, false).map_err(RecordError::Invalid)?;
        let mappings = make_mappings(lock(&self.inner).exchanges.iter(), &spec);
        Ok(self.add(stubs, &spec, mappings))
    }

    /// Adds the made stubs to the live ones and, with `persist`, writes
    /// them to the mappings directory; returns them newest first.
    fn add(&self, stubs: &Stubs, spec: &Spec, mut mappings: Vec<Value>) -> Vec<Value> {
        for m in &mut mappings {
            if spec.persist {
                m["persistent"] = Value::Bool(true);
            }
            if let Err(e) = stubs.create(m) {
                tracing::warn!(
                    "a recorded stub was not added ({}: {}): {m}",
                    e.pointer,
                    e.title
                );
                continue;
            }
            if spec.persist
                && let Some(dir) = &self.mappings_dir
                && let Err(e) = write_file(dir, m)
            {
                tracing::warn!("cannot write a recorded stub to {}: {e}", dir.display());
            }
        }
        mappings.reverse();
        mappings
    }
}

/// Writes `mapping` to `<dir>/<name>-<id>.json` (whole, or not at all).
fn write_file(dir: &std::path::Path, mapping: &Value) -> std::io::Result<()> {
    use std::io::Write;
    let name = mapping["name"].as_str().unwrap_or("recorded");
    let id = mapping["id"].as_str().unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(".recording-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    let text = serde_json::to_string_pretty(mapping).map_err(std::io::Error::other)?;
    tmp.write_all(text.as_bytes())?;
    tmp.persist(dir.join(format!("{name}-{id}.json")))
        .map_err(|e| e.error)?;
    Ok(())
}

/// Stubs for `exchanges` (oldest first), in the same order.
fn make_mappings<'a>(exchanges: impl Iterator<Item = &'a Exchange>, spec: &Spec) -> Vec<Value> {
    let mut made: Vec<(String, Value)> = Vec::new();
    for e in exchanges {
        if spec
            .filters
            .as_ref()
            .is_some_and(|f| !f.matches(&e.request))
        {
            continue;
        }
        let request = request_json(&e.request, spec);
        let key = request.to_string();
        let name = stub_name(&e.request.path);
        let id = Uuid::new_v4().to_string();
        let mut m = Map::new();
        m.insert("id".into(), json!(id));
        m.insert("name".into(), json!(name));
        m.insert("request".into(), request);
        m.insert("response".into(), response_json(&e.response));
        m.insert("uuid".into(), json!(id));
        made.push((key, Value::Object(m)));
    }
    let mut groups: HashMap<&str, usize> = HashMap::new();
    for (key, _) in &made {
        *groups.entry(key.as_str()).or_default() += 1;
    }
    if !spec.repeats_as_scenarios {
        let mut seen = std::collections::HashSet::new();
        return made
            .iter()
            .filter(|(key, _)| seen.insert(key.clone()))
            .map(|(_, m)| m.clone())
            .collect();
    }
    // Identical requests: a scenario stepping through their answers.
    let mut scenarios: HashMap<&str, (String, usize)> = HashMap::new();
    let mut out = Vec::with_capacity(made.len());
    for (key, m) in &made {
        let mut m = m.clone();
        let total = groups.get(key.as_str()).copied().unwrap_or(1);
        if total > 1 {
            let n = scenarios.len() + 1;
            let (name, step) = scenarios.entry(key.as_str()).or_insert_with(|| {
                (
                    format!("scenario-{n}-{}", m["name"].as_str().unwrap_or_default()),
                    0,
                )
            });
            *step += 1;
            let state = |i: usize| {
                if i == 1 {
                    crate::mappings::STARTED.to_owned()
                } else {
                    format!("{name}-{i}")
                }
            };
            m["scenarioName"] = json!(name);
            m["requiredScenarioState"] = json!(state(*step));
            if *step < total {
                m["newScenarioState"] = json!(state(*step + 1));
            }
        }
        out.push(m);
    }
    out
}

/// A stub name from a path: `/users/7` → `users_7`, `/` → `(root)`.
fn stub_name(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return "(root)".to_owned();
    }
    trimmed
        .chars()
        .map(|c| match c {
            '/' => '_',
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' => c,
            _ => '-',
        })
        .take(100)
        .collect()
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The request pattern matching `req`: method and URL (`url`, or
/// `urlPath` with `queryParameters`), captured headers, and the body.
fn request_json(req: &Recorded, spec: &Spec) -> Value {
    let mut r = Map::new();
    match req.query.as_deref().filter(|q| !q.is_empty()) {
        None => {
            r.insert("url".into(), json!(req.path));
        }
        Some(q) => {
            r.insert("urlPath".into(), json!(req.path));
            let mut params: Vec<(String, Vec<String>)> = Vec::new();
            for pair in q.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let (k, v) = (decode(k), decode(v));
                match params.iter_mut().find(|(name, _)| *name == k) {
                    Some((_, values)) => values.push(v),
                    None => params.push((k, vec![v])),
                }
            }
            let mut qp = Map::new();
            for (k, mut values) in params {
                let m = if values.len() == 1 {
                    json!({"equalTo": values.remove(0)})
                } else {
                    json!({"hasExactly": values.into_iter().map(|v| json!({"equalTo": v})).collect::<Vec<_>>()})
                };
                qp.insert(k, m);
            }
            r.insert("queryParameters".into(), Value::Object(qp));
        }
    }
    r.insert("method".into(), json!(req.method.as_str()));
    let mut headers = Map::new();
    for (name, ci) in &spec.capture {
        if let Some(v) = req.headers.get(name.as_str()).and_then(|v| v.to_str().ok()) {
            let mut m = json!({"equalTo": v});
            if *ci {
                m["caseInsensitive"] = json!(true);
            }
            headers.insert(name.clone(), m);
        }
    }
    if !headers.is_empty() {
        r.insert("headers".into(), Value::Object(headers));
    }
    if !req.body.is_empty() {
        let content_type = req
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let text = std::str::from_utf8(&req.body).ok();
        let pattern = match text {
            Some(t)
                if content_type.contains("json") && serde_json::from_str::<Value>(t).is_ok() =>
            {
                json!({"equalToJson": t, "ignoreArrayOrder": true, "ignoreExtraElements": true})
            }
            Some(t) => json!({"equalTo": t}),
            None => json!({
                "binaryEqualTo": base64::engine::general_purpose::STANDARD.encode(&req.body)
            }),
        };
        r.insert("bodyPatterns".into(), json!([pattern]));
    }
    Value::Object(r)
}

/// Whether a content type names text.
fn is_text(content_type: &str) -> bool {
    let ct = content_type.to_ascii_lowercase();
    ct.starts_with("text/")
        || [
            "json",
            "xml",
            "javascript",
            "x-www-form-urlencoded",
            "yaml",
            "csv",
        ]
        .iter()
        .any(|t| ct.contains(t))
}

/// The response definition replaying `up`: status, body (`body` for a
/// text content type, else — no content type too — `base64Body`, as
/// WireMock records), headers.
fn response_json(up: &Upstream) -> Value {
    let mut r = Map::new();
    r.insert("status".into(), json!(up.status.as_u16()));
    let content_type = up
        .headers
        .iter()
        .find(|(n, _)| n == http::header::CONTENT_TYPE)
        .and_then(|(_, v)| v.to_str().ok())
        .unwrap_or("");
    let encoded = up
        .headers
        .iter()
        .any(|(n, _)| n == http::header::CONTENT_ENCODING);
    if !up.body.is_empty() {
        match std::str::from_utf8(&up.body) {
            Ok(text) if !encoded && is_text(content_type) => {
                r.insert("body".into(), json!(text));
            }
            _ => {
                r.insert(
                    "base64Body".into(),
                    json!(base64::engine::general_purpose::STANDARD.encode(&up.body)),
                );
            }
        }
    }
    let mut headers: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in &up.headers {
        let Ok(v) = value.to_str() else { continue };
        let name = crate::headers::title_case(name.as_str());
        match headers.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(v.to_owned()),
            None => headers.push((name, vec![v.to_owned()])),
        }
    }
    if !headers.is_empty() {
        let mut h = Map::new();
        for (name, mut values) in headers {
            let v = if values.len() == 1 {
                json!(values.remove(0))
            } else {
                json!(values)
            };
            h.insert(name, v);
        }
        r.insert("headers".into(), Value::Object(h));
    }
    Value::Object(r)
}

/// WireMock's answer to `recordings/stop` while not recording.
pub fn not_recording() -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({"errors": [{"code": 30, "title": "Not currently recording."}]}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stub_names_come_from_the_path() {
        assert_eq!(stub_name("/users/7"), "users_7");
        assert_eq!(stub_name("/"), "(root)");
        assert_eq!(stub_name("/a b"), "a-b");
    }
}
