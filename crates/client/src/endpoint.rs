//! Where a gateway listens, and the byte stream to it.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

/// The address of a gateway: a TCP host and port, or a Unix socket path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A TCP listener (`127.0.0.1:25333` by default, as Py4J).
    Tcp {
        /// Host name or IP address.
        host: String,
        /// Port.
        port: u16,
    },
    /// A Unix domain socket.
    Unix(PathBuf),
}

impl Endpoint {
    /// A TCP endpoint.
    pub fn tcp(host: impl Into<String>, port: u16) -> Endpoint {
        Endpoint::Tcp {
            host: host.into(),
            port,
        }
    }

    /// A Unix socket endpoint.
    pub fn unix(path: impl Into<PathBuf>) -> Endpoint {
        Endpoint::Unix(path.into())
    }

    /// The endpoint for a Py4J-style `address` and `port`: an address that is a path (starts with
    /// `/`) or is written `unix:<path>` names a Unix socket and the port is ignored.
    pub fn from_address(address: &str, port: u16) -> Endpoint {
        if let Some(path) = address.strip_prefix("unix:") {
            Endpoint::unix(path)
        } else if address.starts_with('/') {
            Endpoint::unix(address)
        } else {
            Endpoint::tcp(address, port)
        }
    }

    /// Opens a stream to the endpoint. TCP streams get ferry's options (`ferry_sockio::tcp`).
    pub(crate) fn connect(&self, timeout: Option<Duration>) -> io::Result<Stream> {
        match self {
            Endpoint::Tcp { host, port } => {
                let mut last = None;
                for addr in (host.as_str(), *port).to_socket_addrs()? {
                    let attempt = match timeout {
                        Some(t) if !t.is_zero() => TcpStream::connect_timeout(&addr, t),
                        _ => TcpStream::connect(addr),
                    };
                    match attempt {
                        Ok(s) => {
                            ferry_sockio::tcp::prepare(&s)?;
                            return Ok(Stream::Tcp(s));
                        }
                        Err(e) => last = Some(e),
                    }
                }
                Err(last.unwrap_or_else(|| {
                    io::Error::new(io::ErrorKind::NotFound, "the host name has no address")
                }))
            }
            Endpoint::Unix(path) => UnixStream::connect(path).map(Stream::Unix),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Endpoint::Tcp { host, port } => write!(f, "{host}:{port}"),
            Endpoint::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// A connected byte stream.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    pub(crate) fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(t),
            Stream::Unix(s) => s.set_read_timeout(t),
        }
    }

    pub(crate) fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_write_timeout(t),
            Stream::Unix(s) => s.set_write_timeout(t),
        }
    }

    pub(crate) fn shutdown(&self) {
        let _ = match self {
            Stream::Tcp(s) => s.shutdown(Shutdown::Both),
            Stream::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }

    /// Asks the kernel to acknowledge the next segments at once instead of delaying the ACK.
    ///
    /// Py4J's server does not set TCP_NODELAY: when it answers several pipelined commands (or
    /// writes one large reply in pieces), Nagle's algorithm holds each later piece until the
    /// previous one is acknowledged, and a delayed ACK makes that wait about 40 ms. Quick ACKs
    /// remove the wait. The mode is not sticky, so it is asked for before each such read.
    pub(crate) fn quickack(&self) {
        #[cfg(target_os = "linux")]
        if let Stream::Tcp(s) = self {
            let _ = socket2::SockRef::from(s).set_tcp_quickack(true);
        }
    }

    /// The local TCP port (what the server sees as this connection's remote port).
    pub(crate) fn local_port(&self) -> Option<u16> {
        match self {
            Stream::Tcp(s) => s.local_addr().ok().map(|a| a.port()),
            Stream::Unix(_) => None,
        }
    }
}

impl Stream {
    fn fd(&self) -> RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
        }
    }
}

// Reads and writes skip the C library's cancellation-point wrappers (see ferry_sockio): a
// call is one of each.
impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        ferry_sockio::recv(self.fd(), buf)
    }
}

impl crate::wire::Source for Stream {
    fn read_uninit(&mut self, buf: &mut [std::mem::MaybeUninit<u8>]) -> io::Result<usize> {
        ferry_sockio::recv_uninit(self.fd(), buf)
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        ferry_sockio::send(self.fd(), buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write_vectored(bufs),
            Stream::Unix(s) => s.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_forms() {
        assert_eq!(
            Endpoint::from_address("127.0.0.1", 25333),
            Endpoint::tcp("127.0.0.1", 25333)
        );
        assert_eq!(
            Endpoint::from_address("/tmp/g.sock", 25333),
            Endpoint::unix("/tmp/g.sock")
        );
        assert_eq!(
            Endpoint::from_address("unix:rel.sock", 0),
            Endpoint::unix("rel.sock")
        );
        assert_eq!(Endpoint::tcp("::1", 1).to_string(), "[::1]:1");
        assert_eq!(Endpoint::unix("/a").to_string(), "unix:/a");
    }

    #[test]
    fn a_loopback_stream_gets_ferry_s_tcp_options() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let Stream::Tcp(s) = Endpoint::tcp("127.0.0.1", port).connect(None).unwrap() else {
            panic!("a TCP endpoint gives a TCP stream");
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
