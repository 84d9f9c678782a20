//! The real kubectl against the fake: apply, get, get -w, patch, delete,
//! label selectors; by prefix, by alias and over HTTPS.

use super::*;

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: app
    image: nginx:1
";

/// A pod manifest named `name`, labelled `app: <app>`.
fn pod_yaml(name: &str, app: &str, image: &str) -> String {
    POD.replace("name: web", &format!("name: {name}"))
        .replace("app: web", &format!("app: {app}"))
        .replace("nginx:1", image)
}

/// A pod's JSON as kubectl gets it.
async fn get_pod(url: &str, name: &str) -> Value {
    let out = kubectl_ok(url, &["get", "pod", name, "-o", "json"], None).await;
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_creates_a_pod_and_a_second_apply_with_a_change_patches_it() {
    let server = k8s(|_| {}).await;
    let url = base(&server);
    let out = kubectl_ok(&url, &["apply", "-f", "-"], Some(POD)).await;
    assert!(out.contains("pod/web created"), "{out}");
    let first = get_pod(&url, "web").await;
    assert_eq!(first["spec"]["containers"][0]["image"], "nginx:1");
    assert_eq!(first["metadata"]["generation"], 1);

    let changed = POD.replace("nginx:1", "nginx:2");
    let out = kubectl_ok(&url, &["apply", "-f", "-"], Some(&changed)).await;
    assert!(out.contains("pod/web configured"), "{out}");
    let second = get_pod(&url, "web").await;
    assert_eq!(second["spec"]["containers"][0]["image"], "nginx:2");
    assert_eq!(second["metadata"]["generation"], 2);
    assert_eq!(second["metadata"]["uid"], first["metadata"]["uid"]);
    assert_ne!(
        second["metadata"]["resourceVersion"],
        first["metadata"]["resourceVersion"]
    );
    // The same manifest again changes nothing.
    let out = kubectl_ok(&url, &["apply", "-f", "-"], Some(&changed)).await;
    assert!(out.contains("pod/web unchanged"), "{out}");

    // The journal names each call's resource and verb, and is filtered
    // by them.
    let admin = testkit::Admin::new(&server);
    let journal = admin
        .get("/__admin/requests?extensions=true&resource=pods")
        .await
        .json();
    let mut verbs: Vec<String> = journal["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| {
            assert_eq!(r["answeredBy"]["kind"], "kubernetes", "{r}");
            r["answeredBy"]["verb"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    verbs.sort();
    verbs.dedup();
    assert_eq!(verbs, vec!["create", "get", "patch"]);
    let creates = admin
        .get("/__admin/requests?resource=pods&verb=create")
        .await
        .json();
    assert_eq!(
        creates["requests"].as_array().map(Vec::len),
        Some(1),
        "{creates}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_pods_watch_shows_the_existing_pod_then_a_change_made_after_it_started() {
    let server = k8s(|_| {}).await;
    let url = base(&server);
    kubectl_ok(&url, &["apply", "-f", "-"], Some(POD)).await;
    let mut watching = Running::start(&url, &["get", "pods", "-w"]);
    tokio::task::block_in_place(|| watching.line("the pod web", |l| l.starts_with("web ")));
    // Made once the watch is open (kubectl lists, then watches from the
    // list's resourceVersion): it must come as an event.
    testkit::eventually(PATIENCE, "the watch to open", || async {
        let streams = testkit::Admin::new(&server)
            .get("/__admin/streams")
            .await
            .json();
        match streams["streams"].as_array().map(Vec::len) {
            Some(1) => Ok(()),
            _ => Err(streams.to_string()),
        }
    })
    .await;
    kubectl_ok(
        &url,
        &["apply", "-f", "-"],
        Some(&pod_yaml("api", "api", "api:1")),
    )
    .await;
    tokio::task::block_in_place(|| watching.line("the new pod api", |l| l.starts_with("api ")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_delete_f_removes_what_apply_made() {
    let server = k8s(|_| {}).await;
    let url = base(&server);
    kubectl_ok(&url, &["apply", "-f", "-"], Some(POD)).await;
    let out = kubectl_ok(&url, &["delete", "-f", "-"], Some(POD)).await;
    assert!(out.contains("pod \"web\" deleted"), "{out}");
    let ran = kubectl(&url, &["get", "pods"], None).await;
    assert!(ran.stderr.contains("No resources found"), "{ran:?}");
    let ran = kubectl(&url, &["get", "pod", "web"], None).await;
    assert!(
        !ran.ok && ran.stderr.contains("pods \"web\" not found"),
        "{ran:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_patch_takes_merge_json_and_strategic_patches() {
    let server = k8s(|_| {}).await;
    let url = base(&server);
    kubectl_ok(&url, &["apply", "-f", "-"], Some(POD)).await;

    for (how, patch) in [
        ("merge", r#"{"metadata":{"labels":{"tier":"front"}}}"#),
        (
            "json",
            r#"[{"op":"replace","path":"/spec/containers/0/image","value":"nginx:3"}]"#,
        ),
        // Strategic: a second container is merged in by name, the first kept.
        (
            "strategic",
            r#"{"spec":{"containers":[{"name":"side","image":"busybox"}]}}"#,
        ),
    ] {
        let args = ["patch", "pod", "web", "--type", how, "-p", patch];
        kubectl_ok(&url, &args, None).await;
    }
    let pod = get_pod(&url, "web").await;
    assert_eq!(
        pod["metadata"]["labels"],
        json!({"app": "web", "tier": "front"})
    );
    let containers: Vec<(&str, &str)> = pod["spec"]["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default(),
                c["image"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(containers, vec![("app", "nginx:3"), ("side", "busybox")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_with_a_label_selector_lists_only_the_matching_pods() {
    let server = k8s(|_| {}).await;
    let url = base(&server);
    for (name, app) in [("web-1", "web"), ("web-2", "web"), ("db", "db")] {
        kubectl_ok(
            &url,
            &["apply", "-f", "-"],
            Some(&pod_yaml(name, app, "img:1")),
        )
        .await;
    }
    let out = kubectl_ok(&url, &["get", "pods", "-l", "app=web", "-o", "name"], None).await;
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        vec!["pod/web-1", "pod/web-2"]
    );
    let out = kubectl_ok(
        &url,
        &["get", "pods", "-l", "app notin (web)", "-o", "name"],
        None,
    )
    .await;
    assert_eq!(out.trim(), "pod/db");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_reaches_the_api_by_alias_and_by_fake_services_prefix_through_a_proxy() {
    let server = k8s(|_| {}).await;
    kubectl_ok(&base(&server), &["apply", "-f", "-"], Some(POD)).await;
    // As from another container: the names resolve to the server (here it
    // is the HTTP proxy), the Host header names the service.
    for via in ["http://kubernetes", "http://fake-services/kubernetes"] {
        let ran = tokio::task::spawn_blocking({
            let (via, proxy) = (via.to_owned(), server.url());
            move || {
                kubectl_command(
                    &via,
                    &["get".into(), "pods".into(), "-o".into(), "name".into()],
                )
                .env("HTTP_PROXY", &proxy)
                .env("NO_PROXY", "")
                .output()
                .expect("kubectl runs")
            }
        })
        .await
        .expect("kubectl ran");
        let out = String::from_utf8_lossy(&ran.stdout);
        assert!(
            ran.status.success(),
            "{via}: {out}{}",
            String::from_utf8_lossy(&ran.stderr)
        );
        assert_eq!(out.trim(), "pod/web", "{via}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_talks_to_the_api_over_https_with_the_generated_ca() {
    let dir = tempfile::tempdir().expect("a dir");
    let server = k8s(|c| {
        c.tls_listen = Some("127.0.0.1:0".into());
        c.ca_dir = Some(dir.path().to_owned());
    })
    .await;
    let ca = dir.path().join("ca.pem");
    assert!(ca.is_file(), "the CA is written to --ca-dir");
    let port = server.tls_addr().expect("HTTPS is on").port();
    let url = format!("https://127.0.0.1:{port}/kubernetes");
    let ca = ca.to_string_lossy().into_owned();
    // A token: without credentials kubectl asks for a password over HTTPS
    // (the fake checks none).
    let tls = [
        "--certificate-authority",
        &ca,
        "--tls-server-name",
        "kubernetes",
        "--token",
        "fake",
    ];
    let apply: Vec<&str> = tls.iter().copied().chain(["apply", "-f", "-"]).collect();
    let out = kubectl_ok(&url, &apply, Some(POD)).await;
    assert!(out.contains("pod/web created"), "{out}");
    let list: Vec<&str> = tls
        .iter()
        .copied()
        .chain(["get", "pods", "-o", "name"])
        .collect();
    assert_eq!(kubectl_ok(&url, &list, None).await.trim(), "pod/web");
    // Without the CA, kubectl refuses the certificate.
    let ran = kubectl(&url, &["--token", "fake", "get", "pods"], None).await;
    assert!(!ran.ok && ran.stderr.contains("certificate"), "{ran:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_prints_the_api_servers_columns() {
    let server = k8s(|_| {}).await;
    let url = base(&server);
    kubectl_ok(&url, &["apply", "-f", "-"], Some(POD)).await;
    let out = kubectl_ok(&url, &["get", "pods"], None).await;
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines[0],
        vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        "{out}"
    );
    assert_eq!(lines[1][..4], ["web", "0/1", "Pending", "0"], "{out}");
    let out = kubectl_ok(&url, &["get", "namespaces"], None).await;
    assert!(
        out.starts_with("NAME") && out.contains("kube-system") && out.contains("Active"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_server_side_creates_then_merges() {
    let server = k8s(|_| {}).await;
    let url = base(&server);
    let out = kubectl_ok(&url, &["apply", "--server-side", "-f", "-"], Some(POD)).await;
    assert!(out.contains("pod/web serverside-applied"), "{out}");
    let changed = POD.replace("nginx:1", "nginx:2");
    kubectl_ok(&url, &["apply", "--server-side", "-f", "-"], Some(&changed)).await;
    let pod = get_pod(&url, "web").await;
    assert_eq!(pod["spec"]["containers"][0]["image"], "nginx:2");
    assert_eq!(pod["spec"]["containers"].as_array().map(Vec::len), Some(1));
    assert_eq!(pod["metadata"]["generation"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_server_dry_runs_and_diff_change_nothing() {
    let server = k8s(|_| {}).await;
    let url = base(&server);
    let out = kubectl_ok(&url, &["apply", "--dry-run=server", "-f", "-"], Some(POD)).await;
    assert!(out.contains("created (server dry run)"), "{out}");
    let ran = kubectl(&url, &["get", "pods"], None).await;
    assert!(ran.stderr.contains("No resources found"), "{ran:?}");

    kubectl_ok(&url, &["apply", "-f", "-"], Some(POD)).await;
    let changed = POD.replace("nginx:1", "nginx:2");
    // kubectl diff exits 1 when there is a difference.
    let ran = kubectl(&url, &["diff", "-f", "-"], Some(&changed)).await;
    assert!(ran.stdout.contains("+  - image: nginx:2"), "{ran:?}");
    let out = kubectl_ok(&url, &["delete", "pod", "web", "--dry-run=server"], None).await;
    assert!(out.contains("(server dry run)"), "{out}");
    let pod = get_pod(&url, "web").await;
    assert_eq!(pod["spec"]["containers"][0]["image"], "nginx:1");
    assert_eq!(pod["metadata"]["generation"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_sets_a_status_through_its_subresource_and_waits_for_it() {
    let server = k8s(|_| {}).await;
    let url = base(&server);
    kubectl_ok(&url, &["apply", "-f", "-"], Some(POD)).await;
    let ready = r#"{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}"#;
    kubectl_ok(
        &url,
        &[
            "patch",
            "pod",
            "web",
            "--subresource=status",
            "--type=merge",
            "-p",
            ready,
        ],
        None,
    )
    .await;
    let out = kubectl_ok(
        &url,
        &["wait", "--for=condition=Ready", "pod/web", "--timeout=10s"],
        None,
    )
    .await;
    assert!(out.contains("condition met"), "{out}");
    // `all` is the category of pods, services and deployments.
    let out = kubectl_ok(&url, &["get", "all"], None).await;
    assert!(out.contains("pod/web") && out.contains("Running"), "{out}");
    // The status subresource leaves the spec alone, and the object's own
    // endpoint the status.
    let pod = get_pod(&url, "web").await;
    assert_eq!(pod["metadata"]["generation"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_in_a_scope_of_the_server_path_never_sees_another_scopes_pods() {
    let server = k8s(|_| {}).await;
    let (a, b) = (
        format!("{}/scopes/test-a", base(&server)),
        format!("{}/scopes/test-b", base(&server)),
    );
    kubectl_ok(&a, &["apply", "-f", "-"], Some(POD)).await;
    kubectl_ok(
        &b,
        &["apply", "-f", "-"],
        Some(&pod_yaml("other", "other", "x:1")),
    )
    .await;
    assert_eq!(
        kubectl_ok(&a, &["get", "pods", "-o", "name"], None)
            .await
            .trim(),
        "pod/web"
    );
    assert_eq!(
        kubectl_ok(&b, &["get", "pods", "-o", "name"], None)
            .await
            .trim(),
        "pod/other"
    );
    // The same scope by header, and none for the unscoped requests.
    let reply = call(
        &server,
        Method::GET,
        "/api/v1/namespaces/default/pods",
        None,
        "application/json",
        Some("test-a"),
    )
    .await;
    assert_eq!(names(&reply.json()), vec!["web"]);
    assert!(names(&get(&server, "/api/v1/namespaces/default/pods").await.json()).is_empty());
    // Deleting the scope drops its objects.
    testkit::Admin::new(&server)
        .delete("/__admin/scopes/test-a")
        .await;
    let ran = kubectl(&a, &["get", "pods"], None).await;
    assert!(ran.stderr.contains("No resources found"), "{ran:?}");
    assert_eq!(
        kubectl_ok(&b, &["get", "pods", "-o", "name"], None)
            .await
            .trim(),
        "pod/other"
    );
}
