//! One connection's conversation: read commands, run them, write replies; and, in pinned mode,
//! calls from Java to Python on the same socket with the Python side's nested calls run inline.
//!
//! A connection speaks Py4J's text protocol (v1) or ferry's binary protocol (v2): a client that
//! opens with the v2 hello line gets v2, anyone else v1. A session's socket state lives in a
//! `RefCell` shared with a thread-local, so a native method deep inside a command (a Java proxy
//! calling Python) finds the connection its thread serves. Borrows of that state are short:
//! never held while Java code runs.

use std::cell::{Cell, RefCell};
use std::io::{self, Write};
use std::net::TcpStream;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use ferry_engine::Outcome;
use ferry_engine::jni_raw::Env;
use ferry_protocol::binary::{self, FrameBody, FrameDecoder, FrameKind, HELLO_LINE, Hello};
use ferry_protocol::text::{self, Decoder, Incoming, Side};
use ferry_protocol::{
    Blob, CallTarget, CallbackCommand, Command, Elem, Prims, ProtocolError, Reply, Value,
};

use crate::server::Server;
use crate::transport::Conn;

/// Largest message accepted before a connection has authenticated.
const PRE_AUTH_LIMIT: usize = 64 * 1024;

/// The wire format of a connection, with its decoder.
enum Wire {
    /// Not decided yet: the first bytes tell (the v2 hello line, or a v1 command).
    Sniffing(Vec<u8>),
    /// Py4J's text protocol.
    Text(Decoder),
    /// ferry's binary protocol.
    Binary(FrameDecoder),
}

struct Io {
    conn: Conn,
    wire: Wire,
    /// The connection's own read timeout (the server's, for a connection it accepted).
    read_timeout: Option<Duration>,
    /// The read timeout the socket has now.
    socket_timeout: Option<Duration>,
    /// How long the current wait for bytes has lasted in earlier timeouts of the spares' timer
    /// (see [`Io::time_spares`]): the connection's own timeout counts it.
    idle_spent: Duration,
    /// The socket's timeout is the spares' timer: its expiry frees them and the wait goes on.
    spare_timer: bool,
    out: Vec<u8>,
    /// Large raw values of replies in `out`, written from where they are rather than copied
    /// into it: (offset in `out`, bytes), by offset.
    raw: Vec<(usize, Blob)>,
    /// Ids of the requests this side sends (v2 callbacks).
    next_id: u32,
    /// The body of the last large request, shared with the values decoded from it.
    lent: Option<Arc<Vec<u8>>>,
    /// Strings of handled calls (target id, method), whose buffers take the next call's.
    strings: Vec<String>,
}

/// How many string buffers a connection keeps for reuse.
const STRINGS_KEPT: usize = 8;

/// Request bodies at least this large are shared with their decoded values (see
/// [`binary::decode_command_shared`]) rather than copied out of.
const SHARED_BODY_MIN: usize = 64 * 1024;

/// How long a connection waits for its next request before it frees the buffers kept for large
/// values (see [`Io::time_spares`]). Long enough that transfers a few seconds apart keep
/// them (a fresh 10 MiB buffer costs about 2 ms of page faults), short enough that an idle
/// connection soon holds none.
const SPARE_IDLE: Duration = Duration::from_secs(5);

/// Whether the connection's thread keeps buffers for large values: the decoder's for large
/// frames, the engine's for large copies out of Java (each up to 256 MiB).
fn spares_held(wire: &Wire) -> bool {
    // A large frame being received holds the decoder's buffer until it is decoded.
    matches!(wire, Wire::Binary(d) if d.spare_capacity() > 0 || d.receiving_large())
        || ferry_engine::spare::held() > 0
}

/// Gives the body of the last large request back to the decoder when no value of it is left,
/// so that the next large frame is received into memory already touched.
fn take_back(wire: &mut Wire, lent: &mut Option<Arc<Vec<u8>>>) {
    if let (Wire::Binary(d), Some(body)) = (wire, lent.take()) {
        if let Ok(body) = Arc::try_unwrap(body) {
            d.recycle(body);
        }
    }
}

/// Raw values (primitive arrays, bytes) at least this long are not copied into `out`.
const RAW_MIN: usize = 64 * 1024;

impl Io {
    /// Before the thread waits for bytes: while it keeps buffers for large values (which spare
    /// a stream of large transfers the page faults of fresh ones), the wait times out after
    /// [`SPARE_IDLE`], and the buffers are freed then ([`Io::release_spares`]); kept for the
    /// life of the connection, they would hold its largest transfer's memory long after it.
    /// The connection's own read timeout still ends the wait on time (the spares' timeouts
    /// count towards it). The socket's timeout changes only when the thread starts or stops
    /// keeping such buffers, or after one was freed: a call costs nothing more.
    fn time_spares(&mut self) -> io::Result<()> {
        // Never zero: a spares' timeout is only taken while more than SPARE_IDLE is left.
        let left = self.read_timeout.map(|t| t.saturating_sub(self.idle_spent));
        let held = spares_held(&self.wire);
        let timeout = if held {
            Some(left.map_or(SPARE_IDLE, |l| l.min(SPARE_IDLE)))
        } else {
            left
        };
        self.spare_timer = held && left.is_none_or(|l| l > SPARE_IDLE);
        if timeout != self.socket_timeout {
            self.conn.set_read_timeout(timeout)?;
            self.socket_timeout = timeout;
        }
        Ok(())
    }

    /// The spares' timer expired: frees the buffers; the wait goes on.
    fn release_spares(&mut self) {
        if let Wire::Binary(d) = &mut self.wire {
            d.release_spare();
        }
        ferry_engine::spare::release();
        self.idle_spent += SPARE_IDLE;
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.raw.is_empty() {
            if !self.out.is_empty() {
                self.conn.write_all(&self.out)?;
                self.out.clear();
            }
            return Ok(());
        }
        let raw = std::mem::take(&mut self.raw);
        let mut parts = Vec::with_capacity(raw.len() * 2 + 1);
        let mut from = 0;
        for (at, data) in &raw {
            parts.push(io::IoSlice::new(&self.out[from..*at]));
            parts.push(io::IoSlice::new(data));
            from = *at;
        }
        parts.push(io::IoSlice::new(&self.out[from..]));
        parts.retain(|p| !p.is_empty());
        let mut rest: &mut [io::IoSlice<'_>] = &mut parts;
        while !rest.is_empty() {
            match self.conn.write_vectored(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => io::IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        // The copies out of the Java heap receive the next large values.
        for (_, data) in raw {
            if let Ok(v) = data.try_into_vec() {
                ferry_engine::spare::give_back(v);
            }
        }
        Ok(())
    }

    fn reply(&mut self, r: &Reply, id: u32) {
        match &self.wire {
            Wire::Binary(_) => binary::encode_reply(r, id, &mut self.out),
            Wire::Text(_) | Wire::Sniffing(_) => text::encode_reply(r, Side::Java, &mut self.out),
        }
    }

    /// [`Io::reply`] for a reply this side owns: over v2, a large primitive array or bytes
    /// value is written from where it is at the next flush (the frame's length and the value's
    /// count patched in the frame encoded without it).
    fn reply_owned(&mut self, r: Reply, id: u32) {
        let Wire::Binary(_) = &self.wire else {
            return self.reply(&r, id);
        };
        // The offset of the value's count (Array, TypedList: tag, element type) or length
        // (Bytes: tag) in the frame, the bytes, and how to make the value of other bytes.
        type Rebuild = fn(Elem, Blob) -> Value;
        let (count_at, elem, data, rebuild): (usize, Elem, Blob, Rebuild) = match r {
            Reply::Success(Value::Array(p)) if p.data.len() >= RAW_MIN => {
                (binary::HEADER_LEN + 2, p.elem, p.data, |elem, data| {
                    Value::Array(Prims { elem, data })
                })
            }
            Reply::Success(Value::TypedList(p)) if p.data.len() >= RAW_MIN => {
                (binary::HEADER_LEN + 2, p.elem, p.data, |elem, data| {
                    Value::TypedList(Prims { elem, data })
                })
            }
            Reply::Success(Value::Bytes(b)) if b.len() >= RAW_MIN => {
                (binary::HEADER_LEN + 1, Elem::Byte, b, |_, data| {
                    Value::Bytes(data)
                })
            }
            other => return self.reply(&other, id),
        };
        let count = data.len() / elem.size();
        let (Ok(count), Ok(len)) = (u32::try_from(count), u32::try_from(data.len())) else {
            return self.reply(&Reply::Success(rebuild(elem, data)), id);
        };
        let at = self.out.len();
        binary::encode_reply(
            &Reply::Success(rebuild(elem, Blob::default())),
            id,
            &mut self.out,
        );
        let frame_len = u32::from_le_bytes(self.out[at..at + 4].try_into().unwrap_or([0; 4]));
        self.out[at..at + 4].copy_from_slice(&frame_len.saturating_add(len).to_le_bytes());
        self.out[at + count_at..at + count_at + 4].copy_from_slice(&count.to_le_bytes());
        self.raw.push((self.out.len(), data));
    }

    fn set_limit(&mut self, limit: usize) {
        match &mut self.wire {
            Wire::Text(d) => d.set_max_message(limit),
            Wire::Binary(d) => d.set_max_frame(limit),
            Wire::Sniffing(_) => {}
        }
    }
}

/// A message from the peer.
enum Msg {
    /// A command; `id` is its request id (v2) or 0 (v1).
    Command { cmd: Command, id: u32 },
    /// A notice (v2): a command that gets no reply.
    Notice(Command),
    /// A reply to a request of ours.
    Reply { reply: Reply, id: u32 },
}

/// What reading the socket gave.
enum Read {
    Message(Msg),
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
    /// The connection's call sites (see `Engine::call_command_direct`).
    sites: ferry_engine::CallSites,
    /// A Java thread's own connection to the Python server (not one the server accepted).
    outgoing: bool,
    /// The secret that cancels this connection (sent to v2 clients in the HELLO frame).
    cancel_key: u64,
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
    pub(crate) fn new(
        server: Server,
        conn: Conn,
        authenticated: bool,
        cancel_key: u64,
    ) -> Rc<Session> {
        Self::make(server, conn, authenticated, false, cancel_key)
    }

    fn make(
        server: Server,
        conn: Conn,
        authenticated: bool,
        outgoing: bool,
        cancel_key: u64,
    ) -> Rc<Session> {
        let wire = if outgoing {
            // Java-initiated connections speak v1 (the Python server may be Py4J's own).
            Wire::Text(Decoder::new(Side::Java))
        } else {
            Wire::Sniffing(Vec::new())
        };
        let session = Rc::new(Session {
            server,
            io: RefCell::new(Io {
                conn,
                wire,
                read_timeout: None,
                socket_timeout: None,
                idle_spent: Duration::ZERO,
                spare_timer: false,
                out: Vec::with_capacity(4096),
                raw: Vec::new(),
                next_id: 1,
                lent: None,
                strings: Vec::new(),
            }),
            authenticated: Cell::new(authenticated),
            sites: ferry_engine::CallSites::default(),
            outgoing,
            cancel_key,
        });
        if !authenticated {
            session.io.borrow_mut().set_limit(PRE_AUTH_LIMIT);
        }
        session
    }

    /// Serves the connection until it closes.
    pub(crate) fn serve(self: Rc<Self>, env: &Env) -> io::Result<()> {
        let _unpin = if self.server.config().pinned {
            PINNED.with(|p| *p.borrow_mut() = Some(self.clone()));
            Some(Unpin)
        } else {
            None
        };
        {
            let mut io = self.io.borrow_mut();
            io.read_timeout = self.server.config().read_timeout;
            io.socket_timeout = io.read_timeout;
            io.conn.set_read_timeout(io.read_timeout)?;
        }
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

    /// Decides the wire format from the first bytes: the v2 hello line, or anything else (v1).
    /// Returns false while more bytes are needed.
    fn sniff(&self, io: &mut Io) -> bool {
        let Wire::Sniffing(seen) = &io.wire else {
            return true;
        };
        let decided = seen.len() >= HELLO_LINE.len()
            || seen.contains(&b'\n')
            || !HELLO_LINE.starts_with(seen);
        if !decided {
            return false;
        }
        let seen = std::mem::take(match &mut io.wire {
            Wire::Sniffing(s) => s,
            _ => unreachable!("checked above"),
        });
        if seen.starts_with(HELLO_LINE) {
            let mut d = FrameDecoder::new();
            if !self.authenticated.get() {
                d.set_max_frame(PRE_AUTH_LIMIT);
            }
            d.feed(&seen[HELLO_LINE.len()..]);
            io.wire = Wire::Binary(d);
            Hello {
                version: binary::VERSION,
                features: binary::features::BULK | binary::features::PINNED,
                server: format!("ferry {}", env!("CARGO_PKG_VERSION")),
                cancel_key: self.cancel_key,
            }
            .encode(&mut io.out);
        } else {
            let mut d = Decoder::new(Side::Java);
            if !self.authenticated.get() {
                d.set_max_message(PRE_AUTH_LIMIT);
            }
            d.feed(&seen);
            io.wire = Wire::Text(d);
        }
        true
    }

    /// The next message; replies waiting in the buffer are written before blocking.
    fn read(&self) -> io::Result<Read> {
        let mut io = self.io.borrow_mut();
        loop {
            if self.sniff(&mut io) {
                let Io {
                    wire,
                    lent,
                    strings,
                    ..
                } = &mut *io;
                take_back(wire, lent);
                match next_message(wire, lent, strings) {
                    Ok(Some(m)) => return Ok(Read::Message(m)),
                    Ok(None) => {}
                    Err(e) => {
                        io.reply(&Reply::Fatal(format!("ferry.Py4JException: {e}")), 0);
                        io.flush()?;
                        return Ok(Read::Closed);
                    }
                }
            }
            io.flush()?;
            io.time_spares()?;
            let Io { conn, wire, .. } = &mut *io;
            let got = match wire {
                Wire::Sniffing(seen) => {
                    let mut b = [0u8; 16];
                    let r = io::Read::read(conn, &mut b);
                    if let Ok(n) = r {
                        seen.extend_from_slice(&b[..n]);
                    }
                    r
                }
                Wire::Text(d) => d.fill(64 * 1024, |buf| io::Read::read(conn, buf)),
                Wire::Binary(d) => d.fill(64 * 1024, |buf| io::Read::read(conn, buf)),
            };
            match got {
                Ok(0) => return Ok(Read::Closed),
                // Bytes came: the next wait is a new one.
                Ok(_) => io.idle_spent = Duration::ZERO,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if io.spare_timer {
                        io.release_spares();
                        continue; // the spares' timer, not the connection's read timeout
                    }
                    return Ok(Read::TimedOut);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn reply(&self, r: &Reply, id: u32) {
        self.io.borrow_mut().reply(r, id);
    }

    fn handle(&self, env: &Env, msg: Msg) -> io::Result<Next> {
        let (cmd, id, notice) = match msg {
            Msg::Command { cmd, id } => (cmd, id, false),
            Msg::Notice(cmd) => (cmd, 0, true),
            Msg::Reply { .. } => {
                self.reply(
                    &Reply::Fatal(
                        "ferry.Py4JException: a reply arrived where a command was expected".into(),
                    ),
                    0,
                );
                return Ok(Next::Close);
            }
        };
        if let Command::Auth { token } = &cmd {
            return Ok(match &self.server.config().auth_token {
                Some(expected) if same_token(token, expected) => {
                    self.authenticated.set(true);
                    let mut io = self.io.borrow_mut();
                    io.set_limit(1 << 30);
                    io.reply(&Reply::VOID, id);
                    Next::Continue
                }
                Some(_) => {
                    let mut io = self.io.borrow_mut();
                    io.reply(
                        &Reply::error_message("Authentication error: bad auth token received."),
                        id,
                    );
                    io.flush()?;
                    io.conn.reset();
                    Next::Close
                }
                None => {
                    self.reply(
                        &Reply::Fatal("ferry.Py4JException: Unknown command received: A".into()),
                        id,
                    );
                    Next::Close
                }
            });
        }
        if !self.authenticated.get() {
            let mut io = self.io.borrow_mut();
            io.reply(
                &Reply::error_message("Authentication error: unexpected command."),
                id,
            );
            io.flush()?;
            io.conn.reset();
            return Ok(Next::Close);
        }
        let binary = matches!(self.io.borrow().wire, Wire::Binary(_));
        let engine = self.server.engine();
        // A call goes the direct way when it can (no id lookup of a target just called, no
        // overload lookup of a method already resolved at this site, no local frame when it
        // makes no local reference); else, and for every other command, as a command.
        let direct = match &cmd {
            Command::Call {
                target,
                method,
                args,
            } => catch_unwind(AssertUnwindSafe(|| {
                engine.call_command_direct(env, &self.sites, target, method, args)
            }))
            .unwrap_or_else(|_| Some(internal_error())),
            _ => None,
        };
        let outcome = match direct {
            Some(reply) => {
                if let Command::Call {
                    target: CallTarget::Object(t) | CallTarget::Static(t),
                    method,
                    ..
                } = cmd
                {
                    let mut io = self.io.borrow_mut();
                    if io.strings.len() + 2 <= STRINGS_KEPT {
                        io.strings.push(t);
                        io.strings.push(method);
                    }
                }
                Outcome::Reply(reply)
            }
            None => catch_unwind(AssertUnwindSafe(|| engine.execute(env, cmd)))
                .unwrap_or_else(|_| Outcome::Reply(internal_error())),
        };
        if notice {
            // Notices get no reply, whatever happened.
            if let Outcome::Cancel {
                address,
                remote_port,
                ..
            } = outcome
            {
                let peer = self.io.borrow().conn.peer().map(|p| p.ip());
                self.server.cancel(env, peer, &address, &remote_port);
            }
            return Ok(Next::Continue);
        }
        match outcome {
            Outcome::Reply(r) => self.io.borrow_mut().reply_owned(r, id),
            Outcome::Fatal(m) => {
                self.reply(&Reply::Fatal(m), id);
                return Ok(Next::Close);
            }
            Outcome::Stream(channel) if binary => {
                // v2 has no raw tail after a reply: the channel's bytes come as one bytes value.
                let mut bytes = Vec::new();
                let r = engine.pump_channel(env, &channel, &mut |chunk| {
                    bytes.extend_from_slice(chunk);
                    Ok(())
                });
                match r {
                    Ok(()) => self.reply(&Reply::Success(Value::Bytes(bytes.into())), id),
                    Err(e) => self.reply(
                        &Reply::error_message(format!("ferry.Py4JException: {e}")),
                        id,
                    ),
                }
            }
            Outcome::Stream(channel) => {
                self.reply(&Reply::VOID, id);
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
            Outcome::Cancel {
                address,
                remote_port,
                ..
            } => {
                let peer = self.io.borrow().conn.peer().map(|p| p.ip());
                self.server.cancel(env, peer, &address, &remote_port);
            }
        }
        Ok(Next::Continue)
    }

    /// Sends a call to Python on this connection and waits for its reply, running the commands
    /// Python sends meanwhile (its nested calls) in this thread.
    fn call_python(&self, env: &Env, call: &CallbackCommand) -> io::Result<Reply> {
        let my_id = {
            let mut io = self.io.borrow_mut();
            let id = io.next_id;
            io.next_id = io.next_id.wrapping_add(1).max(1);
            match &io.wire {
                Wire::Binary(_) => binary::encode_callback(call, id, &mut io.out),
                _ => text::encode_callback(call, &mut io.out),
            }
            io.flush()?;
            id
        };
        loop {
            match self.read()? {
                Read::Message(Msg::Reply { reply, id }) => {
                    if id == my_id || id == 0 {
                        return Ok(reply);
                    }
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("a reply for request {id} arrived while waiting for {my_id}"),
                    ));
                }
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

/// The reply to a command whose execution panicked.
fn internal_error() -> Reply {
    Reply::error_message(
        "ferry.Py4JException: internal error in the gateway (a bug: please report it)",
    )
}

/// Decodes the next message of either wire format.
fn next_message(
    wire: &mut Wire,
    lent: &mut Option<Arc<Vec<u8>>>,
    strings: &mut Vec<String>,
) -> Result<Option<Msg>, ProtocolError> {
    match wire {
        Wire::Sniffing(_) => Ok(None),
        Wire::Text(d) => Ok(d.next_reusing(strings)?.map(|m| match m {
            Incoming::Command(cmd) => Msg::Command { cmd, id: 0 },
            Incoming::Reply(reply) => Msg::Reply { reply, id: 0 },
            // Side::Java never yields callbacks.
            Incoming::Callback(_) => Msg::Reply {
                reply: Reply::Fatal("unexpected callback command".into()),
                id: 0,
            },
        })),
        Wire::Binary(d) => {
            let Some((h, body)) = d.next_frame()? else {
                return Ok(None);
            };
            let msg = match (h.kind, body) {
                (FrameKind::Request, FrameBody::Own(body)) if body.len() >= SHARED_BODY_MIN => {
                    // The command's large values are windows on the body: no copy before
                    // they reach Java. The body is taken back for the next large frame once
                    // they are gone (`take_back`).
                    let body = Arc::new(body);
                    let cmd = binary::decode_command_shared(&h, &body)?;
                    *lent = Some(body);
                    Msg::Command { cmd, id: h.id }
                }
                (kind, body) => {
                    let msg = match kind {
                        FrameKind::Reply => Msg::Reply {
                            reply: binary::decode_reply(&h, body.bytes())?,
                            id: h.id,
                        },
                        FrameKind::Notice => Msg::Notice(binary::decode_command(&h, body.bytes())?),
                        FrameKind::Request => Msg::Command {
                            cmd: binary::decode_command_reusing(&h, body.bytes(), strings)?,
                            id: h.id,
                        },
                        FrameKind::Hello => {
                            return Err(ProtocolError::Malformed {
                                command: '?',
                                detail: "a client sent a HELLO frame".into(),
                            });
                        }
                    };
                    // Decoded values own their bytes: the body's buffer receives the next
                    // large frame.
                    if let FrameBody::Own(body) = body {
                        d.recycle(body);
                    }
                    msg
                }
            };
            Ok(Some(msg))
        }
    }
}

/// Opens this thread's own connection to the Python side's server (pinned mode, a Java thread
/// calling Python first), authenticating if a token is set.
fn connect_to_python(server: &Server) -> io::Result<Rc<Session>> {
    let target = server.callbacks().target();
    let stream = TcpStream::connect_timeout(&target.address, Duration::from_secs(10))?;
    ferry_sockio::tcp::prepare(&stream)?;
    let session = Session::make(server.clone(), Conn::Tcp(stream), true, true, 0);
    if let Some(token) = &target.token {
        let mut buf = Vec::new();
        text::encode_callback(
            &CallbackCommand::Auth {
                token: token.clone(),
            },
            &mut buf,
        );
        session.io.borrow_mut().conn.write_all(&buf)?;
        match session.read()? {
            Read::Message(Msg::Reply {
                reply: Reply::Success(_),
                ..
            }) => {}
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
pub(crate) fn send_to_python(
    server: &Server,
    env: &Env,
    call: &CallbackCommand,
) -> io::Result<Reply> {
    if !server.config().pinned {
        let mut payload = Vec::with_capacity(64);
        text::encode_callback(call, &mut payload);
        return server.callbacks().send(&payload);
    }
    let current = PINNED.with(|p| p.borrow().clone());
    let session = match current {
        Some(s) if s.server.same(server) => s,
        Some(_) => return connect_to_python(server)?.call_python(env, call),
        None => {
            let s = connect_to_python(server)?;
            // Kept for the thread's life: a Java thread keeps talking to the same Python thread.
            PINNED.with(|p| *p.borrow_mut() = Some(s.clone()));
            s
        }
    };
    let result = session.call_python(env, call);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;

    /// An `Io` on one end of a socket pair, whose socket has `read_timeout`, with a large-frame
    /// buffer kept or not.
    fn io_with(read_timeout: Option<Duration>, spare: bool) -> (Io, UnixStream) {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let mut decoder = FrameDecoder::new();
        if spare {
            decoder.recycle(Vec::with_capacity(1 << 20));
        }
        let conn = Conn::Unix(ours);
        conn.set_read_timeout(read_timeout).unwrap();
        let io = Io {
            conn,
            wire: Wire::Binary(decoder),
            read_timeout,
            socket_timeout: read_timeout,
            idle_spent: Duration::ZERO,
            spare_timer: false,
            out: Vec::new(),
            raw: Vec::new(),
            next_id: 1,
            lent: None,
            strings: Vec::new(),
        };
        (io, theirs)
    }

    fn socket_timeout(io: &Io) -> Option<Duration> {
        match &io.conn {
            Conn::Unix(s) => s.read_timeout().unwrap(),
            Conn::Tcp(s) => s.read_timeout().unwrap(),
        }
    }

    #[test]
    fn kept_buffers_set_the_spares_timer_and_its_expiry_frees_them() {
        let (mut io, _peer) = io_with(None, true);
        io.time_spares().unwrap();
        assert!(io.spare_timer);
        assert_eq!(socket_timeout(&io), Some(SPARE_IDLE));
        io.release_spares();
        assert!(!spares_held(&io.wire));
        io.time_spares().unwrap();
        assert!(!io.spare_timer);
        assert_eq!(socket_timeout(&io), None);
    }

    #[test]
    fn a_longer_read_timeout_counts_the_spares_wait() {
        let eight = Duration::from_secs(8);
        let (mut io, _peer) = io_with(Some(eight), true);
        io.time_spares().unwrap();
        assert!(io.spare_timer);
        assert_eq!(socket_timeout(&io), Some(SPARE_IDLE));
        io.release_spares();
        io.time_spares().unwrap();
        // What is left of the connection's own timeout after the spares' wait.
        assert!(!io.spare_timer);
        assert_eq!(socket_timeout(&io), Some(eight - SPARE_IDLE));
        // Bytes came: the next wait is a whole one again.
        io.idle_spent = Duration::ZERO;
        io.time_spares().unwrap();
        assert_eq!(socket_timeout(&io), Some(eight));
    }

    #[test]
    fn a_shorter_read_timeout_is_the_connection_s_own() {
        let two = Duration::from_secs(2);
        let (mut io, _peer) = io_with(Some(two), true);
        io.time_spares().unwrap();
        // Its expiry ends the connection, as without kept buffers.
        assert!(!io.spare_timer);
        assert_eq!(socket_timeout(&io), Some(two));
    }

    #[test]
    fn without_kept_buffers_the_socket_keeps_its_timeout() {
        let (mut io, _peer) = io_with(None, false);
        io.time_spares().unwrap();
        assert!(!io.spare_timer);
        assert_eq!(io.socket_timeout, None);
        assert_eq!(socket_timeout(&io), None);
    }
}
