//! A build as a process group: cargo runs in a group of its own, with
//! everything it starts (rustc, build scripts, what they start), and the
//! whole group is killed when the build runs past its timeout, when the
//! server stops ([`Stop`]), once cargo has exited (whatever it left
//! running), and when the build is dropped (a panic): no build outlives
//! its server or hangs the build queue.
//!
//! Its output is read as it comes, in the calling thread: stdout line by
//! line (cargo's JSON messages), stderr kept within a cap ([`Capped`]).

use super::capped::Capped;
use std::{
    io::{self, Read},
    os::{fd::AsRawFd, unix::process::CommandExt},
    process::{Child, Command, ExitStatus, Stdio},
    sync::Mutex,
    time::{Duration, Instant},
};

/// How often a running build is checked for its end, its deadline and a
/// stop, at the longest (output wakes it sooner).
const TICK: Duration = Duration::from_millis(50);

/// How long the output is still read once the build's group is gone: a
/// process that left the group may hold its pipes open.
const DRAIN: Duration = Duration::from_secs(2);

/// The longest line of stdout handed over whole (cargo's messages are one
/// line each; a huge one is skipped, not buffered).
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// Bytes read from a pipe at once.
const READ_BYTES: usize = 64 * 1024;

/// Stops builds from another thread: the server stopping kills the build
/// in flight, and any build started later is killed as it starts.
#[derive(Debug, Default)]
pub struct Stop(Mutex<StopState>);

#[derive(Debug, Default)]
struct StopState {
    stopping: bool,
    /// The process group of the build in flight; its leader is not reaped
    /// while it is here, so the id cannot name another group.
    group: Option<libc::pid_t>,
}

impl Stop {
    /// Kills the build in flight with every process it started (the
    /// signal is sent when this returns), and every later build as it
    /// starts.
    pub fn stop(&self) {
        let mut state = crate::sync::lock(&self.0);
        state.stopping = true;
        if let Some(group) = state.group {
            kill_group(group);
        }
    }

    /// Whether [`stop`](Self::stop) was called.
    pub fn stopping(&self) -> bool {
        crate::sync::lock(&self.0).stopping
    }
}

/// SIGKILL to every process of the group `pgid`.
fn kill_group(pgid: libc::pid_t) {
    // killpg(0) would be our own group.
    if pgid > 0 {
        // SAFETY: killpg takes plain integers and touches no memory.
        unsafe { libc::killpg(pgid, libc::SIGKILL) };
    }
}

/// A child leading its own process group, registered with a [`Stop`]; the
/// group is killed and the child reaped when this is dropped.
struct Group<'a> {
    child: Child,
    pgid: libc::pid_t,
    stop: &'a Stop,
    reaped: bool,
}

impl<'a> Group<'a> {
    fn spawn(cmd: &mut Command, stop: &'a Stop) -> io::Result<Group<'a>> {
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Held across the spawn: a stop either comes before (and the group
        // is killed here) or finds the group.
        let mut state = crate::sync::lock(&stop.0);
        let mut child = cmd.spawn()?;
        let Ok(pgid) = libc::pid_t::try_from(child.id()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other("the build's process id is out of range"));
        };
        if state.stopping {
            kill_group(pgid);
        }
        state.group = Some(pgid);
        drop(state);
        Ok(Group {
            child,
            pgid,
            stop,
            reaped: false,
        })
    }

    /// Whether the leader has exited, leaving it to be reaped (so its id
    /// still names the group).
    fn exited(&self) -> bool {
        // SAFETY: siginfo_t is plain data, valid zeroed; waitid writes it
        // and reaps nothing (WNOWAIT).
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                self.pgid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        if r != 0 {
            // EINTR: ask again next time; anything else (ECHILD): nothing
            // left to wait for.
            return io::Error::last_os_error().kind() != io::ErrorKind::Interrupted;
        }
        // With WNOHANG and no exited child, nothing is written.
        info.si_signo == libc::SIGCHLD
    }

    /// Kills every process of the group; the leader stays unreaped.
    fn kill(&self) {
        kill_group(self.pgid);
    }

    /// Kills what is left of the group and reaps the leader.
    fn finish(&mut self) -> io::Result<ExitStatus> {
        let mut state = crate::sync::lock(&self.stop.0);
        self.kill();
        state.group = None;
        drop(state);
        self.reaped = true;
        self.child.wait()
    }
}

impl Drop for Group<'_> {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = self.finish();
        }
    }
}

/// How a command run by [`run`] ended.
#[derive(Debug)]
pub enum Ended {
    /// It exited by itself (then what it left running was killed).
    Exited(ExitStatus),
    /// It ran past its timeout and was killed.
    TimedOut,
    /// [`Stop::stop`] killed it.
    Stopped,
}

/// A line of stdout, as [`run`] hands it over.
#[derive(Debug, PartialEq)]
pub enum Line<'a> {
    /// A line, without its newline.
    Whole(&'a [u8]),
    /// A line longer than [`MAX_LINE_BYTES`], skipped: its length.
    TooLong(u64),
}

/// Cuts stdout into lines as it arrives.
#[derive(Default)]
struct Lines {
    partial: Vec<u8>,
    /// The length so far of a line too long to keep, being skipped.
    skipping: Option<u64>,
}

impl Lines {
    fn push(&mut self, mut bytes: &[u8], each: &mut dyn FnMut(Line<'_>)) {
        while let Some(end) = memchr::memchr(b'\n', bytes) {
            let (line, rest) = (&bytes[..end], &bytes[end + 1..]);
            match self.skipping.take() {
                Some(n) => each(Line::TooLong(n + line.len() as u64)),
                None if self.partial.is_empty() => each(Line::Whole(line)),
                None => {
                    self.partial.extend_from_slice(line);
                    self.flush_partial(each);
                }
            }
            bytes = rest;
        }
        self.keep(bytes);
    }

    /// Keeps the start of a line whose end has not come yet.
    fn keep(&mut self, bytes: &[u8]) {
        if let Some(n) = &mut self.skipping {
            *n += bytes.len() as u64;
        } else if self.partial.len() + bytes.len() > MAX_LINE_BYTES {
            self.skipping = Some((self.partial.len() + bytes.len()) as u64);
            self.partial = Vec::new();
        } else {
            self.partial.extend_from_slice(bytes);
        }
    }

    fn flush_partial(&mut self, each: &mut dyn FnMut(Line<'_>)) {
        if self.partial.len() > MAX_LINE_BYTES {
            each(Line::TooLong(self.partial.len() as u64));
        } else {
            each(Line::Whole(&self.partial));
        }
        self.partial.clear();
    }

    /// The last line, without a newline.
    fn end(&mut self, each: &mut dyn FnMut(Line<'_>)) {
        match self.skipping.take() {
            Some(n) => each(Line::TooLong(n)),
            None if !self.partial.is_empty() => self.flush_partial(each),
            None => {}
        }
    }
}

/// Runs `cmd` (stdin from /dev/null) in a process group of its own for at
/// most `timeout`: each line of its stdout goes to `line` as it arrives,
/// its stderr to `stderr`. The group is killed at the timeout, when `stop`
/// says so, and once `cmd` has exited (what it left running); the output
/// is read until its pipes close, for at most [`DRAIN`] after that.
pub fn run(
    cmd: &mut Command,
    timeout: Duration,
    stop: &Stop,
    line: &mut dyn FnMut(Line<'_>),
    stderr: &mut Capped,
) -> io::Result<Ended> {
    let mut group = Group::spawn(cmd, stop)?;
    let mut out = group.child.stdout.take();
    let mut err = group.child.stderr.take();
    let deadline = Instant::now().checked_add(timeout);
    let mut lines = Lines::default();
    let mut buf = vec![0; READ_BYTES];
    // Once the group is gone: why, and until when its output is read.
    let mut ended: Option<(Why, Instant)> = None;
    loop {
        let now = Instant::now();
        let wait = match (&ended, deadline) {
            (Some((_, until)), _) => until.saturating_duration_since(now),
            (None, Some(deadline)) => TICK.min(deadline.saturating_duration_since(now)),
            (None, None) => TICK,
        };
        let fds = [
            out.as_ref().map(AsRawFd::as_raw_fd),
            err.as_ref().map(AsRawFd::as_raw_fd),
        ];
        let ready = wait_readable(fds, wait)?;
        if let (true, Some(pipe)) = (ready[0], &mut out) {
            match read_some(pipe, &mut buf) {
                Some(bytes) => lines.push(bytes, line),
                None => out = None,
            }
        }
        if let (true, Some(pipe)) = (ready[1], &mut err) {
            match read_some(pipe, &mut buf) {
                Some(bytes) => stderr.push(bytes),
                None => err = None,
            }
        }
        if ended.is_none() {
            let now = Instant::now();
            // A stop first: it may be what ended the leader.
            let why = if stop.stopping() {
                Some(Why::Stopped)
            } else if group.exited() {
                Some(Why::Exited)
            } else if deadline.is_some_and(|d| now >= d) {
                Some(Why::TimedOut)
            } else {
                None
            };
            if let Some(why) = why {
                group.kill();
                ended = Some((why, now + DRAIN));
            }
        }
        match &ended {
            Some(_) if out.is_none() && err.is_none() => break,
            Some((_, until)) if Instant::now() >= *until => break,
            _ => {}
        }
    }
    lines.end(line);
    let status = group.finish()?;
    Ok(match ended.map(|(why, _)| why) {
        Some(Why::Stopped) => Ended::Stopped,
        Some(Why::TimedOut) => Ended::TimedOut,
        Some(Why::Exited) | None => Ended::Exited(status),
    })
}

/// Why [`run`] stopped waiting for its command.
enum Why {
    Exited,
    TimedOut,
    Stopped,
}

/// Reads what `pipe` has; `None` at its end (or on an error, which ends it
/// too).
fn read_some<'b>(pipe: &mut impl Read, buf: &'b mut [u8]) -> Option<&'b [u8]> {
    loop {
        match pipe.read(buf) {
            Ok(0) => return None,
            Ok(n) => return buf.get(..n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
}

/// Waits at most `wait` for any of `fds` (those that are there) to be
/// readable or closed; which are.
fn wait_readable(fds: [Option<libc::c_int>; 2], wait: Duration) -> io::Result<[bool; 2]> {
    let mut polled: Vec<(usize, libc::pollfd)> = fds
        .iter()
        .enumerate()
        .filter_map(|(i, fd)| {
            let fd = (*fd)?;
            Some((
                i,
                libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                },
            ))
        })
        .collect();
    let mut pollfds: Vec<libc::pollfd> = polled.iter().map(|(_, p)| *p).collect();
    // Rounded up, so a wait under 1 ms does not spin.
    let ms = wait.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int;
    // SAFETY: `pollfds` is a live array of `pollfds.len()` entries.
    let r = unsafe { libc::poll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, ms) };
    let mut ready = [false; 2];
    if r < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(ready)
        } else {
            Err(e)
        };
    }
    for ((i, _), p) in polled.iter_mut().zip(&pollfds) {
        ready[*i] = p.revents != 0;
    }
    Ok(ready)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Whether the process `pid` is gone (or a zombie: dead, its parent
    /// not asking yet).
    fn gone(pid: &str) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => stat
                .rsplit(')')
                .next()
                .is_some_and(|rest| matches!(rest.trim_start().chars().next(), Some('Z' | 'X'))),
        }
    }

    /// Waits up to 10 s for `check`.
    fn within_10_s(what: &str, mut check: impl FnMut() -> bool) {
        let start = Instant::now();
        while !check() {
            assert!(start.elapsed() < Duration::from_secs(10), "{what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// A shell that starts `sleep` in the background (writing its pid to
    /// `pid_file`), then waits for it.
    fn sleeper(pid_file: &Path) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg("sleep 1000 & echo $! > \"$0\"; echo started; wait")
            .arg(pid_file);
        cmd
    }

    fn no_lines() -> impl FnMut(Line<'_>) {
        |_| {}
    }

    #[test]
    fn a_command_past_its_timeout_is_killed_with_everything_it_started() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let pid_file = dir.path().join("pid");
        let started = Instant::now();
        let ended = run(
            &mut sleeper(&pid_file),
            Duration::from_millis(300),
            &Stop::default(),
            &mut no_lines(),
            &mut Capped::default(),
        );
        assert!(matches!(ended, Ok(Ended::TimedOut)), "{ended:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let pid = std::fs::read_to_string(&pid_file).expect("the pid file");
        within_10_s("the background sleep to die", || gone(pid.trim()));
    }

    #[test]
    fn stopping_kills_the_command_in_flight_with_everything_it_started() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let pid_file = dir.path().join("pid");
        let stop = Stop::default();
        let ended = std::thread::scope(|s| {
            let running = s.spawn(|| {
                run(
                    &mut sleeper(&pid_file),
                    Duration::from_secs(600),
                    &stop,
                    &mut no_lines(),
                    &mut Capped::default(),
                )
            });
            within_10_s("the pid file", || {
                std::fs::read_to_string(&pid_file).is_ok_and(|p| p.ends_with('\n'))
            });
            stop.stop();
            running.join()
        });
        assert!(matches!(ended, Ok(Ok(Ended::Stopped))), "{ended:?}");
        let pid = std::fs::read_to_string(&pid_file).expect("the pid file");
        within_10_s("the background sleep to die", || gone(pid.trim()));
    }

    #[test]
    fn a_command_started_after_a_stop_is_killed_at_once() {
        let stop = Stop::default();
        stop.stop();
        let mut cmd = Command::new("sleep");
        cmd.arg("1000");
        let started = Instant::now();
        let ended = run(
            &mut cmd,
            Duration::from_secs(600),
            &stop,
            &mut no_lines(),
            &mut Capped::default(),
        );
        assert!(matches!(ended, Ok(Ended::Stopped)), "{ended:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn what_a_command_leaves_running_is_killed_when_it_exits() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let pid_file = dir.path().join("pid");
        let mut cmd = Command::new("sh");
        // The background sleep holds stdout and stderr open.
        cmd.arg("-c")
            .arg("sleep 1000 & echo $! > \"$0\"; exit 3")
            .arg(&pid_file);
        let ended = run(
            &mut cmd,
            Duration::from_secs(600),
            &Stop::default(),
            &mut no_lines(),
            &mut Capped::default(),
        );
        assert!(
            matches!(&ended, Ok(Ended::Exited(s)) if s.code() == Some(3)),
            "{ended:?}"
        );
        let pid = std::fs::read_to_string(&pid_file).expect("the pid file");
        within_10_s("the background sleep to die", || gone(pid.trim()));
    }

    #[test]
    fn stdout_comes_in_lines_and_stderr_is_capped() {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(
            "printf 'one\\ntwo\\nlast'; echo START >&2; head -c 1000000 /dev/zero | tr '\\0' x >&2; echo END >&2",
        );
        let mut lines = Vec::new();
        let mut stderr = Capped::new(100, 100);
        let ended = run(
            &mut cmd,
            Duration::from_secs(600),
            &Stop::default(),
            &mut |l| lines.push(format!("{l:?}")),
            &mut stderr,
        );
        assert!(
            matches!(&ended, Ok(Ended::Exited(s)) if s.success()),
            "{ended:?}"
        );
        assert_eq!(
            lines,
            [
                format!("{:?}", Line::Whole(b"one")),
                format!("{:?}", Line::Whole(b"two")),
                format!("{:?}", Line::Whole(b"last")),
            ]
        );
        assert_eq!(stderr.written(), 1_000_010);
        let text = stderr.text();
        assert!(text.starts_with("START\nxxx"), "{text}");
        assert!(text.ends_with("xxxEND"), "{text}");
        assert!(text.contains("… 999810 bytes left out …"), "{text}");
    }

    #[test]
    fn a_line_too_long_to_keep_is_skipped_and_measured() {
        let mut lines = Lines::default();
        let mut seen = Vec::new();
        let mut each = |l: Line<'_>| {
            seen.push(match l {
                Line::Whole(b) => format!("whole {}", String::from_utf8_lossy(b)),
                Line::TooLong(n) => format!("too long {n}"),
            })
        };
        let long = vec![b'x'; MAX_LINE_BYTES];
        lines.push(b"a\nxx", &mut each);
        lines.push(&long, &mut each);
        lines.push(b"x\nb\n", &mut each);
        lines.push(b"c", &mut each);
        lines.end(&mut each);
        assert_eq!(
            seen,
            [
                "whole a".to_owned(),
                format!("too long {}", MAX_LINE_BYTES + 3),
                "whole b".to_owned(),
                "whole c".to_owned(),
            ]
        );
    }
}
