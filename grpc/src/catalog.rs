//! What the descriptors of a directory define: its services, their methods, and
//! the message types those read and write.

mod compile;
mod expected;
mod json;
mod merge;
mod method;
mod walk;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use prost_reflect::DescriptorPool;

pub use json::TranscodeError;
pub use method::Method;

/// The services, methods and message types of a directory's `.proto` files and
/// descriptor sets, merged into one descriptor pool.
///
/// Cloning is cheap: the pool is shared.
#[derive(Clone)]
pub struct Catalog {
    pool: DescriptorPool,
}

/// A file of the directory (or a descriptor set) that was left out of a
/// [`Catalog`], and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file (or directory) as found under the loaded directory; for a set
    /// given to [`Catalog::merged`], its origin.
    pub path: PathBuf,
    /// Why, in one line.
    pub reason: String,
}

impl Problem {
    fn new(path: impl Into<PathBuf>, reason: impl Into<String>) -> Problem {
        let reason: String = reason.into();
        Problem {
            path: path.into(),
            reason: one_line(&reason),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// `text` with its line breaks (and the indentation after them) as single spaces.
fn one_line(text: &str) -> String {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Catalog {
    /// A catalog that knows no file.
    pub fn empty() -> Catalog {
        Catalog {
            pool: DescriptorPool::new(),
        }
    }

    /// Every `*.proto` and every descriptor set under `dir`, recursively, in path order.
    ///
    /// - A `.proto` is compiled with protox, with `dir` as the only import root; the
    ///   well-known types (`google/protobuf/*.proto`) resolve without files.
    /// - A `*.dsc`, `*.desc`, `*.pb` or `*.protoset` file is a serialized
    ///   `FileDescriptorSet`, e.g. from `protoc --descriptor_set_out --include_imports`
    ///   or `buf build -o`. A set that imports well-known types without including
    ///   them gets them; one that imports a file another file of the directory
    ///   defines loads after it.
    ///
    /// A file that cannot be read, does not parse or compile, is larger than
    /// `max_file_bytes`, or conflicts with one loaded earlier (the same file name with
    /// different definitions, or a symbol defined twice) is reported in the problems,
    /// with its path and a one-line reason, and left out; the rest load. The same file
    /// in two forms (a `.proto` and a descriptor set made from it) is no conflict;
    /// well-known types always keep their first definition.
    ///
    /// A missing `dir` is an empty catalog with no problem.
    ///
    /// It reads files and compiles: call it where blocking is fine (a blocking
    /// task, start-up), then share the catalog.
    pub fn load_dir(dir: &Path, max_file_bytes: u64) -> (Catalog, Vec<Problem>) {
        let mut problems = Vec::new();
        let found = walk::find(dir, &mut problems);
        let candidates = compile::candidates(&found, max_file_bytes, &mut problems);
        let mut pool = DescriptorPool::new();
        merge::merge_all(
            &mut pool,
            candidates,
            &mut problems,
            "defined by no file of the directory",
            |_, _| None,
        );
        problems.sort_by(|a, b| a.path.cmp(&b.path));
        for problem in &problems {
            tracing::debug!(path = %problem.path.display(), reason = %problem.reason, "descriptor file left out");
        }
        (Catalog { pool }, problems)
    }

    /// This catalog with more descriptor sets added: `sets` are `(origin, bytes)`,
    /// each an encoded `google.protobuf.FileDescriptorSet` (a plugin's, say)
    /// that the origin names; this catalog is unchanged.
    ///
    /// The sets are added after this catalog's files, in order, each whole or not
    /// at all, as [`Catalog::load_dir`] adds a directory's files: one may import
    /// what this catalog or another set defines, and a file both define the same
    /// way is no conflict. A set that does not decode, has no file, imports what
    /// nothing defines, or conflicts with this catalog's files (named `name` in
    /// the reason: "the proto dir ./protos") or with a set added before it (named
    /// by its origin) is reported in the problems, with its origin as the
    /// problem's `path`, and left out; the rest are added.
    ///
    /// ```
    /// use fake_servicer_grpc::Catalog;
    /// use prost::Message;
    /// use prost_types::{FileDescriptorProto, FileDescriptorSet, ServiceDescriptorProto};
    ///
    /// let set = FileDescriptorSet {
    ///     file: vec![FileDescriptorProto {
    ///         name: Some("ping.proto".into()),
    ///         package: Some("ping".into()),
    ///         service: vec![ServiceDescriptorProto {
    ///             name: Some("Ping".into()),
    ///             ..Default::default()
    ///         }],
    ///         ..Default::default()
    ///     }],
    /// };
    /// let sets = [
    ///     ("plugin ping".to_owned(), set.encode_to_vec()),
    ///     ("plugin broken".to_owned(), b"not a set".to_vec()),
    /// ];
    /// let (catalog, problems) = Catalog::empty().merged("the proto dir", &sets);
    /// assert_eq!(catalog.services(), ["ping.Ping"]);
    /// assert_eq!(problems.len(), 1);
    /// assert_eq!(problems[0].path, std::path::Path::new("plugin broken"));
    /// ```
    pub fn merged(&self, name: &str, sets: &[(String, Vec<u8>)]) -> (Catalog, Vec<Problem>) {
        let mut problems = Vec::new();
        if sets.is_empty() {
            return (self.clone(), problems);
        }
        let mut candidates = Vec::new();
        for (origin, bytes) in sets {
            match compile::decode_descriptor_set(bytes) {
                Ok(files) => candidates.push(compile::Candidate {
                    path: origin.into(),
                    files,
                }),
                Err(reason) => problems.push(Problem::new(origin, reason)),
            }
        }
        let mut pool = self.pool.clone();
        merge::merge_all(
            &mut pool,
            candidates,
            &mut problems,
            &format!("defined by neither {name} nor another set"),
            |added, candidate| merge::conflict(&self.pool, name, added, candidate),
        );
        for problem in &problems {
            tracing::debug!(origin = %problem.path.display(), reason = %problem.reason, "descriptor set left out");
        }
        (Catalog { pool }, problems)
    }

    /// The method a gRPC request path names: `/<package>.<Service>/<Method>`.
    pub fn method(&self, path: &str) -> Option<Method> {
        let (service, method) = path.strip_prefix('/')?.split_once('/')?;
        if method.is_empty() || method.contains('/') {
            return None;
        }
        let service = self.pool.get_service_by_name(service)?;
        let method = service.methods().find(|m| m.name() == method)?;
        Some(Method::new(method))
    }

    /// Every method of every service, ordered by path.
    pub fn methods(&self) -> Vec<Method> {
        let mut methods: Vec<Method> = self
            .pool
            .services()
            .flat_map(|service| service.methods().collect::<Vec<_>>())
            .map(Method::new)
            .collect();
        methods.sort_by_key(Method::path);
        methods
    }

    /// Whether a service of that full name (`pkg.Service`) is known.
    pub fn has_service(&self, full_name: &str) -> bool {
        self.pool.get_service_by_name(full_name).is_some()
    }

    /// Full names of every service, sorted.
    pub fn services(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .pool
            .services()
            .map(|service| service.full_name().to_owned())
            .collect();
        names.sort();
        names
    }

    /// Every file, with their imports, as one set (for server reflection), each
    /// file after the files it imports.
    pub fn file_descriptor_set(&self) -> prost_types::FileDescriptorSet {
        prost_types::FileDescriptorSet {
            file: self.pool.file_descriptor_protos().cloned().collect(),
        }
    }

    /// The merged descriptor pool, for lookups this API does not offer (server
    /// reflection's `file_containing_symbol`, for instance).
    pub fn descriptor_pool(&self) -> &DescriptorPool {
        &self.pool
    }

    /// Whether no file was loaded.
    pub fn is_empty(&self) -> bool {
        self.pool.files().len() == 0
    }
}

impl Default for Catalog {
    fn default() -> Catalog {
        Catalog::empty()
    }
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog")
            .field("files", &self.pool.files().len())
            .field("services", &self.services())
            .finish()
    }
}
