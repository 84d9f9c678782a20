//! Stubs: WireMock mappings (a request pattern and a response definition),
//! created through the admin API or loaded from `--mappings` files, matched
//! by priority (lower first, then newest first), with WireMock's scenarios.
//!
//! Readers take a lock-free snapshot of the live stubs; writers rebuild it
//! under a mutex.

use crate::matchers::{PatternError, RequestPattern};
use crate::plan::{MAX_DELAY_MS, Plan, PlanBody};
use crate::regular_file::{self, Cap};
use crate::request::Recorded;
use crate::sync::lock;
use crate::{fault::Fault, headers};
use arc_swap::ArcSwap;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{Map, Value};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};
use uuid::Uuid;

type Result<T> = std::result::Result<T, PatternError>;

/// WireMock's default priority.
pub const DEFAULT_PRIORITY: i64 = 5;

/// How long to wait before answering.
#[derive(Debug, Clone, PartialEq)]
pub enum Delay {
    None,
    Fixed(Duration),
    Uniform {
        lower: u64,
        upper: u64,
    },
    LogNormal {
        median: f64,
        sigma: f64,
        max: Option<f64>,
    },
}

impl Delay {
    /// Draws one delay.
    pub fn sample(&self) -> Duration {
        match self {
            Delay::None => Duration::ZERO,
            Delay::Fixed(d) => *d,
            Delay::Uniform { lower, upper } => {
                Duration::from_millis(rand::random_range(*lower..=*upper))
            }
            Delay::LogNormal { median, sigma, max } => {
                // Box–Muller: a standard normal from two uniforms.
                let u1: f64 = rand::random::<f64>().max(f64::MIN_POSITIVE);
                let u2: f64 = rand::random();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let mut ms = median * (sigma * z).exp();
                if let Some(max) = max {
                    ms = ms.min(*max);
                }
                // Also NaN and infinity end up within 0..=MAX_DELAY.
                let ms = if ms.is_nan() {
                    0.0
                } else {
                    ms.clamp(0.0, MAX_DELAY_MS as f64)
                };
                Duration::from_secs_f64(ms / 1000.0)
            }
        }
    }
}

/// A stub's response definition.
#[derive(Debug, Clone)]
pub struct StubResponse {
    pub status: StatusCode,
    pub reason: Option<String>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    pub delay: Delay,
    /// `chunkedDribbleDelay`: (number of chunks, total duration).
    pub dribble: Option<(u32, Duration)>,
    pub fault: Option<Fault>,
}

impl StubResponse {
    /// The plan for one answer; `extra_delay` is the global fixed delay.
    pub fn plan(&self, extra_delay: Duration) -> Plan {
        let body = match self.dribble {
            Some((n, total)) if n > 0 && !self.body.is_empty() => {
                let n = (n as usize).min(self.body.len());
                let size = self.body.len().div_ceil(n);
                let each = total / n as u32;
                PlanBody::Chunks(
                    self.body
                        .chunks(size)
                        .map(|c| (each, Bytes::copy_from_slice(c)))
                        .collect(),
                )
            }
            _ => PlanBody::Full(self.body.clone()),
        };
        Plan {
            status: self.status,
            reason: self.reason.clone(),
            headers: self.headers.clone(),
            body,
            delay: self.delay.sample() + extra_delay,
            fault: self.fault,
        }
    }
}

/// A scenario condition and transition.
#[derive(Debug, Clone)]
pub struct ScenarioRule {
    pub name: String,
    pub required: Option<String>,
    pub new_state: Option<String>,
}

/// The state every scenario starts in.
pub const STARTED: &str = "Started";

/// One stub.
#[derive(Debug)]
pub struct Stub {
    pub id: Uuid,
    /// Creation order: ties in priority go to the newest.
    pub seq: u64,
    pub priority: i64,
    pub request: RequestPattern,
    pub response: StubResponse,
    pub scenario: Option<ScenarioRule>,
    /// The mapping as stored (the client's JSON with `id` and `uuid`).
    pub json: Value,
    /// The file it came from, for file-defined stubs.
    pub file: Option<PathBuf>,
}

fn int(v: &Value, pointer: &str) -> Result<i64> {
    v.as_i64()
        .ok_or_else(|| PatternError::new(pointer, "expected an integer"))
}

fn non_negative(v: &Value, pointer: &str) -> Result<u64> {
    v.as_u64()
        .ok_or_else(|| PatternError::new(pointer, "expected a non-negative integer"))
}

/// Milliseconds of a delay: at most [`MAX_DELAY_MS`].
fn delay_ms(v: &Value, pointer: &str) -> Result<u64> {
    let ms = non_negative(v, pointer)?;
    if ms > MAX_DELAY_MS {
        return Err(PatternError::new(
            pointer,
            format!("{ms} ms is longer than the longest delay, {MAX_DELAY_MS} ms"),
        ));
    }
    Ok(ms)
}

/// A delay given as a number of milliseconds: at most [`MAX_DELAY_MS`].
fn delay_number(v: &Value, pointer: &str) -> Result<f64> {
    let ms = number(v, pointer)?;
    if ms > MAX_DELAY_MS as f64 {
        return Err(PatternError::new(
            pointer,
            format!("{ms} ms is longer than the longest delay, {MAX_DELAY_MS} ms"),
        ));
    }
    Ok(ms)
}

/// The largest `sigma` of a lognormal delay: beyond it nearly every draw is
/// 0 or the longest delay.
const MAX_SIGMA: f64 = 10.0;

fn number(v: &Value, pointer: &str) -> Result<f64> {
    v.as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| PatternError::new(pointer, "expected a non-negative number"))
}

fn string(v: &Value, pointer: &str) -> Result<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| PatternError::new(pointer, "expected a string"))
}

impl StubResponse {
    /// Parses WireMock's response definition.
    pub fn parse(v: &Value) -> Result<StubResponse> {
        let p = "/response";
        let obj = v
            .as_object()
            .ok_or_else(|| PatternError::new(p, "expected a response object"))?;
        let mut r = StubResponse {
            status: StatusCode::OK,
            reason: None,
            headers: Vec::new(),
            body: Bytes::new(),
            delay: Delay::None,
            dribble: None,
            fault: None,
        };
        let mut bodies = 0;
        for (key, value) in obj {
            if value.is_null() {
                continue;
            }
            let at = format!("{p}/{key}");
            match key.as_str() {
                "status" => {
                    let s = int(value, &at)?;
                    r.status = u16::try_from(s)
                        .ok()
                        .and_then(crate::plan::status)
                        .ok_or_else(|| {
                            PatternError::new(&at, format!("invalid status {s} (expected 100-599)"))
                        })?;
                }
                "statusMessage" => {
                    let m = string(value, &at)?;
                    if m.bytes().any(|b| b == b'\r' || b == b'\n') {
                        return Err(PatternError::new(at, "a status message is one line"));
                    }
                    r.reason = Some(m);
                }
                "headers" => {
                    r.headers = headers::from_json(value)
                        .map_err(|e| PatternError::new(format!("{at}{}", e.pointer), e.reason))?;
                }
                "body" => {
                    bodies += 1;
                    r.body = Bytes::from(string(value, &at)?);
                }
                "jsonBody" => {
                    bodies += 1;
                    r.body = Bytes::from(value.to_string());
                }
                "base64Body" => {
                    bodies += 1;
                    use base64::Engine;
                    let b = base64::engine::general_purpose::STANDARD
                        .decode(string(value, &at)?)
                        .map_err(|e| PatternError::new(&at, format!("not base64: {e}")))?;
                    r.body = Bytes::from(b);
                }
                "fixedDelayMilliseconds" => {
                    r.delay = Delay::Fixed(Duration::from_millis(delay_ms(value, &at)?));
                }
                "delayDistribution" => r.delay = parse_distribution(value, &at)?,
                "chunkedDribbleDelay" => {
                    let o = value.as_object().ok_or_else(|| {
                        PatternError::new(&at, "expected {numberOfChunks, totalDuration}")
                    })?;
                    let n = o
                        .get("numberOfChunks")
                        .ok_or_else(|| PatternError::new(format!("{at}/numberOfChunks"), "missing"))
                        .and_then(|v| non_negative(v, &format!("{at}/numberOfChunks")))?;
                    let total = o
                        .get("totalDuration")
                        .ok_or_else(|| PatternError::new(format!("{at}/totalDuration"), "missing"))
                        .and_then(|v| delay_ms(v, &format!("{at}/totalDuration")))?;
                    let n = u32::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
                        PatternError::new(format!("{at}/numberOfChunks"), "expected 1 or more")
                    })?;
                    r.dribble = Some((n, Duration::from_millis(total)));
                }
                "fault" => {
                    let name = string(value, &at)?;
                    r.fault = Some(
                        Fault::from_name(&name)
                            .map_err(|e| PatternError::new(&at, e.to_string()))?,
                    );
                }
                "transformers" | "transformerParameters" => {
                    let empty = value.as_array().is_some_and(Vec::is_empty)
                        || value.as_object().is_some_and(Map::is_empty);
                    if !empty {
                        return Err(PatternError::new(
                            at,
                            "response transformers are not supported",
                        ));
                    }
                }
                "bodyFileName"
                | "proxyBaseUrl"
                | "additionalProxyRequestHeaders"
                | "proxyUrlPrefixToRemove" => {
                    return Err(PatternError::new(at, format!("{key} is not supported")));
                }
                other => {
                    return Err(PatternError::new(
                        at,
                        format!("unknown response field {other:?}"),
                    ));
                }
            }
        }
        if bodies > 1 {
            return Err(PatternError::new(
                p,
                "give one of body, jsonBody, base64Body",
            ));
        }
        Ok(r)
    }
}

fn parse_distribution(v: &Value, at: &str) -> Result<Delay> {
    let o = v
        .as_object()
        .ok_or_else(|| PatternError::new(at, "expected a delay distribution object"))?;
    let field = |name: &str| -> Result<&Value> {
        o.get(name)
            .ok_or_else(|| PatternError::new(format!("{at}/{name}"), "missing"))
    };
    match o.get("type").and_then(Value::as_str) {
        Some("uniform") => {
            let lower = delay_ms(field("lower")?, &format!("{at}/lower"))?;
            let upper = delay_ms(field("upper")?, &format!("{at}/upper"))?;
            if upper < lower {
                return Err(PatternError::new(
                    format!("{at}/upper"),
                    "upper is below lower",
                ));
            }
            Ok(Delay::Uniform { lower, upper })
        }
        Some("lognormal") => Ok(Delay::LogNormal {
            median: delay_number(field("median")?, &format!("{at}/median"))?,
            sigma: number(field("sigma")?, &format!("{at}/sigma")).and_then(|s| {
                if s > MAX_SIGMA {
                    Err(PatternError::new(
                        format!("{at}/sigma"),
                        format!("expected at most {MAX_SIGMA}"),
                    ))
                } else {
                    Ok(s)
                }
            })?,
            max: o
                .get("maxValue")
                .filter(|v| !v.is_null())
                .map(|v| delay_number(v, &format!("{at}/maxValue")))
                .transpose()?,
        }),
        _ => Err(PatternError::new(
            format!("{at}/type"),
            "expected \"uniform\" or \"lognormal\"",
        )),
    }
}

/// Parses a mapping. `seq` orders it among stubs of equal priority.
pub fn parse_mapping(v: &Value, seq: u64, file: Option<&Path>) -> Result<Stub> {
    let obj = v
        .as_object()
        .ok_or_else(|| PatternError::new("", "expected a mapping object"))?;
    let get = |k: &str| obj.get(k).filter(|v| !v.is_null());
    let id = match get("id").or_else(|| get("uuid")) {
        Some(id) => {
            let s = string(id, "/id")?;
            Uuid::parse_str(&s)
                .map_err(|_| PatternError::new("/id", format!("{s:?} is not a UUID")))?
        }
        None => Uuid::new_v4(),
    };
    let request = RequestPattern::parse(
        get("request").ok_or_else(|| PatternError::new("/request", "a mapping needs a request"))?,
        "/request",
    )?;
    let response = match get("response") {
        Some(r) => StubResponse::parse(r)?,
        None => StubResponse::parse(&Value::Object(Map::new()))?,
    };
    let priority = get("priority")
        .map(|p| int(p, "/priority"))
        .transpose()?
        .unwrap_or(DEFAULT_PRIORITY);
    let scenario = match get("scenarioName") {
        Some(name) => Some(ScenarioRule {
            name: string(name, "/scenarioName")?,
            required: get("requiredScenarioState")
                .map(|s| string(s, "/requiredScenarioState"))
                .transpose()?,
            new_state: get("newScenarioState")
                .map(|s| string(s, "/newScenarioState"))
                .transpose()?,
        }),
        None => None,
    };
    let mut json = Map::new();
    json.insert("id".into(), Value::String(id.to_string()));
    for (k, val) in obj {
        if k != "id" && k != "uuid" {
            json.insert(k.clone(), val.clone());
        }
    }
    if !json.contains_key("priority") && obj.contains_key("priority") {
        json.insert("priority".into(), Value::from(priority));
    }
    json.insert("uuid".into(), Value::String(id.to_string()));
    Ok(Stub {
        id,
        seq,
        priority,
        request,
        response,
        scenario,
        json: Value::Object(json),
        file: file.map(Path::to_owned),
    })
}

#[derive(Default)]
struct Inner {
    live: Vec<Arc<Stub>>,
    files: BTreeMap<PathBuf, Vec<Arc<Stub>>>,
}

/// All stubs and scenario states.
pub struct Stubs {
    inner: Mutex<Inner>,
    /// Live stubs in match order.
    ordered: ArcSwap<Vec<Arc<Stub>>>,
    seq: AtomicU64,
    scenarios: Mutex<HashMap<String, String>>,
    /// Told the services the live stubs name, whenever stubs change.
    on_services: Option<ServicesHook>,
}

/// Receives the (canonical) names of the services the live stubs name.
pub type ServicesHook = Box<dyn Fn(BTreeSet<Arc<str>>) + Send + Sync>;

impl Default for Stubs {
    fn default() -> Self {
        Stubs {
            inner: Mutex::new(Inner::default()),
            ordered: ArcSwap::from_pointee(Vec::new()),
            seq: AtomicU64::new(0),
            scenarios: Mutex::new(HashMap::new()),
            on_services: None,
        }
    }
}

impl Stubs {
    /// Stubs that tell `on_services` which services they name, so that a
    /// service no plugin provides still exists.
    pub fn new(on_services: ServicesHook) -> Stubs {
        Stubs {
            on_services: Some(on_services),
            ..Stubs::default()
        }
    }

    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    fn publish(&self, inner: &Inner) {
        let mut v = inner.live.clone();
        v.sort_by(|a, b| a.priority.cmp(&b.priority).then(b.seq.cmp(&a.seq)));
        self.ordered.store(Arc::new(v));
        if let Some(hook) = &self.on_services {
            hook(
                inner
                    .live
                    .iter()
                    .filter_map(|s| s.request.service.as_deref())
                    .map(|name| Arc::from(crate::routing::canonical(name)))
                    .collect(),
            );
        }
    }

    /// Creates a stub (replacing one with the same id).
    pub fn create(&self, v: &Value) -> Result<Arc<Stub>> {
        let stub = Arc::new(parse_mapping(v, self.next_seq(), None)?);
        let mut inner = lock(&self.inner);
        inner.live.retain(|s| s.id != stub.id);
        inner.live.push(stub.clone());
        self.publish(&inner);
        Ok(stub)
    }

    /// Replaces stub `id`; `Ok(None)` when there is none.
    pub fn replace(&self, id: Uuid, v: &Value) -> Result<Option<Arc<Stub>>> {
        let mut with_id = v.clone();
        if let Some(o) = with_id.as_object_mut() {
            o.insert("id".into(), Value::String(id.to_string()));
            o.remove("uuid");
        }
        let mut inner = lock(&self.inner);
        let Some(pos) = inner.live.iter().position(|s| s.id == id) else {
            return Ok(None);
        };
        let stub = Arc::new(parse_mapping(
            &with_id,
            self.next_seq(),
            inner.live[pos].file.as_deref(),
        )?);
        inner.live[pos] = stub.clone();
        self.publish(&inner);
        Ok(Some(stub))
    }

    /// The stub `id`.
    pub fn get(&self, id: Uuid) -> Option<Arc<Stub>> {
        lock(&self.inner).live.iter().find(|s| s.id == id).cloned()
    }

    /// All live stubs, newest first.
    pub fn list(&self) -> Vec<Arc<Stub>> {
        let mut v = lock(&self.inner).live.clone();
        v.sort_by_key(|s| std::cmp::Reverse(s.seq));
        v
    }

    /// Removes stub `id`; whether it existed.
    pub fn delete(&self, id: Uuid) -> bool {
        let mut inner = lock(&self.inner);
        let before = inner.live.len();
        inner.live.retain(|s| s.id != id);
        let removed = inner.live.len() != before;
        self.publish(&inner);
        removed
    }

    /// Removes every stub (file-defined ones too, until a reset).
    pub fn clear(&self) {
        let mut inner = lock(&self.inner);
        inner.live.clear();
        self.publish(&inner);
    }

    /// Back to exactly the file-defined stubs.
    pub fn reset(&self) {
        let mut inner = lock(&self.inner);
        inner.live = inner.files.values().flatten().cloned().collect();
        self.publish(&inner);
    }

    /// Number of live stubs.
    pub fn len(&self) -> usize {
        self.ordered.load().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The stub answering `req`, by priority; moves its scenario on.
    pub fn find(&self, req: &Recorded) -> Option<Arc<Stub>> {
        let ordered = self.ordered.load();
        if ordered.is_empty() {
            return None;
        }
        let mut scenarios = None;
        for stub in ordered.iter() {
            if let Some(rule) = &stub.scenario
                && let Some(required) = &rule.required
            {
                let states = scenarios.get_or_insert_with(|| lock(&self.scenarios));
                let current = states.get(&rule.name).map_or(STARTED, String::as_str);
                if current != required {
                    continue;
                }
            }
            if stub.request.matches(req) {
                if let Some(rule) = &stub.scenario
                    && let Some(next) = &rule.new_state
                {
                    let states = scenarios.get_or_insert_with(|| lock(&self.scenarios));
                    states.insert(rule.name.clone(), next.clone());
                }
                return Some(stub.clone());
            }
        }
        None
    }

    /// Every scenario back to `Started`.
    pub fn reset_scenarios(&self) {
        lock(&self.scenarios).clear();
    }

    /// Scenario names and states, for the admin API.
    pub fn scenarios(&self) -> Vec<(String, String)> {
        let states = lock(&self.scenarios);
        let mut names: Vec<String> = lock(&self.inner)
            .live
            .iter()
            .filter_map(|s| s.scenario.as_ref().map(|r| r.name.clone()))
            .collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|n| {
                let state = states
                    .get(&n)
                    .cloned()
                    .unwrap_or_else(|| STARTED.to_owned());
                (n, state)
            })
            .collect()
    }

    /// Loads a mapping file (one mapping, or `{"mappings": [...]}`),
    /// replacing what that file defined before. A bad file changes nothing;
    /// only a regular file of at most `max_bytes` is read (see
    /// [`crate::regular_file`]). Its stubs that name no service belong to
    /// `service`.
    pub fn load_file(
        &self,
        path: &Path,
        service: Option<&str>,
        max_bytes: u64,
    ) -> std::result::Result<usize, String> {
        let cap = Cap {
            bytes: max_bytes,
            flag: "--max-mapping-file-bytes",
        };
        let (bytes, _) = regular_file::read(path, cap).map_err(|e| e.to_string())?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))?;
        let items: Vec<(String, &Value)> = match value.get("mappings") {
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, m)| (format!("/mappings/{i}"), m))
                .collect(),
            Some(_) => return Err("\"mappings\" must be a list".to_owned()),
            None => vec![(String::new(), &value)],
        };
        let mut stubs = Vec::new();
        for (prefix, item) in items {
            let mut stub = parse_mapping(item, self.next_seq(), Some(path))
                .map_err(|e| format!("{prefix}{}: {}", e.pointer, e.title))?;
            if stub.request.service.is_none() {
                stub.request.service = service.map(str::to_owned);
            }
            stubs.push(Arc::new(stub));
        }
        let count = stubs.len();
        let mut inner = lock(&self.inner);
        inner.live.retain(|s| s.file.as_deref() != Some(path));
        let ids: Vec<Uuid> = stubs.iter().map(|s| s.id).collect();
        inner.live.retain(|s| !ids.contains(&s.id));
        inner.live.extend(stubs.iter().cloned());
        inner.files.insert(path.to_owned(), stubs);
        self.publish(&inner);
        Ok(count)
    }

    /// Forgets what a removed file defined.
    pub fn remove_file(&self, path: &Path) {
        let mut inner = lock(&self.inner);
        if inner.files.remove(path).is_some() {
            inner.live.retain(|s| s.file.as_deref() != Some(path));
            self.publish(&inner);
        }
    }

    /// Mapping files currently loaded.
    pub fn files(&self) -> Vec<PathBuf> {
        lock(&self.inner).files.keys().cloned().collect()
    }
}

/// Feeds `--mappings` files to the stubs (through the directory watcher).
/// A file in a subdirectory belongs to the service the subdirectory names:
/// its stubs match only that service's requests unless they name another.
pub struct MappingFiles {
    /// Where their stubs go.
    pub stubs: Arc<Stubs>,
    /// The mappings dir.
    pub root: PathBuf,
    /// Larger files are refused unread.
    pub max_file_bytes: u64,
}

impl MappingFiles {
    /// The service of a file at `path`: its first directory below the root.
    fn service_of<'a>(&self, path: &'a Path) -> Option<&'a str> {
        let rel = path.strip_prefix(&self.root).ok()?;
        let mut parts = rel.components();
        let first = parts.next()?.as_os_str().to_str()?;
        parts.next().is_some().then_some(first)
    }
}

/// Every `*.json` file below the mappings dir is a mapping file, whatever
/// directory it is in.
impl crate::watch::WatchTarget for MappingFiles {
    fn name(&self) -> &'static str {
        "mappings"
    }

    fn wants(&self, rel: &Path) -> bool {
        rel.extension().is_some_and(|e| e == "json")
    }

    fn load(&self, path: &Path) {
        if !path.exists() {
            if self.stubs.files().iter().any(|f| f == path) {
                self.stubs.remove_file(path);
                tracing::info!(file = %path.display(), "mapping file removed; its stubs are gone");
            }
            return;
        }
        match self
            .stubs
            .load_file(path, self.service_of(path), self.max_file_bytes)
        {
            Ok(n) => tracing::info!(file = %path.display(), stubs = n, "mapping file loaded"),
            Err(e) => {
                tracing::warn!(file = %path.display(), "mapping file refused: {e}; its previous stubs stay")
            }
        }
    }

    fn known_files(&self) -> Vec<PathBuf> {
        self.stubs.files()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(path: &str) -> Recorded {
        Recorded {
            method: http::Method::GET,
            path: path.to_owned(),
            query: None,
            headers: http::HeaderMap::new(),
            body: Bytes::new(),
            service: None,
            client: None,
            received_at: std::time::SystemTime::now(),
        }
    }

    fn body_of(stubs: &Stubs, path: &str) -> Option<Bytes> {
        stubs.find(&req(path)).map(|s| s.response.body.clone())
    }

    #[test]
    fn lower_priority_wins_then_newest() {
        let stubs = Stubs::default();
        stubs
            .create(&json!({"request": {"urlPath": "/p"}, "response": {"body": "old"}}))
            .unwrap();
        stubs
            .create(&json!({"request": {"urlPath": "/p"}, "response": {"body": "new"}}))
            .unwrap();
        assert_eq!(body_of(&stubs, "/p").unwrap(), "new");
        stubs.create(&json!({"priority": 1, "request": {"urlPath": "/p"}, "response": {"body": "urgent"}})).unwrap();
        stubs
            .create(
                &json!({"priority": 9, "request": {"urlPath": "/p"}, "response": {"body": "late"}}),
            )
            .unwrap();
        assert_eq!(body_of(&stubs, "/p").unwrap(), "urgent");
    }

    #[test]
    fn client_ids_are_kept_and_replace() {
        let stubs = Stubs::default();
        let id = "7d8e3a1c-36a5-4b5e-9b0e-6f9f0c2a3b4d";
        let s = stubs
            .create(&json!({"id": id, "request": {"urlPath": "/a"}}))
            .unwrap();
        assert_eq!(s.id.to_string(), id);
        assert_eq!(s.json["id"], id);
        assert_eq!(s.json["uuid"], id);
        stubs
            .create(&json!({"id": id, "request": {"urlPath": "/b"}}))
            .unwrap();
        assert_eq!(stubs.list().len(), 1);
        let err = stubs
            .create(&json!({"id": "nope", "request": {}}))
            .unwrap_err();
        assert_eq!(err.pointer, "/id");
    }

    #[test]
    fn response_definitions_parse_or_name_the_bad_field() {
        let r = StubResponse::parse(&json!({
            "status": 201, "statusMessage": "Made", "headers": {"A": "1", "B": ["x", "y"]},
            "jsonBody": {"z": 1, "a": [true]}, "fixedDelayMilliseconds": 5, "fault": "EMPTY_RESPONSE"
        }))
        .unwrap();
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.reason.as_deref(), Some("Made"));
        assert_eq!(r.headers.len(), 3);
        assert_eq!(
            r.body, r#"{"z":1,"a":[true]}"#,
            "compact, in the stub's key order"
        );
        assert_eq!(r.delay, Delay::Fixed(Duration::from_millis(5)));
        assert_eq!(r.fault, Some(Fault::EmptyResponse));
        let bad = |v: Value| StubResponse::parse(&v).unwrap_err().pointer;
        assert_eq!(bad(json!({"status": 99})), "/response/status");
        assert_eq!(bad(json!({"status": "x"})), "/response/status");
        assert_eq!(bad(json!({"fault": "BOOM"})), "/response/fault");
        assert_eq!(
            bad(json!({"delayDistribution": {"type": "pareto"}})),
            "/response/delayDistribution/type"
        );
        assert_eq!(
            bad(json!({"delayDistribution": {"type": "uniform", "lower": 5, "upper": 1}})),
            "/response/delayDistribution/upper"
        );
        assert_eq!(bad(json!({"body": "a", "jsonBody": {}})), "/response");
        assert_eq!(
            bad(json!({"bodyFileName": "x.json"})),
            "/response/bodyFileName"
        );
        assert_eq!(bad(json!({"colour": "red"})), "/response/colour");
    }

    #[test]
    fn extreme_lognormal_parameters_draw_delays_within_the_maximum() {
        for (median, sigma) in [
            (1e300, 1000.0),
            (90.0, 1000.0),
            (f64::MAX, 10.0),
            (0.0, 1e9),
        ] {
            let d = Delay::LogNormal {
                median,
                sigma,
                max: None,
            };
            for _ in 0..200 {
                assert!(d.sample() <= crate::plan::MAX_DELAY, "{median} {sigma}");
            }
        }
    }

    #[test]
    fn delays_sample_within_their_distribution() {
        for _ in 0..200 {
            let d = Delay::Uniform {
                lower: 10,
                upper: 20,
            }
            .sample();
            assert!((10..=20).contains(&(d.as_millis() as u64)), "{d:?}");
            let l = Delay::LogNormal {
                median: 50.0,
                sigma: 0.5,
                max: Some(80.0),
            }
            .sample();
            assert!(l <= Duration::from_millis(80), "{l:?}");
        }
    }

    #[test]
    fn dribble_splits_the_body() {
        let r = StubResponse::parse(&json!({"body": "abcdefghij", "chunkedDribbleDelay": {"numberOfChunks": 3, "totalDuration": 300}})).unwrap();
        match r.plan(Duration::ZERO).body {
            PlanBody::Chunks(c) => {
                assert_eq!(c.len(), 3);
                assert_eq!(c.iter().map(|(_, b)| b.len()).sum::<usize>(), 10);
                assert!(c.iter().all(|(d, _)| *d == Duration::from_millis(100)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn scenarios_move_on_and_reset() {
        let stubs = Stubs::default();
        stubs.create(&json!({"scenarioName": "s", "requiredScenarioState": "Started", "newScenarioState": "paid",
            "request": {"urlPath": "/order"}, "response": {"body": "unpaid"}})).unwrap();
        stubs
            .create(
                &json!({"scenarioName": "s", "requiredScenarioState": "paid",
            "request": {"urlPath": "/order"}, "response": {"body": "paid"}}),
            )
            .unwrap();
        assert_eq!(body_of(&stubs, "/order").unwrap(), "unpaid");
        assert_eq!(body_of(&stubs, "/order").unwrap(), "paid");
        assert_eq!(body_of(&stubs, "/order").unwrap(), "paid");
        assert_eq!(stubs.scenarios(), [("s".to_owned(), "paid".to_owned())]);
        stubs.reset_scenarios();
        assert_eq!(body_of(&stubs, "/order").unwrap(), "unpaid");
    }

    #[test]
    fn files_load_replace_and_reset() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.json");
        std::fs::write(
            &f,
            r#"{"mappings": [{"request": {"urlPath": "/f1"}}, {"request": {"urlPath": "/f2"}}]}"#,
        )
        .unwrap();
        let stubs = Stubs::default();
        assert_eq!(stubs.load_file(&f, None, 1 << 20), Ok(2));
        stubs
            .create(&json!({"request": {"urlPath": "/api"}}))
            .unwrap();
        assert_eq!(stubs.len(), 3);
        stubs.reset();
        assert_eq!(stubs.len(), 2);
        std::fs::write(&f, r#"{"request": {"urlPath": "/f3"}}"#).unwrap();
        assert_eq!(stubs.load_file(&f, None, 1 << 20), Ok(1));
        assert!(stubs.find(&req("/f3")).is_some() && stubs.find(&req("/f1")).is_none());
        std::fs::write(&f, r#"{"request": {"urlPath": 5}}"#).unwrap();
        assert_eq!(
            stubs.load_file(&f, None, 1 << 20),
            Err("/request/urlPath: expected a string".to_owned())
        );
        assert!(
            stubs.find(&req("/f3")).is_some(),
            "a bad file changes nothing"
        );
        stubs.remove_file(&f);
        assert!(stubs.is_empty());
    }

    #[test]
    fn a_mapping_file_over_the_cap_is_refused_unread_naming_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big.json");
        let mapping = r#"{"request": {"urlPath": "/big"}}"#;
        std::fs::write(&f, format!("{mapping}{}", " ".repeat(100))).unwrap();
        let stubs = Stubs::default();
        assert_eq!(
            stubs.load_file(&f, None, 64),
            Err("132 bytes, over the 64-byte cap (--max-mapping-file-bytes)".to_owned())
        );
        assert!(stubs.is_empty());
        std::fs::write(&f, mapping).unwrap();
        assert_eq!(stubs.load_file(&f, None, 64), Ok(1));
    }
}
