//! DNS aliases on the network, one per service, added and removed with it; and without the socket.

use super::{
    Made, client_image, docker_ok, docker_status, example_plugins, fetch, fetch_eventually, ready,
    server_image, server_on_networks, serves_by_prefix_and_logs,
};
use std::{
    path::Path,
    time::{Duration, Instant},
};
use testkit::{PluginCrate, build_example};

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
