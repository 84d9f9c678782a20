//! gRPC calls to services faked by stubs: the descriptors of `--proto-dir`
//! (or `--root-dir`'s `grpc/`), loaded at start and again whenever a file
//! there changes ([`Grpc`], a [`WatchTarget`]), and those loaded plugins
//! publish (`service!(descriptors = …)`), merged again whenever the
//! plugins change ([`Grpc::set_plugin_descriptors`]); gRPC's own health
//! and reflection services over them ([`builtins`]); a call's message
//! turned into proto3 JSON for the stubs and the stub's answer back into
//! messages ([`call`]).

pub(crate) mod builtins;
pub(crate) mod call;
pub(crate) mod check;

use crate::watch::WatchTarget;
use arc_swap::ArcSwap;
use fake_servicer_grpc::Catalog;
use http::HeaderMap;
use std::{
    collections::BTreeSet,
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
    /// What calls are read with: the directory's descriptors and the
    /// plugins', merged.
    catalog: Arc<ArcSwap<Catalog>>,
    builtins: ArcSwap<builtins::Builtins>,
    /// What sets the health statuses, and the services it set `SERVING`.
    health: Arc<tokio::sync::Mutex<(tonic_health::server::HealthReporter, BTreeSet<String>)>>,
    health_service: builtins::Handler,
    /// The descriptor files of the last load (for the watcher).
    files: Mutex<Vec<PathBuf>>,
    /// What the catalog is made of; held while it is made and published,
    /// so that publications are ordered.
    sources: Mutex<Sources>,
    /// To set health statuses from the watcher's thread.
    runtime: tokio::runtime::Handle,
}

/// The parts of the catalog.
#[derive(Default)]
struct Sources {
    /// The directory's descriptors, as last loaded.
    dir: Catalog,
    /// The descriptor sets of the plugins that publish one: `(origin,
    /// encoded FileDescriptorSet)`, by service name.
    plugins: Vec<(String, Vec<u8>)>,
    /// The plugins' sets left out, as logged (each is logged once, while it
    /// stays out).
    reported: BTreeSet<String>,
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
            catalog: Arc::new(ArcSwap::from_pointee(Catalog::empty())),
            builtins: ArcSwap::from_pointee(builtins::Builtins::of(&Catalog::empty())),
            health: Arc::new(tokio::sync::Mutex::new((health, BTreeSet::new()))),
            health_service,
            files: Mutex::new(Vec::new()),
            sources: Mutex::new(Sources::default()),
            runtime: tokio::runtime::Handle::current(),
        }
    }

    /// The first load (blocking, as [`Grpc::reload`]): the directory's
    /// descriptors and the plugins' `sets` (see
    /// [`Grpc::set_plugin_descriptors`]), published once.
    pub fn start(&self, sets: Vec<(String, Vec<u8>)>) {
        crate::sync::lock(&self.sources).plugins = sets;
        if self.dir.is_some() {
            self.reload();
        } else {
            self.publish(&mut crate::sync::lock(&self.sources));
        }
    }

    /// The descriptor sets the loaded plugins publish, `(origin, encoded
    /// FileDescriptorSet)`: merged with the directory's descriptors, unless
    /// they are those already merged. A set that does not decode or
    /// conflicts with the directory or another plugin's is logged once and
    /// left out. Blocking (it builds descriptor pools): call it off the
    /// request path.
    pub fn set_plugin_descriptors(&self, sets: Vec<(String, Vec<u8>)>) {
        let mut sources = crate::sync::lock(&self.sources);
        if sources.plugins == sets {
            return;
        }
        sources.plugins = sets;
        let catalog = self.publish(&mut sources);
        let from_dir = sources.dir.services();
        drop(sources);
        let services: Vec<String> = catalog
            .services()
            .into_iter()
            .filter(|s| !from_dir.contains(s))
            .collect();
        tracing::info!(
            services = services.len(),
            "gRPC descriptors of plugins merged: {}",
            if services.is_empty() {
                "no service".to_owned()
            } else {
                services.join(", ")
            }
        );
    }

    /// Merges `sources` into the catalog and swaps it in, with its
    /// reflection and health statuses; returns it.
    fn publish(&self, sources: &mut Sources) -> Catalog {
        let name = match &self.dir {
            Some(dir) => format!("the descriptors of {}", dir.display()),
            None => "the server's descriptors".to_owned(),
        };
        let (catalog, problems) = sources.dir.merged(&name, &sources.plugins);
        let now: BTreeSet<String> = problems.iter().map(ToString::to_string).collect();
        for problem in &problems {
            if !sources.reported.contains(&problem.to_string()) {
                tracing::warn!(
                    plugin = %problem.path.display(),
                    "gRPC descriptors of a plugin left out (its methods are served, but unknown to reflection, health, the journal and stubs): {}",
                    problem.reason
                );
            }
        }
        sources.reported = now;
        self.catalog.store(Arc::new(catalog.clone()));
        self.builtins
            .store(Arc::new(builtins::Builtins::of(&catalog)));
        // Each update sets the statuses of the catalog it finds: the last
        // one run leaves those of the last catalog, whatever their order.
        let (health, current) = (self.health.clone(), self.catalog.clone());
        self.runtime.spawn(async move {
            let mut health = health.lock().await;
            let (reporter, serving) = &mut *health;
            let services: BTreeSet<String> = current.load().services().into_iter().collect();
            for gone in serving.difference(&services) {
                reporter.clear_service_status(gone).await;
            }
            for service in services.difference(serving) {
                reporter
                    .set_service_status(service, tonic_health::ServingStatus::Serving)
                    .await;
            }
            *serving = services;
        });
        catalog
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
    /// files) and merges the plugins' descriptors with it; problems are
    /// logged, one line per file.
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
        let mut sources = crate::sync::lock(&self.sources);
        sources.dir = catalog;
        self.publish(&mut sources);
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

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use prost_types::{FileDescriptorProto, FileDescriptorSet, ServiceDescriptorProto};

    /// An encoded set of one file, `file`, defining the service
    /// `pkg.<service>`.
    fn set(file: &str, service: &str) -> Vec<u8> {
        FileDescriptorSet {
            file: vec![FileDescriptorProto {
                name: Some(file.to_owned()),
                package: Some("pkg".to_owned()),
                service: vec![ServiceDescriptorProto {
                    name: Some(service.to_owned()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .encode_to_vec()
    }

    #[tokio::test]
    async fn plugin_sets_are_merged_and_those_that_cannot_be_are_left_out_once_reported() {
        let grpc = Grpc::new(None, 1 << 20, DEFAULT_MAX_MESSAGE_BYTES);
        grpc.start(vec![("plugin a (liba.so)".to_owned(), set("a.proto", "A"))]);
        assert_eq!(grpc.catalog().services(), ["pkg.A"]);

        let sets = vec![
            ("plugin a (liba.so)".to_owned(), set("a.proto", "A")),
            ("plugin b (libb.so)".to_owned(), b"\xff not a set".to_vec()),
            // `a.proto` again, defined otherwise.
            ("plugin c (libc.so)".to_owned(), set("a.proto", "C")),
            ("plugin d (libd.so)".to_owned(), set("d.proto", "D")),
        ];
        grpc.set_plugin_descriptors(sets.clone());
        assert_eq!(grpc.catalog().services(), ["pkg.A", "pkg.D"]);
        let reported = crate::sync::lock(&grpc.sources).reported.clone();
        let reported: Vec<&str> = reported.iter().map(String::as_str).collect();
        assert_eq!(reported.len(), 2, "{reported:?}");
        assert!(reported[0].starts_with("plugin b (libb.so): not a serialized FileDescriptorSet"));
        assert!(
            reported[1].starts_with("plugin c (libc.so): conflicts with plugin a (liba.so): "),
            "{}",
            reported[1]
        );

        // The same sets again: nothing to merge (nor to log).
        let before = grpc.catalog();
        grpc.set_plugin_descriptors(sets);
        assert!(Arc::ptr_eq(&before, &grpc.catalog()));

        // The plugins gone, their services go.
        grpc.set_plugin_descriptors(Vec::new());
        assert!(grpc.catalog().services().is_empty());
        assert!(crate::sync::lock(&grpc.sources).reported.is_empty());
    }
}
