//! What one bench run found: the table for people, one JSON line for
//! machines, the targets each figure is held to (reported, never failing
//! the run), and the checks that fail it (any error or wrong answer).

use crate::{
    check::Sample,
    grpc,
    stats::{max, median, min, percentile},
    waiters::IdleWaiters,
    wrk::{Load, Run},
};
use serde_json::{Value, json};

/// What a scenario's load is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `GET` requests from `wrk`, next to bare axum.
    Http,
    /// `SayHello` unary calls from the bench's gRPC client, next to bare
    /// tonic.
    Grpc,
}

impl Kind {
    /// The key of the scenario its ratios are to.
    pub fn baseline(self) -> &'static str {
        match self {
            Kind::Http => "bare_axum",
            Kind::Grpc => "bare_tonic",
        }
    }
}

/// One load scenario, all its rounds.
pub struct Scenario {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    /// The measured runs, one per round.
    pub runs: Vec<Run>,
    /// The warm-up runs: not measured, but their errors count.
    pub warmup: Vec<Run>,
    /// Answers sampled during every run, warm-up included (gRPC: every
    /// answer with `grpc-status: 0`, checked).
    pub sample: Sample,
    /// gRPC: the first call answered with another status, or failed.
    pub first_error: Option<String>,
    /// Requests/s divided by the baseline's (bare axum's, bare tonic's)
    /// in the same round, per round.
    pub ratios: Vec<f64>,
    /// p99 latency divided by the baseline's in the same round, per round.
    pub p99_ratios: Vec<f64>,
    /// Server CPU time (user + system, from `/proc`) per request in
    /// microseconds, per round.
    pub cpu_us_per_request: Vec<f64>,
    /// CPU time per request divided by the baseline's in the same round.
    pub cpu_ratios: Vec<f64>,
}

impl Scenario {
    pub fn new(key: &'static str, label: &'static str, kind: Kind) -> Scenario {
        Scenario {
            key,
            label,
            kind,
            runs: Vec::new(),
            warmup: Vec::new(),
            sample: Sample::default(),
            first_error: None,
            ratios: Vec::new(),
            p99_ratios: Vec::new(),
            cpu_us_per_request: Vec::new(),
            cpu_ratios: Vec::new(),
        }
    }

    fn median_of(&self, f: impl Fn(&Run) -> f64) -> f64 {
        median(&self.runs.iter().map(f).collect::<Vec<_>>())
    }

    fn all_runs(&self) -> impl Iterator<Item = &Run> {
        self.warmup.iter().chain(&self.runs)
    }

    /// Answers with a status of 400 or more, in every run.
    fn status_errors(&self) -> u64 {
        self.all_runs().map(|r| r.status_errors).sum()
    }

    /// `wrk`'s connect, read, write errors and timeouts, in every run.
    fn socket_errors(&self) -> u64 {
        self.all_runs().map(|r| r.socket_errors).sum()
    }

    /// Status errors, socket errors and wrong sampled answers.
    fn errors(&self) -> u64 {
        self.status_errors() + self.socket_errors() + self.sample.wrong
    }

    /// What went wrong in this scenario, if anything.
    fn failure(&self) -> Option<String> {
        let mut wrong = Vec::new();
        let requests = self.all_runs().map(|r| r.requests).sum::<u64>();
        let (status, socket, sampled) = match self.kind {
            Kind::Http => (
                format!("answers with status >= 400 (of {requests} requests)"),
                "socket errors",
                "sampled answers",
            ),
            Kind::Grpc => (
                format!("calls answered with a grpc-status other than OK (of {requests} calls)"),
                "transport errors",
                "answers",
            ),
        };
        if self.status_errors() > 0 {
            wrong.push(format!("{} {status}", self.status_errors()));
        }
        if self.socket_errors() > 0 {
            wrong.push(format!("{} {socket}", self.socket_errors()));
        }
        if let Some(first) = &self.first_error {
            wrong.push(format!("the first error: {first}"));
        }
        if self.sample.wrong > 0 {
            wrong.push(format!(
                "{} of {} {sampled} wrong, the first: {}",
                self.sample.wrong,
                self.sample.checked,
                self.sample.first_wrong.as_deref().unwrap_or("?")
            ));
        }
        if self.sample.checked == 0 {
            wrong.push(format!(
                "no answer was {}",
                match self.kind {
                    Kind::Http => "sampled",
                    Kind::Grpc => "checked",
                }
            ));
        }
        (!wrong.is_empty()).then(|| format!("{} ({}): {}", self.key, self.label, wrong.join("; ")))
    }
}

/// Everything measured.
pub struct Results {
    pub load: Load,
    pub grpc_load: grpc::Load,
    pub rounds: usize,
    pub cores: usize,
    /// The HTTP scenarios, bare axum first, then the gRPC ones, bare
    /// tonic first.
    pub scenarios: Vec<Scenario>,
    pub startup_ms: Vec<f64>,
    pub idle_rss_kib: u64,
    pub load_rss_kib: u64,
    pub load_rss_journal_off_kib: u64,
    pub reloads: usize,
    pub reload_ms: Vec<f64>,
    pub rss_per_reload_kib: f64,
    pub idle_waiters: IdleWaiters,
    /// Push to event read, per number of open SSE clients.
    pub streams: Vec<crate::streams::Fanout>,
}

struct Target {
    key: &'static str,
    text: &'static str,
    met: bool,
}

impl Results {
    fn scenario(&self, key: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.key == key)
    }

    /// What went wrong, one line per scenario with errors or wrong
    /// answers: any makes the run fail.
    pub fn failures(&self) -> Vec<String> {
        self.scenarios
            .iter()
            .filter_map(Scenario::failure)
            .collect()
    }

    fn targets(&self) -> Vec<Target> {
        let journal_on = self.scenario("plugin");
        let ratio = journal_on.map_or(f64::NAN, |s| median(&s.ratios));
        let p99 = journal_on.map_or(f64::NAN, |s| median(&s.p99_ratios));
        let cpu = journal_on.map_or(f64::NAN, |s| median(&s.cpu_ratios));
        let stub = self
            .scenario("stub")
            .map_or(f64::NAN, |s| median(&s.ratios));
        let grpc_plugin = self
            .scenario("grpc_plugin")
            .map_or(f64::NAN, |s| median(&s.ratios));
        vec![
            Target {
                key: "throughput_ratio",
                text: "plugin route (journal on) >= 0.95x bare axum",
                met: ratio >= 0.95,
            },
            Target {
                key: "stub_throughput_ratio",
                text: "WireMock stub answer >= 0.9x bare axum",
                met: stub >= 0.9,
            },
            Target {
                key: "cpu_per_request_ratio",
                text: "plugin route server CPU time per request <= 1.15x bare axum's",
                met: cpu <= 1.15,
            },
            Target {
                key: "p99_ratio",
                text: "plugin route p99 <= 2x bare axum's",
                met: p99 <= 2.0,
            },
            Target {
                key: "grpc_plugin_throughput_ratio",
                text: "gRPC plugin call >= 0.9x bare tonic",
                met: grpc_plugin >= 0.9,
            },
            Target {
                key: "startup",
                text: "start-up to first answer <= 100 ms (median)",
                met: median(&self.startup_ms) <= 100.0,
            },
            Target {
                key: "idle_rss",
                text: "idle RSS <= 15 MB",
                met: (self.idle_rss_kib as f64) <= 15.0 * 1024.0,
            },
            Target {
                key: "rss_per_reload",
                text: "RSS per reload <= 1.5 MB",
                met: self.rss_per_reload_kib <= 1.5 * 1024.0,
            },
            Target {
                key: "reload_latency",
                text: "reload latency <= 250 ms (median)",
                met: median(&self.reload_ms) <= 250.0,
            },
            Target {
                key: "idle_waiters_cpu",
                text: "idle waits add <= 1 ms of CPU per second",
                met: self.idle_waiters.cpu_ms_per_s_waiting
                    <= self.idle_waiters.cpu_ms_per_s_none + 1.0,
            },
        ]
    }

    /// The human-readable table.
    pub fn table(&self) -> String {
        let g = &self.grpc_load;
        let mut out = format!(
            "fake-servicer bench: {} rounds x {} s per scenario, wrk -t{} -c{}; gRPC: {} calls in flight \
             over {} HTTP/2 connections (1 client thread); {} cores (clients on the same machine)\n\n",
            self.rounds,
            self.load.seconds,
            self.load.threads,
            self.load.connections,
            g.concurrency,
            g.connections,
            self.cores
        );
        let kinds = [
            (Kind::Http, "scenario (GET, 4-byte text)", "req/s", "x bare"),
            (
                Kind::Grpc,
                "scenario (gRPC unary SayHello)",
                "calls/s",
                "x tonic",
            ),
        ];
        for (i, (kind, title, per_s, ratio)) in kinds.into_iter().enumerate() {
            let scenarios: Vec<&Scenario> =
                self.scenarios.iter().filter(|s| s.kind == kind).collect();
            if scenarios.is_empty() {
                continue;
            }
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&format!(
                "{:<34} {:>8} {:>7} {:>7} {:>7} {:>6} {:>7} {:>6} {:>6}\n",
                title, per_s, ratio, "p50 us", "p99 us", "p99 x", "cpu us", "cpu x", "errors"
            ));
            for s in scenarios {
                out.push_str(&format!(
                    "{:<34} {:>8.0} {:>7.2} {:>7.0} {:>7.0} {:>6.2} {:>7.2} {:>6.2} {:>6}\n",
                    s.label,
                    s.median_of(|r| r.requests_per_sec),
                    median(&s.ratios),
                    s.median_of(|r| r.p50_us),
                    s.median_of(|r| r.p99_us),
                    median(&s.p99_ratios),
                    median(&s.cpu_us_per_request),
                    median(&s.cpu_ratios),
                    s.errors(),
                ));
            }
        }
        out.push_str(
            "errors: answers with status >= 400 and socket errors counted by wrk (warm-up included),\n\
             plus sampled answers other than 200 \"pong\"; gRPC: calls with a grpc-status other than OK,\n\
             transport errors, and answers other than \"hello, bench\" (every answer checked)\n\
             cpu us: the server's user + system CPU time (/proc) per request (call) of the run\n",
        );
        let mb = |kib: f64| kib / 1024.0;
        out.push('\n');
        out.push_str(&format!(
            "{:<34} median {:.1} ms (min {:.1}, max {:.1}, {} starts)\n",
            "start-up to first answer",
            median(&self.startup_ms),
            min(&self.startup_ms),
            max(&self.startup_ms),
            self.startup_ms.len()
        ));
        out.push_str(&format!(
            "{:<34} {:.1} MB\n",
            "RSS idle (two plugins loaded)",
            mb(self.idle_rss_kib as f64)
        ));
        out.push_str(&format!(
            "{:<34} {:.1} MB journal on, {:.1} MB journal off\n",
            "RSS under load (peak sampled)",
            mb(self.load_rss_kib as f64),
            mb(self.load_rss_journal_off_kib as f64)
        ));
        out.push_str(&format!(
            "{:<34} {:.2} MB ({} reloads)\n",
            "RSS per reload (release plugin)",
            mb(self.rss_per_reload_kib),
            self.reloads
        ));
        out.push_str(&format!(
            "{:<34} median {:.0} ms (min {:.0}, max {:.0})\n",
            "reload: .so lands -> first answer",
            median(&self.reload_ms),
            min(&self.reload_ms),
            max(&self.reload_ms)
        ));
        let w = &self.idle_waiters;
        out.push_str(&format!(
            "{:<34} {:.2} ms/s with none, {:.2} ms/s with {} waits ({:.0} s each)\n",
            "server CPU idle, waits sleeping",
            w.cpu_ms_per_s_none,
            w.cpu_ms_per_s_waiting,
            w.waiters,
            w.seconds
        ));
        out.push_str(&format!(
            "{:<34} {:.1} ms\n",
            "one request -> all waits answered", w.all_woken_ms
        ));
        out.push_str(&format!(
            "\n{:<34} {:>7} {:>7} {:>7} {:>7} {:>10}\n",
            "streams: push -> event read", "clients", "p50 ms", "p99 ms", "max ms", "RSS/stream"
        ));
        for f in &self.streams {
            out.push_str(&format!(
                "{:<34} {:>7} {:>7.2} {:>7.2} {:>7.2} {:>7.1} KB\n",
                "",
                f.clients,
                percentile(&f.latencies_ms, 50.0),
                percentile(&f.latencies_ms, 99.0),
                max(&f.latencies_ms),
                f.rss_kib_per_stream * 1.024,
            ));
        }
        out.push_str("\ntargets (reported only):\n");
        for t in self.targets() {
            out.push_str(&format!(
                "  [{}] {}\n",
                if t.met { "met" } else { "MISSED" },
                t.text
            ));
        }
        let checked = |kind: Kind| -> u64 {
            self.scenarios
                .iter()
                .filter(|s| s.kind == kind)
                .map(|s| s.sample.checked)
                .sum()
        };
        let grpc_checked = match checked(Kind::Grpc) {
            0 => String::new(),
            n => format!(", {n} gRPC answers checked"),
        };
        out.push_str(&format!(
            "\nchecks (a failure fails the run):\n  [{}] 0 errors in every scenario ({} answers sampled under load{grpc_checked})\n",
            if self.failures().is_empty() {
                "passed"
            } else {
                "FAILED"
            },
            checked(Kind::Http),
        ));
        out
    }

    /// The whole result as one JSON value.
    pub fn json(&self) -> Value {
        let scenarios: Vec<Value> = self
            .scenarios
            .iter()
            .map(|s| {
                json!({
                    "scenario": s.key,
                    "baseline": s.kind.baseline(),
                    "requests_per_sec": s.median_of(|r| r.requests_per_sec).round(),
                    "ratio_to_bare": round2(median(&s.ratios)),
                    "p50_us": s.median_of(|r| r.p50_us),
                    "p99_us": s.median_of(|r| r.p99_us),
                    "p99_ratio_to_bare": round2(median(&s.p99_ratios)),
                    "cpu_us_per_request": round2(median(&s.cpu_us_per_request)),
                    "cpu_ratio_to_bare": round2(median(&s.cpu_ratios)),
                    "errors": s.errors(),
                    "status_errors": s.status_errors(),
                    "socket_errors": s.socket_errors(),
                    "sampled": s.sample.checked,
                    "wrong_answers": s.sample.wrong,
                    "rounds_requests_per_sec": s.runs.iter().map(|r| r.requests_per_sec.round()).collect::<Vec<_>>(),
                })
            })
            .collect();
        let targets: serde_json::Map<String, Value> = self
            .targets()
            .into_iter()
            .map(|t| (t.key.to_owned(), Value::Bool(t.met)))
            .collect();
        json!({
            "bench": "fake-servicer",
            "version": env!("CARGO_PKG_VERSION"),
            "cores": self.cores,
            "rounds": self.rounds,
            "seconds": self.load.seconds,
            "wrk_threads": self.load.threads,
            "connections": self.load.connections,
            "grpc": {
                "concurrency": self.grpc_load.concurrency,
                "connections": self.grpc_load.connections,
                "seconds": self.grpc_load.seconds,
            },
            "scenarios": scenarios,
            "startup_ms": {
                "median": round2(median(&self.startup_ms)),
                "min": round2(min(&self.startup_ms)),
                "max": round2(max(&self.startup_ms)),
            },
            "rss_kib": {
                "idle": self.idle_rss_kib,
                "load": self.load_rss_kib,
                "load_journal_off": self.load_rss_journal_off_kib,
                "per_reload": self.rss_per_reload_kib.round(),
            },
            "reloads": self.reloads,
            "reload_ms": {
                "median": round2(median(&self.reload_ms)),
                "min": round2(min(&self.reload_ms)),
                "max": round2(max(&self.reload_ms)),
            },
            "idle_waiters": {
                "waiters": self.idle_waiters.waiters,
                "seconds": self.idle_waiters.seconds,
                "cpu_ms_per_s_none": round2(self.idle_waiters.cpu_ms_per_s_none),
                "cpu_ms_per_s_waiting": round2(self.idle_waiters.cpu_ms_per_s_waiting),
                "all_woken_ms": round2(self.idle_waiters.all_woken_ms),
            },
            "streams": self.streams.iter().map(|f| json!({
                "clients": f.clients,
                "pushes": f.pushes,
                "p50_ms": round2(percentile(&f.latencies_ms, 50.0)),
                "p99_ms": round2(percentile(&f.latencies_ms, 99.0)),
                "max_ms": round2(max(&f.latencies_ms)),
                "rss_kib_per_stream": round2(f.rss_kib_per_stream),
            })).collect::<Vec<_>>(),
            "targets": targets,
            "failures": self.failures(),
        })
    }
}

fn round2(v: f64) -> Value {
    if v.is_finite() {
        json!((v * 100.0).round() / 100.0)
    } else {
        Value::Null
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(requests_per_sec: f64, status_errors: u64) -> Run {
        Run {
            requests_per_sec,
            p50_us: 300.0,
            p99_us: 1000.0,
            requests: 1000,
            status_errors,
            socket_errors: 0,
        }
    }

    fn good(key: &'static str, requests_per_sec: f64) -> Scenario {
        let mut s = Scenario::new(key, key, Kind::Http);
        s.warmup.push(run(requests_per_sec, 0));
        s.runs.push(run(requests_per_sec, 0));
        s.ratios.push(requests_per_sec / 80_000.0);
        s.p99_ratios.push(1.0);
        s.cpu_us_per_request.push(12.0);
        s.cpu_ratios.push(1.0);
        s.sample = Sample {
            checked: 100,
            wrong: 0,
            first_wrong: None,
        };
        s
    }

    fn results(scenarios: Vec<Scenario>) -> Results {
        Results {
            load: Load {
                threads: 1,
                connections: 32,
                seconds: 1,
            },
            grpc_load: grpc::Load {
                concurrency: 32,
                connections: 4,
                seconds: 1,
            },
            rounds: 1,
            cores: 2,
            scenarios,
            startup_ms: vec![10.0],
            idle_rss_kib: 10_000,
            load_rss_kib: 20_000,
            load_rss_journal_off_kib: 12_000,
            reloads: 1,
            reload_ms: vec![100.0],
            rss_per_reload_kib: 500.0,
            idle_waiters: IdleWaiters {
                waiters: 1000,
                seconds: 1.0,
                cpu_ms_per_s_none: 0.0,
                cpu_ms_per_s_waiting: 0.0,
                all_woken_ms: 20.0,
            },
            streams: Vec::new(),
        }
    }

    #[test]
    fn errors_in_the_warm_up_fail_the_run() {
        let mut plugin = good("plugin", 70_000.0);
        plugin.warmup[0].status_errors = 3;
        let r = results(vec![good("bare_axum", 80_000.0), plugin]);
        let failures = r.failures();
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(
            failures[0].starts_with("plugin (plugin): 3 answers with status >= 400"),
            "{failures:?}"
        );
        assert_eq!(r.json()["scenarios"][1]["errors"], 3);
        assert_eq!(r.json()["failures"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn a_wrong_sampled_answer_fails_the_run() {
        let mut plugin = good("plugin", 70_000.0);
        plugin.sample.wrong = 1;
        plugin.sample.first_wrong = Some("GET /example/ping answered 200 \"pang\"".to_owned());
        let failures = results(vec![good("bare_axum", 80_000.0), plugin]).failures();
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(
            failures[0].contains("1 of 100 sampled answers wrong"),
            "{failures:?}"
        );
        assert!(failures[0].contains("\"pang\""), "{failures:?}");
    }

    #[test]
    fn a_scenario_with_no_sampled_answer_fails_the_run() {
        let mut plugin = good("plugin", 70_000.0);
        plugin.sample.checked = 0;
        let failures = results(vec![good("bare_axum", 80_000.0), plugin]).failures();
        assert!(
            failures[0].contains("no answer was sampled"),
            "{failures:?}"
        );
    }

    fn grpc(key: &'static str, calls_per_sec: f64) -> Scenario {
        let mut s = good(key, calls_per_sec);
        s.kind = Kind::Grpc;
        s.ratios = vec![calls_per_sec / 20_000.0];
        s
    }

    #[test]
    fn a_grpc_transport_error_fails_the_run_and_is_told() {
        let mut plugin = grpc("grpc_plugin", 19_000.0);
        plugin.runs[0].socket_errors = 1;
        plugin.first_error = Some("transport error: connection reset".to_owned());
        let r = results(vec![
            good("bare_axum", 80_000.0),
            grpc("bare_tonic", 20_000.0),
            plugin,
        ]);
        let failures = r.failures();
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(
            failures[0].starts_with("grpc_plugin (grpc_plugin): 1 transport errors"),
            "{failures:?}"
        );
        assert!(failures[0].contains("connection reset"), "{failures:?}");
        assert_eq!(r.json()["scenarios"][2]["baseline"], "bare_tonic");
        assert_eq!(r.json()["scenarios"][0]["baseline"], "bare_axum");
    }

    #[test]
    fn grpc_scenarios_have_their_own_part_of_the_table_and_target() {
        let r = results(vec![
            good("bare_axum", 80_000.0),
            good("plugin", 76_000.0),
            grpc("bare_tonic", 20_000.0),
            grpc("grpc_plugin", 17_000.0),
        ]);
        let table = r.table();
        assert!(table.contains("scenario (gRPC unary SayHello)"), "{table}");
        assert!(table.contains("x tonic"), "{table}");
        assert!(
            table.contains("[MISSED] gRPC plugin call >= 0.9x bare tonic"),
            "{table}"
        );
        assert!(table.contains("200 gRPC answers checked"), "{table}");
        assert_eq!(r.json()["targets"]["grpc_plugin_throughput_ratio"], false);
        assert!(r.failures().is_empty());
    }

    #[test]
    fn a_missed_throughput_target_does_not_fail_the_run() {
        let r = results(vec![good("bare_axum", 80_000.0), good("plugin", 8_000.0)]);
        assert_eq!(r.json()["targets"]["throughput_ratio"], false);
        assert!(r.failures().is_empty());
        assert!(r.table().contains("[passed] 0 errors in every scenario"));
    }
}
