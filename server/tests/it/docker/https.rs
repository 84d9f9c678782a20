//! HTTPS by alias: a client container trusting the server's shared CA calls each service.

use super::{Made, docker, docker_ok, import, needed, put, server_image};
use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

/// The HTTPS client image: the machine's curl and the libraries it links.
fn curl_image(made: &mut Made) -> String {
    let image = format!("{}-curl:latest", made.tag);
    let root = tempfile::tempdir().unwrap();
    let curl = Path::new("/usr/bin/curl");
    put(root.path(), curl);
    for lib in needed(curl) {
        put(root.path(), &lib);
    }
    std::fs::create_dir_all(root.path().join("tmp")).unwrap();
    import(root.path(), &image);
    made.images.push(image.clone());
    image
}

/// `curl --cacert /ca/ca.pem URL` from a container on `network` with the
/// CA dir `ca` mounted, polled until it answers: the body.
fn curl_eventually(image: &str, network: &str, ca: &Path, url: &str) -> String {
    let mount = format!("{}:/ca:ro", ca.display());
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < Duration::from_secs(60) {
        let out = docker(&[
            "run",
            "--rm",
            "--network",
            network,
            "-v",
            &mount,
            image,
            "/usr/bin/curl",
            "-sS",
            "--fail",
            "--max-time",
            "10",
            "--cacert",
            "/ca/ca.pem",
            url,
        ]);
        if out.status.success() {
            return String::from_utf8_lossy(&out.stdout).into_owned();
        }
        last = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        std::thread::sleep(Duration::from_millis(500));
    }
    panic!("{url} never answered; last error: {last}");
}

#[test]
fn a_client_container_trusting_the_shared_ca_calls_each_service_over_https_by_alias() {
    let test = "a_client_container_trusting_the_shared_ca_calls_each_service_over_https_by_alias";
    let engine = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !engine {
        testkit::skip(test, "no Docker engine answers");
        return;
    }
    if !Path::new("/usr/bin/curl").exists() {
        testkit::skip(test, "no /usr/bin/curl for the client image");
        return;
    }
    let mut made = Made::new();
    let server = server_image(&mut made, &[]);
    let client = curl_image(&mut made);
    let network = made.tag.clone();
    docker_ok(&["network", "create", &network]);
    made.networks.push(network.clone());

    // Stub-only services, and a CA dir shared with the client.
    let mappings = tempfile::tempdir().unwrap();
    for service in ["example", "other_service"] {
        let stub = serde_json::json!({
            "request": {"method": "GET", "urlPath": "/users", "service": service},
            "response": {"status": 200, "body": format!("users of {service}")}
        });
        std::fs::write(
            mappings.path().join(format!("{service}.json")),
            stub.to_string(),
        )
        .unwrap();
    }
    let ca = tempfile::tempdir().unwrap();
    let name = format!("{}-srv", made.tag);
    let mappings_mount = format!("{}:/app/mappings:ro", mappings.path().display());
    let ca_mount = format!("{}:/app/ca", ca.path().display());
    docker_ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "--user",
        "0:0",
        "--network",
        &network,
        "--network-alias",
        "fake-services",
        "-v",
        &mappings_mount,
        "-v",
        &ca_mount,
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        "-e",
        "RUST_LOG=info",
        &server,
        "/fake-servicer",
        "--plugins",
        "/app/services",
        "--mappings",
        "/app/mappings",
        "--listen",
        "0.0.0.0:80",
        "--tls-listen",
        "0.0.0.0:443",
        "--ca-dir",
        "/app/ca",
    ]);
    made.containers.push(name.clone());

    for (url, body) in [
        ("https://example/users", "users of example"),
        ("https://other_service/users", "users of other_service"),
        ("https://other-service/users", "users of other_service"),
        ("https://fake-services/example/users", "users of example"),
    ] {
        assert_eq!(
            curl_eventually(&client, &network, ca.path(), url),
            body,
            "{url}"
        );
    }
    made.clean();
}
