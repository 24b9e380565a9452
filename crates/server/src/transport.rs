//! Sockets the server accepts: TCP or Unix domain, behind one type.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::time::Duration;

/// An accepted connection.
#[derive(Debug)]
pub enum Conn {
    /// TCP.
    Tcp(TcpStream),
    /// Unix domain socket.
    Unix(UnixStream),
}

impl Conn {
    /// Another handle on the same socket (to shut it down from another thread).
    pub fn try_clone(&self) -> io::Result<Conn> {
        Ok(match self {
            Conn::Tcp(s) => Conn::Tcp(s.try_clone()?),
            Conn::Unix(s) => Conn::Unix(s.try_clone()?),
        })
    }

    /// Shuts both directions down; a thread blocked reading it wakes up with EOF.
    pub fn shutdown(&self) {
        let _ = match self {
            Conn::Tcp(s) => s.shutdown(Shutdown::Both),
            Conn::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }

    /// Closes with a reset (SO_LINGER 0), as Py4J does after a failed authentication.
    pub fn reset(&self) {
        if let Conn::Tcp(s) = self {
            let linger = libc::linger {
                l_onoff: 1,
                l_linger: 0,
            };
            // SAFETY: setsockopt on a live socket fd with a correctly sized linger struct.
            unsafe {
                libc::setsockopt(
                    s.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    (&linger as *const libc::linger).cast(),
                    std::mem::size_of::<libc::linger>() as libc::socklen_t,
                );
            }
        }
        self.shutdown();
    }

    /// Sets the read timeout (None blocks).
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Conn::Tcp(s) => s.set_read_timeout(t),
            Conn::Unix(s) => s.set_read_timeout(t),
        }
    }

    /// The peer's address, for TCP.
    pub fn peer(&self) -> Option<SocketAddr> {
        match self {
            Conn::Tcp(s) => s.peer_addr().ok(),
            Conn::Unix(_) => None,
        }
    }
}

impl Conn {
    fn fd(&self) -> RawFd {
        match self {
            Conn::Tcp(s) => s.as_raw_fd(),
            Conn::Unix(s) => s.as_raw_fd(),
        }
    }
}

// Reads and writes skip the C library's cancellation-point wrappers (see ferry_sockio): a
// call is one of each.
impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        ferry_sockio::recv(self.fd(), buf)
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        ferry_sockio::send(self.fd(), buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write_vectored(bufs),
            Conn::Unix(s) => s.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A listening socket.
#[derive(Debug)]
pub enum Listener {
    /// TCP.
    Tcp(TcpListener),
    /// Unix domain socket (its path is removed when the server stops).
    Unix(UnixListener),
}

impl Listener {
    /// Binds a Unix socket at `path`, replacing a stale socket file left there.
    pub fn bind_unix(path: &Path) -> io::Result<Listener> {
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            use std::os::unix::fs::FileTypeExt;
            if meta.file_type().is_socket() && UnixStream::connect(path).is_err() {
                std::fs::remove_file(path)?;
            }
        }
        Ok(Listener::Unix(UnixListener::bind(path)?))
    }

    /// Accepts one connection; a TCP one gets ferry's options (`ferry_sockio::tcp`).
    pub fn accept(&self) -> io::Result<Conn> {
        match self {
            Listener::Tcp(l) => {
                let (s, _) = l.accept()?;
                ferry_sockio::tcp::prepare(&s)?;
                Ok(Conn::Tcp(s))
            }
            Listener::Unix(l) => Ok(Conn::Unix(l.accept()?.0)),
        }
    }

    /// The raw fd (to wake a blocked accept at shutdown).
    pub fn raw_fd(&self) -> RawFd {
        match self {
            Listener::Tcp(l) => l.as_raw_fd(),
            Listener::Unix(l) => l.as_raw_fd(),
        }
    }

    /// Wakes a thread blocked in `accept` (it then gets an error and stops).
    pub fn wake(&self) {
        // SAFETY: shutdown(2) on a live listening fd; it only changes the socket's state.
        unsafe { libc::shutdown(self.raw_fd(), libc::SHUT_RDWR) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accepted_loopback_connection_gets_ferry_s_tcp_options() {
        let listener = Listener::Tcp(TcpListener::bind("127.0.0.1:0").unwrap());
        let Listener::Tcp(l) = &listener else {
            unreachable!()
        };
        let _client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let Conn::Tcp(s) = listener.accept().unwrap() else {
            panic!("a TCP listener gives a TCP connection");
        };
        assert!(s.nodelay().unwrap());
        if !ferry_sockio::tcp::keep_congestion() {
            assert_eq!(
                ferry_sockio::tcp::congestion(&s).unwrap(),
                ferry_sockio::tcp::LOOPBACK_CONGESTION
            );
        }
    }
}
