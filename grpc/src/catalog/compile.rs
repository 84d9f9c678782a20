//! The files found, as candidate sets of file descriptors: `.proto` files compiled
//! with protox, one at a time, and descriptor sets decoded.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use prost::Message;
use prost_types::{FileDescriptorProto, FileDescriptorSet};
use protox::Compiler;
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

use super::Problem;
use super::walk::{self, Found, Kind};

/// The file descriptors one file of the directory brings: a compiled `.proto` with
/// its imports, or a descriptor set's files.
#[derive(Debug)]
pub(super) struct Candidate {
    /// The file of the directory.
    pub path: PathBuf,
    /// Its file descriptors, each after the files it imports when compiled.
    pub files: Vec<FileDescriptorProto>,
}

/// The text of every `.proto` of the directory by import name, or why it could not be read.
type Sources = HashMap<String, Result<String, String>>;

/// The candidates of the files found, in their order; the files that cannot be read,
/// compiled or decoded are problems instead.
pub(super) fn candidates(
    found: &[Found],
    max_file_bytes: u64,
    problems: &mut Vec<Problem>,
) -> Vec<Candidate> {
    let mut sources = Sources::new();
    for file in found.iter().filter(|file| file.kind == Kind::Proto) {
        let text = walk::read_limited(&file.path, max_file_bytes)
            .and_then(|bytes| String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned()));
        if let Err(reason) = &text {
            problems.push(Problem::new(&file.path, reason.as_str()));
        }
        sources.insert(file.name.clone(), text);
    }
    let sources = Arc::new(sources);

    let mut candidates = Vec::new();
    for file in found {
        let files = match file.kind {
            Kind::Proto => match sources.get(&file.name) {
                Some(Ok(_)) => compile(&file.name, &sources),
                _ => continue, // already a problem
            },
            Kind::DescriptorSet => walk::read_limited(&file.path, max_file_bytes)
                .and_then(|bytes| decode_descriptor_set(&bytes)),
        };
        match files {
            Ok(files) => candidates.push(Candidate {
                path: file.path.clone(),
                files,
            }),
            Err(reason) => problems.push(Problem::new(&file.path, reason)),
        }
    }
    candidates
}

/// The file descriptors of a serialized `FileDescriptorSet`.
pub(super) fn decode_descriptor_set(bytes: &[u8]) -> Result<Vec<FileDescriptorProto>, String> {
    let set = FileDescriptorSet::decode(bytes)
        .map_err(|err| format!("not a serialized FileDescriptorSet: {err}"))?;
    if set.file.is_empty() {
        return Err("a FileDescriptorSet with no file".to_owned());
    }
    Ok(set.file)
}

/// The file descriptors of the `.proto` named `name` and of everything it imports.
fn compile(name: &str, sources: &Arc<Sources>) -> Result<Vec<FileDescriptorProto>, String> {
    let mut resolver = ChainFileResolver::new();
    resolver.add(DirectoryResolver(Arc::clone(sources)));
    resolver.add(GoogleFileResolver::new());
    let mut compiler = Compiler::with_file_resolver(resolver);
    compiler.include_imports(true);
    compiler
        .open_file(name)
        .map_err(|err| describe(&err, sources))?;
    Ok(compiler.file_descriptor_set().file)
}

/// Resolves imports to the directory's `.proto` files, read once beforehand (so
/// that the size limit holds for imports too).
struct DirectoryResolver(Arc<Sources>);

impl FileResolver for DirectoryResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.0.get(name) {
            Some(Ok(text)) => File::from_source(name, text),
            Some(Err(reason)) => Err(protox::Error::new(format!("'{name}': {reason}"))),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// A protox error in one line, prefixed with `file:line:column` where it has them.
fn describe(err: &protox::Error, sources: &Sources) -> String {
    use miette::Diagnostic;

    let message = err.to_string();
    let Some(file) = err.file() else {
        return message;
    };
    let offset = err
        .labels()
        .and_then(|mut labels| labels.next())
        .map(|label| label.offset());
    match (offset, sources.get(file)) {
        (Some(offset), Some(Ok(text))) => {
            let (line, column) = line_and_column(text, offset);
            format!("{file}:{line}:{column}: {message}")
        }
        _ => format!("{file}: {message}"),
    }
}

/// The 1-based line and column (in characters) of a byte offset into `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text
        .char_indices()
        .take_while(|(index, _)| *index < offset)
        .map(|(_, c)| c);
    let (mut line, mut column) = (1, 1);
    for c in before {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let text = "ab\ncdé\nf";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 3), (2, 1));
        assert_eq!(line_and_column(text, 7), (2, 4));
        assert_eq!(line_and_column(text, 8), (3, 1));
        assert_eq!(line_and_column(text, 100), (3, 2));
    }

    #[test]
    fn a_compile_error_names_the_file_line_and_column() {
        let sources = Arc::new(Sources::from([(
            "bad.proto".to_owned(),
            Ok("syntax = \"proto3\";\nmessage Broken {\n  string name = 1\n}\n".to_owned()),
        )]));
        let reason = compile("bad.proto", &sources).expect_err("does not parse");
        assert!(reason.starts_with("bad.proto:4:1: "), "{reason}");
    }
}
