//! The open-file limit: each connection holds a descriptor, so the server
//! raises its soft limit to the hard one at start-up, and `--max-connections`
//! keeps it from running out.

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; the limit in force
/// afterwards (the old one when it could not be raised).
// `rlim_t` is `u64` on Linux but not on every target.
#[allow(clippy::unnecessary_cast)]
pub fn raise() -> std::io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for getrlimit to fill.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: `raised` is a valid rlimit within the hard limit.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        return Ok(raised.rlim_cur as u64);
    }
    Ok(limit.rlim_cur as u64)
}
