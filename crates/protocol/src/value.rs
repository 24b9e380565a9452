//! The value model: what travels as an argument, a return value or an error payload.

use crate::Blob;

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

/// The element type of a run of primitive values (a typed list or a primitive array, v2 only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Elem {
    /// `boolean`: one byte, 0 or 1.
    Bool,
    /// `byte`: i8.
    Byte,
    /// `short`: i16.
    Short,
    /// `char`: a UTF-16 unit, u16.
    Char,
    /// `int`: i32.
    Int,
    /// `long`: i64.
    Long,
    /// `float`: f32.
    Float,
    /// `double`: f64.
    Double,
}

impl Elem {
    /// Every element type, in code order.
    pub const ALL: [Elem; 8] = [
        Elem::Bool,
        Elem::Byte,
        Elem::Short,
        Elem::Char,
        Elem::Int,
        Elem::Long,
        Elem::Float,
        Elem::Double,
    ];

    /// Bytes per element.
    pub const fn size(self) -> usize {
        match self {
            Elem::Bool | Elem::Byte => 1,
            Elem::Short | Elem::Char => 2,
            Elem::Int | Elem::Float => 4,
            Elem::Long | Elem::Double => 8,
        }
    }

    /// The element type's code on the v2 wire (1 to 8).
    pub const fn code(self) -> u8 {
        match self {
            Elem::Bool => 1,
            Elem::Byte => 2,
            Elem::Short => 3,
            Elem::Char => 4,
            Elem::Int => 5,
            Elem::Long => 6,
            Elem::Float => 7,
            Elem::Double => 8,
        }
    }

    /// The element type of a code.
    pub const fn from_code(code: u8) -> Option<Elem> {
        Some(match code {
            1 => Elem::Bool,
            2 => Elem::Byte,
            3 => Elem::Short,
            4 => Elem::Char,
            5 => Elem::Int,
            6 => Elem::Long,
            7 => Elem::Float,
            8 => Elem::Double,
            _ => return None,
        })
    }

    /// The Java name of the primitive type.
    pub const fn java_name(self) -> &'static str {
        match self {
            Elem::Bool => "boolean",
            Elem::Byte => "byte",
            Elem::Short => "short",
            Elem::Char => "char",
            Elem::Int => "int",
            Elem::Long => "long",
            Elem::Float => "float",
            Elem::Double => "double",
        }
    }
}

/// The kinds of `java.time` values that travel by value (v2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemporalKind {
    /// `LocalDate`: `2024-02-29`.
    Date,
    /// `LocalTime`: `10:15:30.5`.
    Time,
    /// `LocalDateTime`: `2024-02-29T10:15:30`.
    DateTime,
    /// `Instant`: `2024-02-29T10:15:30Z`.
    Instant,
    /// `OffsetDateTime`: `2024-02-29T10:15:30+01:00`.
    OffsetDateTime,
    /// `ZonedDateTime`: `2024-02-29T10:15:30+01:00[Europe/Paris]`.
    ZonedDateTime,
    /// `Duration`: whole seconds and nanoseconds, `-5.000000250`.
    Duration,
}

impl TemporalKind {
    /// Every kind, in code order.
    pub const ALL: [TemporalKind; 7] = [
        TemporalKind::Date,
        TemporalKind::Time,
        TemporalKind::DateTime,
        TemporalKind::Instant,
        TemporalKind::OffsetDateTime,
        TemporalKind::ZonedDateTime,
        TemporalKind::Duration,
    ];

    /// The kind's code on the v2 wire (1 to 7).
    pub const fn code(self) -> u8 {
        match self {
            TemporalKind::Date => 1,
            TemporalKind::Time => 2,
            TemporalKind::DateTime => 3,
            TemporalKind::Instant => 4,
            TemporalKind::OffsetDateTime => 5,
            TemporalKind::ZonedDateTime => 6,
            TemporalKind::Duration => 7,
        }
    }

    /// The kind of a code.
    pub const fn from_code(code: u8) -> Option<TemporalKind> {
        Some(match code {
            1 => TemporalKind::Date,
            2 => TemporalKind::Time,
            3 => TemporalKind::DateTime,
            4 => TemporalKind::Instant,
            5 => TemporalKind::OffsetDateTime,
            6 => TemporalKind::ZonedDateTime,
            7 => TemporalKind::Duration,
            _ => return None,
        })
    }
}

/// A run of primitive values of one type, stored little-endian.
#[derive(Debug, Clone, PartialEq)]
pub struct Prims {
    /// The element type.
    pub elem: Elem,
    /// The elements, little-endian, `len() * elem.size()` bytes.
    pub data: Blob,
}

impl Prims {
    /// Elements of `elem` from raw little-endian bytes; `None` if the length is not a multiple
    /// of the element size.
    pub fn new(elem: Elem, data: impl Into<Blob>) -> Option<Prims> {
        let data = data.into();
        (data.len() % elem.size() == 0).then_some(Prims { elem, data })
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.data.len() / self.elem.size()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// From `i32`s.
    pub fn from_i32(values: &[i32]) -> Prims {
        Prims {
            elem: Elem::Int,
            data: values
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<u8>>()
                .into(),
        }
    }

    /// From `i64`s.
    pub fn from_i64(values: &[i64]) -> Prims {
        Prims {
            elem: Elem::Long,
            data: values
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<u8>>()
                .into(),
        }
    }

    /// From `f64`s.
    pub fn from_f64(values: &[f64]) -> Prims {
        Prims {
            elem: Elem::Double,
            data: values
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<u8>>()
                .into(),
        }
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
    Bytes(Blob),
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
    /// A `char` by value (v2; the text protocol sends a one-character string).
    Char(u16),
    /// A `java.math.BigInteger` by value, as decimal digits (v2; the text protocol has none).
    BigInteger(String),
    /// A list by value (v2): a `java.util.ArrayList` (or a Java array, when the parameter is
    /// one) on the Java side, a Python list on the other.
    List(Vec<Value>),
    /// A set by value (v2): a `java.util.HashSet`, a Python set.
    Set(Vec<Value>),
    /// A map by value (v2): a `java.util.HashMap`, a Python dict.
    Map(Vec<(Value, Value)>),
    /// A list whose elements share one primitive type, as raw little-endian data (v2): an
    /// `ArrayList<Integer>` (say) on the Java side, a list of numbers on the Python side.
    TypedList(Prims),
    /// A primitive array by value (v2): `int[]`, `double[]`...; a numpy array on the Python side.
    Array(Prims),
    /// A `java.time` value by value (v2): its kind and its text (ISO-8601, as Java prints it;
    /// for a duration, seconds and nanoseconds).
    Temporal(TemporalKind, String),
}

impl Value {
    /// A reference to an object with the plain `r` kind.
    pub fn object(id: impl Into<String>) -> Value {
        Value::Ref(RefKind::Object, id.into())
    }

    /// Whether this value exists only in the binary protocol (v2): bulk values, chars and big
    /// integers by value. The text protocol cannot carry them.
    pub fn is_v2_only(&self) -> bool {
        matches!(
            self,
            Value::Char(_)
                | Value::BigInteger(_)
                | Value::List(_)
                | Value::Set(_)
                | Value::Map(_)
                | Value::TypedList(_)
                | Value::Array(_)
                | Value::Temporal(..)
        )
    }

    /// The id of a reference, if this is one.
    pub fn ref_id(&self) -> Option<&str> {
        match self {
            Value::Ref(_, id) => Some(id),
            _ => None,
        }
    }
}
