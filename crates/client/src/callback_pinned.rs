//! The pinned-thread mode, Python's side (Py4J's `ClientServer`): every Python thread talks to
//! Java over a connection of its own, kept for the thread's life and closed when the thread ends;
//! a command Java sends on that connection while the thread waits for a reply (a call back into
//! Python) runs in that same thread, so recursion Python -> Java -> Python ... stays on one
//! Python thread and one Java thread. A connection Java opens to the Python side's server is
//! served by one Python thread, and that thread's calls to Java go back over it.
//!
//! A thread's connection lives in thread-local storage, reached through short borrows only: the
//! reply loop lets go of the connection while a callback runs, so that the callback's own calls
//! (nested) use it too. Reference releases never travel here: the client sends them on pooled
//! connections of their own (Py4J's issue #275 was a release written into a connection that
//! waited for a reply).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Instant;

use ferry_protocol::text::{Incoming, encode_command};
use ferry_protocol::{Command, ProtocolError, Reply};

use crate::callback::{
    CallbackHandler, Channel, ERROR_REPLY, ServeEnd, ServeOptions, Wait, authenticate_peer,
    clone_stream, reset_stream, wait_end,
};
use crate::client::Options;
use crate::config::Config;
use crate::connection::{Connection, Counters, Response};
use crate::endpoint::{Endpoint, Stream};
use crate::error::ClientError;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Counters of the pinned connections of a client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PinnedStats {
    /// Connections Python threads opened to Java so far.
    pub opened: u64,
    /// Connections Java opened to the Python server and that were served here so far.
    pub served: u64,
    /// Connections open now, of either kind.
    pub open: usize,
    /// Commands written by Python threads (replies to Java's calls not included).
    pub commands: u64,
    /// Calls from Java run while a Python thread waited for a reply, or on a served connection.
    pub callbacks: u64,
    /// Reference releases (`m d`) written on these connections: always 0, releases travel on
    /// pooled connections of their own.
    pub releases: u64,
}

/// Shuts a connection's socket down from any thread.
#[derive(Debug)]
struct Closer {
    stream: Stream,
    pid: u32,
    from_client: bool,
    closed: AtomicBool,
}

impl Closer {
    fn close(&self, reset: bool) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        // A forked child must not cut its parent's connection.
        if self.pid != std::process::id() {
            return;
        }
        if reset {
            reset_stream(&self.stream);
        } else {
            self.stream.shutdown();
        }
    }
}

/// One connection of the pinned mode, owned by the thread that uses it.
struct PinnedConn {
    io: RefCell<Channel>,
    closer: Arc<Closer>,
    epoch: u64,
    from_client: bool,
    local_port: Option<u16>,
    /// Exchanges in progress on this connection in this thread (nested calls).
    depth: Cell<u32>,
    /// It failed: the next call opens another.
    broken: Cell<bool>,
    /// Something arrived since the last command was written.
    heard: Cell<bool>,
}

impl Drop for PinnedConn {
    fn drop(&mut self) {
        self.closer.close(false);
    }
}

struct Slot {
    owner: u64,
    alive: Weak<Pinned>,
    conn: Rc<PinnedConn>,
}

thread_local! {
    /// This thread's connections, one per pinned client.
    static SLOTS: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
}

/// Counts an exchange in progress on a connection while it lives.
struct Depth<'a>(&'a PinnedConn);

impl<'a> Depth<'a> {
    fn enter(conn: &'a PinnedConn) -> Depth<'a> {
        conn.depth.set(conn.depth.get() + 1);
        Depth(conn)
    }
}

impl Drop for Depth<'_> {
    fn drop(&mut self) {
        self.0.depth.set(self.0.depth.get().saturating_sub(1));
    }
}

/// The pinned-thread connections of one client, and the handler of Java's calls.
pub struct Pinned {
    id: u64,
    config: Config,
    // Shared so that a fork can hold them by owned guards (see `fork`); each is held only
    // briefly, never across I/O or the handler's run.
    handler: Arc<Mutex<Option<Arc<dyn CallbackHandler>>>>,
    live: Arc<Mutex<Vec<Weak<Closer>>>>,
    epoch: AtomicU64,
    pid: AtomicU32,
    opened: AtomicU64,
    served: AtomicU64,
    commands: AtomicU64,
    callbacks: AtomicU64,
    releases: AtomicU64,
}

impl fmt::Debug for Pinned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pinned")
            .field("id", &self.id)
            .field("endpoint", &self.config.endpoint)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Pinned {
    /// The pinned connections of a client with these settings; none is opened yet.
    pub(crate) fn new(config: Config) -> Pinned {
        Pinned {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            config,
            handler: Arc::new(Mutex::new(None)),
            live: Arc::new(Mutex::new(Vec::new())),
            epoch: AtomicU64::new(0),
            pid: AtomicU32::new(std::process::id()),
            opened: AtomicU64::new(0),
            served: AtomicU64::new(0),
            commands: AtomicU64::new(0),
            callbacks: AtomicU64::new(0),
            releases: AtomicU64::new(0),
        }
    }

    /// Sets what runs Java's calls to Python (until it is set, they get an error reply).
    pub fn set_handler(&self, handler: Arc<dyn CallbackHandler>) {
        self.replace_handler(Some(handler));
    }

    /// Removes the handler (Java's calls then get an error reply).
    pub fn clear_handler(&self) {
        self.replace_handler(None);
    }

    fn replace_handler(&self, handler: Option<Arc<dyn CallbackHandler>>) {
        let old = std::mem::replace(
            &mut *self.handler.lock().unwrap_or_else(PoisonError::into_inner),
            handler,
        );
        // Dropped with the lock free: the last reference's drop may take other locks (or run
        // Python), and a fork takes this lock after every other.
        drop(old);
    }

    /// Takes this mode's locks for a fork (see `fork`): a child must not find one held by a
    /// thread of its parent (its first call takes `live` to forget the parent's connections).
    pub(crate) fn hold_for_fork(&self, held: &mut crate::fork::Held) {
        held.hold(&self.live);
        held.hold(&self.handler);
    }

    /// The counters.
    pub fn stats(&self) -> PinnedStats {
        let open = {
            let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
            live.retain(|w| {
                w.upgrade()
                    .is_some_and(|c| !c.closed.load(Ordering::SeqCst))
            });
            live.len()
        };
        PinnedStats {
            opened: self.opened.load(Ordering::Relaxed),
            served: self.served.load(Ordering::Relaxed),
            open,
            commands: self.commands.load(Ordering::Relaxed),
            callbacks: self.callbacks.load(Ordering::Relaxed),
            releases: self.releases.load(Ordering::Relaxed),
        }
    }

    /// Whether the calling thread has a connection of this client now.
    pub fn has_thread_connection(self: &Arc<Self>) -> bool {
        self.slot_conn()
            .is_some_and(|c| !c.broken.get() && !c.closer.closed.load(Ordering::SeqCst))
    }

    fn endpoint(&self) -> String {
        self.config.endpoint.to_string()
    }

    fn register(&self, closer: &Arc<Closer>) {
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        live.retain(|w| w.strong_count() > 0);
        live.push(Arc::downgrade(closer));
    }

    fn new_conn(
        &self,
        stream: Stream,
        from_client: bool,
        limited: bool,
    ) -> Result<PinnedConn, std::io::Error> {
        let closer = Arc::new(Closer {
            stream: clone_stream(&stream)?,
            pid: std::process::id(),
            from_client,
            closed: AtomicBool::new(false),
        });
        self.register(&closer);
        let local_port = stream.local_port();
        Ok(PinnedConn {
            io: RefCell::new(Channel::new(stream, limited)),
            closer,
            epoch: self.epoch.load(Ordering::SeqCst),
            from_client,
            local_port,
            depth: Cell::new(0),
            broken: Cell::new(false),
            heard: Cell::new(false),
        })
    }

    /// This thread's connection of this client, if any (forgets those of clients that are gone).
    fn slot_conn(self: &Arc<Self>) -> Option<Rc<PinnedConn>> {
        SLOTS
            .try_with(|slots| {
                let mut slots = slots.try_borrow_mut().ok()?;
                slots.retain(|s| s.alive.strong_count() > 0);
                slots
                    .iter()
                    .find(|s| s.owner == self.id)
                    .map(|s| s.conn.clone())
            })
            .ok()
            .flatten()
    }

    /// Makes `conn` this thread's connection of this client; returns the one it replaces.
    fn set_slot(self: &Arc<Self>, conn: Option<Rc<PinnedConn>>) -> Option<Rc<PinnedConn>> {
        SLOTS
            .try_with(|slots| {
                let mut slots = slots.try_borrow_mut().ok()?;
                let old = slots
                    .iter()
                    .position(|s| s.owner == self.id)
                    .map(|i| slots.swap_remove(i).conn);
                if let Some(conn) = conn {
                    slots.push(Slot {
                        owner: self.id,
                        alive: Arc::downgrade(self),
                        conn,
                    });
                }
                old
            })
            .ok()
            .flatten()
    }

    /// Stops using `conn`: marks it broken, takes it out of this thread's slot, closes it.
    fn drop_conn(self: &Arc<Self>, conn: &Rc<PinnedConn>) {
        conn.broken.set(true);
        if self.slot_conn().is_some_and(|c| Rc::ptr_eq(&c, conn)) {
            let old = self.set_slot(None);
            drop(old);
        }
        conn.closer.close(false);
    }

    fn check_fork(&self) {
        let pid = std::process::id();
        if self.pid.swap(pid, Ordering::SeqCst) != pid {
            // In a forked child: the parent's connections are not ours to use or to close.
            self.epoch.fetch_add(1, Ordering::SeqCst);
            self.live
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        }
    }

    /// This thread's connection (opened now if it has none or its connection broke).
    fn thread_conn(self: &Arc<Self>) -> Result<(Rc<PinnedConn>, bool), ClientError> {
        self.check_fork();
        let epoch = self.epoch.load(Ordering::SeqCst);
        if let Some(c) = self.slot_conn() {
            let usable = !c.broken.get()
                && !c.closer.closed.load(Ordering::SeqCst)
                && (c.epoch == epoch || !c.from_client);
            if usable || c.depth.get() > 0 {
                // A connection in the middle of a conversation is used even if it broke: the
                // failure is this call's to report.
                return Ok((c, false));
            }
            self.drop_conn(&c);
        }
        let conn = Rc::new(self.connect()?);
        let replaced = self.set_slot(Some(conn.clone()));
        drop(replaced);
        Ok((conn, true))
    }

    /// Opens a connection to Java for this thread and authenticates.
    fn connect(&self) -> Result<PinnedConn, ClientError> {
        let endpoint = self.endpoint();
        let connect_error = |source| ClientError::Connect {
            endpoint: endpoint.clone(),
            source,
        };
        let stream = self
            .config
            .endpoint
            .connect(self.config.connect_timeout.or(self.config.read_timeout))
            .map_err(connect_error)?;
        let slice = match self.config.read_timeout {
            Some(t) if !t.is_zero() && t < self.config.wait_slice => t,
            _ => self.config.wait_slice,
        };
        stream
            .set_read_timeout(Some(slice))
            .map_err(connect_error)?;
        let conn = self.new_conn(stream, true, false).map_err(connect_error)?;
        self.opened.fetch_add(1, Ordering::Relaxed);
        if let Some(token) = &self.config.auth_token {
            let mut out = Vec::with_capacity(token.len() + 4);
            encode_command(
                &Command::Auth {
                    token: token.clone(),
                },
                &mut out,
            );
            let auth_error = |detail: String| ClientError::Auth {
                endpoint: endpoint.clone(),
                detail,
            };
            let mut io = conn.io.borrow_mut();
            io.write_all(&out)
                .map_err(|_| auth_error("the gateway closed the connection".into()))?;
            let deadline = self.config.read_timeout.map(|t| Instant::now() + t);
            match io.next(true, deadline, &mut || false) {
                Wait::Message(Incoming::Reply(Reply::Success(_)), _) => {}
                Wait::Message(Incoming::Reply(_), raw) => {
                    return Err(auth_error(raw.unwrap_or_default()));
                }
                _ => return Err(auth_error("the gateway closed the connection".into())),
            }
        }
        Ok(conn)
    }

    /// Sends one encoded command on this thread's connection and returns its reply; Java's
    /// calls that arrive meanwhile run here, in this thread. See `Client::request`.
    pub(crate) fn request(
        self: &Arc<Self>,
        command: &[u8],
        options: Options,
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Result<Response, ClientError> {
        let (conn, fresh) = self.thread_conn()?;
        match self.exchange(&conn, command, 1, options.raw, interrupted, &mut |_| {}) {
            Ok(Some(r)) => {
                if matches!(r.reply, Reply::Fatal(_)) {
                    self.drop_conn(&conn);
                }
                Ok(r)
            }
            Ok(None) => Err(ClientError::Closed {
                endpoint: self.endpoint(),
            }),
            Err(e) => {
                let stale = !fresh
                    && conn.from_client
                    && conn.depth.get() == 0
                    && !conn.heard.get()
                    && matches!(e, ClientError::Send { .. } | ClientError::Closed { .. });
                let port = conn.local_port;
                self.drop_conn(&conn);
                if matches!(e, ClientError::Interrupted | ClientError::Timeout { .. }) {
                    self.cancel(port);
                    return Err(e);
                }
                if stale && options.retry {
                    let (conn, _) = self.thread_conn()?;
                    let again =
                        self.exchange(&conn, command, 1, options.raw, interrupted, &mut |_| {});
                    return match again {
                        Ok(Some(r)) => Ok(r),
                        Ok(None) => Err(ClientError::Closed {
                            endpoint: self.endpoint(),
                        }),
                        Err(e) => {
                            self.drop_conn(&conn);
                            Err(e)
                        }
                    };
                }
                Err(e)
            }
        }
    }

    /// Sends `count` encoded commands in one write on this thread's connection and returns
    /// every reply.
    pub(crate) fn request_many(
        self: &Arc<Self>,
        commands: &[u8],
        count: usize,
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Result<Vec<Response>, ClientError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let (conn, _) = self.thread_conn()?;
        let mut out = Vec::with_capacity(count);
        match self.exchange(&conn, commands, count, false, interrupted, &mut |r| {
            out.push(r)
        }) {
            Ok(last) => {
                out.extend(last);
                if out.iter().any(|r| matches!(r.reply, Reply::Fatal(_))) {
                    self.drop_conn(&conn);
                }
                Ok(out)
            }
            Err(e) => {
                let port = conn.local_port;
                self.drop_conn(&conn);
                if matches!(e, ClientError::Interrupted | ClientError::Timeout { .. }) {
                    self.cancel(port);
                }
                Err(e)
            }
        }
    }

    fn busy(&self) -> ClientError {
        ClientError::Protocol {
            endpoint: self.endpoint(),
            source: ProtocolError::BadReply(
                "this thread's connection is in use by the code that was interrupted (a signal \
                 handler called Java while the thread was reading from Java)"
                    .into(),
            ),
        }
    }

    /// Writes `command` (holding `count` commands) and reads until `count` replies came, running
    /// Java's calls in between. Every reply but the last goes to `sink`; the last is returned.
    fn exchange(
        &self,
        conn: &Rc<PinnedConn>,
        command: &[u8],
        count: usize,
        raw: bool,
        interrupted: &mut dyn FnMut() -> bool,
        sink: &mut dyn FnMut(Response),
    ) -> Result<Option<Response>, ClientError> {
        let endpoint = || self.endpoint();
        conn.heard.set(false);
        {
            let mut io = conn.io.try_borrow_mut().map_err(|_| self.busy())?;
            io.write_all(command).map_err(|source| ClientError::Send {
                endpoint: endpoint(),
                source,
            })?;
        }
        self.commands.fetch_add(count as u64, Ordering::Relaxed);
        if command.starts_with(b"m\nd\n") {
            self.releases.fetch_add(1, Ordering::Relaxed);
        }
        let _depth = Depth::enter(conn);
        let mut left = count;
        loop {
            let deadline = self.config.read_timeout.map(|t| Instant::now() + t);
            let wait = {
                let mut io = conn.io.try_borrow_mut().map_err(|_| self.busy())?;
                io.next(raw, deadline, interrupted)
            };
            match wait {
                Wait::Message(Incoming::Reply(reply), raw_line) => {
                    conn.heard.set(true);
                    left -= 1;
                    let response = Response {
                        reply,
                        raw: raw_line,
                    };
                    if left == 0 {
                        return Ok(Some(response));
                    }
                    sink(response);
                }
                Wait::Message(Incoming::Callback(cmd), _) => {
                    conn.heard.set(true);
                    let mut out = Vec::with_capacity(64);
                    self.dispatch(cmd, &mut out);
                    let mut io = conn.io.try_borrow_mut().map_err(|_| self.busy())?;
                    io.write_all(&out).map_err(|source| ClientError::Send {
                        endpoint: endpoint(),
                        source,
                    })?;
                }
                Wait::Message(Incoming::Command(_), _) => {
                    return Err(ClientError::Protocol {
                        endpoint: endpoint(),
                        source: ProtocolError::BadReply("a command for the Java side".into()),
                    });
                }
                Wait::Closed => {
                    return Err(ClientError::Closed {
                        endpoint: endpoint(),
                    });
                }
                Wait::TimedOut => {
                    return Err(ClientError::Timeout {
                        endpoint: endpoint(),
                        timeout: self.config.read_timeout.unwrap_or_default(),
                    });
                }
                Wait::Interrupted => return Err(ClientError::Interrupted),
                Wait::Failed(source) => {
                    return Err(ClientError::Receive {
                        endpoint: endpoint(),
                        source,
                    });
                }
                Wait::Bad(source) => {
                    return Err(ClientError::Protocol {
                        endpoint: endpoint(),
                        source,
                    });
                }
            }
        }
    }

    /// Runs one of Java's commands with the handler (or answers an error without one).
    fn dispatch(&self, cmd: ferry_protocol::CallbackCommand, out: &mut Vec<u8>) {
        self.callbacks.fetch_add(1, Ordering::Relaxed);
        let handler = self
            .handler
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match handler {
            Some(h) => {
                // The connection stays open even if the handler cannot run more commands: the
                // thread that waits on it decides.
                let _ = h.handle(cmd, out);
            }
            None => out.extend_from_slice(ERROR_REPLY),
        }
    }

    /// Serves a connection Java opened to the Python side's server, in the calling thread, until
    /// it ends: Java's commands run here, and this thread's calls to Java meanwhile go over this
    /// connection.
    pub fn serve(
        self: &Arc<Self>,
        connection: &crate::callback::Connection,
        options: &ServeOptions,
    ) -> ServeEnd {
        let Some(stream) = connection.take_stream() else {
            return ServeEnd::Closed;
        };
        let read_timeout = options.read_timeout.filter(|t| !t.is_zero());
        if let Err(e) = stream.set_read_timeout(read_timeout) {
            return ServeEnd::Io(e);
        }
        let conn = match self.new_conn(Stream::Tcp(stream), false, options.auth_token.is_some()) {
            Ok(c) => Rc::new(c),
            Err(e) => return ServeEnd::Io(e),
        };
        self.served.fetch_add(1, Ordering::Relaxed);
        let end = self.serve_conn(&conn, options, read_timeout);
        conn.broken.set(true);
        conn.closer.close(end.resets());
        end
    }

    fn serve_conn(
        self: &Arc<Self>,
        conn: &Rc<PinnedConn>,
        options: &ServeOptions,
        read_timeout: Option<std::time::Duration>,
    ) -> ServeEnd {
        if let Some(token) = &options.auth_token {
            let result = match conn.io.try_borrow_mut() {
                Ok(mut io) => authenticate_peer(&mut io, token, read_timeout),
                Err(_) => Err(ServeEnd::Protocol("connection in use".into())),
            };
            if let Err(end) = result {
                return end;
            }
        }
        // This thread's calls to Java now travel over this connection.
        let previous = self.set_slot(Some(conn.clone()));
        let end = loop {
            let deadline = read_timeout.map(|t| Instant::now() + t);
            let wait = match conn.io.try_borrow_mut() {
                Ok(mut io) => io.next(false, deadline, &mut || false),
                Err(_) => break ServeEnd::Protocol("connection in use".into()),
            };
            match wait {
                Wait::Message(Incoming::Callback(cmd), _) => {
                    let mut out = Vec::with_capacity(64);
                    self.dispatch(cmd, &mut out);
                    let written = match conn.io.try_borrow_mut() {
                        Ok(mut io) => io.write_all(&out),
                        Err(_) => break ServeEnd::Protocol("connection in use".into()),
                    };
                    if let Err(e) = written {
                        break ServeEnd::Io(e);
                    }
                    if conn.broken.get() {
                        // A nested call failed on this connection: the conversation is over.
                        break ServeEnd::Closed;
                    }
                }
                Wait::Bad(e) => {
                    if let Ok(mut io) = conn.io.try_borrow_mut() {
                        let _ = io.write_all(ERROR_REPLY);
                    }
                    break ServeEnd::Protocol(e.to_string());
                }
                Wait::Message(other, raw) => {
                    if let Ok(mut io) = conn.io.try_borrow_mut() {
                        let _ = io.write_all(ERROR_REPLY);
                    }
                    break wait_end(Wait::Message(other, raw));
                }
                other => break wait_end(other),
            }
        };
        let mine = self.set_slot(previous);
        drop(mine);
        end
    }

    /// Closes the connections Python threads opened (a thread's next call opens a new one).
    /// Connections Java opened stay: the server closes those. The calling thread's connection
    /// is let go of at once; other threads let go of theirs at their next call or when they end.
    pub fn close_all(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.forget_own_slot();
        let live: Vec<Arc<Closer>> = self
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for c in live {
            if c.from_client {
                c.close(false);
            }
        }
    }

    /// Drops the calling thread's connection of this client if no exchange is in progress on it
    /// (a connection in use stays with the code using it).
    fn forget_own_slot(&self) {
        let id = self.id;
        let taken = SLOTS
            .try_with(|slots| {
                let mut slots = slots.try_borrow_mut().ok()?;
                let i = slots
                    .iter()
                    .position(|s| s.owner == id && s.conn.depth.get() == 0 && s.conn.from_client)?;
                Some(slots.swap_remove(i))
            })
            .ok()
            .flatten();
        drop(taken);
    }

    /// Asks Java to stop the call running on the connection whose local port is `port` (Py4J's
    /// cancel command, on a fresh connection). Best effort.
    fn cancel(&self, port: Option<u16>) {
        let Some(port) = port else { return };
        let address = match &self.config.endpoint {
            Endpoint::Tcp { host, .. } => host.clone(),
            Endpoint::Unix(_) => return,
        };
        let mut out = Vec::with_capacity(32);
        encode_command(
            &Command::Cancel {
                address,
                remote_port: port.to_string(),
                local_port: "-1".into(),
            },
            &mut out,
        );
        let counters = Arc::new(Counters::default());
        if let Ok(mut conn) = Connection::open(&self.config, counters.clone(), counters) {
            let _ = conn.send_only(&out);
            conn.close();
        }
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        self.forget_own_slot();
        let live: Vec<Arc<Closer>> = self
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .filter_map(|w| w.upgrade())
            .collect();
        for c in live {
            if c.from_client {
                c.close(false);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Client, Config, Endpoint};

    #[test]
    fn a_fork_holds_the_pinned_modes_locks_until_it_is_over() {
        let client = Client::pinned_threads(Config::new(Endpoint::from_address("127.0.0.1", 9)));
        let pinned = client.pinned().expect("the pinned mode").clone();
        crate::fork::prepare();
        let held = pinned.live.try_lock().is_err() && pinned.handler.try_lock().is_err();
        crate::fork::finish();
        assert!(held, "prepare left a lock of the pinned mode free");
        assert!(pinned.live.try_lock().is_ok() && pinned.handler.try_lock().is_ok());
    }
}
