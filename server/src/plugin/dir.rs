//! Which files below the plugin dir are plugins: libraries (`*.so`) outside
//! cargo's artifact directories. The registry is fed them by a
//! [`crate::watch`] watcher.

use super::registry::Registry;
use crate::watch::WatchTarget;
use std::path::{Path, PathBuf};

/// Cargo's directories that hold intermediate artifacts, never plugins
/// (`tmp` is integration tests' scratch space).
pub const SKIPPED_DIRS: [&str; 6] = [
    "deps",
    "build",
    "incremental",
    ".fingerprint",
    "examples",
    "tmp",
];

impl WatchTarget for Registry {
    fn name(&self) -> &'static str {
        "plugins"
    }

    /// This platform's libraries, and macOS and Windows ones, which are
    /// refused saying what to do instead of being passed over in silence.
    fn wants(&self, rel: &Path) -> bool {
        rel.extension()
            .is_some_and(|e| e == std::env::consts::DLL_EXTENSION || e == "dylib" || e == "dll")
    }

    fn enters(&self, rel: &Path) -> bool {
        !rel.components()
            .any(|c| SKIPPED_DIRS.iter().any(|skipped| c.as_os_str() == *skipped))
    }

    fn load(&self, path: &Path) {
        // The registry logs what happened.
        self.load_file(path);
    }

    fn known_files(&self) -> Vec<PathBuf> {
        Registry::known_files(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::scan;

    fn registry() -> Registry {
        Registry::new(std::env::temp_dir(), 1 << 20)
    }

    #[test]
    fn cargo_artifact_dirs_are_skipped() {
        let r = registry();
        let plugin = |p: &str| {
            let p = Path::new(p);
            r.wants(p) && p.parent().is_none_or(|d| r.enters(d))
        };
        assert!(plugin("debug/libexample.so"));
        assert!(plugin("libexample.so"));
        assert!(!plugin("debug/deps/libexample-abc.so"));
        assert!(!plugin("debug/build/x/out/liby.so"));
        assert!(!plugin("debug/examples/libz.so"));
        assert!(!plugin("debug/libexample.rlib"));
        assert!(!plugin("debug/libexample.d"));
        assert!(
            plugin("debug/libexample.dylib"),
            "refused with a message, not ignored"
        );
        assert!(
            plugin("debug/example.dll"),
            "refused with a message, not ignored"
        );
        assert!(!plugin("tmp/plugin-target/debug/libx.so"));
    }

    #[test]
    fn scan_finds_libraries_outside_artifact_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in [
            "debug/liba.so",
            "debug/deps/liba-1.so",
            "release/libb.so",
            "debug/.fingerprint/x.so",
            "c.so",
            "notes.txt",
        ] {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x").unwrap();
        }
        let found: Vec<_> = scan(&registry(), root)
            .into_iter()
            .map(|p| p.strip_prefix(root).unwrap().to_owned())
            .collect();
        assert_eq!(
            found,
            [
                Path::new("c.so"),
                Path::new("debug/liba.so"),
                Path::new("release/libb.so")
            ]
        );
    }
}
