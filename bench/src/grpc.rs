//! The gRPC scenarios' load generator, in the spirit of `ghz`: `SayHello`
//! unary calls, a fixed number in flight, spread over a few HTTP/2
//! connections (h2c, prior knowledge), for a fixed time; calls per second,
//! p50 and p99 latency, and every answer checked.
//!
//! The client is the `h2` crate on one thread (a current-thread tokio
//! runtime), as `wrk -t1` is for the HTTP scenarios: each call in flight
//! is a task that sends a call, reads its answer and trailers, and sends
//! the next. A call is an error when the answer is not HTTP 200 or its
//! `grpc-status` is not `0` (status errors), or when the connection or
//! the stream fails (transport errors: the task stops); an answer that is
//! not `hello, bench` is a wrong answer. Any of them fails the run.

use crate::{
    check::Sample,
    helloworld::{self, HelloReply, HelloRequest},
    wrk::Run,
};
use bytes::Bytes;
use h2::client::SendRequest;
use http::{HeaderMap, HeaderValue, Method, Request, Uri, header};
use std::{
    future::poll_fn,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::net::TcpStream;

/// The name every call sends.
pub const NAME: &str = "bench";
/// What every answer must carry: `SayHello`'s greeting of [`NAME`].
pub const GREETING: &str = "hello, bench";
/// How long after the end of a run a call may still be answered.
const GRACE: Duration = Duration::from_secs(5);

/// How the gRPC scenarios load a server.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    /// Calls in flight.
    pub concurrency: u32,
    /// HTTP/2 connections they are spread over.
    pub connections: u32,
    pub seconds: u32,
}

/// What one run found.
#[derive(Debug)]
pub struct Outcome {
    /// Calls per second, latencies, status and transport errors (as
    /// `wrk`'s figures: `requests` are the calls answered).
    pub run: Run,
    /// Every answer read, checked.
    pub sample: Sample,
    /// The first status or transport error, told.
    pub first_error: Option<String>,
}

/// One call, ready to send: the same for every call of a run.
struct Call {
    uri: Uri,
    headers: HeaderMap,
    /// The request message, framed.
    body: Bytes,
    /// The answer's message, framed.
    expected: Bytes,
}

impl Call {
    fn new(authority: &str) -> Result<Call, String> {
        let uri = format!("http://{authority}{}", helloworld::SAY_HELLO);
        let uri: Uri = uri.parse().map_err(|e| format!("{uri}: {e}"))?;
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/grpc"),
        );
        headers.insert(header::TE, HeaderValue::from_static("trailers"));
        let request = HelloRequest {
            name: NAME.to_owned(),
            times: 0,
        };
        let reply = HelloReply {
            message: GREETING.to_owned(),
        };
        Ok(Call {
            uri,
            headers,
            body: helloworld::frame(&request).into(),
            expected: helloworld::frame(&reply).into(),
        })
    }

    fn request(&self) -> Request<()> {
        let mut request = Request::new(());
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// How one call ended.
enum Answered {
    /// HTTP 200, `grpc-status: 0`; whether the message was the expected one.
    Ok { right: bool },
    /// Another HTTP status or `grpc-status`, told.
    Status(String),
}

/// What the calls of one task (or of all) came to.
#[derive(Default)]
struct Tally {
    /// Latency of every answered call, in µs.
    latencies_us: Vec<u32>,
    status_errors: u64,
    transport_errors: u64,
    wrong: u64,
    first_error: Option<String>,
    first_wrong: Option<String>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        self.status_errors += other.status_errors;
        self.transport_errors += other.transport_errors;
        self.wrong += other.wrong;
        self.first_error = self.first_error.take().or(other.first_error);
        self.first_wrong = self.first_wrong.take().or(other.first_wrong);
    }
}

/// Loads `addr` with `SayHello` calls whose `:authority` is `authority`,
/// for `load.seconds`. An error only when the client cannot start (no
/// connection); what goes wrong during the run is counted.
pub fn run(addr: SocketAddr, authority: &str, load: Load) -> Result<Outcome, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the gRPC client's runtime: {e}"))?;
    runtime.block_on(drive(addr, authority, load))
}

/// One call on a new connection: `Ok` once the answer is the expected one,
/// else what it was. For waiting until a server answers.
pub fn probe(addr: SocketAddr, authority: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the gRPC client's runtime: {e}"))?;
    runtime.block_on(async {
        let call = Call::new(authority)?;
        let mut send = connect(addr).await?;
        let mut buf = Vec::new();
        let answered = tokio::time::timeout(
            Duration::from_secs(2),
            call_once(&mut send, &call, &mut buf),
        )
        .await
        .map_err(|_| "no answer within 2 s".to_owned())?;
        match answered.map_err(|e| e.to_string())? {
            Answered::Ok { right: true } => Ok(()),
            Answered::Ok { right: false } => Err(describe(&buf)),
            Answered::Status(status) => Err(status),
        }
    })
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Bytes>, String> {
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    tcp.set_nodelay(true)
        .map_err(|e| format!("TCP_NODELAY on a connection to {addr}: {e}"))?;
    let (send, connection) = h2::client::handshake(tcp)
        .await
        .map_err(|e| format!("no HTTP/2 handshake with {addr}: {e}"))?;
    // Errors of the connection reach the calls on it.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(send)
}

async fn drive(addr: SocketAddr, authority: &str, load: Load) -> Result<Outcome, String> {
    let call = Arc::new(Call::new(authority)?);
    let mut connections = Vec::new();
    for _ in 0..load.connections.max(1) {
        connections.push(connect(addr).await?);
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(u64::from(load.seconds));
    let tasks: Vec<_> = (0..load.concurrency.max(1) as usize)
        .map(|i| {
            let send = connections[i % connections.len()].clone();
            tokio::spawn(caller(send, call.clone(), deadline))
        })
        .collect();
    // A call still unanswered this long after the end is a timeout.
    let given_up = deadline + GRACE;
    let mut tally = Tally::default();
    for mut task in tasks {
        match tokio::time::timeout_at(given_up.into(), &mut task).await {
            Ok(done) => tally.add(done.map_err(|e| format!("a gRPC client task failed: {e}"))?),
            Err(_) => {
                task.abort();
                tally.transport_errors += 1;
                tally.first_error.get_or_insert_with(|| {
                    format!("a call not answered {} s after the run", GRACE.as_secs())
                });
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let answered = tally.latencies_us.len() as u64;
    tally.latencies_us.sort_unstable();
    let percentile = |p: f64| -> f64 {
        let all = &tally.latencies_us;
        if all.is_empty() {
            return f64::NAN;
        }
        let rank = ((p * all.len() as f64).ceil() as usize).clamp(1, all.len());
        f64::from(all[rank - 1])
    };
    let run = Run {
        requests_per_sec: answered as f64 / elapsed,
        p50_us: percentile(0.50),
        p99_us: percentile(0.99),
        requests: answered,
        status_errors: tally.status_errors,
        socket_errors: tally.transport_errors,
    };
    let sample = Sample {
        checked: answered - tally.status_errors,
        wrong: tally.wrong,
        first_wrong: tally.first_wrong,
    };
    Ok(Outcome {
        run,
        sample,
        first_error: tally.first_error,
    })
}

/// Calls until `deadline`, one at a time.
async fn caller(mut send: SendRequest<Bytes>, call: Arc<Call>, deadline: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut buf = Vec::new();
    loop {
        let started = Instant::now();
        if started >= deadline {
            return tally;
        }
        let answered = call_once(&mut send, &call, &mut buf).await;
        let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        match answered {
            Ok(Answered::Ok { right }) => {
                tally.latencies_us.push(micros);
                if !right {
                    tally.wrong += 1;
                    tally.first_wrong.get_or_insert_with(|| describe(&buf));
                }
            }
            Ok(Answered::Status(status)) => {
                tally.latencies_us.push(micros);
                tally.status_errors += 1;
                tally.first_error.get_or_insert(status);
            }
            Err(e) => {
                // The stream or its connection failed: this task stops
                // (the run fails anyway).
                tally.transport_errors += 1;
                tally
                    .first_error
                    .get_or_insert_with(|| format!("transport error: {e}"));
                return tally;
            }
        }
    }
}

/// Sends one call and reads its answer; the answer's message is left in
/// `buf`.
async fn call_once(
    send: &mut SendRequest<Bytes>,
    call: &Call,
    buf: &mut Vec<u8>,
) -> Result<Answered, h2::Error> {
    buf.clear();
    poll_fn(|cx| send.poll_ready(cx)).await?;
    let (response, mut stream) = send.send_request(call.request(), false)?;
    stream.send_data(call.body.clone(), true)?;
    let (head, mut body) = response.await?.into_parts();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        let _ = body.flow_control().release_capacity(chunk.len());
        buf.extend_from_slice(&chunk);
    }
    let trailers = body.trailers().await?;
    if head.status != http::StatusCode::OK {
        return Ok(Answered::Status(format!("HTTP status {}", head.status)));
    }
    // A status-only answer carries it in its headers.
    let carrier = match &trailers {
        Some(trailers) if trailers.contains_key("grpc-status") => trailers,
        _ => &head.headers,
    };
    let Some(status) = carrier.get("grpc-status") else {
        return Ok(Answered::Status("no grpc-status".to_owned()));
    };
    if status != "0" {
        let message = carrier
            .get("grpc-message")
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
            .unwrap_or_default();
        return Ok(Answered::Status(format!(
            "grpc-status {} {message:?}",
            String::from_utf8_lossy(status.as_bytes())
        )));
    }
    Ok(Answered::Ok {
        right: buf[..] == call.expected[..],
    })
}

/// What a wrong answer was: its message when it is a `HelloReply`.
fn describe(framed: &[u8]) -> String {
    use prost::Message as _;
    let reply = framed
        .get(5..)
        .filter(|_| framed.len() >= 5 && framed[0] == 0)
        .and_then(|m| HelloReply::decode(m).ok());
    match reply {
        Some(reply) => format!(
            "SayHello answered {:?}, expected {GREETING:?}",
            reply.message
        ),
        None => format!(
            "SayHello answered {} bytes that are no HelloReply: {:?}",
            framed.len(),
            String::from_utf8_lossy(&framed[..framed.len().min(120)])
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How the test server answers every call.
    #[derive(Clone, Copy)]
    enum Answer {
        /// The message framed, then `grpc-status` in the trailers.
        Message(&'static str, &'static str),
        /// Headers only, `grpc-status` among them.
        StatusOnly(&'static str),
    }

    /// An h2c server on loopback answering every stream with `answer`.
    fn serve(answer: Answer) -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    let (tcp, _) = listener.accept().await.unwrap();
                    tokio::spawn(async move {
                        let mut conn = h2::server::handshake(tcp).await.unwrap();
                        while let Some(Ok((request, mut respond))) = conn.accept().await {
                            let mut body = request.into_body();
                            while let Some(Ok(_)) = body.data().await {}
                            let head = http::Response::builder()
                                .header("content-type", "application/grpc");
                            match answer {
                                Answer::Message(message, status) => {
                                    let head = head.body(()).unwrap();
                                    let mut send = respond.send_response(head, false).unwrap();
                                    let reply = HelloReply {
                                        message: message.to_owned(),
                                    };
                                    send.send_data(helloworld::frame(&reply).into(), false)
                                        .unwrap();
                                    let mut trailers = HeaderMap::new();
                                    trailers.insert("grpc-status", status.parse().unwrap());
                                    send.send_trailers(trailers).unwrap();
                                }
                                Answer::StatusOnly(status) => {
                                    let head = head.header("grpc-status", status);
                                    let head = head.header("grpc-message", "no such greeting");
                                    respond.send_response(head.body(()).unwrap(), true).unwrap();
                                }
                            }
                        }
                    });
                }
            });
        });
        addr
    }

    fn load() -> Load {
        Load {
            concurrency: 4,
            connections: 2,
            seconds: 1,
        }
    }

    #[test]
    fn the_greeting_with_status_ok_is_right() {
        let addr = serve(Answer::Message(GREETING, "0"));
        assert_eq!(probe(addr, "greeter"), Ok(()));
        let outcome = run(addr, "greeter", load()).unwrap();
        assert!(outcome.run.requests > 0, "{outcome:?}");
        assert_eq!(outcome.sample.checked, outcome.run.requests);
        assert_eq!(
            (outcome.run.status_errors, outcome.run.socket_errors),
            (0, 0)
        );
        assert_eq!(outcome.sample.wrong, 0);
        assert!(outcome.run.p50_us <= outcome.run.p99_us, "{outcome:?}");
    }

    #[test]
    fn another_message_is_a_wrong_answer() {
        let addr = serve(Answer::Message("hello, you", "0"));
        assert!(probe(addr, "greeter").is_err_and(|e| e.contains("\"hello, you\"")));
        let outcome = run(addr, "greeter", load()).unwrap();
        assert!(outcome.sample.wrong > 0, "{outcome:?}");
        assert_eq!(outcome.sample.wrong, outcome.sample.checked);
        assert!(
            outcome
                .sample
                .first_wrong
                .is_some_and(|w| w.contains("hello, you"))
        );
    }

    #[test]
    fn a_status_other_than_ok_is_an_error_in_trailers_or_headers() {
        let addr = serve(Answer::Message(GREETING, "13"));
        assert!(probe(addr, "greeter").is_err_and(|e| e.contains("grpc-status 13")));
        let addr = serve(Answer::StatusOnly("5"));
        assert_eq!(
            probe(addr, "greeter"),
            Err("grpc-status 5 \"no such greeting\"".to_owned())
        );
        let outcome = run(addr, "greeter", load()).unwrap();
        assert!(outcome.run.status_errors > 0, "{outcome:?}");
        assert_eq!(outcome.run.status_errors, outcome.run.requests);
        assert_eq!(outcome.sample.checked, 0);
        assert!(
            outcome
                .first_error
                .is_some_and(|e| e.contains("grpc-status 5"))
        );
    }

    #[test]
    fn no_server_is_an_error_before_the_run() {
        let addr = crate::process::free_addr().unwrap();
        assert!(run(addr, "greeter", load()).is_err_and(|e| e.contains("cannot connect")));
    }

    #[test]
    fn wrong_answers_are_told() {
        let framed = helloworld::frame(&HelloReply {
            message: "hello, you".to_owned(),
        });
        assert_eq!(
            describe(&framed),
            "SayHello answered \"hello, you\", expected \"hello, bench\""
        );
        assert!(describe(b"").contains("0 bytes that are no HelloReply"));
    }

    #[test]
    fn the_call_names_its_authority() {
        let call = Call::new("greeter").unwrap();
        let request = call.request();
        assert_eq!(
            request.uri().authority().map(|a| a.as_str()),
            Some("greeter")
        );
        assert_eq!(request.uri().path(), "/helloworld.Greeter/SayHello");
        assert_eq!(request.headers()[header::CONTENT_TYPE], "application/grpc");
        assert_eq!(&call.body[..], b"\0\0\0\0\x07\x0a\x05bench");
    }
}
