//! Frames: a 12-byte header (length, kind, flags, op, id) and a body; the incremental frame
//! decoder; the hello line and the HELLO frame.

use crate::ProtocolError;

/// The line a v2 client sends first. A Py4J server answers it as an unknown command.
pub const HELLO_LINE: &[u8] = b"FERRY/2\n";

/// Bytes in a frame header.
pub const HEADER_LEN: usize = 12;

/// What a frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// The server's answer to the hello line.
    Hello,
    /// A command (either direction); answered by one reply with the same id.
    Request,
    /// The answer to the peer's request with this id.
    Reply,
    /// A message with no reply (releases, cancel).
    Notice,
}

impl FrameKind {
    fn code(self) -> u8 {
        match self {
            FrameKind::Hello => 1,
            FrameKind::Request => 2,
            FrameKind::Reply => 3,
            FrameKind::Notice => 4,
        }
    }

    fn from_code(c: u8) -> Option<FrameKind> {
        Some(match c {
            1 => FrameKind::Hello,
            2 => FrameKind::Request,
            3 => FrameKind::Reply,
            4 => FrameKind::Notice,
            _ => return None,
        })
    }
}

/// A frame's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// The kind.
    pub kind: FrameKind,
    /// Flags (0).
    pub flags: u8,
    /// Command or reply code.
    pub op: u16,
    /// The request id (chosen by the requester, echoed by the reply).
    pub id: u32,
}

/// A whole frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Its header.
    pub header: FrameHeader,
    /// Its body.
    pub body: Vec<u8>,
}

/// The body of a frame from [`FrameDecoder::next_frame`].
#[derive(Debug)]
pub enum FrameBody<'a> {
    /// A small frame's body, in the decoder's buffer.
    Buffered(&'a [u8]),
    /// A large frame's body, in a buffer of its own (give it back with
    /// [`FrameDecoder::recycle`] once decoded).
    Own(Vec<u8>),
}

impl FrameBody<'_> {
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            FrameBody::Buffered(b) => b,
            FrameBody::Own(b) => b,
        }
    }
}

/// Starts a frame in `out`: returns the position to give [`finish_frame`] once the body is
/// written.
pub(crate) fn begin_frame(out: &mut Vec<u8>, header: FrameHeader) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    out.push(header.kind.code());
    out.push(header.flags);
    out.extend_from_slice(&header.op.to_le_bytes());
    out.extend_from_slice(&header.id.to_le_bytes());
    at
}

/// Writes the length of the frame started at `at`.
pub(crate) fn finish_frame(out: &mut [u8], at: usize) {
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// The body of the server's HELLO frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// The protocol version the server picked.
    pub version: u16,
    /// Feature bits (see [`super::features`]).
    pub features: u32,
    /// A free-form name and version of the server.
    pub server: String,
    /// The secret that cancels this connection: a cancel notice with address `key` and this
    /// number in hexadecimal closes it (and interrupts its Java thread), on any transport.
    pub cancel_key: u64,
}

impl Hello {
    /// Appends the HELLO frame.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let at = begin_frame(
            out,
            FrameHeader {
                kind: FrameKind::Hello,
                flags: 0,
                op: self.version,
                id: 0,
            },
        );
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&self.features.to_le_bytes());
        out.extend_from_slice(&(self.server.len() as u32).to_le_bytes());
        out.extend_from_slice(self.server.as_bytes());
        out.extend_from_slice(&self.cancel_key.to_le_bytes());
        finish_frame(out, at);
    }

    /// Reads a HELLO frame's body.
    pub fn decode(body: &[u8]) -> Result<Hello, ProtocolError> {
        let mut r = super::codec::Reader::new(body);
        let version = r.u16()?;
        let features = r.u32()?;
        let server = r.str()?;
        let cancel_key = r.u64()?;
        Ok(Hello {
            version,
            features,
            server,
            cancel_key,
        })
    }
}

const DEFAULT_MAX_FRAME: usize = 1 << 30;
/// Frames at least this large are read straight into their own buffer (no second copy).
const LARGE: usize = 64 * 1024;
/// The largest body buffer [`FrameDecoder::recycle`] keeps.
const SPARE_LIMIT: usize = 256 << 20;

/// Decodes a stream of frames. Feed bytes with [`FrameDecoder::feed`] or [`FrameDecoder::fill`],
/// take frames with [`FrameDecoder::next`]. A large frame is read into a buffer of its own, so
/// its bytes are copied once, from the socket.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    start: usize,
    filled: usize,
    /// A large frame being received: its header and body buffer (filled up to its length).
    large: Option<(FrameHeader, Vec<u8>, usize)>,
    /// The body buffer of a large frame given back ([`FrameDecoder::recycle`]), for the next
    /// one: its pages are already the process's (no page faults while receiving into it).
    spare: Vec<u8>,
    max_frame: usize,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// A decoder with the default frame limit (1 GiB).
    pub fn new() -> FrameDecoder {
        FrameDecoder {
            buf: Vec::new(),
            start: 0,
            filled: 0,
            large: None,
            spare: Vec::new(),
            max_frame: DEFAULT_MAX_FRAME,
        }
    }

    /// Gives back the body of a large frame, once decoded: the next large frame is received
    /// into it. At most one buffer is kept (the largest given back, up to [`SPARE_LIMIT`]).
    pub fn recycle(&mut self, body: Vec<u8>) {
        if body.capacity() >= LARGE
            && body.capacity() <= SPARE_LIMIT
            && body.capacity() > self.spare.capacity()
        {
            self.spare = body;
        }
    }

    /// The capacity of the large-frame buffer kept for the next large frame (0: none).
    pub fn spare_capacity(&self) -> usize {
        self.spare.capacity()
    }

    /// Whether a large frame is being received into a buffer of its own.
    pub fn receiving_large(&self) -> bool {
        self.large.is_some()
    }

    /// Frees the large-frame buffer kept for the next large frame (the connection is idle).
    pub fn release_spare(&mut self) {
        self.spare = Vec::new();
    }

    /// Limits the size of one frame.
    pub fn set_max_frame(&mut self, limit: usize) {
        self.max_frame = limit;
    }

    /// Bytes received and not yet part of a frame.
    pub fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.filled]
    }

    /// Appends received bytes.
    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let n = self
                .fill(data.len(), |spare| {
                    let n = spare.len().min(data.len());
                    spare[..n].copy_from_slice(&data[..n]);
                    Ok::<usize, std::convert::Infallible>(n)
                })
                .unwrap_or(0);
            data = &data[n..];
        }
    }

    /// Lets `read` write received bytes straight into the decoder's buffer (at least one byte of
    /// room is offered; up to `hint` when a large frame is being received) and returns what
    /// `read` returned.
    pub fn fill<E>(
        &mut self,
        hint: usize,
        read: impl FnOnce(&mut [u8]) -> Result<usize, E>,
    ) -> Result<usize, E> {
        if let Some((_, body, got)) = &mut self.large {
            let n = read(&mut body[*got..])?;
            *got += n;
            return Ok(n);
        }
        if self.start > 0 && (self.start == self.filled || self.start >= self.buf.len() / 2) {
            self.buf.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.start = 0;
        }
        let need = self.filled + hint.clamp(1, LARGE);
        if self.buf.len() < need {
            self.buf.resize(need.max(self.buf.len() * 2).max(8192), 0);
        }
        let n = read(&mut self.buf[self.filled..])?;
        self.filled += n.min(self.buf.len() - self.filled);
        Ok(n)
    }

    /// The next complete frame, if one has arrived.
    // Not an Iterator: a frame may be absent now and arrive later, and errors are final.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Frame>, ProtocolError> {
        Ok(self.next_frame()?.map(|(header, body)| Frame {
            header,
            body: match body {
                FrameBody::Buffered(b) => b.to_vec(),
                FrameBody::Own(b) => b,
            },
        }))
    }

    /// [`FrameDecoder::next`] with the body of a small frame lent from the decoder's buffer
    /// (no allocation per frame) until the next call.
    pub fn next_frame(&mut self) -> Result<Option<(FrameHeader, FrameBody<'_>)>, ProtocolError> {
        if let Some((_, body, got)) = &self.large {
            if *got < body.len() {
                return Ok(None);
            }
            let (header, body, _) = self.large.take().expect("checked above");
            return Ok(Some((header, FrameBody::Own(body))));
        }
        let avail = self.filled - self.start;
        if avail < HEADER_LEN {
            return Ok(None);
        }
        let b = &self.buf[self.start..self.filled];
        let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        if len < HEADER_LEN - 4 {
            return Err(ProtocolError::Malformed {
                command: '?',
                detail: format!("frame length {len} is shorter than a header"),
            });
        }
        if len > self.max_frame {
            return Err(ProtocolError::TooLarge {
                limit: self.max_frame,
            });
        }
        let kind = FrameKind::from_code(b[4]).ok_or_else(|| ProtocolError::Malformed {
            command: '?',
            detail: format!("unknown frame kind {}", b[4]),
        })?;
        let header = FrameHeader {
            kind,
            flags: b[5],
            op: u16::from_le_bytes([b[6], b[7]]),
            id: u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
        };
        let body_len = len + 4 - HEADER_LEN;
        if avail >= 4 + len {
            let body_start = self.start + HEADER_LEN;
            self.start += 4 + len;
            let body = &self.buf[body_start..body_start + body_len];
            return Ok(Some((header, FrameBody::Buffered(body))));
        }
        if body_len >= LARGE {
            // Move what arrived of the body into the frame's own buffer; the rest is read there.
            let mut body = std::mem::take(&mut self.spare);
            if body.capacity() >= body_len {
                // The old bytes are overwritten by the frame's: only growth is zeroed (a full
                // zeroing would be one more pass over the memory per large frame).
                body.truncate(body_len);
                body.resize(body_len, 0);
            } else {
                // Too small: a fresh buffer rather than a reallocation copying old bytes.
                body = vec![0; body_len];
            }
            let have = avail - HEADER_LEN;
            let body_start = self.start + HEADER_LEN;
            body[..have].copy_from_slice(&self.buf[body_start..body_start + have]);
            self.start = self.filled;
            self.large = Some((header, body, have));
        }
        Ok(None)
    }
}
