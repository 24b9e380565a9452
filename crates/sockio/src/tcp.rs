//! The options every TCP connection of ferry's gets, on both ends.
//!
//! - `TCP_NODELAY`: a call is one small write; Nagle's algorithm would hold it for the ACK of
//!   the previous one.
//! - On a loopback connection, the congestion control `reno`. Congestion control governs how
//!   fast a sender may send into a network that can lose packets; loopback loses none and has
//!   no queue to fill, so there it only costs the work it does per ACK. Some algorithms cost far
//!   more: BBR paces its sends by a timer, which on this machine halves one loopback stream's
//!   bandwidth (2.3 GiB/s against 5.2 with `reno`, one core) and adds about 0.1 us to each way
//!   of a small round trip. `reno` is the kernel's own, always built in and, unless an
//!   administrator removed it, always in `net.ipv4.tcp_allowed_congestion_control`, so any
//!   process may choose it. Where it cannot, the system's choice stays (this is an
//!   optimisation, never an error). A connection to another host keeps the system's algorithm,
//!   which was chosen for the networks between hosts. `FERRY_KEEP_CONGESTION=1` keeps it on
//!   loopback too.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;

/// The congestion control set on loopback connections.
pub const LOOPBACK_CONGESTION: &str = "reno";

/// The environment variable that keeps the system's congestion control on loopback.
pub const KEEP_CONGESTION_ENV: &str = "FERRY_KEEP_CONGESTION";

/// Sets ferry's options on a connected TCP stream (see the module's notes). Fails only when
/// `TCP_NODELAY` cannot be set.
pub fn prepare(stream: &TcpStream) -> io::Result<()> {
    prepare_with(stream, keep_congestion())
}

fn prepare_with(stream: &TcpStream, keep_congestion: bool) -> io::Result<()> {
    stream.set_nodelay(true)?;
    if let Ok(peer) = stream.peer_addr() {
        if is_loopback(&peer) && !keep_congestion {
            // Best effort: an algorithm the process may not choose leaves the system's.
            let _ = set_congestion(stream, LOOPBACK_CONGESTION);
        }
    }
    Ok(())
}

fn is_loopback(addr: &SocketAddr) -> bool {
    match addr {
        SocketAddr::V4(a) => a.ip().is_loopback(),
        // An IPv4 peer on a dual-stack socket shows as ::ffff:127.x.y.z.
        SocketAddr::V6(a) => {
            a.ip().is_loopback() || a.ip().to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Whether `FERRY_KEEP_CONGESTION` asks to keep the system's congestion control on loopback.
pub fn keep_congestion() -> bool {
    std::env::var_os(KEEP_CONGESTION_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Sets the stream's congestion control algorithm (`TCP_CONGESTION`).
pub fn set_congestion(stream: &TcpStream, name: &str) -> io::Result<()> {
    // SAFETY: the option value is `name`'s bytes, readable for their length for the whole call;
    // the kernel copies them. A bad fd or option is an error (errno), not undefined behaviour.
    let r = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            name.as_ptr().cast(),
            name.len() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The stream's congestion control algorithm.
pub fn congestion(stream: &TcpStream) -> io::Result<String> {
    let mut buf = [0u8; 16]; // TCP_CA_NAME_MAX
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: `buf` is writable for `len` bytes and `len` is a valid, writable length; the
    // kernel writes at most `len` bytes and stores the length it wrote.
    let r = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            buf.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    let name = &buf[..(len as usize).min(buf.len())];
    let end = name.iter().position(|b| *b == 0).unwrap_or(name.len());
    Ok(String::from_utf8_lossy(&name[..end]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_loopback_connection_gets_nodelay_and_reno_on_both_ends() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let before = congestion(&client).unwrap();
        assert!(!before.is_empty());
        for s in [&client, &server] {
            prepare_with(s, false).unwrap();
            assert!(s.nodelay().unwrap());
            assert_eq!(congestion(s).unwrap(), LOOPBACK_CONGESTION);
        }
    }

    #[test]
    fn kept_the_system_s_algorithm_stays() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let before = congestion(&client).unwrap();
        prepare_with(&client, true).unwrap();
        assert!(client.nodelay().unwrap());
        assert_eq!(congestion(&client).unwrap(), before);
    }

    #[test]
    fn an_unknown_algorithm_is_an_error_and_changes_nothing() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let before = congestion(&client).unwrap();
        assert!(set_congestion(&client, "no-such-algorithm").is_err());
        assert_eq!(congestion(&client).unwrap(), before);
    }

    #[test]
    fn loopback_peers() {
        for (addr, want) in [
            ("127.0.0.1:1", true),
            ("127.3.2.1:1", true),
            ("[::1]:1", true),
            ("[::ffff:127.0.0.1]:1", true),
            ("10.0.0.1:1", false),
            ("[::ffff:10.0.0.1]:1", false),
            ("[2001:db8::1]:1", false),
        ] {
            assert_eq!(is_loopback(&addr.parse().unwrap()), want, "{addr}");
        }
    }
}
