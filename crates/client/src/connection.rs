//! One connection to a gateway: a stream, the codec of the protocol it speaks (Py4J's text or
//! ferry's frames), and its counters.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ferry_protocol::binary::{self, FrameKind, HELLO_LINE, Hello};
use ferry_protocol::text::{Decoder, Incoming, Side, encode_command, encode_reply};
use ferry_protocol::{Command, ProtocolError, Reply, Value};

use crate::config::Config;
use crate::endpoint::Stream;
use crate::error::ClientError;
use crate::wire::{self, FrameReader, Hole, InFrame, Placer, Protocol, ProtocolChoice, ReplyFrame};
use smallvec::SmallVec;

/// Room offered to each socket read.
const READ_CHUNK: usize = 64 * 1024;

/// How long the hello waits for the gateway's answer when no read timeout is set.
const HELLO_WAIT: Duration = Duration::from_secs(30);

/// Counters of one connection. Shared with the client so that tests and tools can read them
/// while the connection is in use.
#[derive(Debug, Default)]
pub struct Counters {
    commands: AtomicU64,
    releases: AtomicU64,
    round_trips: AtomicU64,
    frames: AtomicU64,
    protocol: AtomicU8,
}

/// A snapshot of a connection's (or a client's) counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionStats {
    /// Commands written, releases included (one per released id, in either protocol).
    pub commands: u64,
    /// Ids released among them (v1: one `m d` command each; v2: carried by release notices).
    pub releases: u64,
    /// Writes that waited for replies.
    pub round_trips: u64,
    /// Protocol v2 frames written (requests and notices; 0 on a v1 connection).
    pub frames: u64,
    /// The protocol the connection speaks (1 or 2; 0 for a client's totals).
    pub protocol: u8,
}

impl ConnectionStats {
    /// Adds another snapshot to this one.
    pub fn add(&mut self, other: ConnectionStats) {
        self.commands += other.commands;
        self.releases += other.releases;
        self.round_trips += other.round_trips;
        self.frames += other.frames;
    }
}

impl Counters {
    pub(crate) fn snapshot(&self) -> ConnectionStats {
        ConnectionStats {
            commands: self.commands.load(Ordering::Relaxed),
            releases: self.releases.load(Ordering::Relaxed),
            round_trips: self.round_trips.load(Ordering::Relaxed),
            frames: self.frames.load(Ordering::Relaxed),
            protocol: self.protocol.load(Ordering::Relaxed),
        }
    }

    /// [`Counters::record`] for the counters of one connection: only the thread holding the
    /// connection writes them (others only read), so plain loads and stores do, without the
    /// locked read-modify-writes of shared counters.
    fn record_owned(&self, commands: usize, releases: usize, frames: usize) {
        let add = |c: &AtomicU64, n: usize| {
            if n > 0 {
                c.store(c.load(Ordering::Relaxed) + n as u64, Ordering::Relaxed);
            }
        };
        add(&self.commands, commands);
        add(&self.releases, releases);
        add(&self.frames, frames);
        add(&self.round_trips, 1);
    }

    fn record(&self, commands: usize, releases: usize, frames: usize) {
        self.commands.fetch_add(commands as u64, Ordering::Relaxed);
        if releases > 0 {
            self.releases.fetch_add(releases as u64, Ordering::Relaxed);
        }
        if frames > 0 {
            self.frames.fetch_add(frames as u64, Ordering::Relaxed);
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
    /// for every reply when the request asked for it. On a v2 connection it is the text the
    /// gateway would have written on v1 (none for bulk values, which v1 cannot carry).
    pub raw: Option<String>,
}

/// The text py4j would have read for a reply, when v1 can carry it.
pub(crate) fn text_of(reply: &Reply) -> Option<String> {
    let bulk = |v: &Value| {
        matches!(
            v,
            Value::List(_) | Value::Set(_) | Value::Map(_) | Value::TypedList(_) | Value::Array(_)
        )
    };
    match reply {
        Reply::Success(v) | Reply::Error(Some(v)) if bulk(v) => return None,
        _ => {}
    }
    let mut out = Vec::new();
    encode_reply(reply, Side::Java, &mut out);
    let text = String::from_utf8_lossy(&out);
    Some(
        text.strip_prefix('!')
            .unwrap_or(&text)
            .trim_end_matches('\n')
            .to_owned(),
    )
}

/// How to stop the call running on a connection from another connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelTarget {
    /// Py4J's `z` command naming the connection's local port (TCP, v1).
    Port(u16),
    /// A v2 cancel notice with the secret of the connection's HELLO (any transport).
    Key(u64),
    /// No way (a v1 connection on a Unix socket).
    None,
}

/// The codec of a connection.
#[derive(Debug)]
enum Codec {
    /// Py4J's text protocol.
    Text {
        decoder: Decoder,
        /// Bytes of `decoder.buffered()` already searched for a line end.
        scanned: usize,
    },
    /// ferry's binary protocol.
    Binary {
        reader: FrameReader,
        /// The id of the next request.
        next_id: u32,
        /// What the server's HELLO said.
        hello: Hello,
    },
}

/// What the hello line got.
enum HelloAnswer {
    /// A ferry server: the connection speaks v2.
    V2,
    /// Not a v2 server (Py4J's answers the line as an unknown command and closes): what it said.
    NotV2(String),
}

/// One socket to the gateway.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: Stream,
    codec: Codec,
    counters: Arc<Counters>,
    totals: Arc<Counters>,
    endpoint: Arc<str>,
    read_timeout: Option<Duration>,
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
    /// Opening it offered v2 and the gateway refused (it is a v1 connection opened after that).
    pub(crate) fell_back: bool,
}

impl Connection {
    /// Connects and authenticates, in the protocol the settings choose (`Auto`: v2 if the
    /// gateway speaks it, else v1 on a fresh socket).
    pub(crate) fn open(
        config: &Config,
        counters: Arc<Counters>,
        totals: Arc<Counters>,
    ) -> Result<Connection, ClientError> {
        let want = match config.protocol {
            ProtocolChoice::V1 => Protocol::V1,
            ProtocolChoice::Auto | ProtocolChoice::V2 => Protocol::V2,
        };
        Connection::open_as(config, want, counters, totals)
    }

    /// Connects and authenticates: in v1, or offering v2 first. An offer the gateway refuses
    /// falls back to v1 on a fresh socket, unless the settings require v2.
    pub(crate) fn open_as(
        config: &Config,
        want: Protocol,
        counters: Arc<Counters>,
        totals: Arc<Counters>,
    ) -> Result<Connection, ClientError> {
        if want == Protocol::V1 {
            return Connection::connect(config, counters, totals, Protocol::V1);
        }
        let mut conn = Connection::connect(config, counters.clone(), totals.clone(), Protocol::V2)?;
        match conn.hello(config)? {
            HelloAnswer::V2 => Ok(conn),
            HelloAnswer::NotV2(answer) => {
                conn.close();
                if config.protocol == ProtocolChoice::V2 {
                    return Err(ClientError::Protocol {
                        endpoint: config.endpoint.to_string(),
                        source: ProtocolError::BadReply(format!(
                            "the gateway does not speak ferry's protocol v2 (it answered the hello \
                             line with: {answer})"
                        )),
                    });
                }
                let mut conn = Connection::connect(config, counters, totals, Protocol::V1)?;
                conn.fell_back = true;
                Ok(conn)
            }
        }
    }

    fn connect(
        config: &Config,
        counters: Arc<Counters>,
        totals: Arc<Counters>,
        protocol: Protocol,
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
        let codec = match protocol {
            Protocol::V1 => Codec::Text {
                decoder: Decoder::new(Side::Python),
                scanned: 0,
            },
            Protocol::V2 => Codec::Binary {
                reader: FrameReader::new(),
                next_id: 1,
                hello: Hello {
                    version: 0,
                    features: 0,
                    server: String::new(),
                    cancel_key: 0,
                },
            },
        };
        counters
            .protocol
            .store(protocol.number(), Ordering::Relaxed);
        let mut conn = Connection {
            stream,
            codec,
            counters,
            totals,
            endpoint,
            read_timeout: config.read_timeout.filter(|t| !t.is_zero()),
            received: false,
            pid: std::process::id(),
            reused: false,
            local_port,
            pipelined: false,
            fell_back: false,
        };
        if protocol == Protocol::V1 {
            if let Some(token) = &config.auth_token {
                conn.authenticate(token)?;
            }
        }
        Ok(conn)
    }

    /// The protocol this connection speaks.
    pub(crate) fn protocol(&self) -> Protocol {
        match self.codec {
            Codec::Text { .. } => Protocol::V1,
            Codec::Binary { .. } => Protocol::V2,
        }
    }

    /// How another connection can stop the call running here.
    pub(crate) fn cancel_target(&self) -> CancelTarget {
        match (&self.codec, self.local_port) {
            (Codec::Binary { hello, .. }, _) if hello.cancel_key != 0 => {
                CancelTarget::Key(hello.cancel_key)
            }
            (_, Some(port)) => CancelTarget::Port(port),
            _ => CancelTarget::None,
        }
    }

    /// Sends the hello line (and the token, in the same write) and reads the answer.
    fn hello(&mut self, config: &Config) -> Result<HelloAnswer, ClientError> {
        let mut out = HELLO_LINE.to_vec();
        if let Some(token) = &config.auth_token {
            binary::encode_command(
                &Command::Auth {
                    token: token.clone(),
                },
                1,
                &mut out,
            );
        }
        if let Err(e) = self.stream.write_all(&out) {
            // A gateway that closes at once (Py4J after an unknown first line) may reset the
            // socket before the whole line is written.
            return Ok(HelloAnswer::NotV2(format!("the write failed: {e}")));
        }
        let deadline = Instant::now() + self.read_timeout.unwrap_or(HELLO_WAIT);
        let mut first = true;
        let hello = loop {
            if let Codec::Binary { reader, .. } = &mut self.codec {
                if let Some(b) = reader.first_byte() {
                    if first && b == b'!' {
                        return Ok(HelloAnswer::NotV2(self.drain_line(deadline)));
                    }
                    first = false;
                }
                match reader.next(None) {
                    Ok(Some(InFrame::Hello(body))) => break body,
                    Ok(Some(_)) => {
                        return Err(self.protocol_error(ProtocolError::BadReply(
                            "the gateway's first frame is not a HELLO".into(),
                        )));
                    }
                    Ok(None) => {}
                    Err(e) => return Err(self.protocol_error(e)),
                }
            }
            match self.read_more(Some(deadline), &mut || false) {
                Ok(()) => {}
                Err(ClientError::Closed { .. } | ClientError::Receive { .. }) if first => {
                    return Ok(HelloAnswer::NotV2("it closed the connection".into()));
                }
                Err(e) => return Err(e),
            }
        };
        let hello = Hello::decode(&hello).map_err(|e| self.protocol_error(e))?;
        if hello.version != binary::VERSION {
            return Err(self.protocol_error(ProtocolError::BadReply(format!(
                "the gateway answered with protocol version {}",
                hello.version
            ))));
        }
        if let Codec::Binary { hello: h, .. } = &mut self.codec {
            *h = hello;
        }
        if config.auth_token.is_some() {
            let reply = self.read_frame(Some(deadline), &mut || false, None);
            let detail = match reply {
                Ok(f) if f.op == wire::op::SUCCESS && f.id == 1 => return Ok(HelloAnswer::V2),
                Ok(f) => match f.decode() {
                    Ok(r) => text_of(&r).unwrap_or_default(),
                    Err(e) => e.to_string(),
                },
                Err(
                    ClientError::Closed { .. }
                    | ClientError::Receive { .. }
                    | ClientError::Send { .. },
                ) => "the gateway closed the connection".into(),
                Err(e) => return Err(e),
            };
            return Err(ClientError::Auth {
                endpoint: self.endpoint.to_string(),
                detail,
            });
        }
        Ok(HelloAnswer::V2)
    }

    /// The text line a v1 gateway answered the hello line with (best effort, for the message).
    fn drain_line(&mut self, deadline: Instant) -> String {
        loop {
            if let Codec::Binary { reader, .. } = &self.codec {
                let got = reader.pending_bytes();
                if let Some(end) = got.iter().position(|&b| b == b'\n') {
                    return String::from_utf8_lossy(&got[..end]).into_owned();
                }
            }
            if self.read_more(Some(deadline), &mut || false).is_err() {
                if let Codec::Binary { reader, .. } = &self.codec {
                    return String::from_utf8_lossy(reader.pending_bytes()).into_owned();
                }
                return String::new();
            }
        }
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

    /// Writes `request`, which holds `commands` text commands (`releases` of them release
    /// commands, first), and reads every reply. Returns the reply to the last command. v1 only.
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
    /// order. v1 only.
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
        self.counters.record_owned(commands, releases, 0);
        self.totals.record(commands, releases, 0);
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

    /// Writes `request` (whole v2 frames: requests and notices, ids assigned here) and reads the
    /// reply of every request, in order, handing each to `sink`. `commands` and `releases` are
    /// what the counters record (released ids count as commands, as in v1). A fatal reply ends
    /// the exchange early: the gateway closes the connection after it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn exchange_frames(
        &mut self,
        request: &mut [u8],
        holes: &[Hole<'_>],
        commands: usize,
        releases: usize,
        interrupted: &mut dyn FnMut() -> bool,
        mut placer: Option<&mut dyn Placer>,
        sink: &mut dyn FnMut(ReplyFrame),
    ) -> Result<(), ClientError> {
        let spans = wire::frames_with(request, holes).map_err(|e| self.protocol_error(e))?;
        let Codec::Binary { next_id, .. } = &mut self.codec else {
            return Err(self.protocol_error(ProtocolError::BadReply(
                "v2 frames for a v1 connection".into(),
            )));
        };
        let mut expected: SmallVec<[u32; 4]> = SmallVec::with_capacity(spans.len());
        for span in &spans {
            if span.kind == FrameKind::Request {
                let id = *next_id;
                *next_id = next_id.wrapping_add(1).max(1);
                wire::set_id(request, span.at, id);
                expected.push(id);
            }
        }
        self.received = false;
        if let Err(source) = wire::write_with_holes(&mut self.stream, request, holes) {
            return Err(ClientError::Send {
                endpoint: self.endpoint.to_string(),
                source,
            });
        }
        self.counters.record_owned(commands, releases, spans.len());
        self.totals.record(commands, releases, spans.len());
        let deadline = self.read_timeout.map(|t| Instant::now() + t);
        let n = expected.len();
        for (k, id) in expected.into_iter().enumerate() {
            self.pipelined = n - k > 1;
            let frame = self.read_frame(deadline, interrupted, wire::reborrow(&mut placer))?;
            if frame.id != id && !(frame.id == 0 && frame.is_fatal()) {
                return Err(self.protocol_error(ProtocolError::BadReply(format!(
                    "a reply for request {} arrived where the reply to {id} was due",
                    frame.id
                ))));
            }
            let fatal = frame.is_fatal();
            sink(frame);
            if fatal {
                break;
            }
        }
        self.pipelined = false;
        self.reused = true;
        Ok(())
    }

    /// Writes v2 release notices (for `releases` ids) with no reply to wait for.
    pub(crate) fn send_notices(
        &mut self,
        notices: &[u8],
        releases: usize,
    ) -> Result<(), ClientError> {
        self.stream
            .write_all(notices)
            .map_err(|source| ClientError::Send {
                endpoint: self.endpoint.to_string(),
                source,
            })?;
        for c in [&self.counters, &self.totals] {
            c.commands.fetch_add(releases as u64, Ordering::Relaxed);
            c.releases.fetch_add(releases as u64, Ordering::Relaxed);
            c.frames.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Writes a command that has no reply (`z` cancel, `s` shutdown; v2 notices).
    pub(crate) fn send_only(&mut self, request: &[u8]) -> Result<(), ClientError> {
        self.stream
            .write_all(request)
            .map_err(|source| ClientError::Send {
                endpoint: self.endpoint.to_string(),
                source,
            })?;
        self.counters.commands.fetch_add(1, Ordering::Relaxed);
        self.totals.commands.fetch_add(1, Ordering::Relaxed);
        if self.protocol() == Protocol::V2 {
            self.counters.frames.fetch_add(1, Ordering::Relaxed);
            self.totals.frames.fetch_add(1, Ordering::Relaxed);
        }
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
            let Codec::Text { decoder, scanned } = &mut self.codec else {
                return Err(self.protocol_error(ProtocolError::BadReply(
                    "a text reply expected on a v2 connection".into(),
                )));
            };
            let buffered = decoder.buffered();
            let keep_raw = raw || (buffered.len() >= 2 && matches!(buffered[1], b'x' | b'z'));
            let mut raw_line = None;
            if keep_raw {
                match buffered[*scanned..].iter().position(|&b| b == b'\n') {
                    Some(p) => {
                        let line = &buffered[..*scanned + p];
                        let line = line.strip_prefix(b"!").unwrap_or(line);
                        raw_line = Some(String::from_utf8_lossy(line).into_owned());
                    }
                    None => {
                        *scanned = buffered.len();
                        self.read_more(deadline, interrupted)?;
                        continue;
                    }
                }
            }
            match decoder.next() {
                Ok(Some(Incoming::Reply(reply))) => {
                    *scanned = 0;
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

    /// The next reply frame (v2).
    fn read_frame(
        &mut self,
        deadline: Option<Instant>,
        interrupted: &mut dyn FnMut() -> bool,
        mut placer: Option<&mut dyn Placer>,
    ) -> Result<ReplyFrame, ClientError> {
        loop {
            let Codec::Binary { reader, .. } = &mut self.codec else {
                return Err(self.protocol_error(ProtocolError::BadReply(
                    "a frame expected on a v1 connection".into(),
                )));
            };
            match reader.next(wire::reborrow(&mut placer)) {
                Ok(Some(InFrame::Reply(f))) => return Ok(f),
                Ok(Some(InFrame::Hello(_))) => {
                    return Err(
                        self.protocol_error(ProtocolError::BadReply("a second HELLO frame".into()))
                    );
                }
                Ok(Some(InFrame::Other(h))) => {
                    return Err(self.protocol_error(ProtocolError::BadReply(format!(
                        "a {:?} frame (op 0x{:04x}) from the gateway on a connection that \
                         takes replies only",
                        h.kind, h.op
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

    fn has_partial(&self) -> bool {
        match &self.codec {
            Codec::Text { decoder, .. } => !decoder.buffered().is_empty(),
            Codec::Binary { reader, .. } => reader.has_partial(),
        }
    }

    fn read_more(
        &mut self,
        deadline: Option<Instant>,
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Result<(), ClientError> {
        // A reply split in pieces, or replies to pipelined commands, come as several writes
        // from the gateway: acknowledge them at once (see `Stream::quickack`). Only on v1: the
        // gateways speaking v2 are ferry's, which set TCP_NODELAY on every connection, so
        // nothing waits for our ACK (and a combined write's replies would pay a system call
        // each time).
        if matches!(self.codec, Codec::Text { .. }) && (self.pipelined || self.has_partial()) {
            self.stream.quickack();
        }
        loop {
            let Connection { stream, codec, .. } = self;
            let got = match codec {
                Codec::Text { decoder, .. } => decoder.fill(READ_CHUNK, |buf| stream.read(buf)),
                Codec::Binary { reader, .. } => reader.fill(stream),
            };
            match got {
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
                        if let Some(d) = deadline {
                            if Instant::now() >= d {
                                return Err(ClientError::Timeout {
                                    endpoint: self.endpoint.to_string(),
                                    timeout: self.read_timeout.unwrap_or(HELLO_WAIT),
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

    /// The bytes received after the last reply (the start of a stream's raw bytes). v1 only.
    pub(crate) fn take_buffered(&mut self) -> Vec<u8> {
        match &mut self.codec {
            Codec::Text { decoder, scanned } => {
                *scanned = 0;
                decoder.take_buffered()
            }
            Codec::Binary { .. } => Vec::new(),
        }
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
