//! Where things are: the repository, cargo's target dir and the tests'
//! scratch dir under it, and the server binary.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::SystemTime,
};

/// The repository root (the parent of `testkit/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ has a parent")
        .to_owned()
}

/// The profile dir the running test was built into (`target/debug`): a
/// test binary is `target/<profile>/deps/<test>-<hash>`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps")
        .to_owned()
}

/// cargo's target dir (`target`): the nearest ancestor of the
/// [`profile_dir`] holding cargo's `CACHEDIR.TAG`, else its parent.
pub fn target_dir() -> PathBuf {
    let profile = profile_dir();
    let tagged = profile
        .ancestors()
        .skip(1)
        .find(|dir| dir.join("CACHEDIR.TAG").is_file());
    match tagged {
        Some(dir) => dir.to_owned(),
        None => profile.parent().expect("a target dir").to_owned(),
    }
}

/// The tests' scratch dir, kept between runs for incremental plugin
/// builds: `target/tmp`, what cargo passes integration tests at compile
/// time as `CARGO_TARGET_TMPDIR`.
pub fn tmp_dir() -> PathBuf {
    target_dir().join("tmp")
}

/// The newest modification time of the files below `path`.
fn newest(path: &Path) -> SystemTime {
    let own = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let children = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| newest(&e.path()));
    children.fold(own, std::cmp::max)
}

/// The `fake-servicer` binary of this [`profile_dir`], for tests outside
/// the server's package (the server's own tests have
/// `env!("CARGO_BIN_EXE_fake-servicer")`, which cargo built for them).
/// `cargo test --workspace` has built it already; it is built here only
/// when it is missing or older than the server's sources (a build from here
/// resolves features for the server alone, so it would rebuild a binary the
/// workspace build just made).
pub fn binary() -> PathBuf {
    let profile = profile_dir();
    let bin = profile.join("fake-servicer");
    let root = workspace_root();
    let sources = ["server/src", "server/Cargo.toml", "sdk/src", "Cargo.lock"]
        .iter()
        .map(|p| newest(&root.join(p)))
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let built = std::fs::metadata(&bin).and_then(|m| m.modified()).ok();
    if built.is_some_and(|t| t >= sources) {
        return bin;
    }
    let target = profile.parent().expect("target dir");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args([
            "build",
            "--offline",
            "--quiet",
            "-p",
            "fake-servicer",
            "--bin",
            "fake-servicer",
        ])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the server binary failed");
    bin
}
