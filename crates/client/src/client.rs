//! The client: a pool of connections to one gateway, the protocol it negotiated, the release
//! queue and its flusher thread.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use ferry_protocol::binary;
use ferry_protocol::text::encode_command;
use ferry_protocol::{Command, ProtocolError, Reply, Value};

use crate::callback_pinned::Pinned;
use crate::config::Config;
use crate::connection::{CancelTarget, Connection, ConnectionStats, Counters, Response, text_of};
use crate::endpoint::Endpoint;
use crate::error::ClientError;
use crate::mux::{Mux, MuxStats};
use crate::release::{Queued, ReleaseQueue, is_permanent};
use crate::wire::{self, Hole, Placer, Protocol, ProtocolChoice, ReplyFrame};

/// How long closing a client waits for its last releases to be acknowledged.
const CLOSE_FLUSH_LIMIT: Duration = Duration::from_secs(1);
/// How long an opener waiting for another thread's protocol probe sleeps before it looks again.
const PROBE_WAIT_SLICE: Duration = Duration::from_millis(50);

/// A connection as the pool keeps it: boxed, so that handing it from the pool to a request and
/// back moves a pointer, not the connection and its buffers' bookkeeping.
type Conn = Box<Connection>;

/// A client of one gateway. Cheap to clone; clones share the pool.
///
/// Calls from several threads run on several connections at once, as py4j's `GatewayClient`
/// does: a call takes an idle connection from the pool (or opens one) and gives it back after the
/// reply. A client used in a forked child never touches its parent's sockets: the child's first
/// call opens its own connection.
///
/// The protocol: with [`ProtocolChoice::Auto`] the first connection offers v2 (the hello line);
/// a Py4J gateway refuses it and that connection is reopened in v1. The answer is remembered: the
/// client's later connections speak it from the start (only the first socket probes).
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
    // The locks are shared (`Arc`) so that a fork can hold them by owned guards (see `fork`).
    pool: Arc<Mutex<Pool>>,
    releases: Arc<ReleaseQueue>,
    totals: Arc<Counters>,
    registry: Arc<Mutex<Vec<Weak<Counters>>>>,
    connected: AtomicBool,
    opened: AtomicU64,
    /// The protocol the gateway answered with (Auto), once known: its number, 0 while unknown.
    /// An atomic, not a lock: the multiplexed mode reads it on every call.
    negotiated: AtomicU8,
    /// The process whose thread probes the gateway's protocol now, if any: the first
    /// connection probes and concurrent openers wait for its answer (`probed`). A child forked
    /// during a probe sees its parent's id and probes itself: the prober is not in the child.
    probing: Arc<Mutex<Option<u32>>>,
    probed: Condvar,
    /// Hello lines the gateway refused (each followed by a v1 connection).
    refused_hellos: AtomicU64,
    /// The host calls [`Client::after_fork`] in every forked child (see
    /// [`Client::set_forks_reported`]): requests skip the process-id check.
    forks_reported: AtomicBool,
    /// Pinned-thread mode: calls go over the calling thread's own connection.
    pinned: Option<Arc<Pinned>>,
    /// Multiplexed mode: concurrent threads' calls combined on one connection.
    mux: Option<Mux>,
}

/// Counters of a whole client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Commands written on every connection, releases included.
    pub commands: u64,
    /// Ids released among them.
    pub releases: u64,
    /// Writes that waited for replies.
    pub round_trips: u64,
    /// Protocol v2 frames written.
    pub frames: u64,
    /// Connections opened so far (cancel connections included; a socket whose v2 hello was
    /// refused is counted in `refused_hellos` instead).
    pub connections_opened: u64,
    /// Idle connections in the pool now.
    pub idle_connections: usize,
    /// Distinct Java ids this process holds handles on.
    pub held_references: usize,
    /// Releases queued and not yet sent.
    pub pending_releases: usize,
    /// Hello lines (v2 offers) the gateway refused.
    pub refused_hellos: u64,
    /// The protocol negotiated (1 or 2), 0 while unknown.
    pub protocol: u8,
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

/// A connection taken from the pool for a request, encoded in its protocol. Dropping the lease
/// gives the connection back (or closes it, after a failure or a fatal reply).
#[derive(Debug)]
pub struct Lease {
    shared: Arc<Shared>,
    conn: Option<Conn>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.shared.checkin(conn);
        }
    }
}

impl Lease {
    /// The protocol of the connection: the request must be encoded in it.
    pub fn protocol(&self) -> Protocol {
        self.conn.as_ref().map_or(Protocol::V1, |c| c.protocol())
    }

    /// Sends whole v2 frames (requests and notices, written with [`wire::begin_frame`]; ids are
    /// assigned here) and hands the reply to each request to `sink`, in order. `commands` is
    /// how many commands the frames hold (for the counters). Releases waiting in the queue go
    /// first, as one release notice. A large reply body may go into a buffer `placer` chooses.
    ///
    /// Interrupts and timeouts drop the connection and cancel the call (by the HELLO's key); a
    /// pooled connection found closed is replaced once, as in [`Client::request`].
    pub fn request_frames(
        &mut self,
        frames: &mut [u8],
        commands: usize,
        options: Options,
        interrupted: &mut dyn FnMut() -> bool,
        placer: Option<&mut dyn Placer>,
        sink: &mut dyn FnMut(ReplyFrame),
    ) -> Result<(), ClientError> {
        self.request_frames_with(frames, &[], commands, options, interrupted, placer, sink)
    }

    /// [`Lease::request_frames`] with bytes written from where they are ([`Hole`]s), not
    /// copied into `frames`.
    #[allow(clippy::too_many_arguments)]
    pub fn request_frames_with(
        &mut self,
        frames: &mut [u8],
        holes: &[Hole<'_>],
        commands: usize,
        options: Options,
        interrupted: &mut dyn FnMut() -> bool,
        mut placer: Option<&mut dyn Placer>,
        sink: &mut dyn FnMut(ReplyFrame),
    ) -> Result<(), ClientError> {
        let Some(conn) = self.conn.take() else {
            return Err(ClientError::NotConnected);
        };
        let result = self.shared.exchange_frames(
            conn,
            frames,
            holes,
            commands,
            options,
            interrupted,
            wire::reborrow(&mut placer),
            sink,
        );
        match result {
            Ok((conn, fatal)) => {
                if fatal {
                    self.shared.discard(conn);
                } else {
                    self.conn = Some(conn);
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Sends text-protocol commands (`count` of them) on a v1 connection and hands each reply
    /// to `sink`. Releases waiting in the queue go first.
    pub fn request_text(
        &mut self,
        commands: &[u8],
        count: usize,
        options: Options,
        interrupted: &mut dyn FnMut() -> bool,
        sink: &mut dyn FnMut(Response),
    ) -> Result<(), ClientError> {
        let Some(conn) = self.conn.take() else {
            return Err(ClientError::NotConnected);
        };
        let mut fatal = false;
        let conn =
            self.shared
                .exchange_with(conn, commands, count, options, interrupted, &mut |r| {
                    fatal |= matches!(r.reply, Reply::Fatal(_));
                    sink(r)
                })?;
        if fatal {
            self.shared.discard(conn);
        } else {
            self.conn = Some(conn);
        }
        Ok(())
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
    /// connections, never a thread's. The pinned connections speak Py4J's text protocol.
    pub fn pinned_threads(config: Config) -> Client {
        let mut pinned_config = config.clone();
        pinned_config.protocol = ProtocolChoice::V1;
        let pinned = Arc::new(Pinned::new(pinned_config));
        Client::build(config, Some(pinned))
    }

    /// The pinned-thread connections, in the pinned-thread mode.
    pub fn pinned(&self) -> Option<&Arc<Pinned>> {
        self.shared.pinned.as_ref()
    }

    fn build(config: Config, pinned: Option<Arc<Pinned>>) -> Client {
        let config_multiplex = config.multiplex;
        let negotiated = match config.protocol {
            ProtocolChoice::V1 => Some(Protocol::V1),
            ProtocolChoice::Auto | ProtocolChoice::V2 => None,
        };
        let shared = Arc::new(Shared {
            config,
            pool: Arc::new(Mutex::new(Pool {
                idle: Vec::new(),
                pid: std::process::id(),
            })),
            releases: Arc::new(ReleaseQueue::default()),
            totals: Arc::new(Counters::default()),
            registry: Arc::new(Mutex::new(Vec::new())),
            connected: AtomicBool::new(true),
            opened: AtomicU64::new(0),
            negotiated: AtomicU8::new(negotiated.map_or(0, Protocol::number)),
            probing: Arc::new(Mutex::new(None)),
            probed: Condvar::new(),
            refused_hellos: AtomicU64::new(0),
            forks_reported: AtomicBool::new(false),
            mux: (config_multiplex && pinned.is_none()).then(Mux::default),
            pinned,
        });
        let locks: Arc<dyn crate::fork::ForkLocks> = shared.clone();
        crate::fork::register(Arc::downgrade(&locks));
        Client { shared }
    }

    /// A client of a gateway at `endpoint`, with the default settings.
    pub fn connect_to(endpoint: Endpoint) -> Client {
        Client::new(Config::new(endpoint))
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The protocol the pooled connections speak, once a connection told (`None` before the
    /// first connection, in `Auto`).
    pub fn protocol(&self) -> Option<Protocol> {
        self.shared.negotiated()
    }

    /// The protocol the pooled connections speak, opening a connection to learn it if needed.
    pub fn negotiate(&self) -> Result<Protocol, ClientError> {
        if let Some(p) = self.protocol() {
            return Ok(p);
        }
        let conn = self.shared.checkout()?;
        let p = conn.protocol();
        self.shared.checkin(conn);
        Ok(p)
    }

    /// A pooled connection for a request encoded by the caller (see [`Lease::protocol`]); opens
    /// one if none is idle.
    pub fn lease(&self) -> Result<Lease, ClientError> {
        let conn = self.shared.checkout()?;
        Ok(Lease {
            shared: self.shared.clone(),
            conn: Some(conn),
        })
    }

    /// An idle pooled connection, if there is one (never blocks on the network).
    pub fn lease_idle(&self) -> Option<Lease> {
        let conn = self.shared.checkout_idle()?;
        Some(Lease {
            shared: self.shared.clone(),
            conn: Some(conn),
        })
    }

    /// Whether concurrent threads' calls are combined on one connection ([`Config::multiplex`]).
    pub fn is_multiplexed(&self) -> bool {
        self.shared.mux.is_some()
    }

    /// In the multiplexed mode: sends one v2 request frame combined with the requests other
    /// threads make at the same time (one write, one read for all) and returns its reply.
    /// `None` when the call is not combined (the client is not multiplexed, the gateway speaks
    /// v1, the thread serves a call from Java, the frame is large): the caller then uses
    /// [`Client::lease`]. The thread that writes reads every reply of its write with its own
    /// `placer`, which must therefore place any thread's reply (hold no state of its caller).
    pub fn request_combined(
        &self,
        frame: &[u8],
        interrupted: &mut dyn FnMut() -> bool,
        placer: Option<&mut dyn Placer>,
    ) -> Option<Result<ReplyFrame, ClientError>> {
        let mux = self.shared.mux.as_ref()?;
        if let Err(e) = self.shared.check_connected() {
            return Some(Err(e));
        }
        self.shared.check_fork_unless_reported();
        mux.request(&self.shared, frame, interrupted, placer)
    }

    /// The counters of the multiplexed mode (all zero when the client is not multiplexed).
    pub fn mux_stats(&self) -> MuxStats {
        self.shared.mux.as_ref().map(Mux::stats).unwrap_or_default()
    }

    /// Sends one encoded command (text protocol, ending with its line end) and returns its reply.
    /// Releases waiting in the queue go first, in the same write. On a v2 connection the command
    /// travels as the v2 frame of the same command.
    ///
    /// `options.raw` keeps the reply's text in [`Response::raw`]. `interrupted` is asked every wait slice
    /// and when a signal interrupts the wait; when it answers true the connection is dropped, the
    /// gateway is asked to cancel the call (Py4J's `z` command on a fresh connection, or v2's
    /// cancel notice naming the connection's key) and the request ends with
    /// [`ClientError::Interrupted`]. A read timeout ends the same way, with
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
        let mut out = self.request_text_many(command, 1, options, interrupted)?;
        out.pop().ok_or_else(|| ClientError::Closed {
            endpoint: self.shared.config.endpoint.to_string(),
        })
    }

    /// Text commands on whichever protocol the leased connection speaks.
    fn request_text_many(
        &self,
        commands: &[u8],
        count: usize,
        options: Options,
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Result<Vec<Response>, ClientError> {
        let mut lease = self.lease()?;
        let mut out = Vec::with_capacity(count);
        match lease.protocol() {
            Protocol::V1 => {
                lease.request_text(commands, count, options, interrupted, &mut |r| out.push(r))?;
            }
            Protocol::V2 => {
                let mut frames = Vec::with_capacity(commands.len() + 16 * count);
                wire::transcode(commands, &mut frames).map_err(|source| ClientError::Protocol {
                    endpoint: self.shared.config.endpoint.to_string(),
                    source,
                })?;
                let endpoint = &self.shared.config.endpoint;
                let mut failure = None;
                lease.request_frames(&mut frames, count, options, interrupted, None, &mut |f| {
                    match f.decode() {
                        Ok(reply) => {
                            let raw = if options.raw || reply.is_error() {
                                text_of(&reply)
                            } else {
                                None
                            };
                            out.push(Response { reply, raw });
                        }
                        Err(source) => {
                            failure.get_or_insert(ClientError::Protocol {
                                endpoint: endpoint.to_string(),
                                source,
                            });
                        }
                    }
                })?;
                if let Some(e) = failure {
                    return Err(e);
                }
            }
        }
        Ok(out)
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
        self.request_text_many(commands, count, Options::default(), interrupted)
    }

    /// Sends a command (see [`Client::request`]) with no interrupt check.
    pub fn send(&self, command: &Command) -> Result<Response, ClientError> {
        let mut out = Vec::with_capacity(64);
        encode_command(command, &mut out);
        self.request(&out, Options::default(), &mut || false)
    }

    /// Sends a stream command (`S`): on success the connection is handed over to the returned
    /// reader, which yields the raw bytes that follow the reply and closes the connection when
    /// dropped. On a v2 connection the bytes come in the reply, and the reader holds them.
    pub fn request_stream(
        &self,
        command: &[u8],
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Result<(Response, Option<StreamReader>), ClientError> {
        let options = Options {
            raw: true,
            retry: true,
        };
        let mut lease = self.lease()?;
        if lease.protocol() == Protocol::V2 {
            drop(lease);
            let mut responses = self.request_text_many(command, 1, options, interrupted)?;
            let response = responses.pop().ok_or_else(|| ClientError::Closed {
                endpoint: self.shared.config.endpoint.to_string(),
            })?;
            return Ok(match response.reply {
                Reply::Success(Value::Bytes(bytes)) => (
                    Response {
                        reply: Reply::VOID,
                        raw: Some("yv".into()),
                    },
                    Some(StreamReader {
                        conn: None,
                        pending: bytes.into_vec(),
                    }),
                ),
                _ => (response, None),
            });
        }
        let conn = lease.conn.take().ok_or(ClientError::NotConnected)?;
        drop(lease);
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

    /// Sends every queued release now and waits for the gateway to have applied them.
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
            let sent = match conn.protocol() {
                Protocol::V1 => conn.send_only(b"s\n"),
                Protocol::V2 => {
                    let mut out = Vec::with_capacity(16);
                    binary::encode_command(&Command::Shutdown, 1, &mut out);
                    conn.send_only(&out)
                }
            };
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
            frames: t.frames,
            connections_opened: self.shared.opened.load(Ordering::Relaxed),
            idle_connections: self.shared.lock_pool().idle.len(),
            held_references: held,
            pending_releases: pending,
            refused_hellos: self.shared.refused_hellos.load(Ordering::Relaxed),
            protocol: self.protocol().map_or(0, Protocol::number),
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

    fn negotiated(&self) -> Option<Protocol> {
        match self.negotiated.load(Ordering::Acquire) {
            1 => Some(Protocol::V1),
            2 => Some(Protocol::V2),
            _ => None,
        }
    }

    fn set_negotiated(&self, p: Protocol) {
        self.negotiated.store(p.number(), Ordering::Release);
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
            if let Some(mux) = &self.mux {
                mux.reset_after_fork();
            }
            self.releases.reset_after_fork();
        }
    }

    /// [`Shared::check_fork`], unless the host reports forks (then it already ran in a child).
    fn check_fork_unless_reported(&self) {
        if !self.forks_reported.load(Ordering::Relaxed) {
            self.check_fork();
        }
    }

    /// The endpoint, as text.
    pub(crate) fn endpoint_text(&self) -> String {
        self.config.endpoint.to_string()
    }

    /// Whether the client is still connected (not closed or shut down).
    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// A connection for the multiplexed mode (pooled or new).
    pub(crate) fn checkout_for_mux(&self) -> Result<Conn, ClientError> {
        self.checkout()
    }

    /// Gives a connection back to the pool.
    pub(crate) fn give_back(&self, conn: Conn) {
        self.checkin(conn);
    }

    /// Closes a connection.
    pub(crate) fn drop_conn(&self, conn: Conn) {
        self.discard(conn);
    }

    /// [`Shared::exchange_frames`], for the multiplexed mode.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn exchange_frames_on(
        &self,
        conn: Conn,
        frames: &mut [u8],
        commands: usize,
        options: Options,
        interrupted: &mut dyn FnMut() -> bool,
        placer: Option<&mut dyn Placer>,
        sink: &mut dyn FnMut(ReplyFrame),
    ) -> Result<(Conn, bool), ClientError> {
        self.exchange_frames(
            conn,
            frames,
            &[],
            commands,
            options,
            interrupted,
            placer,
            sink,
        )
    }

    /// An idle connection of this process, if any.
    fn checkout_idle(&self) -> Option<Conn> {
        if !self.connected.load(Ordering::SeqCst) {
            return None;
        }
        if self.forks_reported.load(Ordering::Relaxed) {
            // A child has run `after_fork` before getting here: the idle connections are its own.
            self.lock_pool().idle.pop()
        } else {
            let pid = std::process::id();
            let mut pool = self.lock_pool();
            if pool.pid == pid {
                pool.idle.pop()
            } else {
                None
            }
        }
    }

    fn checkout(&self) -> Result<Conn, ClientError> {
        if !self.connected.load(Ordering::SeqCst) {
            return Err(ClientError::NotConnected);
        }
        if let Some(c) = self.checkout_idle() {
            return Ok(c);
        }
        self.check_fork();
        self.open()
    }

    /// Opens a connection in the protocol negotiated (the first one probes; concurrent openers
    /// wait for its answer).
    fn open(&self) -> Result<Conn, ClientError> {
        let counters = Arc::new(Counters::default());
        let conn = match self.config.protocol {
            ProtocolChoice::V1 => Connection::open_as(
                &self.config,
                Protocol::V1,
                counters.clone(),
                self.totals.clone(),
            )?,
            ProtocolChoice::V2 => {
                let c = Connection::open_as(
                    &self.config,
                    Protocol::V2,
                    counters.clone(),
                    self.totals.clone(),
                )?;
                self.set_negotiated(Protocol::V2);
                c
            }
            ProtocolChoice::Auto => self.open_auto(&counters)?,
        };
        if conn.fell_back {
            // The refused probe's socket is counted here, not among the connections opened.
            self.refused_hellos.fetch_add(1, Ordering::Relaxed);
        }
        self.opened.fetch_add(1, Ordering::Relaxed);
        self.registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(&counters));
        Ok(Box::new(conn))
    }

    /// [`Shared::open`] when the protocol is negotiated: the first connection probes (a v2
    /// hello), the others open in the protocol it found.
    fn open_auto(&self, counters: &Arc<Counters>) -> Result<Connection, ClientError> {
        let open =
            |want| Connection::open_as(&self.config, want, counters.clone(), self.totals.clone());
        let pid = std::process::id();
        let mut probing = self.lock_probing();
        loop {
            if let Some(want) = self.negotiated() {
                drop(probing);
                let c = open(want)?;
                if c.fell_back {
                    // The gateway changed (a Py4J server now answers where a ferry one did).
                    self.set_negotiated(Protocol::V1);
                }
                return Ok(c);
            }
            match *probing {
                // Another thread of this process probes: its answer comes soon.
                Some(p) if p == pid => {
                    probing = self
                        .probed
                        .wait_timeout(probing, PROBE_WAIT_SLICE)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                _ => break,
            }
        }
        // The memo is not held across the probe's I/O: only the note of who probes.
        *probing = Some(pid);
        drop(probing);
        let result = open(Protocol::V2);
        if let Ok(c) = &result {
            self.set_negotiated(c.protocol());
        }
        *self.lock_probing() = None;
        self.probed.notify_all();
        result
    }

    fn lock_probing(&self) -> MutexGuard<'_, Option<u32>> {
        self.probing.lock().unwrap_or_else(PoisonError::into_inner)
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
        if let Some(mux) = &self.mux {
            mux.close();
        }
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

    /// Writes the queued releases (up to a batch) and `command` on `conn` (v1), and reads the
    /// replies. Handles the one retry on a stale pooled connection, interrupts and timeouts
    /// (cancel).
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

    fn take_releases(&self) -> Vec<String> {
        if self.config.memory_management {
            self.releases.take(self.config.release_batch)
        } else {
            Vec::new()
        }
    }

    /// What to do after a failed exchange: the connection is discarded; an interrupt or a
    /// timeout cancels the call; a stale pooled connection may be replaced once. Returns the
    /// fresh connection to retry on, or the error.
    fn after_failure(
        &self,
        conn: Conn,
        e: ClientError,
        delivered: bool,
        may_retry: bool,
    ) -> Result<Conn, ClientError> {
        let stale = conn.reused
            && !conn.received_any()
            && !delivered
            && matches!(e, ClientError::Send { .. } | ClientError::Closed { .. });
        let target = conn.cancel_target();
        let protocol = conn.protocol();
        self.discard(conn);
        if matches!(e, ClientError::Interrupted | ClientError::Timeout { .. }) {
            self.cancel(target);
            return Err(e);
        }
        if stale && may_retry {
            let fresh = self.open()?;
            if fresh.protocol() != protocol {
                self.checkin(fresh);
                return Err(e);
            }
            return Ok(fresh);
        }
        Err(e)
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
        let ids = self.take_releases();
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
                    let may_retry = options.retry && !retried;
                    conn = self.after_failure(conn, e, delivered, may_retry)?;
                    retried = true;
                }
            }
        }
    }

    /// Sends v2 frames (releases first, as one notice) and reads the replies; returns the
    /// connection and whether a fatal reply came (the gateway then closes it).
    #[allow(clippy::too_many_arguments)]
    fn exchange_frames(
        &self,
        mut conn: Conn,
        frames: &mut [u8],
        holes: &[Hole<'_>],
        commands: usize,
        options: Options,
        interrupted: &mut dyn FnMut() -> bool,
        mut placer: Option<&mut dyn Placer>,
        sink: &mut dyn FnMut(ReplyFrame),
    ) -> Result<(Conn, bool), ClientError> {
        let ids = self.take_releases();
        let mut retried = false;
        loop {
            let mut delivered = false;
            let mut fatal = false;
            let result = if ids.is_empty() {
                conn.exchange_frames(
                    frames,
                    holes,
                    commands,
                    0,
                    interrupted,
                    wire::reborrow(&mut placer),
                    &mut |f| {
                        delivered = true;
                        fatal |= f.is_fatal();
                        sink(f)
                    },
                )
            } else {
                // One release notice before the frames. Small requests are copied behind it
                // (one write); a large one is not copied (two writes).
                let mut notice = Vec::with_capacity(16 + ids.len() * 12);
                binary::encode_command(&Command::Release { ids: ids.clone() }, 0, &mut notice);
                if frames.len() < wire::LARGE && holes.is_empty() {
                    notice.extend_from_slice(frames);
                    conn.exchange_frames(
                        &mut notice,
                        &[],
                        commands + ids.len(),
                        ids.len(),
                        interrupted,
                        wire::reborrow(&mut placer),
                        &mut |f| {
                            delivered = true;
                            fatal |= f.is_fatal();
                            sink(f)
                        },
                    )
                } else {
                    conn.send_notices(&notice, ids.len()).and_then(|()| {
                        conn.exchange_frames(
                            frames,
                            holes,
                            commands,
                            0,
                            interrupted,
                            wire::reborrow(&mut placer),
                            &mut |f| {
                                delivered = true;
                                fatal |= f.is_fatal();
                                sink(f)
                            },
                        )
                    })
                }
            };
            match result {
                Ok(()) => return Ok((conn, fatal)),
                Err(e) => {
                    let may_retry = options.retry && !retried;
                    conn = self.after_failure(conn, e, delivered, may_retry)?;
                    retried = true;
                }
            }
        }
    }

    /// Asks the gateway to stop the call running on another connection, on a fresh connection.
    /// Best effort.
    ///
    /// A v2 connection is named by the key of its HELLO (this works on Unix sockets too). A v1
    /// connection is named by its local port: Py4J's server closes every connection whose remote
    /// port equals the second line or whose local port equals the third; the third line is `-1`
    /// so that only the interrupted connection matches.
    fn cancel(&self, target: CancelTarget) {
        if !self.connected.load(Ordering::SeqCst) {
            return;
        }
        let (address, remote_port) = match target {
            CancelTarget::Key(key) => ("key".to_owned(), format!("{key:x}")),
            CancelTarget::Port(port) => match &self.config.endpoint {
                Endpoint::Tcp { host, .. } => (host.clone(), port.to_string()),
                Endpoint::Unix(_) => return,
            },
            CancelTarget::None => return,
        };
        let command = Command::Cancel {
            address,
            remote_port,
            local_port: "-1".into(),
        };
        if let Ok(mut conn) = self.open() {
            let mut out = Vec::with_capacity(48);
            match conn.protocol() {
                Protocol::V1 if !matches!(target, CancelTarget::Key(_)) => {
                    encode_command(&command, &mut out);
                }
                Protocol::V2 => binary::encode_command(&command, 0, &mut out),
                // A key means nothing to a v1 gateway.
                Protocol::V1 => {}
            }
            if !out.is_empty() {
                let _ = conn.send_only(&out);
            }
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

    /// Writes a batch of releases on an idle connection (or a new one) and waits until the
    /// gateway has applied them. v1: one `m d` per id, each acknowledged; v2: one release notice
    /// for all but the last id, whose `m d` request is acknowledged (after the notice, in
    /// order).
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
        if deadline.is_some() {
            conn.set_write_timeout(Some(CLOSE_FLUSH_LIMIT));
        }
        let mut past_deadline = || deadline.is_some_and(|d| Instant::now() >= d);
        let n = ids.len();
        let result = match conn.protocol() {
            Protocol::V1 => {
                let mut request = Vec::with_capacity(n * 12);
                encode_releases(&ids, &mut request);
                conn.exchange_with(&request, n, n, false, &mut past_deadline, &mut |_| {})
            }
            Protocol::V2 => {
                let mut request = Vec::with_capacity(32 + n * 12);
                let (last, rest) = ids.split_last().expect("a batch is never empty");
                if !rest.is_empty() {
                    binary::encode_command(
                        &Command::Release { ids: rest.to_vec() },
                        0,
                        &mut request,
                    );
                }
                binary::encode_command(
                    &Command::MemoryDelete { id: last.clone() },
                    0,
                    &mut request,
                );
                let mut failed = None;
                let endpoint = &self.config.endpoint;
                conn.exchange_frames(
                    &mut request,
                    &[],
                    n,
                    n,
                    &mut past_deadline,
                    None,
                    &mut |f| {
                        if f.is_error() {
                            failed = Some(ClientError::Protocol {
                                endpoint: endpoint.to_string(),
                                source: ProtocolError::BadReply(format!(
                                    "the gateway refused a release: {:?}",
                                    f.decode()
                                )),
                            });
                        }
                    },
                )
                .and_then(|()| failed.map_or(Ok(()), Err))
            }
        };
        match result {
            Ok(()) => {
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

impl crate::fork::ForkLocks for Shared {
    // The order every thread takes them in: the multiplexed mode's state before the pool (a
    // leader gives connections back while it holds the state).
    fn hold(&self, held: &mut crate::fork::Held) {
        if let Some(mux) = &self.mux {
            mux.hold_for_fork(held);
        }
        held.hold(&self.probing);
        held.hold(&self.pool);
        held.hold(&self.registry);
        self.releases.hold_for_fork(held);
        // Leaf locks: no other lock is taken while one of them is held.
        if let Some(pinned) = &self.pinned {
            pinned.hold_for_fork(held);
        }
    }
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
            None => {
                let n = self.pending.len().min(buf.len());
                buf[..n].copy_from_slice(&self.pending[..n]);
                self.pending.drain(..n);
                Ok(n)
            }
        }
    }
}

impl StreamReader {
    /// Closes the connection now.
    pub fn close(&mut self) {
        if let Some(c) = self.conn.take() {
            c.close();
        }
        self.pending = Vec::new();
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
