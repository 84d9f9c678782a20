//! kmock's Kubernetes examples, ported: what kmock's in-memory API server
//! does out of the box, this one does with `--kubernetes`.

use super::{api_url, kubernetes};
use serde_json::{Value, json};
use testkit::{Admin, Http};

/// The journal's entries answered by the Kubernetes API for `resource`,
/// with `verb` when given.
async fn answered(server: &testkit::TestServer, resource: &str, verb: Option<&str>) -> usize {
    let journal = Admin::new(server)
        .get("/__admin/requests?extensions=true")
        .await
        .json();
    journal["requests"]
        .as_array()
        .expect("a request list")
        .iter()
        .map(|e| &e["answeredBy"])
        .filter(|by| by["kind"] == "kubernetes" && by["resource"] == resource)
        .filter(|by| verb.is_none_or(|v| by["verb"] == v))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pods_posted_are_both_listed_and_the_journal_counts_one_list_in_three_requests() {
    let (server, _dir) = kubernetes(None).await;
    let http = Http::new();
    let pods = format!("{}/api/v1/namespaces/default/pods", api_url(&server));
    for name in ["pod1", "pod2"] {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}});
        let made = http.post_json(&pods, &pod.to_string()).await;
        assert_eq!(made.status, 201, "{name}: {}", made.text());
    }
    let list = http.get(&pods).await.json();
    assert_eq!(list["kind"], "PodList");
    let names: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["pod1", "pod2"]);
    assert_eq!(answered(&server, "pods", Some("list")).await, 1);
    assert_eq!(answered(&server, "pods", Some("create")).await, 2);
    assert_eq!(answered(&server, "pods", None).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_resource_lists_only_the_objects_of_the_namespace_asked() {
    let (server, _dir) = kubernetes(Some(json!([{
        "group": "kopf.dev",
        "version": "v1",
        "kind": "KopfExample",
        "plural": "kopfexamples",
        "namespaced": true
    }])))
    .await;
    let http = Http::new();
    let api = api_url(&server);
    for (ns, name, spec) in [("ns1", "name1", 123), ("ns2", "name2", 456)] {
        let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
        let made = http
            .post_json(&format!("{api}/api/v1/namespaces"), &namespace.to_string())
            .await;
        assert_eq!(made.status, 201, "{ns}: {}", made.text());
        let example = json!({
            "apiVersion": "kopf.dev/v1",
            "kind": "KopfExample",
            "metadata": {"name": name},
            "spec": spec
        });
        let made = http
            .post_json(
                &format!("{api}/apis/kopf.dev/v1/namespaces/{ns}/kopfexamples"),
                &example.to_string(),
            )
            .await;
        assert_eq!(made.status, 201, "{name}: {}", made.text());
    }
    let list = http
        .get(&format!(
            "{api}/apis/kopf.dev/v1/namespaces/ns1/kopfexamples"
        ))
        .await
        .json();
    let specs: Vec<&Value> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| &o["spec"])
        .collect();
    assert_eq!(specs, [&json!(123)]);
    let discovery = http.get(&format!("{api}/apis/kopf.dev/v1")).await.json();
    assert_eq!(discovery["kind"], "APIResourceList");
    assert_eq!(discovery["resources"][0]["name"], "kopfexamples");
    assert_eq!(discovery["resources"][0]["namespaced"], true);
}
