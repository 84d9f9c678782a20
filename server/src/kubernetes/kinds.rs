//! The kinds of object the API serves: the built-ins (core/v1
//! `namespaces`, `pods`, `services`, `configmaps`, `secrets`; apps/v1
//! `deployments`) and custom resources declared in a file
//! (`--kubernetes-resources`).

use serde::Deserialize;
use std::path::Path;

/// One kind of object, as discovery shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Kind {
    /// The API group; empty for the core group (`/api/v1`).
    #[serde(default)]
    pub group: String,
    pub version: String,
    /// `Pod`, `CronTab`.
    pub kind: String,
    /// The name in paths: `pods`, `crontabs`.
    pub plural: String,
    /// Objects live in a namespace (`/namespaces/{ns}/…`).
    pub namespaced: bool,
    /// `pod`; the kind in lower case when left out.
    #[serde(default)]
    pub singular: Option<String>,
    /// `po`, `ct`: what `kubectl get` also accepts.
    #[serde(default)]
    pub short_names: Vec<String>,
    /// A built-in kind: strategic merge patches apply to it.
    #[serde(skip)]
    pub builtin: bool,
}

impl Kind {
    fn builtin(group: &str, kind: &str, plural: &str, namespaced: bool, short: &[&str]) -> Kind {
        Kind {
            group: group.to_owned(),
            version: "v1".to_owned(),
            kind: kind.to_owned(),
            plural: plural.to_owned(),
            namespaced,
            singular: None,
            short_names: short.iter().map(|s| (*s).to_owned()).collect(),
            builtin: true,
        }
    }

    /// `v1`, `apps/v1`: an object's `apiVersion`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The singular name discovery shows.
    pub fn singular(&self) -> String {
        self.singular
            .clone()
            .unwrap_or_else(|| self.kind.to_ascii_lowercase())
    }

    /// The name of the resource in messages: `pods`, `deployments.apps`.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// Every kind served, in discovery's order.
#[derive(Debug, Clone)]
pub(crate) struct Kinds(Vec<Kind>);

/// Where a kind is in [`Kinds`].
pub(crate) type KindId = usize;

impl Kinds {
    /// The built-in kinds, then `custom`.
    pub fn new(custom: Vec<Kind>) -> Result<Kinds, String> {
        let mut all = vec![
            Kind::builtin("", "Namespace", "namespaces", false, &["ns"]),
            Kind::builtin("", "Pod", "pods", true, &["po"]),
            Kind::builtin("", "Service", "services", true, &["svc"]),
            Kind::builtin("", "ConfigMap", "configmaps", true, &["cm"]),
            Kind::builtin("", "Secret", "secrets", true, &[]),
            Kind::builtin("apps", "Deployment", "deployments", true, &["deploy"]),
        ];
        for (i, kind) in custom.into_iter().enumerate() {
            let at = format!("resource {i} ({:?})", kind.plural);
            for (field, value) in [
                ("version", &kind.version),
                ("kind", &kind.kind),
                ("plural", &kind.plural),
            ] {
                if !(is_dns_label(value) || field == "kind" && is_kind_name(value)) {
                    return Err(format!(
                        "{at}: {field} {value:?} must be a non-empty name of letters, digits and '-'"
                    ));
                }
            }
            if kind.plural.bytes().any(|b| b.is_ascii_uppercase()) {
                return Err(format!("{at}: plural {:?} must be lower case", kind.plural));
            }
            if !kind.group.is_empty() && !kind.group.split('.').all(is_dns_label) {
                return Err(format!(
                    "{at}: group {:?} must be a DNS name (example.com)",
                    kind.group
                ));
            }
            if kind.group.is_empty() && kind.version == "v1" {
                return Err(format!(
                    "{at}: the core group (group \"\") is the built-ins'; give a group (example.com)"
                ));
            }
            if all.iter().any(|k| {
                k.group == kind.group && k.version == kind.version && k.plural == kind.plural
            }) {
                return Err(format!(
                    "{at}: {}/{} {} is declared twice",
                    kind.group, kind.version, kind.plural
                ));
            }
            all.push(kind);
        }
        Ok(Kinds(all))
    }

    /// The built-ins and the kinds declared in `path`: a JSON list of
    /// `{"group", "version", "kind", "plural", "namespaced"}` (optional
    /// `singular`, `shortNames`).
    pub fn from_file(path: &Path) -> Result<Kinds, String> {
        let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let custom: Vec<Kind> = serde_json::from_slice(&text).map_err(|e| {
            format!(
                "{}: {e} (expected a JSON list of {{\"group\", \"version\", \"kind\", \"plural\", \"namespaced\"}})",
                path.display()
            )
        })?;
        Kinds::new(custom).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The kind `plural` of `group`/`version`.
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<KindId> {
        self.0
            .iter()
            .position(|k| k.group == group && k.version == version && k.plural == plural)
    }

    /// The kind at `id`.
    pub fn get(&self, id: KindId) -> &Kind {
        &self.0[id]
    }

    /// Every kind with its id.
    pub fn all(&self) -> impl Iterator<Item = (KindId, &Kind)> {
        self.0.iter().enumerate()
    }

    /// The id of the `namespaces` kind.
    pub const NAMESPACES: KindId = 0;

    /// The groups other than core, in order, each with its versions.
    pub fn groups(&self) -> Vec<(&str, Vec<&str>)> {
        let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
        for k in self.0.iter().filter(|k| !k.group.is_empty()) {
            match groups.iter_mut().find(|(g, _)| *g == k.group) {
                Some((_, versions)) if !versions.contains(&k.version.as_str()) => {
                    versions.push(&k.version)
                }
                Some(_) => {}
                None => groups.push((&k.group, vec![&k.version])),
            }
        }
        groups
    }

    /// Whether `group`/`version` is served.
    pub fn serves(&self, group: &str, version: &str) -> bool {
        self.0
            .iter()
            .any(|k| k.group == group && k.version == version)
    }
}

/// A DNS label: lower-case letters, digits and `-`, not at either end, at
/// most 63.
pub(crate) fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A kind's name: letters and digits, starting with a letter.
fn is_kind_name(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// An object's name: a DNS subdomain (labels joined by `.`, at most 253).
pub(crate) fn is_object_name(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crontab() -> Kind {
        serde_json::from_value(serde_json::json!({
            "group": "stable.example.com", "version": "v1", "kind": "CronTab",
            "plural": "crontabs", "namespaced": true
        }))
        .expect("a kind")
    }

    #[test]
    fn custom_kinds_are_served_beside_the_builtins() {
        let kinds = Kinds::new(vec![crontab()]).expect("valid");
        let id = kinds
            .find("stable.example.com", "v1", "crontabs")
            .expect("found");
        assert_eq!(kinds.get(id).api_version(), "stable.example.com/v1");
        assert!(kinds.find("apps", "v1", "deployments").is_some());
        assert_eq!(
            kinds.groups(),
            vec![("apps", vec!["v1"]), ("stable.example.com", vec!["v1"])]
        );
    }

    #[test]
    fn a_bad_custom_kind_is_refused_naming_it() {
        let mut bad = crontab();
        bad.plural = "Cron Tabs".into();
        let e = Kinds::new(vec![bad]).expect_err("refused");
        assert!(e.contains("plural"), "{e}");
        let e = Kinds::new(vec![crontab(), crontab()]).expect_err("refused");
        assert!(e.contains("twice"), "{e}");
    }
}
