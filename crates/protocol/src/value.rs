//! The value model: what travels as an argument, a return value or an error payload.

/// Id of the entry point object on the Java side (and of the Python server entry point on the
/// Python side).
pub const ENTRY_POINT_ID: &str = "t";
/// Id of the default JVM view on the Java side.
pub const DEFAULT_VIEW_ID: &str = "j";
/// Id of the gateway server object on the Java side.
pub const GATEWAY_SERVER_ID: &str = "GATEWAY_SERVER";

/// What a reference designates, as Py4J tells it with the reference's tag.
///
/// Only the Java side emits the sub-kinds; a client always sends a reference back as
/// [`RefKind::Object`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefKind {
    /// `r`: any object.
    Object,
    /// `l`: a `java.util.List`.
    List,
    /// `a`: a `java.util.Map`.
    Map,
    /// `h`: a `java.util.Set`.
    Set,
    /// `t`: a Java array (other than `byte[]`, which travels by value).
    Array,
    /// `g`: a `java.util.Iterator`.
    Iterator,
}

impl RefKind {
    /// The one-character tag of this kind on the text protocol.
    pub const fn tag(self) -> u8 {
        match self {
            RefKind::Object => b'r',
            RefKind::List => b'l',
            RefKind::Map => b'a',
            RefKind::Set => b'h',
            RefKind::Array => b't',
            RefKind::Iterator => b'g',
        }
    }

    /// The kind for a tag, if the tag is a reference tag.
    pub const fn from_tag(tag: u8) -> Option<RefKind> {
        Some(match tag {
            b'r' => RefKind::Object,
            b'l' => RefKind::List,
            b'a' => RefKind::Map,
            b'h' => RefKind::Set,
            b't' => RefKind::Array,
            b'g' => RefKind::Iterator,
            _ => return None,
        })
    }
}

/// A value on the wire.
///
/// Numbers keep the width the sender chose: Py4J sends a Python int as `i` when it fits in 32 bits
/// and as `L` otherwise, and the Java side picks overloads from that.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `n`: Java null, Python None.
    Null,
    /// `v`: a method returned void (replies only).
    Void,
    /// `b`: a boolean.
    Bool(bool),
    /// `i`: a 32-bit integer (Java int, short and byte all travel as this).
    Int(i32),
    /// `L`: a 64-bit integer.
    Long(i64),
    /// `d`: a double.
    Double(f64),
    /// `d` as well, for a Java `float`: encoded with the shortest digits of the `f32` (as Java's
    /// `Float.toString` does), decoded as [`Value::Double`].
    Float(f32),
    /// `D`: a decimal, as its text (`BigDecimal.toPlainString` from Java, `str(Decimal)` from
    /// Python).
    Decimal(String),
    /// `s`: a string (Java `String` and `char`).
    String(String),
    /// `j`: bytes, by value (Java `byte[]`).
    Bytes(Vec<u8>),
    /// A reference to an object held by the peer, with its kind and its id (`o12`, `t`, ...).
    Ref(RefKind, String),
    /// `f`: a Python object that implements Java interfaces: its id in the Python proxy pool and
    /// the fully qualified names of the interfaces.
    PythonProxy {
        /// The proxy's id (`p0`, `t`, ...).
        id: String,
        /// Fully qualified names of the interfaces (nested ones as `pkg.Outer$Inner`).
        interfaces: Vec<String>,
    },
}

impl Value {
    /// A reference to an object with the plain `r` kind.
    pub fn object(id: impl Into<String>) -> Value {
        Value::Ref(RefKind::Object, id.into())
    }

    /// The id of a reference, if this is one.
    pub fn ref_id(&self) -> Option<&str> {
        match self {
            Value::Ref(_, id) => Some(id),
            _ => None,
        }
    }
}
