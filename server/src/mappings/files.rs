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
    /// Whether a subdirectory names the service of its files (`--mappings`)
    /// or only organises them (`--root-dir`'s `mappings/`, as WireMock's).
    pub dirs_are_services: bool,
    /// Larger files are refused unread.
    pub max_file_bytes: u64,
}

impl MappingFiles {
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
