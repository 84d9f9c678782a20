//! The baseline of `fake-servicer-bench`: a bare axum server answering
//! `GET /ping` with the same bytes as the example plugin's `/ping` route
//! (`200`, `content-type: text/plain; charset=utf-8`, `pong`), on the same
//! runtime (tokio's multi-threaded default) and with `TCP_NODELAY` as
//! fake-servicer sets it.

use axum::{Router, routing::get, serve::ListenerExt};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let listen = std::env::args()
        .skip_while(|a| a != "--listen")
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".to_owned());
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bare-axum: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = Router::new().route("/ping", get(|| async { "pong" }));
    match axum::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bare-axum: {e}");
            ExitCode::FAILURE
        }
    }
}
