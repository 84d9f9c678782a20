//! Talking to cargo: which packages under a directory build a plugin
//! (`cargo metadata`), and building one (`cargo build --message-format
//! json`), with its libraries or its compiler errors. A build runs as a
//! process group of its own, for at most its timeout ([`super::process`]),
//! and what it writes is kept within a cap ([`Capped`]).

use super::{
    capped::Capped,
    process::{self, Ended, Line, Stop},
};
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
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

/// Most bytes kept of what `cargo metadata` says when it fails.
const MAX_ERROR: usize = 4096;

/// How a build ended.
#[derive(Debug)]
pub enum Built {
    /// The plugin libraries it made.
    Libraries(Vec<PathBuf>),
    /// The compiler's (or cargo's) errors, rendered, their head and tail
    /// kept ([`Capped`]); or why the build was killed.
    Failed(String),
    /// Killed because the server is stopping.
    Stopped,
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

/// Builds the library of `package` into `target_dir`, for at most
/// `timeout`; `stop` kills it (the server stopping).
pub fn build(
    package: &Package,
    target_dir: &Path,
    release: bool,
    timeout: Duration,
    stop: &Stop,
) -> Built {
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
    .arg(target_dir);
    if release {
        cmd.arg("--release");
    }
    let mut messages = Messages::default();
    let mut stderr = Capped::default();
    let ended = process::run(
        &mut cmd,
        timeout,
        stop,
        &mut |line| messages.read(line),
        &mut stderr,
    );
    match ended {
        Err(e) => Built::Failed(format!("cannot run cargo build: {e}")),
        Ok(Ended::Stopped) => Built::Stopped,
        Ok(Ended::TimedOut) => Built::Failed(timed_out(timeout, &stderr)),
        Ok(Ended::Exited(status)) if status.success() => Built::Libraries(messages.libraries),
        Ok(Ended::Exited(_)) if messages.errors.is_empty() => Built::Failed(stderr.text()),
        Ok(Ended::Exited(_)) => Built::Failed(messages.errors.text()),
    }
}

/// The error of a build killed at its timeout, with what cargo had said.
fn timed_out(timeout: Duration, stderr: &Capped) -> String {
    let mut text = format!(
        "timed out: the build ran longer than --build-timeout ({timeout:?}) and was killed, with every process it started"
    );
    if !stderr.is_empty() {
        text.push_str("; cargo's output until then:\n");
        text.push_str(&stderr.text());
    }
    text
}

/// What cargo's JSON messages (stdout, one a line) say, as they come: the
/// `cdylib` files it made, and the compiler's rendered errors.
#[derive(Default)]
struct Messages {
    libraries: Vec<PathBuf>,
    errors: Capped,
}

impl Messages {
    fn read(&mut self, line: Line<'_>) {
        let message = match line {
            Line::Whole(line) => serde_json::from_slice::<Value>(line),
            // Not a message worth its memory (a rendered error that long
            // would be cut anyway).
            Line::TooLong(_) => return,
        };
        let Ok(m) = message else {
            return;
        };
        match m["reason"].as_str() {
            Some("compiler-artifact") => self.libraries.extend(libraries(&m)),
            Some("compiler-message") if m["message"]["level"] == "error" => {
                if let Some(rendered) = m["message"]["rendered"].as_str() {
                    if !self.errors.is_empty() {
                        self.errors.push(b"\n");
                    }
                    self.errors.push(rendered.as_bytes());
                }
            }
            _ => {}
        }
    }
}

/// The `cdylib` files of an artifact message.
fn libraries(artifact: &Value) -> Vec<PathBuf> {
    let cdylib = artifact["target"]["crate_types"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c == "cdylib"));
    if !cdylib {
        return Vec::new();
    }
    artifact["filenames"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .filter(|f| {
            f.extension()
                .is_some_and(|e| e == std::env::consts::DLL_EXTENSION)
        })
        .collect()
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

    fn read(messages: &[Value]) -> Messages {
        let mut read = Messages::default();
        for m in messages {
            read.read(Line::Whole(m.to_string().as_bytes()));
        }
        read
    }

    #[test]
    fn artifacts_and_errors_are_read_from_cargos_messages() {
        let so = format!("/t/debug/libp.{}", std::env::consts::DLL_EXTENSION);
        let read = read(&[
            json!({"reason": "compiler-artifact", "target": {"crate_types": ["lib"]}, "filenames": ["/t/debug/libdep.rlib"]}),
            json!({"reason": "compiler-artifact", "target": {"crate_types": ["cdylib"]}, "filenames": [so]}),
            json!({"reason": "compiler-message", "message": {"level": "warning", "rendered": "warning: unused"}}),
            json!({"reason": "compiler-message", "message": {"level": "error", "rendered": "error[E0425]: cannot find value `x`"}}),
            json!({"reason": "compiler-message", "message": {"level": "error", "rendered": "error: aborting"}}),
        ]);
        assert_eq!(read.libraries, [PathBuf::from(&so)]);
        assert_eq!(
            read.errors.text(),
            "error[E0425]: cannot find value `x`\nerror: aborting"
        );
    }

    #[test]
    fn many_compiler_errors_keep_the_first_and_the_last() {
        let error = |n: usize| {
            json!({"reason": "compiler-message", "message": {"level": "error",
                   "rendered": format!("error {n}: {}", "x".repeat(1000))}})
        };
        let read = read(&(0..1000).map(error).collect::<Vec<_>>());
        let text = read.errors.text();
        assert!(text.len() < 200 * 1024, "{}", text.len());
        assert!(text.starts_with("error 0: "), "{text}");
        assert!(text.contains("error 999: "), "{text}");
        assert!(text.contains(" bytes left out …"), "{text}");
    }

    #[test]
    fn a_timed_out_build_names_the_timeout_and_shows_cargos_output() {
        let mut stderr = Capped::default();
        stderr.push(b"   Compiling p v0.1.0\n");
        let text = timed_out(Duration::from_secs(2), &stderr);
        assert!(text.starts_with("timed out"), "{text}");
        assert!(text.contains("--build-timeout (2s)"), "{text}");
        assert!(text.ends_with("Compiling p v0.1.0"), "{text}");
    }

    #[test]
    fn long_output_is_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_ERROR);
        let cut = short(&long);
        assert!(cut.len() < long.len());
        assert!(cut.ends_with("(cut; the whole output is cargo's)"));
    }
}
