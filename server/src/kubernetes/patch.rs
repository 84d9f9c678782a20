//! The patches `PATCH` takes, by its `Content-Type`: JSON merge patch
//! (`application/merge-patch+json`, RFC 7386), JSON patch
//! (`application/json-patch+json`, RFC 6902) and, for the built-in kinds,
//! strategic merge patch (`application/strategic-merge-patch+json`):
//! a merge patch whose well-known lists of objects (`containers`, `env`,
//! `ports`, `volumes`, `volumeMounts`, …) are merged item by item by their
//! key (`name`, `containerPort`, `mountPath`) instead of replaced, with the
//! `$patch: delete` / `$patch: replace` directives and
//! `$deleteFromPrimitiveList/…`; other `$` directives (`$setElementOrder`,
//! `$retainKeys`) are ignored.

use serde_json::{Map, Value};

/// The kinds of patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PatchKind {
    Merge,
    Json,
    Strategic,
}

impl PatchKind {
    /// The kind a `Content-Type` names; `None` for any other.
    pub fn of(content_type: &str) -> Option<PatchKind> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/merge-patch+json" => Some(PatchKind::Merge),
            "application/json-patch+json" => Some(PatchKind::Json),
            "application/strategic-merge-patch+json" => Some(PatchKind::Strategic),
            _ => None,
        }
    }
}

/// `object` patched by `patch` (JSON text) of `kind`; why not otherwise.
pub(crate) fn apply(object: &Value, patch: &[u8], kind: PatchKind) -> Result<Value, String> {
    let mut out = object.clone();
    match kind {
        PatchKind::Json => {
            let ops: json_patch::Patch =
                serde_json::from_slice(patch).map_err(|e| format!("invalid JSON patch: {e}"))?;
            json_patch::patch(&mut out, &ops).map_err(|e| format!("the JSON patch failed: {e}"))?;
        }
        PatchKind::Merge => {
            let patch: Value =
                serde_json::from_slice(patch).map_err(|e| format!("invalid merge patch: {e}"))?;
            if !patch.is_object() {
                return Err("a merge patch must be a JSON object".to_owned());
            }
            json_patch::merge(&mut out, &patch);
        }
        PatchKind::Strategic => {
            let patch: Value = serde_json::from_slice(patch)
                .map_err(|e| format!("invalid strategic merge patch: {e}"))?;
            let Value::Object(patch) = patch else {
                return Err("a strategic merge patch must be a JSON object".to_owned());
            };
            strategic(&mut out, &patch);
        }
    }
    Ok(out)
}

/// The key a well-known list of objects is merged by, given one of its
/// items (ports: `containerPort` in a container, `port` in a service).
fn merge_key(field: &str, item: &Map<String, Value>) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "readinessGates" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "hostAliases" => Some("ip"),
        "conditions" => Some("type"),
        "ports" if item.contains_key("containerPort") => Some("containerPort"),
        "ports" => Some("port"),
        _ => None,
    }
}

/// Strategic merge of `patch` into `target`.
fn strategic(target: &mut Value, patch: &Map<String, Value>) {
    if patch.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut replaced = patch.clone();
        replaced.remove("$patch");
        *target = Value::Object(replaced);
        return;
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(map) = target else { return };
    for (key, value) in patch {
        if let Some(list) = key.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(items)), Value::Array(gone)) = (map.get_mut(list), value) {
                items.retain(|i| !gone.contains(i));
            }
            continue;
        }
        if key.starts_with('$') {
            continue;
        }
        match value {
            Value::Null => {
                map.remove(key);
            }
            Value::Object(inner) => {
                if inner.get("$patch").and_then(Value::as_str) == Some("delete") {
                    map.remove(key);
                } else {
                    strategic(map.entry(key.clone()).or_insert(Value::Null), inner);
                }
            }
            Value::Array(items) => {
                let merged = match map.get_mut(key) {
                    Some(Value::Array(existing)) => merge_list(key, existing, items),
                    _ => false,
                };
                if !merged {
                    let cleaned = items
                        .iter()
                        .filter(|i| i.get("$patch").is_none())
                        .cloned()
                        .collect();
                    map.insert(key.clone(), Value::Array(cleaned));
                }
            }
            other => {
                map.insert(key.clone(), other.clone());
            }
        }
    }
}

/// Merges `patch` into `existing` item by item when `field` is a
/// well-known list of objects; `false` when it is not (replace it).
fn merge_list(field: &str, existing: &mut Vec<Value>, patch: &[Value]) -> bool {
    let Some(first) = patch.iter().find_map(Value::as_object) else {
        return false;
    };
    let Some(key) = merge_key(field, first) else {
        return false;
    };
    if !patch.iter().all(Value::is_object) {
        return false;
    }
    for item in patch.iter().filter_map(Value::as_object) {
        let id = item.get(key);
        let at = existing
            .iter()
            .position(|e| id.is_some() && e.get(key) == id);
        match (item.get("$patch").and_then(Value::as_str), at) {
            (Some("delete"), Some(at)) => {
                existing.remove(at);
            }
            (Some("delete"), None) => {}
            (_, Some(at)) => strategic(&mut existing[at], item),
            (_, None) => {
                let mut fresh = Value::Object(Map::new());
                strategic(&mut fresh, item);
                existing.push(fresh);
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> Value {
        json!({"spec": {"containers": [
            {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}]},
            {"name": "side", "image": "side:1"}
        ]}, "metadata": {"labels": {"app": "web", "old": "x"}}})
    }

    #[test]
    fn a_strategic_merge_patch_merges_containers_by_name() {
        let patch = json!({"spec": {"containers": [
            {"name": "app", "image": "app:2", "env": [{"name": "B", "value": "2"}]},
            {"name": "side", "$patch": "delete"}
        ]}, "metadata": {"labels": {"old": null}}});
        let out = apply(&pod(), patch.to_string().as_bytes(), PatchKind::Strategic).expect("ok");
        assert_eq!(
            out,
            json!({"spec": {"containers": [
                {"name": "app", "image": "app:2", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
            ]}, "metadata": {"labels": {"app": "web"}}})
        );
    }

    #[test]
    fn a_merge_patch_replaces_lists_and_a_json_patch_edits_in_place() {
        let merge = json!({"spec": {"containers": [{"name": "only"}]}});
        let out = apply(&pod(), merge.to_string().as_bytes(), PatchKind::Merge).expect("ok");
        assert_eq!(out["spec"]["containers"], json!([{"name": "only"}]));
        let ops = json!([{"op": "replace", "path": "/spec/containers/1/image", "value": "side:2"}]);
        let out = apply(&pod(), ops.to_string().as_bytes(), PatchKind::Json).expect("ok");
        assert_eq!(out["spec"]["containers"][1]["image"], "side:2");
        let bad = json!([{"op": "remove", "path": "/nope"}]);
        assert!(apply(&pod(), bad.to_string().as_bytes(), PatchKind::Json).is_err());
    }
}
