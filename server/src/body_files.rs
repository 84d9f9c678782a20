//! `bodyFileName` bodies: files below the files directory (`__files/` in
//! the `--mappings` directory), read when a stub answers — so an edit is
//! served at once — within `--max-body-file-bytes`, and never from outside
//! that directory (no `..`, no absolute path, no link leading out).

use crate::regular_file::{self, Cap};
use bytes::Bytes;
use fake_servicer_wiremock::stub::BodyFile;
use std::path::PathBuf;

/// Default of `--max-body-file-bytes`.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The name of the files directory next to the mapping files.
pub const DIR_NAME: &str = "__files";

/// Where body files are read from, and their cap.
#[derive(Debug, Clone)]
pub struct BodyFiles {
    dir: Option<PathBuf>,
    max_bytes: u64,
}

impl BodyFiles {
    /// Body files in `dir` (none without), each at most `max_bytes`.
    pub fn new(dir: Option<PathBuf>, max_bytes: u64) -> BodyFiles {
        BodyFiles { dir, max_bytes }
    }

    /// The bytes of the body file `name`; the error names the file and
    /// what is wrong.
    pub fn read(&self, name: &str) -> Result<Bytes, String> {
        let dir = self.dir.as_deref().ok_or_else(|| {
            format!("{name:?}: no files directory (--mappings DIR reads DIR/{DIR_NAME})")
        })?;
        if !BodyFile::stays_inside(name) {
            return Err(format!(
                "{name:?} leaves the files directory (a relative path without `..` is needed)"
            ));
        }
        let path = dir.join(name);
        let shown = path.display();
        let real = path.canonicalize().map_err(|e| format!("{shown}: {e}"))?;
        let root = dir
            .canonicalize()
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        if !real.starts_with(&root) {
            return Err(format!("{shown} leads out of the files directory"));
        }
        let cap = Cap {
            bytes: self.max_bytes,
            flag: "--max-body-file-bytes",
        };
        regular_file::read(&real, cap)
            .map(|(bytes, _)| Bytes::from(bytes))
            .map_err(|e| format!("{shown}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> (tempfile::TempDir, BodyFiles) {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(DIR_NAME);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("a.bin"), [0u8, 159, 146, 150]).unwrap();
        std::fs::write(root.path().join("secret"), "no").unwrap();
        (root, BodyFiles::new(Some(dir), 1024))
    }

    #[test]
    fn a_file_below_the_directory_is_read_as_stored() {
        let (_root, files) = files();
        assert_eq!(files.read("a.bin").unwrap(), &[0u8, 159, 146, 150][..]);
    }

    #[test]
    fn a_name_leaving_the_directory_is_refused() {
        let (root, files) = files();
        for bad in ["../secret", "/etc/passwd", "", "x/../../secret"] {
            assert!(files.read(bad).is_err(), "{bad}");
        }
        let link = root.path().join(DIR_NAME).join("out");
        std::os::unix::fs::symlink(root.path().join("secret"), &link).unwrap();
        let e = files.read("out").unwrap_err();
        assert!(e.contains("leads out"), "{e}");
    }

    #[test]
    fn a_file_over_the_cap_is_refused_naming_it() {
        let (root, files) = files();
        std::fs::write(root.path().join(DIR_NAME).join("big"), vec![b'x'; 2048]).unwrap();
        let e = files.read("big").unwrap_err();
        assert!(e.contains("--max-body-file-bytes"), "{e}");
    }

    #[test]
    fn without_a_directory_the_error_says_how_to_give_one() {
        let e = BodyFiles::new(None, 1).read("a").unwrap_err();
        assert!(e.contains("--mappings"), "{e}");
    }
}
