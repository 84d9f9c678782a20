//! Command-line and environment configuration (DESIGN §3).

use clap::Parser;
use std::{path::PathBuf, time::Duration};

/// `fake-servicer`: serves mock HTTP services from hot-reloaded Rust plugins.
#[derive(Parser, Clone, Debug)]
#[command(name = "fake-servicer", version, about, long_about = None)]
pub struct Config {
    /// Where plugin libraries are found: a cargo `target/` dir, a profile dir,
    /// or a dir of `.so` files (searched recursively, skipping `deps`,
    /// `build`, `incremental`, `.fingerprint`, `examples`, `tmp`).
    #[arg(long, env = "FAKE_SERVICER_PLUGINS", default_value = "/app/services")]
    pub plugins: PathBuf,

    /// HTTP listen address.
    #[arg(long, env = "FAKE_SERVICER_LISTEN", default_value = "0.0.0.0:80")]
    pub listen: String,

    /// A directory of WireMock-style `*.json` stub files, loaded and
    /// hot-reloaded.
    #[arg(long, env = "FAKE_SERVICER_MAPPINGS")]
    pub mappings: Option<PathBuf>,

    /// Manage one DNS alias per service through the Docker API: `auto` when
    /// the Docker socket is reachable, `on` (its absence is an error), `off`.
    #[arg(long, env = "FAKE_SERVICER_DOCKER", value_enum, default_value_t = crate::docker::Mode::Auto)]
    pub docker: crate::docker::Mode,

    /// Request journal size (entries); 0 disables the journal.
    #[arg(long, env = "FAKE_SERVICER_JOURNAL_SIZE", default_value_t = 10_000)]
    pub journal_size: usize,

    /// Seconds after which a plugin handler still running is answered 504.
    #[arg(long, env = "FAKE_SERVICER_HANDLER_TIMEOUT", default_value = "30", value_parser = parse_seconds)]
    pub handler_timeout: Duration,

    /// Larger request bodies are answered 413.
    #[arg(long, env = "FAKE_SERVICER_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Most header lines in one request; more are answered 431.
    #[arg(long, env = "FAKE_SERVICER_MAX_HEADERS", default_value_t = 100)]
    pub max_headers: usize,

    /// Most bytes in one request head; more are answered 431 (at least 8192).
    #[arg(long, env = "FAKE_SERVICER_MAX_HEADER_BYTES", default_value_t = 64 * 1024)]
    pub max_header_bytes: usize,

    /// Seconds a client has to send a request head, and that a kept-alive
    /// connection may sit idle; answers are never cut off.
    #[arg(long, env = "FAKE_SERVICER_HEADER_TIMEOUT", default_value = "30", value_parser = parse_seconds)]
    pub header_timeout: Duration,

    /// Poll the plugin dir for changes instead of relying on inotify (for
    /// bind mounts where file events do not arrive, e.g. Docker Desktop).
    #[arg(long, env = "FAKE_SERVICER_POLL")]
    pub poll: bool,

    /// When set, every `/__admin/*` call but `/__admin/health` needs
    /// `Authorization: Bearer <token>` (401 otherwise). Services need none.
    #[arg(long, env = "FAKE_SERVICER_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Ask the server listening at --listen on this host for its health and
    /// exit: 0 when `/__admin/health` answers 200 (Docker HEALTHCHECK).
    #[arg(long)]
    pub healthcheck: bool,

    /// Milliseconds a changed library must stay unchanged before it is loaded.
    #[arg(long, env = "FAKE_SERVICER_QUIET_MS", default_value_t = 100)]
    pub quiet_ms: u64,

    /// Async worker threads (default: as many as cores, at least 2).
    /// Handlers proven fast run inline on all but one of them; other calls,
    /// and every call when this is 1, go to the blocking pool.
    #[arg(long, env = "FAKE_SERVICER_WORKERS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: Option<u16>,
}

impl Config {
    /// A configuration for embedding and tests: the given plugin dir, a free
    /// loopback port, Docker left alone, defaults elsewhere.
    pub fn local(plugins: impl Into<PathBuf>) -> Config {
        Config {
            plugins: plugins.into(),
            listen: "127.0.0.1:0".to_owned(),
            mappings: None,
            docker: crate::docker::Mode::Off,
            journal_size: 10_000,
            handler_timeout: Duration::from_secs(30),
            max_body_bytes: 16 * 1024 * 1024,
            max_headers: 100,
            max_header_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(30),
            poll: false,
            healthcheck: false,
            admin_token: None,
            quiet_ms: 100,
            workers: None,
        }
    }

    /// Async worker threads to start.
    pub fn worker_threads(&self) -> usize {
        self.workers.map_or_else(
            || std::thread::available_parallelism().map_or(2, |n| n.get().max(2)),
            usize::from,
        )
    }

    /// The quiet period of the watcher.
    pub fn quiet_period(&self) -> Duration {
        Duration::from_millis(self.quiet_ms)
    }
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("expected a number of seconds, found {s:?}"))?;
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(format!(
            "expected a positive number of seconds, found {s:?}"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_contract() {
        let c = Config::try_parse_from(["fake-servicer"]).unwrap();
        assert_eq!(c.plugins, PathBuf::from("/app/services"));
        assert_eq!(c.listen, "0.0.0.0:80");
        assert_eq!(c.handler_timeout, Duration::from_secs(30));
        assert_eq!(c.max_body_bytes, 16_777_216);
        assert_eq!(c.journal_size, 10_000);
        assert_eq!(c.mappings, None);
        assert_eq!(c.docker, crate::docker::Mode::Auto);
        let off = Config::try_parse_from(["fake-servicer", "--docker", "off"]).unwrap();
        assert_eq!(off.docker, crate::docker::Mode::Off);
        assert!(Config::try_parse_from(["fake-servicer", "--docker", "maybe"]).is_err());
    }

    #[test]
    fn handler_timeout_takes_fractions_and_refuses_nonsense() {
        let c = Config::try_parse_from(["fake-servicer", "--handler-timeout", "0.5"]).unwrap();
        assert_eq!(c.handler_timeout, Duration::from_millis(500));
        assert!(Config::try_parse_from(["fake-servicer", "--handler-timeout", "0"]).is_err());
        assert!(Config::try_parse_from(["fake-servicer", "--handler-timeout", "x"]).is_err());
    }
}
