//! `fake-servicer new NAME [DIR]`: a plugin crate that builds as it stands —
//! `Cargo.toml` with the SDK, `src/lib.rs` with one routed handler and its
//! unit test, a `.gitignore`. The SDK path is relative and the crate joins
//! the cargo workspace above it when that workspace lists it, so the crate
//! builds the same on the host, in an image build and in a container that
//! mounts it.

use std::{
    io,
    path::{Path, PathBuf},
};
use thiserror::Error;

/// Where the new crate takes the SDK from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sdk {
    /// A local checkout of the SDK crate, written as a path relative to the
    /// new crate (`fake-servicer-sdk = { path = "../../sdk" }`), so that the
    /// crate builds wherever the two keep their places: on the host, in an
    /// image that copies the repository, in a container that mounts it.
    Path(PathBuf),
    /// The registry version matching this server.
    Registry,
}

impl Sdk {
    /// The SDK source when none is given: the `FAKE_SERVICER_SDK` directory,
    /// else the SDK beside the sources this binary was built from (when it
    /// is still there), else the registry.
    pub fn default_for_this_build() -> Sdk {
        if let Some(dir) = std::env::var_os("FAKE_SERVICER_SDK").filter(|d| !d.is_empty()) {
            return Sdk::Path(PathBuf::from(dir));
        }
        let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
        match beside.join("Cargo.toml").is_file() {
            true => Sdk::Path(beside),
            false => Sdk::Registry,
        }
    }

    /// The dependency's TOML value for a crate in `crate_dir` (absolute).
    fn dependency(&self, crate_dir: &Path) -> String {
        match self {
            Sdk::Path(dir) => {
                let sdk = absolute(dir);
                let rel = relative(crate_dir, &sdk);
                format!("{{ path = {:?} }}", rel.to_string_lossy())
            }
            Sdk::Registry => format!("\"{}\"", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// The cargo workspace the new crate finds above it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Workspace {
    /// None: the crate is a workspace of its own without saying so.
    Alone,
    /// The workspace rooted at this directory takes the crate in (its
    /// `members` globs match it): the crate is written without a
    /// `[workspace]` table and builds as a member.
    Member(PathBuf),
    /// The workspace rooted here does not list the crate: it gets an empty
    /// `[workspace]` table, else cargo would refuse to build it.
    Outside(PathBuf),
}

impl Workspace {
    /// What cargo makes of a crate at `dir` (absolute): the nearest
    /// `Cargo.toml` above it with a `[workspace]` table decides.
    pub fn of(dir: &Path) -> Workspace {
        #[derive(serde::Deserialize)]
        struct Manifest {
            workspace: Option<Table>,
        }
        #[derive(serde::Deserialize)]
        struct Table {
            #[serde(default)]
            members: Vec<String>,
            #[serde(default)]
            exclude: Vec<String>,
        }
        for root in dir.ancestors().skip(1) {
            let Ok(text) = std::fs::read_to_string(root.join("Cargo.toml")) else {
                continue;
            };
            let Ok(Manifest {
                workspace: Some(table),
            }) = toml::from_str::<Manifest>(&text)
            else {
                continue;
            };
            let Ok(rel) = dir.strip_prefix(root) else {
                return Workspace::Outside(root.to_owned());
            };
            let clean = |p: &str| p.trim_start_matches("./").trim_end_matches('/').to_owned();
            let excluded = table.exclude.iter().any(|e| rel.starts_with(clean(e)));
            let options = glob::MatchOptions {
                require_literal_separator: true,
                ..glob::MatchOptions::new()
            };
            let listed = table.members.iter().any(|m| {
                glob::Pattern::new(&clean(m)).is_ok_and(|p| p.matches_path_with(rel, options))
            });
            return match listed && !excluded {
                true => Workspace::Member(root.to_owned()),
                false => Workspace::Outside(root.to_owned()),
            };
        }
        Workspace::Alone
    }
}

/// Why no crate was written.
#[derive(Debug, Error)]
pub enum ScaffoldError {
    #[error(
        "{name:?} is not a crate name: use lower-case letters, digits, `_` and `-`, starting with a letter"
    )]
    Name { name: String },
    #[error("{} already exists and is not empty: choose another directory", .0.display())]
    NotEmpty(PathBuf),
    #[error("cannot write {}: {err}", path.display())]
    Write { path: PathBuf, err: io::Error },
}

/// What [`new_plugin`] wrote, and where.
#[derive(Debug)]
pub struct Written {
    /// The crate's directory, absolute.
    pub dir: PathBuf,
    /// The files written.
    pub files: Vec<PathBuf>,
    /// The workspace the crate belongs to.
    pub workspace: Workspace,
}

/// Writes the crate `name` into `dir` (which must be missing or empty).
pub fn new_plugin(name: &str, dir: &Path, sdk: &Sdk) -> Result<Written, ScaffoldError> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !valid {
        return Err(ScaffoldError::Name {
            name: name.to_owned(),
        });
    }
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(ScaffoldError::NotEmpty(dir.to_owned()));
    }
    let owner = owner_above(dir);
    std::fs::create_dir_all(dir).map_err(|err| ScaffoldError::Write {
        path: dir.to_owned(),
        err,
    })?;
    let dir = absolute(dir);
    let workspace = Workspace::of(&dir);
    let service = name.replace('-', "_");
    let files = [
        (
            "Cargo.toml",
            cargo_toml(name, &sdk.dependency(&dir), &workspace),
        ),
        ("src/lib.rs", lib_rs(&service)),
        (".gitignore", "/target\n".to_owned()),
    ];
    let mut written = Vec::new();
    for (rel, text) in files {
        let path = dir.join(rel);
        let write = |path: &Path| {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, &text)
        };
        write(&path).map_err(|err| ScaffoldError::Write {
            path: path.clone(),
            err,
        })?;
        written.push(path);
    }
    if let Some(owner) = owner {
        give_to(owner, &dir, &written);
    }
    Ok(Written {
        dir,
        files: written,
        workspace,
    })
}

/// When run as root (as `docker-compose run` does) into a directory someone
/// else owns, the owner (uid, gid) of the nearest existing directory above
/// `dir`, so the new crate can be given to them.
fn owner_above(dir: &Path) -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let meta = absolute(dir)
        .ancestors()
        .find_map(|a| std::fs::metadata(a).ok())?;
    (meta.uid() != 0).then(|| (meta.uid(), meta.gid()))
}

/// Gives the crate's directories and files to `owner`; a failure only
/// leaves them root's, so it is not an error.
fn give_to((uid, gid): (u32, u32), dir: &Path, files: &[PathBuf]) {
    let dirs = files.iter().filter_map(|f| f.parent());
    for path in std::iter::once(dir)
        .chain(dirs)
        .chain(files.iter().map(PathBuf::as_path))
    {
        let _ = std::os::unix::fs::chown(path, Some(uid), Some(gid));
    }
}

/// `path` made absolute with symbolic links resolved where it exists, else
/// joined to the working directory.
fn absolute(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_owned())
    })
}

/// The path from directory `from` to `to`, both absolute.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut rel: PathBuf = std::iter::repeat_n("..", from.len() - common).collect();
    rel.extend(&to[common..]);
    match rel.as_os_str().is_empty() {
        true => PathBuf::from("."),
        false => rel,
    }
}

fn cargo_toml(name: &str, sdk: &str, workspace: &Workspace) -> String {
    let own_workspace = match workspace {
        Workspace::Outside(root) => format!(
            "\n# The workspace at {} does not list this crate: a workspace of its\n# own. Remove this table after adding the crate to its `members`.\n[workspace]\n",
            root.display()
        ),
        Workspace::Alone | Workspace::Member(_) => String::new(),
    };
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"

[lib]
# A library fake-servicer loads.
crate-type = ["cdylib"]

[dependencies]
fake-servicer-sdk = {sdk}
serde = {{ version = "1", features = ["derive"] }}
{own_workspace}"#
    )
}

fn lib_rs(service: &str) -> String {
    format!(
        r#"//! The `{service}` mock service, served by fake-servicer at
//! `http://{service}/…` and `http://fake-services/{service}/…`.

use fake_servicer::prelude::*;

#[derive(Serialize)]
struct Greeting {{
    service: &'static str,
    message: String,
}}

/// `GET /hello/{{name}}` answers a greeting as JSON.
#[route(get, "/hello/{{name}}")]
fn hello(Path(name): Path<String>) -> Json<Greeting> {{
    Json(Greeting {{
        service: "{service}",
        message: format!("hello, {{name}}"),
    }})
}}

fake_servicer::service!(hello);

#[cfg(test)]
mod tests {{
    use super::*;

    #[test]
    fn hello_greets_by_name() {{
        let Json(greeting) = hello(Path("ada".to_owned()));
        assert_eq!(greeting.message, "hello, ada");
    }}
}}
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_not_crate_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["", "Payments", "9lives", "pay ments", "pay/ments"] {
            assert!(
                matches!(
                    new_plugin(bad, dir.path(), &Sdk::Registry),
                    Err(ScaffoldError::Name { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_non_empty_directory_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
        assert!(matches!(
            new_plugin("payments", dir.path(), &Sdk::Registry),
            Err(ScaffoldError::NotEmpty(_))
        ));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn the_sdk_is_a_path_relative_to_the_crate_or_this_version() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("app/sdk")).unwrap();
        new_plugin(
            "pay-ments",
            &root.join("app/services/a"),
            &Sdk::Path(root.join("app/sdk")),
        )
        .unwrap();
        let toml = std::fs::read_to_string(root.join("app/services/a/Cargo.toml")).unwrap();
        assert!(
            toml.contains(r#"fake-servicer-sdk = { path = "../../sdk" }"#),
            "{toml}"
        );
        let lib = std::fs::read_to_string(root.join("app/services/a/src/lib.rs")).unwrap();
        assert!(lib.contains(r#"service: "pay_ments""#), "{lib}");
        new_plugin("b", &root.join("b"), &Sdk::Registry).unwrap();
        let toml = std::fs::read_to_string(root.join("b/Cargo.toml")).unwrap();
        let version = env!("CARGO_PKG_VERSION");
        assert!(
            toml.contains(&format!(r#"fake-servicer-sdk = "{version}""#)),
            "{toml}"
        );
    }

    #[test]
    fn paths_between_directories_climb_then_descend() {
        let rel = |a: &str, b: &str| relative(Path::new(a), Path::new(b));
        assert_eq!(rel("/app/services/x", "/app/sdk"), Path::new("../../sdk"));
        assert_eq!(rel("/a/b", "/a/b/c"), Path::new("c"));
        assert_eq!(rel("/a/b", "/a/b"), Path::new("."));
        assert_eq!(rel("/tmp/x", "/work/sdk"), Path::new("../../work/sdk"));
    }

    fn workspace_with(members: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            format!("[workspace]\nmembers = {members}\nexclude = [\"plugins/old\"]\n"),
        )
        .unwrap();
        dir
    }

    #[test]
    fn a_crate_its_workspace_lists_is_written_as_a_member() {
        let ws = workspace_with(r#"["server", "plugins/*"]"#);
        let root = ws.path().canonicalize().unwrap();
        let written =
            new_plugin("payments", &root.join("plugins/payments"), &Sdk::Registry).unwrap();
        assert_eq!(written.workspace, Workspace::Member(root.clone()));
        let toml = std::fs::read_to_string(root.join("plugins/payments/Cargo.toml")).unwrap();
        assert!(!toml.contains("[workspace]"), "{toml}");
    }

    #[test]
    fn a_crate_its_workspace_does_not_list_gets_a_workspace_of_its_own() {
        let ws = workspace_with(r#"["plugins/*"]"#);
        let root = ws.path().canonicalize().unwrap();
        for dir in ["elsewhere/payments", "plugins/old", "plugins/deep/payments"] {
            let written = new_plugin("payments", &root.join(dir), &Sdk::Registry).unwrap();
            assert_eq!(written.workspace, Workspace::Outside(root.clone()), "{dir}");
            let toml = std::fs::read_to_string(root.join(dir).join("Cargo.toml")).unwrap();
            assert!(toml.contains("\n[workspace]\n"), "{dir}: {toml}");
        }
    }

    #[test]
    fn a_crate_with_no_workspace_above_has_no_workspace_table() {
        let dir = tempfile::tempdir().unwrap();
        let written = new_plugin("payments", &dir.path().join("p"), &Sdk::Registry).unwrap();
        // (A temporary directory has no Cargo.toml above it.)
        assert_eq!(written.workspace, Workspace::Alone);
        let toml = std::fs::read_to_string(dir.path().join("p/Cargo.toml")).unwrap();
        assert!(!toml.contains("[workspace]"), "{toml}");
    }

    #[test]
    fn as_root_the_crate_is_given_to_the_owner_of_the_directory_above() {
        use std::os::unix::fs::MetadataExt;
        if unsafe { libc::geteuid() } != 0 {
            eprintln!(
                "SKIPPED: as_root_the_crate_is_given_to_the_owner_of_the_directory_above: not root"
            );
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let services = dir.path().join("services");
        std::fs::create_dir(&services).unwrap();
        std::os::unix::fs::chown(&services, Some(1234), Some(2345)).unwrap();
        let written = new_plugin("payments", &services.join("payments"), &Sdk::Registry).unwrap();
        for path in written
            .files
            .iter()
            .chain([&written.dir, &written.dir.join("src")])
        {
            let meta = std::fs::metadata(path).unwrap();
            assert_eq!((meta.uid(), meta.gid()), (1234, 2345), "{}", path.display());
        }
    }
}
