//! The Rust `kube` crate against the fake: an `Api<Pod>` creates, lists,
//! patches and watches as it would against a cluster.

use super::{api_url, kubernetes};
use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::{apps::v1::Deployment, core::v1::Pod};
use kube::{
    Api, Client, Config,
    api::{DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams},
    runtime::{WatchStreamExt, watcher},
};
use serde_json::json;
use std::time::Duration;

fn client(url: &str) -> Client {
    let config = Config::new(url.parse().expect("a URL"));
    Client::try_from(config).expect("a client")
}

fn pod(name: &str, app: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}]}
    }))
    .expect("a pod")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_of_pods_lists_the_pods_it_created_with_their_server_set_metadata() {
    let (server, _dir) = kubernetes(None).await;
    let pods: Api<Pod> = Api::namespaced(client(&api_url(&server)), "default");
    let made = pods
        .create(&PostParams::default(), &pod("web-1", "web"))
        .await
        .expect("created");
    pods.create(&PostParams::default(), &pod("db-1", "db"))
        .await
        .expect("created");
    let meta = made.metadata;
    assert!(meta.uid.is_some_and(|u| u.len() == 36));
    assert!(meta.resource_version.is_some());
    assert!(meta.creation_timestamp.is_some());
    assert_eq!(meta.namespace.as_deref(), Some("default"));

    let all = pods.list(&ListParams::default()).await.expect("listed");
    let mut names: Vec<String> = all
        .items
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["db-1", "web-1"]);
    let web = pods
        .list(&ListParams::default().labels("app=web"))
        .await
        .expect("listed by label");
    assert_eq!(web.items.len(), 1);
    assert_eq!(web.items[0].metadata.name.as_deref(), Some("web-1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_of_pods_gets_a_not_found_error_response_for_an_unknown_pod() {
    let (server, _dir) = kubernetes(None).await;
    let pods: Api<Pod> = Api::namespaced(client(&api_url(&server)), "default");
    match pods.get("missing").await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 404);
            assert_eq!(status.reason, "NotFound");
        }
        other => panic!("expected a NotFound Status, got {other:?}"),
    }
    pods.create(&PostParams::default(), &pod("twice", "x"))
        .await
        .expect("created");
    match pods
        .create(&PostParams::default(), &pod("twice", "x"))
        .await
    {
        Err(kube::Error::Api(status)) => {
            assert_eq!(
                (status.code, status.reason.as_str()),
                (409, "AlreadyExists")
            );
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_of_deployments_patches_by_merge_json_and_strategic_merge() {
    let (server, _dir) = kubernetes(None).await;
    let deployments: Api<Deployment> = Api::namespaced(client(&api_url(&server)), "default");
    let made: Deployment = serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [
                    {"name": "main", "image": "nginx:1.27"},
                    {"name": "sidecar", "image": "envoy:1"}
                ]}
            }
        }
    }))
    .expect("a deployment");
    let made = deployments
        .create(&PostParams::default(), &made)
        .await
        .expect("created");
    assert_eq!(made.metadata.generation, Some(1));
    let params = PatchParams::default();
    let merged = deployments
        .patch(
            "web",
            &params,
            &Patch::Merge(json!({"spec": {"replicas": 3}})),
        )
        .await
        .expect("merge patched");
    assert_eq!(merged.spec.as_ref().and_then(|s| s.replicas), Some(3));
    assert_eq!(merged.metadata.generation, Some(2));
    let json_patch: json_patch::Patch = serde_json::from_value(json!([
        {"op": "add", "path": "/metadata/labels", "value": {"tier": "front"}}
    ]))
    .expect("a JSON patch");
    let labelled = deployments
        .patch("web", &params, &Patch::<()>::Json(json_patch))
        .await
        .expect("JSON patched");
    assert_eq!(
        labelled
            .metadata
            .labels
            .and_then(|l| l.get("tier").cloned())
            .as_deref(),
        Some("front")
    );
    // A strategic merge patch merges containers by name: the sidecar stays.
    let strategic = deployments
        .patch(
            "web",
            &params,
            &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [
                {"name": "main", "image": "nginx:1.28"}
            ]}}}})),
        )
        .await
        .expect("strategic merge patched");
    let containers = strategic
        .spec
        .and_then(|s| s.template.spec)
        .map(|s| s.containers)
        .unwrap_or_default();
    let images: Vec<(String, Option<String>)> =
        containers.into_iter().map(|c| (c.name, c.image)).collect();
    assert_eq!(
        images,
        [
            ("main".to_owned(), Some("nginx:1.28".to_owned())),
            ("sidecar".to_owned(), Some("envoy:1".to_owned()))
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_of_pods_watches_a_pod_added_modified_and_deleted_after_its_list() {
    let (server, _dir) = kubernetes(None).await;
    let pods: Api<Pod> = Api::namespaced(client(&api_url(&server)), "default");
    let listed = pods.list(&ListParams::default()).await.expect("listed");
    let from = listed
        .metadata
        .resource_version
        .expect("a list resourceVersion");
    let mut events = pods
        .watch(&WatchParams::default().timeout(30), &from)
        .await
        .expect("watching")
        .boxed();
    pods.create(&PostParams::default(), &pod("w", "a"))
        .await
        .expect("created");
    pods.patch(
        "w",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"app": "b"}}})),
    )
    .await
    .expect("patched");
    pods.delete("w", &DeleteParams::default())
        .await
        .expect("deleted");
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let event = tokio::time::timeout(Duration::from_secs(10), events.try_next())
            .await
            .expect("an event within 10 s")
            .expect("a good event")
            .expect("the watch still open");
        seen.push(match event {
            WatchEvent::Added(p) => ("ADDED", p.metadata.labels),
            WatchEvent::Modified(p) => ("MODIFIED", p.metadata.labels),
            WatchEvent::Deleted(p) => ("DELETED", p.metadata.labels),
            WatchEvent::Bookmark(_) => continue,
            WatchEvent::Error(e) => panic!("watch error {e:?}"),
        });
    }
    let kinds: Vec<(&str, Option<String>)> = seen
        .into_iter()
        .map(|(kind, labels)| (kind, labels.and_then(|l| l.get("app").cloned())))
        .collect();
    assert_eq!(
        kinds,
        [
            ("ADDED", Some("a".to_owned())),
            ("MODIFIED", Some("b".to_owned())),
            ("DELETED", Some("b".to_owned()))
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kube_runtime_watcher_sees_existing_pods_then_new_ones() {
    let (server, _dir) = kubernetes(None).await;
    let pods: Api<Pod> = Api::namespaced(client(&api_url(&server)), "default");
    pods.create(&PostParams::default(), &pod("before", "x"))
        .await
        .expect("created");
    let mut applied = watcher(pods.clone(), watcher::Config::default())
        .applied_objects()
        .boxed();
    let mut next_name = async || {
        tokio::time::timeout(Duration::from_secs(10), applied.try_next())
            .await
            .expect("an object within 10 s")
            .expect("a good event")
            .and_then(|p| p.metadata.name)
    };
    assert_eq!(next_name().await.as_deref(), Some("before"));
    pods.create(&PostParams::default(), &pod("after", "x"))
        .await
        .expect("created");
    assert_eq!(next_name().await.as_deref(), Some("after"));
}
