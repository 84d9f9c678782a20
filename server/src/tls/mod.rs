//! HTTPS: the TLS side of `--tls-listen`.
//!
//! [`ca`] obtains the certificate authority, [`certs`] issues a
//! certificate per server name on first use. Handshakes are offered
//! HTTP/2 and HTTP/1.1 by ALPN. A handshake that fails (garbage, no common
//! protocol version or cipher, a client that refuses the certificate) or
//! that takes longer than the handshake timeout is logged at debug and
//! counted in [`Stats`], shown by `/__admin/health`.

pub mod ca;
pub mod certs;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, server::TlsStream};

/// Handshake counts since start.
#[derive(Debug, Default)]
pub struct Stats {
    /// Handshakes completed.
    pub handshakes: AtomicU64,
    /// Handshakes failed or timed out.
    pub failed: AtomicU64,
}

/// The TLS setup shared by every HTTPS connection.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
    certs: Arc<certs::Certs>,
    /// Handshake counts.
    pub stats: Arc<Stats>,
    /// Time a client has to complete its handshake.
    pub handshake_timeout: Duration,
}

impl Tls {
    /// TLS with certificates from `certs`, offering h2 and http/1.1.
    pub fn new(certs: certs::Certs, handshake_timeout: Duration) -> Result<Tls, String> {
        let certs = Arc::new(certs);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_no_client_auth()
            .with_cert_resolver(certs.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            certs,
            stats: Arc::default(),
            handshake_timeout,
        })
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        self.certs.ca_pem()
    }

    /// What `/__admin/health` shows: `{"handshakes": n,
    /// "failedHandshakes": n, "certificates": n}` (names with a cached
    /// certificate).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "handshakes": self.stats.handshakes.load(Ordering::Relaxed),
            "failedHandshakes": self.stats.failed.load(Ordering::Relaxed),
            "certificates": self.certs.cached(),
        })
    }

    /// Completes the handshake on `stream`, within the handshake timeout;
    /// `None` (logged and counted) when it fails.
    pub async fn accept(&self, stream: TcpStream) -> Option<TlsStream<TcpStream>> {
        let remote = stream.peer_addr().ok();
        let outcome = tokio::time::timeout(self.handshake_timeout, self.acceptor.accept(stream))
            .await
            .map_err(|_| format!("no handshake within {:?}", self.handshake_timeout))
            .and_then(|r| r.map_err(|e| e.to_string()));
        match outcome {
            Ok(stream) => {
                self.stats.handshakes.fetch_add(1, Ordering::Relaxed);
                Some(stream)
            }
            Err(e) => {
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(?remote, "TLS handshake failed: {e}");
                None
            }
        }
    }
}
