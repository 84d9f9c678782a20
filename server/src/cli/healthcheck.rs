//! `fake-servicer healthcheck` (or `--healthcheck`): asks the server listening at `--listen`
//! on this host whether it is healthy (for Docker's HEALTHCHECK, in images
//! that have no curl).

use std::{net::SocketAddr, time::Duration};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `GET /__admin/health` on the loopback port of `listen`; Ok when it
/// answers 200.
pub async fn check(listen: &str) -> Result<(), String> {
    let port: u16 = listen
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("cannot tell the port of --listen {listen:?}"))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let exchange = async {
        let mut s = tokio::net::TcpStream::connect(addr).await?;
        s.write_all(b"GET /__admin/health HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await?;
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .map_err(|_| format!("{addr}: no answer within 5 s"))?
        .map_err(|e| format!("{addr}: {e}"))?;
    let status_line = String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned();
    if status_line.starts_with("HTTP/1.") && status_line.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        Err(format!("{addr}: /__admin/health answered {status_line:?}"))
    }
}
