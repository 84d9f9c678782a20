//! The set of services: those plugins provide and those only stubs define.
//! Readers take a lock-free snapshot
//! (`ArcSwap`); the watcher loads, replaces and removes libraries and
//! publishes a new snapshot atomically, so no request ever sees a half-made
//! change and in-flight requests finish on the version they started with.

use super::loader::{self, Library, LoadError};
use crate::regular_file::{self, Cap, ReadError};
use arc_swap::ArcSwap;
use serde::Serialize;
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    hash::{DefaultHasher, Hasher},
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard},
    time::SystemTime,
};

/// One served version of a service.
#[derive(Debug)]
pub struct Service {
    pub name: Arc<str>,
    pub file: PathBuf,
    pub generation: u64,
    pub loaded_at: SystemTime,
    /// File modification time: of two files for one service, the newest wins.
    pub modified: SystemTime,
    pub library: Library,
}

/// What requests see: the services by name.
#[derive(Default)]
pub struct Snapshot {
    services: BTreeMap<Arc<str>, Arc<Service>>,
    /// Services that stubs name and no plugin provides.
    stub_only: BTreeSet<Arc<str>>,
}

impl Snapshot {
    /// The plugin service called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Service>> {
        self.services.get(name)
    }

    /// The canonical name of the service called `name`, whether a plugin
    /// provides it or only stubs define it.
    pub fn resolve(&self, name: &str) -> Option<Arc<str>> {
        self.services
            .get_key_value(name)
            .map(|(k, _)| k.clone())
            .or_else(|| self.stub_only.get(name).cloned())
    }

    /// Names of all services, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .services
            .keys()
            .chain(&self.stub_only)
            .map(|k| k.to_string())
            .collect();
        names.sort();
        names
    }

    /// All plugin services, by name.
    pub fn services(&self) -> impl Iterator<Item = &Arc<Service>> {
        self.services.values()
    }

    /// The gRPC descriptors of the plugin services that publish some
    /// (`service!(descriptors = …)`), by service name: `(origin, encoded
    /// FileDescriptorSet)`, the origin naming the service and its file.
    pub fn grpc_descriptors(&self) -> Vec<(String, Vec<u8>)> {
        self.services
            .values()
            .filter(|s| !s.library.grpc_descriptors.is_empty())
            .map(|s| {
                let origin = format!("plugin {} ({})", s.name, s.file.display());
                (origin, s.library.grpc_descriptors.clone())
            })
            .collect()
    }

    /// The services only stubs define, sorted.
    pub fn stub_only(&self) -> impl Iterator<Item = &Arc<str>> {
        self.stub_only.iter()
    }

    /// Number of services of either kind.
    pub fn len(&self) -> usize {
        self.services.len() + self.stub_only.len()
    }
}

/// What the registry knows of one library file.
struct FileEntry {
    /// Content hash of the last version looked at (loaded or refused).
    hash: u64,
    /// The version being served from this file, if any.
    loaded: Option<Arc<Service>>,
    /// Why the last version looked at was refused.
    last_error: Option<String>,
}

/// What happened to a file handed to [`Registry::load_file`].
#[derive(Debug, PartialEq, Eq)]
pub enum LoadOutcome {
    Loaded {
        service: String,
        generation: u64,
    },
    Unchanged,
    /// Not a plugin and not worth a refusal (a proc-macro library).
    Skipped,
    Refused(String),
    Gone,
}

/// Makes a version no longer served drop the state it keeps per scope:
/// its library stays loaded (never unloaded), its memory need not. A call
/// still running on it finds its state afresh.
fn forget_everything(old: &Service) {
    if let Some(forget) = old.library.forget_scope {
        forget(abi_stable::std_types::RStr::from_str(""));
    }
}

/// The registry of services, fed by the watcher, read by every request.
pub struct Registry {
    snapshot: ArcSwap<Snapshot>,
    /// Bumped on every publication, for those who follow the service set.
    changes: tokio::sync::watch::Sender<u64>,
    files: Mutex<HashMap<PathBuf, FileEntry>>,
    /// The services named by what is not a plugin (stubs, resources, the
    /// Kubernetes API), per provider (lower case); locked after `files`.
    named_services: Mutex<BTreeMap<&'static str, BTreeSet<Arc<str>>>>,
    scratch: PathBuf,
    generation: std::sync::atomic::AtomicU64,
    /// Larger libraries are refused unread.
    max_file_bytes: u64,
}

/// A service as `/__admin/services` shows it.
#[derive(Serialize, Debug)]
pub struct ServiceStatus {
    pub name: String,
    /// `plugin`.
    pub kind: &'static str,
    pub file: PathBuf,
    pub generation: u64,
    pub loaded_at: String,
    pub sdk_version: String,
    pub routes: Vec<String>,
    pub last_error: Option<String>,
}

/// A file that serves nothing because it was refused.
#[derive(Serialize, Debug)]
pub struct RefusedFile {
    pub file: PathBuf,
    pub error: String,
}

impl Registry {
    /// An empty registry whose private library copies go to `scratch`;
    /// libraries over `max_file_bytes` are refused unread.
    pub fn new(scratch: PathBuf, max_file_bytes: u64) -> Registry {
        Registry {
            snapshot: ArcSwap::from_pointee(Snapshot::default()),
            changes: tokio::sync::watch::Sender::new(0),
            files: Mutex::new(HashMap::new()),
            named_services: Mutex::new(BTreeMap::new()),
            scratch,
            generation: std::sync::atomic::AtomicU64::new(0),
            max_file_bytes,
        }
    }

    /// The current services (cheap, lock-free).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    fn files(&self) -> MutexGuard<'_, HashMap<PathBuf, FileEntry>> {
        // A panic while holding the lock leaves consistent data (every
        // mutation is a single insert/remove), so poisoning is ignored.
        crate::sync::lock(&self.files)
    }

    /// Loads (or reloads) the library at `path`. Unchanged content is not
    /// reloaded; a refused version leaves the previous one serving. Only a
    /// regular file within the size cap is read (see [`regular_file`]).
    pub fn load_file(&self, path: &Path) -> LoadOutcome {
        let cap = Cap {
            bytes: self.max_file_bytes,
            flag: "--max-plugin-bytes",
        };
        let (bytes, modified) = match regular_file::read(path, cap)
            .and_then(|(b, meta)| Ok((b, meta.modified().map_err(ReadError::Io)?)))
        {
            Ok(x) => x,
            Err(ReadError::NotFound) => {
                self.remove_file(path);
                return LoadOutcome::Gone;
            }
            Err(e) => return self.refuse(path, hash(&[]), e.to_string()),
        };
        let content_hash = hash(&bytes);
        if self
            .files()
            .get(path)
            .is_some_and(|f| f.hash == content_hash)
        {
            return LoadOutcome::Unchanged;
        }
        match loader::load(path, &bytes, &self.scratch) {
            Ok(library) => self.install(path, content_hash, modified, library),
            Err(LoadError::ProcMacro) => {
                // cargo leaves a workspace's proc-macro libraries beside its
                // plugins: not worth a warning, nor a place in the admin API.
                tracing::debug!(file = %path.display(), "skipped: a proc-macro library");
                LoadOutcome::Skipped
            }
            Err(e) => self.refuse(path, content_hash, e.to_string()),
        }
    }

    fn install(
        &self,
        path: &Path,
        content_hash: u64,
        modified: SystemTime,
        library: Library,
    ) -> LoadOutcome {
        let generation = self
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let service = Arc::new(Service {
            name: library.name.as_str().into(),
            file: path.to_owned(),
            generation,
            loaded_at: SystemTime::now(),
            modified,
            library,
        });
        let mut files = self.files();
        let previous = files.insert(
            path.to_owned(),
            FileEntry {
                hash: content_hash,
                loaded: Some(service.clone()),
                last_error: None,
            },
        );
        self.publish(&files);
        let routes = service.library.routes.routes().len();
        let rivals: Vec<String> = files
            .iter()
            .filter(|(p, f)| {
                p.as_path() != path && f.loaded.as_ref().is_some_and(|s| s.name == service.name)
            })
            .map(|(p, _)| p.display().to_string())
            .collect();
        drop(files);
        if !rivals.is_empty() {
            let winner = self
                .snapshot()
                .get(&service.name)
                .map(|s| s.file.display().to_string());
            tracing::warn!(
                service = %service.name, file = %path.display(), others = ?rivals, served_from = ?winner,
                "several libraries provide this service: the newest file serves it"
            );
        }
        let previous = previous.and_then(|p| p.loaded);
        if let Some(old) = &previous {
            forget_everything(old);
        }
        match previous {
            Some(old) if old.name != service.name => tracing::info!(
                service = %service.name, previous = %old.name, generation, file = %path.display(), routes,
                "library now provides another service"
            ),
            Some(_) => tracing::info!(
                service = %service.name, generation, file = %path.display(), routes, "reloaded"
            ),
            None => tracing::info!(
                service = %service.name, generation, file = %path.display(), routes, "loaded"
            ),
        }
        LoadOutcome::Loaded {
            service: service.name.to_string(),
            generation,
        }
    }

    fn refuse(&self, path: &Path, content_hash: u64, error: String) -> LoadOutcome {
        let mut files = self.files();
        let entry = files.entry(path.to_owned()).or_insert(FileEntry {
            hash: content_hash,
            loaded: None,
            last_error: None,
        });
        entry.hash = content_hash;
        entry.last_error = Some(error.clone());
        let keeps = entry
            .loaded
            .as_ref()
            .map(|s| (s.name.clone(), s.generation));
        drop(files);
        match keeps {
            Some((service, generation)) => tracing::warn!(
                file = %path.display(), %service, generation, "refused: {error}; the previous version keeps serving"
            ),
            None => tracing::warn!(file = %path.display(), "refused: {error}"),
        }
        LoadOutcome::Refused(error)
    }

    /// Forgets the library at `path`; its service goes away unless another
    /// file provides it.
    pub fn remove_file(&self, path: &Path) {
        let mut files = self.files();
        if let Some(entry) = files.remove(path) {
            self.publish(&files);
            if let Some(s) = entry.loaded {
                forget_everything(&s);
                let still = self.snapshot().get(&s.name).map(|n| n.file.clone());
                match still {
                    Some(other) => tracing::info!(
                        service = %s.name, file = %path.display(), now_from = %other.display(),
                        "library removed; another file serves the service"
                    ),
                    None => {
                        tracing::info!(service = %s.name, file = %path.display(), "library removed; service gone")
                    }
                }
            }
        }
    }

    /// Paths of all files the registry knows (loaded or refused).
    pub fn known_files(&self) -> Vec<PathBuf> {
        self.files().keys().cloned().collect()
    }

    /// Rebuilds and swaps in the snapshot; called with the file lock held so
    /// publications are ordered.
    fn publish(&self, files: &HashMap<PathBuf, FileEntry>) {
        let mut services: BTreeMap<Arc<str>, Arc<Service>> = BTreeMap::new();
        for entry in files.values() {
            let Some(s) = &entry.loaded else { continue };
            let newer = services
                .get(&s.name)
                .is_none_or(|cur| (s.modified, s.generation) > (cur.modified, cur.generation));
            if newer {
                services.insert(s.name.clone(), s.clone());
            }
        }
        let stub_only = crate::sync::lock(&self.named_services)
            .values()
            .flatten()
            .filter(|name| !services.contains_key(*name))
            .cloned()
            .collect();
        self.snapshot.store(Arc::new(Snapshot {
            services,
            stub_only,
        }));
        self.changes.send_modify(|n| *n += 1);
    }

    /// The services that stubs name: those no plugin provides become
    /// services of their own (routed, listed, given an alias).
    pub fn set_stub_services(&self, names: BTreeSet<Arc<str>>) {
        self.set_named_services("stubs", names)
    }

    /// The services `provider` (stubs, resources, the Kubernetes API)
    /// answers for, replacing what it named before: those no plugin
    /// provides become services of their own.
    pub fn set_named_services(&self, provider: &'static str, names: BTreeSet<Arc<str>>) {
        let files = self.files();
        let mut current = crate::sync::lock(&self.named_services);
        if current.get(provider) == Some(&names) {
            return;
        }
        current.insert(provider, names);
        drop(current);
        self.publish(&files);
    }

    /// A receiver that sees a change whenever the set of services (or a
    /// version of one) changes.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Services and refused files, for the admin API.
    pub fn status(&self) -> (Vec<ServiceStatus>, Vec<RefusedFile>) {
        let files = self.files();
        let snapshot = self.snapshot();
        let services = snapshot
            .services()
            .map(|s| ServiceStatus {
                name: s.name.to_string(),
                kind: "plugin",
                file: s.file.clone(),
                generation: s.generation,
                loaded_at: crate::timestamp::rfc3339(s.loaded_at),
                sdk_version: s.library.sdk_version.clone(),
                routes: s
                    .library
                    .routes
                    .routes()
                    .iter()
                    .map(|r| r.label.to_string())
                    .collect(),
                last_error: files.get(&s.file).and_then(|f| f.last_error.clone()),
            })
            .collect();
        let mut refused: Vec<RefusedFile> = files
            .iter()
            .filter(|(_, f)| f.loaded.is_none())
            .filter_map(|(p, f)| {
                f.last_error.as_ref().map(|e| RefusedFile {
                    file: p.clone(),
                    error: e.clone(),
                })
            })
            .collect();
        refused.sort_by(|a, b| a.file.cmp(&b.file));
        (services, refused)
    }
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    h.write(bytes);
    h.write_usize(bytes.len());
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_file_shows_with_its_reason_and_serves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("libbroken.so");
        std::fs::write(&file, b"garbage").unwrap();
        let reg = Registry::new(dir.path().to_owned(), 1 << 20);
        let outcome = reg.load_file(&file);
        assert!(
            matches!(outcome, LoadOutcome::Refused(ref e) if e.contains("not a shared library")),
            "{outcome:?}"
        );
        assert_eq!(reg.load_file(&file), LoadOutcome::Unchanged);
        let (services, refused) = reg.status();
        assert!(services.is_empty());
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].file, file);
        std::fs::remove_file(&file).unwrap();
        assert_eq!(reg.load_file(&file), LoadOutcome::Gone);
        assert!(reg.status().1.is_empty());
    }

    #[test]
    fn a_library_over_the_cap_is_refused_unread_naming_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("libbig.so");
        std::fs::File::create(&file).unwrap().set_len(4097).unwrap();
        let reg = Registry::new(dir.path().to_owned(), 4096);
        let outcome = reg.load_file(&file);
        assert_eq!(
            outcome,
            LoadOutcome::Refused(
                "4097 bytes, over the 4096-byte cap (--max-plugin-bytes)".to_owned()
            )
        );
        let (_, refused) = reg.status();
        assert_eq!(refused.len(), 1);
        assert!(refused[0].error.contains("4096-byte cap"), "{refused:?}");
    }
}
