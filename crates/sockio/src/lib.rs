//! `send(2)` and `recv(2)` on a connected socket, made as plain system calls.
//!
//! The C library's `send` and `recv` are thread-cancellation points: in a process with more than
//! one thread, each call switches asynchronous cancellation on before the system call and off
//! after it (two atomic read-modify-writes on the thread's state). On a call that is one small
//! write and one small read per side, that is about a tenth of a microsecond per side, and
//! nothing in ferry cancels threads. Everything else about the calls is the same: errors come
//! back as `io::Error` from `errno`, and a write to a closed peer gives `EPIPE` rather than a
//! `SIGPIPE` (`MSG_NOSIGNAL`), as Rust's own sockets do.
//!
//! [`tcp`] holds the options every TCP connection of ferry's gets.

pub mod tcp;

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::RawFd;
use std::ptr;

/// Reads up to `buf.len()` bytes from the connected socket `fd`.
pub fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is writable for `buf.len()` bytes for the whole call and is not aliased
    // (a unique borrow).
    unsafe { recv_raw(fd, buf.as_mut_ptr(), buf.len()) }
}

/// Reads up to `buf.len()` bytes from the connected socket `fd` into memory that need not be
/// initialised: a large buffer made for one reply is then written once, by the kernel, instead
/// of being zeroed first. The `n` bytes returned are the first `n` of `buf`, now initialised.
pub fn recv_uninit(fd: RawFd, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
    // SAFETY: as for `recv`; the kernel only writes to the buffer, so its bytes need no
    // initial value.
    unsafe { recv_raw(fd, buf.as_mut_ptr().cast::<u8>(), buf.len()) }
}

/// # Safety
/// `buf` must be writable for `len` bytes for the whole call, with no other reference to them.
unsafe fn recv_raw(fd: RawFd, buf: *mut u8, len: usize) -> io::Result<usize> {
    // SAFETY: the caller's promise covers the buffer; the address arguments are null, which
    // recvfrom accepts for a connected socket. A bad `fd` is an error (EBADF), not undefined
    // behaviour.
    let n = unsafe {
        libc::syscall(
            libc::SYS_recvfrom,
            fd,
            buf,
            len,
            0,
            ptr::null_mut::<libc::sockaddr>(),
            ptr::null_mut::<libc::socklen_t>(),
        )
    };
    result(n)
}

/// Writes up to `buf.len()` bytes to the connected socket `fd`.
pub fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is readable for `buf.len()` bytes for the whole call; the address is null
    // with length 0, as for send(2). A bad `fd` is an error (EBADF), not undefined behaviour.
    let n = unsafe {
        libc::syscall(
            libc::SYS_sendto,
            fd,
            buf.as_ptr(),
            buf.len(),
            libc::MSG_NOSIGNAL,
            ptr::null::<libc::sockaddr>(),
            0 as libc::socklen_t,
        )
    };
    result(n)
}

fn result(n: libc::c_long) -> io::Result<usize> {
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        // Non-negative and at most the buffer's length.
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn bytes_go_both_ways_over_tcp_and_unix_sockets() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut a = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (b, _) = l.accept().unwrap();
        assert_eq!(send(b.as_raw_fd(), b"hello").unwrap(), 5);
        let mut got = [0u8; 5];
        a.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"hello");
        a.write_all(b"back").unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(recv(b.as_raw_fd(), &mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"back");

        let (u, v) = UnixStream::pair().unwrap();
        assert_eq!(send(u.as_raw_fd(), b"xy").unwrap(), 2);
        assert_eq!(recv(v.as_raw_fd(), &mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], b"xy");

        assert_eq!(send(u.as_raw_fd(), b"raw").unwrap(), 3);
        let mut spare = [MaybeUninit::<u8>::uninit(); 8];
        let n = recv_uninit(v.as_raw_fd(), &mut spare).unwrap();
        assert_eq!(n, 3);
        let got: Vec<u8> = spare[..n]
            .iter()
            // SAFETY: recv_uninit wrote its first `n` bytes.
            .map(|b| unsafe { b.assume_init() })
            .collect();
        assert_eq!(got, b"raw");
    }

    #[test]
    fn a_closed_peer_gives_end_of_stream_then_a_broken_pipe_without_a_signal() {
        let (u, v) = UnixStream::pair().unwrap();
        drop(v);
        let mut buf = [0u8; 4];
        assert_eq!(recv(u.as_raw_fd(), &mut buf).unwrap(), 0);
        let e = send(u.as_raw_fd(), b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn a_read_timeout_is_would_block_and_a_bad_descriptor_an_error() {
        let (u, _v) = UnixStream::pair().unwrap();
        u.set_read_timeout(Some(std::time::Duration::from_millis(10)))
            .unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(
            recv(u.as_raw_fd(), &mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        assert!(send(-1, b"x").is_err());
    }
}
