//! Connections that can be made to fail on purpose.
//!
//! Each accepted TCP stream is wrapped in a [`FaultIo`] whose [`FaultSlot`]
//! travels with every request of that connection. A response plan with a
//! fault arms the slot; the next write hyper attempts is then replaced by the
//! fault: nothing (EMPTY_RESPONSE), an RST (CONNECTION_RESET_BY_PEER),
//! garbage (RANDOM_DATA_THEN_CLOSE) or a status line followed by garbage
//! (MALFORMED_RESPONSE_CHUNK), after which the connection is closed.

use crate::fault::Fault;
use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU8, Ordering},
    },
    task::{Context, Poll},
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The fault armed on one connection (0: none).
#[derive(Default, Debug)]
pub struct FaultSlot(AtomicU8);

impl FaultSlot {
    /// Arms `fault` for the next write on this connection.
    pub fn arm(&self, fault: Fault) {
        self.0.store(fault.code(), Ordering::SeqCst);
    }

    fn armed(&self) -> Option<Fault> {
        Fault::from_code(self.0.load(Ordering::SeqCst))
    }
}

/// Per-connection data handed to every request (`ConnectInfo<Conn>`).
#[derive(Clone, Debug)]
pub struct Conn {
    pub remote: SocketAddr,
    pub fault: Arc<FaultSlot>,
    /// The socket, for the handler watchdog's 504 (see [`crate::runner`]).
    pub fd: std::os::fd::RawFd,
}

/// A TCP stream that replaces its output by a fault once armed.
pub struct FaultIo {
    inner: TcpStream,
    slot: Arc<FaultSlot>,
    /// Bytes still to send before closing, once a fault has started.
    garbage: Option<(Vec<u8>, usize)>,
}

const MALFORMED_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
const MALFORMED_CHUNK: &[u8] = b"lskdu018973t09sylgasjkfg1][]'./.sdlv";

fn fault_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "fault injected")
}

impl FaultIo {
    /// Wraps an accepted stream; `slot` arms its faults.
    pub fn new(inner: TcpStream, slot: Arc<FaultSlot>) -> FaultIo {
        FaultIo {
            inner,
            slot,
            garbage: None,
        }
    }

    /// Acts out the armed fault; `Ready(Err)` makes hyper drop the
    /// connection, which closes (or, with zero linger, resets) it.
    fn poll_fault(&mut self, cx: &mut Context<'_>, fault: Fault) -> Poll<io::Result<usize>> {
        if self.garbage.is_none() {
            let bytes = match fault {
                Fault::ConnectionResetByPeer => {
                    let _ = self.inner.set_zero_linger();
                    return Poll::Ready(Err(fault_error()));
                }
                Fault::EmptyResponse => return Poll::Ready(Err(fault_error())),
                Fault::MalformedResponseChunk => [MALFORMED_HEAD, MALFORMED_CHUNK].concat(),
                Fault::RandomDataThenClose => {
                    let mut b = vec![0u8; 256];
                    rand::fill(&mut b[..]);
                    b
                }
            };
            self.garbage = Some((bytes, 0));
        }
        if let Some((bytes, sent)) = &mut self.garbage {
            while *sent < bytes.len() {
                match Pin::new(&mut self.inner).poll_write(cx, &bytes[*sent..]) {
                    Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => break,
                    Poll::Ready(Ok(n)) => *sent += n,
                    Poll::Pending => return Poll::Pending,
                }
            }
        }
        Poll::Ready(Err(fault_error()))
    }
}

impl AsyncRead for FaultIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.slot.armed() {
            Some(fault) => self.poll_fault(cx, fault),
            None => Pin::new(&mut self.inner).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.slot.armed() {
            Some(fault) => self.poll_fault(cx, fault),
            None => Pin::new(&mut self.inner).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
