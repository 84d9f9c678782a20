//! WireMock's command line: the flags `wiremock/wiremock`'s image is
//! started with, read with WireMock's meaning ([`WireMockArgs`]), accepted
//! and ignored where they have no meaning here ([`IGNORED`], one log line
//! each), refused by name otherwise ([`REFUSED`], before clap reads the
//! line, so the message says what to use instead).
//!
//! `FAKE_SERVICER_WIREMOCK_ARGS=1` (set by the `wiremock` image) reads the
//! one flag both command lines have with different units the WireMock way
//! (`--proxy-timeout` in milliseconds), and takes more flags from
//! `WIREMOCK_OPTIONS`, as WireMock's image does.

use clap::Args;

/// WireMock's flags that mean something here.
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "WireMock's command line")]
pub struct WireMockArgs {
    /// WireMock's `--port`: the HTTP port (0: any free one), on
    /// --bind-address; overrides --listen.
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,

    /// WireMock's `--bind-address`: the address to listen on (with --port,
    /// else --listen's port; --https-port's too) [default: 0.0.0.0].
    #[arg(long, value_name = "IP")]
    pub bind_address: Option<String>,

    /// WireMock's `--https-port`: HTTPS on this port, on --bind-address;
    /// overrides --tls-listen.
    #[arg(long, value_name = "N")]
    pub https_port: Option<u16>,

    /// WireMock's `--verbose`: log every request served and its answer.
    #[arg(long, env = "FAKE_SERVICER_VERBOSE")]
    pub verbose: bool,

    /// WireMock's `--local-response-templating`: only stubs naming the
    /// `response-template` transformer are templates (the default).
    #[arg(long, conflicts_with = "global_response_templating")]
    pub local_response_templating: bool,

    /// WireMock's `--disable-response-templating`: no stub's answer is
    /// rendered, whatever its transformers.
    #[arg(long)]
    pub disable_response_templating: bool,

    /// WireMock's `--no-request-journal`: no request journal (as
    /// --journal-size 0).
    #[arg(long, visible_alias = "disable-request-journal")]
    pub no_request_journal: bool,

    /// WireMock's `--max-request-journal-entries`: the journal's size (as
    /// --journal-size).
    #[arg(long, value_name = "N")]
    pub max_request_journal_entries: Option<usize>,

    /// WireMock's `--enable-stub-cors`: answer CORS preflights and add CORS
    /// headers to stub answers.
    #[arg(long, env = "FAKE_SERVICER_ENABLE_STUB_CORS")]
    pub enable_stub_cors: bool,

    /// WireMock's `--disable-gzip`: request bodies are not decoded and stub
    /// answers not gzipped.
    #[arg(long, env = "FAKE_SERVICER_DISABLE_GZIP")]
    pub disable_gzip: bool,

    /// WireMock's `--webhook-threadpool-size`: webhooks sent at once.
    #[arg(long, value_name = "N", env = "FAKE_SERVICER_WEBHOOK_CONCURRENCY",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub webhook_threadpool_size: Option<u16>,
}

/// WireMock's flags with no meaning here: accepted (with their value, if
/// they take one), each named once in the log. `(flag, takes a value)`.
pub const IGNORED: &[(&str, bool)] = &[
    ("--disable-banner", false),
    ("--container-threads", true),
    ("--jetty-acceptor-threads", true),
    ("--jetty-accept-queue-size", true),
    ("--jetty-header-buffer-size", true),
    ("--jetty-header-request-size", true),
    ("--jetty-header-response-size", true),
    ("--jetty-idle-timeout", true),
    ("--jetty-stop-timeout", true),
    ("--async-response-enabled", true),
    ("--async-response-threads", true),
    ("--max-template-cache-entries", true),
    ("--disable-extensions-scanning", false),
    ("--disable-optimize-xml-factories-loading", false),
    ("--disable-strict-http-headers", false),
    ("--disable-request-logging", false),
    ("--use-chunked-encoding", true),
    ("--logged-response-body-size-limit", true),
    ("--max-http-client-connections", true),
    ("--disable-connection-reuse", true),
    ("--disable-http2-plain", false),
    ("--disable-http2-tls", false),
    ("--timeout", true), // an optional value
    ("--permitted-system-keys", true),
];

/// WireMock's flags refused, each with what to do instead.
pub const REFUSED: &[(&str, &str)] = &[
    (
        "--https-keystore",
        "HTTPS certificates are signed per service by fake-servicer's CA: see --ca-cert, --ca-key and --ca-dir",
    ),
    ("--keystore-type", "see --ca-cert and --ca-key"),
    ("--keystore-password", "see --ca-cert and --ca-key"),
    ("--key-manager-password", "see --ca-cert and --ca-key"),
    ("--https-truststore", "client certificates are not checked"),
    ("--truststore-type", "client certificates are not checked"),
    (
        "--truststore-password",
        "client certificates are not checked",
    ),
    (
        "--https-require-client-cert",
        "client certificates are not checked",
    ),
    ("--ca-keystore", "browser proxying is not supported"),
    (
        "--ca-keystore-password",
        "browser proxying is not supported",
    ),
    ("--ca-keystore-type", "browser proxying is not supported"),
    (
        "--enable-browser-proxying",
        "browser proxying is not supported; use proxying stubs",
    ),
    ("--proxy-pass-through", "browser proxying is not supported"),
    (
        "--trust-all-proxy-targets",
        "browser proxying is not supported",
    ),
    ("--trust-proxy-target", "browser proxying is not supported"),
    (
        "--preserve-host-header",
        "proxying stubs send the target's Host",
    ),
    (
        "--preserve-user-agent-proxy-header",
        "proxying stubs send the client's headers as they are",
    ),
    (
        "--proxy-all",
        "add a proxying stub (`\"proxyBaseUrl\"`) with a low priority instead",
    ),
    (
        "--proxy-via",
        "proxying through another proxy is not supported",
    ),
    ("--allow-proxy-targets", "proxy targets are not filtered"),
    ("--deny-proxy-targets", "proxy targets are not filtered"),
    (
        "--supported-proxy-encodings",
        "proxying stubs relay the client's Accept-Encoding",
    ),
    (
        "--record-mappings",
        "record with POST /__admin/recordings/start",
    ),
    (
        "--match-headers",
        "name captured headers in POST /__admin/recordings/start",
    ),
    (
        "--filename-template",
        "recorded stubs are named by their id",
    ),
    (
        "--extensions",
        "Java extensions cannot run here; write a Rust plugin (docs/plugins.md)",
    ),
    ("--load-resources-from-classpath", "use --root-dir"),
    (
        "--admin-api-basic-auth",
        "use --admin-token (a bearer token)",
    ),
    ("--admin-api-require-https", "use --admin-token"),
    ("--print-all-network-traffic", "use --verbose"),
    ("--disable-http", "the HTTP listener cannot be turned off"),
];

/// The first refused WireMock flag in `args` (`--flag` or `--flag=value`),
/// with what to use instead.
pub fn refused<I, S>(args: I) -> Option<(&'static str, &'static str)>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    args.into_iter()
        .take_while(|a| a.as_ref() != "--")
        .find_map(|a| {
            let flag = a.as_ref().split('=').next().unwrap_or_default();
            REFUSED.iter().find(|(name, _)| *name == flag).copied()
        })
}

/// `args` without the ignored WireMock flags (and their values), and the
/// flags taken out, in order; with `wiremock_units`, WireMock's
/// `--proxy-timeout` milliseconds written as seconds.
pub fn without_ignored(args: Vec<String>, wiremock_units: bool) -> (Vec<String>, Vec<String>) {
    let (mut kept, mut ignored) = (Vec::with_capacity(args.len()), Vec::new());
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            kept.push(arg);
            kept.extend(args.by_ref());
            break;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        if let Some((name, takes_value)) = IGNORED.iter().find(|(name, _)| *name == flag) {
            // `--max-template-cache-entries` and `--permitted-system-keys`
            // take an optional value: skip the next word unless a flag.
            if *takes_value && inline.is_none() {
                let mut peek = args.clone();
                if peek.next().is_some_and(|next| !next.starts_with("--")) {
                    args.next();
                }
            }
            ignored.push((*name).to_owned());
            continue;
        }
        if wiremock_units && flag == "--proxy-timeout" {
            let value = inline.or_else(|| args.next()).unwrap_or_default();
            kept.push(flag);
            kept.push(millis_as_seconds(&value));
            continue;
        }
        kept.push(arg);
    }
    (kept, ignored)
}

/// WireMock's milliseconds as the seconds this server's flags take (left
/// as written when not a number, for clap to refuse).
fn millis_as_seconds(value: &str) -> String {
    match value.trim().parse::<f64>() {
        Ok(ms) => (ms / 1000.0).to_string(),
        Err(_) => value.to_owned(),
    }
}

/// WireMock's flags applied to a configuration.
pub trait WithWireMock {
    fn with_wiremock(self, flags: &WireMockArgs) -> Self;
}

impl WithWireMock for fake_servicer_server::Config {
    /// WireMock's flags over the rest: `--port`/`--bind-address` over
    /// `--listen`, `--https-port` over `--tls-listen`, the journal flags
    /// over `--journal-size`.
    fn with_wiremock(mut self, w: &WireMockArgs) -> Self {
        if w.port.is_some() || w.bind_address.is_some() {
            let port = w
                .port
                .map_or_else(|| port_of(&self.listen), |p| p.to_string());
            self.listen = address(w.bind_address.as_deref(), &port);
        }
        if let Some(port) = w.https_port {
            self.tls_listen = Some(address(w.bind_address.as_deref(), &port.to_string()));
        }
        if let Some(n) = w.max_request_journal_entries {
            self.journal_size = n;
        }
        if w.no_request_journal {
            self.journal_size = 0;
        }
        if w.disable_response_templating {
            self.response_templating = false;
        }
        if let Some(n) = w.webhook_threadpool_size {
            self.webhook_concurrency = usize::from(n);
        }
        self.verbose |= w.verbose;
        self.stub_cors |= w.enable_stub_cors;
        self.gzip &= !w.disable_gzip;
        self
    }
}

/// The port part of a listen address (`80` of `0.0.0.0:80`).
fn port_of(listen: &str) -> String {
    listen.rsplit_once(':').map_or("80", |(_, p)| p).to_owned()
}

/// `ip:port`, bracketing an IPv6 address; `0.0.0.0` when no IP is given.
fn address(ip: Option<&str>, port: &str) -> String {
    match ip.unwrap_or("0.0.0.0") {
        ip if ip.contains(':') && !ip.starts_with('[') => format!("[{ip}]:{port}"),
        ip => format!("{ip}:{port}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Args;
    use clap::Parser as _;
    use fake_servicer_server::Config;

    fn wiremock(args: &[&str]) -> Config {
        let mut argv = vec!["fake-servicer"];
        argv.extend_from_slice(args);
        Args::try_parse_from(argv).unwrap().config()
    }

    #[test]
    fn wiremocks_port_and_bind_address_set_the_listen_address() {
        assert_eq!(wiremock(&["--port", "8080"]).listen, "0.0.0.0:8080");
        assert_eq!(
            wiremock(&["--bind-address", "127.0.0.1"]).listen,
            "127.0.0.1:80"
        );
        let both = wiremock(&[
            "--port",
            "0",
            "--bind-address",
            "::1",
            "--https-port",
            "8443",
        ]);
        assert_eq!(both.listen, "[::1]:0");
        assert_eq!(both.tls_listen.as_deref(), Some("[::1]:8443"));
        assert_eq!(
            wiremock(&["--listen", "127.0.0.1:9", "--port", "10"]).listen,
            "0.0.0.0:10"
        );
    }

    #[test]
    fn wiremocks_journal_flags_set_the_journal_size() {
        assert_eq!(wiremock(&["--no-request-journal"]).journal_size, 0);
        assert_eq!(wiremock(&["--disable-request-journal"]).journal_size, 0);
        assert_eq!(
            wiremock(&["--max-request-journal-entries", "7"]).journal_size,
            7
        );
    }

    #[test]
    fn wiremocks_switches_set_their_settings() {
        use fake_servicer_server::template::Templating;
        let c = wiremock(&[
            "--enable-stub-cors",
            "--disable-gzip",
            "--verbose",
            "--webhook-threadpool-size",
            "3",
        ]);
        assert!(c.stub_cors && !c.gzip && c.verbose);
        assert_eq!(c.webhook_concurrency, 3);
        assert_eq!(wiremock(&[]).templating(), Templating::Local);
        assert_eq!(
            wiremock(&["--local-response-templating"]).templating(),
            Templating::Local
        );
        assert_eq!(
            wiremock(&["--global-response-templating"]).templating(),
            Templating::Global
        );
        assert_eq!(
            wiremock(&["--disable-response-templating"]).templating(),
            Templating::Off
        );
    }

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn ignored_flags_are_taken_out_with_their_values() {
        let (kept, ignored) = without_ignored(
            strings(&[
                "fake-servicer",
                "--container-threads",
                "25",
                "--verbose",
                "--jetty-idle-timeout=100",
                "--disable-banner",
                "--max-template-cache-entries",
                "--port",
                "8080",
            ]),
            false,
        );
        assert_eq!(
            kept,
            strings(&["fake-servicer", "--verbose", "--port", "8080"])
        );
        assert_eq!(
            ignored,
            strings(&[
                "--container-threads",
                "--jetty-idle-timeout",
                "--disable-banner",
                "--max-template-cache-entries"
            ])
        );
    }

    #[test]
    fn a_refused_flag_is_named_with_what_to_use_instead() {
        let (flag, instead) =
            refused(["fake-servicer", "--port", "1", "--https-keystore=/k"]).unwrap();
        assert_eq!(flag, "--https-keystore");
        assert!(instead.contains("--ca-cert"), "{instead}");
        assert_eq!(refused(["fake-servicer", "--port", "1"]), None);
    }

    #[test]
    fn with_wiremock_units_the_proxy_timeout_is_read_in_milliseconds() {
        let (kept, _) = without_ignored(strings(&["fs", "--proxy-timeout", "2500"]), true);
        assert_eq!(kept, strings(&["fs", "--proxy-timeout", "2.5"]));
        let (kept, _) = without_ignored(strings(&["fs", "--proxy-timeout=5"]), false);
        assert_eq!(kept, strings(&["fs", "--proxy-timeout=5"]));
    }
}
