//! The testcontainers image on the machine's Docker engine. No image can
//! be pulled: the test makes one locally with `docker import`, shaped like
//! the Dockerfile's runtime target (the server at
//! `/usr/local/bin/fake-servicer` as entrypoint, `FAKE_SERVICER_PLUGINS` and
//! `FAKE_SERVICER_LISTEN` set, user 10001, port 80), holding the built
//! server binary and the glibc libraries it and the plugins link.
//!
//! Without an engine the test is skipped with a `SKIPPED:` line on stderr
//! and in `target/tmp/skipped-tests.txt`, unless
//! `FAKE_SERVICER_REQUIRE_DOCKER=1` or, without that variable, `CI` is set:
//! then a missing engine is a failure (the rule of `server/tests/it/docker/mod.rs`).

use fake_servicer_client::prelude::*;
use fake_servicer_client::testcontainers::FakeServicer;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn engine_answers() -> bool {
    Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The shared libraries `file` needs, as `ldd` resolves them.
fn needed(file: &Path) -> Vec<PathBuf> {
    let out = Command::new("ldd").arg(file).output().expect("ldd runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let path = match l.split_once("=>") {
                Some((_, rest)) => rest.split_whitespace().next()?,
                None => l.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect()
}

/// Copies `src` into the root file system `root` at `dest` (absolute).
fn put(root: &Path, src: &Path, dest: &Path) {
    let dest = root.join(dest.strip_prefix("/").unwrap_or(dest));
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(src, &dest).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
}

/// An image removed on drop.
struct LocalImage(String);

impl Drop for LocalImage {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rmi", "-f", &self.0]).output();
    }
}

/// The runtime image's shape, made with `docker import`: `name:latest`.
fn runtime_image(name: &str, plugins: &[PathBuf]) -> LocalImage {
    let root = tempfile::tempdir().unwrap();
    let bin = testkit::binary();
    put(root.path(), &bin, Path::new("/usr/local/bin/fake-servicer"));
    let mut libs = needed(&bin);
    for p in plugins {
        libs.extend(needed(p));
    }
    libs.sort();
    libs.dedup();
    for lib in &libs {
        put(root.path(), lib, lib);
    }
    for dir in ["tmp", "app/services"] {
        std::fs::create_dir_all(root.path().join(dir)).unwrap();
    }
    std::fs::set_permissions(
        root.path().join("tmp"),
        std::fs::Permissions::from_mode(0o1777),
    )
    .unwrap();
    let tar = tempfile::NamedTempFile::new().unwrap();
    let packed = Command::new("tar")
        .arg("-C")
        .arg(root.path())
        .args(["-cf"])
        .arg(tar.path())
        .arg(".")
        .status()
        .expect("tar runs");
    assert!(packed.success());
    let image = format!("{name}:latest");
    let out = Command::new("docker")
        .args([
            "import",
            "--change",
            "ENV FAKE_SERVICER_PLUGINS=/app/services FAKE_SERVICER_LISTEN=0.0.0.0:80",
            "--change",
            "USER 10001:10001",
            "--change",
            "EXPOSE 80",
            "--change",
            r#"ENTRYPOINT ["/usr/local/bin/fake-servicer"]"#,
        ])
        .arg(tar.path())
        .arg(&image)
        .output()
        .expect("docker runs");
    assert!(
        out.status.success(),
        "docker import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    LocalImage(image)
}

/// A directory anyone can read, as the container's user must.
fn readable_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn the_image_serves_mounted_plugins_and_mappings_and_hands_back_a_client() {
    let test = "the_image_serves_mounted_plugins_and_mappings_and_hands_back_a_client";
    if !engine_answers() {
        testkit::skip(test, "no Docker engine answers");
        return;
    }
    let plugins = readable_dir();
    let lib = testkit::build_example("example");
    let mounted = plugins.path().join(lib.file_name().unwrap());
    std::fs::copy(&lib, &mounted).unwrap();
    std::fs::set_permissions(&mounted, std::fs::Permissions::from_mode(0o644)).unwrap();

    let mappings = readable_dir();
    let mapping = mappings.path().join("billing.json");
    std::fs::write(
        &mapping,
        r#"{"request": {"method": "GET", "urlPath": "/charge", "service": "billing"},
            "response": {"status": 200, "body": "charged"}}"#,
    )
    .unwrap();
    std::fs::set_permissions(&mapping, std::fs::Permissions::from_mode(0o644)).unwrap();

    let name = format!("fake-servicer-client-test-{}", std::process::id());
    let image = runtime_image(&name, std::slice::from_ref(&mounted));

    let mock = FakeServicer::with_plugins(plugins.path())
        .mappings(mappings.path())
        .admin_token("s3cret")
        .image(&name, "latest")
        .start()
        .await
        .expect("the container starts and answers its health check");
    assert!(
        mock.url().ends_with(&format!(":{}", mock.port())),
        "{}",
        mock.url()
    );
    let server = mock.client();
    assert!(server.services().await.unwrap().get("example").is_some());

    let http = testkit::Admin::at(mock.url().to_owned());
    let plugin = http.mock(Method::GET, "/example/users", &[], "").await;
    assert_eq!(plugin.status, 200);
    assert!(plugin.text().contains("\"email\""), "{}", plugin.text());
    assert_eq!(
        http.mock(Method::GET, "/billing/charge", &[], "")
            .await
            .text(),
        "charged"
    );

    server
        .stub(get("/users/7").service("example"))
        .respond(json(serde_json::json!({"id": 7, "name": "Stubbed"})))
        .await
        .unwrap();
    server
        .next_request("example", GET, "/users")
        .status(403)
        .arm()
        .await
        .unwrap();
    assert_eq!(
        http.mock(Method::GET, "/example/users/7", &[], "")
            .await
            .json()["name"],
        "Stubbed"
    );
    assert_eq!(
        http.mock(Method::GET, "/example/users", &[], "")
            .await
            .status,
        403
    );
    // The plugin's answer, the arming request and the override's answer.
    server
        .verify(get("/users").service("example"), 3)
        .await
        .unwrap();

    // The admin token is the server's: a client without it is refused.
    let without = Client::new(mock.url());
    assert_eq!(without.stubs().await.unwrap_err().status(), Some(401));

    drop(mock);
    drop(image);
}
