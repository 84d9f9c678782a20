//! `bodyFileName`: response bodies from the files directory (`__files/`
//! of the `--mappings` directory), read when answered, never from outside
//! it; and recordings that keep long bodies there, so that nothing
//! recorded is lost to the mapping-file cap.

use http::StatusCode;
use serde_json::json;
use std::path::Path;
use testkit::{Admin, Http, TestServer, eventually, serve};

/// A server reading mappings (and `__files/`) from `dir`.
async fn server_on(
    dir: &Path,
    adjust: impl FnOnce(&mut fake_servicer_server::Config),
) -> TestServer {
    let dir = dir.to_owned();
    serve(&[], move |c| {
        c.mappings = Some(dir);
        adjust(c);
    })
    .await
}

/// A mappings dir with `__files/` holding `name` = `bytes`.
fn files_dir(name: &str, bytes: &[u8]) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("a dir");
    let files = root.path().join("__files");
    std::fs::create_dir_all(&files).expect("__files");
    std::fs::write(files.join(name), bytes).expect("a body file");
    root
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_file_is_sent_as_stored_and_an_edit_is_served_at_once() {
    let binary = [0u8, 255, 10, 13, 0, 159];
    let root = files_dir("blob.bin", &binary);
    let s = server_on(root.path(), |_| {}).await;
    let a = Admin::new(&s);
    let created = a
        .post(
            "/__admin/mappings",
            json!({"request": {"urlPath": "/blob"}, "response": {"bodyFileName": "blob.bin"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let url = format!("{}/blob", s.url());
    assert_eq!(Http::new().get(&url).await.body, &binary[..]);
    std::fs::write(root.path().join("__files/blob.bin"), b"edited").expect("edit");
    assert_eq!(Http::new().get(&url).await.body, &b"edited"[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_templating_the_file_name_and_the_file_text_are_templates() {
    let root = files_dir("user-7.json", b"{\"id\": \"{{request.pathSegments.[1]}}\"}");
    let s = server_on(root.path(), |_| {}).await;
    Admin::new(&s)
        .stub(json!({"request": {"urlPathPattern": "/users/.*"},
                     "response": {"bodyFileName": "user-{{request.pathSegments.[1]}}.json",
                                  "transformers": ["response-template"]}}))
        .await;
    let r = Http::new().get(&format!("{}/users/7", s.url())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.text(), "{\"id\": \"7\"}");
    let missing = Http::new().get(&format!("{}/users/8", s.url())).await;
    assert_eq!(missing.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(missing.text().contains("user-8.json"), "{}", missing.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_file_name_leaving_the_files_directory_is_refused() {
    let root = files_dir("ok.txt", b"ok");
    std::fs::write(root.path().join("secret.txt"), b"secret").expect("a file outside");
    std::os::unix::fs::symlink(
        root.path().join("secret.txt"),
        root.path().join("__files/link.txt"),
    )
    .expect("a link out");
    let s = server_on(root.path(), |_| {}).await;
    let a = Admin::new(&s);
    for name in ["../secret.txt", "/etc/passwd"] {
        let r = a
            .post(
                "/__admin/mappings",
                json!({"request": {"urlPath": "/x"}, "response": {"bodyFileName": name}}),
            )
            .await;
        r.assert_invalid_at("/response/bodyFileName");
    }
    a.stub(json!({"request": {"urlPath": "/link"}, "response": {"bodyFileName": "link.txt"}}))
        .await;
    let r = Http::new().get(&format!("{}/link", s.url())).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!r.text().contains("secret\""), "{}", r.text());
    assert!(r.text().contains("leads out"), "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_files_in_the_files_directory_are_bodies_not_mappings() {
    let root = files_dir("body.json", br#"{"request": {"urlPath": "/evil"}}"#);
    let s = server_on(root.path(), |_| {}).await;
    let total = Admin::new(&s).get("/__admin/mappings").await.json()["meta"]["total"].clone();
    assert_eq!(total, 0);
}

/// Records `bytes` from a partner with a mappings dir, resets, restarts,
/// and checks each time that the recorded stub answers them.
async fn recorded_and_replayed(bytes: Vec<u8>) {
    let partner = serve(&[], |c| c.max_admin_body_bytes = 128 << 20).await;
    Admin::new(&partner)
        .stub(json!({"request": {"urlPath": "/big"},
                     "response": {"base64Body": base64_of(&bytes),
                                  "headers": {"Content-Type": "application/octet-stream"}}}))
        .await;
    let root = tempfile::tempdir().expect("a mappings dir");
    let big = |c: &mut fake_servicer_server::Config| {
        c.proxy_max_body_bytes = 80 << 20;
        c.max_recorded_bytes = 80 << 20;
        c.max_body_file_bytes = 80 << 20;
    };
    let me = server_on(root.path(), big).await;
    let a = Admin::new(&me);
    let started = a
        .post(
            "/__admin/recordings/start",
            json!({"targetBaseUrl": partner.url()}),
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text());
    let url = format!("{}/big", me.url());
    assert_eq!(Http::new().get(&url).await.body.len(), bytes.len());
    let stopped = a.post("/__admin/recordings/stop", json!({})).await;
    assert_eq!(stopped.status, StatusCode::OK);
    let name = stopped.json()["mappings"][0]["response"]["bodyFileName"].clone();
    assert!(name.is_string(), "a long body goes to a body file: {name}");
    partner.shutdown().await;
    replays(&me, &bytes)
        .await
        .expect("replayed after the recording");
    a.post("/__admin/reset", json!({})).await;
    // The mapping file, within the cap, is loaded again.
    eventually(
        std::time::Duration::from_secs(20),
        "the recorded stub to answer after a reset",
        || replays(&me, &bytes),
    )
    .await;
    me.shutdown().await;
    let again = server_on(root.path(), big).await;
    eventually(
        std::time::Duration::from_secs(20),
        "the recorded stub to answer after a restart",
        || replays(&again, &bytes),
    )
    .await;
}

/// Whether `GET /big` on `s` answers `bytes`.
async fn replays(s: &TestServer, bytes: &[u8]) -> Result<(), String> {
    let r = Http::new().get(&format!("{}/big", s.url())).await;
    if r.status == StatusCode::OK && r.body == bytes {
        Ok(())
    } else {
        Err(format!("{} with {} bytes", r.status, r.body.len()))
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Bytes no text encoding would keep.
fn binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 256) as u8).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_7_mib_body_is_replayed_after_a_reset_and_a_restart() {
    recorded_and_replayed(binary(7 << 20)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_64_mib_body_is_replayed_after_a_reset_and_a_restart() {
    recorded_and_replayed(binary(64 << 20)).await;
}

/// A WireMock root directory: `mappings/` (in a subfolder) and `__files/`.
fn wiremock_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("a root dir");
    let nested = root.path().join("mappings/payments/v1");
    std::fs::create_dir_all(&nested).expect("mappings/");
    std::fs::create_dir_all(root.path().join("__files")).expect("__files/");
    std::fs::write(
        nested.join("charge.json"),
        r#"{"request": {"method": "POST", "urlPath": "/charge"},
            "response": {"status": 201, "bodyFileName": "charge.json"}}"#,
    )
    .expect("a mapping");
    std::fs::write(
        root.path().join("__files/charge.json"),
        br#"{"id": "ch_1"}"#,
    )
    .expect("a body file");
    root
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_dir_serves_its_mappings_in_subfolders_at_their_own_paths_with_bodies_from_files() {
    let root = wiremock_root();
    let dir = root.path().to_owned();
    let s = serve(&[], move |c| c.root_dir = Some(dir)).await;
    let r = Http::new()
        .post_json(&format!("{}/charge", s.url()), "{}")
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.text(), r#"{"id": "ch_1"}"#);
    // The subfolder only organises: no service named after it.
    let under = Http::new()
        .post_json(&format!("{}/payments/charge", s.url()), "{}")
        .await;
    assert_eq!(under.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_added_to_a_root_dir_is_served_without_a_restart() {
    let root = wiremock_root();
    let dir = root.path().to_owned();
    let s = serve(&[], move |c| c.root_dir = Some(dir)).await;
    std::fs::write(
        root.path().join("mappings/later.json"),
        r#"{"request": {"urlPath": "/later"}, "response": {"body": "later"}}"#,
    )
    .expect("a new mapping");
    let url = format!("{}/later", s.url());
    eventually(
        std::time::Duration::from_secs(10),
        "the new mapping",
        || async {
            let r = Http::new().get(&url).await;
            if r.status == StatusCode::OK {
                Ok(())
            } else {
                Err(r.status.to_string())
            }
        },
    )
    .await;
}
