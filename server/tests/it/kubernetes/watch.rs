//! Watches over plain HTTP: from no resourceVersion (every object ADDED),
//! from one (the history after it), expired, selectors, timeoutSeconds.

use super::*;

const PODS: &str = "/api/v1/namespaces/default/pods";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_without_a_resource_version_starts_with_every_object_added_then_goes_live() {
    let server = k8s(|_| {}).await;
    create(&server, PODS, &pod("web", json!({}), "a:1")).await;
    let mut watch = Watch::open(&server, &format!("{PODS}?watch=true"), None).await;
    assert_eq!(watch.status, 200);
    assert_eq!(
        kinds_and_names(&watch.until(1).await),
        vec![("ADDED".into(), "web".into())]
    );
    create(&server, PODS, &pod("api", json!({}), "a:1")).await;
    let patch = json!({"metadata": {"labels": {"x": "y"}}});
    call(
        &server,
        Method::PATCH,
        &format!("{PODS}/web"),
        Some(&patch),
        "application/merge-patch+json",
        None,
    )
    .await;
    call(
        &server,
        Method::DELETE,
        &format!("{PODS}/api"),
        None,
        "application/json",
        None,
    )
    .await;
    let events = watch.until(4).await;
    assert_eq!(
        kinds_and_names(&events),
        vec![
            ("ADDED".into(), "web".into()),
            ("ADDED".into(), "api".into()),
            ("MODIFIED".into(), "web".into()),
            ("DELETED".into(), "api".into()),
        ]
    );
    assert_eq!(events[2]["object"]["metadata"]["labels"]["x"], "y");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_from_a_resource_version_replays_what_came_after_it() {
    let server = k8s(|_| {}).await;
    let first = create(&server, PODS, &pod("one", json!({}), "a:1")).await;
    let rv = first["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    create(&server, PODS, &pod("two", json!({}), "a:1")).await;
    // Another namespace's pods are not this watch's.
    create(
        &server,
        "/api/v1/namespaces/kube-system/pods",
        &pod("other", json!({}), "a:1"),
    )
    .await;
    let mut watch = Watch::open(
        &server,
        &format!("{PODS}?watch=True&resourceVersion={rv}"),
        None,
    )
    .await;
    assert_eq!(
        kinds_and_names(&watch.until(1).await),
        vec![("ADDED".into(), "two".into())]
    );
    create(&server, PODS, &pod("three", json!({}), "a:1")).await;
    let events = watch.until(2).await;
    assert_eq!(
        kinds_and_names(&events)[1],
        ("ADDED".into(), "three".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_from_before_the_kept_history_is_told_it_expired() {
    let server = k8s(|c| c.kubernetes_watch_history = 2).await;
    let first = create(&server, PODS, &pod("p0", json!({}), "a:1")).await;
    let rv = first["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    for i in 1..4 {
        create(&server, PODS, &pod(&format!("p{i}"), json!({}), "a:1")).await;
    }
    let mut watch = Watch::open(
        &server,
        &format!("{PODS}?watch=true&resourceVersion={rv}"),
        None,
    )
    .await;
    let events = watch.read_to_end().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "ERROR");
    assert_eq!(events[0]["object"]["code"], 410);
    assert_eq!(events[0]["object"]["reason"], "Expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_sees_only_what_its_selectors_select_and_ends_after_its_timeout() {
    let server = k8s(|_| {}).await;
    let mut watch = Watch::open(
        &server,
        &format!("{PODS}?watch=true&labelSelector=app%3Dweb&timeoutSeconds=1"),
        None,
    )
    .await;
    create(&server, PODS, &pod("db", json!({"app": "db"}), "a:1")).await;
    create(&server, PODS, &pod("web", json!({"app": "web"}), "a:1")).await;
    let events = watch.read_to_end().await;
    assert_eq!(
        kinds_and_names(&events),
        vec![("ADDED".into(), "web".into())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_object_watch_path_sees_that_object_alone() {
    let server = k8s(|_| {}).await;
    let mut watch = Watch::open(&server, "/api/v1/watch/namespaces/default/pods/web", None).await;
    create(&server, PODS, &pod("db", json!({}), "a:1")).await;
    create(&server, PODS, &pod("web", json!({}), "a:1")).await;
    assert_eq!(
        kinds_and_names(&watch.until(1).await),
        vec![("ADDED".into(), "web".into())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watch_history_holds_at_most_the_byte_cap_of_objects() {
    let server = k8s(|c| c.max_kubernetes_bytes = 4_096).await;
    let big = |name: &str| {
        let mut p = pod(name, json!({}), "a:1");
        p["metadata"]["annotations"] = json!({"blob": "x".repeat(1_500)});
        p
    };
    // Three scopes, each well under the cap; together past it.
    let mut first_rv = String::new();
    for (i, scope) in ["a", "b", "c"].into_iter().enumerate() {
        let reply = call(
            &server,
            Method::POST,
            PODS,
            Some(&big(&format!("p{i}"))),
            "application/json",
            Some(scope),
        )
        .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        if i == 0 {
            first_rv = reply.json()["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .to_owned();
        }
    }
    let before: u64 = first_rv.parse::<u64>().unwrap() - 1;
    let mut watch = Watch::open(
        &server,
        &format!("{PODS}?watch=true&resourceVersion={before}"),
        Some("a"),
    )
    .await;
    let events = watch.read_to_end().await;
    assert_eq!(events[0]["object"]["reason"], "Expired", "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_past_max_streams_is_refused_503_and_the_open_one_keeps_going() {
    let server = k8s(|c| c.max_streams = 1).await;
    let mut first = Watch::open(&server, &format!("{PODS}?watch=true"), None).await;
    assert_eq!(first.status, 200);
    let second = get(&server, &format!("{PODS}?watch=true")).await;
    assert_eq!(second.status, 503, "{}", second.text());
    assert!(second.text().contains("--max-streams"), "{}", second.text());
    create(&server, PODS, &pod("web", json!({}), "a:1")).await;
    assert_eq!(
        kinds_and_names(&first.until(1).await),
        vec![("ADDED".into(), "web".into())]
    );
}
