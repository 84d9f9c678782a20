//! Merging the candidates into one descriptor pool, each whole or not at all.

use std::collections::BTreeSet;

use prost_reflect::DescriptorPool;
use prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};

use super::Problem;
use super::compile::Candidate;

/// Where the well-known types live; their definitions vary only in options and
/// comments between protobuf releases, so the first one loaded is kept.
const WELL_KNOWN_PREFIX: &str = "google/protobuf/";

/// Why a candidate was not added.
enum Refusal {
    /// It imports files not loaded yet: it may load once others have.
    Missing(BTreeSet<String>),
    /// It cannot load.
    Invalid(String),
}

/// Adds every candidate to `pool`, in order, each whole or not at all; a candidate
/// that imports a file another candidate defines waits until that one has loaded.
///
/// A candidate whose imports are found nowhere is a problem saying they are
/// `unresolved` ("defined by no file of the directory"); one that cannot load is a
/// problem naming what `blame` says it conflicts with, given the candidates added
/// before it (nothing when `None`).
pub(super) fn merge_all(
    pool: &mut DescriptorPool,
    candidates: Vec<Candidate>,
    problems: &mut Vec<Problem>,
    unresolved: &str,
    blame: impl Fn(&[Candidate], &Candidate) -> Option<String>,
) {
    let mut added = Vec::new();
    let mut pending = candidates;
    loop {
        let before = pending.len();
        let mut waiting = Vec::new();
        for candidate in pending {
            match add(pool, &candidate.files) {
                Ok(()) => added.push(candidate),
                Err(Refusal::Invalid(reason)) => {
                    let reason = match blame(&added, &candidate) {
                        Some(other) => format!("conflicts with {other}: {reason}"),
                        None => reason,
                    };
                    problems.push(Problem::new(candidate.path, reason))
                }
                Err(Refusal::Missing(names)) => waiting.push((candidate, names)),
            }
        }
        if waiting.is_empty() || waiting.len() == before {
            for (candidate, names) in waiting {
                let names: Vec<String> = names.into_iter().map(|n| format!("'{n}'")).collect();
                let reason = format!("imports {}, {unresolved}", names.join(", "));
                problems.push(Problem::new(candidate.path, reason));
            }
            return;
        }
        pending = waiting
            .into_iter()
            .map(|(candidate, _)| candidate)
            .collect();
    }
}

/// What `candidate`, refused, conflicts with: the files of `base` (then named
/// `base_name`), or the first of the candidates `added` before it that it cannot
/// load beside (named by its path). `None` when it cannot load even alone.
pub(super) fn conflict(
    base: &DescriptorPool,
    base_name: &str,
    added: &[Candidate],
    candidate: &Candidate,
) -> Option<String> {
    let refused =
        |pool: &mut DescriptorPool| matches!(add(pool, &candidate.files), Err(Refusal::Invalid(_)));
    if refused(&mut DescriptorPool::new()) {
        return None;
    }
    if refused(&mut base.clone()) {
        return Some(base_name.to_owned());
    }
    added
        .iter()
        .find(|earlier| {
            let mut pool = base.clone();
            add(&mut pool, &earlier.files).is_ok() && refused(&mut pool)
        })
        .map(|earlier| earlier.path.display().to_string())
}

/// Adds the files `pool` does not have yet, and the well-known types they import;
/// the pool is unchanged when that fails.
fn add(pool: &mut DescriptorPool, files: &[FileDescriptorProto]) -> Result<(), Refusal> {
    let mut new: Vec<FileDescriptorProto> = Vec::new();
    for file in files {
        let name = file.name();
        if name.is_empty() {
            return Err(Refusal::Invalid("a file descriptor without a name".into()));
        }
        if let Some(existing) = pool.get_file_by_name(name) {
            if name.starts_with(WELL_KNOWN_PREFIX)
                || same_definitions(existing.file_descriptor_proto(), file)
            {
                continue;
            }
            return Err(Refusal::Invalid(format!(
                "defines '{name}' differently from a file loaded earlier"
            )));
        }
        if new.iter().any(|other| other.name() == name) {
            return Err(Refusal::Invalid(format!("holds '{name}' twice")));
        }
        new.push(file.clone());
    }
    add_missing_well_known_types(pool, &mut new);
    let missing: BTreeSet<String> = new
        .iter()
        .flat_map(|file| &file.dependency)
        .filter(|dependency| {
            pool.get_file_by_name(dependency).is_none()
                && !new.iter().any(|file| file.name() == dependency.as_str())
        })
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(Refusal::Missing(missing));
    }
    pool.add_file_descriptor_protos(new).map_err(|err| {
        let reason = match err.file() {
            Some(file) => format!("{file}: {err}"),
            None => err.to_string(),
        };
        Refusal::Invalid(reason)
    })
}

/// Adds to `new` the well-known types its files import that neither it nor `pool`
/// has (a descriptor set made without `--include_imports`).
fn add_missing_well_known_types(pool: &DescriptorPool, new: &mut Vec<FileDescriptorProto>) {
    let global = DescriptorPool::global();
    let mut index = 0;
    while index < new.len() {
        let dependencies = new[index].dependency.clone();
        for dependency in dependencies {
            let known = pool.get_file_by_name(&dependency).is_some()
                || new.iter().any(|file| file.name() == dependency);
            if known || !dependency.starts_with(WELL_KNOWN_PREFIX) {
                continue;
            }
            if let Some(file) = global.get_file_by_name(&dependency) {
                new.push(file.file_descriptor_proto().clone());
            }
        }
        index += 1;
    }
}

/// Whether two descriptors of a file define the same things: source info, file
/// options (`java_package`, `go_package`...), `json_name`s left at their default and
/// an explicit `proto2` syntax, which compilers fill in differently, do not count.
fn same_definitions(a: &FileDescriptorProto, b: &FileDescriptorProto) -> bool {
    a == b || normalized(a) == normalized(b)
}

fn normalized(file: &FileDescriptorProto) -> FileDescriptorProto {
    let mut file = file.clone();
    file.source_code_info = None;
    file.options = None;
    if file.syntax.as_deref() == Some("proto2") {
        file.syntax = None;
    }
    file.message_type.iter_mut().for_each(normalize_message);
    file.extension.iter_mut().for_each(normalize_field);
    file
}

fn normalize_message(message: &mut DescriptorProto) {
    message.field.iter_mut().for_each(normalize_field);
    message.extension.iter_mut().for_each(normalize_field);
    message.nested_type.iter_mut().for_each(normalize_message);
}

fn normalize_field(field: &mut FieldDescriptorProto) {
    if field.json_name.as_deref() == Some(default_json_name(field.name()).as_str()) {
        field.json_name = None;
    }
}

/// protoc's default `json_name`: underscores dropped, the letter after one upper-cased.
fn default_json_name(name: &str) -> String {
    let mut json_name = String::with_capacity(name.len());
    let mut upper_next = false;
    for c in name.chars() {
        if c == '_' {
            upper_next = true;
        } else if upper_next {
            json_name.push(c.to_ascii_uppercase());
            upper_next = false;
        } else {
            json_name.push(c);
        }
    }
    json_name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_json_names_are_lower_camel_case() {
        assert_eq!(default_json_name("order_id"), "orderId");
        assert_eq!(default_json_name("a__b"), "aB");
        assert_eq!(default_json_name("already"), "already");
        assert_eq!(default_json_name("x_1"), "x1");
    }

    #[test]
    fn file_options_and_default_json_names_do_not_make_a_conflict() {
        let field = |json_name: Option<&str>| FieldDescriptorProto {
            name: Some("order_id".into()),
            number: Some(1),
            json_name: json_name.map(str::to_owned),
            ..Default::default()
        };
        let file = |json_name, go_package: Option<&str>| FileDescriptorProto {
            name: Some("a.proto".into()),
            message_type: vec![DescriptorProto {
                name: Some("A".into()),
                field: vec![field(json_name)],
                ..Default::default()
            }],
            options: go_package.map(|p| prost_types::FileOptions {
                go_package: Some(p.into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(same_definitions(
            &file(None, None),
            &file(Some("orderId"), Some("x/a"))
        ));
        assert!(!same_definitions(
            &file(None, None),
            &file(Some("id"), None)
        ));
    }
}
