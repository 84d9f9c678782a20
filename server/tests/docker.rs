//! The Docker side on the machine's real engine: images built locally (no
//! registry), a user-defined network, the server in a container with the
//! Docker socket and the plugins mounted, and a busybox client container
//! calling `http://example/users` as an app would.
//!
//! Without an engine these tests are skipped with a `SKIPPED:` line on
//! stderr and in `target/tmp/skipped-tests.txt` — unless
//! `FAKE_SERVICER_REQUIRE_DOCKER=1` (as `.ci/run` sets it) or, without that
//! variable, `CI` is set: then a missing engine is a failure. Everything
//! they create is removed.

mod common;

use common::{PluginCrate, build_example};
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    time::{Duration, Instant},
};

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI runs")
}

fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Whether `test` can run: an engine answers, and a static busybox is
/// there for the client image. Otherwise the test is skipped visibly, or
/// fails when the tools are required (see [`common::skip`]).
fn ready(test: &str) -> bool {
    let engine = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    let busybox = Path::new("/bin/busybox").exists();
    if engine && busybox {
        return true;
    }
    let why = if engine {
        "no static busybox at /bin/busybox (apt-get install busybox-static)"
    } else {
        "no Docker engine answers"
    };
    common::skip(test, why);
    false
}

/// Removes what a test made, even when it fails.
struct Made {
    tag: String,
    containers: Vec<String>,
    networks: Vec<String>,
    images: Vec<String>,
}

impl Made {
    fn new() -> Made {
        let tag = format!(
            "fs-test-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        Made {
            tag,
            containers: Vec::new(),
            networks: Vec::new(),
            images: Vec::new(),
        }
    }

    fn clean(&mut self) {
        for c in self.containers.drain(..) {
            let _ = docker(&["rm", "-f", "-v", &c]);
        }
        for n in self.networks.drain(..) {
            let _ = docker(&["network", "rm", &n]);
        }
        for i in self.images.drain(..) {
            let _ = docker(&["rmi", "-f", &i]);
        }
    }
}

impl Drop for Made {
    fn drop(&mut self) {
        self.clean();
    }
}

/// Copies `src` into the root file system `root` at the same path.
fn put(root: &Path, src: &Path) {
    let dest = root.join(src.strip_prefix("/").unwrap_or(src));
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(src, &dest).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
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

/// Imports a root file system as an image.
fn import(root: &Path, image: &str) {
    let tar = tempfile::NamedTempFile::new().unwrap();
    let packed = Command::new("tar")
        .arg("-C")
        .arg(root)
        .args(["-cf"])
        .arg(tar.path())
        .arg(".")
        .status()
        .expect("tar runs");
    assert!(packed.success(), "tar of {}", root.display());
    docker_ok(&["import", &tar.path().to_string_lossy(), image]);
}

/// The server image: the binary and the glibc libraries it and the plugins
/// link, nothing else.
fn server_image(made: &mut Made, plugins: &[PathBuf]) -> String {
    let image = format!("{}-server:latest", made.tag);
    let root = tempfile::tempdir().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_fake-servicer"));
    let dest = root.path().join("fake-servicer");
    std::fs::copy(bin, &dest).unwrap();
    let mut libs = needed(bin);
    for p in plugins {
        libs.extend(needed(p));
    }
    libs.sort();
    libs.dedup();
    for lib in &libs {
        put(root.path(), lib);
    }
    std::fs::create_dir_all(root.path().join("tmp")).unwrap();
    {
        // Writable by anyone, as on any system: a non-root server loads from it.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            root.path().join("tmp"),
            std::fs::Permissions::from_mode(0o1777),
        )
        .unwrap();
    }
    std::fs::create_dir_all(root.path().join("app/services")).unwrap();
    import(root.path(), &image);
    made.images.push(image.clone());
    image
}

/// What the client runs (see the script).
const FETCH_SH: &str = include_str!("data/fetch.sh");

/// The client image: a static busybox and the fetch script.
fn client_image(made: &mut Made) -> String {
    let image = format!("{}-client:latest", made.tag);
    let root = tempfile::tempdir().unwrap();
    put(root.path(), Path::new("/bin/busybox"));
    std::fs::write(root.path().join("fetch.sh"), FETCH_SH).unwrap();
    import(root.path(), &image);
    made.images.push(image.clone());
    image
}

/// A GET from a client container on `network`: Ok(body) or Err(why).
fn fetch(client: &str, network: &str, url: &str) -> Result<String, String> {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let out = docker(&[
        "run",
        "--rm",
        "--network",
        network,
        client,
        "/bin/busybox",
        "sh",
        "/fetch.sh",
        host,
        path,
    ]);
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// Polls `fetch` until it succeeds, for at most `limit`.
fn fetch_eventually(client: &str, network: &str, url: &str, limit: Duration) -> String {
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < limit {
        match fetch(client, network, url) {
            Ok(body) => return body,
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("{url} never answered within {limit:?}; last error: {last}");
}

fn run_server(
    made: &mut Made,
    image: &str,
    network: &str,
    plugins: &Path,
    socket: bool,
    aliases: &[&str],
) -> String {
    run_server_as(made, image, network, plugins, socket, aliases, "0:0")
}

/// Starts a server container as `user`, with the plugins mounted, the
/// socket when `socket`, and network `aliases` of its own.
fn run_server_as(
    made: &mut Made,
    image: &str,
    network: &str,
    plugins: &Path,
    socket: bool,
    aliases: &[&str],
    user: &str,
) -> String {
    let name = format!("{}-srv{}", made.tag, made.containers.len());
    let mount = format!("{}:/app/services", plugins.display());
    let mut args = vec![
        "run",
        "-d",
        "--name",
        &name,
        "--user",
        user,
        "--network",
        network,
        "-v",
        &mount,
        "-e",
        "RUST_LOG=info",
    ];
    for a in aliases {
        args.extend(["--network-alias", a]);
    }
    if socket {
        args.extend(["-v", "/var/run/docker.sock:/var/run/docker.sock"]);
    }
    args.extend([
        image,
        "/fake-servicer",
        "--plugins",
        "/app/services",
        "--listen",
        "0.0.0.0:80",
    ]);
    docker_ok(&args);
    made.containers.push(name.clone());
    name
}

/// The server container `name`, reached as `alias`, serves by prefix, and
/// its log holds every one of `needles`.
fn serves_by_prefix_and_logs(
    client: &str,
    network: &str,
    alias: &str,
    name: &str,
    needles: &[&str],
) {
    let users = fetch_eventually(
        client,
        network,
        &format!("http://{alias}/example/users"),
        Duration::from_secs(60),
    );
    assert!(users.contains("\"email\""), "{users}");
    let logs = docker(&["logs", name]);
    let logs = String::from_utf8_lossy(&logs.stderr);
    assert!(
        needles.iter().all(|n| logs.contains(n)),
        "{needles:?} in {logs}"
    );
}

#[test]
fn services_get_dns_aliases_on_the_containers_network() {
    if !ready("services_get_dns_aliases_on_the_containers_network") {
        return;
    }
    let mut made = Made::new();
    let plugins_dir = tempfile::tempdir().unwrap();
    // Readable by a non-root server too.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(plugins_dir.path(), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let mut libs = Vec::new();
    for name in ["example", "other_service"] {
        let lib = build_example(name);
        let dest = plugins_dir.path().join(lib.file_name().unwrap());
        std::fs::copy(&lib, &dest).unwrap();
        libs.push(dest);
    }
    let extra = PluginCrate::new(
        "late_service",
        "use fake_servicer::prelude::*;\n#[route(get, \"/hello\")]\nfn hello() -> &'static str { \"late hello\" }\nfake_servicer::service!(hello);\n",
    )
    .build();

    let server = server_image(&mut made, &libs);
    let client = client_image(&mut made);
    let network = made.tag.clone();
    docker_ok(&["network", "create", &network]);
    made.networks.push(network.clone());

    let srv = run_server(
        &mut made,
        &server,
        &network,
        plugins_dir.path(),
        true,
        &["fake-services", "my-own-alias"],
    );
    let limit = Duration::from_secs(60);

    let users = fetch_eventually(&client, &network, "http://example/users", limit);
    assert!(users.contains("\"email\""), "{users}");
    assert!(
        fetch_eventually(&client, &network, "http://other_service/users", limit)
            .contains("\"company\"")
    );
    assert!(
        fetch_eventually(&client, &network, "http://other-service/users", limit)
            .contains("\"company\"")
    );
    assert!(
        fetch_eventually(
            &client,
            &network,
            "http://fake-services/example/users",
            limit
        )
        .contains("\"email\"")
    );
    assert!(
        fetch_eventually(
            &client,
            &network,
            "http://my-own-alias/example/users",
            limit
        )
        .contains("\"email\""),
        "the user's own alias survives"
    );

    // A plugin added at run time gets its alias.
    std::fs::copy(&extra, plugins_dir.path().join("liblate_service.so")).unwrap();
    assert_eq!(
        fetch_eventually(&client, &network, "http://late-service/hello", limit),
        "late hello"
    );
    let status = fetch_eventually(
        &client,
        &network,
        "http://fake-services/__admin/docker",
        limit,
    );
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["state"], "active", "{status}");
    assert_eq!(status["network"], network.as_str(), "{status}");
    for alias in [
        "example",
        "other_service",
        "other-service",
        "late_service",
        "fake-services",
        "my-own-alias",
    ] {
        assert!(
            status["aliases"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == alias),
            "{alias} in {status}"
        );
    }

    // Without the socket: prefix routing works and the log says how to enable aliases.
    let plain = run_server(
        &mut made,
        &server,
        &network,
        plugins_dir.path(),
        false,
        &["fake-plain"],
    );
    serves_by_prefix_and_logs(
        &client,
        &network,
        "fake-plain",
        &plain,
        &["aliases disabled", "mount /var/run/docker.sock"],
    );

    // A non-root server with the socket mounted says which group it needs.
    let denied = run_server_as(
        &mut made,
        &server,
        &network,
        plugins_dir.path(),
        true,
        &["fake-denied"],
        "10001:10001",
    );
    serves_by_prefix_and_logs(
        &client,
        &network,
        "fake-denied",
        &denied,
        &["permission denied", "--group-add"],
    );

    // `docker stop` (SIGTERM) ends the server cleanly within the grace period.
    let started = Instant::now();
    docker_ok(&["stop", "-t", "10", &srv]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped in {:?}",
        started.elapsed()
    );
    assert_eq!(
        docker_ok(&["inspect", "--format", "{{.State.ExitCode}}", &srv]),
        "0"
    );

    // Nothing is left behind.
    made.clean();
    let left = docker_ok(&[
        "ps",
        "-a",
        "--filter",
        &format!("name={}", network),
        "--format",
        "{{.Names}}",
    ]);
    assert!(left.is_empty(), "containers left: {left}");
    let nets = docker_ok(&[
        "network",
        "ls",
        "--filter",
        &format!("name={network}"),
        "--format",
        "{{.Name}}",
    ]);
    assert!(nets.is_empty(), "networks left: {nets}");
}
