//! Python values to text-protocol argument lines, as py4j's `get_command_part` writes them.

use std::io::Write as _;

use ferry_protocol::Value;
use ferry_protocol::text::{Side, encode_value, escape_into, format_python_float};
use pyo3::exceptions::PyAttributeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyString, PyTuple};

use crate::hooks;

/// Appends one argument line (value and line end). A Python proxy (an object implementing Java
/// interfaces) goes into the pool of `owner`, the gateway client.
pub(crate) fn encode_arg(
    obj: &Bound<'_, PyAny>,
    owner: Option<&Bound<'_, PyAny>>,
    out: &mut Vec<u8>,
) -> PyResult<()> {
    let py = obj.py();
    if obj.is_none() {
        out.extend_from_slice(b"n\n");
    } else if let Ok(b) = obj.cast::<PyBool>() {
        out.extend_from_slice(if b.is_true() { b"bTrue\n" } else { b"bFalse\n" });
    } else if let Ok(i) = obj.cast::<PyInt>() {
        match i.extract::<i64>() {
            Ok(v) if i32::try_from(v).is_ok() => {
                let _ = writeln!(out, "i{v}");
            }
            Ok(v) => {
                let _ = writeln!(out, "L{v}");
            }
            Err(_) => {
                return Err(hooks::get(py)?.py4j_error(
                    py,
                    format!(
                        "the integer {} does not fit in a Java long (64 bits); pass a \
                         java.math.BigInteger built from its string instead",
                        obj.str()?.to_str()?
                    ),
                ));
            }
        }
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        out.push(b'd');
        out.extend_from_slice(format_python_float(f.value()).as_bytes());
        out.push(b'\n');
    } else if let Ok(s) = obj.cast::<PyString>() {
        out.push(b's');
        escape_into(s.to_str()?, out);
        out.push(b'\n');
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        encode_value(&Value::Bytes(b.as_bytes().into()), Side::Python, out);
        out.push(b'\n');
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        encode_value(&Value::Bytes(b.to_vec().into()), Side::Python, out);
        out.push(b'\n');
    } else if obj.is_instance(hooks::get(py)?.decimal.bind(py))? {
        out.push(b'D');
        out.extend_from_slice(obj.str()?.to_str()?.as_bytes());
        out.push(b'\n');
    } else if let Some(get_id) = obj.getattr_opt(intern!(py, "_get_object_id"))? {
        let id = get_id.call0()?;
        out.push(b'r');
        out.extend_from_slice(id.cast::<PyString>()?.to_str()?.as_bytes());
        out.push(b'\n');
    } else if is_python_proxy(obj) {
        return crate::callback::encode_proxy(obj, owner, out);
    } else {
        return Err(PyAttributeError::new_err(format!(
            "'{}' object has no attribute '_get_object_id' (ferry sends None, bool, int, float, \
             str, bytes, bytearray, decimal.Decimal and Java objects; convert collections with \
             ListConverter/SetConverter/MapConverter or enable auto_convert)",
            type_name(obj)
        )));
    }
    Ok(())
}

/// Appends every argument of a call (`owner`: see [`encode_arg`]).
pub(crate) fn encode_args(
    args: &Bound<'_, PyTuple>,
    owner: Option<&Bound<'_, PyAny>>,
    out: &mut Vec<u8>,
) -> PyResult<()> {
    for a in args.iter() {
        encode_arg(&a, owner, out)?;
    }
    Ok(())
}

/// py4j's test: an object whose nested `Java` class lists at least one implemented interface.
fn is_python_proxy(obj: &Bound<'_, PyAny>) -> bool {
    let py = obj.py();
    obj.getattr(intern!(py, "Java"))
        .and_then(|j| j.getattr(intern!(py, "implements")))
        .and_then(|i| i.len())
        .is_ok_and(|n| n > 0)
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .and_then(|n| n.to_str().map(str::to_owned))
        .unwrap_or_else(|_| "object".into())
}
