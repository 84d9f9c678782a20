//! The API over plain HTTP: discovery, Status errors, resourceVersion and
//! generation, paging, selectors, generateName, custom resources, the
//! journal, and what wins over it.

use super::*;

const PODS: &str = "/api/v1/namespaces/default/pods";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_lists_the_builtin_kinds_and_the_version() {
    let server = k8s(|_| {}).await;
    assert_eq!(get(&server, "/version").await.json()["major"], "1");
    assert_eq!(get(&server, "/api").await.json()["versions"], json!(["v1"]));
    let core = get(&server, "/api/v1").await.json();
    let names: Vec<&str> = core["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .filter(|n| !n.contains('/'))
        .collect();
    assert_eq!(
        names,
        vec!["namespaces", "pods", "services", "configmaps", "secrets"]
    );
    let groups = get(&server, "/apis").await.json();
    assert_eq!(groups["groups"][0]["name"], "apps");
    let apps = get(&server, "/apis/apps/v1").await.json();
    assert_eq!(apps["resources"][0]["kind"], "Deployment");
    assert_status(&get(&server, "/apis/nope/v1").await, 404, "NotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_status_objects_with_the_api_servers_codes() {
    let server = k8s(|_| {}).await;
    assert_status(
        &get(&server, &format!("{PODS}/ghost")).await,
        404,
        "NotFound",
    );
    create(&server, PODS, &pod("web", json!({}), "a:1")).await;
    assert_status(
        &post(&server, PODS, &pod("web", json!({}), "a:1")).await,
        409,
        "AlreadyExists",
    );
    let nameless = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {}, "spec": {}});
    let reply = post(&server, PODS, &nameless).await;
    assert_status(&reply, 422, "Invalid");
    assert_eq!(
        reply.json()["details"]["causes"][0]["field"],
        "metadata.name"
    );
    assert_status(
        &post(&server, PODS, &pod("Bad_Name", json!({}), "a:1")).await,
        422,
        "Invalid",
    );
    let elsewhere = "/api/v1/namespaces/missing/pods";
    let reply = post(&server, elsewhere, &pod("web", json!({}), "a:1")).await;
    assert_status(&reply, 404, "NotFound");
    assert!(
        reply
            .text()
            .contains("namespaces \\\"missing\\\" not found"),
        "{}",
        reply.text()
    );
    let not_json = Http::new()
        .send(
            Method::POST,
            &format!("{}{PODS}", base(&server)),
            &[("content-type", "application/json")],
            "{oops",
        )
        .await
        .expect("an answer");
    assert_status(&not_json, 400, "BadRequest");
    // Nothing of the refused requests was kept.
    assert_eq!(names(&get(&server, PODS).await.json()), vec!["web"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_versions_grow_a_stale_one_conflicts_and_generation_counts_spec_changes() {
    let server = k8s(|_| {}).await;
    let made = create(&server, PODS, &pod("web", json!({"app": "web"}), "a:1")).await;
    let meta = &made["metadata"];
    assert_eq!(meta["generation"], 1);
    assert_eq!(meta["uid"].as_str().map(str::len), Some(36), "{meta}");
    assert!(
        meta["creationTimestamp"]
            .as_str()
            .is_some_and(|t| t.len() == 20 && t.ends_with('Z')),
        "{meta}"
    );
    let rv1: u64 = meta["resourceVersion"]
        .as_str()
        .and_then(|r| r.parse().ok())
        .expect("a numeric rv");

    // A label change: new resourceVersion, same generation.
    let mut labelled = made.clone();
    labelled["metadata"]["labels"]["tier"] = json!("front");
    let url = format!("{PODS}/web");
    let reply = put(&server, &url, &labelled).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let after_label = reply.json();
    let rv2: u64 = after_label["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|r| r.parse().ok())
        .expect("rv");
    assert!(rv2 > rv1);
    assert_eq!(after_label["metadata"]["generation"], 1);

    // Stale: the first version again.
    let reply = put(&server, &url, &labelled).await;
    assert_status(&reply, 409, "Conflict");

    // A spec change: generation 2, uid and creation kept.
    let mut image = after_label.clone();
    image["spec"]["containers"][0]["image"] = json!("a:2");
    let reply = put(&server, &url, &image).await;
    let updated = reply.json();
    assert_eq!(updated["metadata"]["generation"], 2, "{updated}");
    assert_eq!(updated["metadata"]["uid"], made["metadata"]["uid"]);
    assert_eq!(
        updated["metadata"]["creationTimestamp"],
        made["metadata"]["creationTimestamp"]
    );

    // A merge patch naming a stale resourceVersion conflicts too.
    let stale = json!({"metadata": {"resourceVersion": rv1.to_string(), "labels": {"x": "y"}}});
    let reply = call(
        &server,
        Method::PATCH,
        &url,
        Some(&stale),
        "application/merge-patch+json",
        None,
    )
    .await;
    assert_status(&reply, 409, "Conflict");
    let reply = call(
        &server,
        Method::PATCH,
        &url,
        Some(&json!({"a": 1})),
        "text/plain",
        None,
    )
    .await;
    assert_status(&reply, 415, "UnsupportedMediaType");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_and_continue_page_through_a_list_in_name_order() {
    let server = k8s(|_| {}).await;
    for name in ["e", "a", "d", "c", "b"] {
        create(&server, PODS, &pod(name, json!({}), "a:1")).await;
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = get(&server, &format!("{PODS}?limit=2&continue={token}"))
            .await
            .json();
        pages += 1;
        seen.extend(names(&page));
        match page["metadata"]["continue"].as_str() {
            Some(next) => {
                assert_eq!(
                    page["metadata"]["remainingItemCount"],
                    5 - seen.len(),
                    "{page}"
                );
                token = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(seen, vec!["a", "b", "c", "d", "e"]);
    assert_eq!(pages, 3);
    assert_status(
        &get(&server, &format!("{PODS}?continue=garbage!")).await,
        400,
        "BadRequest",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_and_field_selectors_filter_a_list_across_namespaces() {
    let server = k8s(|_| {}).await;
    create(&server, PODS, &pod("web", json!({"app": "web"}), "a:1")).await;
    create(&server, PODS, &pod("db", json!({"app": "db"}), "a:1")).await;
    create(
        &server,
        "/api/v1/namespaces/kube-system/pods",
        &pod("dns", json!({"app": "web"}), "a:1"),
    )
    .await;
    let q = |s: &str| {
        s.replace(' ', "%20")
            .replace('(', "%28")
            .replace(')', "%29")
    };
    let list = get(
        &server,
        &format!("/api/v1/pods?labelSelector={}", q("app in (web)")),
    )
    .await
    .json();
    // In namespace order, then name order, as the API server lists.
    assert_eq!(names(&list), vec!["web", "dns"]);
    let list = get(&server, &format!("{PODS}?labelSelector=app%3Dweb"))
        .await
        .json();
    assert_eq!(names(&list), vec!["web"]);
    let list = get(&server, "/api/v1/pods?fieldSelector=metadata.name%3Ddb")
        .await
        .json();
    assert_eq!(names(&list), vec!["db"]);
    let list = get(
        &server,
        "/api/v1/pods?fieldSelector=metadata.namespace%3Dkube-system",
    )
    .await
    .json();
    assert_eq!(names(&list), vec!["dns"]);
    assert_eq!(list["kind"], "PodList");
    assert_status(
        &get(
            &server,
            &format!("{PODS}?labelSelector={}", q("app in web")),
        )
        .await,
        400,
        "BadRequest",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_name_gives_each_object_a_name_of_its_own() {
    let server = k8s(|_| {}).await;
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "conf-"}, "data": {"a": "1"}});
    let path = "/api/v1/namespaces/default/configmaps";
    let one = create(&server, path, &cm).await;
    let two = create(&server, path, &cm).await;
    let (a, b) = (
        one["metadata"]["name"].as_str().unwrap(),
        two["metadata"]["name"].as_str().unwrap(),
    );
    assert!(a.starts_with("conf-") && a.len() == 10, "{a}");
    assert_ne!(a, b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_answers_the_object_and_a_namespace_takes_its_objects_along() {
    let server = k8s(|_| {}).await;
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}});
    create(&server, "/api/v1/namespaces", &ns).await;
    create(
        &server,
        "/api/v1/namespaces/team/pods",
        &pod("web", json!({}), "a:1"),
    )
    .await;
    let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 1}});
    create(&server, "/apis/apps/v1/namespaces/team/deployments", &dep).await;
    let url = "/api/v1/namespaces/team/pods/web";
    let gone = call(&server, Method::DELETE, url, None, "application/json", None).await;
    assert_eq!(gone.status, 200);
    assert_eq!(gone.json()["metadata"]["name"], "web");
    assert_status(
        &call(&server, Method::DELETE, url, None, "application/json", None).await,
        404,
        "NotFound",
    );
    call(
        &server,
        Method::DELETE,
        "/api/v1/namespaces/team",
        None,
        "application/json",
        None,
    )
    .await;
    let left = get(&server, "/apis/apps/v1/deployments").await.json();
    assert_eq!(names(&left), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_resources_declared_in_a_file_are_served_and_a_bad_file_stops_the_start() {
    let dir = tempfile::tempdir().expect("a dir");
    let file = dir.path().join("crds.json");
    std::fs::write(
        &file,
        json!([{"group": "stable.example.com", "version": "v1", "kind": "CronTab", "plural": "crontabs", "namespaced": true}]).to_string(),
    )
    .expect("written");
    let server = k8s(|c| c.kubernetes_resources = Some(file.clone())).await;
    let groups = get(&server, "/apis").await.json();
    assert!(
        groups.to_string().contains("stable.example.com/v1"),
        "{groups}"
    );
    let path = "/apis/stable.example.com/v1/namespaces/default/crontabs";
    let tab = json!({"apiVersion": "stable.example.com/v1", "kind": "CronTab", "metadata": {"name": "nightly"}, "spec": {"cron": "0 0 * * *"}});
    create(&server, path, &tab).await;
    assert_eq!(names(&get(&server, path).await.json()), vec!["nightly"]);
    // Strategic merge is for the built-ins, as on a real API server.
    let reply = call(
        &server,
        Method::PATCH,
        &format!("{path}/nightly"),
        Some(&json!({})),
        "application/strategic-merge-patch+json",
        None,
    )
    .await;
    assert_status(&reply, 415, "UnsupportedMediaType");
    drop(server);

    std::fs::write(&file, r#"[{"group": "x.io", "version": "v1"}]"#).expect("written");
    let refused = fake_servicer_server::Server::start(Config {
        plugins: None,
        kubernetes: true,
        kubernetes_resources: Some(file.clone()),
        ..Config::local("/nonexistent")
    })
    .await
    .err()
    .expect("refused");
    let message = refused.to_string();
    assert!(
        message.contains("--kubernetes-resources") && message.contains("crds.json"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_is_reached_by_alias_and_a_stub_for_the_service_still_wins() {
    let server = k8s(|_| {}).await;
    let by_host = Http::new()
        .get_host(&format!("{}/api/v1/namespaces", server.url()), "kubernetes")
        .await;
    assert_eq!(
        names(&by_host.json()),
        vec!["default", "kube-public", "kube-system"]
    );
    server
        .client()
        .stub_json(json!({
            "request": {"method": "GET", "urlPath": "/version", "service": "kubernetes"},
            "response": {"status": 200, "jsonBody": {"major": "9"}}
        }))
        .await
        .expect("a stub");
    assert_eq!(get(&server, "/version").await.json()["major"], "9");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_there_is_no_kubernetes_service() {
    let server = k8s(|c| c.kubernetes = false).await;
    assert_eq!(get(&server, "/api/v1/namespaces").await.status, 404);
}
