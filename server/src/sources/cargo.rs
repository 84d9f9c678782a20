//! Talking to cargo: which packages under a directory build a plugin
//! (`cargo metadata`), and building one (`cargo build --message-format
//! json`), with its libraries or its compiler errors.

use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

/// A package whose library is a `cdylib`: a plugin to build.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Package {
    pub name: String,
    pub manifest: PathBuf,
}

impl Package {
    /// The package's directory.
    pub fn dir(&self) -> &Path {
        self.manifest.parent().unwrap_or(Path::new("/"))
    }
}

/// Most bytes of compiler output kept for a failed build.
const MAX_ERROR: usize = 4096;

/// How a build ended.
#[derive(Debug)]
pub enum Built {
    /// The plugin libraries it made.
    Libraries(Vec<PathBuf>),
    /// The compiler's (or cargo's) errors, rendered and cut short.
    Failed(String),
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `cargo --version`, or why cargo cannot be run.
pub fn version() -> Result<String, String> {
    let out = cargo()
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo --version failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The plugin packages of the manifest at `manifest` (a package, or a
/// workspace and its members).
pub fn packages(manifest: &Path) -> Result<Vec<Package>, String> {
    let out = cargo()
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(manifest)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(short(&String::from_utf8_lossy(&out.stderr)));
    }
    let meta: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("cargo metadata answered something else than JSON: {e}"))?;
    Ok(plugin_packages(&meta))
}

/// The packages of `cargo metadata` output that have a `cdylib` target.
fn plugin_packages(meta: &Value) -> Vec<Package> {
    let empty = Vec::new();
    meta["packages"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter(|p| {
            p["targets"].as_array().unwrap_or(&empty).iter().any(|t| {
                t["crate_types"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|c| c == "cdylib"))
            })
        })
        .filter_map(|p| {
            Some(Package {
                name: p["name"].as_str()?.to_owned(),
                manifest: PathBuf::from(p["manifest_path"].as_str()?),
            })
        })
        .collect()
}

/// Builds the library of `package` into `target_dir`.
pub fn build(package: &Package, target_dir: &Path, release: bool) -> Built {
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--lib",
        "--message-format",
        "json",
        "--manifest-path",
    ])
    .arg(&package.manifest)
    .arg("--target-dir")
    .arg(target_dir)
    .stdin(Stdio::null());
    if release {
        cmd.arg("--release");
    }
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => return Built::Failed(format!("cannot run cargo build: {e}")),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let messages = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok());
    if out.status.success() {
        return Built::Libraries(libraries(messages));
    }
    let errors = errors(messages);
    Built::Failed(if errors.is_empty() {
        short(&String::from_utf8_lossy(&out.stderr))
    } else {
        short(&errors)
    })
}

/// The `cdylib` files among cargo's artifact messages.
fn libraries(messages: impl Iterator<Item = Value>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for m in messages.filter(|m| m["reason"] == "compiler-artifact") {
        let cdylib = m["target"]["crate_types"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c == "cdylib"));
        if !cdylib {
            continue;
        }
        for file in m["filenames"].as_array().into_iter().flatten() {
            let Some(file) = file.as_str().map(PathBuf::from) else {
                continue;
            };
            if file
                .extension()
                .is_some_and(|e| e == std::env::consts::DLL_EXTENSION)
            {
                found.push(file);
            }
        }
    }
    found
}

/// The rendered errors among cargo's compiler messages.
fn errors(messages: impl Iterator<Item = Value>) -> String {
    messages
        .filter(|m| m["reason"] == "compiler-message" && m["message"]["level"] == "error")
        .filter_map(|m| m["message"]["rendered"].as_str().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` trimmed and cut to [`MAX_ERROR`] bytes (on a character boundary).
fn short(text: &str) -> String {
    let text = text.trim();
    if text.len() <= MAX_ERROR {
        return text.to_owned();
    }
    let mut end = MAX_ERROR;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n… (cut; the whole output is cargo's)", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_cdylib_packages_are_plugins() {
        let meta = json!({"packages": [
            {"name": "p", "manifest_path": "/s/p/Cargo.toml",
             "targets": [{"crate_types": ["cdylib"]}]},
            {"name": "lib", "manifest_path": "/s/lib/Cargo.toml",
             "targets": [{"crate_types": ["lib"]}, {"crate_types": ["bin"]}]}
        ]});
        assert_eq!(
            plugin_packages(&meta),
            [Package {
                name: "p".into(),
                manifest: "/s/p/Cargo.toml".into()
            }]
        );
    }

    #[test]
    fn artifacts_and_errors_are_read_from_cargos_messages() {
        let so = format!("/t/debug/libp.{}", std::env::consts::DLL_EXTENSION);
        let messages = vec![
            json!({"reason": "compiler-artifact", "target": {"crate_types": ["lib"]}, "filenames": ["/t/debug/libdep.rlib"]}),
            json!({"reason": "compiler-artifact", "target": {"crate_types": ["cdylib"]}, "filenames": [so]}),
            json!({"reason": "compiler-message", "message": {"level": "warning", "rendered": "warning: unused"}}),
            json!({"reason": "compiler-message", "message": {"level": "error", "rendered": "error[E0425]: cannot find value `x`"}}),
        ];
        assert_eq!(
            libraries(messages.clone().into_iter()),
            [PathBuf::from(&so)]
        );
        assert_eq!(
            errors(messages.into_iter()),
            "error[E0425]: cannot find value `x`"
        );
    }

    #[test]
    fn long_output_is_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_ERROR);
        let cut = short(&long);
        assert!(cut.len() < long.len());
        assert!(cut.ends_with("(cut; the whole output is cargo's)"));
    }
}
