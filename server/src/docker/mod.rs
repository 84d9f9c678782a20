//! DNS aliases through the Docker API (`--docker`, `docs/docker.md`).
//!
//! Inside a container on a user-defined network, the server gives its own
//! container one network alias per loaded service, so that other containers
//! reach `http://<service>/…`. Docker changes aliases only by disconnect +
//! connect, so that happens only when the set changes, debounced after
//! reloads, keeping the aliases the container had (the user's and
//! compose's), and rolling back if the new connect fails.

pub mod aliases;
pub mod identity;

use crate::plugin::Registry;
use bollard::{
    Docker,
    models::{EndpointSettings, NetworkConnectRequest, NetworkDisconnectRequest},
};
use serde::Serialize;
use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

/// Environment variable that picks the network when there are several.
pub const NETWORK_ENV: &str = "FAKE_SERVICER_NETWORK";
/// The Docker socket, unless `DOCKER_HOST` names another `unix://` one.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
/// Quiet time after a reload before aliases are updated.
const DEBOUNCE: Duration = Duration::from_millis(500);
/// Wait before retrying a failed update.
const RETRY: Duration = Duration::from_secs(5);

pub use crate::config::DockerMode as Mode;

/// What `/__admin/docker` shows.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub mode: Mode,
    /// `off`, `disabled`, `starting`, `active` or `error`.
    pub state: &'static str,
    pub message: String,
    pub socket: Option<PathBuf>,
    pub container: Option<String>,
    pub network: Option<String>,
    pub aliases: Vec<String>,
    pub last_error: Option<String>,
    pub updated_at: Option<String>,
}

/// Shared view of the alias manager's state.
pub type StatusHandle = Arc<Mutex<Status>>;

fn set(status: &StatusHandle, f: impl FnOnce(&mut Status)) {
    f(&mut crate::sync::lock(status));
}

/// The running alias manager; dropping it stops it.
pub struct Aliases {
    pub status: StatusHandle,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Aliases {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

fn socket_path() -> PathBuf {
    match std::env::var("DOCKER_HOST") {
        Ok(h) if h.starts_with("unix://") => PathBuf::from(h.trim_start_matches("unix://")),
        _ => PathBuf::from(DEFAULT_SOCKET),
    }
}

/// Why the socket cannot be used, as a message that says what to do.
fn probe(path: &Path, services: &[String]) -> Result<(), String> {
    let example = services.first().map_or("<service>", String::as_str);
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            Err(format!(
                "aliases disabled: no Docker socket at {}; services at http://<this container's name or alias>/<service>/… (e.g. http://fake-services/{example}/); mount /var/run/docker.sock to enable",
                path.display()
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            use std::os::unix::fs::MetadataExt;
            let gid = std::fs::metadata(path)
                .map(|m| m.gid().to_string())
                .unwrap_or_else(|_| "?".into());
            Err(format!(
                "aliases disabled: permission denied on {} (owned by gid {gid}); run the container with that group: `docker run --group-add {gid}` or `group_add: [\"{gid}\"]` in compose (or as root)",
                path.display()
            ))
        }
        Err(e) => Err(format!(
            "aliases disabled: cannot connect to {}: {e}",
            path.display()
        )),
    }
}

/// Why no container was found to alias: advice for a container, or for a
/// server on the host (where aliases cannot work).
fn not_found(candidates: &[String], in_a_container: bool) -> String {
    if !in_a_container {
        return "aliases disabled: this server runs on the host, not in a container; DNS aliases (http://<service>/…) are added to the server's own container on a compose network, here reach services at http://<listen address>/<service>/… or http://<service>.localhost:<port>/…".to_owned();
    }
    format!(
        "aliases disabled: not in a container this Docker engine knows (tried {}); set {} to the container's id or name",
        match candidates.is_empty() {
            true => "nothing".to_owned(),
            false => candidates.join(", "),
        },
        identity::CONTAINER_ENV
    )
}

impl Aliases {
    /// Starts managing aliases per `mode`. With `on`, a problem that stops
    /// it is an error; with `auto`, it is logged and shown in the status.
    pub async fn start(mode: Mode, registry: Arc<Registry>) -> Result<Aliases, String> {
        let status: StatusHandle = Arc::new(Mutex::new(Status {
            mode,
            state: "off",
            message: "--docker off".to_owned(),
            socket: None,
            container: None,
            network: None,
            aliases: Vec::new(),
            last_error: None,
            updated_at: None,
        }));
        let idle = |status: StatusHandle| Aliases { status, task: None };
        if mode == Mode::Off {
            return Ok(idle(status));
        }
        let disable = |message: String, status: StatusHandle| -> Result<Aliases, String> {
            if mode == Mode::On {
                return Err(message);
            }
            tracing::info!("{message}");
            set(&status, |s| {
                s.state = "disabled";
                s.message = message;
            });
            Ok(idle(status))
        };

        let path = socket_path();
        set(&status, |s| s.socket = Some(path.clone()));
        if let Err(message) = probe(&path, &registry.snapshot().names()) {
            return disable(message, status);
        }
        let docker = match Docker::connect_with_unix(
            &path.to_string_lossy(),
            30,
            bollard::API_DEFAULT_VERSION,
        ) {
            Ok(d) => match d.negotiate_version().await {
                Ok(d) => d,
                Err(e) => {
                    return disable(
                        format!("aliases disabled: Docker API at {}: {e}", path.display()),
                        status,
                    );
                }
            },
            Err(e) => {
                return disable(
                    format!("aliases disabled: Docker API at {}: {e}", path.display()),
                    status,
                );
            }
        };

        let candidates = identity::candidates();
        let mut found = None;
        for c in &candidates {
            if let Ok(info) = docker.inspect_container(c, None).await {
                found = Some(info);
                break;
            }
        }
        let Some(info) = found else {
            return disable(not_found(&candidates, identity::in_a_container()), status);
        };
        let id = info.id.clone().unwrap_or_default();
        let networks = info
            .network_settings
            .as_ref()
            .and_then(|n| n.networks.clone())
            .unwrap_or_default();
        let user_defined: Vec<&String> = networks
            .keys()
            .filter(|n| !["bridge", "host", "none"].contains(&n.as_str()))
            .collect();
        let chosen = match std::env::var(NETWORK_ENV).ok().filter(|n| !n.is_empty()) {
            Some(n) if networks.contains_key(&n) => n,
            Some(n) => {
                let mut names: Vec<&String> = networks.keys().collect();
                names.sort();
                return disable(
                    format!(
                        "aliases disabled: {NETWORK_ENV}={n} but the container is on {names:?}"
                    ),
                    status,
                );
            }
            None => match user_defined.as_slice() {
                [one] => (*one).clone(),
                [] => {
                    return disable(
                        "aliases disabled: the container is only on the default bridge network, where Docker gives no DNS aliases; attach it to a user-defined network (compose does)".to_owned(),
                        status,
                    );
                }
                several => {
                    let mut names: Vec<&String> = several.to_vec();
                    names.sort();
                    return disable(
                        format!(
                            "aliases disabled: the container is on several networks {names:?}; set {NETWORK_ENV} to choose one"
                        ),
                        status,
                    );
                }
            },
        };
        let base: BTreeSet<String> = networks
            .get(&chosen)
            .and_then(|e| e.aliases.clone())
            .unwrap_or_default()
            .into_iter()
            .collect();
        tracing::info!(container = %id, network = %chosen, existing = ?base, "managing DNS aliases");
        set(&status, |s| {
            s.state = "starting";
            s.message = format!("managing aliases of container {id} on network {chosen}");
            s.container = Some(id.clone());
            s.network = Some(chosen.clone());
            s.aliases = base.iter().cloned().collect();
        });
        let task = tokio::spawn(run(docker, id, chosen, base, registry, status.clone()));
        Ok(Aliases {
            status,
            task: Some(task),
        })
    }
}

/// Keeps the aliases in step with the loaded services.
async fn run(
    docker: Docker,
    id: String,
    network: String,
    base: BTreeSet<String>,
    registry: Arc<Registry>,
    status: StatusHandle,
) {
    let mut changes = registry.subscribe();
    let mut applied = base.clone();
    loop {
        let names = registry.snapshot().names();
        let want = aliases::desired(&base, names.iter().map(String::as_str));
        let mut failed = false;
        if want != applied {
            match apply(&docker, &id, &network, &want).await {
                Ok(()) => {
                    tracing::info!(network = %network, aliases = ?want, "DNS aliases updated");
                    applied = want;
                    set(&status, |s| {
                        s.state = "active";
                        s.aliases = applied.iter().cloned().collect();
                        s.last_error = None;
                        s.updated_at = Some(crate::timestamp::rfc3339(SystemTime::now()));
                    });
                }
                Err(e) => {
                    tracing::warn!(network = %network, "DNS alias update failed: {e}");
                    failed = true;
                    set(&status, |s| {
                        s.state = "error";
                        s.last_error = Some(e);
                    });
                }
            }
        } else {
            set(&status, |s| s.state = "active");
        }
        // Wait for a change (or retry a failure), then for a quiet period.
        let wait = changes.changed();
        if failed {
            let _ = tokio::time::timeout(RETRY, wait).await;
        } else if wait.await.is_err() {
            return;
        }
        while let Ok(Ok(())) = tokio::time::timeout(DEBOUNCE, changes.changed()).await {}
    }
}

/// Disconnects and reconnects the container with `aliases`, keeping its
/// other endpoint settings; on a failed connect, restores the previous ones.
async fn apply(
    docker: &Docker,
    id: &str,
    network: &str,
    aliases: &BTreeSet<String>,
) -> Result<(), String> {
    let info = docker
        .inspect_container(id, None)
        .await
        .map_err(|e| format!("inspect {id}: {e}"))?;
    let previous: EndpointSettings = info
        .network_settings
        .and_then(|n| n.networks)
        .and_then(|mut n| n.remove(network))
        .ok_or_else(|| format!("the container is no longer on network {network}"))?;
    let keep = |aliases: Option<Vec<String>>| EndpointSettings {
        aliases,
        ipam_config: previous.ipam_config.clone(),
        links: previous.links.clone(),
        driver_opts: previous.driver_opts.clone(),
        ..Default::default()
    };
    docker
        .disconnect_network(
            network,
            NetworkDisconnectRequest {
                container: id.to_owned(),
                force: Some(true),
            },
        )
        .await
        .map_err(|e| format!("disconnect from {network}: {e}"))?;
    let connect = |config: EndpointSettings| {
        docker.connect_network(
            network,
            NetworkConnectRequest {
                container: id.to_owned(),
                endpoint_config: Some(config),
            },
        )
    };
    match connect(keep(Some(aliases.iter().cloned().collect()))).await {
        Ok(()) => Ok(()),
        Err(e) => match connect(keep(previous.aliases.clone())).await {
            Ok(()) => Err(format!(
                "connect to {network} with the new aliases failed: {e}; the previous aliases were restored"
            )),
            Err(e2) => Err(format!(
                "connect to {network} failed: {e}; restoring the previous settings failed too: {e2}"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_the_host_the_advice_is_that_aliases_need_a_container() {
        let message = not_found(&["vm".to_owned()], false);
        assert!(message.contains("runs on the host"), "{message}");
        assert!(!message.contains(identity::CONTAINER_ENV), "{message}");
    }

    #[test]
    fn in_an_unknown_container_the_advice_is_to_name_it() {
        let message = not_found(&["vm".to_owned()], true);
        assert!(message.contains("(tried vm)"), "{message}");
        assert!(message.contains(identity::CONTAINER_ENV), "{message}");
    }
}
