//! Tests whose tools (a Docker engine, python3, a JDK, curl …) are missing
//! skip visibly, or fail where the tools are required.

use std::{io::Write, path::PathBuf};

/// Whether tests whose tools are missing must fail instead of skipping:
/// `FAKE_SERVICER_REQUIRE_DOCKER` set to anything but `0` (`.ci/run` sets
/// it), or, when it is unset, `CI` set.
pub fn tools_required() -> bool {
    match std::env::var("FAKE_SERVICER_REQUIRE_DOCKER") {
        Ok(v) => !v.trim().is_empty() && v.trim() != "0",
        Err(_) => std::env::var_os("CI").is_some(),
    }
}

/// Where skipped tests are listed, one `SKIPPED: <test>: <reason>` line
/// each: `target/tmp/skipped-tests.txt` (`.ci/run` prints it after the
/// tests).
pub fn skip_log() -> PathBuf {
    crate::tmp_dir().join("skipped-tests.txt")
}

/// Records that `test` cannot run for `reason`: a failure when
/// [`tools_required`], otherwise a `SKIPPED: <test>: <reason>` line on the
/// process's stderr (which `cargo test` does not capture) and in
/// [`skip_log`]. The caller returns after it.
pub fn skip(test: &str, reason: &str) {
    assert!(
        !tools_required(),
        "{test} cannot run: {reason} (FAKE_SERVICER_REQUIRE_DOCKER or CI is set, so a missing tool is a failure)"
    );
    let line = format!("SKIPPED: {test}: {reason}\n");
    // `eprintln!` is captured by the test harness; the stderr handle is not.
    let _ = std::io::stderr().write_all(line.as_bytes());
    let log = skip_log();
    if let Some(dir) = log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
    {
        let _ = f.write_all(line.as_bytes());
    }
}
