//! Discovery, as clients read it before anything else: `/version`,
//! `/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`. Answered in the
//! plain (legacy) shapes whatever the `Accept` asks (aggregated discovery
//! clients fall back to them when the answer's `Content-Type` is plain
//! `application/json`).

use super::kinds::{Kind, Kinds};
use serde_json::{Value, json};

/// The Kubernetes version the fake says it is.
pub const VERSION: (&str, &str) = ("1", "32");

/// `/version`.
pub fn version() -> Value {
    json!({
        "major": VERSION.0,
        "minor": VERSION.1,
        "gitVersion": format!("v{}.{}.0-fake-servicer", VERSION.0, VERSION.1),
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.23",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// `/api`.
pub fn core_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "kubernetes:443"}],
    })
}

/// `/apis`: every group but core.
pub fn groups(kinds: &Kinds) -> Value {
    let groups: Vec<Value> = kinds
        .groups()
        .into_iter()
        .map(|(group, versions)| group_json(group, &versions))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/<group>`.
pub fn group(kinds: &Kinds, name: &str) -> Option<Value> {
    let groups = kinds.groups();
    let (group, versions) = groups.iter().find(|(g, _)| *g == name)?;
    let mut shown = group_json(group, versions);
    shown["kind"] = json!("APIGroup");
    shown["apiVersion"] = json!("v1");
    Some(shown)
}

fn group_json(group: &str, versions: &[&str]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    json!({
        "name": group,
        "versions": versions,
        "preferredVersion": versions.first(),
    })
}

/// `/api/v1`, `/apis/<group>/<version>`: the kinds of that group version.
pub fn resources(kinds: &Kinds, group: &str, version: &str) -> Value {
    let resources: Vec<Value> = kinds
        .all()
        .filter(|(_, k)| k.group == group && k.version == version)
        .flat_map(|(_, k)| [resource(k), status(k)])
        .collect();
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    })
}

fn resource(k: &Kind) -> Value {
    json!({
        "name": k.plural,
        "singularName": k.singular(),
        "namespaced": k.namespaced,
        "kind": k.kind,
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "shortNames": k.short_names,
    })
}

/// The `status` subresource.
fn status(k: &Kind) -> Value {
    json!({
        "name": format!("{}/status", k.plural),
        "singularName": "",
        "namespaced": k.namespaced,
        "kind": k.kind,
        "verbs": ["get", "patch", "update"],
    })
}

/// `/openapi/v3`: where each group version's document is.
pub fn openapi_root(kinds: &Kinds) -> Value {
    let mut paths = serde_json::Map::new();
    let mut add = |path: String| {
        let url = format!("/openapi/v3/{path}?hash={}", HASH);
        paths.insert(path, json!({"serverRelativeURL": url}));
    };
    add("api/v1".to_owned());
    for (group, versions) in kinds.groups() {
        for v in versions {
            add(format!("apis/{group}/{v}"));
        }
    }
    json!({"paths": paths})
}

/// What the documents' URLs carry as their hash (they never change while
/// the server runs).
const HASH: &str = "fake-servicer-1";

/// `/openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>`: enough
/// for kubectl: each kind's `PATCH` operation, with the patch types it
/// takes and the `fieldValidation` parameter (so kubectl leaves
/// validation to the server and computes strategic merge patches for the
/// built-ins from its own types). Objects are not described.
pub fn openapi_group_version(kinds: &Kinds, group: &str, version: &str) -> Option<Value> {
    if !kinds.serves(group, version) {
        return None;
    }
    let mut paths = serde_json::Map::new();
    for (_, k) in kinds
        .all()
        .filter(|(_, k)| k.group == group && k.version == version)
    {
        let prefix = if group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{group}/{version}")
        };
        let path = if k.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", k.plural)
        } else {
            format!("{prefix}/{}/{{name}}", k.plural)
        };
        let mut content = serde_json::Map::new();
        let mut types = vec![
            "application/json-patch+json",
            "application/merge-patch+json",
        ];
        if k.builtin {
            types.push("application/strategic-merge-patch+json");
        }
        for t in types {
            content.insert(t.to_owned(), json!({"schema": {"type": "object"}}));
        }
        paths.insert(
            path,
            json!({
                "patch": {
                    "operationId": format!("patch{}", k.kind),
                    "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": k.kind},
                    "x-kubernetes-action": "patch",
                    "parameters": [
                        {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                        {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                        {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                    ],
                    "requestBody": {"content": content, "required": true},
                    "responses": {"200": {"description": "OK"}},
                }
            }),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": format!("v{}.{}.0", VERSION.0, VERSION.1)},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}
