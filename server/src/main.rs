//! `fake-servicer`: parse the command line, run the server until SIGINT or
//! SIGTERM.

mod cli;

use fake_servicer_server::{Config, Server};
use std::process::ExitCode;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// How long SIGTERM waits for in-flight requests: within Docker's default
/// 10 s stop grace period.
const DRAIN: Duration = Duration::from_secs(8);

fn main() -> ExitCode {
    let (args, ignored) = cli::Args::from_command_line();
    match &args.command {
        Some(cli::Command::New { name, dir, sdk }) => {
            return new_plugin(name, dir.as_deref(), sdk.as_deref());
        }
        Some(cli::Command::Healthcheck) => return healthcheck(&args.config().listen),
        None if args.healthcheck => return healthcheck(&args.config().listen),
        None => {}
    }
    let config = args.config();
    // Proven-fast handlers run inline on all workers but one (see `runner`).
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.worker_threads())
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run(config, &ignored)),
        Err(e) => {
            eprintln!("fake-servicer: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `RUST_LOG` (default `info`), with the file watcher's own chatter
/// ("unable to remove watch descriptor", …) kept to warnings unless
/// `RUST_LOG` names `notify` itself.
fn log_filter(rust_log: Option<&str>) -> EnvFilter {
    let wanted = rust_log.filter(|s| !s.trim().is_empty()).unwrap_or("info");
    let directives = if wanted.contains("notify") {
        wanted.to_owned()
    } else {
        format!("{wanted},notify=warn")
    };
    EnvFilter::try_new(&directives).unwrap_or_else(|e| {
        eprintln!("fake-servicer: RUST_LOG={wanted:?} is not a log filter ({e}); using info");
        EnvFilter::new("info,notify=warn")
    })
}

async fn run(config: Config, ignored_flags: &[String]) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(log_filter(std::env::var("RUST_LOG").ok().as_deref()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    for flag in ignored_flags {
        tracing::info!("{flag}: a WireMock flag with no meaning here, ignored");
    }
    // Parked HTTP/1 waits give their connection slot back: open sockets
    // reach both caps together.
    let sockets = config.max_connections.saturating_add(config.max_waiters);
    match cli::fd_limit::raise() {
        Ok(n) if (n as usize) < sockets => tracing::warn!(
            "the open-file limit is {n}, below --max-connections {} plus --max-waiters {}: connections past it fail to be accepted",
            config.max_connections,
            config.max_waiters
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!("cannot read or raise the open-file limit: {e}"),
    }
    let building = config.sources.is_some();
    let plugins = config.plugins.is_some() || building;
    let root_dir = config.root_dir.clone();
    let server = match Server::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake-servicer: {e}");
            return ExitCode::FAILURE;
        }
    };
    print_banner(&server, building, plugins);
    if let Some(dir) = root_dir {
        let dir = dir.display();
        println!("  WireMock root dir: stubs from {dir}/mappings, bodies from {dir}/__files");
    }
    if !plugins {
        tracing::info!(
            "no plugins: --plugins is not given and /app/services is absent; serving stubs only"
        );
    }
    wait_for_signal().await;
    tracing::info!("shutting down: finishing in-flight requests (at most {DRAIN:?})");
    if !server.shutdown_within(DRAIN).await {
        tracing::warn!("requests still in flight after {DRAIN:?}: stopped anyway");
    }
    ExitCode::SUCCESS
}

fn print_banner(server: &Server, building: bool, plugins: bool) {
    let url = server.url();
    let port = server.addr().port();
    let services = server.service_routes();
    println!("fake-servicer listening on http://{}", server.addr());
    if let Some(tls) = server.tls_addr() {
        println!("  and on https://{tls} (HTTP/2 and HTTP/1.1; the CA: {url}/__admin/ca.pem)");
    }
    if server.addr().ip().is_unspecified() {
        println!("  from this machine: {url}");
    }
    let stub_only = server.stub_services();
    if services.is_empty() && building {
        println!("  building the plugins from source: each service appears when its build is done");
    } else if services.is_empty() && stub_only.is_empty() && plugins {
        println!("  no services loaded yet: build a plugin into the plugin dir");
    }
    for (name, _) in &services {
        println!("  {name:<16} {url}/{name}/   or   http://{name}.localhost:{port}/");
    }
    for name in &stub_only {
        println!(
            "  {name:<16} {url}/{name}/   or   http://{name}.localhost:{port}/   (stubs only)"
        );
    }
    println!("  {:<16} {url}/__admin/services", "admin");
    if let Some(path) = services.iter().find_map(|(name, routes)| {
        routes
            .iter()
            .filter_map(|r| r.strip_prefix("GET "))
            .find(|p| !p.contains('{'))
            .map(|p| format!("{name}{p}"))
    }) {
        println!("try: curl {url}/{path}");
    }
}

/// `fake-servicer new`: writes the crate and says how to build it.
fn new_plugin(
    name: &str,
    dir: Option<&std::path::Path>,
    sdk: Option<&std::path::Path>,
) -> ExitCode {
    use cli::scaffold::{self, Sdk};
    let dir = dir.map_or_else(|| std::path::PathBuf::from(name), ToOwned::to_owned);
    let sdk = sdk.map_or_else(Sdk::default_for_this_build, |p| Sdk::Path(p.to_owned()));
    match scaffold::new_plugin(name, &dir, &sdk) {
        Ok(written) => {
            for f in &written.files {
                println!("wrote {}", f.display());
            }
            println!("{}", build_hint(name, &written));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fake-servicer new: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What to do next with a crate `new` wrote: source mode serves it by
/// itself; otherwise, how to build it and where the library lands.
fn build_hint(name: &str, written: &cli::scaffold::Written) -> String {
    use cli::scaffold::Workspace;
    let service = name.replace('-', "_");
    let sources = std::env::var_os("FAKE_SERVICER_SOURCES")
        .filter(|s| !s.is_empty())
        .and_then(|s| std::path::Path::new(&s).canonicalize().ok())
        .filter(|s| written.dir.starts_with(s));
    if let Some(sources) = sources {
        return format!(
            "source mode: a server watching {} builds and serves it; try http://{service}/hello/ada (or http://fake-services/{service}/hello/ada)",
            sources.display()
        );
    }
    match &written.workspace {
        Workspace::Member(root) => format!(
            "a member of the workspace at {root}: build it there with `cargo build -p {name}`; `--plugins {root}/target/debug` serves it as `{service}`",
            root = root.display()
        ),
        Workspace::Alone | Workspace::Outside(_) => format!(
            "build it with `cargo build --manifest-path {dir}/Cargo.toml`; `--plugins {dir}/target/debug` serves it as `{service}` (or `--sources {parent}` builds it for you)",
            dir = written.dir.display(),
            parent = written.dir.parent().unwrap_or(&written.dir).display()
        ),
    }
}

/// `healthcheck` (or `--healthcheck`): asks the server at `listen` on this host, on a
/// single-threaded runtime.
fn healthcheck(listen: &str) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fake-servicer: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::healthcheck::check(listen)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fake-servicer: unhealthy: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::log_filter;

    #[test]
    fn the_watchers_chatter_stays_at_warn_unless_asked_for() {
        assert_eq!(log_filter(None).to_string(), "notify=warn,info");
        assert_eq!(log_filter(Some("debug")).to_string(), "notify=warn,debug");
        assert_eq!(log_filter(Some("notify=debug")).to_string(), "notify=debug");
        assert_eq!(log_filter(Some("[[[")).to_string(), "notify=warn,info");
    }
}
