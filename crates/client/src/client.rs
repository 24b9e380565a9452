//! The client: a pool of connections to one gateway, the release queue and its flusher thread.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use ferry_protocol::text::encode_command;
use ferry_protocol::{Command, Reply};

use crate::callback_pinned::Pinned;
use crate::config::Config;
use crate::connection::{Connection, ConnectionStats, Counters, Response};
use crate::endpoint::Endpoint;
use crate::error::ClientError;
use crate::release::{Queued, ReleaseQueue, is_permanent};

/// How long closing a client waits for its last releases to be acknowledged.
const CLOSE_FLUSH_LIMIT: Duration = Duration::from_secs(1);

/// A connection as the pool keeps it: boxed, so that handing it from the pool to a request and
/// back moves a pointer, not the connection and its buffers' bookkeeping.
type Conn = Box<Connection>;

/// A client of one gateway. Cheap to clone; clones share the pool.
///
/// Calls from several threads run on several connections at once, as py4j's `GatewayClient`
/// does: a call takes an idle connection from the pool (or opens one) and gives it back after the
/// reply. A client used in a forked child never touches its parent's sockets: the child's first
/// call opens its own connection.
#[derive(Debug, Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Pool {
    idle: Vec<Conn>,
    pid: u32,
}

#[derive(Debug)]
pub(crate) struct Shared {
    config: Config,
    pool: Mutex<Pool>,
    releases: Arc<ReleaseQueue>,
    totals: Arc<Counters>,
    registry: Mutex<Vec<Weak<Counters>>>,
    connected: AtomicBool,
    opened: AtomicU64,
    /// The host calls [`Client::after_fork`] in every forked child (see
    /// [`Client::set_forks_reported`]): requests skip the process-id check.
    forks_reported: AtomicBool,
    /// Pinned-thread mode: calls go over the calling thread's own connection.
    pinned: Option<Arc<Pinned>>,
}

/// Counters of a whole client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Commands written on every connection, releases included.
    pub commands: u64,
    /// `m d` release commands among them.
    pub releases: u64,
    /// Writes that waited for replies.
    pub round_trips: u64,
    /// Connections opened so far (cancel connections included).
    pub connections_opened: u64,
    /// Idle connections in the pool now.
    pub idle_connections: usize,
    /// Distinct Java ids this process holds handles on.
    pub held_references: usize,
    /// Releases queued and not yet sent.
    pub pending_releases: usize,
}

/// How one request is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Keep the reply's text in [`Response::raw`] (py4j's `send_command` returns it).
    pub raw: bool,
    /// Replace a pooled connection found closed by a fresh one, once (py4j's `retry`).
    pub retry: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            raw: false,
            retry: true,
        }
    }
}

/// A handle on a Java object id: while it lives the id stays bound on the Java side (as far as
/// this client is concerned); dropping the last handle on an id queues its release.
#[derive(Debug)]
pub struct Retained {
    shared: Option<Arc<Shared>>,
    id: String,
}

impl Retained {
    /// The id held.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl Drop for Retained {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            let batch = shared.config.release_batch;
            if shared.releases.release(&self.id, batch) == Queued::StartFlusher {
                shared.start_flusher();
            }
        }
    }
}

impl Client {
    /// A client with these settings. Nothing is opened until the first request.
    pub fn new(config: Config) -> Client {
        Client::build(config, None)
    }

    /// A client in the pinned-thread mode (Py4J's `ClientServer`): every thread calls over a
    /// connection of its own, kept for the thread's life, and Java's calls that arrive on it
    /// while the thread waits run in that thread (through the handler set with
    /// [`Pinned::set_handler`]). Reference releases and stream commands still use pooled
    /// connections, never a thread's.
    pub fn pinned_threads(config: Config) -> Client {
        let pinned = Arc::new(Pinned::new(config.clone()));
        Client::build(config, Some(pinned))
    }

    /// The pinned-thread connections, in the pinned-thread mode.
    pub fn pinned(&self) -> Option<&Arc<Pinned>> {
        self.shared.pinned.as_ref()
    }

    fn build(config: Config, pinned: Option<Arc<Pinned>>) -> Client {
        Client {
            shared: Arc::new(Shared {
                config,
                pool: Mutex::new(Pool {
                    idle: Vec::new(),
                    pid: std::process::id(),
                }),
                releases: Arc::new(ReleaseQueue::default()),
                totals: Arc::new(Counters::default()),
                registry: Mutex::new(Vec::new()),
                connected: AtomicBool::new(true),
                opened: AtomicU64::new(0),
                forks_reported: AtomicBool::new(false),
                pinned,
            }),
        }
    }

    /// A client of a gateway at `endpoint`, with the default settings.
    pub fn connect_to(endpoint: Endpoint) -> Client {
        Client::new(Config::new(endpoint))
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Sends one encoded command (text protocol, ending with its line end) and returns its reply.
    /// Releases waiting in the queue go first, in the same write.
    ///
    /// `options.raw` keeps the reply's text in [`Response::raw`]. `interrupted` is asked every wait slice
    /// and when a signal interrupts the wait; when it answers true the connection is dropped, the
    /// gateway is asked to cancel the call (Py4J's `z` command, on a fresh connection) and the
    /// request ends with [`ClientError::Interrupted`]. A read timeout ends the same way, with
    /// [`ClientError::Timeout`].
    ///
    /// A connection taken from the pool that turns out to be closed (nothing was received) is
    /// replaced once by a fresh one, as py4j retries (unless `options.retry` is false).
    pub fn request(
        &self,
        command: &[u8],
        options: Options,
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Result<Response, ClientError> {
        if let Some(pinned) = &self.shared.pinned {
            self.shared.check_connected()?;
            return pinned.request(command, options, interrupted);
        }
        let conn = self.shared.checkout()?;
        let (conn, response) = self.shared.exchange(conn, command, options, interrupted)?;
        if matches!(response.reply, Reply::Fatal(_)) {
            self.shared.discard(conn);
        } else {
            self.shared.checkin(conn);
        }
        Ok(response)
    }

    /// Sends `count` encoded commands in one write (pipelined: Py4J's server answers them in
    /// order) and returns every reply. Releases waiting in the queue go first.
    ///
    /// Keep batches to a few hundred commands: the gateway writes replies while this client is
    /// still writing, and a batch whose replies outgrow the socket buffers would stall both.
    pub fn request_many(
        &self,
        commands: &[u8],
        count: usize,
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Result<Vec<Response>, ClientError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        if let Some(pinned) = &self.shared.pinned {
            self.shared.check_connected()?;
            return pinned.request_many(commands, count, interrupted);
        }
        let conn = self.shared.checkout()?;
        let mut out = Vec::with_capacity(count);
        let result = self.shared.exchange_with(
            conn,
            commands,
            count,
            Options::default(),
            interrupted,
            &mut |r| out.push(r),
        );
        let conn = result?;
        if out.iter().any(|r| matches!(r.reply, Reply::Fatal(_))) {
            self.shared.discard(conn);
        } else {
            self.shared.checkin(conn);
        }
        Ok(out)
    }

    /// Sends a command (see [`Client::request`]) with no interrupt check.
    pub fn send(&self, command: &Command) -> Result<Response, ClientError> {
        let mut out = Vec::with_capacity(64);
        encode_command(command, &mut out);
        self.request(&out, Options::default(), &mut || false)
    }

    /// Sends a stream command (`S`): on success the connection is handed over to the returned
    /// reader, which yields the raw bytes that follow the reply and closes the connection when
    /// dropped.
    pub fn request_stream(
        &self,
        command: &[u8],
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Result<(Response, Option<StreamReader>), ClientError> {
        let conn = self.shared.checkout()?;
        let options = Options {
            raw: true,
            retry: true,
        };
        let (mut conn, response) = self.shared.exchange(conn, command, options, interrupted)?;
        if response.reply.is_error() {
            if matches!(response.reply, Reply::Fatal(_)) {
                self.shared.discard(conn);
            } else {
                self.shared.checkin(conn);
            }
            return Ok((response, None));
        }
        let pending = conn.take_buffered();
        Ok((
            response,
            Some(StreamReader {
                conn: Some(conn),
                pending,
            }),
        ))
    }

    /// A handle on `id`: the id is released when the last handle on it is dropped. Permanent ids
    /// (the entry point `t`, `GATEWAY_SERVER`) and clients without memory management give
    /// handles that release nothing.
    pub fn retain(&self, id: &str) -> Retained {
        if !self.shared.config.memory_management || is_permanent(id) {
            return Retained {
                shared: None,
                id: id.to_owned(),
            };
        }
        self.shared.check_fork_unless_reported();
        self.shared.releases.retain(id);
        Retained {
            shared: Some(self.shared.clone()),
            id: id.to_owned(),
        }
    }

    /// Releases `id` now, whatever handles remain (py4j's `detach`); the release goes with the
    /// next command or within the release delay.
    pub fn detach(&self, id: &str) {
        if is_permanent(id) || !self.shared.config.memory_management {
            return;
        }
        self.shared.check_fork_unless_reported();
        if self
            .shared
            .releases
            .detach(id, self.shared.config.release_batch)
            == Queued::StartFlusher
        {
            self.shared.start_flusher();
        }
    }

    /// Sends every queued release now and waits for the acknowledgements.
    pub fn flush_releases(&self) -> Result<(), ClientError> {
        self.shared.flush(None)
    }

    /// Sends the queued releases and closes the idle connections. The client stays usable: the
    /// next request opens a connection again (py4j's `GatewayClient.close`).
    pub fn close(&self) {
        let _ = self.shared.flush(Some(Instant::now() + CLOSE_FLUSH_LIMIT));
        self.shared.close_idle();
    }

    /// Asks the gateway to shut down (Py4J's `s` command: the whole server stops, for every
    /// client), then closes every connection. The client opens no more connections.
    pub fn shutdown_server(&self) -> Result<(), ClientError> {
        let result = (|| {
            let mut conn = self.shared.checkout()?;
            let sent = conn.send_only(b"s\n");
            conn.close();
            sent
        })();
        self.shared.connected.store(false, Ordering::SeqCst);
        self.shared.close_idle();
        result
    }

    /// Lets the client open connections again (`true`), or stops it without telling the
    /// gateway (`false`): idle connections are closed, requests fail with
    /// [`ClientError::NotConnected`] and queued releases are dropped.
    pub fn set_connected(&self, connected: bool) {
        self.shared.connected.store(connected, Ordering::SeqCst);
        if !connected {
            self.shared.close_idle();
        }
    }

    /// Whether the client may still open connections (false after [`Client::shutdown_server`]).
    pub fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::SeqCst)
    }

    /// Opens a connection now if the pool has none, to check that the gateway answers the
    /// connection (and the token). Used by py4j's "connect eagerly" idioms.
    pub fn ensure_connection(&self) -> Result<(), ClientError> {
        let conn = self.shared.checkout()?;
        self.shared.checkin(conn);
        Ok(())
    }

    /// The client's counters.
    pub fn stats(&self) -> ClientStats {
        let t = self.shared.totals.snapshot();
        let (held, pending) = self.shared.releases.counts();
        ClientStats {
            commands: t.commands,
            releases: t.releases,
            round_trips: t.round_trips,
            connections_opened: self.shared.opened.load(Ordering::Relaxed),
            idle_connections: self.shared.lock_pool().idle.len(),
            held_references: held,
            pending_releases: pending,
        }
    }

    /// The counters of each open connection (idle or in use), oldest first.
    pub fn connection_stats(&self) -> Vec<ConnectionStats> {
        let mut reg = self
            .shared
            .registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        reg.retain(|w| w.strong_count() > 0);
        reg.iter()
            .filter_map(Weak::upgrade)
            .map(|c| c.snapshot())
            .collect()
    }

    /// Forgets the parent's connections and references after a fork. Called automatically on the
    /// child's first request; hosts that learn of forks (Python's `os.register_at_fork`) call it
    /// at once.
    pub fn after_fork(&self) {
        self.shared.check_fork();
    }

    /// Tells the client that its host calls [`Client::after_fork`] in every forked child before
    /// the child uses the client (Python's `os.register_at_fork` does): requests, handles and
    /// releases then skip the check of the process id, a system call each. Without it (the
    /// default) every request compares the process id.
    pub fn set_forks_reported(&self, reported: bool) {
        self.shared
            .forks_reported
            .store(reported, Ordering::Relaxed);
    }

    /// Whether the host reports forks (see [`Client::set_forks_reported`]).
    pub fn forks_reported(&self) -> bool {
        self.shared.forks_reported.load(Ordering::Relaxed)
    }
}

impl Shared {
    fn lock_pool(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// In a forked child: drop the parent's connections without shutting them down, and forget
    /// its references.
    fn check_fork(&self) {
        let pid = std::process::id();
        let mut pool = self.lock_pool();
        if pool.pid != pid {
            pool.pid = pid;
            // Connection::close knows the socket belongs to another process and only closes
            // this process's descriptor.
            for c in pool.idle.drain(..) {
                c.close();
            }
            drop(pool);
            self.releases.reset_after_fork();
        }
    }

    /// [`Shared::check_fork`], unless the host reports forks (then it already ran in a child).
    fn check_fork_unless_reported(&self) {
        if !self.forks_reported.load(Ordering::Relaxed) {
            self.check_fork();
        }
    }

    fn checkout(&self) -> Result<Conn, ClientError> {
        if !self.connected.load(Ordering::SeqCst) {
            return Err(ClientError::NotConnected);
        }
        if self.forks_reported.load(Ordering::Relaxed) {
            // A child has run `after_fork` before getting here: the idle connections are its own.
            if let Some(c) = self.lock_pool().idle.pop() {
                return Ok(c);
            }
        } else {
            let pid = std::process::id();
            let mut pool = self.lock_pool();
            if pool.pid == pid {
                if let Some(c) = pool.idle.pop() {
                    return Ok(c);
                }
            }
        }
        self.check_fork();
        self.open()
    }

    fn open(&self) -> Result<Conn, ClientError> {
        let counters = Arc::new(Counters::default());
        let conn = Box::new(Connection::open(
            &self.config,
            counters.clone(),
            self.totals.clone(),
        )?);
        self.opened.fetch_add(1, Ordering::Relaxed);
        self.registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(&counters));
        Ok(conn)
    }

    fn checkin(&self, conn: Conn) {
        // The connection was checked out (or opened) in this process: `checkout` compares the
        // pid, so no second system call is needed here.
        let mut pool = self.lock_pool();
        if self.connected.load(Ordering::SeqCst) {
            pool.idle.push(conn);
        } else {
            drop(pool);
            conn.close();
        }
    }

    // Connections travel boxed between the pool and requests; unboxing here would copy one.
    #[allow(clippy::boxed_local)]
    fn discard(&self, conn: Conn) {
        conn.close();
    }

    fn close_idle(&self) {
        let idle: Vec<Conn> = self.lock_pool().idle.drain(..).collect();
        for c in idle {
            c.close();
        }
        if let Some(pinned) = &self.pinned {
            pinned.close_all();
        }
    }

    fn check_connected(&self) -> Result<(), ClientError> {
        if self.connected.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(ClientError::NotConnected)
        }
    }

    /// Writes the queued releases (up to a batch) and `command` on `conn`, and reads the replies.
    /// Handles the one retry on a stale pooled connection, interrupts and timeouts (cancel).
    fn exchange(
        &self,
        conn: Conn,
        command: &[u8],
        options: Options,
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Result<(Conn, Response), ClientError> {
        let mut last = None;
        let conn = self.exchange_with(conn, command, 1, options, interrupted, &mut |r| {
            last = Some(r)
        })?;
        match last {
            Some(r) => Ok((conn, r)),
            None => unreachable_reply(conn),
        }
    }

    /// [`Shared::exchange`] for `count` commands, each reply handed to `sink`.
    fn exchange_with(
        &self,
        mut conn: Conn,
        commands: &[u8],
        count: usize,
        options: Options,
        interrupted: &mut dyn FnMut() -> bool,
        sink: &mut dyn FnMut(Response),
    ) -> Result<Conn, ClientError> {
        let ids = if self.config.memory_management {
            self.releases.take(self.config.release_batch)
        } else {
            Vec::new()
        };
        // With releases to send, they go first in the same write; without, the command is
        // written as it is (no copy).
        let with_releases;
        let request: &[u8] = if ids.is_empty() {
            commands
        } else {
            let mut buf = Vec::with_capacity(commands.len() + ids.len() * 12);
            encode_releases(&ids, &mut buf);
            buf.extend_from_slice(commands);
            with_releases = buf;
            &with_releases
        };
        let mut retried = false;
        loop {
            let mut delivered = false;
            let result = conn.exchange_with(
                request,
                ids.len() + count,
                ids.len(),
                options.raw,
                interrupted,
                &mut |r| {
                    delivered = true;
                    sink(r)
                },
            );
            match result {
                Ok(()) => return Ok(conn),
                Err(e) => {
                    let stale = conn.reused
                        && !conn.received_any()
                        && !delivered
                        && matches!(e, ClientError::Send { .. } | ClientError::Closed { .. });
                    let port = conn.local_port;
                    self.discard(conn);
                    if matches!(e, ClientError::Interrupted | ClientError::Timeout { .. }) {
                        self.cancel(port);
                        return Err(e);
                    }
                    if stale && options.retry && !retried {
                        retried = true;
                        conn = self.open()?;
                        continue;
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Asks the gateway to close its end of the connection whose local port is `port` (and so to
    /// stop the call running there), on a fresh connection. Best effort.
    ///
    /// Py4J's server closes every connection whose remote port equals the second line or whose
    /// local port equals the third; the third line is `-1` so that only the interrupted
    /// connection matches.
    fn cancel(&self, port: Option<u16>) {
        let Some(port) = port else { return };
        if !self.connected.load(Ordering::SeqCst) {
            return;
        }
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
        if let Ok(mut conn) = self.open() {
            let _ = conn.send_only(&out);
            conn.close();
        }
    }

    /// Sends the queued releases, a batch per write, until the queue is empty. With a deadline,
    /// the wait for acknowledgements ends there.
    fn flush(&self, deadline: Option<Instant>) -> Result<(), ClientError> {
        loop {
            let ids = self.releases.take(self.config.release_batch);
            if ids.is_empty() {
                return Ok(());
            }
            self.send_releases(ids, deadline)?;
        }
    }

    /// Writes a batch of releases on an idle connection (or a new one) and reads the replies.
    fn send_releases(
        &self,
        ids: Vec<String>,
        deadline: Option<Instant>,
    ) -> Result<(), ClientError> {
        let mut conn = match self.checkout() {
            Ok(c) => c,
            Err(e) => {
                if !e.is_gateway_gone() && !matches!(e, ClientError::NotConnected) {
                    self.releases.put_back(ids);
                }
                return Err(e);
            }
        };
        let mut request = Vec::with_capacity(ids.len() * 12);
        encode_releases(&ids, &mut request);
        if deadline.is_some() {
            conn.set_write_timeout(Some(CLOSE_FLUSH_LIMIT));
        }
        let mut past_deadline = || deadline.is_some_and(|d| Instant::now() >= d);
        let n = ids.len();
        match conn.exchange_with(&request, n, n, false, &mut past_deadline, &mut |_| {}) {
            Ok(_) => {
                conn.set_write_timeout(None);
                self.checkin(conn);
                Ok(())
            }
            Err(e) => {
                self.discard(conn);
                Err(e)
            }
        }
    }

    fn start_flusher(self: &Arc<Shared>) {
        let weak = Arc::downgrade(self);
        let queue = self.releases.clone();
        let delay = self.config.release_delay;
        let batch = self.config.release_batch;
        let spawned = std::thread::Builder::new()
            .name("ferry-release".into())
            .spawn(move || {
                while let Some(ids) = queue.wait_batch(delay, batch) {
                    let Some(shared) = weak.upgrade() else { return };
                    // A gateway that is gone cannot take releases; they are dropped.
                    let _ = shared.send_releases(ids, None);
                }
            });
        if spawned.is_err() {
            // No thread: the releases still go with the next command.
            self.releases.stop_flusher_flag();
        }
    }
}

/// A request of one command always yields one reply or an error; this is the error for the
/// impossible other case.
#[allow(clippy::boxed_local)]
fn unreachable_reply(conn: Conn) -> Result<(Conn, Response), ClientError> {
    conn.close();
    Err(ClientError::Closed {
        endpoint: "the gateway".into(),
    })
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.releases.stop();
        if self.lock_pool().pid == std::process::id() && self.connected.load(Ordering::SeqCst) {
            let _ = self.flush(Some(Instant::now() + CLOSE_FLUSH_LIMIT));
        }
        self.close_idle();
    }
}

fn encode_releases(ids: &[String], out: &mut Vec<u8>) {
    for id in ids {
        out.extend_from_slice(b"m\nd\n");
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(b"\ne\n");
    }
}

/// The raw bytes that follow a stream (`S`) reply. Dropping the reader closes its connection.
#[derive(Debug)]
pub struct StreamReader {
    conn: Option<Conn>,
    pending: Vec<u8>,
}

impl Read for StreamReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.conn.as_mut() {
            Some(c) => c.read_raw(buf, &mut self.pending),
            None => Ok(0),
        }
    }
}

impl StreamReader {
    /// Closes the connection now.
    pub fn close(&mut self) {
        if let Some(c) = self.conn.take() {
            c.close();
        }
    }
}

impl Drop for StreamReader {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_encoding_matches_the_protocol_crate() {
        let ids = vec!["o1".to_owned(), "o22".to_owned()];
        let mut ours = Vec::new();
        encode_releases(&ids, &mut ours);
        let mut theirs = Vec::new();
        for id in &ids {
            encode_command(&Command::MemoryDelete { id: id.clone() }, &mut theirs);
        }
        assert_eq!(ours, theirs);
    }
}
