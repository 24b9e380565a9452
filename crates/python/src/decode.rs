//! Reply values to Python objects, as py4j's output converters make them.

use ferry_protocol::Value;
use ferry_protocol::text::{Side, encode_value};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString};

use crate::hooks::{self, Hooks};

/// The Python value of a reply value. References go through the registered output converter of
/// their tag (`JavaObject`, `JavaList`, ...), with `owner` (the Python gateway client).
pub(crate) fn to_python<'py>(
    py: Python<'py>,
    value: Value,
    owner: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let tag = tag_of(&value);
    if hooks::is_overridden(tag) {
        return through_converter(py, hooks::get(py)?, value, tag, owner);
    }
    Ok(match value {
        Value::Null | Value::Void => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, b).to_owned().into_any(),
        Value::Int(i) => PyInt::new(py, i).into_any(),
        Value::Long(l) => PyInt::new(py, l).into_any(),
        Value::Double(d) => PyFloat::new(py, d).into_any(),
        Value::Float(f) => PyFloat::new(py, f64::from(f)).into_any(),
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
                Some(c) => c.call1((id, owner))?,
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
    })
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
