//! gRPC calls to services faked by stubs: the descriptors of `--proto-dir`
//! (or `--root-dir`'s `grpc/`), loaded at start and again whenever a file
//! there changes ([`Grpc`], a [`WatchTarget`]); gRPC's own health and
//! reflection services over them ([`builtins`]); a call's message turned
//! into proto3 JSON for the stubs and the stub's answer back into messages
//! ([`call`]).

pub(crate) mod builtins;
pub(crate) mod call;
pub(crate) mod check;

use crate::watch::WatchTarget;
use arc_swap::ArcSwap;
use fake_servicer_grpc::Catalog;
use http::HeaderMap;
use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

/// The largest gRPC message a call may carry, decompressed: as gRPC's
/// servers' default receive limit.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// The descriptors gRPC calls are read and answered with, and gRPC's own
/// services over them.
pub(crate) struct Grpc {
    /// Where descriptors are read from (`None`: no gRPC stubs, only the
    /// health service).
    dir: Option<PathBuf>,
    /// A descriptor file larger than this is refused unread.
    max_file_bytes: u64,
    /// The largest message a call may carry.
    pub max_message_bytes: usize,
    catalog: ArcSwap<Catalog>,
    builtins: ArcSwap<builtins::Builtins>,
    health: tonic_health::server::HealthReporter,
    health_service: builtins::Handler,
    /// The descriptor files of the last load (for the watcher).
    files: Mutex<Vec<PathBuf>>,
    /// To set health statuses from the watcher's thread.
    runtime: tokio::runtime::Handle,
}

impl Grpc {
    /// Descriptors to be read from `dir` ([`Grpc::reload`]; none when
    /// `None`). Call it within the runtime.
    pub fn new(dir: Option<PathBuf>, max_file_bytes: u64, max_message_bytes: usize) -> Grpc {
        let (health, health_service) = builtins::health();
        Grpc {
            dir,
            max_file_bytes,
            max_message_bytes,
            catalog: ArcSwap::from_pointee(Catalog::empty()),
            builtins: ArcSwap::from_pointee(builtins::Builtins::of(&Catalog::empty())),
            health,
            health_service,
            files: Mutex::new(Vec::new()),
            runtime: tokio::runtime::Handle::current(),
        }
    }

    /// The directory watched, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The descriptors now loaded.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// Reads the whole directory again (blocking: compiles `.proto`
    /// files); problems are logged, one line per file.
    pub fn reload(&self) {
        let Some(dir) = &self.dir else { return };
        let (catalog, problems) = Catalog::load_dir(dir, self.max_file_bytes);
        for problem in &problems {
            tracing::warn!(file = %problem.path.display(), "gRPC descriptor refused: {}", problem.reason);
        }
        let services = catalog.services();
        tracing::info!(
            dir = %dir.display(),
            services = services.len(),
            "gRPC descriptors loaded: {}",
            if services.is_empty() { "no service".to_owned() } else { services.join(", ") }
        );
        let known = crate::watch::scan(self, dir);
        if let Ok(mut files) = self.files.lock() {
            *files = known;
        }
        let old = self.catalog.swap(Arc::new(catalog.clone()));
        self.builtins
            .store(Arc::new(builtins::Builtins::of(&catalog)));
        let health = self.health.clone();
        let gone: Vec<String> = old
            .services()
            .into_iter()
            .filter(|s| !catalog.has_service(s))
            .collect();
        self.runtime.spawn(async move {
            let mut health = health;
            for service in gone {
                health.clear_service_status(&service).await;
            }
            for service in services {
                health
                    .set_service_status(service, tonic_health::ServingStatus::Serving)
                    .await;
            }
        });
    }

    /// gRPC's health or reflection service, when `path` is one of theirs.
    pub fn builtin(&self, path: &str) -> Option<builtins::Handler> {
        if path.starts_with(builtins::HEALTH_PREFIX) {
            return Some(self.health_service.clone());
        }
        self.builtins.load().for_path(path)
    }
}

/// Whether a request is a gRPC call (`content-type: application/grpc`,
/// `application/grpc+proto`…).
pub fn is_call(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

/// The descriptor files: `*.proto` sources and descriptor sets.
impl WatchTarget for Grpc {
    fn name(&self) -> &'static str {
        "grpc"
    }

    fn wants(&self, rel: &Path) -> bool {
        rel.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "proto" | "dsc" | "desc" | "pb"))
    }

    fn load(&self, _path: &Path) {
        // An import may change what another file means: all of it again.
        self.reload();
    }

    fn known_files(&self) -> Vec<PathBuf> {
        self.files.lock().map(|f| f.clone()).unwrap_or_default()
    }
}
