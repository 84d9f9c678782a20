//! Connections that can be made to fail on purpose.
//!
//! Each accepted TCP stream is wrapped in a [`FaultIo`] whose [`FaultSlot`]
//! travels with every request of that connection. A response plan with a
//! fault arms the slot; the next write hyper attempts is then replaced by the
//! fault: nothing (EMPTY_RESPONSE), an RST (CONNECTION_RESET_BY_PEER),
//! garbage (RANDOM_DATA_THEN_CLOSE) or a status line followed by garbage
//! (MALFORMED_RESPONSE_CHUNK), after which the connection is closed.
//! Over TLS the garbage is sent inside the TLS stream. On HTTP/2 a fault
//! acts on its own stream only (see [`crate::serve`]).

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
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The fault armed on one connection (0: none).
#[derive(Default, Debug)]
pub struct FaultSlot(AtomicU8);

impl FaultSlot {
    /// Arms `fault` for the next write on this connection.
    pub fn arm(&self, fault: Fault) {
        self.0.store(fault.code(), Ordering::SeqCst);
    }

    /// The fault armed, if any.
    pub fn armed(&self) -> Option<Fault> {
        Fault::from_code(self.0.load(Ordering::SeqCst))
    }
}

/// Per-connection data handed to every request (`ConnectInfo<Conn>`).
#[derive(Clone, Debug)]
pub struct Conn {
    pub remote: SocketAddr,
    pub fault: Arc<FaultSlot>,
    /// The socket, for the handler watchdog's 504 (see [`crate::runner`]);
    /// `None` where raw HTTP/1 bytes would not do (TLS, HTTP/2).
    pub fd: Option<std::os::fd::RawFd>,
    /// Whether the connection is TLS.
    pub secure: bool,
    /// The connection's slot among `--max-connections`, which a parked
    /// wait gives back while it sleeps; `None` on HTTP/2 (whose streams
    /// share the connection).
    pub slot: Option<Arc<ConnSlot>>,
}

/// The slot (one of `--max-connections`) an HTTP/1 connection holds. A
/// wait parked on the connection (`POST /__admin/requests/wait`, counted
/// against `--max-waiters` instead) gives it back for as long as it
/// sleeps, so that waits never keep plain requests out.
#[derive(Debug)]
pub struct ConnSlot {
    /// Held while the connection counts against the cap.
    permit: std::sync::Mutex<Option<OwnedSemaphorePermit>>,
    /// Every connection's slots.
    slots: Arc<Semaphore>,
}

impl ConnSlot {
    /// A connection holding `permit`, one of `slots`.
    pub fn new(permit: OwnedSemaphorePermit, slots: Arc<Semaphore>) -> Arc<ConnSlot> {
        Arc::new(ConnSlot {
            permit: std::sync::Mutex::new(Some(permit)),
            slots,
        })
    }

    /// Whether the connection holds its slot.
    #[cfg(test)]
    pub fn held(&self) -> bool {
        crate::sync::lock(&self.permit).is_some()
    }

    /// Gives the slot back until [`Parked::resume`]: another connection
    /// may be accepted meanwhile.
    pub fn park(self: &Arc<Self>) -> Parked {
        self.release();
        Parked(self.clone())
    }

    /// Gives the slot back for good (the connection has ended).
    pub fn release(&self) {
        let permit = crate::sync::lock(&self.permit).take();
        drop(permit);
    }
}

/// A connection whose slot is given back while a wait sleeps on it.
/// Dropped without [`Parked::resume`] (the client went away), the
/// connection stays out of the count: it is ending.
#[derive(Debug)]
pub struct Parked(Arc<ConnSlot>);

impl Parked {
    /// Takes a slot again; `false` when none is free, and the connection
    /// must then close after its answer (`Connection: close`).
    #[must_use]
    pub fn resume(self) -> bool {
        match self.0.slots.clone().try_acquire_owned() {
            Ok(permit) => {
                *crate::sync::lock(&self.0.permit) = Some(permit);
                true
            }
            Err(_) => false,
        }
    }
}

/// A stream a fault can reset.
pub trait Resettable: AsyncRead + AsyncWrite + Unpin {
    /// Makes closing the stream send an RST.
    fn set_zero_linger(&self) -> io::Result<()>;
}

impl Resettable for TcpStream {
    fn set_zero_linger(&self) -> io::Result<()> {
        TcpStream::set_zero_linger(self)
    }
}

impl Resettable for tokio_rustls::server::TlsStream<TcpStream> {
    fn set_zero_linger(&self) -> io::Result<()> {
        self.get_ref().0.set_zero_linger()
    }
}

/// A stream that replaces its output by a fault once armed.
pub struct FaultIo<S = TcpStream> {
    inner: S,
    slot: Arc<FaultSlot>,
    /// Bytes still to send before closing, once a fault has started.
    garbage: Option<(Vec<u8>, usize)>,
}

const MALFORMED_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
/// The garbage of `MALFORMED_RESPONSE_CHUNK`.
pub const MALFORMED_CHUNK: &[u8] = b"lskdu018973t09sylgasjkfg1][]'./.sdlv";

fn fault_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "fault injected")
}

impl<S: Resettable> FaultIo<S> {
    /// Wraps an accepted stream; `slot` arms its faults.
    pub fn new(inner: S, slot: Arc<FaultSlot>) -> FaultIo<S> {
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

impl<S: Resettable> AsyncRead for FaultIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: Resettable> AsyncWrite for FaultIo<S> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parked_connections_slot_serves_another_and_is_taken_back_when_free() {
        let slots = Arc::new(Semaphore::new(1));
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            panic!("a free slot");
        };
        let conn = ConnSlot::new(permit, slots.clone());
        let parked = conn.park();
        assert!(!conn.held());
        let other = slots.clone().try_acquire_owned();
        assert!(other.is_ok(), "the slot went to another connection");
        drop(other);
        assert!(parked.resume(), "free again: taken back");
        assert!(conn.held());
        assert!(slots.clone().try_acquire_owned().is_err());
    }

    #[test]
    fn a_parked_connection_cannot_resume_while_its_slot_is_taken() {
        let slots = Arc::new(Semaphore::new(1));
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            panic!("a free slot");
        };
        let conn = ConnSlot::new(permit, slots.clone());
        let parked = conn.park();
        let _other = slots.clone().try_acquire_owned();
        assert!(!parked.resume());
        assert!(!conn.held());
    }
}
