//! Calls from Java to Python, on the Python side: the listener of the Python side's server, the
//! loop that serves one connection from Java (Py4J's `CallbackConnection`), and the socket
//! plumbing the pinned-thread mode shares with it.
//!
//! What a call does is the embedder's business: a [`CallbackHandler`] gets each decoded command
//! (`c` call, `g` release) and writes the reply line. Everything else (authentication, framing,
//! timeouts, closing from another thread) is here, without any Python in it.

use std::io::{self, Read as _, Write as _};
use std::net::ToSocketAddrs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ferry_protocol::text::{Decoder, Incoming, Side};
use ferry_protocol::{CallbackCommand, ProtocolError};

use crate::endpoint::Stream;

/// Largest message accepted from Java before it authenticated.
const PRE_AUTH_LIMIT: usize = 64 * 1024;

/// Room offered to each socket read.
const READ_CHUNK: usize = 64 * 1024;

/// The reply Python gives to a command it cannot run (py4j's `!xn`).
pub const ERROR_REPLY: &[u8] = b"!xn\n";

/// Runs the commands Java sends to Python.
pub trait CallbackHandler: Send + Sync {
    /// Runs one command and appends its whole reply line (line end included) to `out`.
    /// Authentication is not passed on: the connection handles it.
    fn handle(&self, command: CallbackCommand, out: &mut Vec<u8>) -> Handled;
}

/// Whether a connection goes on after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Read the next command.
    Continue,
    /// Write the reply, then close the connection (the handler cannot run commands any more).
    Close,
}

/// How the service of a connection from Java ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeEnd {
    /// Java closed the connection, or it was closed from this side.
    Closed,
    /// No command came within the read timeout; the connection is reset.
    TimedOut,
    /// Java did not authenticate (or with the wrong token); the connection is reset.
    AuthFailed(String),
    /// Java sent something that is not a command Python runs.
    Protocol(String),
    /// The socket failed.
    Io(io::Error),
    /// The handler asked to stop.
    HandlerClosed,
}

impl ServeEnd {
    /// Whether the connection is to be closed with a reset (py4j resets after a timeout or a
    /// failed authentication).
    pub fn resets(&self) -> bool {
        matches!(self, ServeEnd::TimedOut | ServeEnd::AuthFailed(_))
    }

    /// A short name of the outcome: `closed`, `timeout`, `auth`, `protocol`, `io`, `handler`.
    pub fn kind(&self) -> &'static str {
        match self {
            ServeEnd::Closed => "closed",
            ServeEnd::TimedOut => "timeout",
            ServeEnd::AuthFailed(_) => "auth",
            ServeEnd::Protocol(_) => "protocol",
            ServeEnd::Io(_) => "io",
            ServeEnd::HandlerClosed => "handler",
        }
    }

    /// What happened, in words.
    pub fn describe(&self) -> String {
        match self {
            ServeEnd::Closed => "the connection closed".into(),
            ServeEnd::TimedOut => "no command arrived within the read timeout".into(),
            ServeEnd::AuthFailed(why) => format!("authentication failed: {why}"),
            ServeEnd::Protocol(why) => format!("protocol error: {why}"),
            ServeEnd::Io(e) => format!("socket error: {e}"),
            ServeEnd::HandlerClosed => "the handler stopped".into(),
        }
    }
}

/// How a connection from Java is served.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// The token Java must send first (`A` / token / `e`), unescaped; `None`: no authentication.
    pub auth_token: Option<String>,
    /// How long to wait for the next command before resetting the connection (`None`: forever).
    pub read_timeout: Option<Duration>,
}

/// Constant-time comparison of a token (its length is not secret).
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Closes a stream with a reset (SO_LINGER 0), as py4j's `set_linger` does.
pub(crate) fn reset_stream(stream: &Stream) {
    if let Stream::Tcp(s) = stream {
        let _ = socket2::SockRef::from(s).set_linger(Some(Duration::ZERO));
    }
    stream.shutdown();
}

/// A second handle on a stream's socket, to shut it down from another thread.
pub(crate) fn clone_stream(stream: &Stream) -> io::Result<Stream> {
    Ok(match stream {
        Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
        Stream::Unix(s) => Stream::Unix(s.try_clone()?),
    })
}

// --------------------------------------------------------------------------- the listener

/// The listening socket of the Python side's server.
#[derive(Debug)]
pub struct Listener {
    socket: Mutex<Option<Arc<TcpListener>>>,
    local: SocketAddr,
    closed: AtomicBool,
}

impl Listener {
    /// Binds `address:port` (port 0: a free port), as py4j binds its callback server: the first
    /// address the name resolves to, with SO_REUSEADDR.
    pub fn bind(address: &str, port: u16) -> io::Result<Listener> {
        let addr = (address, port).to_socket_addrs()?.next().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("the address {address} has no IP address"),
            )
        })?;
        let socket = TcpListener::bind(addr)?;
        let local = socket.local_addr()?;
        Ok(Listener {
            socket: Mutex::new(Some(Arc::new(socket))),
            local,
            closed: AtomicBool::new(false),
        })
    }

    /// Where it listens (the port is the real one when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Whether [`Listener::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Waits for a connection, at most `timeout` (`None`: until one comes or the listener is
    /// closed). `Ok(None)` when the time ran out or the listener was closed. Accepted sockets get
    /// TCP_NODELAY.
    pub fn accept(&self, timeout: Option<Duration>) -> io::Result<Option<(TcpStream, SocketAddr)>> {
        let socket = match self
            .socket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            Some(s) if !self.is_closed() => s.clone(),
            _ => return Ok(None),
        };
        socket2::SockRef::from(&*socket).set_read_timeout(timeout.filter(|t| !t.is_zero()))?;
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            match socket.accept() {
                Ok((stream, peer)) => {
                    if self.is_closed() {
                        let _ = stream.shutdown(Shutdown::Both);
                        return Ok(None);
                    }
                    ferry_sockio::tcp::prepare(&stream)?;
                    return Ok(Some((stream, peer)));
                }
                Err(_) if self.is_closed() => return Ok(None),
                Err(e) => match e.kind() {
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => return Ok(None),
                    io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted => {
                        if deadline.is_some_and(|d| Instant::now() >= d) {
                            return Ok(None);
                        }
                    }
                    _ => return Err(e),
                },
            }
        }
    }

    /// Stops listening: a thread waiting in [`Listener::accept`] returns at once, and the port
    /// is free once that wait has ended.
    pub fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        let socket = self
            .socket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(socket) = socket {
            // On Linux, shutting a listening socket down wakes a blocked accept.
            let _ = socket2::SockRef::from(&*socket).shutdown(Shutdown::Both);
            if Arc::strong_count(&socket) > 1 {
                // Someone waits in accept: a connection to ourselves wakes it wherever shutdown
                // does not.
                let _ = TcpStream::connect_timeout(
                    &wake_address(self.local),
                    Duration::from_millis(200),
                );
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.close();
    }
}

/// The address to connect to in order to reach a listener bound to `local` (the loopback address
/// for an unspecified one).
fn wake_address(local: SocketAddr) -> SocketAddr {
    let ip = match local.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    };
    SocketAddr::new(ip, local.port())
}

// --------------------------------------------------------------------------- a socket speaking to Java

/// What waiting for the next message gave.
#[derive(Debug)]
pub(crate) enum Wait {
    /// A message, with the text of the reply line (without `!`) when it was kept.
    Message(Incoming, Option<String>),
    /// End of stream.
    Closed,
    /// The deadline passed.
    TimedOut,
    /// The interrupt check said to stop.
    Interrupted,
    /// The socket failed.
    Failed(io::Error),
    /// Bytes that are not a message.
    Bad(ProtocolError),
}

/// Why a read gave no bytes.
#[derive(Debug)]
enum Stop {
    Closed,
    TimedOut,
    Interrupted,
    Failed(io::Error),
}

impl From<Stop> for Wait {
    fn from(s: Stop) -> Wait {
        match s {
            Stop::Closed => Wait::Closed,
            Stop::TimedOut => Wait::TimedOut,
            Stop::Interrupted => Wait::Interrupted,
            Stop::Failed(e) => Wait::Failed(e),
        }
    }
}

/// One socket with its decoder (Python's side of the protocol: it decodes Java's replies and
/// Java's commands to Python).
#[derive(Debug)]
pub(crate) struct Channel {
    pub(crate) stream: Stream,
    decoder: Decoder,
    /// Bytes of the buffered reply line already searched for its end.
    scanned: usize,
    /// Bytes arrived since the last write.
    pub(crate) received: bool,
}

impl Channel {
    pub(crate) fn new(stream: Stream, limited: bool) -> Channel {
        let mut decoder = Decoder::new(Side::Python);
        if limited {
            decoder.set_max_message(PRE_AUTH_LIMIT);
        }
        Channel {
            stream,
            decoder,
            scanned: 0,
            received: false,
        }
    }

    /// Lifts the pre-authentication size limit.
    pub(crate) fn unlimit(&mut self) {
        self.decoder.set_max_message(usize::MAX);
    }

    /// Writes bytes; the next wait reports whether anything arrived after them.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.received = false;
        self.stream.write_all(bytes)
    }

    /// The next message. The text of a reply line is kept when `raw` is set, and for error
    /// replies always. `interrupted` is asked whenever a read times out (the socket's read
    /// timeout is the wait slice) and when a signal interrupts a read.
    pub(crate) fn next(
        &mut self,
        raw: bool,
        deadline: Option<Instant>,
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Wait {
        loop {
            let buffered = self.decoder.buffered();
            let mut raw_line = None;
            if buffered.first() == Some(&b'!')
                && (raw || (buffered.len() >= 2 && matches!(buffered[1], b'x' | b'z')))
            {
                match buffered[self.scanned..].iter().position(|&b| b == b'\n') {
                    Some(p) => {
                        let line = &buffered[1..self.scanned + p];
                        raw_line = Some(String::from_utf8_lossy(line).into_owned());
                    }
                    None => {
                        self.scanned = buffered.len();
                        if let Err(w) = self.fill(deadline, interrupted) {
                            return w.into();
                        }
                        continue;
                    }
                }
            }
            match self.decoder.next() {
                Ok(Some(m)) => {
                    self.scanned = 0;
                    return Wait::Message(m, raw_line);
                }
                Ok(None) => {
                    if let Err(w) = self.fill(deadline, interrupted) {
                        return w.into();
                    }
                }
                Err(e) => return Wait::Bad(e),
            }
        }
    }

    fn fill(
        &mut self,
        deadline: Option<Instant>,
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Result<(), Stop> {
        if !self.decoder.buffered().is_empty() {
            self.stream.quickack();
        }
        loop {
            let Channel {
                stream, decoder, ..
            } = self;
            match decoder.fill(READ_CHUNK, |buf| stream.read(buf)) {
                Ok(0) => return Err(Stop::Closed),
                Ok(_) => {
                    self.received = true;
                    return Ok(());
                }
                Err(e) => match e.kind() {
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                        if interrupted() {
                            return Err(Stop::Interrupted);
                        }
                        if deadline.is_some_and(|d| Instant::now() >= d) {
                            return Err(Stop::TimedOut);
                        }
                    }
                    io::ErrorKind::Interrupted => {
                        if interrupted() {
                            return Err(Stop::Interrupted);
                        }
                    }
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                        if !self.received =>
                    {
                        return Err(Stop::Closed);
                    }
                    _ => return Err(Stop::Failed(e)),
                },
            }
        }
    }
}

/// Reads Java's authentication (`A` / token / `e`) and answers it: `!yv`, or `!xn` for a wrong
/// token. Any other first command fails without an answer, as py4j's `do_client_auth`.
pub(crate) fn authenticate_peer(
    ch: &mut Channel,
    token: &str,
    read_timeout: Option<Duration>,
) -> Result<(), ServeEnd> {
    let deadline = read_timeout.map(|t| Instant::now() + t);
    match ch.next(false, deadline, &mut || false) {
        Wait::Message(Incoming::Callback(CallbackCommand::Auth { token: got }), _) => {
            if same_token(&got, token) {
                ch.write_all(b"!yv\n").map_err(ServeEnd::Io)?;
                ch.unlimit();
                Ok(())
            } else {
                let _ = ch.write_all(ERROR_REPLY);
                Err(ServeEnd::AuthFailed("wrong token".into()))
            }
        }
        Wait::Message(other, _) => Err(ServeEnd::AuthFailed(format!(
            "expected the authentication command first, got {}",
            describe_incoming(&other)
        ))),
        Wait::Bad(e) => Err(ServeEnd::AuthFailed(e.to_string())),
        other => Err(wait_end(other)),
    }
}

/// A [`ServeEnd`] for a wait that gave no message.
pub(crate) fn wait_end(w: Wait) -> ServeEnd {
    match w {
        Wait::Closed | Wait::Interrupted => ServeEnd::Closed,
        Wait::TimedOut => ServeEnd::TimedOut,
        Wait::Failed(e) => ServeEnd::Io(e),
        Wait::Bad(e) => ServeEnd::Protocol(e.to_string()),
        Wait::Message(m, _) => ServeEnd::Protocol(format!(
            "expected a command from Java, got {}",
            describe_incoming(&m)
        )),
    }
}

pub(crate) fn describe_incoming(m: &Incoming) -> String {
    match m {
        Incoming::Callback(CallbackCommand::Call { .. }) => "a call (c)".into(),
        Incoming::Callback(CallbackCommand::GarbageCollect { .. }) => "a release (g)".into(),
        Incoming::Callback(CallbackCommand::Auth { .. }) => "an authentication (A)".into(),
        Incoming::Reply(_) => "a reply".into(),
        Incoming::Command(_) => "a command".into(),
    }
}

// --------------------------------------------------------------------------- default mode

/// A connection Java opened to the Python side's server (default mode): serve it with
/// [`Connection::serve`] in the thread that runs its commands; [`Connection::close`] from any
/// thread ends that service.
#[derive(Debug)]
pub struct Connection {
    stream: Mutex<Option<TcpStream>>,
    closer: Mutex<Option<Stream>>,
    peer: SocketAddr,
    closed: AtomicBool,
}

impl Connection {
    /// Takes an accepted socket.
    pub fn new(stream: TcpStream, peer: SocketAddr) -> io::Result<Connection> {
        let closer = Stream::Tcp(stream.try_clone()?);
        Ok(Connection {
            stream: Mutex::new(Some(stream)),
            closer: Mutex::new(Some(closer)),
            peer,
            closed: AtomicBool::new(false),
        })
    }

    /// Java's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Takes the socket out, for a loop of another kind (the pinned-thread mode's).
    pub(crate) fn take_stream(&self) -> Option<TcpStream> {
        if self.closed.load(Ordering::SeqCst) {
            return None;
        }
        self.stream
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Runs Java's commands until the connection ends. Only the first call serves; later ones
    /// return [`ServeEnd::Closed`] at once.
    pub fn serve(&self, options: &ServeOptions, handler: &dyn CallbackHandler) -> ServeEnd {
        let Some(stream) = self.take_stream() else {
            return ServeEnd::Closed;
        };
        serve_stream(stream, options, handler)
    }

    /// Ends the connection (with a reset when asked), whichever thread serves it.
    pub fn close(&self, reset: bool) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        let closer = self
            .closer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(closer) = closer {
            if reset {
                reset_stream(&closer);
            } else {
                closer.shutdown();
            }
        }
        drop(
            self.stream
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }

    /// Whether [`Connection::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

/// Serves one socket in the default mode: commands in, replies out, one at a time.
fn serve_stream(
    stream: TcpStream,
    options: &ServeOptions,
    handler: &dyn CallbackHandler,
) -> ServeEnd {
    let read_timeout = options.read_timeout.filter(|t| !t.is_zero());
    if let Err(e) = stream.set_read_timeout(read_timeout) {
        return ServeEnd::Io(e);
    }
    let mut ch = Channel::new(Stream::Tcp(stream), options.auth_token.is_some());
    let end = run_commands(&mut ch, options, read_timeout, handler);
    if end.resets() {
        reset_stream(&ch.stream);
    } else {
        ch.stream.shutdown();
    }
    end
}

fn run_commands(
    ch: &mut Channel,
    options: &ServeOptions,
    read_timeout: Option<Duration>,
    handler: &dyn CallbackHandler,
) -> ServeEnd {
    if let Some(token) = &options.auth_token {
        if let Err(end) = authenticate_peer(ch, token, read_timeout) {
            return end;
        }
    }
    let mut out = Vec::with_capacity(256);
    loop {
        let deadline = read_timeout.map(|t| Instant::now() + t);
        match ch.next(false, deadline, &mut || false) {
            Wait::Message(Incoming::Callback(cmd), _) => {
                out.clear();
                let handled = {
                    // The handler's calls to Java do not wait behind a combined write (which
                    // may be the one waiting for this callback).
                    let _serving = crate::mux::ServingCallback::enter();
                    handler.handle(cmd, &mut out)
                };
                if let Err(e) = ch.write_all(&out) {
                    return ServeEnd::Io(e);
                }
                if handled == Handled::Close {
                    return ServeEnd::HandlerClosed;
                }
            }
            Wait::Message(other, _) => {
                let _ = ch.write_all(ERROR_REPLY);
                return ServeEnd::Protocol(format!(
                    "expected a command from Java, got {}",
                    describe_incoming(&other)
                ));
            }
            Wait::Bad(e) => {
                let _ = ch.write_all(ERROR_REPLY);
                return ServeEnd::Protocol(e.to_string());
            }
            other => return wait_end(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead as _;
    use std::sync::atomic::AtomicUsize;

    struct Echo {
        calls: AtomicUsize,
    }

    impl CallbackHandler for Echo {
        fn handle(&self, command: CallbackCommand, out: &mut Vec<u8>) -> Handled {
            self.calls.fetch_add(1, Ordering::SeqCst);
            match command {
                CallbackCommand::Call { method, .. } => {
                    out.extend_from_slice(b"!ys");
                    out.extend_from_slice(method.as_bytes());
                    out.push(b'\n');
                }
                _ => out.extend_from_slice(b"!y\n"),
            }
            Handled::Continue
        }
    }

    fn listener() -> Arc<Listener> {
        Arc::new(Listener::bind("127.0.0.1", 0).unwrap())
    }

    fn read_line(r: &mut io::BufReader<TcpStream>) -> String {
        let mut s = String::new();
        r.read_line(&mut s).unwrap();
        s
    }

    #[test]
    fn accept_times_out_and_close_wakes_a_waiting_accept() {
        let l = listener();
        assert!(l.accept(Some(Duration::from_millis(30))).unwrap().is_none());
        let waiter = {
            let l = l.clone();
            std::thread::spawn(move || l.accept(None))
        };
        std::thread::sleep(Duration::from_millis(50));
        let start = Instant::now();
        l.close();
        assert!(waiter.join().unwrap().unwrap().is_none());
        assert!(start.elapsed() < Duration::from_secs(2));
        // The port is free again.
        assert!(TcpListener::bind(l.local_addr()).is_ok());
    }

    #[test]
    fn serves_calls_and_releases_with_authentication() {
        let l = listener();
        let addr = l.local_addr();
        let client = std::thread::spawn(move || {
            let s = TcpStream::connect(addr).unwrap();
            let mut w = s.try_clone().unwrap();
            let mut r = io::BufReader::new(s);
            w.write_all(b"A\nsecret\ne\n").unwrap();
            assert_eq!(read_line(&mut r), "!yv\n");
            w.write_all(b"c\np0\ncompare\ni1\ni2\ne\n").unwrap();
            assert_eq!(read_line(&mut r), "!yscompare\n");
            w.write_all(b"g\np0\ne\n").unwrap();
            assert_eq!(read_line(&mut r), "!y\n");
        });
        let (stream, peer) = l.accept(Some(Duration::from_secs(10))).unwrap().unwrap();
        let conn = Connection::new(stream, peer).unwrap();
        let handler = Echo {
            calls: AtomicUsize::new(0),
        };
        let options = ServeOptions {
            auth_token: Some("secret".into()),
            read_timeout: None,
        };
        let end = conn.serve(&options, &handler);
        client.join().unwrap();
        assert!(matches!(end, ServeEnd::Closed), "{end:?}");
        assert_eq!(handler.calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_wrong_token_is_refused_and_reset() {
        let l = listener();
        let addr = l.local_addr();
        let client = std::thread::spawn(move || {
            let s = TcpStream::connect(addr).unwrap();
            let mut w = s.try_clone().unwrap();
            let mut r = io::BufReader::new(s);
            w.write_all(b"A\nwrong\ne\n").unwrap();
            assert_eq!(read_line(&mut r), "!xn\n");
        });
        let (stream, peer) = l.accept(Some(Duration::from_secs(10))).unwrap().unwrap();
        let conn = Connection::new(stream, peer).unwrap();
        let handler = Echo {
            calls: AtomicUsize::new(0),
        };
        let options = ServeOptions {
            auth_token: Some("secret".into()),
            read_timeout: None,
        };
        let end = conn.serve(&options, &handler);
        client.join().unwrap();
        assert!(matches!(end, ServeEnd::AuthFailed(_)), "{end:?}");
        assert!(end.resets());
        assert_eq!(handler.calls.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn close_from_another_thread_ends_the_service_and_the_read_timeout_resets() {
        let l = listener();
        let addr = l.local_addr();
        let _c1 = TcpStream::connect(addr).unwrap();
        let (stream, peer) = l.accept(Some(Duration::from_secs(10))).unwrap().unwrap();
        let conn = Arc::new(Connection::new(stream, peer).unwrap());
        let server = {
            let conn = conn.clone();
            std::thread::spawn(move || {
                let handler = Echo {
                    calls: AtomicUsize::new(0),
                };
                conn.serve(&ServeOptions::default(), &handler)
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        conn.close(false);
        assert!(matches!(server.join().unwrap(), ServeEnd::Closed));

        let _c2 = TcpStream::connect(addr).unwrap();
        let (stream, peer) = l.accept(Some(Duration::from_secs(10))).unwrap().unwrap();
        let conn = Connection::new(stream, peer).unwrap();
        let handler = Echo {
            calls: AtomicUsize::new(0),
        };
        let options = ServeOptions {
            auth_token: None,
            read_timeout: Some(Duration::from_millis(50)),
        };
        assert!(matches!(conn.serve(&options, &handler), ServeEnd::TimedOut));
    }
}
