//! Reading a file found in a watched directory without trusting it: only a
//! regular file is read — a FIFO, socket or device named `*.so` or `*.json`
//! is refused without ever blocking — and never more than a size cap,
//! checked before anything is read and enforced by the read itself, should
//! the file grow meanwhile.

use std::{
    fs::{FileType, Metadata, OpenOptions},
    io::{self, Read},
    os::unix::fs::{FileTypeExt, OpenOptionsExt},
    path::Path,
};
use thiserror::Error;

/// The most bytes a file may hold, and the flag that sets it (for messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cap {
    /// The largest size read.
    pub bytes: u64,
    /// The command-line flag that sets it (`--max-plugin-bytes`).
    pub flag: &'static str,
}

/// Why a file was not read. The message is one line; the caller names the
/// file.
#[derive(Debug, Error)]
pub enum ReadError {
    /// Nothing at the path (or a dangling link).
    #[error("does not exist")]
    NotFound,
    /// A FIFO, socket, device or directory: never opened for reading.
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    /// Larger than the cap: refused before reading.
    #[error("{len} bytes, over the {}-byte cap ({})", cap.bytes, cap.flag)]
    TooLarge { len: u64, cap: Cap },
    /// It grew past the cap while being read.
    #[error("grew past the {}-byte cap ({}) while being read", cap.bytes, cap.flag)]
    Grew { cap: Cap },
    /// The system refused to open or read it.
    #[error("cannot read: {0}")]
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> ReadError {
        if e.kind() == io::ErrorKind::NotFound {
            ReadError::NotFound
        } else {
            ReadError::Io(e)
        }
    }
}

/// What kind of file this is, in a refusal ("a FIFO").
fn kind(t: FileType) -> &'static str {
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// Refuses what is not a regular file, or one over `cap`.
fn check(meta: &Metadata, cap: Cap) -> Result<(), ReadError> {
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind(meta.file_type())));
    }
    if meta.len() > cap.bytes {
        return Err(ReadError::TooLarge {
            len: meta.len(),
            cap,
        });
    }
    Ok(())
}

/// The content of the regular file at `path` (a link to one is followed)
/// and its metadata, if it holds at most `cap` bytes.
///
/// The path is checked before it is opened, and opened without blocking
/// (`O_NONBLOCK`: a FIFO swapped in meanwhile does not wait for a writer);
/// the opened file is checked again, and read through a reader that stops
/// one byte past the cap.
pub fn read(path: &Path, cap: Cap) -> Result<(Vec<u8>, Metadata), ReadError> {
    check(&std::fs::metadata(path)?, cap)?;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    check(&meta, cap)?;
    let bytes = read_at_most(file, meta.len(), cap)?;
    Ok((bytes, meta))
}

/// Reads all of `from` (which said it holds `expected` bytes), unless it
/// holds more than `cap`.
fn read_at_most(from: impl Read, expected: u64, cap: Cap) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::with_capacity(usize::try_from(expected.min(cap.bytes)).unwrap_or(0));
    from.take(cap.bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap.bytes {
        return Err(ReadError::Grew { cap });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: Cap = Cap {
        bytes: 8,
        flag: "--max-test-bytes",
    };

    #[test]
    fn a_file_within_the_cap_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.json");
        std::fs::write(&file, b"12345678").unwrap();
        let (bytes, meta) = read(&file, CAP).unwrap();
        assert_eq!(bytes, b"12345678");
        assert_eq!(meta.len(), 8);
    }

    #[test]
    fn a_file_over_the_cap_is_refused_naming_its_size_the_cap_and_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.json");
        std::fs::write(&file, b"123456789").unwrap();
        let err = read(&file, CAP).unwrap_err();
        assert_eq!(
            err.to_string(),
            "9 bytes, over the 8-byte cap (--max-test-bytes)"
        );
    }

    #[test]
    fn a_reader_longer_than_it_said_stops_one_byte_past_the_cap() {
        // A file that grows between its check and its read looks like this.
        let endless = std::io::repeat(b'x');
        let err = read_at_most(endless, 4, CAP).unwrap_err();
        assert!(matches!(err, ReadError::Grew { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "grew past the 8-byte cap (--max-test-bytes) while being read"
        );
        assert_eq!(read_at_most(&b"1234"[..], 4, CAP).unwrap(), b"1234");
    }

    #[test]
    fn a_fifo_a_directory_and_a_device_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.json");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let link = dir.path().join("zero.json");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        for (path, what) in [
            (fifo.as_path(), "not a regular file (a FIFO)"),
            (dir.path(), "not a regular file (a directory)"),
            (link.as_path(), "not a regular file (a character device)"),
        ] {
            assert_eq!(read(path, CAP).unwrap_err().to_string(), what);
        }
    }

    #[test]
    fn a_missing_file_or_a_dangling_link_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("dangling.json");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
        assert!(matches!(read(&link, CAP), Err(ReadError::NotFound)));
        assert!(matches!(
            read(&dir.path().join("missing"), CAP),
            Err(ReadError::NotFound)
        ));
    }
}
