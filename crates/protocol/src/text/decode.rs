//! The incremental decoder: bytes in, commands and replies out.

use base64::Engine as _;

use super::Side;
use super::escape::{unescape_java, unescape_python};
use super::number::parse_java_double;
use crate::{
    ArrayCommand, CallTarget, CallbackCommand, Command, DirCommand, HelpTarget, ListCommand,
    ProtocolError, RefKind, Reply, Value, ViewCommand,
};

/// A decoded message.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A command from Python (decoded by the Java side).
    Command(Command),
    /// A command from Java (decoded by the Python side).
    Callback(CallbackCommand),
    /// A reply to a command this side sent.
    Reply(Reply),
}

/// How many lines a message has, once its first lines are known.
enum Shape {
    /// Exactly this many lines, the last being `e` (or no `e` where the grammar has none).
    Fixed(usize),
    /// Lines until one that is `e`, at this index or later.
    UntilEnd(usize),
}

const DEFAULT_MAX_MESSAGE: usize = 1 << 31;

/// Decodes a stream of text-protocol messages.
///
/// Feed it bytes with [`Decoder::feed`] (or let it read into its own buffer with
/// [`Decoder::fill`]) and take messages with [`Decoder::next`]. It keeps partial messages across
/// calls and never scans a byte twice, so a large message arriving in small pieces costs linear
/// time.
#[derive(Debug)]
pub struct Decoder {
    side: Side,
    buf: Vec<u8>,
    /// Bytes of `buf` holding data.
    filled: usize,
    /// Start of the message being decoded.
    start: usize,
    /// Next byte to scan for a line end.
    scan: usize,
    /// Lines of the current message, as (start, end) without their terminators.
    lines: Vec<(usize, usize)>,
    /// Start of the line being scanned.
    line_start: usize,
    /// The previous line ended with CR, so an LF right after it belongs to that line end (Java
    /// `readLine` semantics).
    skip_lf: bool,
    max_message: usize,
}

impl Decoder {
    /// A decoder for the given side of a connection.
    pub fn new(side: Side) -> Decoder {
        Decoder {
            side,
            buf: Vec::new(),
            filled: 0,
            start: 0,
            scan: 0,
            lines: Vec::new(),
            line_start: 0,
            skip_lf: false,
            max_message: DEFAULT_MAX_MESSAGE,
        }
    }

    /// Limits the size of one message, line ends included: a longer one is a
    /// [`ProtocolError::TooLarge`], reported as soon as the bytes buffered for it pass the limit,
    /// whether or not its lines have ended.
    pub fn set_max_message(&mut self, limit: usize) {
        self.max_message = limit;
    }

    /// Appends received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        self.reserve(data.len());
        self.buf[self.filled..self.filled + data.len()].copy_from_slice(data);
        self.filled += data.len();
    }

    /// Lets `read` write received bytes straight into the decoder's buffer (at least `min` bytes
    /// of room are offered, and never none, so that a read of 0 bytes always means end of
    /// stream) and returns what `read` returned.
    pub fn fill<E>(
        &mut self,
        min: usize,
        read: impl FnOnce(&mut [u8]) -> Result<usize, E>,
    ) -> Result<usize, E> {
        self.reserve(min.max(1));
        let n = read(&mut self.buf[self.filled..])?;
        self.filled += n.min(self.buf.len() - self.filled);
        Ok(n)
    }

    /// Bytes received but not yet part of a decoded message.
    pub fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.filled]
    }

    /// Takes the bytes received after the last decoded message, leaving the decoder empty. Used
    /// after a stream (`S`) reply, whose raw bytes follow the reply line.
    pub fn take_buffered(&mut self) -> Vec<u8> {
        let out = self.buf[self.start..self.filled].to_vec();
        self.reset_message(self.filled);
        out
    }

    fn reserve(&mut self, extra: usize) {
        if self.start > 0 && (self.start == self.filled || self.start >= self.buf.len() / 2) {
            self.compact();
        }
        let need = self.filled + extra;
        if self.buf.len() < need {
            let new_len = need.max(self.buf.len() * 2).max(8192);
            self.buf.resize(new_len, 0);
        }
    }

    fn compact(&mut self) {
        let shift = self.start;
        self.buf.copy_within(shift..self.filled, 0);
        self.filled -= shift;
        self.start = 0;
        self.scan -= shift;
        self.line_start -= shift;
        for (a, b) in &mut self.lines {
            *a -= shift;
            *b -= shift;
        }
    }

    fn reset_message(&mut self, at: usize) {
        self.start = at;
        self.scan = at;
        self.line_start = at;
        self.lines.clear();
    }

    /// The next complete message, if one has arrived.
    ///
    /// After an error the decoder's state is unspecified: the connection is to be closed, as Py4J
    /// closes it.
    // Not an `Iterator`: `Ok(None)` means "not yet", not "never again".
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Incoming>, ProtocolError> {
        self.next_with(None)
    }

    /// [`Decoder::next`] with a call's target and method made in the buffers of `strings`
    /// (strings of earlier commands given back, taken from the end): a connection that hands its
    /// commands' strings back decodes the next calls without allocating.
    pub fn next_reusing(
        &mut self,
        strings: &mut Vec<String>,
    ) -> Result<Option<Incoming>, ProtocolError> {
        self.next_with(Some(strings))
    }

    fn next_with(
        &mut self,
        mut strings: Option<&mut Vec<String>>,
    ) -> Result<Option<Incoming>, ProtocolError> {
        loop {
            if !self.next_line() {
                if self.filled - self.start > self.max_message {
                    return Err(ProtocolError::TooLarge {
                        limit: self.max_message,
                    });
                }
                return Ok(None);
            }
            // Checked on every line, before anything else, so that the outcome does not depend
            // on how the bytes arrived.
            if self.scan - self.start > self.max_message {
                return Err(ProtocolError::TooLarge {
                    limit: self.max_message,
                });
            }
            if let Some(shape) = self.shape()? {
                let n = self.lines.len();
                let done = match shape {
                    Shape::Fixed(k) => n >= k,
                    Shape::UntilEnd(min) => n > min && self.line(n - 1) == b"e",
                };
                if done {
                    let msg = self.decode_message(strings.as_deref_mut());
                    let end = self.scan;
                    self.reset_message(end);
                    return msg.map(Some);
                }
            }
        }
    }

    /// Scans for the next line end; records the line and returns true if one was found.
    fn next_line(&mut self) -> bool {
        let java = self.side == Side::Java;
        while self.scan < self.filled {
            let b = self.buf[self.scan];
            if self.skip_lf {
                self.skip_lf = false;
                if b == b'\n' {
                    // The LF of a CRLF whose CR ended the previous message belongs to that
                    // message, not to the next one.
                    if self.lines.is_empty() && self.start == self.scan {
                        self.start += 1;
                    }
                    self.scan += 1;
                    self.line_start = self.scan;
                    continue;
                }
            }
            let rest = &self.buf[self.scan..self.filled];
            let pos = if java {
                memchr::memchr2(b'\n', b'\r', rest)
            } else {
                memchr::memchr(b'\n', rest)
            };
            match pos {
                Some(p) => {
                    let end = self.scan + p;
                    self.skip_lf = self.buf[end] == b'\r';
                    self.lines.push((self.line_start, end));
                    self.scan = end + 1;
                    self.line_start = self.scan;
                    return true;
                }
                None => {
                    self.scan = self.filled;
                }
            }
        }
        false
    }

    fn line(&self, i: usize) -> &[u8] {
        let (a, b) = self.lines[i];
        &self.buf[a..b]
    }

    fn line_str(&self, i: usize) -> Result<&str, ProtocolError> {
        std::str::from_utf8(self.line(i)).map_err(|_| ProtocolError::InvalidUtf8)
    }

    fn shape(&self) -> Result<Option<Shape>, ProtocolError> {
        let first = self.line(0);
        if first.first() == Some(&b'!') {
            return Ok(Some(Shape::Fixed(1)));
        }
        let unknown = || ProtocolError::UnknownCommand(String::from_utf8_lossy(first).into_owned());
        if first.len() != 1 {
            return Err(unknown());
        }
        let name = first[0];
        if self.side == Side::Python {
            return Ok(Some(match name {
                b'c' => Shape::UntilEnd(3),
                b'g' | b'A' => Shape::Fixed(3),
                _ => return Err(unknown()),
            }));
        }
        let fixed = |n| Ok(Some(Shape::Fixed(n)));
        match name {
            b'c' | b'S' => return Ok(Some(Shape::UntilEnd(3))),
            b'i' => return Ok(Some(Shape::UntilEnd(2))),
            b'p' => return fixed(3),
            b'A' => return fixed(2),
            b's' => return fixed(1),
            b'z' => return fixed(4),
            b'f' | b'r' | b'a' | b'l' | b'm' | b'j' | b'd' | b'h' => {}
            _ => return Err(unknown()),
        }
        if self.lines.len() < 2 {
            return Ok(None);
        }
        let sub = self.line(1);
        let bad_sub = || ProtocolError::UnknownSubCommand {
            command: name as char,
            sub: String::from_utf8_lossy(sub).into_owned(),
        };
        if sub.len() != 1 {
            return Err(bad_sub());
        }
        let shape = match (name, sub[0]) {
            (b'f', b'g') => Shape::Fixed(5),
            (b'f', b's') => Shape::Fixed(6),
            (b'r', b'u' | b'm') => Shape::Fixed(5),
            (b'r', b'c') => Shape::Fixed(4),
            (b'a', b'c' | b'l') => Shape::UntilEnd(3),
            (b'a', b'g') => Shape::Fixed(5),
            (b'a', b's') => Shape::Fixed(6),
            (b'a', b'e') => Shape::Fixed(4),
            (b'l', b's' | b'r' | b'x' | b'n') => Shape::Fixed(4),
            (b'l', b'l') => Shape::UntilEnd(3),
            (b'l', b'a' | b'm' | b'i' | b'f') => Shape::Fixed(5),
            (b'm', b'd' | b'a') => Shape::Fixed(4),
            (b'j', b'c') => Shape::Fixed(4),
            (b'j', b'i' | b'r') => Shape::Fixed(5),
            (b'j', b's') => Shape::Fixed(2),
            (b'd', b'f' | b'm' | b's') => Shape::Fixed(4),
            (b'd', b'v') => Shape::Fixed(5),
            (b'h', b'o' | b'c') => Shape::Fixed(6),
            _ => return Err(bad_sub()),
        };
        Ok(Some(shape))
    }

    fn decode_message(&self, strings: Option<&mut Vec<String>>) -> Result<Incoming, ProtocolError> {
        let first = self.line(0);
        if first.first() == Some(&b'!') {
            let text = self.line_str(0)?;
            return parse_reply(&text[1..], self.side).map(Incoming::Reply);
        }
        let name = first[0];
        // Every fixed-shape message with an `e` line must end with it.
        let n = self.lines.len();
        // Python sends `A`, `s` and `z` without one, and `j s` is only two lines.
        let no_end = self.side == Side::Java
            && (matches!(name, b'A' | b's' | b'z') || (name == b'j' && self.line(1) == b"s"));
        let has_end = !no_end;
        if has_end && self.line(n - 1) != b"e" {
            return Err(ProtocolError::Malformed {
                command: name as char,
                detail: format!(
                    "expected the end line 'e', got {:?}",
                    String::from_utf8_lossy(self.line(n - 1))
                ),
            });
        }
        match self.side {
            Side::Java => self.decode_command(name, strings).map(Incoming::Command),
            Side::Python => self.decode_callback(name).map(Incoming::Callback),
        }
    }

    fn value(&self, i: usize) -> Result<Value, ProtocolError> {
        parse_value(self.line_str(i)?, self.side)
    }

    fn values(&self, from: usize) -> Result<Vec<Value>, ProtocolError> {
        (from..self.lines.len() - 1)
            .map(|i| self.value(i))
            .collect()
    }

    fn string(&self, i: usize) -> Result<String, ProtocolError> {
        self.line_str(i).map(str::to_owned)
    }

    fn unescaped(&self, i: usize) -> Result<String, ProtocolError> {
        let s = self.line_str(i)?;
        Ok(match self.side {
            Side::Java => unescape_java(s),
            Side::Python => unescape_python(s),
        })
    }

    fn decode_callback(&self, name: u8) -> Result<CallbackCommand, ProtocolError> {
        Ok(match name {
            b'c' => CallbackCommand::Call {
                target: self.string(1)?,
                method: self.string(2)?,
                args: self.values(3)?,
            },
            b'g' => CallbackCommand::GarbageCollect {
                target: self.string(1)?,
            },
            _ => CallbackCommand::Auth {
                token: self.unescaped(1)?,
            },
        })
    }

    fn decode_command(
        &self,
        name: u8,
        mut strings: Option<&mut Vec<String>>,
    ) -> Result<Command, ProtocolError> {
        let mut owned = |text: &str| crate::reuse::owned_in(strings.as_deref_mut(), text);
        let sub = if self.lines.len() > 1 {
            self.line(1).first().copied().unwrap_or(0)
        } else {
            0
        };
        Ok(match name {
            b'c' | b'S' => {
                let target = self.line_str(1)?;
                let target = match target.strip_prefix("z:") {
                    Some(class) => CallTarget::Static(owned(class)),
                    None => CallTarget::Object(owned(target)),
                };
                let method = owned(self.line_str(2)?);
                let args = self.values(3)?;
                if name == b'c' {
                    Command::Call {
                        target,
                        method,
                        args,
                    }
                } else {
                    Command::Stream {
                        target,
                        method,
                        args,
                    }
                }
            }
            b'i' => Command::Construct {
                class: self.string(1)?,
                args: self.values(2)?,
            },
            b'p' => Command::ExceptionTrace {
                id: self.string(1)?,
            },
            b'A' => Command::Auth {
                token: self.unescaped(1)?,
            },
            b's' => Command::Shutdown,
            b'z' => Command::Cancel {
                address: self.string(1)?,
                remote_port: self.string(2)?,
                local_port: self.string(3)?,
            },
            b'f' => {
                let target = self.string(2)?;
                let field = self.string(3)?;
                if sub == b'g' {
                    Command::FieldGet { target, field }
                } else {
                    Command::FieldSet {
                        target,
                        field,
                        value: self.value(4)?,
                    }
                }
            }
            b'r' => match sub {
                b'u' => Command::ReflectUnknown {
                    name: self.string(2)?,
                    view: self.string(3)?,
                },
                b'm' => Command::ReflectMember {
                    class: self.string(2)?,
                    member: self.string(3)?,
                },
                _ => Command::ReflectClass {
                    class: self.string(2)?,
                },
            },
            b'a' => Command::Array(match sub {
                b'c' => {
                    let component = match self.value(2)? {
                        Value::String(s) => s,
                        other => {
                            return Err(ProtocolError::Malformed {
                                command: 'a',
                                detail: format!(
                                    "array component type must be a string, got {other:?}"
                                ),
                            });
                        }
                    };
                    ArrayCommand::Create {
                        component,
                        dims: self.values(3)?,
                    }
                }
                b'g' => ArrayCommand::Get {
                    array: self.string(2)?,
                    index: self.value(3)?,
                },
                b's' => ArrayCommand::Set {
                    array: self.string(2)?,
                    index: self.value(3)?,
                    value: self.value(4)?,
                },
                b'l' => ArrayCommand::Slice {
                    array: self.string(2)?,
                    indices: self.values(3)?,
                },
                _ => ArrayCommand::Len {
                    array: self.string(2)?,
                },
            }),
            b'l' => {
                let list = self.string(2)?;
                Command::List(match sub {
                    b's' => ListCommand::Sort(list),
                    b'r' => ListCommand::Reverse(list),
                    b'x' => ListCommand::Max(list),
                    b'n' => ListCommand::Min(list),
                    b'l' => ListCommand::Slice {
                        list,
                        indices: self.values(3)?,
                    },
                    b'a' => ListCommand::Concat {
                        list,
                        other: self.string(3)?,
                    },
                    b'm' => ListCommand::Mult {
                        list,
                        times: self.value(3)?,
                    },
                    b'i' => ListCommand::IMult {
                        list,
                        times: self.value(3)?,
                    },
                    _ => ListCommand::Count {
                        list,
                        value: self.value(3)?,
                    },
                })
            }
            b'm' => {
                let id = self.string(2)?;
                if sub == b'd' {
                    Command::MemoryDelete { id }
                } else {
                    Command::MemoryAttach { id }
                }
            }
            b'j' => Command::View(match sub {
                b'c' => ViewCommand::Create {
                    name: self.string(2)?,
                },
                b'i' => ViewCommand::Import {
                    view: self.string(2)?,
                    import: self.unescaped(3)?,
                },
                b'r' => ViewCommand::RemoveImport {
                    view: self.string(2)?,
                    import: self.unescaped(3)?,
                },
                _ => ViewCommand::Search,
            }),
            b'd' => Command::Dir(match sub {
                b'f' => DirCommand::Fields(self.string(2)?),
                b'm' => DirCommand::Methods(self.string(2)?),
                b's' => DirCommand::Static(self.string(2)?),
                _ => DirCommand::View {
                    view: self.string(2)?,
                    sequence: match self.value(3)? {
                        Value::Null => None,
                        Value::String(s) => Some(s),
                        other => {
                            return Err(ProtocolError::Malformed {
                                command: 'd',
                                detail: format!(
                                    "view sequence must be null or a string, got {other:?}"
                                ),
                            });
                        }
                    },
                },
            }),
            _ => {
                let id = self.string(2)?;
                let target = if sub == b'o' {
                    HelpTarget::Object(id)
                } else {
                    HelpTarget::Class(id)
                };
                let pattern = match self.value(3)? {
                    Value::Null => None,
                    Value::String(s) => Some(s),
                    other => {
                        return Err(ProtocolError::Malformed {
                            command: 'h',
                            detail: format!("help pattern must be null or a string, got {other:?}"),
                        });
                    }
                };
                let short_name = match self.value(4)? {
                    Value::Bool(b) => b,
                    other => {
                        return Err(ProtocolError::Malformed {
                            command: 'h',
                            detail: format!(
                                "help short-name flag must be a boolean, got {other:?}"
                            ),
                        });
                    }
                };
                Command::Help {
                    target,
                    pattern,
                    short_name,
                }
            }
        })
    }
}

fn bad(s: &str) -> ProtocolError {
    ProtocolError::BadValue(s.chars().take(200).collect())
}

/// Parses one typed value (`i42`, `sabc`, `ro3`, ...) as the given side reads it.
pub(crate) fn parse_value(s: &str, side: Side) -> Result<Value, ProtocolError> {
    // Every tag is ASCII; checking it first also keeps `s[1..]` on a character boundary.
    let Some(&tag) = s.as_bytes().first().filter(|b| b.is_ascii()) else {
        return Err(bad(s));
    };
    let body = &s[1..];
    Ok(match tag {
        b'n' => Value::Null,
        b'v' => Value::Void,
        b'b' => Value::Bool(body.eq_ignore_ascii_case("true")),
        b'i' => match body.parse::<i32>() {
            Ok(v) => Value::Int(v),
            // Java falls back to a Long when an `i` value overflows an int.
            Err(_) => Value::Long(body.parse::<i64>().map_err(|_| bad(s))?),
        },
        b'L' => Value::Long(body.parse::<i64>().map_err(|_| bad(s))?),
        b'd' => Value::Double(match side {
            Side::Java => parse_java_double(body).ok_or_else(|| bad(s))?,
            Side::Python => parse_python_float(body).ok_or_else(|| bad(s))?,
        }),
        b'D' => {
            if !is_decimal(body) {
                return Err(bad(s));
            }
            Value::Decimal(body.to_owned())
        }
        b's' => Value::String(match side {
            Side::Java => unescape_java(body),
            Side::Python => unescape_python(body),
        }),
        b'j' => Value::Bytes(
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .map_err(|_| bad(s))?
                .into(),
        ),
        b'f' => {
            let mut parts = body.split(';');
            let id = parts.next().unwrap_or_default().to_owned();
            if id.is_empty() {
                return Err(bad(s));
            }
            Value::PythonProxy {
                id,
                interfaces: parts.map(str::to_owned).collect(),
            }
        }
        _ => match RefKind::from_tag(tag) {
            Some(kind) if !body.is_empty() => Value::Ref(kind, body.to_owned()),
            _ => return Err(bad(s)),
        },
    })
}

/// Python's `float()` on what Java writes (`1.0E-5`, `Infinity`, `NaN`), plus Python's own
/// spellings.
fn parse_python_float(s: &str) -> Option<f64> {
    parse_java_double(s).or_else(|| {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        let unsigned = lower.trim_start_matches(['+', '-']);
        if matches!(unsigned, "inf" | "infinity" | "nan") {
            t.parse::<f64>().ok()
        } else {
            None
        }
    })
}

/// `BigDecimal`'s string grammar: sign, digits with an optional point, optional exponent.
fn is_decimal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let mut digits = 0;
    let mut dot = false;
    while i < b.len() {
        match b[i] {
            b'0'..=b'9' => digits += 1,
            b'.' if !dot => dot = true,
            _ => break,
        }
        i += 1;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start || i - exp_start > 10 {
            return false;
        }
    }
    i == b.len()
}

/// Parses a reply line without its leading `!`.
pub(crate) fn parse_reply(s: &str, side: Side) -> Result<Reply, ProtocolError> {
    let bad_reply = || ProtocolError::BadReply(s.chars().take(200).collect());
    // Every status is ASCII; checking it first also keeps `s[1..]` on a character boundary.
    let Some(&status) = s.as_bytes().first().filter(|b| b.is_ascii()) else {
        return Err(bad_reply());
    };
    let rest = &s[1..];
    match status {
        b'y' => Ok(match rest {
            "" => Reply::Empty,
            "o" => Reply::NoMember,
            "m" => Reply::StaticMethod,
            "p" => Reply::Package,
            _ if rest.starts_with('c') => {
                Reply::Class((rest.len() > 1).then(|| rest[1..].to_owned()))
            }
            _ => Reply::Success(parse_value(rest, side).map_err(|_| bad_reply())?),
        }),
        b'x' => Ok(if rest.is_empty() {
            Reply::Error(None)
        } else {
            Reply::Error(Some(parse_value(rest, side).map_err(|_| bad_reply())?))
        }),
        b'z' => Ok(Reply::Fatal(match rest.strip_prefix('s') {
            Some(text) => match side {
                Side::Java => unescape_java(text),
                Side::Python => unescape_python(text),
            },
            None => rest.to_owned(),
        })),
        _ => Err(bad_reply()),
    }
}
