//! `fake-servicer new NAME [DIR]`: a plugin crate that builds as it stands —
//! `Cargo.toml` with the SDK, `src/lib.rs` with one routed handler and its
//! unit test, a `.gitignore`.

use std::{
    io,
    path::{Path, PathBuf},
};
use thiserror::Error;

/// Where the new crate takes the SDK from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sdk {
    /// A local checkout of the SDK crate (`fake-servicer-sdk = { path = … }`).
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
            true => Sdk::Path(beside.canonicalize().unwrap_or(beside)),
            false => Sdk::Registry,
        }
    }

    fn dependency(&self) -> String {
        match self {
            Sdk::Path(dir) => format!("{{ path = {:?} }}", dir.display().to_string()),
            Sdk::Registry => format!("\"{}\"", env!("CARGO_PKG_VERSION")),
        }
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

/// Writes the crate `name` into `dir` (which must be missing or empty);
/// returns the files written.
pub fn new_plugin(name: &str, dir: &Path, sdk: &Sdk) -> Result<Vec<PathBuf>, ScaffoldError> {
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
    let service = name.replace('-', "_");
    let files = [
        ("Cargo.toml", cargo_toml(name, sdk)),
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
    Ok(written)
}

fn cargo_toml(name: &str, sdk: &Sdk) -> String {
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

# A workspace of its own; remove this table to make the crate a member of an
# enclosing workspace.
[workspace]
"#,
        sdk = sdk.dependency()
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
    fn the_sdk_is_a_path_or_this_version() {
        let dir = tempfile::tempdir().unwrap();
        new_plugin(
            "pay-ments",
            &dir.path().join("a"),
            &Sdk::Path("/sdk".into()),
        )
        .unwrap();
        let toml = std::fs::read_to_string(dir.path().join("a/Cargo.toml")).unwrap();
        assert!(
            toml.contains(r#"fake-servicer-sdk = { path = "/sdk" }"#),
            "{toml}"
        );
        let lib = std::fs::read_to_string(dir.path().join("a/src/lib.rs")).unwrap();
        assert!(lib.contains(r#"service: "pay_ments""#), "{lib}");
        new_plugin("b", &dir.path().join("b"), &Sdk::Registry).unwrap();
        let toml = std::fs::read_to_string(dir.path().join("b/Cargo.toml")).unwrap();
        let version = env!("CARGO_PKG_VERSION");
        assert!(
            toml.contains(&format!(r#"fake-servicer-sdk = "{version}""#)),
            "{toml}"
        );
    }
}
