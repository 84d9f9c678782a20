//! `docs/cli.md`, the command-line reference, rendered from clap's view of
//! [`Args`] — every option with its environment variable, default and help,
//! and the subcommands — and checked against the file, so the page cannot
//! drift from the binary. Nothing here reads the terminal or the machine:
//! defaults come from `Config::default()` or from static help text.
//!
//! Regenerate the page: `FAKE_SERVICER_WRITE_CLI_DOC=1 cargo test -p
//! fake-servicer --bin fake-servicer cli::reference`.

use super::Args;
use clap::{Arg, CommandFactory};
use std::fmt::Write as _;

const REGENERATE: &str =
    "FAKE_SERVICER_WRITE_CLI_DOC=1 cargo test -p fake-servicer --bin fake-servicer cli::reference";

/// The whole page.
fn render(cmd: &clap::Command) -> String {
    let name = cmd.get_name();
    let mut md = format!(
        "# Command line\n\n\
         <!-- Generated from the binary's clap definition (server/src/cli/mod.rs); do not edit.\n     \
         Regenerate: {REGENERATE} -->\n\n\
         `{name} [OPTIONS]` serves; `{name} new` and `{name} healthcheck` do one\n\
         thing and exit. Every option can also be set by its environment variable (a\n\
         switch's: `true` or `false`); the command line wins. `-h`/`--help` prints the\n\
         same help, `-V`/`--version` the version. Logs, stopping and security:\n\
         [limits.md](limits.md#logs-and-stopping).\n\n\
         ## Options\n\n"
    );
    table(&mut md, cmd);
    md.push_str(
        "\nThe options from `--port` on are WireMock's, with WireMock's meaning; the\n\
         flags WireMock has besides are accepted and ignored, or refused with what to\n\
         use instead: [wiremock.md](wiremock.md#wiremocks-command-line).\n",
    );
    md.push_str("\n## Subcommands\n");
    for sub in cmd.get_subcommands() {
        let _ = write!(md, "\n### `{}`\n\n", usage(name, sub));
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            let _ = writeln!(md, "{}.", about.to_string().trim_end_matches('.'));
        }
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            md.push('\n');
            table(&mut md, sub);
        }
    }
    md
}

/// `fake-servicer new [OPTIONS] <NAME> [DIR]`.
fn usage(bin: &str, sub: &clap::Command) -> String {
    let mut line = format!("{bin} {}", sub.get_name());
    let visible = || sub.get_arguments().filter(|a| !a.is_hide_set());
    if visible().any(|a| !a.is_positional()) {
        line.push_str(" [OPTIONS]");
    }
    for arg in visible().filter(|a| a.is_positional()) {
        let value = value_name(arg);
        let _ = if arg.is_required_set() {
            write!(line, " <{value}>")
        } else {
            write!(line, " [{value}]")
        };
    }
    line
}

/// One row per visible argument of `cmd`, in declaration order.
fn table(md: &mut String, cmd: &clap::Command) {
    md.push_str("| option | env | default | meaning |\n|---|---|---|---|\n");
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let help = arg
            .get_long_help()
            .or(arg.get_help())
            .map(|h| {
                h.to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        // A default the help states in words (`[default: …]`) goes to its column.
        let (help, stated) = match help.rsplit_once(" [default: ") {
            Some((text, rest)) if rest.ends_with(']') => {
                (text.to_owned(), Some(rest.trim_end_matches(']').to_owned()))
            }
            _ => (help, None),
        };
        let mut meaning = help.trim_end_matches('.').to_owned();
        let values: Vec<_> = arg.get_possible_values().into_iter().collect();
        if !values.is_empty() && arg.get_action().takes_values() {
            let names: Vec<_> = values
                .iter()
                .map(|v| format!("`{}`", v.get_name()))
                .collect();
            let _ = write!(meaning, " (one of {})", names.join(", "));
        }
        let env = arg
            .get_env()
            .map_or("—".to_owned(), |e| format!("`{}`", e.to_string_lossy()));
        let _ = writeln!(
            md,
            "| `{}` | {env} | {} | {} |",
            flag(arg),
            cell(&default(arg, stated)),
            cell(&meaning)
        );
    }
}

/// `--listen ADDR`, `--poll`, `NAME`.
fn flag(arg: &Arg) -> String {
    match arg.get_long() {
        Some(long) if arg.get_action().takes_values() => format!("--{long} {}", value_name(arg)),
        Some(long) => format!("--{long}"),
        None => value_name(arg),
    }
}

fn value_name(arg: &Arg) -> String {
    match arg.get_value_names() {
        Some([name, ..]) => name.to_string(),
        _ => arg.get_id().as_str().to_uppercase(),
    }
}

/// The default clap fills in, the one the help states, `off` for a switch,
/// or `none`. Byte counts that are whole MiB say so.
fn default(arg: &Arg, stated: Option<String>) -> String {
    if let Some(stated) = stated {
        return stated;
    }
    if !arg.get_action().takes_values() {
        return "off".to_owned();
    }
    let values: Vec<_> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy())
        .collect();
    if values.is_empty() {
        return if arg.is_positional() && arg.is_required_set() {
            "required".to_owned()
        } else {
            "none".to_owned()
        };
    }
    let mut text = format!("`{}`", values.join(","));
    let mib = values[0]
        .parse::<u64>()
        .ok()
        .filter(|n| *n >= 1 << 20 && n % (1 << 20) == 0);
    if let (Some(n), Some(long)) = (mib, arg.get_long())
        && long.ends_with("-bytes")
    {
        let _ = write!(text, " ({} MiB)", n >> 20);
    }
    text
}

/// Text fit for a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

#[test]
fn docs_cli_md_is_what_the_command_line_says() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/cli.md");
    let rendered = render(&Args::command());
    if std::env::var_os("FAKE_SERVICER_WRITE_CLI_DOC").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(&path, &rendered).expect("docs/cli.md is writable");
        return;
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    if written != rendered {
        let (line, (want, have)) = rendered
            .lines()
            .chain(std::iter::repeat(""))
            .zip(written.lines().chain(std::iter::repeat("")))
            .enumerate()
            .find(|(_, (want, have))| want != have)
            .expect("a differing line");
        panic!(
            "docs/cli.md is not what the command line says (first difference, line {}):\n  \
             file:     {have:?}\n  rendered: {want:?}\n\
             Regenerate it from server/src/cli/mod.rs with:\n  {REGENERATE}",
            line + 1
        );
    }
}

#[test]
fn the_reference_lists_every_option_with_its_env_and_default() {
    let md = render(&Args::command());
    assert!(
        md.contains("| `--listen ADDR` | `FAKE_SERVICER_LISTEN` | `0.0.0.0:80` |"),
        "{md}"
    );
    assert!(
        md.contains("| `--poll` | `FAKE_SERVICER_POLL` | off |"),
        "{md}"
    );
    assert!(md.contains("`536870912` (512 MiB)"), "{md}");
    assert!(md.contains("| `--plugins DIR` | `FAKE_SERVICER_PLUGINS` | /app/services, unless --sources is given, or --root-dir is and /app/services is absent |"), "{md}");
    assert!(md.contains("(one of `auto`, `on`, `off`)"), "{md}");
    assert!(
        md.contains("### `fake-servicer new [OPTIONS] <NAME> [DIR]`"),
        "{md}"
    );
    assert!(md.contains("### `fake-servicer healthcheck`"), "{md}");
    for arg in Args::command()
        .get_arguments()
        .filter(|a| a.get_env().is_some())
    {
        let env = arg.get_env().unwrap().to_string_lossy();
        assert!(md.contains(&format!("`{env}`")), "{env} missing");
    }
}
