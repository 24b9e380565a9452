//! Reply values to Python objects, as py4j's output converters make them.

use ferry_protocol::Value;
use ferry_protocol::text::{Side, encode_value};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PySet, PyString};

use crate::hooks::{self, Hooks};

/// The Python value of a reply value. References go through the registered output converter of
/// their tag (`JavaObject`, `JavaList`, ...), with `owner` (the Python gateway client).
pub(crate) fn to_python<'py>(
    py: Python<'py>,
    value: Value,
    owner: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let tag = tag_of(&value);
    if tag != 0 && hooks::is_overridden(tag) {
        return through_converter(py, hooks::get(py)?, value, tag, owner);
    }
    Ok(match value {
        Value::Null | Value::Void => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, b).to_owned().into_any(),
        Value::Int(i) => PyInt::new(py, i).into_any(),
        Value::Long(l) => PyInt::new(py, l).into_any(),
        Value::Double(d) => PyFloat::new(py, d).into_any(),
        Value::Float(f) => PyFloat::new(py, float_value(f)).into_any(),
        Value::String(s) => PyString::new(py, &s).into_any(),
        Value::Bytes(b) => PyBytes::new(py, &b).into_any(),
        Value::Decimal(s) => hooks::get(py)?.decimal.bind(py).call1((s,))?,
        Value::Ref(kind, id) => {
            let hooks = hooks::get(py)?;
            let converter = hooks
                .converters
                .bind(py)
                .get_item(hooks.tag(py, kind.tag()))?;
            match converter {
                Some(c) => match crate::object::native_proxy(py, &c, &id, owner)? {
                    Some(proxy) => proxy,
                    None => c.call1((id, owner))?,
                },
                None => {
                    return Err(hooks.py4j_error(
                        py,
                        format!(
                            "no output converter is registered for the reference type '{}' \
                             (was ferry.java_collections skipped?)",
                            kind.tag() as char
                        ),
                    ));
                }
            }
        }
        Value::PythonProxy { id, .. } => {
            return Err(hooks::get(py)?.py4j_error(
                py,
                format!("the gateway sent a Python proxy reference ({id}), which ferry does not support yet"),
            ));
        }
        // Values by value (protocol v2).
        Value::Char(c) => PyString::new(py, &String::from_utf16_lossy(&[c])).into_any(),
        Value::BigInteger(digits) => py.get_type::<PyInt>().call1((digits,))?.into_any(),
        Value::List(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item, owner)?)?;
            }
            list.into_any()
        }
        Value::Set(items) => {
            let set = PySet::empty(py)?;
            for item in items {
                set.add(to_python(py, item, owner)?)?;
            }
            set.into_any()
        }
        Value::Map(pairs) => {
            let dict = PyDict::new(py);
            for (k, v) in pairs {
                dict.set_item(to_python(py, k, owner)?, to_python(py, v, owner)?)?;
            }
            dict.into_any()
        }
        Value::TypedList(p) | Value::Array(p) => prims_list(py, &p, owner)?,
        Value::Temporal(kind, text) => temporal(py, kind, &text)?,
    })
}

/// Java's ISO-8601 text with the fraction of a second cut or padded to the 6 digits Python's
/// `fromisoformat` reads (Java prints up to 9), and `Z` spelled `+00:00` (Python 3.10).
fn python_iso(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 6);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '.' {
            let mut digits = String::new();
            while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                digits.push(d);
                chars.next();
            }
            digits.truncate(6);
            while digits.len() < 6 {
                digits.push('0');
            }
            out.push_str(&digits);
        }
    }
    if out.ends_with('Z') {
        out.pop();
        out.push_str("+00:00");
    }
    out
}

/// A java.time value as the matching `datetime` object.
fn temporal<'py>(
    py: Python<'py>,
    kind: ferry_protocol::TemporalKind,
    text: &str,
) -> PyResult<Bound<'py, PyAny>> {
    use ferry_protocol::TemporalKind as K;
    let dt = py.import("datetime")?;
    Ok(match kind {
        K::Date => dt.getattr("date")?.call_method1("fromisoformat", (text,))?,
        K::Time => dt
            .getattr("time")?
            .call_method1("fromisoformat", (python_iso(text),))?,
        K::DateTime | K::Instant | K::OffsetDateTime => dt
            .getattr("datetime")?
            .call_method1("fromisoformat", (python_iso(text),))?,
        K::ZonedDateTime => {
            let (stamp, zone) = match text.find('[') {
                Some(i) => (&text[..i], Some(text[i + 1..].trim_end_matches(']'))),
                None => (text, None),
            };
            let value = dt
                .getattr("datetime")?
                .call_method1("fromisoformat", (python_iso(stamp),))?;
            match zone.map(|z| py.import("zoneinfo")?.getattr("ZoneInfo")?.call1((z,))) {
                // The same instant, in the named zone when Python knows it.
                Some(Ok(tz)) => value.call_method1("astimezone", (tz,))?,
                _ => value,
            }
        }
        K::Duration => {
            let (secs, nanos) = text.split_once('.').unwrap_or((text, "0"));
            let secs: i64 = secs.parse().unwrap_or(0);
            let micros: i64 = nanos.parse::<i64>().unwrap_or(0) / 1000;
            let kwargs = pyo3::types::PyDict::new(py);
            kwargs.set_item("seconds", secs)?;
            kwargs.set_item("microseconds", micros)?;
            dt.getattr("timedelta")?.call((), Some(&kwargs))?
        }
    })
}

/// A Java float as Python sees it: the double of its shortest decimal text (what the text
/// protocol carries: `0.1f` is 0.1, not 0.10000000149011612).
fn float_value(f: f32) -> f64 {
    if !f.is_finite() {
        return f64::from(f);
    }
    format!("{f}").parse().unwrap_or(f64::from(f))
}

/// A list of the elements of a run of primitives, made straight from the raw elements (or value
/// by value when the package replaced the output converter of their type).
fn prims_list<'py>(
    py: Python<'py>,
    p: &ferry_protocol::Prims,
    owner: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    use ferry_protocol::Elem;
    let tag = match p.elem {
        Elem::Bool => b'b',
        Elem::Byte | Elem::Short | Elem::Int => b'i',
        Elem::Long => b'L',
        Elem::Float | Elem::Double => b'd',
        Elem::Char => b's',
    };
    if hooks::is_overridden(tag) {
        let list = PyList::empty(py);
        for item in prims_values(p) {
            list.append(to_python(py, item, owner)?)?;
        }
        return Ok(list.into_any());
    }
    let d = &p.data;
    let list = match p.elem {
        Elem::Bool => PyList::new(py, d.iter().map(|b| *b != 0))?,
        Elem::Byte => PyList::new(py, d.iter().map(|b| i32::from(*b as i8)))?,
        Elem::Short => PyList::new(
            py,
            d.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])),
        )?,
        Elem::Char => PyList::new(
            py,
            d.chunks_exact(2)
                .map(|b| String::from_utf16_lossy(&[u16::from_le_bytes([b[0], b[1]])])),
        )?,
        Elem::Int => PyList::new(
            py,
            d.chunks_exact(4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        )?,
        Elem::Long => PyList::new(
            py,
            d.chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().unwrap_or([0; 8]))),
        )?,
        Elem::Float => PyList::new(
            py,
            d.chunks_exact(4)
                .map(|b| float_value(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
        )?,
        Elem::Double => PyList::new(
            py,
            d.chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8]))),
        )?,
    };
    Ok(list.into_any())
}

/// The elements of a run of primitives, one value each.
fn prims_values(p: &ferry_protocol::Prims) -> Vec<Value> {
    use ferry_protocol::Elem;
    let size = p.elem.size();
    p.data
        .chunks_exact(size)
        .map(|b| match p.elem {
            Elem::Bool => Value::Bool(b[0] != 0),
            Elem::Byte => Value::Int(i32::from(b[0] as i8)),
            Elem::Short => Value::Int(i32::from(i16::from_le_bytes([b[0], b[1]]))),
            Elem::Char => Value::Char(u16::from_le_bytes([b[0], b[1]])),
            Elem::Int => Value::Int(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            Elem::Long => Value::Long(i64::from_le_bytes(b.try_into().unwrap_or([0; 8]))),
            Elem::Float => Value::Float(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            Elem::Double => Value::Double(f64::from_le_bytes(b.try_into().unwrap_or([0; 8]))),
        })
        .collect()
}

fn tag_of(value: &Value) -> u8 {
    match value {
        Value::Null => b'n',
        Value::Void => b'v',
        Value::Bool(_) => b'b',
        Value::Int(_) => b'i',
        Value::Long(_) => b'L',
        Value::Double(_) | Value::Float(_) => b'd',
        Value::Decimal(_) => b'D',
        Value::String(_) => b's',
        Value::Bytes(_) => b'j',
        Value::Ref(kind, _) => kind.tag(),
        Value::PythonProxy { .. } => b'f',
        // Values of protocol v2 have no py4j output converter to override.
        Value::Char(_)
        | Value::BigInteger(_)
        | Value::List(_)
        | Value::Set(_)
        | Value::Map(_)
        | Value::TypedList(_)
        | Value::Array(_)
        | Value::Temporal(..) => 0,
    }
}

/// A primitive whose converter the package replaced: the converter gets the value's text as the
/// gateway wrote it.
fn through_converter<'py>(
    py: Python<'py>,
    hooks: &Hooks,
    value: Value,
    tag: u8,
    owner: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let text = match &value {
        Value::Ref(_, id) => id.clone(),
        other => {
            let mut out = Vec::new();
            encode_value(other, Side::Java, &mut out);
            String::from_utf8_lossy(&out[1..]).into_owned()
        }
    };
    match hooks.converters.bind(py).get_item(hooks.tag(py, tag))? {
        Some(c) => c.call1((text, owner)),
        None => Ok(py.None().into_bound(py)),
    }
}
