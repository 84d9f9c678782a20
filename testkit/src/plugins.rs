//! Real plugin crates built with real `cargo build`: the repository's
//! example plugins, crates written by a test the way a user writes them,
//! libraries installed the way cargo installs them, and SDK variants for
//! plugins "built against another SDK".

use crate::{tmp_dir, workspace_root};
use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

/// One cargo target dir for every plugin the tests build (dependencies are
/// compiled once): `target/tmp/plugin-target`.
pub fn plugin_target() -> PathBuf {
    tmp_dir().join("plugin-target")
}

/// Where `cargo build` leaves the library of crate `name`.
pub fn built_library(name: &str) -> PathBuf {
    plugin_target()
        .join("debug")
        .join(format!("lib{name}.{}", std::env::consts::DLL_EXTENSION))
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    c.env("CARGO_TARGET_DIR", plugin_target());
    c
}

/// Runs `cargo build` on a manifest; returns (success, stderr).
pub fn cargo_build(manifest: &Path) -> (bool, String) {
    let out = cargo()
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(manifest)
        .output()
        .expect("cargo runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Builds one of the repository's example plugins and returns its library.
pub fn build_example(name: &str) -> PathBuf {
    let manifest = workspace_root()
        .join("plugins")
        .join(name)
        .join("Cargo.toml");
    let (ok, err) = cargo_build(&manifest);
    assert!(ok, "building plugin {name} failed:\n{err}");
    built_library(name)
}

/// The repository's example plugins (`example`, `other_service`), built
/// once per test binary.
pub fn examples() -> &'static [PathBuf] {
    static BUILT: OnceLock<Vec<PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| {
        ["example", "other_service"]
            .into_iter()
            .map(build_example)
            .collect()
    })
}

/// A plugin crate written by a test, the way a user writes one: depends on
/// `fake-servicer-sdk` by path and on `serde`.
pub struct PluginCrate {
    /// The crate's directory, under `target/tmp/crates`.
    pub dir: PathBuf,
    /// The crate's name.
    pub name: String,
}

impl PluginCrate {
    /// Writes the crate (not yet built). `name` must be unique per test.
    pub fn new(name: &str, lib_rs: &str) -> PluginCrate {
        Self::with_manifest_extra(name, lib_rs, "")
    }

    /// Like [`new`](Self::new), with extra lines appended to Cargo.toml.
    pub fn with_manifest_extra(name: &str, lib_rs: &str, extra: &str) -> PluginCrate {
        Self::with_sdk(name, lib_rs, extra, &workspace_root().join("sdk"))
    }

    /// Like [`with_manifest_extra`](Self::with_manifest_extra), against the
    /// SDK at `sdk`.
    pub fn with_sdk(name: &str, lib_rs: &str, extra: &str, sdk: &Path) -> PluginCrate {
        // Under cargo's target dir: kept between runs for incremental builds.
        let dir = tmp_dir().join("crates").join(name);
        let _ = std::fs::remove_dir_all(dir.join("src"));
        std::fs::create_dir_all(dir.join("src")).expect("src dir");
        let manifest = format!(
            r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]

[dependencies]
fake-servicer-sdk = {{ path = {sdk:?} }}
serde = {{ version = "1", features = ["derive"] }}

[workspace]

[profile.dev]
debug = false
{extra}
"#
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).expect("write manifest");
        std::fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock"))
            .expect("copy Cargo.lock");
        let krate = PluginCrate {
            dir,
            name: name.to_owned(),
        };
        krate.write_src(lib_rs);
        krate
    }

    /// Replaces `src/lib.rs`.
    pub fn write_src(&self, lib_rs: &str) {
        std::fs::write(self.dir.join("src/lib.rs"), lib_rs).expect("write lib.rs");
    }

    /// The crate's `Cargo.toml`.
    pub fn manifest(&self) -> PathBuf {
        self.dir.join("Cargo.toml")
    }

    /// `cargo build`; returns (success, stderr).
    pub fn try_build(&self) -> (bool, String) {
        cargo_build(&self.manifest())
    }

    /// `cargo build`, which must succeed; returns the library path.
    pub fn build(&self) -> PathBuf {
        let (ok, err) = self.try_build();
        assert!(ok, "building plugin {} failed:\n{err}", self.name);
        built_library(&self.name)
    }

    /// Builds and copies the library to `dest` (a private file).
    pub fn build_to(&self, dest: &Path) -> PathBuf {
        let lib = self.build();
        std::fs::copy(&lib, dest).expect("copy library");
        dest.to_owned()
    }
}

/// Installs a copy of `src` at `dest` the way cargo does: a fresh file is
/// written elsewhere (cargo's `deps/`), `dest` is removed, then hard-linked
/// to it. The fresh file is private, so later writes to `dest` never reach
/// `src`.
pub fn install_like_cargo(src: &Path, dest: &Path) {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let staging_dir = dest.parent().expect("dest has a parent").join("deps");
    std::fs::create_dir_all(&staging_dir).expect("deps dir");
    let staging = staging_dir.join(format!("staged-{n}.so"));
    std::fs::copy(src, &staging).expect("copy library");
    let _ = std::fs::remove_file(dest);
    std::fs::hard_link(&staging, dest).expect("hard link library");
}

/// A copy of the SDK with `edit` applied to its files, as a standalone
/// crate under `target/tmp/sdk-variants`; for plugins "built against
/// another SDK". Returns its directory.
pub fn sdk_variant(name: &str, edit: impl Fn(&str, String) -> String) -> PathBuf {
    let root = workspace_root();
    let dest = tmp_dir().join("sdk-variants").join(name);
    let _ = std::fs::remove_dir_all(&dest);
    copy_tree(&root.join("sdk/src"), &dest.join("src"), &edit);

    // The SDK's manifest stands alone but for the macros' relative path.
    let manifest = std::fs::read_to_string(root.join("sdk/Cargo.toml")).expect("sdk manifest");
    let macros = format!("path = {:?}", root.join("sdk-macros").display().to_string());
    assert!(manifest.contains(r#"path = "../sdk-macros""#), "{manifest}");
    let mut out = manifest.replace(r#"path = "../sdk-macros""#, &macros);
    out.push_str("\n[workspace]\n");
    std::fs::write(dest.join("Cargo.toml"), edit("Cargo.toml", out)).expect("write manifest");
    dest
}

fn copy_tree(from: &Path, to: &Path, edit: &impl Fn(&str, String) -> String) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &target, edit);
        } else {
            let text = std::fs::read_to_string(&path).expect("read source");
            let name = entry.file_name().to_string_lossy().into_owned();
            std::fs::write(&target, edit(&name, text)).expect("write source");
        }
    }
}

/// A plugin's source: service `service`, one route `GET <path>` answering
/// `answer`.
pub fn answering_plugin(service: &str, path: &str, answer: &str) -> String {
    format!(
        "use fake_servicer::prelude::*;\n\
         #[route(get, \"{path}\")]\n\
         fn answer() -> &'static str {{ \"{answer}\" }}\n\
         fake_servicer::service!(name = \"{service}\", answer);\n"
    )
}

/// Crate `krate` built twice, as service `service` answering `v1` then `v2`
/// on `GET <path>`; both libraries kept as files under
/// `target/tmp/<krate>-builds`.
pub fn two_versions(krate: &str, service: &str, path: &str) -> (PathBuf, PathBuf) {
    let keep = tmp_dir().join(format!("{krate}-builds"));
    std::fs::create_dir_all(&keep).expect("builds dir");
    let plugin = PluginCrate::new(krate, &answering_plugin(service, path, "v1"));
    let v1 = plugin.build_to(&keep.join("v1.so"));
    plugin.write_src(&answering_plugin(service, path, "v2"));
    let v2 = plugin.build_to(&keep.join("v2.so"));
    (v1, v2)
}
