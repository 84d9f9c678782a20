//! What one bench run found: the table for people, one JSON line for
//! machines, and the targets each figure is held to.

use crate::{
    stats::{max, median, min},
    wrk::{Load, Run},
};
use serde_json::{Value, json};

/// One load scenario, all its rounds.
pub struct Scenario {
    pub key: &'static str,
    pub label: &'static str,
    pub runs: Vec<Run>,
    /// Requests/s divided by bare axum's in the same round, per round.
    pub ratios: Vec<f64>,
    /// p99 latency divided by bare axum's in the same round, per round.
    pub p99_ratios: Vec<f64>,
}

impl Scenario {
    pub fn new(key: &'static str, label: &'static str) -> Scenario {
        Scenario {
            key,
            label,
            runs: Vec::new(),
            ratios: Vec::new(),
            p99_ratios: Vec::new(),
        }
    }

    fn median_of(&self, f: impl Fn(&Run) -> f64) -> f64 {
        median(&self.runs.iter().map(f).collect::<Vec<_>>())
    }

    fn non_2xx(&self) -> u64 {
        self.runs.iter().map(|r| r.non_2xx + r.socket_errors).sum()
    }
}

/// Everything measured.
pub struct Results {
    pub load: Load,
    pub rounds: usize,
    pub cores: usize,
    /// The first one is bare axum.
    pub scenarios: Vec<Scenario>,
    pub startup_ms: Vec<f64>,
    pub idle_rss_kib: u64,
    pub load_rss_kib: u64,
    pub load_rss_journal_off_kib: u64,
    pub reloads: usize,
    pub reload_ms: Vec<f64>,
    pub rss_per_reload_kib: f64,
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

    fn targets(&self) -> Vec<Target> {
        let journal_on = self.scenario("plugin");
        let ratio = journal_on.map_or(f64::NAN, |s| median(&s.ratios));
        let p99 = journal_on.map_or(f64::NAN, |s| median(&s.p99_ratios));
        vec![
            Target {
                key: "throughput_ratio",
                text: "plugin route (journal on) >= 0.75x bare axum",
                met: ratio >= 0.75,
            },
            Target {
                key: "p99_ratio",
                text: "plugin route p99 <= 2x bare axum's",
                met: p99 <= 2.0,
            },
            Target {
                key: "no_errors",
                text: "0 non-2xx answers or socket errors",
                met: self.scenarios.iter().all(|s| s.non_2xx() == 0),
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
        ]
    }

    /// The human-readable table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "fake-servicer bench: {} rounds x {} s per scenario, wrk -t{} -c{}, {} cores (client on the same machine)\n\n",
            self.rounds, self.load.seconds, self.load.threads, self.load.connections, self.cores
        );
        out.push_str(&format!(
            "{:<34} {:>10} {:>8} {:>9} {:>9} {:>8} {:>8}\n",
            "scenario (GET, 4-byte text)", "req/s", "x bare", "p50 us", "p99 us", "p99 x", "errors"
        ));
        for s in &self.scenarios {
            out.push_str(&format!(
                "{:<34} {:>10.0} {:>8.2} {:>9.0} {:>9.0} {:>8.2} {:>8}\n",
                s.label,
                s.median_of(|r| r.requests_per_sec),
                median(&s.ratios),
                s.median_of(|r| r.p50_us),
                s.median_of(|r| r.p99_us),
                median(&s.p99_ratios),
                s.non_2xx(),
            ));
        }
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
        out.push_str("\ntargets:\n");
        for t in self.targets() {
            out.push_str(&format!(
                "  [{}] {}\n",
                if t.met { "met" } else { "MISSED" },
                t.text
            ));
        }
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
                    "requests_per_sec": s.median_of(|r| r.requests_per_sec).round(),
                    "ratio_to_bare": round2(median(&s.ratios)),
                    "p50_us": s.median_of(|r| r.p50_us),
                    "p99_us": s.median_of(|r| r.p99_us),
                    "p99_ratio_to_bare": round2(median(&s.p99_ratios)),
                    "errors": s.non_2xx(),
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
            "targets": targets,
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
