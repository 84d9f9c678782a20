//! `fake-servicer-bench`: builds release binaries, then measures
//! fake-servicer against a bare axum server on this machine — throughput
//! and latency side by side in alternating rounds, start-up, memory, hot
//! reload, the CPU cost of idle waits — and its gRPC calls (a plugin's
//! handler, a stub) against a bare tonic server the same way; it prints a
//! table and one JSON line. It fails (exit 1, naming the scenario) on any
//! error or wrong answer under load, or when a wait is not answered; the
//! throughput, latency, memory and CPU targets are only reported.
//!
//! ```text
//! cargo run --release -p fake-servicer-bench            # about 4.5 minutes
//! cargo run --release -p fake-servicer-bench -- --quick # a smoke run
//! ```

mod check;
mod grpc;
mod helloworld;
mod http;
mod process;
mod report;
mod stats;
mod streams;
mod waiters;
mod wrk;

use check::Expected;
use clap::Parser;
use process::Server;
use report::{Kind, Results, Scenario};
use serde_json::{Value, json};
use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    time::{Duration, Instant},
};
use wrk::Load;

/// Measures fake-servicer against bare axum and bare tonic servers on this
/// machine.
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
    /// gRPC calls kept in flight in the gRPC scenarios.
    #[arg(long, default_value_t = 32)]
    grpc_concurrency: u32,
    /// HTTP/2 connections the gRPC calls are spread over.
    #[arg(long, default_value_t = 4)]
    grpc_connections: u32,
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
    /// Pushes to the open SSE streams, for each number of clients (1, 100,
    /// 1 000).
    #[arg(long, default_value_t = 20)]
    pushes: usize,
    /// A smoke run: 1 round of 1 s, 3 start-ups, 5 reloads, idle windows
    /// of 1 s, 3 pushes.
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
        args.pushes = 3;
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
    bare_tonic: PathBuf,
    example: PathBuf,
    other_service: PathBuf,
    greeter: PathBuf,
}

/// How the load scenarios load a server, `wrk` or the gRPC client.
#[derive(Clone, Copy)]
struct Loads {
    http: Load,
    grpc: grpc::Load,
}

impl Loads {
    /// The same, for `seconds`.
    fn lasting(self, seconds: u32) -> Loads {
        Loads {
            http: Load {
                seconds,
                ..self.http
            },
            grpc: grpc::Load {
                seconds,
                ..self.grpc
            },
        }
    }
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
    let grpc_dirs = GrpcDirs {
        plugins: dir("grpc-plugins")?,
        no_plugins: dir("no-plugins")?,
        protos: dir("protos")?,
        mappings: dir("grpc-mappings")?,
    };
    copy(&bins.greeter, &grpc_dirs.plugins.join("libgreeter.so"))?;
    write_grpc_stub(&grpc_dirs)?;

    let load = Load {
        threads: args.wrk_threads,
        connections: args.connections,
        seconds: args.seconds,
    };
    let loads = Loads {
        http: load,
        grpc: grpc::Load {
            concurrency: args.grpc_concurrency,
            connections: args.grpc_connections,
            seconds: args.seconds,
        },
    };
    eprintln!("starting the servers");
    let servers = start_load_servers(&bins, &plugins, &mappings, &logs)?;
    let idle_rss_kib = servers[1].server.rss_kib()?;
    let (mut scenarios, peak_rss) = measure("", &servers, args.rounds, loads)?;
    // Peak RSS of the plugin-route servers, journal on and off.
    let load_rss = ["plugin", "plugin_journal_off"].map(|key| {
        servers
            .iter()
            .zip(&peak_rss)
            .find(|(s, _)| s.key == key)
            .map_or(0, |(_, rss)| *rss)
    });
    drop(servers);

    eprintln!("starting the gRPC servers");
    let servers = start_grpc_servers(&bins, &grpc_dirs, &logs)?;
    let (grpc_scenarios, _) = measure("gRPC ", &servers, args.rounds, loads)?;
    scenarios.extend(grpc_scenarios);
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
    eprintln!(
        "streams: {} pushes to 1, 100 and 1000 open SSE clients",
        args.pushes
    );
    let server = start_fake(&bins, "streams", &plugins, &[], &logs)?;
    let stub = http::call(
        server.addr,
        "POST",
        "/__admin/mappings",
        &[("content-type", "application/json")],
        streams::STUB,
    )
    .map_err(|e| server.failure(&format!("the stream stub: {e}")))?;
    if stub.status != 201 {
        return Err(server.failure(&format!(
            "the stream stub answered {}: {}",
            stub.status, stub.body
        )));
    }
    let streams = streams::measure(&server, &[1, 100, 1000], args.pushes)?;
    drop(server);

    Ok(Results {
        load,
        grpc_load: loads.grpc,
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
        streams,
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
            .args([
                "-p",
                "other_service",
                "-p",
                "greeter",
                "-p",
                "fake-servicer-bench",
            ])
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
        bare_tonic: release.join("bare-tonic"),
        example: release.join("libexample.so"),
        other_service: release.join("libother_service.so"),
        greeter: release.join("libgreeter.so"),
    };
    for path in [
        &bins.server,
        &bins.bare_axum,
        &bins.bare_tonic,
        &bins.example,
        &bins.other_service,
        &bins.greeter,
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

/// What a load scenario asks its server for.
enum Probe {
    /// `GET` this path (with `wrk`; 200 `pong`).
    Http(String),
    /// `SayHello` with this `:authority` (with the gRPC client; `hello,
    /// bench`).
    Grpc(String),
}

/// A server under load, and what its scenario asks it for.
struct LoadServer {
    key: &'static str,
    label: &'static str,
    server: Server,
    probe: Probe,
}

impl LoadServer {
    fn new(key: &'static str, label: &'static str, server: Server, probe: Probe) -> LoadServer {
        LoadServer {
            key,
            label,
            server,
            probe,
        }
    }

    fn kind(&self) -> Kind {
        match self.probe {
            Probe::Http(_) => Kind::Http,
            Probe::Grpc(_) => Kind::Grpc,
        }
    }
}

/// What one load run measured.
struct Measured {
    run: wrk::Run,
    sample: check::Sample,
    first_error: Option<String>,
}

/// One load run on `s`: `wrk` with its answers sampled, or the gRPC
/// client, which checks every answer.
fn load_once(s: &LoadServer, loads: Loads) -> Result<Measured, String> {
    let addr = s.server.addr;
    match &s.probe {
        Probe::Http(path) => {
            let (run, sample) =
                check::during(addr, path, PONG, || wrk::run(addr, path, loads.http));
            Ok(Measured {
                run: run?,
                sample,
                first_error: None,
            })
        }
        Probe::Grpc(authority) => {
            let outcome = grpc::run(addr, authority, loads.grpc)?;
            Ok(Measured {
                run: outcome.run,
                sample: outcome.sample,
                first_error: outcome.first_error,
            })
        }
    }
}

/// A warm-up run of 1 s on each of `servers`, then `rounds` rounds, each
/// running every scenario once in a rotated order; ratios are to the first
/// server's figures of the same round. The scenarios, and the peak RSS
/// sampled after each run, per server.
fn measure(
    group: &str,
    servers: &[LoadServer],
    rounds: usize,
    loads: Loads,
) -> Result<(Vec<Scenario>, Vec<u64>), String> {
    let ticks_per_sec = process::clock_ticks_per_sec();
    let mut scenarios: Vec<Scenario> = servers
        .iter()
        .map(|s| Scenario::new(s.key, s.label, s.kind()))
        .collect();
    let mut peak_rss = vec![0u64; servers.len()];
    let record = |scenario: &mut Scenario, measured: &mut Measured| {
        scenario.sample.add(std::mem::take(&mut measured.sample));
        if scenario.first_error.is_none() {
            scenario.first_error = measured.first_error.take();
        }
    };
    eprintln!("{group}warming up");
    for (server, scenario) in servers.iter().zip(&mut scenarios) {
        let mut measured = load_once(server, loads.lasting(1))?;
        record(scenario, &mut measured);
        scenario.warmup.push(measured.run);
    }
    for round in 0..rounds {
        eprintln!("{group}round {} of {rounds}", round + 1);
        let mut runs = vec![None; servers.len()];
        let mut cpu_us = vec![f64::NAN; servers.len()];
        for k in 0..servers.len() {
            let i = (k + round) % servers.len();
            let server = &servers[i].server;
            let cpu_before = server.cpu_ticks()?;
            let mut measured = load_once(&servers[i], loads)?;
            let cpu_ticks = server.cpu_ticks()?.saturating_sub(cpu_before);
            cpu_us[i] =
                cpu_ticks as f64 / ticks_per_sec * 1e6 / measured.run.requests.max(1) as f64;
            record(&mut scenarios[i], &mut measured);
            peak_rss[i] = peak_rss[i].max(server.rss_kib()?);
            runs[i] = Some(measured.run);
        }
        let runs: Vec<wrk::Run> = runs.into_iter().flatten().collect();
        let base = runs[0].clone();
        for ((scenario, run), cpu) in scenarios.iter_mut().zip(runs).zip(&cpu_us) {
            scenario
                .ratios
                .push(run.requests_per_sec / base.requests_per_sec);
            scenario.p99_ratios.push(run.p99_us / base.p99_us);
            scenario.cpu_us_per_request.push(*cpu);
            scenario.cpu_ratios.push(cpu / cpu_us[0]);
            scenario.runs.push(run);
        }
    }
    Ok((scenarios, peak_rss))
}

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
    let route = || Probe::Http("/example/ping".to_owned());
    Ok(vec![
        LoadServer::new(
            "bare_axum",
            "bare axum (baseline)",
            bare,
            Probe::Http("/ping".to_owned()),
        ),
        LoadServer::new(
            "plugin",
            "plugin route, journal on (default)",
            plugin,
            route(),
        ),
        LoadServer::new(
            "plugin_journal_off",
            "plugin route, journal off",
            journal_off,
            route(),
        ),
        LoadServer::new(
            "plugin_100_stubs",
            "plugin route, 100 stubs loaded",
            stubs,
            route(),
        ),
        LoadServer::new("override", "next-request override", armed, route()),
        LoadServer::new(
            "stub",
            "WireMock stub answer",
            stub,
            Probe::Http(STUB_PATH.to_owned()),
        ),
    ])
}

/// Where the gRPC scenarios' servers read from.
struct GrpcDirs {
    /// The `greeter` plugin.
    plugins: PathBuf,
    /// Empty: the stub scenario's plugin dir.
    no_plugins: PathBuf,
    /// `helloworld.proto`.
    protos: PathBuf,
    /// The stub answering `SayHello`.
    mappings: PathBuf,
}

/// The greeter plugin's proto: `helloworld.Greeter` for the stub server.
const HELLOWORLD_PROTO: &str = include_str!("../../plugins/greeter/proto/helloworld.proto");

/// The `:authority` that names the greeter plugin's service.
const GREETER: &str = "greeter";

/// The proto dir and the stub of the gRPC stub scenario: `POST
/// /helloworld.Greeter/SayHello` answers the plugin's greeting of `bench`.
fn write_grpc_stub(dirs: &GrpcDirs) -> Result<(), String> {
    let proto = dirs.protos.join("helloworld.proto");
    std::fs::write(&proto, HELLOWORLD_PROTO).map_err(|e| format!("{}: {e}", proto.display()))?;
    let stub = json!({
        "request": {"method": "POST", "urlPath": helloworld::SAY_HELLO},
        "response": {"status": 200, "jsonBody": {"message": grpc::GREETING}},
    });
    let file = dirs.mappings.join("say-hello.json");
    std::fs::write(&file, stub.to_string()).map_err(|e| format!("{}: {e}", file.display()))
}

/// The gRPC scenarios' servers, each answering `SayHello`: bare tonic
/// first, then fake-servicer with the greeter plugin (called with
/// `:authority` `greeter`), and fake-servicer with no plugin,
/// `helloworld.proto` in its proto dir and a stub for `SayHello` (called
/// with the server's address as `:authority`, as a client does).
fn start_grpc_servers(
    bins: &Binaries,
    dirs: &GrpcDirs,
    logs: &Path,
) -> Result<Vec<LoadServer>, String> {
    let utf8 = |p: &Path| -> Result<String, String> {
        p.to_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{}: scratch path is not UTF-8", p.display()))
    };
    let (plugins, no_plugins, protos, mappings) = (
        utf8(&dirs.plugins)?,
        utf8(&dirs.no_plugins)?,
        utf8(&dirs.protos)?,
        utf8(&dirs.mappings)?,
    );
    let start = |name: &str, program: &Path, args: &[&str], authority: Option<&str>| {
        let mut server = Server::start(name, program, args, logs)?;
        let authority = authority.map_or_else(|| server.addr.to_string(), str::to_owned);
        server.wait_until("a SayHello answer", Duration::from_secs(10), |addr| {
            grpc::probe(addr, &authority)
        })?;
        Ok::<_, String>((server, Probe::Grpc(authority)))
    };
    let plugin_args = ["--plugins", &plugins, "--docker", "off"];
    let stub_args = [
        "--plugins",
        &no_plugins,
        "--docker",
        "off",
        "--proto-dir",
        &protos,
        "--mappings",
        &mappings,
    ];
    let (bare, bare_probe) = start("bare-tonic", &bins.bare_tonic, &[], None)?;
    let (plugin, plugin_probe) = start("grpc-plugin", &bins.server, &plugin_args, Some(GREETER))?;
    let (stub, stub_probe) = start("grpc-stub", &bins.server, &stub_args, None)?;
    Ok(vec![
        LoadServer::new("bare_tonic", "bare tonic (baseline)", bare, bare_probe),
        LoadServer::new(
            "grpc_plugin",
            "plugin gRPC handler (greeter)",
            plugin,
            plugin_probe,
        ),
        LoadServer::new(
            "grpc_stub",
            "gRPC stub answer (--proto-dir)",
            stub,
            stub_probe,
        ),
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
