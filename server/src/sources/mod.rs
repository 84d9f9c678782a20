//! Source mode (`--sources DIR`): the server builds the plugin crates it is
//! given with cargo and loads what they make through the same registry as
//! prebuilt libraries. A change to a package's `*.rs`, `Cargo.toml` or
//! `Cargo.lock` rebuilds that package; a failed build never takes a
//! service away: the last good version serves on, the error is logged and
//! shown in `/__admin/services`, and the service's answers say so in a
//! header.
//!
//! A build is bounded: what it writes is kept within a cap (its head and
//! tail, [`capped`]); it is killed, with every process it started, past
//! `--build-timeout`, and when the server stops ([`process`]).

pub mod capped;
pub mod cargo;
pub mod process;

use crate::{
    plugin::{Registry, registry::LoadOutcome},
    timestamp::rfc3339,
    watch::{WatchTarget, Watcher},
};
use arc_swap::ArcSwap;
use cargo::{Built, Package};
use process::Stop;
use serde_json::{Value, json};
use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    thread,
    time::{Duration, Instant, SystemTime},
};

/// `--build-timeout`: a build still running after this is killed and
/// reported failed.
pub const DEFAULT_BUILD_TIMEOUT: Duration = Duration::from_secs(600);

/// The header on every answer of a service whose latest build failed.
pub const FAILED_HEADER: &str = "x-fake-servicer-build";
/// Its value.
pub const FAILED_VALUE: &str = "failed; the last good version answers, see /__admin/services";

/// Where a package's build stands.
#[derive(Clone, Debug, Default)]
struct Status {
    /// `queued`, `building`, `ok` or `failed`.
    state: &'static str,
    started: Option<SystemTime>,
    finished: Option<SystemTime>,
    error: Option<String>,
    /// The libraries its last good build made.
    libraries: Vec<PathBuf>,
}

impl Status {
    fn to_json(&self, package: &Package) -> Value {
        json!({
            "package": package.name,
            "manifest": package.manifest,
            "state": self.state,
            "started": self.started.map(rfc3339),
            "finished": self.finished.map(rfc3339),
            "error": self.error,
        })
    }
}

/// The builds of source mode, as requests and the admin API see them.
/// Empty (and free to ask) when the server builds nothing.
#[derive(Default)]
pub struct Builds {
    status: Mutex<BTreeMap<Package, Status>>,
    /// Services whose package's latest build failed.
    failing: ArcSwap<HashSet<Arc<str>>>,
    /// Whether `failing` has any: most servers never have a failed build,
    /// and every request asks.
    any_failing: AtomicBool,
}

impl Builds {
    /// Whether the latest build of `service`'s package failed.
    pub fn failed(&self, service: &str) -> bool {
        self.any_failing.load(Ordering::Acquire) && self.failing.load().contains(service)
    }

    /// Every package with its build, for `/__admin/services`.
    pub fn to_json(&self) -> Vec<Value> {
        crate::sync::lock(&self.status)
            .iter()
            .map(|(p, s)| s.to_json(p))
            .collect()
    }

    /// The build of the package that made the library `file`, if any.
    pub fn of_library(&self, file: &Path) -> Option<Value> {
        crate::sync::lock(&self.status)
            .iter()
            .find(|(_, s)| s.libraries.iter().any(|l| l == file))
            .map(|(p, s)| s.to_json(p))
    }

    /// Forgets the packages that are gone.
    fn forget_all_but(&self, packages: &BTreeSet<Package>) {
        crate::sync::lock(&self.status).retain(|p, _| packages.contains(p));
    }

    fn update(&self, package: &Package, f: impl FnOnce(&mut Status)) {
        let mut status = crate::sync::lock(&self.status);
        f(status.entry(package.clone()).or_default());
    }

    /// Recomputes the failing services from the registry's services.
    fn refresh_failing(&self, registry: &Registry) {
        let status = crate::sync::lock(&self.status);
        let failed: HashSet<&Path> = status
            .values()
            .filter(|s| s.state == "failed")
            .flat_map(|s| s.libraries.iter().map(PathBuf::as_path))
            .collect();
        let failing: HashSet<Arc<str>> = registry
            .snapshot()
            .services()
            .filter(|s| failed.contains(s.file.as_path()))
            .map(|s| s.name.clone())
            .collect();
        let any = !failing.is_empty();
        self.failing.store(Arc::new(failing));
        self.any_failing.store(any, Ordering::Release);
    }
}

/// What source mode needs to know.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The directory of plugin crates.
    pub sources: PathBuf,
    /// cargo's target dir.
    pub target_dir: PathBuf,
    /// Build with `--release`.
    pub release: bool,
    /// How long sources must be quiet before a rebuild.
    pub quiet: Duration,
    /// Poll instead of file events.
    pub poll: bool,
    /// A build still running after this is killed and reported failed.
    pub build_timeout: Duration,
}

/// The running builder: a watch on the sources and a build thread.
/// Dropping it (the server stopping) kills the build in flight, with every
/// process it started, before the drop returns.
pub struct Builder {
    stop: Arc<Stop>,
    _watch: Watcher,
    _thread: thread::JoinHandle<()>,
}

impl Drop for Builder {
    fn drop(&mut self) {
        // The build thread sees it and ends once the watch (dropped next)
        // stops sending.
        self.stop.stop();
    }
}

impl Builder {
    /// Checks cargo is there, finds the packages, starts watching and
    /// building (the first builds run in the background).
    pub fn start(
        settings: Settings,
        registry: Arc<Registry>,
        builds: Arc<Builds>,
    ) -> Result<Builder, String> {
        let version = cargo::version()
            .map_err(|e| format!("source mode builds with cargo, and {e} (install a Rust toolchain, or use the dev image)"))?;
        tracing::info!(sources = %settings.sources.display(), target_dir = %settings.target_dir.display(), "building plugins from source with {version}");
        let (tx, rx) = mpsc::channel();
        let target = Arc::new(Sources {
            root: settings.sources.clone(),
            target_dir: settings.target_dir.clone(),
            changed: Mutex::new(tx.clone()),
        });
        let watch = Watcher::start(
            settings.sources.clone(),
            target,
            settings.quiet,
            settings.poll,
        )
        .map_err(|e| format!("cannot watch {}: {e}", settings.sources.display()))?;
        // Everything is new at start.
        let _ = tx.send(settings.sources.join("Cargo.toml"));
        let stop = Arc::new(Stop::default());
        let stopped = stop.clone();
        let thread = thread::Builder::new()
            .name("build-plugins".into())
            .spawn(move || run(settings, registry, builds, rx, &stopped))
            .map_err(|e| format!("cannot start the build thread: {e}"))?;
        Ok(Builder {
            stop,
            _watch: watch,
            _thread: thread,
        })
    }
}

/// The sources dir as the watcher sees it: changed paths go to the build
/// thread.
struct Sources {
    root: PathBuf,
    target_dir: PathBuf,
    changed: Mutex<mpsc::Sender<PathBuf>>,
}

impl WatchTarget for Sources {
    fn name(&self) -> &'static str {
        "sources"
    }

    fn wants(&self, rel: &Path) -> bool {
        let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name == "Cargo.toml" || name == "Cargo.lock" || name.ends_with(".rs")
    }

    fn enters(&self, rel: &Path) -> bool {
        !rel.components()
            .any(|c| skipped(&c.as_os_str().to_string_lossy()))
            && !self.root.join(rel).starts_with(&self.target_dir)
    }

    fn load(&self, path: &Path) {
        let _ = crate::sync::lock(&self.changed).send(path.to_owned());
    }

    fn known_files(&self) -> Vec<PathBuf> {
        Vec::new()
    }
}

/// The build thread: collects changed paths until the sources are quiet,
/// then builds each package they belong to, once.
fn run(
    settings: Settings,
    registry: Arc<Registry>,
    builds: Arc<Builds>,
    rx: mpsc::Receiver<PathBuf>,
    stop: &Stop,
) {
    let mut packages: BTreeSet<Package> = BTreeSet::new();
    while let Ok(first) = rx.recv() {
        if stop.stopping() {
            return;
        }
        let mut changed = vec![first];
        let deadline = Instant::now() + settings.quiet;
        while let Ok(more) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            changed.push(more);
        }
        let before = packages.clone();
        if changed.iter().any(|p| is_manifest(p)) {
            packages = discover(&settings.sources, &settings.target_dir);
            builds.forget_all_but(&packages);
        }
        // The owners of changed files, every package below a changed
        // manifest (a workspace's `Cargo.lock`), and new packages.
        let dirty: Vec<Package> = packages
            .iter()
            .filter(|p| {
                !before.contains(*p)
                    || changed.iter().any(|c| {
                        owner(&packages, c) == Some(*p)
                            || (is_manifest(c)
                                && c.parent().is_some_and(|d| p.dir().starts_with(d)))
                    })
            })
            .cloned()
            .collect();
        for p in &dirty {
            builds.update(p, |s| s.state = "queued");
        }
        for package in dirty {
            if stop.stopping() {
                return;
            }
            build_one(&package, &settings, &registry, &builds, stop);
        }
    }
}

/// A directory of the sources that holds no package: cargo's `target`, and
/// hidden ones (`.git`).
fn skipped(dir_name: &str) -> bool {
    dir_name == "target" || dir_name.starts_with('.')
}

fn is_manifest(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == "Cargo.toml" || n == "Cargo.lock")
}

/// The package a changed file belongs to: the one whose directory is its
/// nearest ancestor.
fn owner<'a>(packages: &'a BTreeSet<Package>, path: &Path) -> Option<&'a Package> {
    packages
        .iter()
        .filter(|p| path.starts_with(p.dir()))
        .max_by_key(|p| p.dir().components().count())
}

/// Every plugin package below `root` (a workspace's members through its
/// root manifest), outside `target` and hidden dirs.
fn discover(root: &Path, target_dir: &Path) -> BTreeSet<Package> {
    let mut found = BTreeSet::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let manifest = dir.join("Cargo.toml");
        if manifest.is_file() && !found.iter().any(|p: &Package| p.manifest == manifest) {
            match cargo::packages(&manifest) {
                Ok(ps) => found.extend(ps),
                Err(e) => {
                    tracing::warn!(manifest = %manifest.display(), "not a buildable package: {e}")
                }
            }
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let path = entry.path();
            // Directories only, never through a link.
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && !skipped(&name) && !path.starts_with(target_dir) {
                stack.push(path);
            }
        }
    }
    found
}

fn build_one(
    package: &Package,
    settings: &Settings,
    registry: &Registry,
    builds: &Builds,
    stop: &Stop,
) {
    let started = SystemTime::now();
    builds.update(package, |s| {
        s.state = "building";
        s.started = Some(started);
    });
    tracing::info!(package = %package.name, "building");
    let clock = Instant::now();
    let built = cargo::build(
        package,
        &settings.target_dir,
        settings.release,
        settings.build_timeout,
        stop,
    );
    match built {
        Built::Libraries(libraries) => {
            tracing::info!(package = %package.name, took = ?clock.elapsed(), "built");
            // The build is ok before its libraries serve: loaded first, the
            // new version would answer for a moment with the failed-build
            // header of the build it replaces.
            builds.update(package, |s| {
                s.state = "ok";
                s.finished = Some(SystemTime::now());
                s.error = None;
                s.libraries = libraries.clone();
            });
            builds.refresh_failing(registry);
            for lib in &libraries {
                if let LoadOutcome::Refused(why) = registry.load_file(lib) {
                    tracing::warn!(package = %package.name, library = %lib.display(), "built but refused: {why}");
                }
            }
        }
        Built::Failed(error) => {
            tracing::warn!(package = %package.name, "build failed; the last good version keeps serving:\n{error}");
            builds.update(package, |s| {
                s.state = "failed";
                s.finished = Some(SystemTime::now());
                s.error = Some(error);
            });
        }
        Built::Stopped => {
            tracing::info!(package = %package.name, "build stopped: the server is stopping");
            return;
        }
    }
    builds.refresh_failing(registry);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(dir: &str) -> Package {
        Package {
            name: dir.rsplit('/').next().unwrap_or(dir).to_owned(),
            manifest: PathBuf::from(dir).join("Cargo.toml"),
        }
    }

    #[test]
    fn a_changed_file_belongs_to_its_nearest_package() {
        let packages: BTreeSet<Package> = [
            package("/s/ws"),
            package("/s/ws/inner"),
            package("/s/other"),
        ]
        .into();
        assert_eq!(
            owner(&packages, Path::new("/s/ws/inner/src/lib.rs")).map(|p| p.name.as_str()),
            Some("inner")
        );
        assert_eq!(
            owner(&packages, Path::new("/s/ws/src/lib.rs")).map(|p| p.name.as_str()),
            Some("ws")
        );
        assert_eq!(owner(&packages, Path::new("/s/loose.rs")), None);
    }
}
