//! Mapping files: `--mappings` directories fed to the stubs by the
//! directory watcher.

use super::*;
use crate::regular_file::{self, Cap};

impl Stubs {
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
        let value = read_json(path, max_bytes)?;
        self.load_value(path, &value, service)
    }

    /// [`load_file`](Self::load_file) of a file already read as `value`.
    pub fn load_value(
        &self,
        path: &Path,
        value: &Value,
        service: Option<&str>,
    ) -> std::result::Result<usize, String> {
        let items: Vec<(String, &Value)> = match value.get("mappings") {
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, m)| (format!("/mappings/{i}"), m))
                .collect(),
            Some(_) => return Err("\"mappings\" must be a list".to_owned()),
            None => vec![(String::new(), value)],
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

/// A mapping file's JSON: only a regular file of at most `max_bytes` is
/// read (see [`crate::regular_file`]).
fn read_json(path: &Path, max_bytes: u64) -> std::result::Result<Value, String> {
    let cap = Cap {
        bytes: max_bytes,
        flag: "--max-mapping-file-bytes",
    };
    let (bytes, _) = regular_file::read(path, cap).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))
}

/// Feeds `--mappings` files to the stubs (through the directory watcher),
/// and to the resources a file whose top-level object has `"resource"`
/// (`docs/stateful.md`). A file in a subdirectory belongs to the
/// service the subdirectory names: its stubs (and resource) match only
/// that service's requests unless they name another.
pub struct MappingFiles {
    /// Where their stubs go.
    pub stubs: Arc<Stubs>,
    /// Where their resource declarations go.
    pub resources: Arc<crate::resources::Resources>,
    /// The mappings dir.
    pub root: PathBuf,
    /// Whether a subdirectory names the service of its files (`--mappings`)
    /// or only organises them (`--root-dir`'s `mappings/`, as WireMock's).
    pub dirs_are_services: bool,
    /// Larger files are refused unread.
    pub max_file_bytes: u64,
}

impl MappingFiles {
    /// Declares the resource of the file at `path`, read as `value`; its
    /// name.
    fn declare(&self, path: &Path, value: &Value) -> std::result::Result<String, String> {
        let limits = *self.resources.limits();
        let decl = crate::resources::parse(value, self.service_of(path), &limits)
            .map_err(|e| format!("{}: {}", e.pointer, e.title))?;
        let name = decl.name.to_string();
        self.resources
            .declare(decl, crate::resources::Origin::File(path.to_owned()))
            .map_err(|e| format!("{}: {}", e.pointer, e.title))?;
        Ok(name)
    }

    /// The service of a file at `path`: its first directory below the root.
    fn service_of<'a>(&self, path: &'a Path) -> Option<&'a str> {
        if !self.dirs_are_services {
            return None;
        }
        let rel = path.strip_prefix(&self.root).ok()?;
        let mut parts = rel.components();
        let first = parts.next()?.as_os_str().to_str()?;
        parts.next().is_some().then_some(first)
    }
}

/// Every `*.json` file below the mappings dir is a mapping file, whatever
/// directory it is in, but for the files directory (`__files/`): it holds
/// response bodies.
impl crate::watch::WatchTarget for MappingFiles {
    fn name(&self) -> &'static str {
        "mappings"
    }

    fn wants(&self, rel: &Path) -> bool {
        rel.extension().is_some_and(|e| e == "json")
            && rel
                .components()
                .next()
                .is_none_or(|c| c.as_os_str() != crate::body_files::DIR_NAME)
    }

    fn load(&self, path: &Path) {
        if !path.exists() {
            if self.stubs.files().iter().any(|f| f == path) {
                self.stubs.remove_file(path);
                tracing::info!(file = %path.display(), "mapping file removed; its stubs are gone");
            }
            if self.resources.remove_file(path) {
                tracing::info!(file = %path.display(), "mapping file removed; its resource is gone");
            }
            return;
        }
        let loaded = read_json(path, self.max_file_bytes).and_then(|value| {
            if value.get("resource").is_some() {
                self.declare(path, &value).map(|name| {
                    self.stubs.remove_file(path);
                    tracing::info!(file = %path.display(), resource = %name, "mapping file loaded");
                })
            } else {
                let n = self.stubs.load_value(path, &value, self.service_of(path))?;
                self.resources.remove_file(path);
                tracing::info!(file = %path.display(), stubs = n, "mapping file loaded");
                Ok(())
            }
        });
        if let Err(e) = loaded {
            tracing::warn!(file = %path.display(), "mapping file refused: {e}; what it held before stays");
        }
    }

    fn known_files(&self) -> Vec<PathBuf> {
        let mut files = self.stubs.files();
        files.extend(self.resources.files());
        files
    }
}
