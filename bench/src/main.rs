//! `fake-servicer-bench`: builds release binaries, then measures
//! fake-servicer against a bare axum server on this machine — throughput
//! and latency side by side in alternating rounds, start-up, memory, hot
//! reload, the CPU cost of idle waits — and prints a table and one JSON
//! line. It fails (exit 1, naming the scenario) on any error or wrong
//! answer under load, or when a wait is not answered; the throughput,
//! latency, memory and CPU targets are only reported.
//!
//! ```text
//! cargo run --release -p fake-servicer-bench            # about 3.5 minutes
//! cargo run --release -p fake-servicer-bench -- --quick # a smoke run
//! ```

mod check;
mod http;
mod process;
mod report;
mod stats;
mod waiters;
mod wrk;

use check::Expected;
use clap::Parser;
use process::Server;
use report::{Results, Scenario};
use serde_json::{Value, json};
use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    time::{Duration, Instant},
};
use wrk::Load;

/// Measures fake-servicer against a bare axum server on this machine.
#[derive(Parser, Debug)]
#[command(name = "fake-servicer-bench")]
struct Args {
    /// Rounds of the load scenarios (each round runs every scenario once,
    /// in a rotated order).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Seconds of load per scenario and round.
    #[arg(long, default_value_t = 5)]
    seconds: u32,
    /// Open connections.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// wrk threads.
    #[arg(long, default_value_t = 1)]
    wrk_threads: u32,
    /// Start-ups to time.
    #[arg(long, default_value_t = 10)]
    starts: usize,
    /// Plugin reloads for the reload latency and memory figures.
    #[arg(long, default_value_t = 50)]
    reloads: usize,
    /// `POST /__admin/requests/wait` calls kept waiting for the idle CPU
    /// figure.
    #[arg(long, default_value_t = 1000)]
    waiters: usize,
    /// Seconds of each idle CPU window (no waits, then the waits):
    /// 5, or 1 with `--quick`.
    #[arg(long)]
    idle_seconds: Option<u64>,
    /// A smoke run: 1 round of 1 s, 3 start-ups, 5 reloads, idle windows
    /// of 1 s.
    #[arg(long)]
    quick: bool,
    /// Use the release binaries already built instead of running cargo.
    #[arg(long)]
    no_build: bool,
}

/// Stubs loaded in the "100 stubs" scenario; none matches the measured route.
const STUBS: usize = 100;

/// What every load scenario answers: bare axum's `/ping`, the example
/// plugin's `/ping`, and the override armed with the same status and body.
const PONG: Expected = Expected {
    status: 200,
    body: "pong",
};

fn main() -> ExitCode {
    let mut args = Args::parse();
    if args.quick {
        args.rounds = 1;
        args.seconds = 1;
        args.starts = 3;
        args.reloads = 5;
        args.idle_seconds = args.idle_seconds.or(Some(1));
    }
    match run(&args) {
        Ok(results) => {
            print!("{}", results.table());
            println!("{}", results.json());
            let failures = results.failures();
            for failure in &failures {
                eprintln!("fake-servicer-bench: FAILED: {failure}");
            }
            if failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("fake-servicer-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Where the release binaries are.
struct Binaries {
    server: PathBuf,
    bare_axum: PathBuf,
    example: PathBuf,
    other_service: PathBuf,
}

fn run(args: &Args) -> Result<Results, String> {
    wrk::ensure_installed()?;
    let bins = build(!args.no_build)?;
    let scratch = tempfile::Builder::new()
        .prefix("fake-servicer-bench-")
        .tempdir()
        .map_err(|e| format!("cannot create a scratch dir: {e}"))?;
    let dir = |name: &str| -> Result<PathBuf, String> {
        let d = scratch.path().join(name);
        std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        Ok(d)
    };
    let (plugins, logs, mappings) = (dir("plugins")?, dir("logs")?, dir("mappings")?);
    write_stub(&mappings)?;
    copy(&bins.example, &plugins.join("libexample.so"))?;
    copy(&bins.other_service, &plugins.join("libother_service.so"))?;

    let load = Load {
        threads: args.wrk_threads,
        connections: args.connections,
        seconds: args.seconds,
    };
    let ticks_per_sec = process::clock_ticks_per_sec();
    eprintln!("starting the servers");
    let servers = start_load_servers(&bins, &plugins, &mappings, &logs)?;
    let idle_rss_kib = servers[1].1.rss_kib()?;
    let mut scenarios: Vec<Scenario> = servers
        .iter()
        .map(|(s, _, _)| Scenario::new(s.0, s.1))
        .collect();

    eprintln!("warming up");
    for ((_, server, path), scenario) in servers.iter().zip(&mut scenarios) {
        let (run, sample) = check::during(server.addr, path, PONG, || {
            wrk::run(server.addr, path, Load { seconds: 1, ..load })
        });
        scenario.warmup.push(run?);
        scenario.sample.add(sample);
    }
    // Peak RSS of the plugin-route servers, journal on and off.
    let rss_of = ["plugin", "plugin_journal_off"];
    let mut load_rss = [0u64; 2];
    for round in 0..args.rounds {
        eprintln!("round {} of {}", round + 1, args.rounds);
        let mut runs = vec![None; servers.len()];
        let mut cpu_us = vec![f64::NAN; servers.len()];
        for k in 0..servers.len() {
            let i = (k + round) % servers.len();
            let ((key, _), server, path) = &servers[i];
            let cpu_before = server.cpu_ticks()?;
            let (run, sample) = check::during(server.addr, path, PONG, || {
                wrk::run(server.addr, path, load)
            });
            let run = run?;
            let cpu_ticks = server.cpu_ticks()?.saturating_sub(cpu_before);
            cpu_us[i] = cpu_ticks as f64 / ticks_per_sec * 1e6 / run.requests.max(1) as f64;
            scenarios[i].sample.add(sample);
            if let Some(at) = rss_of.iter().position(|k| k == key) {
                load_rss[at] = load_rss[at].max(server.rss_kib()?);
            }
            runs[i] = Some(run);
        }
        let runs: Vec<wrk::Run> = runs.into_iter().flatten().collect();
        let bare = runs[0].clone();
        for ((scenario, run), cpu) in scenarios.iter_mut().zip(runs).zip(&cpu_us) {
            scenario
                .ratios
                .push(run.requests_per_sec / bare.requests_per_sec);
            scenario.p99_ratios.push(run.p99_us / bare.p99_us);
            scenario.cpu_us_per_request.push(*cpu);
            scenario.cpu_ratios.push(cpu / cpu_us[0]);
            scenario.runs.push(run);
        }
    }
    drop(servers);

    eprintln!("timing {} start-ups", args.starts);
    let startup_ms = startups(&bins, &plugins, &logs, args.starts)?;
    eprintln!("reloading the example plugin {} times", args.reloads);
    let (reload_ms, rss_per_reload_kib) = reloads(&bins, &dir("reload")?, &logs, args.reloads)?;
    let idle_seconds = args.idle_seconds.unwrap_or(5);
    eprintln!(
        "idle CPU: no waits, then {} waits in progress, {idle_seconds} s each",
        args.waiters
    );
    let waiters = args.waiters.to_string();
    let server = start_fake(
        &bins,
        "waiters",
        &plugins,
        &["--max-waiters", &waiters],
        &logs,
    )?;
    let idle_waiters = waiters::measure(&server, args.waiters, Duration::from_secs(idle_seconds))?;
    drop(server);

    Ok(Results {
        load,
        rounds: args.rounds,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        scenarios,
        startup_ms,
        idle_rss_kib,
        load_rss_kib: load_rss[0],
        load_rss_journal_off_kib: load_rss[1],
        reloads: args.reloads,
        reload_ms,
        rss_per_reload_kib,
        idle_waiters,
    })
}

/// `cargo build --release` of the server, the example plugins and the
/// baseline; where they are.
fn build(cargo_build: bool) -> Result<Binaries, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    if cargo_build {
        eprintln!("building release binaries");
        let status = Command::new(&cargo)
            .args(["build", "--release", "-p", "fake-servicer", "-p", "example"])
            .args(["-p", "other_service", "-p", "fake-servicer-bench"])
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!("cargo build --release failed ({status})"));
        }
    }
    let metadata = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    let metadata: Value = serde_json::from_slice(&metadata.stdout)
        .map_err(|e| format!("cannot read cargo metadata: {e}"))?;
    let release = metadata["target_directory"]
        .as_str()
        .map(|t| Path::new(t).join("release"))
        .ok_or("cargo metadata names no target directory")?;
    let bins = Binaries {
        server: release.join("fake-servicer"),
        bare_axum: release.join("bare-axum"),
        example: release.join("libexample.so"),
        other_service: release.join("libother_service.so"),
    };
    for path in [
        &bins.server,
        &bins.bare_axum,
        &bins.example,
        &bins.other_service,
    ] {
        if !path.is_file() {
            return Err(format!(
                "{} is missing: run without --no-build",
                path.display()
            ));
        }
    }
    Ok(bins)
}

type LoadServer = ((&'static str, &'static str), Server, String);

/// One server per load scenario, each answering; bare axum first, then the
/// default fake-servicer, the journal off, 100 stubs, an override, and a
/// stub answering.
fn start_load_servers(
    bins: &Binaries,
    plugins: &Path,
    mappings: &Path,
    logs: &Path,
) -> Result<Vec<LoadServer>, String> {
    let fake = |name: &str, extra: &[&str]| start_fake(bins, name, plugins, extra, logs);
    let mut bare = Server::start("bare-axum", &bins.bare_axum, &[], logs)?;
    bare.wait_ready("/ping", Duration::from_secs(10))?;
    let plugin = fake("plugin", &[])?;
    let journal_off = fake("journal-off", &["--journal-size", "0"])?;
    let stubs = fake("stubs", &[])?;
    load_stubs(&stubs)?;
    let armed = fake("override", &[])?;
    arm_override(&armed)?;
    let mappings = mappings.to_str().ok_or("scratch path is not UTF-8")?;
    let mut stub = fake("stub", &["--mappings", mappings])?;
    stub.wait_ready(STUB_PATH, Duration::from_secs(10))?;
    let route = "/example/ping".to_owned();
    Ok(vec![
        (
            ("bare_axum", "bare axum (baseline)"),
            bare,
            "/ping".to_owned(),
        ),
        (
            ("plugin", "plugin route, journal on (default)"),
            plugin,
            route.clone(),
        ),
        (
            ("plugin_journal_off", "plugin route, journal off"),
            journal_off,
            route.clone(),
        ),
        (
            ("plugin_100_stubs", "plugin route, 100 stubs loaded"),
            stubs,
            route.clone(),
        ),
        (("override", "next-request override"), armed, route),
        (("stub", "WireMock stub answer"), stub, STUB_PATH.to_owned()),
    ])
}

/// fake-servicer on `plugins` (plus `extra` arguments), once it answers
/// from the example plugin.
fn start_fake(
    bins: &Binaries,
    name: &str,
    plugins: &Path,
    extra: &[&str],
    logs: &Path,
) -> Result<Server, String> {
    let dir = plugins.to_str().ok_or("scratch path is not UTF-8")?;
    let mut args = vec!["--plugins", dir, "--docker", "off"];
    args.extend_from_slice(extra);
    let mut server = Server::start(name, &bins.server, &args, logs)?;
    server.wait_ready("/example/ping", Duration::from_secs(10))?;
    Ok(server)
}

/// Loads stubs of the usual kinds (path, path pattern, URL with query,
/// path + header), none of which matches `/example/ping`, so every request
/// is checked against all of them before the plugin answers.
fn load_stubs(server: &Server) -> Result<(), String> {
    for i in 0..STUBS {
        let request = match i % 4 {
            0 => json!({"method": "GET", "urlPath": format!("/example/items/{i}")}),
            1 => json!({"method": "GET", "urlPathPattern": format!("/example/items/{i}/[a-z]+")}),
            2 => json!({"method": "GET", "url": format!("/example/search?page={i}")}),
            _ => json!({
                "method": "POST",
                "urlPath": format!("/example/orders/{i}"),
                "headers": {"X-Tenant": {"equalTo": format!("tenant-{i}")}},
            }),
        };
        let stub =
            json!({"request": request, "response": {"status": 200, "body": format!("stub {i}")}});
        let reply = http::call(
            server.addr,
            "POST",
            "/__admin/mappings",
            &[],
            &stub.to_string(),
        )
        .map_err(|e| server.failure(&format!("cannot add a stub: {e}")))?;
        if reply.status != 201 {
            return Err(server.failure(&format!("stub refused ({}): {}", reply.status, reply.body)));
        }
    }
    Ok(())
}

/// The path of the stub scenario's stub.
const STUB_PATH: &str = "/stubbed/ping";

/// The stub of the stub scenario, as a mappings file: `GET /stubbed/ping`
/// answers the same bytes as the plugin's `/ping`.
fn write_stub(dir: &Path) -> Result<(), String> {
    let stub = json!({
        "request": {"method": "GET", "urlPath": STUB_PATH},
        "response": {
            "status": PONG.status,
            "body": PONG.body,
            "headers": {"Content-Type": "text/plain; charset=utf-8"},
        },
    });
    let file = dir.join("ping.json");
    std::fs::write(&file, stub.to_string()).map_err(|e| format!("{}: {e}", file.display()))
}

/// Arms an override for `GET /example/ping` that answers every request of
/// the run (Times: the largest allowed).
fn arm_override(server: &Server) -> Result<(), String> {
    let headers = [
        ("X-Fake-Servicer-Next-Request-Status", "200"),
        ("X-Fake-Servicer-Next-Request-Body", "pong"),
        ("X-Fake-Servicer-Next-Request-Times", "4294967295"),
    ];
    let reply = http::call(server.addr, "GET", "/example/ping", &headers, "")
        .map_err(|e| server.failure(&format!("cannot arm: {e}")))?;
    if reply.status != 202 {
        return Err(server.failure(&format!("arming answered {}: {}", reply.status, reply.body)));
    }
    Ok(())
}

/// Milliseconds from starting the process to its first 200 from a plugin
/// route, `count` times.
fn startups(
    bins: &Binaries,
    plugins: &Path,
    logs: &Path,
    count: usize,
) -> Result<Vec<f64>, String> {
    let mut times = Vec::new();
    for _ in 0..count {
        let started = Instant::now();
        start_fake(bins, "startup", plugins, &[], logs)?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Ok(times)
}

/// Lands `count` new builds of the example plugin, one after another, the
/// way cargo does (a new file renamed into place); the time from each
/// landing to the first answer from the new version, and the RSS each
/// reload adds.
///
/// Each build is the release library with a distinct trailing marker: the
/// server skips a file whose bytes it has already loaded.
fn reloads(
    bins: &Binaries,
    dir: &Path,
    logs: &Path,
    count: usize,
) -> Result<(Vec<f64>, f64), String> {
    let library =
        std::fs::read(&bins.example).map_err(|e| format!("{}: {e}", bins.example.display()))?;
    let target = dir.join("libexample.so");
    let staging = dir.join(".libexample.so.part");
    std::fs::write(&target, &library).map_err(|e| format!("{}: {e}", target.display()))?;
    let server = start_fake(bins, "reload", dir, &[], logs)?;
    let before = server.rss_kib()?;
    let mut generation = example_generation(&server)?;
    let mut times = Vec::new();
    for i in 0..count {
        let mut build = library.clone();
        build.extend_from_slice(format!("\nfake-servicer-bench build {i}\n").as_bytes());
        std::fs::write(&staging, &build).map_err(|e| format!("{}: {e}", staging.display()))?;
        std::fs::rename(&staging, &target).map_err(|e| format!("{}: {e}", target.display()))?;
        let landed = Instant::now();
        loop {
            let now = example_generation(&server)?;
            if now > generation {
                generation = now;
                break;
            }
            if landed.elapsed() > Duration::from_secs(10) {
                return Err(server.failure("a new build was not served within 10 s"));
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        let reply =
            http::get(server.addr, "/example/ping").map_err(|e| server.failure(&e.to_string()))?;
        if reply.status != PONG.status || reply.body != PONG.body {
            return Err(server.failure(&format!(
                "the new build answered {} {:?}, expected {} {:?}",
                reply.status, reply.body, PONG.status, PONG.body
            )));
        }
        times.push(landed.elapsed().as_secs_f64() * 1e3);
    }
    let after = server.rss_kib()?;
    let per_reload = after.saturating_sub(before) as f64 / count.max(1) as f64;
    Ok((times, per_reload))
}

/// The generation of the loaded example service.
fn example_generation(server: &Server) -> Result<u64, String> {
    let reply =
        http::get(server.addr, "/__admin/services").map_err(|e| server.failure(&e.to_string()))?;
    let status: Value = serde_json::from_str(&reply.body)
        .map_err(|e| server.failure(&format!("/__admin/services: {e}")))?;
    status["services"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == "example"))
        .and_then(|s| s["generation"].as_u64())
        .ok_or_else(|| server.failure("/__admin/services lists no example service"))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}
