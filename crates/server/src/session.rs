//! One connection's conversation: read commands, run them, write replies; and, in pinned mode,
//! calls from Java to Python on the same socket with the Python side's nested calls run inline.
//!
//! A session's socket state lives in a `RefCell` shared with a thread-local, so a native method
//! deep inside a command (a Java proxy calling Python) finds the connection its thread serves.
//! Borrows of that state are short: never held while Java code runs.

use std::cell::{Cell, RefCell};
use std::io::{self, Write};
use std::net::TcpStream;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::Duration;

use ferry_engine::Outcome;
use ferry_engine::jni_raw::Env;
use ferry_protocol::text::{Decoder, Incoming, Side, encode_callback, encode_reply};
use ferry_protocol::{CallbackCommand, Command, Reply};

use crate::server::Server;
use crate::transport::Conn;

/// Largest message accepted before a connection has authenticated.
const PRE_AUTH_LIMIT: usize = 64 * 1024;

struct Io {
    conn: Conn,
    decoder: Decoder,
    out: Vec<u8>,
}

impl Io {
    fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.conn.write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }
}

/// What reading the socket gave.
enum Read {
    Message(Incoming),
    Closed,
    TimedOut,
}

/// Whether to go on after a message.
enum Next {
    Continue,
    Close,
}

/// A connection with its protocol state.
pub(crate) struct Session {
    server: Server,
    io: RefCell<Io>,
    authenticated: Cell<bool>,
    /// A Java thread's own connection to the Python server (not one the server accepted).
    outgoing: bool,
}

thread_local! {
    /// The pinned-mode session this thread serves or owns, if any.
    static PINNED: RefCell<Option<Rc<Session>>> = const { RefCell::new(None) };
}

/// Clears this thread's pinned session when the serving loop ends.
struct Unpin;

impl Drop for Unpin {
    fn drop(&mut self) {
        PINNED.with(|p| p.borrow_mut().take());
    }
}

/// Constant-time comparison of the secret part (the length is not secret).
fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

impl Session {
    pub(crate) fn new(server: Server, conn: Conn, authenticated: bool) -> Rc<Session> {
        Self::make(server, conn, authenticated, false)
    }

    fn make(server: Server, conn: Conn, authenticated: bool, outgoing: bool) -> Rc<Session> {
        let mut decoder = Decoder::new(Side::Java);
        if !authenticated {
            decoder.set_max_message(PRE_AUTH_LIMIT);
        }
        Rc::new(Session {
            server,
            io: RefCell::new(Io {
                conn,
                decoder,
                out: Vec::with_capacity(4096),
            }),
            authenticated: Cell::new(authenticated),
            outgoing,
        })
    }

    /// Serves the connection until it closes.
    pub(crate) fn serve(self: Rc<Self>, env: &Env) -> io::Result<()> {
        let _unpin = if self.server.config().pinned {
            PINNED.with(|p| *p.borrow_mut() = Some(self.clone()));
            Some(Unpin)
        } else {
            None
        };
        self.io
            .borrow()
            .conn
            .set_read_timeout(self.server.config().read_timeout)?;
        loop {
            match self.read()? {
                Read::Message(msg) => {
                    if let Next::Close = self.handle(env, msg)? {
                        self.io.borrow_mut().flush()?;
                        return Ok(());
                    }
                }
                Read::Closed => return Ok(()),
                Read::TimedOut => {
                    // Read timeout: Py4J resets the connection.
                    self.io.borrow().conn.reset();
                    return Ok(());
                }
            }
        }
    }

    /// The next message; replies waiting in the buffer are written before blocking.
    fn read(&self) -> io::Result<Read> {
        let mut io = self.io.borrow_mut();
        loop {
            match io.decoder.next() {
                Ok(Some(m)) => return Ok(Read::Message(m)),
                Ok(None) => {}
                Err(e) => {
                    encode_reply(
                        &Reply::Fatal(format!("ferry.Py4JException: {e}")),
                        Side::Java,
                        &mut io.out,
                    );
                    io.flush()?;
                    return Ok(Read::Closed);
                }
            }
            io.flush()?;
            let Io { conn, decoder, .. } = &mut *io;
            match decoder.fill(64 * 1024, |buf| io::Read::read(conn, buf)) {
                Ok(0) => return Ok(Read::Closed),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(Read::TimedOut);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn reply(&self, r: &Reply) {
        encode_reply(r, Side::Java, &mut self.io.borrow_mut().out);
    }

    fn handle(&self, env: &Env, msg: Incoming) -> io::Result<Next> {
        let cmd = match msg {
            Incoming::Command(c) => c,
            Incoming::Reply(_) | Incoming::Callback(_) => {
                self.reply(&Reply::Fatal(
                    "ferry.Py4JException: a reply arrived where a command was expected".into(),
                ));
                return Ok(Next::Close);
            }
        };
        if let Command::Auth { token } = &cmd {
            return Ok(match &self.server.config().auth_token {
                Some(expected) if same_token(token, expected) => {
                    self.authenticated.set(true);
                    self.io.borrow_mut().decoder.set_max_message(usize::MAX);
                    self.reply(&Reply::VOID);
                    Next::Continue
                }
                Some(_) => {
                    self.reply(&Reply::error_message(
                        "Authentication error: bad auth token received.",
                    ));
                    let mut io = self.io.borrow_mut();
                    io.flush()?;
                    io.conn.reset();
                    Next::Close
                }
                None => {
                    self.reply(&Reply::Fatal(
                        "ferry.Py4JException: Unknown command received: A".into(),
                    ));
                    Next::Close
                }
            });
        }
        if !self.authenticated.get() {
            self.reply(&Reply::error_message(
                "Authentication error: unexpected command.",
            ));
            let mut io = self.io.borrow_mut();
            io.flush()?;
            io.conn.reset();
            return Ok(Next::Close);
        }
        let engine = self.server.engine();
        let outcome =
            catch_unwind(AssertUnwindSafe(|| engine.execute(env, cmd))).unwrap_or_else(|_| {
                Outcome::Reply(Reply::error_message(
                    "ferry.Py4JException: internal error in the gateway (a bug: please report it)",
                ))
            });
        match outcome {
            Outcome::Reply(r) => self.reply(&r),
            Outcome::Fatal(m) => {
                self.reply(&Reply::Fatal(m));
                return Ok(Next::Close);
            }
            Outcome::Stream(channel) => {
                self.reply(&Reply::VOID);
                let mut io = self.io.borrow_mut();
                io.flush()?;
                let conn = &mut io.conn;
                engine.pump_channel(env, &channel, &mut |chunk| conn.write_all(chunk))?;
            }
            Outcome::Shutdown => {
                self.io.borrow_mut().flush()?;
                self.server.shutdown();
                return Ok(Next::Close);
            }
            Outcome::Silent => {}
            Outcome::Cancel { remote_port, .. } => {
                let peer = self.io.borrow().conn.peer().map(|p| p.ip());
                self.server.cancel(env, peer, &remote_port);
            }
        }
        Ok(Next::Continue)
    }

    /// Sends a command to Python on this connection and waits for its reply, running the commands
    /// Python sends meanwhile (its nested calls) in this thread.
    fn call_python(&self, env: &Env, payload: &[u8]) -> io::Result<Reply> {
        {
            let mut io = self.io.borrow_mut();
            io.flush()?;
            io.conn.write_all(payload)?;
        }
        loop {
            match self.read()? {
                Read::Message(Incoming::Reply(r)) => return Ok(r),
                Read::Message(msg) => {
                    if let Next::Close = self.handle(env, msg)? {
                        self.io.borrow_mut().flush()?;
                        self.io.borrow().conn.shutdown();
                        return Err(io::Error::new(
                            io::ErrorKind::ConnectionAborted,
                            "the connection closed while waiting for Python's reply",
                        ));
                    }
                }
                Read::Closed | Read::TimedOut => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the Python side closed the connection",
                    ));
                }
            }
        }
    }
}

/// Opens this thread's own connection to the Python side's server (pinned mode, a Java thread
/// calling Python first), authenticating if a token is set.
fn connect_to_python(server: &Server) -> io::Result<Rc<Session>> {
    let target = server.callbacks().target();
    let stream = TcpStream::connect_timeout(&target.address, Duration::from_secs(10))?;
    stream.set_nodelay(true)?;
    let session = Session::make(server.clone(), Conn::Tcp(stream), true, true);
    if let Some(token) = &target.token {
        let mut buf = Vec::new();
        encode_callback(
            &CallbackCommand::Auth {
                token: token.clone(),
            },
            &mut buf,
        );
        session.io.borrow_mut().conn.write_all(&buf)?;
        match session.read()? {
            Read::Message(Incoming::Reply(Reply::Success(_))) => {}
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "the Python server refused the auth token",
                ));
            }
        }
    }
    Ok(session)
}

/// Sends a call to Python the way the server's mode wants: in pinned mode on the connection this
/// thread serves (or on this thread's own connection to the Python server), else through the pool
/// of callback connections.
pub(crate) fn send_to_python(server: &Server, env: &Env, payload: &[u8]) -> io::Result<Reply> {
    if !server.config().pinned {
        return server.callbacks().send(payload);
    }
    let current = PINNED.with(|p| p.borrow().clone());
    let session = match current {
        Some(s) if s.server.same(server) => s,
        Some(_) => return connect_to_python(server)?.call_python(env, payload),
        None => {
            let s = connect_to_python(server)?;
            // Kept for the thread's life: a Java thread keeps talking to the same Python thread.
            PINNED.with(|p| *p.borrow_mut() = Some(s.clone()));
            s
        }
    };
    let result = session.call_python(env, payload);
    if result.is_err() {
        // A broken connection is not reused: the next call from this thread opens a new one.
        PINNED.with(|p| {
            let mut p = p.borrow_mut();
            if session.outgoing && p.as_ref().is_some_and(|s| Rc::ptr_eq(s, &session)) {
                p.take();
            }
        });
    }
    result
}
