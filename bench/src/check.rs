//! Checks what a server answers while `wrk` loads it. `wrk` counts
//! answers with a status of 400 or more but never looks at a body, so a
//! second client asks for the same route on its own connections every few
//! milliseconds during each run and compares status and body with what
//! the scenario must answer.

use crate::http;
use std::{
    net::SocketAddr,
    sync::atomic::{AtomicBool, Ordering},
    thread,
    time::Duration,
};

/// Pause between two sampled requests: a few hundred per second, next to
/// tens of thousands from `wrk`.
const PACE: Duration = Duration::from_millis(5);

/// What every answer of a scenario must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    pub status: u16,
    pub body: &'static str,
}

/// The answers sampled in some runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// Answers checked.
    pub checked: u64,
    /// Of those, answers with another status or body, or no answer at all.
    pub wrong: u64,
    /// What the first wrong one was.
    pub first_wrong: Option<String>,
}

impl Sample {
    /// Adds `other`'s counts to these (keeping the first wrong answer).
    pub fn add(&mut self, other: Sample) {
        self.checked += other.checked;
        self.wrong += other.wrong;
        if self.first_wrong.is_none() {
            self.first_wrong = other.first_wrong;
        }
    }

    fn record(&mut self, wrong: Option<String>) {
        self.checked += 1;
        if let Some(what) = wrong {
            self.wrong += 1;
            self.first_wrong.get_or_insert(what);
        }
    }
}

/// Runs `load` while sampling `GET path` on `addr` (at least once, and
/// until `load` returns); what `load` returned and what the sample found.
pub fn during<R>(
    addr: SocketAddr,
    path: &str,
    expected: Expected,
    load: impl FnOnce() -> R,
) -> (R, Sample) {
    let done = AtomicBool::new(false);
    thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut sample = Sample::default();
            loop {
                sample.record(verify(addr, path, expected));
                if done.load(Ordering::Acquire) {
                    return sample;
                }
                thread::sleep(PACE);
            }
        });
        let result = load();
        done.store(true, Ordering::Release);
        let sample = sampler.join().unwrap_or_else(|_| Sample {
            checked: 0,
            wrong: 1,
            first_wrong: Some("the sampling thread panicked".to_owned()),
        });
        (result, sample)
    })
}

/// One `GET path`: `None` when it answers as expected, else what it did.
pub fn verify(addr: SocketAddr, path: &str, expected: Expected) -> Option<String> {
    match http::get(addr, path) {
        Ok(reply) if reply.status == expected.status && reply.body == expected.body => None,
        Ok(reply) => Some(format!(
            "GET {path} answered {} {:?}, expected {} {:?}",
            reply.status,
            shorten(&reply.body),
            expected.status,
            expected.body
        )),
        Err(e) => Some(format!("GET {path}: no answer ({e})")),
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 120;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{io::Read, io::Write, net::TcpListener};

    const PONG: Expected = Expected {
        status: 200,
        body: "pong",
    };

    /// A loopback server answering every connection with `answer`.
    fn serve(answer: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        addr
    }

    #[test]
    fn the_expected_answer_passes() {
        let addr = serve("HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\npong");
        assert_eq!(verify(addr, "/ping", PONG), None);
    }

    #[test]
    fn another_status_is_wrong() {
        let addr =
            serve("HTTP/1.1 404 Not Found\r\ncontent-length: 4\r\nconnection: close\r\n\r\npong");
        let wrong = verify(addr, "/ping", PONG).unwrap();
        assert!(wrong.contains("answered 404"), "{wrong}");
    }

    #[test]
    fn another_body_with_status_200_is_wrong() {
        let addr = serve("HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\npang");
        let wrong = verify(addr, "/ping", PONG).unwrap();
        assert!(wrong.contains("\"pang\""), "{wrong}");
    }

    #[test]
    fn sampling_checks_at_least_once_and_counts_wrong_answers() {
        let addr = serve(
            "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        );
        let ((), sample) = during(addr, "/ping", PONG, || ());
        assert!(sample.checked >= 1);
        assert_eq!(sample.wrong, sample.checked);
        assert!(sample.first_wrong.unwrap().contains("answered 500"));
    }
}
