//! The gRPC baseline of `fake-servicer-bench`: a bare tonic server
//! answering `helloworld.Greeter/SayHello` with `hello, <name>`, as the
//! `greeter` plugin does. tonic's own server and router
//! (`Server::builder().add_service(…)`, its defaults: `TCP_NODELAY`,
//! HTTP/2 only), on tokio's multi-threaded default runtime; the service
//! is written as tonic-build writes it (a tower `Service` matching the
//! path, `tonic::server::Grpc` with the prost codec, the handler's future
//! boxed), with the messages of `src/helloworld.rs`.

#[path = "../helloworld.rs"]
#[allow(dead_code)]
mod helloworld;

use helloworld::{HelloReply, HelloRequest, SAY_HELLO};
use std::{
    convert::Infallible,
    net::SocketAddr,
    process::ExitCode,
    task::{Context, Poll},
};
use tonic::{
    Code, Request, Response, Status,
    body::Body,
    codegen::{BoxFuture, Service, http},
    server::{Grpc, NamedService, UnaryService},
    transport::Server,
};
use tonic_prost::ProstCodec;

/// `helloworld.Greeter`.
#[derive(Clone, Copy)]
struct Greeter;

impl NamedService for Greeter {
    const NAME: &'static str = "helloworld.Greeter";
}

/// `SayHello`: `hello, <name>`.
struct SayHello;

impl UnaryService<HelloRequest> for SayHello {
    type Response = HelloReply;
    type Future = BoxFuture<Response<HelloReply>, Status>;

    fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
        Box::pin(async move {
            let message = format!("hello, {}", request.into_inner().name);
            Ok(Response::new(HelloReply { message }))
        })
    }
}

impl Service<http::Request<Body>> for Greeter {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        if req.uri().path() == SAY_HELLO {
            Box::pin(async move {
                let mut grpc = Grpc::new(ProstCodec::<HelloReply, HelloRequest>::default());
                Ok(grpc.unary(SayHello, req).await)
            })
        } else {
            Box::pin(async move { Ok(Status::new(Code::Unimplemented, "").into_http()) })
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let listen = std::env::args()
        .skip_while(|a| a != "--listen")
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:50051".to_owned());
    let addr: SocketAddr = match listen.parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bare-tonic: --listen {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match Server::builder().add_service(Greeter).serve(addr).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bare-tonic: cannot serve on {listen}: {e}");
            ExitCode::FAILURE
        }
    }
}
