//! Finding the descriptor files of a directory, and reading them within a size limit.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::Problem;

/// What a file holds, by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// `.proto` source.
    Proto,
    /// A serialized `FileDescriptorSet`.
    DescriptorSet,
}

/// A descriptor file found under the directory.
#[derive(Clone, Debug)]
pub(super) struct Found {
    /// Where it is.
    pub path: PathBuf,
    /// Its path relative to the directory, `/`-separated: a `.proto` file's import name.
    pub name: String,
    /// What it holds.
    pub kind: Kind,
}

/// The kind of a file name, if it is a descriptor file.
fn kind_of(file_name: &str) -> Option<Kind> {
    let (_, extension) = file_name.rsplit_once('.')?;
    match extension {
        "proto" => Some(Kind::Proto),
        "dsc" | "desc" | "pb" | "protoset" => Some(Kind::DescriptorSet),
        _ => None,
    }
}

/// Every descriptor file under `dir`, recursively, ordered by path. Symbolic links
/// are followed, each directory visited once. A missing `dir` has none.
pub(super) fn find(dir: &Path, problems: &mut Vec<Problem>) -> Vec<Found> {
    let mut found = Vec::new();
    match fs::metadata(dir) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => return found,
        Err(err) => {
            problems.push(Problem::new(dir, format!("cannot read: {err}")));
            return found;
        }
        Ok(metadata) if !metadata.is_dir() => {
            problems.push(Problem::new(dir, "not a directory"));
            return found;
        }
        Ok(_) => {}
    }
    let mut visited = HashSet::new();
    visit(dir, "", &mut visited, &mut found, problems);
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

fn visit(
    dir: &Path,
    prefix: &str,
    visited: &mut HashSet<PathBuf>,
    found: &mut Vec<Found>,
    problems: &mut Vec<Problem>,
) {
    if let Ok(canonical) = fs::canonicalize(dir) {
        if !visited.insert(canonical) {
            return;
        }
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            problems.push(Problem::new(dir, format!("cannot read: {err}")));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let Some(file_name) = path.file_name() else {
            continue;
        };
        let Some(file_name) = file_name.to_str() else {
            if path.extension().is_some_and(|e| e == "proto") {
                problems.push(Problem::new(&path, "the file name is not UTF-8"));
            }
            continue;
        };
        let name = format!("{prefix}{file_name}");
        // Follows symbolic links; a dangling one is nothing.
        let Ok(metadata) = fs::metadata(&path) else {
            continue;
        };
        if metadata.is_dir() {
            visit(&path, &format!("{name}/"), visited, found, problems);
        } else if let Some(kind) = kind_of(file_name) {
            found.push(Found { path, name, kind });
        }
    }
}

/// The bytes of `path`, unless it is larger than `max_bytes` (checked before
/// reading, and while reading for a file that grows).
pub(super) fn read_limited(path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
    let too_large = || format!("larger than the limit of {max_bytes} bytes");
    let file = fs::File::open(path).map_err(|err| format!("cannot read: {err}"))?;
    let length = file
        .metadata()
        .map_err(|err| format!("cannot read: {err}"))?
        .len();
    if length > max_bytes {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|err| format!("cannot read: {err}"))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > max_bytes {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_files_are_recognised_by_extension() {
        assert_eq!(kind_of("a.proto"), Some(Kind::Proto));
        for name in ["a.dsc", "a.desc", "a.pb", "api.protoset"] {
            assert_eq!(kind_of(name), Some(Kind::DescriptorSet), "{name}");
        }
        for name in ["proto", "a.json", "a.proto.bak", "README"] {
            assert_eq!(kind_of(name), None, "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_loop_is_visited_once() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        fs::create_dir(dir.path().join("sub")).expect("sub");
        fs::write(dir.path().join("sub/a.proto"), "").expect("a.proto");
        std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).expect("link");
        let mut problems = Vec::new();
        let found = find(dir.path(), &mut problems);
        let names: Vec<&str> = found.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["sub/a.proto"]);
        assert_eq!(problems, []);
    }
}
