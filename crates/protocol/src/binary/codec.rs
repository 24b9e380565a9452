//! Values, commands and replies in binary frames (docs/protocol-v2.md, sections 3 to 5).

use std::sync::Arc;

use super::frame::{FrameHeader, FrameKind, begin_frame, finish_frame};
use crate::{
    ArrayCommand, Blob, CallTarget, CallbackCommand, Command, DirCommand, Elem, HelpTarget,
    ListCommand, Prims, ProtocolError, RefKind, Reply, TemporalKind, Value, ViewCommand,
};

fn malformed(detail: impl Into<String>) -> ProtocolError {
    ProtocolError::Malformed {
        command: '?',
        detail: detail.into(),
    }
}

/// Raw values at least this long are windows on a shared frame body rather than copies.
const SHARE_MIN: usize = 4096;

/// Reads the fields of a frame body.
pub(crate) struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    /// The body, when it is shared: large raw values become windows on it.
    shared: Option<&'a Arc<Vec<u8>>>,
    /// Strings of an earlier message, whose buffers receive this one's strings.
    strings: Option<&'a mut Vec<String>>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Reader<'a> {
        Reader {
            b,
            pos: 0,
            shared: None,
            strings: None,
        }
    }

    fn new_shared(body: &'a Arc<Vec<u8>>) -> Reader<'a> {
        Reader {
            b: body,
            pos: 0,
            shared: Some(body),
            strings: None,
        }
    }

    /// The next `n` bytes as a value's raw bytes: a window on the body when it is shared and
    /// they are many, else a copy.
    fn blob(&mut self, n: usize) -> Result<Blob, ProtocolError> {
        let start = self.pos;
        let bytes = self.take(n)?;
        if let Some(body) = self.shared.filter(|_| n >= SHARE_MIN) {
            if let Some(b) = Blob::shared(body, start..start + n) {
                return Ok(b);
            }
        }
        Ok(bytes.to_vec().into())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or_else(|| malformed("a field runs past the end of the frame"))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, ProtocolError> {
        Ok(self.take(1)?[0])
    }

    /// The next `N` bytes as an array (every fixed-width number is read through this).
    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], ProtocolError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}

/// Little-endian readers of fixed-width numbers, one per type.
macro_rules! le_readers {
    ($($vis:vis $name:ident: $ty:ty;)*) => {
        impl Reader<'_> {
            $(
                $vis fn $name(&mut self) -> Result<$ty, ProtocolError> {
                    self.fixed().map(<$ty>::from_le_bytes)
                }
            )*
        }
    };
}

le_readers! {
    pub(crate) u16: u16;
    pub(crate) u32: u32;
    pub(crate) u64: u64;
    i32: i32;
    i64: i64;
    f32: f32;
    f64: f64;
}

impl<'a> Reader<'a> {
    pub(crate) fn str(&mut self) -> Result<String, ProtocolError> {
        let n = self.u32()? as usize;
        let b = self.take(n)?;
        let s = std::str::from_utf8(b).map_err(|_| ProtocolError::InvalidUtf8)?;
        Ok(crate::reuse::owned_in(self.strings.as_deref_mut(), s))
    }

    /// A count of elements each at least `min_size` bytes long, checked against what is left
    /// (a hostile count cannot make the reader allocate more than the frame holds).
    fn count(&mut self, min_size: usize) -> Result<usize, ProtocolError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_size.max(1)) > self.b.len() - self.pos {
            return Err(malformed(format!("a count of {n} exceeds the frame")));
        }
        Ok(n)
    }

    /// Skips the padding that aligns raw elements to 8 bytes from the body's start.
    fn pad8(&mut self) -> Result<(), ProtocolError> {
        let pad = (8 - self.pos % 8) % 8;
        self.take(pad).map(|_| ())
    }

    fn done(&self) -> Result<(), ProtocolError> {
        if self.pos == self.b.len() {
            Ok(())
        } else {
            Err(malformed(format!(
                "{} bytes left over at the end of the frame",
                self.b.len() - self.pos
            )))
        }
    }
}

/// Writes the fields of a frame body; knows where the body starts, for alignment.
struct Writer<'a> {
    out: &'a mut Vec<u8>,
    body_start: usize,
}

impl Writer<'_> {
    fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.out.extend_from_slice(s.as_bytes());
    }
    fn pad8(&mut self) {
        let pos = self.out.len() - self.body_start;
        let pad = (8 - pos % 8) % 8;
        self.out.extend(std::iter::repeat_n(0u8, pad));
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.u8(0x00),
            Value::Void => self.u8(0x01),
            Value::Bool(false) => self.u8(0x02),
            Value::Bool(true) => self.u8(0x03),
            Value::Int(i) => {
                self.u8(0x04);
                self.out.extend_from_slice(&i.to_le_bytes());
            }
            Value::Long(l) => {
                self.u8(0x05);
                self.out.extend_from_slice(&l.to_le_bytes());
            }
            Value::Double(d) => {
                self.u8(0x06);
                self.out.extend_from_slice(&d.to_le_bytes());
            }
            Value::Float(f) => {
                self.u8(0x07);
                self.out.extend_from_slice(&f.to_le_bytes());
            }
            Value::Decimal(s) => {
                self.u8(0x08);
                self.str(s);
            }
            Value::String(s) => {
                self.u8(0x09);
                self.str(s);
            }
            Value::Bytes(b) => {
                self.u8(0x0A);
                self.u32(b.len() as u32);
                self.out.extend_from_slice(b);
            }
            Value::Char(c) => {
                self.u8(0x0B);
                self.u16(*c);
            }
            Value::BigInteger(s) => {
                self.u8(0x0C);
                self.str(s);
            }
            Value::Temporal(kind, text) => {
                self.u8(0x0D);
                self.u8(kind.code());
                self.str(text);
            }
            Value::Ref(kind, id) => {
                self.u8(0x10);
                self.u8(ref_kind_code(*kind));
                self.str(id);
            }
            Value::PythonProxy { id, interfaces } => {
                self.u8(0x11);
                self.str(id);
                self.u16(interfaces.len() as u16);
                for i in interfaces {
                    self.str(i);
                }
            }
            Value::List(items) | Value::Set(items) => {
                self.u8(if matches!(v, Value::List(_)) {
                    0x20
                } else {
                    0x21
                });
                self.u32(items.len() as u32);
                for i in items {
                    self.value(i);
                }
            }
            Value::Map(pairs) => {
                self.u8(0x22);
                self.u32(pairs.len() as u32);
                for (k, val) in pairs {
                    self.value(k);
                    self.value(val);
                }
            }
            Value::TypedList(p) | Value::Array(p) => {
                self.u8(if matches!(v, Value::TypedList(_)) {
                    0x23
                } else {
                    0x24
                });
                self.u8(p.elem.code());
                self.u32(p.len() as u32);
                self.pad8();
                self.out.extend_from_slice(&p.data);
            }
        }
    }
}

fn ref_kind_code(k: RefKind) -> u8 {
    match k {
        RefKind::Object => 0,
        RefKind::List => 1,
        RefKind::Map => 2,
        RefKind::Set => 3,
        RefKind::Array => 4,
        RefKind::Iterator => 5,
    }
}

fn ref_kind_of(c: u8) -> Option<RefKind> {
    Some(match c {
        0 => RefKind::Object,
        1 => RefKind::List,
        2 => RefKind::Map,
        3 => RefKind::Set,
        4 => RefKind::Array,
        5 => RefKind::Iterator,
        _ => return None,
    })
}

/// Nesting depth limit of bulk values (a hostile frame cannot overflow the stack).
const MAX_DEPTH: usize = 64;

fn read_value(r: &mut Reader, depth: usize) -> Result<Value, ProtocolError> {
    if depth > MAX_DEPTH {
        return Err(malformed("values nested too deeply"));
    }
    let tag = r.u8()?;
    Ok(match tag {
        0x00 => Value::Null,
        0x01 => Value::Void,
        0x02 => Value::Bool(false),
        0x03 => Value::Bool(true),
        0x04 => Value::Int(r.i32()?),
        0x05 => Value::Long(r.i64()?),
        0x06 => Value::Double(r.f64()?),
        0x07 => Value::Float(r.f32()?),
        0x08 => Value::Decimal(r.str()?),
        0x09 => Value::String(r.str()?),
        0x0A => {
            let n = r.u32()? as usize;
            Value::Bytes(r.blob(n)?)
        }
        0x0B => Value::Char(r.u16()?),
        0x0C => Value::BigInteger(r.str()?),
        0x0D => {
            let kind = TemporalKind::from_code(r.u8()?)
                .ok_or_else(|| malformed("unknown java.time kind"))?;
            Value::Temporal(kind, r.str()?)
        }
        0x10 => {
            let kind = ref_kind_of(r.u8()?).ok_or_else(|| malformed("unknown reference kind"))?;
            Value::Ref(kind, r.str()?)
        }
        0x11 => {
            let id = r.str()?;
            let n = r.u16()? as usize;
            let mut interfaces = Vec::with_capacity(n.min(64));
            for _ in 0..n {
                interfaces.push(r.str()?);
            }
            Value::PythonProxy { id, interfaces }
        }
        0x20 | 0x21 => {
            let n = r.count(1)?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(read_value(r, depth + 1)?);
            }
            if tag == 0x20 {
                Value::List(items)
            } else {
                Value::Set(items)
            }
        }
        0x22 => {
            let n = r.count(2)?;
            let mut pairs = Vec::with_capacity(n);
            for _ in 0..n {
                let k = read_value(r, depth + 1)?;
                let v = read_value(r, depth + 1)?;
                pairs.push((k, v));
            }
            Value::Map(pairs)
        }
        0x23 | 0x24 => {
            let elem = Elem::from_code(r.u8()?).ok_or_else(|| malformed("unknown element type"))?;
            let n = r.u32()? as usize;
            r.pad8()?;
            let len = n
                .checked_mul(elem.size())
                .ok_or_else(|| malformed("primitive run too long"))?;
            let data = r.blob(len)?;
            let prims = Prims { elem, data };
            if tag == 0x23 {
                Value::TypedList(prims)
            } else {
                Value::Array(prims)
            }
        }
        other => {
            return Err(ProtocolError::BadValue(format!(
                "unknown value tag 0x{other:02x}"
            )));
        }
    })
}

/// Appends one value (as it appears inside a body) to `out`; `body_start` is where the frame's
/// body starts in `out`, for the alignment of raw elements.
pub fn encode_value(v: &Value, body_start: usize, out: &mut Vec<u8>) {
    Writer { out, body_start }.value(v);
}

/// Reads one value that fills `body` entirely.
pub fn decode_value(body: &[u8]) -> Result<Value, ProtocolError> {
    read_whole_value(&mut Reader::new(body))
}

/// [`decode_value`] for a body the caller shares: large raw values (bytes, primitive elements)
/// are windows on it, not copies.
pub fn decode_value_shared(body: &Arc<Vec<u8>>) -> Result<Value, ProtocolError> {
    read_whole_value(&mut Reader::new_shared(body))
}

fn read_whole_value(r: &mut Reader) -> Result<Value, ProtocolError> {
    let v = read_value(r, 0)?;
    r.done()?;
    Ok(v)
}

mod op {
    pub const CALL: u16 = 0x0001;
    pub const CONSTRUCT: u16 = 0x0002;
    pub const FIELD_GET: u16 = 0x0003;
    pub const FIELD_SET: u16 = 0x0004;
    pub const REFLECT_UNKNOWN: u16 = 0x0005;
    pub const REFLECT_MEMBER: u16 = 0x0006;
    pub const REFLECT_CLASS: u16 = 0x0007;
    pub const STREAM: u16 = 0x0008;
    pub const ARRAY_CREATE: u16 = 0x0010;
    pub const ARRAY_GET: u16 = 0x0011;
    pub const ARRAY_SET: u16 = 0x0012;
    pub const ARRAY_SLICE: u16 = 0x0013;
    pub const ARRAY_LEN: u16 = 0x0014;
    pub const LIST_SORT: u16 = 0x0020;
    pub const LIST_REVERSE: u16 = 0x0021;
    pub const LIST_MAX: u16 = 0x0022;
    pub const LIST_MIN: u16 = 0x0023;
    pub const LIST_SLICE: u16 = 0x0024;
    pub const LIST_CONCAT: u16 = 0x0025;
    pub const LIST_MULT: u16 = 0x0026;
    pub const LIST_IMULT: u16 = 0x0027;
    pub const LIST_COUNT: u16 = 0x0028;
    pub const VIEW_CREATE: u16 = 0x0030;
    pub const VIEW_IMPORT: u16 = 0x0031;
    pub const VIEW_REMOVE: u16 = 0x0032;
    pub const VIEW_SEARCH: u16 = 0x0033;
    pub const DIR_FIELDS: u16 = 0x0040;
    pub const DIR_METHODS: u16 = 0x0041;
    pub const DIR_STATIC: u16 = 0x0042;
    pub const DIR_VIEW: u16 = 0x0043;
    pub const HELP: u16 = 0x0044;
    pub const EXCEPTION_TRACE: u16 = 0x0045;
    pub const MEMORY_ATTACH: u16 = 0x0046;
    pub const MEMORY_DELETE: u16 = 0x0047;
    pub const AUTH: u16 = 0x0050;
    pub const SHUTDOWN: u16 = 0x0051;
    pub const RELEASE: u16 = 0x0060;
    pub const CANCEL: u16 = 0x0061;
    pub const TO_PYTHON: u16 = 0x0100;
    pub const ITERATE: u16 = 0x0101;
    pub const TO_JAVA: u16 = 0x0102;
    pub const CALLBACK_CALL: u16 = 0x0200;
    pub const CALLBACK_RELEASE: u16 = 0x0201;
    pub const CALLBACK_AUTH: u16 = 0x0202;
}

fn target(w: &mut Writer, t: &CallTarget) {
    match t {
        CallTarget::Object(id) => {
            w.u8(0);
            w.str(id);
        }
        CallTarget::Static(class) => {
            w.u8(1);
            w.str(class);
        }
    }
}

fn values(w: &mut Writer, vs: &[Value]) {
    w.u16(vs.len() as u16);
    for v in vs {
        w.value(v);
    }
}

fn opt_str_value(w: &mut Writer, s: &Option<String>) {
    match s {
        Some(s) => w.value(&Value::String(s.clone())),
        None => w.value(&Value::Null),
    }
}

/// Appends a Python-to-Java command as one frame (a request with `id`, or a notice for
/// releases and cancel).
pub fn encode_command(cmd: &Command, id: u32, out: &mut Vec<u8>) {
    let (kind, code) = command_op(cmd);
    let at = begin_frame(
        out,
        FrameHeader {
            kind,
            flags: 0,
            op: code,
            id,
        },
    );
    let body_start = out.len();
    let mut w = Writer { out, body_start };
    match cmd {
        Command::Call {
            target: t,
            method,
            args,
        }
        | Command::Stream {
            target: t,
            method,
            args,
        } => {
            target(&mut w, t);
            w.str(method);
            values(&mut w, args);
        }
        Command::Construct { class, args } => {
            w.str(class);
            values(&mut w, args);
        }
        Command::FieldGet { target, field } => {
            w.str(target);
            w.str(field);
        }
        Command::FieldSet {
            target,
            field,
            value,
        } => {
            w.str(target);
            w.str(field);
            w.value(value);
        }
        Command::ReflectUnknown { name, view } => {
            w.str(name);
            w.str(view);
        }
        Command::ReflectMember { class, member } => {
            w.str(class);
            w.str(member);
        }
        Command::ReflectClass { class } => w.str(class),
        Command::Array(a) => match a {
            ArrayCommand::Create { component, dims } => {
                w.str(component);
                values(&mut w, dims);
            }
            ArrayCommand::Get { array, index } => {
                w.str(array);
                w.value(index);
            }
            ArrayCommand::Set {
                array,
                index,
                value,
            } => {
                w.str(array);
                w.value(index);
                w.value(value);
            }
            ArrayCommand::Slice { array, indices } => {
                w.str(array);
                values(&mut w, indices);
            }
            ArrayCommand::Len { array } => w.str(array),
        },
        Command::List(l) => match l {
            ListCommand::Sort(id)
            | ListCommand::Reverse(id)
            | ListCommand::Max(id)
            | ListCommand::Min(id) => w.str(id),
            ListCommand::Slice { list, indices } => {
                w.str(list);
                values(&mut w, indices);
            }
            ListCommand::Concat { list, other } => {
                w.str(list);
                w.str(other);
            }
            ListCommand::Mult { list, times } | ListCommand::IMult { list, times } => {
                w.str(list);
                w.value(times);
            }
            ListCommand::Count { list, value } => {
                w.str(list);
                w.value(value);
            }
        },
        Command::MemoryDelete { id } | Command::MemoryAttach { id } => w.str(id),
        Command::View(v) => match v {
            ViewCommand::Create { name } => w.str(name),
            ViewCommand::Import { view, import } | ViewCommand::RemoveImport { view, import } => {
                w.str(view);
                w.str(import);
            }
            ViewCommand::Search => {}
        },
        Command::Dir(d) => match d {
            DirCommand::Fields(id) | DirCommand::Methods(id) | DirCommand::Static(id) => w.str(id),
            DirCommand::View { view, sequence } => {
                w.str(view);
                opt_str_value(&mut w, sequence);
            }
        },
        Command::Help {
            target,
            pattern,
            short_name,
        } => {
            match target {
                HelpTarget::Object(id) => {
                    w.u8(0);
                    w.str(id);
                }
                HelpTarget::Class(class) => {
                    w.u8(1);
                    w.str(class);
                }
            }
            opt_str_value(&mut w, pattern);
            w.value(&Value::Bool(*short_name));
        }
        Command::ExceptionTrace { id } | Command::ToPython { id } => w.str(id),
        Command::Auth { token } => w.str(token),
        Command::Shutdown => {}
        Command::Cancel {
            address,
            remote_port,
            local_port,
        } => {
            w.str(address);
            w.str(remote_port);
            w.str(local_port);
        }
        Command::Iterate { id, max } => {
            w.str(id);
            w.u32(*max);
        }
        Command::ToJava { value } => w.value(value),
        Command::Release { ids } => {
            w.u32(ids.len() as u32);
            for id in ids {
                w.str(id);
            }
        }
    }
    finish_frame(out, at);
}

fn command_op(cmd: &Command) -> (FrameKind, u16) {
    use FrameKind::{Notice, Request};
    match cmd {
        Command::Call { .. } => (Request, op::CALL),
        Command::Stream { .. } => (Request, op::STREAM),
        Command::Construct { .. } => (Request, op::CONSTRUCT),
        Command::FieldGet { .. } => (Request, op::FIELD_GET),
        Command::FieldSet { .. } => (Request, op::FIELD_SET),
        Command::ReflectUnknown { .. } => (Request, op::REFLECT_UNKNOWN),
        Command::ReflectMember { .. } => (Request, op::REFLECT_MEMBER),
        Command::ReflectClass { .. } => (Request, op::REFLECT_CLASS),
        Command::Array(a) => (
            Request,
            match a {
                ArrayCommand::Create { .. } => op::ARRAY_CREATE,
                ArrayCommand::Get { .. } => op::ARRAY_GET,
                ArrayCommand::Set { .. } => op::ARRAY_SET,
                ArrayCommand::Slice { .. } => op::ARRAY_SLICE,
                ArrayCommand::Len { .. } => op::ARRAY_LEN,
            },
        ),
        Command::List(l) => (
            Request,
            match l {
                ListCommand::Sort(_) => op::LIST_SORT,
                ListCommand::Reverse(_) => op::LIST_REVERSE,
                ListCommand::Max(_) => op::LIST_MAX,
                ListCommand::Min(_) => op::LIST_MIN,
                ListCommand::Slice { .. } => op::LIST_SLICE,
                ListCommand::Concat { .. } => op::LIST_CONCAT,
                ListCommand::Mult { .. } => op::LIST_MULT,
                ListCommand::IMult { .. } => op::LIST_IMULT,
                ListCommand::Count { .. } => op::LIST_COUNT,
            },
        ),
        Command::MemoryDelete { .. } => (Request, op::MEMORY_DELETE),
        Command::MemoryAttach { .. } => (Request, op::MEMORY_ATTACH),
        Command::View(v) => (
            Request,
            match v {
                ViewCommand::Create { .. } => op::VIEW_CREATE,
                ViewCommand::Import { .. } => op::VIEW_IMPORT,
                ViewCommand::RemoveImport { .. } => op::VIEW_REMOVE,
                ViewCommand::Search => op::VIEW_SEARCH,
            },
        ),
        Command::Dir(d) => (
            Request,
            match d {
                DirCommand::Fields(_) => op::DIR_FIELDS,
                DirCommand::Methods(_) => op::DIR_METHODS,
                DirCommand::Static(_) => op::DIR_STATIC,
                DirCommand::View { .. } => op::DIR_VIEW,
            },
        ),
        Command::Help { .. } => (Request, op::HELP),
        Command::ExceptionTrace { .. } => (Request, op::EXCEPTION_TRACE),
        Command::Auth { .. } => (Request, op::AUTH),
        Command::Shutdown => (Request, op::SHUTDOWN),
        Command::ToPython { .. } => (Request, op::TO_PYTHON),
        Command::Iterate { .. } => (Request, op::ITERATE),
        Command::ToJava { .. } => (Request, op::TO_JAVA),
        Command::Release { .. } => (Notice, op::RELEASE),
        Command::Cancel { .. } => (Notice, op::CANCEL),
    }
}

fn read_target(r: &mut Reader) -> Result<CallTarget, ProtocolError> {
    match r.u8()? {
        0 => Ok(CallTarget::Object(r.str()?)),
        1 => Ok(CallTarget::Static(r.str()?)),
        k => Err(malformed(format!("unknown call target kind {k}"))),
    }
}

fn read_values(r: &mut Reader) -> Result<Vec<Value>, ProtocolError> {
    let n = r.u16()? as usize;
    let mut out = Vec::with_capacity(n.min(256));
    for _ in 0..n {
        out.push(read_value(r, 0)?);
    }
    Ok(out)
}

fn read_opt_str(r: &mut Reader) -> Result<Option<String>, ProtocolError> {
    match read_value(r, 0)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => Err(malformed(format!(
            "expected null or a string, got {other:?}"
        ))),
    }
}

/// Reads a Python-to-Java command from a request or notice frame.
pub fn decode_command(header: &FrameHeader, body: &[u8]) -> Result<Command, ProtocolError> {
    read_command(header, &mut Reader::new(body))
}

/// [`decode_command`] with the strings of the command made in the buffers of `strings`
/// (strings of earlier commands given back, taken from the end): a connection that hands its
/// commands' strings back decodes the next ones without allocating.
pub fn decode_command_reusing(
    header: &FrameHeader,
    body: &[u8],
    strings: &mut Vec<String>,
) -> Result<Command, ProtocolError> {
    let mut r = Reader::new(body);
    r.strings = Some(strings);
    read_command(header, &mut r)
}

/// [`decode_command`] for a body the caller shares: the command's large raw values (bytes,
/// primitive elements) are windows on it, not copies. The caller can take the body back with
/// [`Arc::try_unwrap`] once the command and its values are dropped.
pub fn decode_command_shared(
    header: &FrameHeader,
    body: &Arc<Vec<u8>>,
) -> Result<Command, ProtocolError> {
    read_command(header, &mut Reader::new_shared(body))
}

fn read_command(header: &FrameHeader, r: &mut Reader) -> Result<Command, ProtocolError> {
    let cmd = match (header.kind, header.op) {
        (FrameKind::Request, op::CALL | op::STREAM) => {
            let target = read_target(r)?;
            let method = r.str()?;
            let args = read_values(r)?;
            if header.op == op::CALL {
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
        (FrameKind::Request, op::CONSTRUCT) => Command::Construct {
            class: r.str()?,
            args: read_values(r)?,
        },
        (FrameKind::Request, op::FIELD_GET) => Command::FieldGet {
            target: r.str()?,
            field: r.str()?,
        },
        (FrameKind::Request, op::FIELD_SET) => Command::FieldSet {
            target: r.str()?,
            field: r.str()?,
            value: read_value(r, 0)?,
        },
        (FrameKind::Request, op::REFLECT_UNKNOWN) => Command::ReflectUnknown {
            name: r.str()?,
            view: r.str()?,
        },
        (FrameKind::Request, op::REFLECT_MEMBER) => Command::ReflectMember {
            class: r.str()?,
            member: r.str()?,
        },
        (FrameKind::Request, op::REFLECT_CLASS) => Command::ReflectClass { class: r.str()? },
        (FrameKind::Request, op::ARRAY_CREATE) => Command::Array(ArrayCommand::Create {
            component: r.str()?,
            dims: read_values(r)?,
        }),
        (FrameKind::Request, op::ARRAY_GET) => Command::Array(ArrayCommand::Get {
            array: r.str()?,
            index: read_value(r, 0)?,
        }),
        (FrameKind::Request, op::ARRAY_SET) => Command::Array(ArrayCommand::Set {
            array: r.str()?,
            index: read_value(r, 0)?,
            value: read_value(r, 0)?,
        }),
        (FrameKind::Request, op::ARRAY_SLICE) => Command::Array(ArrayCommand::Slice {
            array: r.str()?,
            indices: read_values(r)?,
        }),
        (FrameKind::Request, op::ARRAY_LEN) => {
            Command::Array(ArrayCommand::Len { array: r.str()? })
        }
        (FrameKind::Request, op::LIST_SORT) => Command::List(ListCommand::Sort(r.str()?)),
        (FrameKind::Request, op::LIST_REVERSE) => Command::List(ListCommand::Reverse(r.str()?)),
        (FrameKind::Request, op::LIST_MAX) => Command::List(ListCommand::Max(r.str()?)),
        (FrameKind::Request, op::LIST_MIN) => Command::List(ListCommand::Min(r.str()?)),
        (FrameKind::Request, op::LIST_SLICE) => Command::List(ListCommand::Slice {
            list: r.str()?,
            indices: read_values(r)?,
        }),
        (FrameKind::Request, op::LIST_CONCAT) => Command::List(ListCommand::Concat {
            list: r.str()?,
            other: r.str()?,
        }),
        (FrameKind::Request, op::LIST_MULT) => Command::List(ListCommand::Mult {
            list: r.str()?,
            times: read_value(r, 0)?,
        }),
        (FrameKind::Request, op::LIST_IMULT) => Command::List(ListCommand::IMult {
            list: r.str()?,
            times: read_value(r, 0)?,
        }),
        (FrameKind::Request, op::LIST_COUNT) => Command::List(ListCommand::Count {
            list: r.str()?,
            value: read_value(r, 0)?,
        }),
        (FrameKind::Request, op::MEMORY_DELETE) => Command::MemoryDelete { id: r.str()? },
        (FrameKind::Request, op::MEMORY_ATTACH) => Command::MemoryAttach { id: r.str()? },
        (FrameKind::Request, op::VIEW_CREATE) => {
            Command::View(ViewCommand::Create { name: r.str()? })
        }
        (FrameKind::Request, op::VIEW_IMPORT) => Command::View(ViewCommand::Import {
            view: r.str()?,
            import: r.str()?,
        }),
        (FrameKind::Request, op::VIEW_REMOVE) => Command::View(ViewCommand::RemoveImport {
            view: r.str()?,
            import: r.str()?,
        }),
        (FrameKind::Request, op::VIEW_SEARCH) => Command::View(ViewCommand::Search),
        (FrameKind::Request, op::DIR_FIELDS) => Command::Dir(DirCommand::Fields(r.str()?)),
        (FrameKind::Request, op::DIR_METHODS) => Command::Dir(DirCommand::Methods(r.str()?)),
        (FrameKind::Request, op::DIR_STATIC) => Command::Dir(DirCommand::Static(r.str()?)),
        (FrameKind::Request, op::DIR_VIEW) => Command::Dir(DirCommand::View {
            view: r.str()?,
            sequence: read_opt_str(r)?,
        }),
        (FrameKind::Request, op::HELP) => {
            let target = match r.u8()? {
                0 => HelpTarget::Object(r.str()?),
                1 => HelpTarget::Class(r.str()?),
                k => return Err(malformed(format!("unknown help target kind {k}"))),
            };
            let pattern = read_opt_str(r)?;
            let short_name = match read_value(r, 0)? {
                Value::Bool(b) => b,
                other => return Err(malformed(format!("expected a boolean, got {other:?}"))),
            };
            Command::Help {
                target,
                pattern,
                short_name,
            }
        }
        (FrameKind::Request, op::EXCEPTION_TRACE) => Command::ExceptionTrace { id: r.str()? },
        (FrameKind::Request, op::AUTH) => Command::Auth { token: r.str()? },
        (FrameKind::Request, op::SHUTDOWN) => Command::Shutdown,
        (FrameKind::Request, op::TO_PYTHON) => Command::ToPython { id: r.str()? },
        (FrameKind::Request, op::ITERATE) => Command::Iterate {
            id: r.str()?,
            max: r.u32()?,
        },
        (FrameKind::Request, op::TO_JAVA) => Command::ToJava {
            value: read_value(r, 0)?,
        },
        (FrameKind::Notice, op::RELEASE) => {
            let n = r.count(4)?;
            let mut ids = Vec::with_capacity(n);
            for _ in 0..n {
                ids.push(r.str()?);
            }
            Command::Release { ids }
        }
        (FrameKind::Notice, op::CANCEL) => Command::Cancel {
            address: r.str()?,
            remote_port: r.str()?,
            local_port: r.str()?,
        },
        (kind, code) => {
            return Err(ProtocolError::UnknownCommand(format!(
                "v2 {kind:?} op 0x{code:04x}"
            )));
        }
    };
    r.done()?;
    Ok(cmd)
}

/// Appends a Java-to-Python command (a request with `id`; a release is a notice).
pub fn encode_callback(cmd: &CallbackCommand, id: u32, out: &mut Vec<u8>) {
    let (kind, code) = match cmd {
        CallbackCommand::Call { .. } => (FrameKind::Request, op::CALLBACK_CALL),
        CallbackCommand::GarbageCollect { .. } => (FrameKind::Notice, op::CALLBACK_RELEASE),
        CallbackCommand::Auth { .. } => (FrameKind::Request, op::CALLBACK_AUTH),
    };
    let at = begin_frame(
        out,
        FrameHeader {
            kind,
            flags: 0,
            op: code,
            id,
        },
    );
    let body_start = out.len();
    let mut w = Writer { out, body_start };
    match cmd {
        CallbackCommand::Call {
            target,
            method,
            args,
        } => {
            w.str(target);
            w.str(method);
            values(&mut w, args);
        }
        CallbackCommand::GarbageCollect { target } => w.str(target),
        CallbackCommand::Auth { token } => w.str(token),
    }
    finish_frame(out, at);
}

/// Reads a Java-to-Python command.
pub fn decode_callback(
    header: &FrameHeader,
    body: &[u8],
) -> Result<CallbackCommand, ProtocolError> {
    let r = &mut Reader::new(body);
    let cmd = match (header.kind, header.op) {
        (FrameKind::Request, op::CALLBACK_CALL) => CallbackCommand::Call {
            target: r.str()?,
            method: r.str()?,
            args: read_values(r)?,
        },
        (FrameKind::Notice, op::CALLBACK_RELEASE) => {
            CallbackCommand::GarbageCollect { target: r.str()? }
        }
        (FrameKind::Request, op::CALLBACK_AUTH) => CallbackCommand::Auth { token: r.str()? },
        (kind, code) => {
            return Err(ProtocolError::UnknownCommand(format!(
                "v2 {kind:?} op 0x{code:04x}"
            )));
        }
    };
    r.done()?;
    Ok(cmd)
}

/// Whether a request frame carries a callback (Java to Python) rather than a command.
pub fn is_callback_op(op: u16) -> bool {
    (op::CALLBACK_CALL..=op::CALLBACK_AUTH).contains(&op)
}

/// Appends the reply to the peer's request `id`.
pub fn encode_reply(reply: &Reply, id: u32, out: &mut Vec<u8>) {
    let code = match reply {
        Reply::Success(_) => 0,
        Reply::Empty => 1,
        Reply::NoMember => 2,
        Reply::StaticMethod => 3,
        Reply::Class(_) => 4,
        Reply::Package => 5,
        Reply::Error(_) => 6,
        Reply::Fatal(_) => 7,
    };
    let at = begin_frame(
        out,
        FrameHeader {
            kind: FrameKind::Reply,
            flags: 0,
            op: code,
            id,
        },
    );
    let body_start = out.len();
    let mut w = Writer { out, body_start };
    match reply {
        Reply::Success(v) => w.value(v),
        Reply::Class(fqn) => opt_str_value(&mut w, fqn),
        Reply::Error(v) => w.value(v.as_ref().unwrap_or(&Value::Null)),
        Reply::Fatal(m) => w.str(m),
        Reply::Empty | Reply::NoMember | Reply::StaticMethod | Reply::Package => {}
    }
    finish_frame(out, at);
}

/// Reads a reply frame.
pub fn decode_reply(header: &FrameHeader, body: &[u8]) -> Result<Reply, ProtocolError> {
    if header.kind != FrameKind::Reply {
        return Err(malformed(format!(
            "expected a reply, got a {:?} frame",
            header.kind
        )));
    }
    let r = &mut Reader::new(body);
    let reply = match header.op {
        0 => Reply::Success(read_value(r, 0)?),
        1 => Reply::Empty,
        2 => Reply::NoMember,
        3 => Reply::StaticMethod,
        4 => Reply::Class(read_opt_str(r)?),
        5 => Reply::Package,
        6 => Reply::Error(match read_value(r, 0)? {
            Value::Null => None,
            v => Some(v),
        }),
        7 => Reply::Fatal(r.str()?),
        other => return Err(ProtocolError::BadReply(format!("v2 reply op {other}"))),
    };
    r.done()?;
    Ok(reply)
}
