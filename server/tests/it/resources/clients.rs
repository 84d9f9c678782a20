//! A plain command-line client, curl, creates, reads, patches and deletes
//! items in a scope of its own; without curl the test is skipped visibly,
//! or fails where tools are required (`testkit::skip`).

use serde_json::{Value, json};

/// `curl` with `args`; its stdout, or `None` when curl is not there.
async fn curl(args: Vec<String>) -> Option<(String, bool)> {
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "10"])
            .args(&args)
            .output()
    })
    .await
    .ok()?
    .ok()?;
    Some((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.success(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_creates_reads_patches_and_deletes_items_in_its_scope() {
    let (server, admin) = super::with_orders().await;
    let url = format!("{}/orders", server.url());
    let scoped = |mut args: Vec<String>| {
        args.extend(["-H".to_owned(), "X-Fake-Servicer-Scope: curl".to_owned()]);
        curl(args)
    };
    let Some((created, ok)) = scoped(vec![
        "-i".into(),
        "-X".into(),
        "POST".into(),
        "-H".into(),
        "Content-Type: application/json".into(),
        "-d".into(),
        json!({"status": "new"}).to_string(),
        url.clone(),
    ])
    .await
    else {
        testkit::skip(
            "curl_creates_reads_patches_and_deletes_items_in_its_scope",
            "no curl on this machine",
        );
        return;
    };
    assert!(ok, "{created}");
    let (head, body) = created.split_once("\r\n\r\n").expect("a head and a body");
    assert!(head.starts_with("HTTP/1.1 201"), "{head}");
    let location = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .expect("a Location header")
        .trim()
        .to_owned();
    let item: Value = serde_json::from_str(body).expect("the item as JSON");
    let id = item["id"].as_str().expect("an id");
    assert_eq!(location, format!("/orders/{id}"));
    let item_url = format!("{}{location}", server.url());
    let (patched, _) = scoped(vec![
        "-X".into(),
        "PATCH".into(),
        "-d".into(),
        r#"{"status": "paid"}"#.into(),
        item_url.clone(),
    ])
    .await
    .expect("curl ran");
    assert_eq!(
        serde_json::from_str::<Value>(&patched).expect("JSON")["status"],
        "paid"
    );
    let (listed, _) = scoped(vec![format!("{url}?status=paid")])
        .await
        .expect("curl ran");
    assert_eq!(
        serde_json::from_str::<Value>(&listed).expect("JSON")["total"],
        1
    );
    let (code, _) = scoped(vec![
        "-o".into(),
        "/dev/null".into(),
        "-w".into(),
        "%{http_code}".into(),
        "-X".into(),
        "DELETE".into(),
        item_url,
    ])
    .await
    .expect("curl ran");
    assert_eq!(code, "204");
    assert_eq!(
        super::ids(&admin, "/orders", Some("curl")).await,
        ["1", "2"]
    );
}
