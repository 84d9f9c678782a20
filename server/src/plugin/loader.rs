//! Loads one plugin library: sanity-checks the file, copies it to a private
//! unique path (glibc hands back the old handle for a path or hard link it
//! has already opened), `dlopen`s the copy and checks its root module with
//! abi_stable. Libraries are never unloaded.

use super::elf::{self, ElfError};
use crate::routing::RouteTable;
use abi_stable::library::{LibraryError, lib_header_from_path};
use abi_stable::std_types::RStr;
use fake_servicer::abi::{
    ROOT_MODULE_SYMBOL, SDK_ABI_VERSION, SDK_VERSION, ServiceModuleRef, prefix, with_descriptors,
};
use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};
use thiserror::Error;

/// Why a library was refused. The message is one line; the file is named by
/// the caller.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{0}")]
    Elf(#[from] ElfError),
    #[error("cannot copy to the private load dir {dir}: {err}")]
    Copy { dir: PathBuf, err: std::io::Error },
    #[error("dlopen failed: {0}")]
    Open(String),
    #[error(
        "not a fake-servicer plugin: it exports no root module (build it with `fake_servicer::service!(...)` and crate-type = [\"cdylib\"])"
    )]
    NotAPlugin,
    #[error("a proc-macro library, not a plugin")]
    ProcMacro,
    #[error(
        "built with fake-servicer-sdk {plugin}, this server needs a compatible {server}: rebuild the plugin against fake-servicer-sdk {server}"
    )]
    SdkVersion { plugin: String, server: String },
    #[error(
        "plugin ABI v{plugin} (fake-servicer-sdk {sdk}), this server speaks ABI v{server}: rebuild the plugin against fake-servicer-sdk {server_sdk}"
    )]
    AbiVersion {
        plugin: u32,
        sdk: String,
        server: u32,
        server_sdk: &'static str,
    },
    #[error(
        "incompatible plugin ABI: {0}; rebuild the plugin against fake-servicer-sdk {SDK_VERSION}"
    )]
    Layout(String),
    #[error("the plugin failed to initialise: {0}")]
    Init(String),
    #[error("invalid routes: {0}")]
    Routes(String),
}

/// A loaded library and what it exports.
pub struct Library {
    /// The service name the plugin declares.
    pub name: String,
    /// The SDK version the plugin was built with.
    pub sdk_version: String,
    /// Its routes.
    pub routes: RouteTable,
    /// Its gRPC descriptors: an encoded `FileDescriptorSet`, as the plugin
    /// gave it (unchecked: read by `crate::grpc`); empty when it gives none,
    /// as a plugin built before the field existed does.
    pub grpc_descriptors: Vec<u8>,
    /// Makes the plugin's stores drop a scope's state (the empty string:
    /// all of it); `None` for a plugin of an SDK before it, which keeps no
    /// state per scope and is not told its requests' scopes.
    pub forget_scope: Option<extern "C" fn(RStr<'_>)>,
    /// The module, as its prefix (kept for the lifetime of the process:
    /// never unloaded).
    pub module: prefix::ServiceModuleRef,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("name", &self.name)
            .field("sdk_version", &self.sdk_version)
            .field("grpc_descriptors", &self.grpc_descriptors.len())
            .field("forget_scope", &self.forget_scope.is_some())
            .finish_non_exhaustive()
    }
}

static COPY_SEQ: AtomicU64 = AtomicU64::new(0);

/// Loads the library whose content is `bytes` (read from `source`), using
/// `scratch` for the private copy.
pub fn load(source: &Path, bytes: &[u8], scratch: &Path) -> Result<Library, LoadError> {
    elf::check(bytes)?;
    // Refuse what cannot be a plugin before dlopen runs any of its code.
    // A proc-macro library first: the SDK's own (`service!`) holds the root
    // symbol's name as a string, though it exports no such symbol.
    if memchr::memmem::find(bytes, b"__rustc_proc_macro_decls_").is_some() {
        return Err(LoadError::ProcMacro);
    }
    if memchr::memmem::find(bytes, ROOT_MODULE_SYMBOL.as_bytes()).is_none() {
        return Err(LoadError::NotAPlugin);
    }

    let file_name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plugin.so".to_owned());
    let seq = COPY_SEQ.fetch_add(1, Ordering::Relaxed);
    let copy = scratch.join(format!("{seq}-{file_name}"));
    std::fs::write(&copy, bytes).map_err(|err| LoadError::Copy {
        dir: scratch.to_owned(),
        err,
    })?;
    let header = lib_header_from_path(&copy);
    // The mapping keeps the inode alive; the name is not needed any more.
    let _ = std::fs::remove_file(&copy);
    let header = header.map_err(describe)?;

    // Checked as its prefix, which plugins of every SDK 0.1 have: against
    // today's whole module, abi_stable would refuse one built before a
    // field was appended (see `fake_servicer::abi::prefix`).
    let module = header
        .init_root_module::<prefix::ServiceModuleRef>()
        .map_err(describe)?;
    let abi_version = module.abi_version();
    let sdk_version = module.sdk_version().as_str().to_owned();
    if abi_version != SDK_ABI_VERSION {
        return Err(LoadError::AbiVersion {
            plugin: abi_version,
            sdk: sdk_version,
            server: SDK_ABI_VERSION,
            server_sdk: SDK_VERSION,
        });
    }
    let name = module.name().as_str().to_owned();
    let routes = RouteTable::build(module.routes().as_slice()).map_err(LoadError::Routes)?;
    // The fields after the prefix, through the newest view the module
    // passes: a module of an earlier SDK fails the check of a later view.
    let (grpc_descriptors, forget_scope) = if let Ok(whole) =
        header.check_layout::<ServiceModuleRef>()
    {
        // `None` for a field the module lacks.
        let descriptors = whole.grpc_descriptors().map(|set| set.as_slice().to_vec());
        (descriptors.unwrap_or_default(), whole.forget_scope())
    } else if let Ok(earlier) = header.check_layout::<with_descriptors::ServiceModuleRef>() {
        tracing::debug!(file = %source.display(), "a plugin of an earlier SDK: no state per scope");
        let descriptors = earlier
            .grpc_descriptors()
            .map(|set| set.as_slice().to_vec());
        (descriptors.unwrap_or_default(), None)
    } else {
        tracing::debug!(file = %source.display(), "a plugin of an earlier SDK: no gRPC descriptors");
        (Vec::new(), None)
    };
    Ok(Library {
        name,
        sdk_version,
        routes,
        grpc_descriptors,
        forget_scope,
        module,
    })
}

/// Turns abi_stable's error (whose layout report runs to kilobytes) into
/// one line.
fn describe(err: LibraryError) -> LoadError {
    match err {
        LibraryError::OpenError { err, .. } => LoadError::Open(err.to_string()),
        LibraryError::GetSymbolError { .. } | LibraryError::InvalidAbiHeader(_) => {
            LoadError::NotAPlugin
        }
        LibraryError::IncompatibleVersionNumber {
            expected_version,
            actual_version,
            ..
        } => LoadError::SdkVersion {
            plugin: actual_version.to_string(),
            server: expected_version.to_string(),
        },
        LibraryError::AbiInstability(report) => {
            let report = report.to_string();
            tracing::debug!("abi_stable layout report:\n{report}");
            LoadError::Layout(error_lines(&report))
        }
        LibraryError::RootModule { err, .. } => LoadError::Init(first_line(&err.to_string())),
        other => LoadError::Layout(error_lines(&other.to_string())),
    }
}

/// Keeps the `Error:` lines of abi_stable's layout report, deduplicated and
/// prefixed with the type they are about ("FfiFault: incompatible type size").
fn error_lines(report: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut in_expected = false;
    let mut current_type: Option<&str> = None;
    for line in report.lines() {
        let line = line.trim();
        if line.starts_with("Layout of expected type:") {
            in_expected = true;
        } else if in_expected && let Some(ty) = line.strip_prefix("type:") {
            current_type = Some(ty.trim());
            in_expected = false;
        } else if let Some(rest) = line.strip_prefix("Error:") {
            let rest = rest.trim();
            if rest.is_empty() {
                continue;
            }
            let text = match current_type {
                Some(ty) => format!("{ty}: {rest}"),
                None => rest.to_owned(),
            };
            if !lines.contains(&text) {
                lines.push(text);
            }
        }
    }
    let text = if lines.is_empty() {
        first_line(report)
    } else {
        lines.join("; ")
    };
    truncate(text, 400)
}

fn first_line(s: &str) -> String {
    truncate(
        s.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_owned(),
        400,
    )
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_report_is_reduced_to_its_error_lines() {
        let report = "--- Layout ---\nfield a\n  Error: mismatched field count\n  expected 3 found 4\nError: mismatched field count\nError: wrong size\n";
        assert_eq!(error_lines(report), "mismatched field count; wrong size");
        let typed = "Layout of expected type:\n    --- Type Layout ---\n    type:FfiFault\n    size:1\nError:incompatible type size\nExpected:\n    1\nError:incompatible type alignment\n";
        assert_eq!(
            error_lines(typed),
            "FfiFault: incompatible type size; FfiFault: incompatible type alignment"
        );
        assert_eq!(error_lines("just one line\nand more"), "just one line");
    }

    #[test]
    fn text_file_is_refused_before_dlopen() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(Path::new("libx.so"), b"not a library", dir.path()).unwrap_err();
        assert!(matches!(err, LoadError::Elf(ElfError::NotElf)), "{err}");
    }

    #[test]
    fn library_without_root_module_is_not_a_plugin() {
        let dir = tempfile::tempdir().unwrap();
        let libm = [
            "/lib/x86_64-linux-gnu/libm.so.6",
            "/lib/aarch64-linux-gnu/libm.so.6",
        ]
        .iter()
        .find_map(|p| std::fs::read(p).ok().map(|b| (p, b)));
        let (path, bytes) = libm.expect("a libm.so.6 to test with");
        let err = load(Path::new(path), &bytes, dir.path()).unwrap_err();
        assert!(matches!(err, LoadError::NotAPlugin), "{err}");
    }
}
