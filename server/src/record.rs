//! Recording: stubs made from proxied exchanges, as WireMock's record and
//! snapshot do.
//!
//! Every answer a proxying stub relays is kept here, in a bounded store
//! (`--max-recorded-exchanges`, `--max-recorded-bytes`; the oldest go
//! first). A recording adds a proxy stub to its target, of default
//! priority and newest (so it answers unless another stub has a better
//! priority); stopping removes it and turns the exchanges relayed since the
//! start into stubs. A snapshot does the same with every exchange kept.

use crate::{mappings::Stubs, proxy::Upstream, request::Recorded, sync::lock};
use bytes::Bytes;
use fake_servicer_wiremock::matchers::PatternError;
use http::{HeaderName, HeaderValue};
use serde_json::{Value, json};
use std::{collections::VecDeque, path::PathBuf, sync::Mutex};
use uuid::Uuid;

use fake_servicer_wiremock::recording::make_mappings;
pub use fake_servicer_wiremock::recording::{Spec, not_recording};

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

struct Inner {
    status: Status,
    spec: Option<Spec>,
    /// The recording's proxy stub.
    proxy_stub: Option<Uuid>,
    /// Exchanges from this sequence number on belong to the recording.
    started_at: u64,
    /// Exchanges before this sequence number were made into stubs already
    /// (by a snapshot, or a recording's stop): never again.
    taken_up_to: u64,
    next_seq: u64,
    exchanges: VecDeque<Exchange>,
    bytes: usize,
}

impl Inner {
    /// Mappings of the kept exchanges from sequence number `from` on that
    /// no snapshot or stop took yet; none of them is taken again.
    fn take(&mut self, from: u64, spec: &Spec) -> Vec<Value> {
        let from = from.max(self.taken_up_to);
        self.taken_up_to = self.next_seq;
        make_mappings(
            self.exchanges
                .iter()
                .filter(|e| e.seq >= from)
                .map(|e| (&e.request, &e.response)),
            spec,
        )
    }
}

/// The recording state and the kept exchanges.
pub struct Recorder {
    inner: Mutex<Inner>,
    max_exchanges: usize,
    max_bytes: usize,
    /// Where persisted recordings are written: their mapping files, and
    /// their long bodies (`--root-dir`'s `mappings/` and `__files/`, else
    /// `--mappings` and its `__files/`).
    persist_to: Option<PersistTo>,
}

/// The directories persisted recordings are written to.
#[derive(Debug, Clone)]
pub struct PersistTo {
    pub mappings: PathBuf,
    pub files: PathBuf,
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
    /// `max_bytes` bytes of them, writing persisted stubs to `persist_to`.
    pub fn new(max_exchanges: usize, max_bytes: usize, persist_to: Option<PersistTo>) -> Recorder {
        Recorder {
            inner: Mutex::new(Inner {
                status: Status::NeverStarted,
                spec: None,
                proxy_stub: None,
                started_at: 0,
                taken_up_to: 0,
                next_seq: 0,
                exchanges: VecDeque::new(),
                bytes: 0,
            }),
            max_exchanges,
            max_bytes,
            persist_to,
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
            let mappings = inner.take(from, &spec);
            (spec, mappings)
        };
        Ok(self.add(stubs, &spec, mappings))
    }

    /// Makes stubs of every kept exchange no snapshot or recording made
    /// into stubs yet, with `body`'s options: a snapshot repeated adds
    /// nothing twice.
    pub fn snapshot(&self, stubs: &Stubs, body: &Value) -> Result<Vec<Value>, RecordError> {
        let spec = Spec::parse(body, false).map_err(RecordError::Invalid)?;
        let mappings = lock(&self.inner).take(0, &spec);
        Ok(self.add(stubs, &spec, mappings))
    }

    /// Adds the made stubs to the live ones and, with `persist`, writes
    /// them to the mappings directory (a body of [`BODY_FILE_BYTES`] or
    /// more to its files directory); returns them newest first.
    fn add(&self, stubs: &Stubs, spec: &Spec, mut mappings: Vec<Value>) -> Vec<Value> {
        for m in &mut mappings {
            if spec.persist {
                m["persistent"] = Value::Bool(true);
            }
            if spec.persist
                && let Some(to) = &self.persist_to
                && let Err(e) = body_to_file(&to.files, m)
            {
                tracing::warn!(
                    "cannot write a recorded body to {}: {e}; it stays in the mapping",
                    to.files.display()
                );
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
                && let Some(to) = &self.persist_to
                && let Err(e) = write_file(&to.mappings, m)
            {
                tracing::warn!(
                    "cannot write a recorded stub to {}: {e}",
                    to.mappings.display()
                );
            }
        }
        mappings.reverse();
        mappings
    }
}

/// A recorded body this long or longer goes to a body file when the
/// recording is persisted: a mapping file stays far below
/// `--max-mapping-file-bytes` whatever the body.
pub const BODY_FILE_BYTES: usize = 64 * 1024;

/// Moves a long recorded body of `mapping` to `<dir>/<name>-<id>.<ext>`
/// (whole, or not at all), named by `bodyFileName`.
fn body_to_file(dir: &std::path::Path, mapping: &mut Value) -> std::io::Result<()> {
    use base64::Engine;
    let name = mapping["name"].as_str().unwrap_or("recorded").to_owned();
    let id = mapping["id"].as_str().unwrap_or_default().to_owned();
    let Some(response) = mapping.get_mut("response").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    let (bytes, ext) = match (response.get("body"), response.get("base64Body")) {
        (Some(Value::String(text)), _) => (text.as_bytes().to_vec(), "txt"),
        (_, Some(Value::String(b64))) => (
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(std::io::Error::other)?,
            "bin",
        ),
        _ => return Ok(()),
    };
    if bytes.len() < BODY_FILE_BYTES {
        return Ok(());
    }
    let file = format!("{name}-{id}.{ext}");
    write_whole(dir, &file, &bytes)?;
    response.remove("body");
    response.remove("base64Body");
    response.insert("bodyFileName".into(), Value::String(file));
    Ok(())
}

/// Writes `bytes` to `<dir>/<file>` through a temporary file, so that a
/// reader sees all of it or nothing.
fn write_whole(dir: &std::path::Path, file: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".recording-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(dir.join(file)).map_err(|e| e.error)?;
    Ok(())
}

/// Writes `mapping` to `<dir>/<name>-<id>.json` (whole, or not at all).
fn write_file(dir: &std::path::Path, mapping: &Value) -> std::io::Result<()> {
    let name = mapping["name"].as_str().unwrap_or("recorded");
    let id = mapping["id"].as_str().unwrap_or_default();
    let text = serde_json::to_string_pretty(mapping).map_err(std::io::Error::other)?;
    write_whole(dir, &format!("{name}-{id}.json"), text.as_bytes())
}
