//! Watches a directory (the plugin dir, or the stub mappings dir) and feeds
//! changed files to their [`WatchTarget`], which says which files it loads.
//!
//! cargo replaces `target/debug/libx.so` by removing it and hard-linking the
//! freshly linked file (no close-write event), and a copy may be written in
//! place; both are handled the same way: a changed path waits for a quiet
//! period and a stable size, then is loaded (unchanged content is skipped by
//! the registry). A path that is gone when its quiet period ends takes its
//! service away.
//!
//! Symbolic links: a linked *file* is a file like any other (it is read
//! through the link), but a linked *directory* is never entered — neither
//! by the scan nor by the recursive watch — so a link to `/` or `/usr`
//! cannot lead the watch out of the tree, and no directory is seen twice.

use notify::{Event, EventKind, RecursiveMode};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, mpsc},
    thread,
    time::{Duration, Instant},
};

/// How often the poll fallback scans the plugin dir.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// What a watched directory feeds — plugin libraries to the registry, stub
/// files to the mappings — and which of its files and directories matter.
pub trait WatchTarget: Send + Sync + 'static {
    /// What it watches, in log lines and the watch thread's name
    /// (`plugins`, `mappings`).
    fn name(&self) -> &'static str;
    /// Whether the file at `rel` (relative to the watched dir) is one it
    /// loads.
    fn wants(&self, rel: &Path) -> bool;
    /// Whether the directory at `rel` (relative to the watched dir) may
    /// hold files it loads; the others are not searched.
    fn enters(&self, _rel: &Path) -> bool {
        true
    }
    /// Loads, reloads or (when it is gone) forgets the file at `path`.
    fn load(&self, path: &Path);
    /// The files it currently knows.
    fn known_files(&self) -> Vec<PathBuf>;
}

/// `path` relative to `root` (itself when it is not below `root`).
fn relative<'a>(root: &Path, path: &'a Path) -> &'a Path {
    path.strip_prefix(root).unwrap_or(path)
}

/// Whether `path`, a file below `root`, is one `target` loads.
fn is_candidate(target: &dyn WatchTarget, root: &Path, path: &Path) -> bool {
    let rel = relative(root, path);
    target.wants(rel) && rel.parent().is_none_or(|dir| target.enters(dir))
}

/// Every file below `root` that `target` loads, sorted.
pub fn scan(target: &dyn WatchTarget, root: &Path) -> Vec<PathBuf> {
    scan_below(target, root, root)
}

/// Whether `path` is a directory itself, not a link to one.
fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// The files `target` loads in `dir`, a directory below `root`; linked
/// directories are not entered (`DirEntry::file_type` does not follow
/// links).
fn scan_below(target: &dyn WatchTarget, root: &Path, dir: &Path) -> Vec<PathBuf> {
    if !target.enters(relative(root, dir)) {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if target.enters(relative(root, &path)) {
                    stack.push(path);
                }
            } else if is_candidate(target, root, &path) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// A running watcher; dropping it stops the watch.
pub struct Watcher {
    stop: Option<mpsc::Sender<Message>>,
    thread: Option<thread::JoinHandle<()>>,
}

enum Message {
    Event(notify::Result<Event>),
    Stop,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(Message::Stop);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Watcher {
    /// Starts watching `root` for `target`: with file events, or, when
    /// `poll` is set, by comparing the candidates' size, mtime and inode
    /// every 250 ms (notify's own poller keeps whole-second mtimes and walks
    /// cargo's `deps/` too).
    pub fn start(
        root: PathBuf,
        target: Arc<dyn WatchTarget>,
        quiet: Duration,
        poll: bool,
    ) -> notify::Result<Watcher> {
        let (tx, rx) = mpsc::channel();
        let watch = if poll {
            None
        } else {
            let events = tx.clone();
            // notify follows linked directories by default, out of the
            // tree and into every directory below them.
            let mut w = <notify::RecommendedWatcher as notify::Watcher>::new(
                move |res: notify::Result<Event>| {
                    let _ = events.send(Message::Event(res));
                },
                notify::Config::default().with_follow_symlinks(false),
            )?;
            notify::Watcher::watch(&mut w, &root, RecursiveMode::Recursive)?;
            Some(w)
        };
        let mut debouncer = Debouncer::new(root, target, quiet);
        debouncer.watch = watch;
        if poll {
            debouncer.poll = Some(Poller::new(&*debouncer.target, &debouncer.root));
        }
        let thread = thread::Builder::new()
            .name(format!("watch-{}", debouncer.target.name()))
            .spawn(move || debouncer.run(rx))
            .map_err(|e| notify::Error::generic(&e.to_string()))?;
        Ok(Watcher {
            stop: Some(tx),
            thread: Some(thread),
        })
    }
}

struct Pending {
    due: Instant,
    size: Option<u64>,
}

/// The polling fallback: remembers each candidate's size, mtime and inode.
struct Poller {
    seen: HashMap<PathBuf, Fingerprint>,
    next: Instant,
}

type Fingerprint = (u64, Option<std::time::SystemTime>, u64);

fn fingerprint(path: &Path) -> Option<Fingerprint> {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let ino = 0;
    Some((m.len(), m.modified().ok(), ino))
}

impl Poller {
    fn new(target: &dyn WatchTarget, root: &Path) -> Poller {
        Poller {
            seen: scan(target, root)
                .into_iter()
                .filter_map(|p| fingerprint(&p).map(|f| (p, f)))
                .collect(),
            next: Instant::now() + POLL_INTERVAL,
        }
    }

    /// The paths that appeared, changed or disappeared since the last poll.
    fn changes(&mut self, target: &dyn WatchTarget, root: &Path) -> Vec<PathBuf> {
        self.next = Instant::now() + POLL_INTERVAL;
        let now: HashMap<PathBuf, Fingerprint> = scan(target, root)
            .into_iter()
            .filter_map(|p| fingerprint(&p).map(|f| (p, f)))
            .collect();
        let mut changed: Vec<PathBuf> = now
            .iter()
            .filter(|(p, f)| self.seen.get(*p) != Some(f))
            .map(|(p, _)| p.clone())
            .collect();
        changed.extend(self.seen.keys().filter(|p| !now.contains_key(*p)).cloned());
        self.seen = now;
        changed
    }
}

struct Debouncer {
    root: PathBuf,
    target: Arc<dyn WatchTarget>,
    quiet: Duration,
    pending: HashMap<PathBuf, Pending>,
    poll: Option<Poller>,
    /// The inotify (or platform) watch; `None` when polling.
    watch: Option<notify::RecommendedWatcher>,
    /// The watched directory went away (`cargo clean`, say): its watch is
    /// dead until the directory is back and watched again.
    lost: bool,
    /// Directories that appeared, scanned again when their quiet period is
    /// over: the watch on a new directory is added after its creation is
    /// reported, so a file made in between has no event and may not yet
    /// exist at the first scan.
    fresh_dirs: HashMap<PathBuf, FreshDir>,
}

/// A directory that appeared: when to scan it again, and what the first
/// scan found.
struct FreshDir {
    due: Instant,
    seen: Vec<PathBuf>,
}

impl Debouncer {
    fn new(root: PathBuf, target: Arc<dyn WatchTarget>, quiet: Duration) -> Self {
        Debouncer {
            root,
            target,
            quiet,
            pending: HashMap::new(),
            poll: None,
            watch: None,
            lost: false,
            fresh_dirs: HashMap::new(),
        }
    }

    /// The directory is gone: its files (and so their services) go too.
    fn root_gone(&mut self) {
        if self.lost {
            return;
        }
        self.lost = true;
        tracing::warn!(dir = %self.root.display(), "watched directory is gone: what it held goes away until it comes back");
        for known in self.target.known_files() {
            self.touch(known);
        }
    }

    /// Watches the directory again once it is back.
    fn rewatch(&mut self) {
        if !self.lost || !self.root.is_dir() {
            return;
        }
        if let Some(w) = self.watch.as_mut()
            && let Err(e) = notify::Watcher::watch(w, &self.root, RecursiveMode::Recursive)
        {
            tracing::debug!(dir = %self.root.display(), "cannot watch yet: {e}");
            return;
        }
        self.lost = false;
        tracing::info!(dir = %self.root.display(), "watched directory is back");
        self.rescan();
    }

    fn run(mut self, rx: mpsc::Receiver<Message>) {
        loop {
            let wait = self
                .pending
                .values()
                .map(|p| p.due)
                .chain(self.poll.as_ref().map(|p| p.next))
                .chain(self.fresh_dirs.values().map(|d| d.due))
                .chain(self.lost.then(|| Instant::now() + POLL_INTERVAL))
                .min()
                .map_or(Duration::from_secs(3600), |due| {
                    due.saturating_duration_since(Instant::now())
                });
            match rx.recv_timeout(wait) {
                Ok(Message::Event(Ok(event))) => self.on_event(event),
                Ok(Message::Event(Err(e))) => {
                    tracing::warn!(dir = %self.root.display(), "file watch error: {e}; rescanning");
                    self.rescan();
                }
                Ok(Message::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if self.watch.is_some() && !self.root.is_dir() {
                self.root_gone();
            }
            self.rewatch();
            if let Some(poller) = self.poll.as_mut().filter(|p| p.next <= Instant::now()) {
                for path in poller.changes(&*self.target, &self.root) {
                    self.touch(path);
                }
            }
            self.settle();
        }
    }

    fn on_event(&mut self, event: Event) {
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        if event.need_rescan() {
            self.rescan();
        }
        if matches!(event.kind, EventKind::Remove(_)) && event.paths.contains(&self.root) {
            self.root_gone();
        }
        for path in event.paths {
            if is_candidate(&*self.target, &self.root, &path) {
                self.touch(path);
            } else if is_real_dir(&path) {
                // A new directory (a fresh target/release, say): files made
                // in it before the watch reached it produced no event. A
                // link to a directory is not one.
                let seen = scan_below(&*self.target, &self.root, &path);
                for lib in &seen {
                    self.touch(lib.clone());
                }
                let due = Instant::now() + self.quiet;
                self.fresh_dirs.insert(path, FreshDir { due, seen });
            } else if !path.exists() {
                // A removed directory takes its files with it.
                for known in self.target.known_files() {
                    if known.starts_with(&path) {
                        self.touch(known);
                    }
                }
            }
        }
    }

    fn rescan(&mut self) {
        for lib in scan(&*self.target, &self.root) {
            self.touch(lib);
        }
        for known in self.target.known_files() {
            self.touch(known);
        }
    }

    /// Restarts the quiet period of `path`.
    fn touch(&mut self, path: PathBuf) {
        let size = std::fs::metadata(&path).ok().map(|m| m.len());
        self.pending.insert(
            path,
            Pending {
                due: Instant::now() + self.quiet,
                size,
            },
        );
    }

    /// Handles every path whose quiet period is over and whose size held.
    fn settle(&mut self) {
        let now = Instant::now();
        let rescan: Vec<PathBuf> = self
            .fresh_dirs
            .iter()
            .filter(|(_, d)| d.due <= now)
            .map(|(dir, _)| dir.clone())
            .collect();
        for dir in rescan {
            let Some(fresh) = self.fresh_dirs.remove(&dir) else {
                continue;
            };
            for lib in scan_below(&*self.target, &self.root, &dir) {
                if !fresh.seen.contains(&lib) {
                    self.touch(lib);
                }
            }
        }
        let due: Vec<PathBuf> = self
            .pending
            .iter()
            .filter(|(_, p)| p.due <= now)
            .map(|(path, _)| path.clone())
            .collect();
        for path in due {
            let size = std::fs::metadata(&path).ok().map(|m| m.len());
            let Some(p) = self.pending.get_mut(&path) else {
                continue;
            };
            if size.is_some() && size != p.size {
                p.size = size;
                p.due = Instant::now() + self.quiet;
                continue;
            }
            self.pending.remove(&path);
            self.target.load(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loads `*.txt`, never below a `skip` directory.
    struct Texts;

    impl WatchTarget for Texts {
        fn name(&self) -> &'static str {
            "texts"
        }
        fn wants(&self, rel: &Path) -> bool {
            rel.extension().is_some_and(|e| e == "txt")
        }
        fn enters(&self, rel: &Path) -> bool {
            !rel.components().any(|c| c.as_os_str() == "skip")
        }
        fn load(&self, _: &Path) {}
        fn known_files(&self) -> Vec<PathBuf> {
            Vec::new()
        }
    }

    #[test]
    fn scan_finds_the_files_the_target_wants_where_it_enters() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in [
            "a.txt",
            "b.json",
            "sub/c.txt",
            "skip/d.txt",
            "sub/skip/e.txt",
        ] {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x").unwrap();
        }
        let found: Vec<_> = scan(&Texts, root)
            .into_iter()
            .map(|p| p.strip_prefix(root).unwrap().to_owned())
            .collect();
        assert_eq!(found, [Path::new("a.txt"), Path::new("sub/c.txt")]);
        // A new directory is judged by its place below the root.
        assert!(scan_below(&Texts, root, &root.join("sub/skip")).is_empty());
        assert_eq!(
            scan_below(&Texts, root, &root.join("sub")),
            [root.join("sub/c.txt")]
        );
        assert!(!is_candidate(&Texts, root, &root.join("skip/d.txt")));
        assert!(is_candidate(&Texts, root, &root.join("sub/c.txt")));
    }

    #[test]
    fn linked_directories_are_not_entered_and_linked_files_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(outside.path().join("far.txt"), b"x").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
        std::os::unix::fs::symlink("/", root.join("slash")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("far.txt"), root.join("near.txt")).unwrap();
        assert_eq!(scan(&Texts, root), [root.join("near.txt")]);
        assert!(!is_real_dir(&root.join("out")));
        assert!(is_real_dir(root));
    }
}
