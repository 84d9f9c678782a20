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
//!
//! A [`FaultIo`] also reports the answer bytes it writes to the
//! connection's [`Ledger`] (see [`crate::unsent`]), and on HTTP/1 looks at
//! request heads for a `Content-Length` hyper cannot take ([`HeadScan`]).

use crate::{
    fault::Fault,
    unsent::{DataFrames, Ledger},
};
use bytes::Bytes;
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
    /// The socket, for the handler watchdog (see [`crate::runner`]);
    /// `None` on HTTP/1 over TLS, where a call past the timeout is better
    /// answered 504 by the pool than cut off.
    pub socket: Option<Socket>,
    /// Whether the connection is TLS.
    pub secure: bool,
    /// The connection's slot among `--max-connections`, which a parked
    /// wait gives back while it sleeps; `None` on HTTP/2 (whose streams
    /// share the connection).
    pub slot: Option<Arc<ConnSlot>>,
    /// Where a plan's answer charges its bytes until they are sent
    /// (`--max-unsent-bytes`); `None` where the caller charges the answer
    /// itself (the admin API's requests, see [`crate::serve`]).
    pub unsent: Option<Arc<Ledger>>,
}

/// A connection's socket as the handler watchdog reaches it, to end a call
/// still running after `--handler-timeout`.
#[derive(Clone, Debug)]
pub enum Socket {
    /// Plain HTTP/1: each request is served inside the connection's own
    /// task, so the descriptor outlives it; the watchdog writes the 504
    /// itself, then shuts the socket.
    Http1(std::os::fd::RawFd),
    /// HTTP/2 (plain or TLS): a stream is a task of its own that may
    /// outlive the connection's, so the socket is held open by a duplicate
    /// that every stream's `Conn` shares; the watchdog can only shut it (a
    /// gRPC client sees `UNAVAILABLE`).
    Shared(Arc<std::os::fd::OwnedFd>),
}

impl Socket {
    /// The descriptor, valid while this value is.
    pub fn fd(&self) -> std::os::fd::RawFd {
        match self {
            Socket::Http1(fd) => *fd,
            Socket::Shared(fd) => std::os::fd::AsRawFd::as_raw_fd(&**fd),
        }
    }

    /// Whether raw HTTP/1 bytes may be written on it.
    pub fn speaks_http1(&self) -> bool {
        matches!(self, Socket::Http1(_))
    }
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

/// A stream that replaces its output by a fault once armed, and counts
/// the answer bytes it writes.
pub struct FaultIo<S = TcpStream> {
    inner: S,
    slot: Arc<FaultSlot>,
    /// Bytes still to send before closing, once a fault has started.
    garbage: Option<(Vec<u8>, usize)>,
    /// Where the bytes written are reported.
    ledger: Arc<Ledger>,
    wire: Wire,
    /// An answer written in place of hyper's, and how much of it is sent.
    replacing: Option<(Bytes, usize)>,
}

/// What a connection speaks, as far as its bytes are watched.
pub enum Wire {
    /// HTTP/1: every byte written counts; request heads are looked at.
    H1(HeadScan),
    /// HTTP/2: the payload of DATA frames counts.
    H2(DataFrames),
}

impl Wire {
    /// HTTP/1, whose request heads are at most `max_head` bytes;
    /// `too_large` is the whole answer (413) to a `Content-Length` hyper
    /// reserves.
    pub fn h1(max_head: usize, too_large: Bytes) -> Wire {
        Wire::H1(HeadScan {
            too_large,
            max_head,
            left: max_head,
            tail: [0; TAIL],
            tail_len: 0,
            overflow: false,
        })
    }

    /// HTTP/2.
    pub fn h2() -> Wire {
        Wire::H2(DataFrames::default())
    }
}

/// How many bytes of one read are kept to find a value split across reads.
const TAIL: usize = 48;

/// Looks at HTTP/1 request heads for a `Content-Length` of 2⁶⁴−2 or
/// 2⁶⁴−1. hyper reserves those two values and answers them itself, with a
/// 431 as if the head were too large; that answer is replaced by a 413
/// (the body is over `--max-body-bytes`). Only the first `--max-header-bytes`
/// read after each answer is looked at (a head is never longer), so request
/// bodies mostly are not.
pub struct HeadScan {
    too_large: Bytes,
    max_head: usize,
    /// Bytes still to look at before the next answer.
    left: usize,
    /// The last bytes looked at, for a value split across reads.
    tail: [u8; TAIL],
    tail_len: usize,
    /// A head with such a length was read.
    overflow: bool,
}

/// The digits of 2⁶⁴−2 and 2⁶⁴−1 but the last.
const RESERVED_LENGTH: &[u8] = b"1844674407370955161";

impl HeadScan {
    /// Looks at bytes just read.
    fn look(&mut self, read: &[u8]) {
        let read = &read[..read.len().min(self.left)];
        if read.is_empty() {
            return;
        }
        self.left -= read.len();
        if self.overflow {
            return;
        }
        self.overflow = reserved_length(read);
        if self.tail_len == 0 && read.ends_with(b"\r\n\r\n") {
            // A whole head (the usual read): nothing to carry over.
            return;
        }
        // The previous read's end and this one's start.
        let mut joint = [0u8; 2 * TAIL];
        let (kept, start) = (self.tail_len, read.len().min(TAIL));
        joint[..kept].copy_from_slice(&self.tail[..kept]);
        joint[kept..kept + start].copy_from_slice(&read[..start]);
        self.overflow |= kept > 0 && reserved_length(&joint[..kept + start]);
        if read.ends_with(b"\r\n\r\n") {
            // No value goes on past the end of a head.
            self.tail_len = 0;
        } else if read.len() >= TAIL {
            self.tail.copy_from_slice(&read[read.len() - TAIL..]);
            self.tail_len = TAIL;
        } else {
            let all = &joint[..kept + start];
            let last = &all[all.len().saturating_sub(TAIL)..];
            self.tail[..last.len()].copy_from_slice(last);
            self.tail_len = last.len();
        }
    }

    /// An answer is being written: what is read next may be a new head.
    /// Whether its `head()` is hyper's own 431 to a reserved length, to
    /// replace.
    fn answering<'b>(&mut self, head: impl FnOnce() -> &'b [u8]) -> bool {
        self.left = self.max_head;
        if !self.overflow {
            return false;
        }
        let head = head();
        let replace = head.len() >= 13 && head.starts_with(b"HTTP/1.") && &head[8..13] == b" 431 ";
        if replace {
            self.overflow = false;
        }
        replace
    }
}

/// Whether `bytes` hold a `Content-Length` line whose value is 2⁶⁴−2 or
/// 2⁶⁴−1 (leading zeros allowed). The value must end inside `bytes` (a
/// value cut short is looked at again with the next read); what lies
/// before `bytes` is taken to fit.
fn reserved_length(bytes: &[u8]) -> bool {
    static DIGITS: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(RESERVED_LENGTH));
    const NAME: &[u8] = b"content-length";
    // The usual head holds no such digits: one search says so.
    let Some(first) = DIGITS.find(bytes) else {
        return false;
    };
    DIGITS
        .find_iter(&bytes[first..])
        .map(|at| first + at)
        .any(|at| {
            let end = at + RESERVED_LENGTH.len();
            let (Some(last), Some(after)) = (bytes.get(end), bytes.get(end + 1)) else {
                return false;
            };
            if !matches!(last, b'4' | b'5') || after.is_ascii_digit() {
                return false;
            }
            // Back over leading zeros and spaces to the colon and the name.
            let mut i = at;
            while i > 0 && matches!(bytes[i - 1], b'0' | b' ' | b'\t') {
                i -= 1;
            }
            if i == 0 {
                return true;
            }
            if bytes[i - 1] != b':' {
                return false;
            }
            i -= 1;
            if i < NAME.len() {
                return true;
            }
            bytes[i - NAME.len()..i].eq_ignore_ascii_case(NAME)
                && (i == NAME.len() || bytes[i - NAME.len() - 1] == b'\n')
        })
}

const MALFORMED_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
/// The garbage of `MALFORMED_RESPONSE_CHUNK` (HTTP/1).
const MALFORMED_CHUNK: &[u8] = b"lskdu018973t09sylgasjkfg1][]'./.sdlv";

fn fault_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "fault injected")
}

impl<S: Resettable> FaultIo<S> {
    /// Wraps an accepted stream; `slot` arms its faults; the answer bytes
    /// written are reported to `ledger`, as `wire` counts them.
    pub fn new(inner: S, slot: Arc<FaultSlot>, ledger: Arc<Ledger>, wire: Wire) -> FaultIo<S> {
        FaultIo {
            inner,
            slot,
            garbage: None,
            ledger,
            wire,
            replacing: None,
        }
    }

    /// Reports the first `n` bytes of `bufs`, just written to the socket.
    fn count(&mut self, bufs: &[&[u8]], n: usize) {
        let n = match &mut self.wire {
            Wire::H1(_) => n,
            Wire::H2(frames) => {
                let (mut left, mut data) = (n, 0);
                for b in bufs {
                    let part = left.min(b.len());
                    data += frames.feed(&b[..part]);
                    left -= part;
                    if left == 0 {
                        break;
                    }
                }
                data
            }
        };
        self.ledger.written(n);
    }

    /// On HTTP/1, before a write whose first non-empty part is `head()`:
    /// starts replacing hyper's answer when it is the 431 to a reserved
    /// length.
    fn before_write<'b>(&mut self, head: impl FnOnce() -> &'b [u8]) {
        if let Wire::H1(scan) = &mut self.wire
            && scan.answering(head)
            && self.replacing.is_none()
        {
            self.replacing = Some((scan.too_large.clone(), 0));
        }
    }

    /// Writes the replacing answer; `Ready(Ok(asked))` once it is all
    /// sent, as if hyper's `asked` bytes had been.
    fn poll_replace(&mut self, cx: &mut Context<'_>, asked: usize) -> Poll<io::Result<usize>> {
        if let Some((answer, sent)) = &mut self.replacing {
            while *sent < answer.len() {
                match Pin::new(&mut self.inner).poll_write(cx, &answer[*sent..]) {
                    Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                    Poll::Ready(Ok(n)) => *sent += n,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
        }
        self.replacing = None;
        Poll::Ready(Ok(asked))
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
        let this = &mut *self;
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let (Poll::Ready(Ok(())), Wire::H1(scan)) = (&polled, &mut this.wire) {
            scan.look(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: Resettable> AsyncWrite for FaultIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if let Some(fault) = this.slot.armed() {
            return this.poll_fault(cx, fault);
        }
        this.before_write(|| buf);
        if this.replacing.is_some() {
            return this.poll_replace(cx, buf.len());
        }
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            this.count(&[buf], n);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if let Some(fault) = this.slot.armed() {
            return this.poll_fault(cx, fault);
        }
        this.before_write(|| {
            bufs.iter()
                .find(|b| !b.is_empty())
                .map_or(&[][..], |b| &b[..])
        });
        if this.replacing.is_some() {
            return this.poll_replace(cx, bufs.iter().map(|b| b.len()).sum());
        }
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = polled {
            if let Wire::H1(_) = this.wire {
                this.ledger.written(n);
            } else {
                let parts: smallvec::SmallVec<[&[u8]; 8]> = bufs.iter().map(|b| &b[..]).collect();
                this.count(&parts, n);
            }
        }
        polled
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

    #[test]
    fn a_reserved_content_length_is_found_in_a_head_and_nothing_else_is() {
        for head in [
            &b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551614\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\ncontent-length:0018446744073709551615\r\n\r\n",
            b"POST / HTTP/1.1\r\nCONTENT-LENGTH: \t18446744073709551615\r\n\r\n",
        ] {
            assert!(reserved_length(head), "{}", String::from_utf8_lossy(head));
        }
        for head in [
            &b"POST / HTTP/1.1\r\nContent-Length: 18446744073709551613\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nContent-Length: 118446744073709551614\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 184467440737095516140\r\n\r\n",
            b"POST / HTTP/1.1\r\nX-Content-Length: 18446744073709551614\r\n\r\n",
            b"POST / HTTP/1.1\r\nX-Id: 18446744073709551614\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 18446744073709551614",
        ] {
            assert!(!reserved_length(head), "{}", String::from_utf8_lossy(head));
        }
    }

    #[test]
    fn a_reserved_content_length_split_across_reads_is_found() {
        let head =
            b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551615\r\n\r\n";
        for split in 1..head.len() {
            let Wire::H1(mut scan) = Wire::h1(8192, Bytes::new()) else {
                panic!("an HTTP/1 wire");
            };
            for part in head.chunks(split) {
                scan.look(part);
            }
            assert!(scan.overflow, "read {split} bytes at a time");
            assert!(scan.answering(|| b"HTTP/1.1 431 Request Header Fields Too Large\r\n"));
            assert!(!scan.overflow, "replaced once");
        }
    }

    #[test]
    fn only_hyper_s_431_is_replaced_and_only_after_such_a_head() {
        let Wire::H1(mut scan) = Wire::h1(8192, Bytes::new()) else {
            panic!("an HTTP/1 wire");
        };
        scan.look(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(!scan.answering(|| b"HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        scan.look(b"GET / HTTP/1.1\r\nContent-Length: 18446744073709551614\r\n\r\n");
        assert!(!scan.answering(|| b"HTTP/1.1 400 Bad Request\r\n"));
        assert!(scan.answering(|| b"HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    }
}
