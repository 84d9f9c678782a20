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

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    time::{Duration, Instant},
};
use testkit::{PluginCrate, build_example};

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
const FETCH_SH: &str = include_str!("../data/fetch.sh");

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

#[test]
fn the_network_env_var_chooses_among_several_networks() {
    if !ready("the_network_env_var_chooses_among_several_networks") {
        return;
    }
    let mut made = Made::new();
    let (plugins, libs) = example_plugins(&["example"]);
    let server = server_image(&mut made, &libs);
    let client = client_image(&mut made);
    let (first, chosen) = (format!("{}-a", made.tag), format!("{}-b", made.tag));
    for n in [&first, &chosen] {
        docker_ok(&["network", "create", n]);
        made.networks.push(n.clone());
    }
    let env = format!("FAKE_SERVICER_NETWORK={chosen}");
    let srv = server_on_networks(
        &mut made,
        &server,
        &[&first, &chosen],
        plugins.path(),
        &["-e", &env],
    );

    let users = fetch_eventually(
        &client,
        &chosen,
        "http://example/users",
        Duration::from_secs(60),
    );
    assert!(users.contains("\"email\""), "{users}");
    let status = docker_status(&client, &chosen, &srv);
    assert_eq!(
        (status["state"].as_str(), status["network"].as_str()),
        (Some("active"), Some(chosen.as_str())),
        "{status}"
    );
    assert!(
        fetch(&client, &first, "http://example/users").is_err(),
        "no alias on the network not chosen"
    );
}

#[test]
fn the_container_env_var_names_a_container_discovery_cannot_find() {
    if !ready("the_container_env_var_names_a_container_discovery_cannot_find") {
        return;
    }
    let mut made = Made::new();
    let (plugins, libs) = example_plugins(&["example"]);
    let server = server_image(&mut made, &libs);
    let client = client_image(&mut made);
    let network = made.tag.clone();
    docker_ok(&["network", "create", &network]);
    made.networks.push(network.clone());

    // Nothing inside tells the container's id: its own cgroup namespace, a
    // hostname that names no container, and /etc/hostname, /etc/hosts and
    // /etc/resolv.conf (whose mounts name Docker's container dir) replaced.
    let stand_in = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(stand_in.path(), "hidden\n").unwrap();
    let masks: Vec<String> = ["/etc/hostname", "/etc/hosts", "/etc/resolv.conf"]
        .iter()
        .map(|f| format!("{}:{f}:ro", stand_in.path().display()))
        .collect();
    let hidden = |alias: &str, env: Option<&str>| -> Vec<String> {
        let mut args: Vec<String> = [
            "--cgroupns",
            "private",
            "--hostname",
            "hidden",
            "--network-alias",
            alias,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for m in &masks {
            args.extend(["-v".to_owned(), m.clone()]);
        }
        if let Some(e) = env {
            args.extend(["-e".to_owned(), e.to_owned()]);
        }
        args
    };

    // Without the variable the server cannot find itself: no aliases.
    let lost_args = hidden("fake-lost", None);
    let lost_args: Vec<&str> = lost_args.iter().map(String::as_str).collect();
    let lost = server_on_networks(&mut made, &server, &[&network], plugins.path(), &lost_args);
    serves_by_prefix_and_logs(
        &client,
        &network,
        "fake-lost",
        &lost,
        &["not in a container this Docker engine knows"],
    );
    docker_ok(&["rm", "-f", &lost]);

    // Named by the variable, it manages its aliases.
    let name = format!("{}-srv{}", made.tag, made.containers.len());
    let env = format!("FAKE_SERVICER_CONTAINER={name}");
    let found_args = hidden("fake-found", Some(&env));
    let found_args: Vec<&str> = found_args.iter().map(String::as_str).collect();
    let found = server_on_networks(&mut made, &server, &[&network], plugins.path(), &found_args);
    assert_eq!(found, name);
    let users = fetch_eventually(
        &client,
        &network,
        "http://example/users",
        Duration::from_secs(60),
    );
    assert!(users.contains("\"email\""), "{users}");
    let id = docker_ok(&["inspect", "--format", "{{.Id}}", &found]);
    let status = docker_status(&client, &network, "fake-found");
    assert_eq!(status["container"], id.as_str(), "{status}");
}

#[test]
fn an_alias_is_removed_when_its_service_goes() {
    if !ready("an_alias_is_removed_when_its_service_goes") {
        return;
    }
    let mut made = Made::new();
    let (plugins, libs) = example_plugins(&["example", "other_service"]);
    let server = server_image(&mut made, &libs);
    let client = client_image(&mut made);
    let network = made.tag.clone();
    docker_ok(&["network", "create", &network]);
    made.networks.push(network.clone());
    server_on_networks(
        &mut made,
        &server,
        &[&network],
        plugins.path(),
        &["--network-alias", "fake-services"],
    );
    let limit = Duration::from_secs(60);
    assert!(
        fetch_eventually(&client, &network, "http://other-service/users", limit)
            .contains("\"company\"")
    );

    std::fs::remove_file(plugins.path().join("libother_service.so")).unwrap();
    let started = Instant::now();
    let status = loop {
        let status = docker_status(&client, &network, "fake-services");
        let aliases = status["aliases"].to_string();
        if !aliases.contains("other_service") && !aliases.contains("other-service") {
            break status;
        }
        assert!(
            started.elapsed() < limit,
            "other_service's aliases still there: {status}"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    let aliases = status["aliases"].to_string();
    assert!(
        aliases.contains("\"example\"") && aliases.contains("\"fake-services\""),
        "the others stay: {status}"
    );
    let gone = fetch(&client, &network, "http://other-service/users");
    assert!(
        gone.as_ref().is_err_and(|e| e.contains("cannot resolve")),
        "{gone:?}"
    );
    assert!(
        fetch_eventually(&client, &network, "http://example/users", limit).contains("\"email\"")
    );
}

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
