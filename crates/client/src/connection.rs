//! One connection to a gateway: a stream, a reply decoder and its counters.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ferry_protocol::text::{Decoder, Incoming, Side, encode_command};
use ferry_protocol::{Command, ProtocolError, Reply};

use crate::config::Config;
use crate::endpoint::Stream;
use crate::error::ClientError;

/// Room offered to each socket read.
const READ_CHUNK: usize = 64 * 1024;

/// Counters of one connection. Shared with the client so that tests and tools can read them
/// while the connection is in use.
#[derive(Debug, Default)]
pub struct Counters {
    commands: AtomicU64,
    releases: AtomicU64,
    round_trips: AtomicU64,
}

/// A snapshot of a connection's (or a client's) counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionStats {
    /// Commands written, releases included.
    pub commands: u64,
    /// `m d` (release) commands among them.
    pub releases: u64,
    /// Writes that waited for replies.
    pub round_trips: u64,
}

impl ConnectionStats {
    /// Adds another snapshot to this one.
    pub fn add(&mut self, other: ConnectionStats) {
        self.commands += other.commands;
        self.releases += other.releases;
        self.round_trips += other.round_trips;
    }
}

impl Counters {
    pub(crate) fn snapshot(&self) -> ConnectionStats {
        ConnectionStats {
            commands: self.commands.load(Ordering::Relaxed),
            releases: self.releases.load(Ordering::Relaxed),
            round_trips: self.round_trips.load(Ordering::Relaxed),
        }
    }

    fn record(&self, commands: usize, releases: usize) {
        self.commands.fetch_add(commands as u64, Ordering::Relaxed);
        if releases > 0 {
            self.releases.fetch_add(releases as u64, Ordering::Relaxed);
        }
        self.round_trips.fetch_add(1, Ordering::Relaxed);
    }
}

/// A reply, with its raw line when it was asked for or when it is an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The decoded reply.
    pub reply: Reply,
    /// The reply line without its `!` and line end, as py4j's `send_command` returns it. Kept for
    /// error replies always (so that py4j's `get_return_value` can be given the very text), and
    /// for every reply when the request asked for it.
    pub raw: Option<String>,
}

/// One socket to the gateway.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: Stream,
    decoder: Decoder,
    counters: Arc<Counters>,
    totals: Arc<Counters>,
    endpoint: Arc<str>,
    read_timeout: Option<Duration>,
    /// Bytes of `decoder.buffered()` already searched for a line end.
    scanned: usize,
    /// Bytes received since the current request was written.
    received: bool,
    /// The process that opened the socket (a forked child must not shut it down).
    pid: u32,
    /// The connection has completed at least one exchange (it comes from the pool).
    pub(crate) reused: bool,
    /// The local port, for the cancel command.
    pub(crate) local_port: Option<u16>,
    /// More replies follow the one being read.
    pipelined: bool,
}

impl Connection {
    /// Connects and authenticates.
    pub(crate) fn open(
        config: &Config,
        counters: Arc<Counters>,
        totals: Arc<Counters>,
    ) -> Result<Connection, ClientError> {
        let endpoint: Arc<str> = config.endpoint.to_string().into();
        let connect_error = |source| ClientError::Connect {
            endpoint: endpoint.to_string(),
            source,
        };
        let stream = config
            .endpoint
            .connect(config.connect_timeout.or(config.read_timeout))
            .map_err(connect_error)?;
        let slice = match config.read_timeout {
            Some(t) if !t.is_zero() && t < config.wait_slice => t,
            _ => config.wait_slice,
        };
        stream
            .set_read_timeout(Some(slice))
            .map_err(connect_error)?;
        let local_port = stream.local_port();
        let mut conn = Connection {
            stream,
            decoder: Decoder::new(Side::Python),
            counters,
            totals,
            endpoint,
            read_timeout: config.read_timeout.filter(|t| !t.is_zero()),
            scanned: 0,
            received: false,
            pid: std::process::id(),
            reused: false,
            local_port,
            pipelined: false,
        };
        if let Some(token) = &config.auth_token {
            conn.authenticate(token)?;
        }
        Ok(conn)
    }

    fn authenticate(&mut self, token: &str) -> Result<(), ClientError> {
        let mut out = Vec::with_capacity(token.len() + 4);
        encode_command(
            &Command::Auth {
                token: token.to_owned(),
            },
            &mut out,
        );
        let response = self.exchange(&out, 1, 0, true, &mut || false);
        let auth_error = |detail: String| ClientError::Auth {
            endpoint: self.endpoint.to_string(),
            detail,
        };
        match response {
            Ok(Response {
                reply: Reply::Success(_),
                ..
            }) => Ok(()),
            Ok(Response { raw, .. }) => Err(auth_error(raw.unwrap_or_default())),
            // A server that refuses the token resets the connection after its error line.
            Err(
                ClientError::Closed { .. } | ClientError::Receive { .. } | ClientError::Send { .. },
            ) => Err(auth_error("the gateway closed the connection".into())),
            Err(e) => Err(e),
        }
    }

    /// Writes `request`, which holds `commands` commands (`releases` of them release commands,
    /// first), and reads every reply. Returns the reply to the last command.
    ///
    /// `interrupted` is asked whenever the wait has lasted one wait slice, and when a signal
    /// interrupts the read; if it answers true the wait ends with [`ClientError::Interrupted`].
    pub(crate) fn exchange(
        &mut self,
        request: &[u8],
        commands: usize,
        releases: usize,
        raw: bool,
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Result<Response, ClientError> {
        let mut last = None;
        self.exchange_with(request, commands, releases, raw, interrupted, &mut |r| {
            last = Some(r)
        })?;
        last.ok_or_else(|| ClientError::Protocol {
            endpoint: self.endpoint.to_string(),
            source: ProtocolError::BadReply("no command was sent".into()),
        })
    }

    /// Like [`Connection::exchange`], handing every reply after the releases' to `sink`, in
    /// order.
    pub(crate) fn exchange_with(
        &mut self,
        request: &[u8],
        commands: usize,
        releases: usize,
        raw: bool,
        interrupted: &mut dyn FnMut() -> bool,
        sink: &mut dyn FnMut(Response),
    ) -> Result<(), ClientError> {
        self.received = false;
        if let Err(source) = self.stream.write_all(request) {
            return Err(ClientError::Send {
                endpoint: self.endpoint.to_string(),
                source,
            });
        }
        self.counters.record(commands, releases);
        self.totals.record(commands, releases);
        let deadline = self.read_timeout.map(|t| Instant::now() + t);
        for k in 0..commands {
            // More replies after this one: the gateway writes them back to back.
            self.pipelined = commands - k > 1;
            let response = self.read_reply(raw && k >= releases, deadline, interrupted)?;
            if k >= releases {
                sink(response);
            }
        }
        self.pipelined = false;
        self.reused = true;
        Ok(())
    }

    /// Writes a command that has no reply (`z` cancel, `s` shutdown).
    pub(crate) fn send_only(&mut self, request: &[u8]) -> Result<(), ClientError> {
        self.stream
            .write_all(request)
            .map_err(|source| ClientError::Send {
                endpoint: self.endpoint.to_string(),
                source,
            })?;
        self.counters.commands.fetch_add(1, Ordering::Relaxed);
        self.totals.commands.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Whether bytes arrived since the last request was written.
    pub(crate) fn received_any(&self) -> bool {
        self.received
    }

    fn read_reply(
        &mut self,
        raw: bool,
        deadline: Option<Instant>,
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Result<Response, ClientError> {
        loop {
            let buffered = self.decoder.buffered();
            let keep_raw = raw || (buffered.len() >= 2 && matches!(buffered[1], b'x' | b'z'));
            let mut raw_line = None;
            if keep_raw {
                match buffered[self.scanned..].iter().position(|&b| b == b'\n') {
                    Some(p) => {
                        let line = &buffered[..self.scanned + p];
                        let line = line.strip_prefix(b"!").unwrap_or(line);
                        raw_line = Some(String::from_utf8_lossy(line).into_owned());
                    }
                    None => {
                        self.scanned = buffered.len();
                        self.read_more(deadline, interrupted)?;
                        continue;
                    }
                }
            }
            match self.decoder.next() {
                Ok(Some(Incoming::Reply(reply))) => {
                    self.scanned = 0;
                    return Ok(Response {
                        reply,
                        raw: raw_line,
                    });
                }
                Ok(Some(other)) => {
                    return Err(self.protocol_error(ProtocolError::BadReply(format!(
                        "expected a reply, got {other:?}"
                    ))));
                }
                Ok(None) => self.read_more(deadline, interrupted)?,
                Err(e) => return Err(self.protocol_error(e)),
            }
        }
    }

    fn protocol_error(&self, source: ProtocolError) -> ClientError {
        ClientError::Protocol {
            endpoint: self.endpoint.to_string(),
            source,
        }
    }

    fn read_more(
        &mut self,
        deadline: Option<Instant>,
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Result<(), ClientError> {
        // A reply split in pieces, or replies to pipelined commands, come as several writes
        // from the gateway: acknowledge them at once (see `Stream::quickack`).
        if self.pipelined || !self.decoder.buffered().is_empty() {
            self.stream.quickack();
        }
        loop {
            let Connection {
                stream, decoder, ..
            } = self;
            match decoder.fill(READ_CHUNK, |buf| stream.read(buf)) {
                Ok(0) => {
                    return Err(ClientError::Closed {
                        endpoint: self.endpoint.to_string(),
                    });
                }
                Ok(_) => {
                    self.received = true;
                    return Ok(());
                }
                Err(e) => match e.kind() {
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                        if interrupted() {
                            return Err(ClientError::Interrupted);
                        }
                        if let (Some(d), Some(t)) = (deadline, self.read_timeout) {
                            if Instant::now() >= d {
                                return Err(ClientError::Timeout {
                                    endpoint: self.endpoint.to_string(),
                                    timeout: t,
                                });
                            }
                        }
                    }
                    io::ErrorKind::Interrupted => {
                        if interrupted() {
                            return Err(ClientError::Interrupted);
                        }
                    }
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                        if !self.received =>
                    {
                        return Err(ClientError::Closed {
                            endpoint: self.endpoint.to_string(),
                        });
                    }
                    _ => {
                        return Err(ClientError::Receive {
                            endpoint: self.endpoint.to_string(),
                            source: e,
                        });
                    }
                },
            }
        }
    }

    /// Reads raw bytes after a stream (`S`) reply: first what the decoder already holds.
    pub(crate) fn read_raw(&mut self, buf: &mut [u8], pending: &mut Vec<u8>) -> io::Result<usize> {
        if !pending.is_empty() {
            let n = pending.len().min(buf.len());
            buf[..n].copy_from_slice(&pending[..n]);
            pending.drain(..n);
            return Ok(n);
        }
        loop {
            match self.stream.read(buf) {
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                other => return other,
            }
        }
    }

    /// The bytes received after the last reply (the start of a stream's raw bytes).
    pub(crate) fn take_buffered(&mut self) -> Vec<u8> {
        self.scanned = 0;
        self.decoder.take_buffered()
    }

    /// Closes the socket. In a forked child the socket is only let go of: shutting it down would
    /// cut the parent's connection too.
    pub(crate) fn close(self) {
        if self.pid == std::process::id() {
            self.stream.shutdown();
        }
    }

    /// Limits how long a write may block (used for best-effort writes on close).
    pub(crate) fn set_write_timeout(&self, t: Option<Duration>) {
        let _ = self.stream.set_write_timeout(t);
    }
}
