//! Tables: what `kubectl get` asks for (`Accept:
//! application/json;as=Table;v=v1;g=meta.k8s.io`) and prints as columns.
//! The columns are the API server's for the built-ins (a pod's `Ready`,
//! `Status`, `Restarts`, `Age`; a deployment's `Ready`, `Up-to-date`,
//! `Available`; …) and `Name`, `Age` for custom resources. Each row
//! carries its object's metadata (`PartialObjectMetadata`).

use super::kinds::Kind;
use serde_json::{Value, json};
use std::time::SystemTime;

/// Whether a request's `Accept` asks for a table.
pub fn wanted(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',')
            .next()
            .is_some_and(|first| first.contains("as=Table"))
    })
}

/// `objects` of `kind` as a table, with the list's `metadata`.
pub fn of<'a>(kind: &Kind, objects: impl IntoIterator<Item = &'a Value>, metadata: Value) -> Value {
    let now = SystemTime::now();
    let rows: Vec<Value> = objects
        .into_iter()
        .map(|o| {
            json!({
                "cells": cells(kind, o, now),
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": o.get("metadata").cloned().unwrap_or_else(|| json!({})),
                },
            })
        })
        .collect();
    let columns: Vec<Value> = columns(kind)
        .iter()
        .map(|(name, kind)| {
            json!({
                "name": name,
                "type": kind,
                "format": if *name == "Name" { "name" } else { "" },
                "description": "",
                "priority": 0,
            })
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": columns,
        "rows": rows,
    })
}

/// The columns of `kind`, with their types.
fn columns(kind: &Kind) -> &'static [(&'static str, &'static str)] {
    if !kind.builtin {
        return &[("Name", "string"), ("Age", "string")];
    }
    match kind.kind.as_str() {
        "Pod" => &[
            ("Name", "string"),
            ("Ready", "string"),
            ("Status", "string"),
            ("Restarts", "string"),
            ("Age", "string"),
        ],
        "Deployment" => &[
            ("Name", "string"),
            ("Ready", "string"),
            ("Up-to-date", "integer"),
            ("Available", "integer"),
            ("Age", "string"),
        ],
        "Service" => &[
            ("Name", "string"),
            ("Type", "string"),
            ("Cluster-IP", "string"),
            ("External-IP", "string"),
            ("Port(s)", "string"),
            ("Age", "string"),
        ],
        "ConfigMap" => &[("Name", "string"), ("Data", "integer"), ("Age", "string")],
        "Secret" => &[
            ("Name", "string"),
            ("Type", "string"),
            ("Data", "integer"),
            ("Age", "string"),
        ],
        "Namespace" => &[("Name", "string"), ("Status", "string"), ("Age", "string")],
        _ => &[("Name", "string"), ("Age", "string")],
    }
}

/// One row's cells.
fn cells(kind: &Kind, o: &Value, now: SystemTime) -> Vec<Value> {
    let text = |pointer: &str, default: &str| {
        json!(
            o.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or(default)
        )
    };
    let int = |pointer: &str, default: i64| {
        o.pointer(pointer)
            .and_then(Value::as_i64)
            .unwrap_or(default)
    };
    let count = |fields: &[&str]| {
        fields
            .iter()
            .filter_map(|f| o.get(*f).and_then(Value::as_object))
            .map(|m| m.len())
            .sum::<usize>()
    };
    let name = text("/metadata/name", "");
    let age = json!(age(o, now));
    if !kind.builtin {
        return vec![name, age];
    }
    match kind.kind.as_str() {
        "Pod" => {
            let total = o
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let ready = o
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array)
                .map_or(0, |s| s.iter().filter(|c| c["ready"] == true).count());
            vec![
                name,
                json!(format!("{ready}/{total}")),
                text("/status/phase", "Pending"),
                json!("0"),
                age,
            ]
        }
        "Deployment" => vec![
            name,
            json!(format!(
                "{}/{}",
                int("/status/readyReplicas", 0),
                int("/spec/replicas", 1)
            )),
            json!(int("/status/updatedReplicas", 0)),
            json!(int("/status/availableReplicas", 0)),
            age,
        ],
        "Service" => {
            let ports: Vec<String> = o
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            format!(
                                "{}/{}",
                                p["port"].as_i64().unwrap_or_default(),
                                p["protocol"].as_str().unwrap_or("TCP")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            vec![
                name,
                text("/spec/type", "ClusterIP"),
                text("/spec/clusterIP", "<none>"),
                json!("<none>"),
                json!(if ports.is_empty() {
                    "<none>".to_owned()
                } else {
                    ports.join(",")
                }),
                age,
            ]
        }
        "ConfigMap" => vec![name, json!(count(&["data", "binaryData"])), age],
        "Secret" => vec![
            name,
            text("/type", "Opaque"),
            json!(count(&["data", "stringData"])),
            age,
        ],
        "Namespace" => vec![name, text("/status/phase", "Active"), age],
        _ => vec![name, age],
    }
}

/// How long ago `o` was created, as kubectl shows it (`5s`, `3m2s`, `4h`).
fn age(o: &Value, now: SystemTime) -> String {
    let Some(created) = o
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    else {
        return "<unknown>".to_owned();
    };
    let now = chrono::DateTime::<chrono::Utc>::from(now);
    human(now.signed_duration_since(created).num_seconds().max(0))
}

/// kubectl's short durations.
fn human(secs: i64) -> String {
    let (minutes, hours, days) = (secs / 60, secs / 3600, secs / 86_400);
    match () {
        _ if secs < 120 => format!("{secs}s"),
        _ if minutes < 10 && secs % 60 != 0 => format!("{minutes}m{}s", secs % 60),
        _ if minutes < 180 => format!("{minutes}m"),
        _ if hours < 8 && minutes % 60 != 0 => format!("{hours}h{}m", minutes % 60),
        _ if hours < 48 => format!("{hours}h"),
        _ if hours < 192 && hours % 24 != 0 => format!("{days}d{}h", hours % 24),
        _ if days < 730 => format!("{days}d"),
        _ => format!("{}y", days / 365),
    }
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn ages_read_as_kubectl_writes_them() {
        assert_eq!(human(5), "5s");
        assert_eq!(human(125), "2m5s");
        assert_eq!(human(600), "10m");
        assert_eq!(human(3 * 3600 + 120), "3h2m");
        assert_eq!(human(30 * 3600), "30h");
        assert_eq!(human(3 * 86_400 + 3600), "3d1h");
        assert_eq!(human(800 * 86_400), "2y");
    }
}
