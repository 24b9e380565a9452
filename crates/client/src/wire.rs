//! Protocol v2 on the client's side: the frame layout (docs/protocol-v2.md), writers for frame
//! bodies, the text-to-frames transcoder, and a frame reader that can receive the body of a large
//! reply straight into a buffer the caller supplies (a numpy array, a Python `bytes` object), so
//! that bulk data is copied once, by the socket read.

use std::any::Any;
use std::fmt;
use std::io;
use std::mem::MaybeUninit;

use ferry_protocol::binary::{self, FrameHeader, FrameKind, HEADER_LEN};
use ferry_protocol::text::{Decoder, Incoming, Side};
use ferry_protocol::{Command, ProtocolError, Reply};
use smallvec::SmallVec;

/// The protocol a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Py4J's text protocol.
    V1,
    /// ferry's binary protocol.
    V2,
}

impl Protocol {
    /// The version number (1 or 2).
    pub fn number(self) -> u8 {
        match self {
            Protocol::V1 => 1,
            Protocol::V2 => 2,
        }
    }
}

/// Which protocol a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtocolChoice {
    /// Offer v2 on the first connection and fall back to v1 when the gateway is Py4J's; the
    /// answer is remembered for the client's later connections.
    #[default]
    Auto,
    /// Py4J's text protocol only (no hello line is ever sent).
    V1,
    /// ferry's binary protocol only: a gateway that does not speak it is an error.
    V2,
}

impl ProtocolChoice {
    /// Parses `auto`, `v1`/`1`, `v2`/`2` (any case).
    pub fn parse(text: &str) -> Option<ProtocolChoice> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Some(ProtocolChoice::Auto),
            "v1" | "1" => Some(ProtocolChoice::V1),
            "v2" | "2" => Some(ProtocolChoice::V2),
            _ => None,
        }
    }
}

/// Command and reply codes of protocol v2 (section 4 and 5 of docs/protocol-v2.md).
pub mod op {
    /// Call a method.
    pub const CALL: u16 = 0x0001;
    /// Call a constructor.
    pub const CONSTRUCT: u16 = 0x0002;
    /// Stream call (the channel's bytes come back as one bytes value).
    pub const STREAM: u16 = 0x0008;
    /// Release many ids (a notice).
    pub const RELEASE: u16 = 0x0060;
    /// Cancel a connection (a notice).
    pub const CANCEL: u16 = 0x0061;
    /// A Java object's value, deeply.
    pub const TO_PYTHON: u16 = 0x0100;
    /// Up to `max` next elements of an iterator.
    pub const ITERATE: u16 = 0x0101;
    /// A value made into a Java object.
    pub const TO_JAVA: u16 = 0x0102;
    /// Reply: success with a value.
    pub const SUCCESS: u16 = 0;
    /// Reply: error.
    pub const ERROR: u16 = 6;
    /// Reply: fatal.
    pub const FATAL: u16 = 7;
}

/// Value tags of protocol v2 (section 3 of docs/protocol-v2.md).
pub mod tag {
    /// null
    pub const NULL: u8 = 0x00;
    /// void
    pub const VOID: u8 = 0x01;
    /// false
    pub const FALSE: u8 = 0x02;
    /// true
    pub const TRUE: u8 = 0x03;
    /// i32
    pub const INT: u8 = 0x04;
    /// i64
    pub const LONG: u8 = 0x05;
    /// f64
    pub const DOUBLE: u8 = 0x06;
    /// f32
    pub const FLOAT: u8 = 0x07;
    /// `BigDecimal` text
    pub const DECIMAL: u8 = 0x08;
    /// string
    pub const STRING: u8 = 0x09;
    /// `byte[]`
    pub const BYTES: u8 = 0x0A;
    /// char (UTF-16 unit)
    pub const CHAR: u8 = 0x0B;
    /// `BigInteger` digits
    pub const BIG_INTEGER: u8 = 0x0C;
    /// a java.time value
    pub const TEMPORAL: u8 = 0x0D;
    /// a reference
    pub const REF: u8 = 0x10;
    /// a Python object implementing interfaces
    pub const PYTHON_PROXY: u8 = 0x11;
    /// list
    pub const LIST: u8 = 0x20;
    /// set
    pub const SET: u8 = 0x21;
    /// map
    pub const MAP: u8 = 0x22;
    /// typed list (raw elements)
    pub const TYPED_LIST: u8 = 0x23;
    /// primitive array (raw elements)
    pub const ARRAY: u8 = 0x24;
}

/// Appends the header of a frame whose length is filled in by [`finish_frame`]; returns where
/// the frame starts. The id is 0: the connection numbers requests when it writes them.
pub fn begin_frame(out: &mut Vec<u8>, kind: FrameKind, op: u16) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    out.push(match kind {
        FrameKind::Hello => 1,
        FrameKind::Request => 2,
        FrameKind::Reply => 3,
        FrameKind::Notice => 4,
    });
    out.push(0);
    out.extend_from_slice(&op.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    at
}

/// Writes the length of the frame that starts at `at`.
pub fn finish_frame(out: &mut [u8], at: usize) {
    finish_frame_with(out, at, 0);
}

/// Writes the length of the frame that starts at `at`, whose body also holds `holes` bytes
/// sent from elsewhere (see [`Hole`]).
pub fn finish_frame_with(out: &mut [u8], at: usize, holes: usize) {
    let len = u32::try_from(out.len() - at - 4 + holes).unwrap_or(u32::MAX);
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// Appends a `str` field (u32 length, UTF-8).
pub fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
}

/// Appends a u16.
pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends a u32.
pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends zero bytes until the position, counted from `body_start`, is a multiple of 8.
pub fn pad8(out: &mut Vec<u8>, body_start: usize) {
    let pad = (8 - (out.len() - body_start) % 8) % 8;
    out.extend(std::iter::repeat_n(0u8, pad));
}

/// Where the body of the frame starting at `frame_at` starts.
pub fn body_start(frame_at: usize) -> usize {
    frame_at + HEADER_LEN
}

/// Turns text-protocol commands (as py4j writes them) into v2 frames: returns the frames and the
/// number of requests among them (the others are notices). `s` (shutdown) and `z` (cancel) are
/// carried too, as the request and the notice they are in v2.
pub fn transcode(text: &[u8], out: &mut Vec<u8>) -> Result<usize, ProtocolError> {
    let mut decoder = Decoder::new(Side::Java);
    decoder.feed(text);
    let mut requests = 0;
    loop {
        match decoder.next()? {
            Some(Incoming::Command(cmd)) => {
                if !matches!(cmd, Command::Cancel { .. } | Command::Release { .. }) {
                    requests += 1;
                }
                binary::encode_command(&cmd, 0, out);
            }
            Some(other) => {
                return Err(ProtocolError::BadReply(format!(
                    "not a command for the Java side: {other:?}"
                )));
            }
            None => break,
        }
    }
    if !decoder.buffered().is_empty() {
        return Err(ProtocolError::Malformed {
            command: '?',
            detail: "an incomplete command".into(),
        });
    }
    Ok(requests)
}

/// One frame of an encoded request buffer, as [`frames`] finds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameSpan {
    pub(crate) at: usize,
    pub(crate) kind: FrameKind,
}

/// Bytes of a request that are not in its buffer: they go on the wire at offset `at` of the
/// buffer (between the bytes before and after it), written from where they are, not copied.
/// Large raw elements (a numpy array, a `bytes`) travel this way; a hole lies inside the body
/// of a frame, and the frame's length counts it.
#[derive(Debug, Clone, Copy)]
pub struct Hole<'a> {
    /// Where in the request buffer the bytes go.
    pub at: usize,
    /// The bytes.
    pub data: &'a [u8],
}

/// The spans of a request's frames: a call is usually one frame (with a release notice or a
/// few pipelined calls at most), held inline.
pub(crate) type Spans = SmallVec<[FrameSpan; 4]>;

/// The frames of a buffer of whole frames, checked for consistency.
pub(crate) fn frames(buf: &[u8]) -> Result<Spans, ProtocolError> {
    frames_with(buf, &[])
}

/// The frames of a buffer of whole frames with `holes` (sorted by offset) inserted.
pub(crate) fn frames_with(buf: &[u8], holes: &[Hole<'_>]) -> Result<Spans, ProtocolError> {
    let mut out = Spans::new();
    let mut at = 0;
    let mut next_hole = 0;
    while at < buf.len() || next_hole < holes.len() {
        if buf.len().saturating_sub(at) < HEADER_LEN {
            return Err(bad("a request ends inside a frame header"));
        }
        let len = u32::from_le_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]) as usize;
        let kind = match buf[at + 4] {
            2 => FrameKind::Request,
            4 => FrameKind::Notice,
            k => return Err(bad(format!("a client cannot send a frame of kind {k}"))),
        };
        if len < HEADER_LEN - 4 {
            return Err(bad("a frame's length does not match its request buffer"));
        }
        // The frame's bytes in the buffer: its length less the holes inside its body.
        let mut in_buf = 4 + len;
        while next_hole < holes.len() {
            let h = holes[next_hole];
            if h.at < at + HEADER_LEN
                || h.data.len() > in_buf - HEADER_LEN
                || h.at > at + in_buf - h.data.len()
            {
                break;
            }
            in_buf -= h.data.len();
            next_hole += 1;
        }
        if at + in_buf > buf.len() {
            return Err(bad("a frame's length does not match its request buffer"));
        }
        out.push(FrameSpan { at, kind });
        at += in_buf;
        if at == buf.len() && next_hole < holes.len() {
            return Err(bad("a hole lies outside every frame"));
        }
    }
    Ok(out)
}

/// Writes `buf` with `holes` inserted, without copying them.
pub(crate) fn write_with_holes(
    w: &mut impl std::io::Write,
    buf: &[u8],
    holes: &[Hole<'_>],
) -> std::io::Result<()> {
    if holes.is_empty() {
        return w.write_all(buf);
    }
    let mut parts: Vec<std::io::IoSlice<'_>> = Vec::with_capacity(holes.len() * 2 + 1);
    let mut from = 0;
    for h in holes {
        parts.push(std::io::IoSlice::new(&buf[from..h.at]));
        parts.push(std::io::IoSlice::new(h.data));
        from = h.at;
    }
    parts.push(std::io::IoSlice::new(&buf[from..]));
    parts.retain(|p| !p.is_empty());
    let mut rest: &mut [std::io::IoSlice<'_>] = &mut parts;
    while !rest.is_empty() {
        match w.write_vectored(rest) {
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::WriteZero,
                    "the socket took no bytes",
                ));
            }
            Ok(n) => std::io::IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn bad(detail: impl Into<String>) -> ProtocolError {
    ProtocolError::Malformed {
        command: '?',
        detail: detail.into(),
    }
}

/// Sets the id of the frame at `at`.
pub(crate) fn set_id(buf: &mut [u8], at: usize, id: u32) {
    buf[at + 8..at + 12].copy_from_slice(&id.to_le_bytes());
}

/// A buffer, owned by the caller of a request, that receives a large reply body (or its tail).
pub trait Placed: Send {
    /// The memory to fill: exactly the length asked for. It need not be initialised: the
    /// reader only writes to it, every byte once, before it hands the buffer back (so a
    /// 10 MiB `bytes` made for a reply is not zeroed first).
    fn spare(&mut self) -> &mut [MaybeUninit<u8>];
    /// The buffer, for the caller to take back.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

/// Chooses where the bodies of large reply frames go.
pub trait Placer: Send {
    /// Called when a reply frame of at least [`LARGE`] body bytes starts arriving, with its
    /// header, the first bytes of its body (up to [`HEAD`], fewer only when the body is shorter)
    /// and the body's length. Returns `(offset, buffer)` to receive `body[offset..]` into a
    /// buffer of exactly `body_len - offset` bytes (`offset` at most `head.len()`), or `None`
    /// for a buffer of the connection's own.
    fn place(
        &mut self,
        header: &FrameHeader,
        head: &[u8],
        body_len: usize,
    ) -> Option<(usize, Box<dyn Placed>)>;
}

/// Where a [`FrameReader`] gets its bytes (a socket, or a test's chunks): a reader that can
/// also read into memory that is not initialised.
pub(crate) trait Source: io::Read {
    /// As `read`, into memory that need not be initialised; the `n` bytes returned were written
    /// at the start of `buf`.
    fn read_uninit(&mut self, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize>;
}

/// Reborrows an optional placer for one call (a trait object behind `&mut` needs the explicit
/// coercion to a shorter lifetime).
pub(crate) fn reborrow<'a>(placer: &'a mut Option<&mut dyn Placer>) -> Option<&'a mut dyn Placer> {
    match placer {
        Some(p) => Some(&mut **p),
        None => None,
    }
}

/// Bodies at least this long are read into a buffer of their own (or a placed one): the bytes
/// are copied once, by the socket read.
pub const LARGE: usize = 64 * 1024;
/// How many first bytes of a large body a [`Placer`] sees.
pub const HEAD: usize = 16;

/// A reply's body: the usual small one (a number, a reference) held inline, with no allocation
/// per reply.
pub type Body = SmallVec<[u8; 64]>;

/// A reply frame as received.
pub struct ReplyFrame {
    /// The reply code.
    pub op: u16,
    /// The id it answers.
    pub id: u32,
    /// The body; with a placed buffer, only the bytes before its offset.
    pub body: Body,
    /// The placed buffer holding the rest of the body, if the placer chose one.
    pub placed: Option<Box<dyn Placed>>,
}

impl fmt::Debug for ReplyFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyFrame")
            .field("op", &self.op)
            .field("id", &self.id)
            .field("body_len", &self.body.len())
            .field("placed", &self.placed.is_some())
            .finish()
    }
}

impl ReplyFrame {
    /// The reply, decoded (the whole body must be in `body`: nothing placed).
    pub fn decode(&self) -> Result<Reply, ProtocolError> {
        if self.placed.is_some() {
            return Err(bad("the reply's body was placed in the caller's buffer"));
        }
        binary::decode_reply(
            &FrameHeader {
                kind: FrameKind::Reply,
                flags: 0,
                op: self.op,
                id: self.id,
            },
            &self.body,
        )
    }

    /// Whether this is a fatal reply (the gateway closes the connection after it).
    pub fn is_fatal(&self) -> bool {
        self.op == op::FATAL
    }

    /// Whether this is an error or fatal reply.
    pub fn is_error(&self) -> bool {
        self.op == op::ERROR || self.op == op::FATAL
    }
}

/// A frame read from the gateway.
pub(crate) enum InFrame {
    /// The server's HELLO.
    Hello(Vec<u8>),
    /// A reply.
    Reply(ReplyFrame),
    /// A request or notice from Java (callbacks, pinned mode): not expected on pooled
    /// connections.
    Other(FrameHeader),
}

struct Partial {
    header: FrameHeader,
    body_len: usize,
    /// The body (own buffer), or its bytes before `at` (placed).
    own: Vec<u8>,
    placed: Option<Box<dyn Placed>>,
    /// Bytes of the destination received.
    got: usize,
    /// Bytes the destination takes.
    want: usize,
}

/// Reads frames from a byte stream; large bodies go into a buffer of their own or a placed one.
pub(crate) struct FrameReader {
    buf: Vec<u8>,
    start: usize,
    filled: usize,
    partial: Option<Partial>,
    max_frame: usize,
}

impl fmt::Debug for FrameReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameReader")
            .field("buffered", &(self.filled - self.start))
            .field("partial", &self.partial.is_some())
            .finish()
    }
}

const DEFAULT_MAX_FRAME: usize = 1 << 30;

impl FrameReader {
    pub(crate) fn new() -> FrameReader {
        FrameReader {
            buf: Vec::new(),
            start: 0,
            filled: 0,
            partial: None,
            max_frame: DEFAULT_MAX_FRAME,
        }
    }

    /// The first byte received and not yet part of a frame.
    pub(crate) fn first_byte(&self) -> Option<u8> {
        (self.filled > self.start).then(|| self.buf[self.start])
    }

    /// The bytes received and not yet part of a frame (outside a large frame).
    pub(crate) fn pending_bytes(&self) -> &[u8] {
        &self.buf[self.start..self.filled]
    }

    /// Whether bytes of a frame not returned yet were received.
    pub(crate) fn has_partial(&self) -> bool {
        self.filled > self.start || self.partial.is_some()
    }

    fn reserve(&mut self, extra: usize) {
        if self.start > 0 && (self.start == self.filled || self.start >= self.buf.len() / 2) {
            self.buf.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.start = 0;
        }
        let need = self.filled + extra;
        if self.buf.len() < need {
            self.buf
                .resize(need.max(self.buf.len() * 2).max(16 * 1024), 0);
        }
    }

    /// Reads once from `source` into the frame being received (or the buffer).
    pub(crate) fn fill(&mut self, source: &mut impl Source) -> io::Result<usize> {
        if let Some(p) = &mut self.partial {
            // The destination holds exactly the `want` bytes still to come after the head.
            let n = match &mut p.placed {
                Some(placed) => source.read_uninit(&mut placed.spare()[p.got..])?,
                None => source.read(&mut p.own[p.got..])?,
            };
            p.got += n;
            return Ok(n);
        }
        self.reserve(LARGE);
        let n = source.read(&mut self.buf[self.filled..])?;
        self.filled += n.min(self.buf.len() - self.filled);
        Ok(n)
    }

    /// The next whole frame, if it has arrived.
    pub(crate) fn next(
        &mut self,
        mut placer: Option<&mut dyn Placer>,
    ) -> Result<Option<InFrame>, ProtocolError> {
        if let Some(p) = &self.partial {
            if p.got < p.want {
                return Ok(None);
            }
            let p = self.partial.take().expect("checked above");
            return Ok(Some(finish(p.header, Body::from_vec(p.own), p.placed)));
        }
        let avail = self.filled - self.start;
        if avail < HEADER_LEN {
            return Ok(None);
        }
        let b = &self.buf[self.start..self.filled];
        let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        if len < HEADER_LEN - 4 {
            return Err(bad(format!("frame length {len} is shorter than a header")));
        }
        if len > self.max_frame {
            return Err(ProtocolError::TooLarge {
                limit: self.max_frame,
            });
        }
        let kind = match b[4] {
            1 => FrameKind::Hello,
            2 => FrameKind::Request,
            3 => FrameKind::Reply,
            4 => FrameKind::Notice,
            k => return Err(bad(format!("unknown frame kind {k}"))),
        };
        let header = FrameHeader {
            kind,
            flags: b[5],
            op: u16::from_le_bytes([b[6], b[7]]),
            id: u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
        };
        let body_len = len + 4 - HEADER_LEN;
        let body_start = self.start + HEADER_LEN;
        if avail >= 4 + len {
            let body = Body::from_slice(&self.buf[body_start..body_start + body_len]);
            self.start += 4 + len;
            return Ok(Some(finish(header, body, None)));
        }
        if body_len < LARGE {
            return Ok(None);
        }
        let have = avail - HEADER_LEN;
        let head_len = HEAD.min(body_len);
        if have < head_len {
            return Ok(None);
        }
        let head = &self.buf[body_start..body_start + head_len];
        let placed = match (&mut placer, kind) {
            (Some(p), FrameKind::Reply) => p.place(&header, head, body_len),
            _ => None,
        };
        let partial = match placed {
            Some((at, mut placed)) if at <= head_len => {
                let want = body_len - at;
                let dest = placed.spare();
                if dest.len() != want {
                    return Err(bad("a placed buffer has the wrong length"));
                }
                let own = self.buf[body_start..body_start + at].to_vec();
                let n = have - at;
                write_into(
                    &mut dest[..n],
                    &self.buf[body_start + at..body_start + have],
                );
                Partial {
                    header,
                    body_len,
                    own,
                    placed: Some(placed),
                    got: n,
                    want,
                }
            }
            _ => {
                let mut own = vec![0u8; body_len];
                own[..have].copy_from_slice(&self.buf[body_start..body_start + have]);
                Partial {
                    header,
                    body_len,
                    own,
                    placed: None,
                    got: have,
                    want: body_len,
                }
            }
        };
        debug_assert!(partial.body_len >= partial.want);
        self.start = self.filled;
        self.partial = Some(partial);
        Ok(None)
    }
}

/// Copies `src` into the same length of memory that need not be initialised (what
/// `write_copy_of_slice` does, from Rust 1.93 on).
fn write_into(dest: &mut [MaybeUninit<u8>], src: &[u8]) {
    debug_assert_eq!(dest.len(), src.len());
    for (d, s) in dest.iter_mut().zip(src) {
        d.write(*s);
    }
}

fn finish(header: FrameHeader, body: Body, placed: Option<Box<dyn Placed>>) -> InFrame {
    match header.kind {
        FrameKind::Hello => InFrame::Hello(body.into_vec()),
        FrameKind::Reply => InFrame::Reply(ReplyFrame {
            op: header.op,
            id: header.id,
            body,
            placed,
        }),
        FrameKind::Request | FrameKind::Notice => InFrame::Other(header),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_protocol::binary::{decode_command, encode_command, encode_reply};
    use ferry_protocol::{CallTarget, Elem, Prims, Value};

    #[test]
    fn op_codes_match_the_protocol_crate() {
        let cases = [
            (
                Command::Call {
                    target: CallTarget::Object("o1".into()),
                    method: "m".into(),
                    args: vec![],
                },
                op::CALL,
            ),
            (
                Command::Construct {
                    class: "a.B".into(),
                    args: vec![],
                },
                op::CONSTRUCT,
            ),
            (
                Command::Stream {
                    target: CallTarget::Object("o1".into()),
                    method: "m".into(),
                    args: vec![],
                },
                op::STREAM,
            ),
            (Command::Release { ids: vec![] }, op::RELEASE),
            (
                Command::Cancel {
                    address: "key".into(),
                    remote_port: "1".into(),
                    local_port: "-1".into(),
                },
                op::CANCEL,
            ),
            (Command::ToPython { id: "o1".into() }, op::TO_PYTHON),
            (
                Command::Iterate {
                    id: "o1".into(),
                    max: 3,
                },
                op::ITERATE,
            ),
            (Command::ToJava { value: Value::Null }, op::TO_JAVA),
        ];
        for (cmd, code) in cases {
            let mut out = Vec::new();
            encode_command(&cmd, 0, &mut out);
            assert_eq!(u16::from_le_bytes([out[6], out[7]]), code, "{cmd:?}");
        }
        let mut out = Vec::new();
        encode_reply(&Reply::error_message("x"), 1, &mut out);
        assert_eq!(u16::from_le_bytes([out[6], out[7]]), op::ERROR);
    }

    #[test]
    fn frames_written_here_decode_in_the_protocol_crate() {
        let mut out = Vec::new();
        let at = begin_frame(&mut out, FrameKind::Request, op::CALL);
        out.push(0);
        put_str(&mut out, "o7");
        put_str(&mut out, "size");
        put_u16(&mut out, 1);
        out.push(tag::TYPED_LIST);
        out.push(Elem::Int.code());
        put_u32(&mut out, 2);
        pad8(&mut out, body_start(at));
        out.extend_from_slice(&1i32.to_le_bytes());
        out.extend_from_slice(&2i32.to_le_bytes());
        finish_frame(&mut out, at);
        let spans = frames(&out).unwrap();
        assert_eq!(spans.len(), 1);
        let header = FrameHeader {
            kind: FrameKind::Request,
            flags: 0,
            op: op::CALL,
            id: 0,
        };
        let cmd = decode_command(&header, &out[HEADER_LEN..]).unwrap();
        assert_eq!(
            cmd,
            Command::Call {
                target: CallTarget::Object("o7".into()),
                method: "size".into(),
                args: vec![Value::TypedList(Prims::from_i32(&[1, 2]))],
            }
        );
    }

    #[test]
    fn holes_are_part_of_their_frames() {
        // Two frames; the first carries 100 000 bytes from elsewhere in its body.
        let data = vec![7u8; 100_000];
        let mut buf = Vec::new();
        let at = begin_frame(&mut buf, FrameKind::Request, op::CALL);
        buf.push(0);
        put_str(&mut buf, "o1");
        put_str(&mut buf, "len");
        put_u16(&mut buf, 1);
        buf.push(tag::BYTES);
        put_u32(&mut buf, data.len() as u32);
        let hole_at = buf.len();
        finish_frame_with(&mut buf, at, data.len());
        let second = buf.len();
        let at2 = begin_frame(&mut buf, FrameKind::Request, op::TO_PYTHON);
        put_str(&mut buf, "o2");
        finish_frame(&mut buf, at2);
        let holes = [Hole {
            at: hole_at,
            data: &data,
        }];
        let spans = frames_with(&buf, &holes).unwrap();
        assert_eq!(
            spans.iter().map(|s| s.at).collect::<Vec<_>>(),
            vec![0, second]
        );
        let mut wire = Vec::new();
        write_with_holes(&mut wire, &buf, &holes).unwrap();
        assert_eq!(wire.len(), buf.len() + data.len());
        let header = FrameHeader {
            kind: FrameKind::Request,
            flags: 0,
            op: op::CALL,
            id: 0,
        };
        let len = u32::from_le_bytes(wire[0..4].try_into().unwrap()) as usize;
        let cmd = decode_command(&header, &wire[HEADER_LEN..4 + len]).unwrap();
        match cmd {
            Command::Call { args, .. } => assert_eq!(args, vec![Value::Bytes(data.clone().into())]),
            other => panic!("{other:?}"),
        }
        // A hole outside the frames is refused.
        let bad_holes = [Hole { at: 2, data: &data }];
        assert!(frames_with(&buf, &bad_holes).is_err());
    }

    #[test]
    fn text_commands_become_the_same_commands_in_frames() {
        let text = b"c\nz:java.lang.Math\nabs\ni-5\ne\nm\nd\no3\ne\nr\nu\njava\nrj\ne\n";
        let mut out = Vec::new();
        assert_eq!(transcode(text, &mut out).unwrap(), 3);
        let spans = frames(&out).unwrap();
        assert_eq!(spans.len(), 3);
        let mut decoder = Decoder::new(Side::Java);
        decoder.feed(text);
        for span in spans {
            let h = &out[span.at..];
            let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
            let header = FrameHeader {
                kind: span.kind,
                flags: 0,
                op: u16::from_le_bytes([h[6], h[7]]),
                id: 0,
            };
            let cmd = decode_command(&header, &h[HEADER_LEN..4 + len]).unwrap();
            match decoder.next().unwrap() {
                Some(Incoming::Command(expected)) => assert_eq!(cmd, expected),
                other => panic!("{other:?}"),
            }
        }
        assert!(transcode(b"c\nt\n", &mut Vec::new()).is_err());
    }

    struct Vecs(Vec<MaybeUninit<u8>>);
    impl Placed for Vecs {
        fn spare(&mut self) -> &mut [MaybeUninit<u8>] {
            &mut self.0
        }
        fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
            self
        }
    }
    struct AfterTag;
    impl Placer for AfterTag {
        fn place(
            &mut self,
            _header: &FrameHeader,
            head: &[u8],
            body_len: usize,
        ) -> Option<(usize, Box<dyn Placed>)> {
            (head[0] == tag::BYTES)
                .then(|| {
                    Box::new(Vecs(vec![MaybeUninit::uninit(); body_len - 5])) as Box<dyn Placed>
                })
                .map(|b| (5, b))
        }
    }

    /// A source that hands out at most 7,777 bytes of its chunk per read.
    struct Chunks<'a>(&'a [u8]);
    impl io::Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(7_777);
            buf[..n].copy_from_slice(&self.0[..n]);
            Ok(n)
        }
    }
    impl Source for Chunks<'_> {
        fn read_uninit(&mut self, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(7_777);
            write_into(&mut buf[..n], &self.0[..n]);
            Ok(n)
        }
    }

    #[test]
    #[allow(unsafe_code)] // reads the placed buffer back
    fn a_large_body_can_go_into_a_placed_buffer_at_any_split() {
        let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut frame = Vec::new();
        encode_reply(
            &Reply::Success(Value::Bytes(payload.clone().into())),
            9,
            &mut frame,
        );
        encode_reply(&Reply::Success(Value::Int(4)), 10, &mut frame);
        for split in [1usize, 12, 13, 20, 28, 65_000, 150_000, frame.len() - 1] {
            let mut r = FrameReader::new();
            let mut placer = AfterTag;
            let mut got = Vec::new();
            let mut fed = 0;
            let chunks = [&frame[..split], &frame[split..]];
            for chunk in chunks {
                let mut c = chunk;
                while !c.is_empty() {
                    let n = r.fill(&mut Chunks(c)).unwrap();
                    c = &c[n..];
                    fed += n;
                    while let Some(f) = r.next(Some(&mut placer)).unwrap() {
                        got.push(f);
                    }
                }
            }
            assert_eq!(fed, frame.len());
            assert_eq!(got.len(), 2, "split {split}");
            match got.remove(0) {
                InFrame::Reply(f) => {
                    assert_eq!(f.id, 9);
                    assert_eq!(f.body[..], [tag::BYTES, 0x40, 0x0d, 0x03, 0x00]);
                    let placed = f.placed.unwrap().into_any().downcast::<Vecs>().unwrap();
                    // SAFETY: the reader wrote every byte of a placed buffer before returning
                    // its frame.
                    let bytes: Vec<u8> = placed
                        .0
                        .iter()
                        .map(|b| unsafe { b.assume_init() })
                        .collect();
                    assert_eq!(bytes, payload);
                }
                _ => panic!("not a reply"),
            }
            match got.remove(0) {
                InFrame::Reply(f) => assert_eq!(f.decode().unwrap(), Reply::Success(Value::Int(4))),
                _ => panic!("not a reply"),
            }
        }
    }
}
