//! State per scope: scopes never see each other's objects, the unscoped
//! base is shared, scope deletion and reset return to the seed; the caps.

use super::*;

const PODS: &str = "/api/v1/namespaces/default/pods";

async fn scoped_create(server: &TestServer, scope: Option<&str>, name: &str) -> Reply {
    call(
        server,
        Method::POST,
        PODS,
        Some(&pod(name, json!({}), "a:1")),
        "application/json",
        scope,
    )
    .await
}

async fn scoped_names(server: &TestServer, scope: Option<&str>) -> Vec<String> {
    let reply = call(server, Method::GET, PODS, None, "application/json", scope).await;
    names(&reply.json())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_never_sees_another_scopes_pods_and_unscoped_requests_share_the_base() {
    let server = k8s(|_| {}).await;
    assert_eq!(
        scoped_create(&server, Some("test-a"), "a").await.status,
        201
    );
    assert_eq!(
        scoped_create(&server, Some("test-b"), "b").await.status,
        201
    );
    assert_eq!(scoped_create(&server, None, "base").await.status, 201);
    assert_eq!(scoped_names(&server, Some("test-a")).await, vec!["a"]);
    assert_eq!(scoped_names(&server, Some("test-b")).await, vec!["b"]);
    assert_eq!(scoped_names(&server, None).await, vec!["base"]);
    // The same name in two scopes is two objects.
    assert_eq!(
        scoped_create(&server, Some("test-b"), "a").await.status,
        201
    );
    // A watch of scope test-a sees none of test-b's changes.
    let mut watch = Watch::open(&server, &format!("{PODS}?watch=true"), Some("test-a")).await;
    assert_eq!(
        kinds_and_names(&watch.until(1).await),
        vec![("ADDED".into(), "a".into())]
    );
    scoped_create(&server, Some("test-b"), "b2").await;
    scoped_create(&server, Some("test-a"), "a2").await;
    assert_eq!(
        kinds_and_names(&watch.until(2).await)[1],
        ("ADDED".into(), "a2".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_scope_drops_its_objects_and_a_reset_returns_every_scope_to_the_seed() {
    let server = k8s(|_| {}).await;
    let admin = testkit::Admin::new(&server);
    scoped_create(&server, Some("gone"), "a").await;
    scoped_create(&server, Some("kept"), "b").await;
    let removed = admin.delete("/__admin/scopes/gone").await;
    assert_eq!(removed.status, 200, "{}", removed.text());
    assert!(
        removed.json()["removed"].get("stubs").is_some(),
        "{}",
        removed.text()
    );
    assert!(scoped_names(&server, Some("gone")).await.is_empty());
    assert_eq!(scoped_names(&server, Some("kept")).await, vec!["b"]);

    scoped_create(&server, None, "base").await;
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "extra"}});
    create(&server, "/api/v1/namespaces", &ns).await;
    assert_eq!(admin.post("/__admin/reset", json!({})).await.status, 200);
    assert!(scoped_names(&server, Some("kept")).await.is_empty());
    assert!(scoped_names(&server, None).await.is_empty());
    let namespaces = names(&get(&server, "/api/v1/namespaces").await.json());
    assert_eq!(namespaces, vec!["default", "kube-public", "kube-system"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_scope_ends_and_its_objects_and_watches_go_with_it() {
    let server = k8s(|c| c.scope_idle_timeout = Duration::from_millis(200)).await;
    scoped_create(&server, Some("idle"), "a").await;
    let mut watch = Watch::open(&server, &format!("{PODS}?watch=true"), Some("idle")).await;
    assert_eq!(watch.until(1).await.len(), 1);
    // A request of the scope is a use of it: looked at less often than
    // the idle timeout, so that the looks do not keep it alive.
    let until = std::time::Instant::now() + PATIENCE;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let left = scoped_names(&server, Some("idle")).await;
        if left.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "the idle scope's pods stayed: {left:?}"
        );
    }
    // Its watch was closed: it ends.
    assert_eq!(watch.read_to_end().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_object_cap_a_create_is_refused_507_naming_the_flag_and_nothing_is_lost() {
    // The three seed namespaces count: room for two pods.
    let server = k8s(|c| c.max_kubernetes_objects = 5).await;
    for name in ["a", "b"] {
        assert_eq!(scoped_create(&server, Some("s"), name).await.status, 201);
    }
    let refused = scoped_create(&server, Some("s"), "c").await;
    assert_status(&refused, 507, "InsufficientStorage");
    assert!(
        refused.text().contains("--max-kubernetes-objects"),
        "{}",
        refused.text()
    );
    assert_eq!(scoped_names(&server, Some("s")).await, vec!["a", "b"]);
    // Another scope has its own room.
    assert_eq!(scoped_create(&server, Some("t"), "c").await.status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_byte_cap_a_write_is_refused_507_naming_the_flag_and_nothing_is_lost() {
    let server = k8s(|c| c.max_kubernetes_bytes = 4_096).await;
    assert_eq!(scoped_create(&server, None, "small").await.status, 201);
    let mut big = pod("big", json!({}), "a:1");
    big["metadata"]["annotations"] = json!({"blob": "x".repeat(5_000)});
    let refused = post(&server, PODS, &big).await;
    assert_status(&refused, 507, "InsufficientStorage");
    assert!(
        refused.text().contains("--max-kubernetes-bytes"),
        "{}",
        refused.text()
    );
    let patch = json!({"metadata": {"annotations": {"blob": "x".repeat(5_000)}}});
    let refused = call(
        &server,
        Method::PATCH,
        &format!("{PODS}/small"),
        Some(&patch),
        "application/merge-patch+json",
        None,
    )
    .await;
    assert_status(&refused, 507, "InsufficientStorage");
    let kept = get(&server, &format!("{PODS}/small")).await.json();
    assert!(kept["metadata"].get("annotations").is_none(), "{kept}");
    assert_eq!(scoped_names(&server, None).await, vec!["small"]);
}
