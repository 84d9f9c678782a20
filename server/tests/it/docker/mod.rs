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
//!
//! One module per subject; the images, containers and networks the tests
//! make, and how they call the server, are here.

mod aliases;
mod discovery;
mod https;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    time::{Duration, Instant},
};
use testkit::build_example;

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
/// fails when the tools are required (see [`testkit::skip`]).
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
    testkit::skip(test, why);
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
const FETCH_SH: &str = include_str!("../../data/fetch.sh");

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

/// Creates a server container (as root, the socket mounted, `extra` docker
/// options such as `-e`), on the first of `networks` and then connected to
/// the others, and starts it.
fn server_on_networks(
    made: &mut Made,
    image: &str,
    networks: &[&str],
    plugins: &Path,
    extra: &[&str],
) -> String {
    let name = format!("{}-srv{}", made.tag, made.containers.len());
    let mount = format!("{}:/app/services", plugins.display());
    let mut args = vec![
        "create",
        "--name",
        &name,
        "--user",
        "0:0",
        "--network",
        networks[0],
        "-v",
        &mount,
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        "-e",
        "RUST_LOG=info",
    ];
    args.extend(extra);
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
    for network in &networks[1..] {
        docker_ok(&["network", "connect", network, &name]);
    }
    docker_ok(&["start", &name]);
    name
}

/// A plugin dir holding the given example plugins, readable by anyone.
fn example_plugins(names: &[&str]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let libs = names
        .iter()
        .map(|name| {
            let lib = build_example(name);
            let dest = dir.path().join(lib.file_name().unwrap());
            std::fs::copy(&lib, &dest).unwrap();
            dest
        })
        .collect();
    (dir, libs)
}

/// `/__admin/docker` of the server reached as `host` from `network`.
fn docker_status(client: &str, network: &str, host: &str) -> serde_json::Value {
    let body = fetch_eventually(
        client,
        network,
        &format!("http://{host}/__admin/docker"),
        Duration::from_secs(60),
    );
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}
