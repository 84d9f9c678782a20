//! How the server picks its network and finds its own container: the `FAKE_SERVICER_*` overrides.

use super::{
    Made, client_image, docker_ok, docker_status, example_plugins, fetch, fetch_eventually, ready,
    server_image, server_on_networks, serves_by_prefix_and_logs,
};
use std::time::Duration;

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
