//! The `greeter` service: gRPC's `helloworld.Greeter`, with typed
//! handlers (`#[grpc]`, the SDK's feature `grpc`).
//!
//! - `SayHello` — `hello, <name>` (the greeting is the `x-greeting`
//!   metadata when the call sends one); `INVALID_ARGUMENT` for an empty
//!   name
//! - `SayHelloStream` — `times` replies (3 when unset, at most 100), 100 ms
//!   apart
//! - `SayHelloToAll` (client streaming) — one reply greeting every name
//! - `Chat` (bidirectional) — one reply per name, in order
//!
//! The messages come from `proto/helloworld.proto`, compiled by `build.rs`
//! (protox + prost-build, no protoc), which also writes the descriptor set
//! `service!(descriptors = …)` publishes to the server. A gRPC client
//! reaches the service with `:authority` `greeter` (e.g. grpcio's
//! `grpc.default_authority` option).

use fake_servicer::prelude::*;
use std::time::Duration;

/// The messages of `proto/helloworld.proto`, as prost-build wrote them.
pub mod helloworld {
    include!(concat!(env!("OUT_DIR"), "/helloworld.rs"));
}

use helloworld::{HelloReply, HelloRequest};

/// Replies `SayHelloStream` sends when the request leaves `times` unset.
const DEFAULT_TIMES: i32 = 3;
/// The most replies `SayHelloStream` sends.
const MAX_TIMES: i32 = 100;
/// The pause between two replies of `SayHelloStream`.
const BETWEEN: Duration = Duration::from_millis(100);

fn name_of(req: &HelloRequest) -> Result<&str, Status> {
    match req.name.as_str() {
        "" => Err(Status::invalid_argument("name is empty")),
        name => Ok(name),
    }
}

#[grpc("/helloworld.Greeter/SayHello")]
fn say_hello(req: HelloRequest, metadata: Metadata) -> Result<HelloReply, Status> {
    let greeting = metadata.get("x-greeting").unwrap_or("hello");
    Ok(HelloReply {
        message: format!("{greeting}, {}", name_of(&req)?),
    })
}

#[grpc(stream, "/helloworld.Greeter/SayHelloStream")]
fn say_hello_stream(req: HelloRequest) -> Result<Stream<HelloReply>, Status> {
    let name = name_of(&req)?;
    let times = match req.times {
        0 => DEFAULT_TIMES,
        n if n < 0 => return Err(Status::invalid_argument("times is negative")),
        n => n.min(MAX_TIMES),
    };
    let mut stream = Stream::new();
    for i in 1..=times {
        if i > 1 {
            stream = stream.delay(BETWEEN);
        }
        stream = stream.message(HelloReply {
            message: format!("hello #{i}, {name}"),
        });
    }
    Ok(stream)
}

#[grpc(client_stream, "/helloworld.Greeter/SayHelloToAll")]
fn say_hello_to_all(reqs: Vec<HelloRequest>) -> Result<HelloReply, Status> {
    let names = reqs.iter().map(name_of).collect::<Result<Vec<_>, _>>()?;
    if names.is_empty() {
        return Err(Status::invalid_argument("no name was sent"));
    }
    Ok(HelloReply {
        message: format!("hello, {}", names.join(" and ")),
    })
}

#[grpc(bidi, "/helloworld.Greeter/Chat")]
fn chat(reqs: Vec<HelloRequest>) -> Result<Stream<HelloReply>, Status> {
    let replies = reqs
        .iter()
        .map(|req| {
            name_of(req).map(|name| HelloReply {
                message: format!("hello, {name}"),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Stream::from_iter(replies))
}

fake_servicer::service!(
    name = "greeter",
    // The descriptors of proto/helloworld.proto, written by build.rs: the
    // server's reflection, health, journal and stubs know the service.
    descriptors = include_bytes!(concat!(env!("OUT_DIR"), "/greeter.bin")),
    say_hello,
    say_hello_stream,
    say_hello_to_all,
    chat
);

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &str, times: i32) -> HelloRequest {
        HelloRequest {
            name: name.to_owned(),
            times,
        }
    }

    #[test]
    fn say_hello_greets_by_name() {
        let reply = say_hello(request("Ann", 0), Metadata::default());
        assert_eq!(reply.map(|r| r.message), Ok("hello, Ann".to_owned()));
        let hi = Metadata::from_pairs([("x-greeting", "hi")]);
        let reply = say_hello(request("Bob", 0), hi);
        assert_eq!(reply.map(|r| r.message), Ok("hi, Bob".to_owned()));
    }

    #[test]
    fn an_empty_name_is_an_invalid_argument() {
        let refused = say_hello(request("", 0), Metadata::default());
        assert_eq!(refused, Err(Status::invalid_argument("name is empty")));
        let refused = say_hello_stream(request("", 2));
        assert_eq!(
            refused.map(|s| s.len()),
            Err(Status::invalid_argument("name is empty"))
        );
    }

    #[test]
    fn the_stream_sends_times_replies_100_ms_apart() {
        let stream = say_hello_stream(request("Ann", 4)).expect("a stream");
        let sent: Vec<(Duration, &str)> = stream
            .iter()
            .map(|(d, r)| (d, r.message.as_str()))
            .collect();
        assert_eq!(
            sent,
            [
                (Duration::ZERO, "hello #1, Ann"),
                (BETWEEN, "hello #2, Ann"),
                (BETWEEN, "hello #3, Ann"),
                (BETWEEN, "hello #4, Ann"),
            ]
        );
        assert_eq!(stream.end_delay(), Duration::ZERO);
    }

    #[test]
    fn every_name_sent_is_greeted_once_or_in_turn() {
        let all = say_hello_to_all(vec![request("Ann", 0), request("Bob", 0)]);
        assert_eq!(all.map(|r| r.message), Ok("hello, Ann and Bob".to_owned()));
        let none = say_hello_to_all(Vec::new()).map_err(|s| s.code);
        assert_eq!(none, Err(grpc::Code::InvalidArgument));
        let replies = chat(vec![request("Ann", 0), request("Bob", 0)]).expect("a stream");
        let said: Vec<&str> = replies.iter().map(|(_, r)| r.message.as_str()).collect();
        assert_eq!(said, ["hello, Ann", "hello, Bob"]);
    }

    #[test]
    fn times_defaults_to_3_and_stops_at_100() {
        let len = |times| say_hello_stream(request("x", times)).map(|s| s.len());
        assert_eq!(len(0), Ok(3));
        assert_eq!(len(1), Ok(1));
        assert_eq!(len(100), Ok(100));
        assert_eq!(len(1000), Ok(100));
        assert_eq!(
            len(-1).map_err(|s| s.code),
            Err(grpc::Code::InvalidArgument)
        );
    }
}
