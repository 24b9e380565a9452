//! Protocol v2 from Python: call arguments and bulk values written straight into frames, and
//! large replies received into Python objects (a `bytes`, a numpy array) by the socket read.
//!
//! - [`Bulk`] marks a value to send by value (a list, tuple, set, dict, any iterable or mapping,
//!   nested): `auto_convert` wraps the arguments its collection converters claim in it over v2.
//! - [`arg`] writes one call argument with py4j's rules (no collections unless marked), plus what
//!   only v2 carries: raw bytes, numpy arrays, big integers.
//! - Numbers in a list travel as a typed list (raw little-endian elements); numpy arrays as a
//!   primitive array of the matching Java type (`bool`, `int8`..`int64`, `float32`, `float64`).
//! - [`BytesPlacer`] and [`NumpyPlacer`] receive a large `byte[]` reply into a Python `bytes`,
//!   and a large primitive array (or typed list) into a numpy array.

use std::any::Any;
use std::mem::MaybeUninit;

use ferry_client::wire::{self, tag};
use ferry_client::{Placed, Placer};
use ferry_protocol::Elem;
use ferry_protocol::binary::FrameHeader;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PyMemoryView, PySet,
    PyString, PyTuple, PyType,
};

use crate::hooks;

/// A value to send by value, as a Java collection (v2): `Bulk([1, 2, 3])` becomes an
/// `ArrayList` (or an `int[]` where the parameter is one) in one frame.
///
/// With `deep` (the default) nested collections travel by value too; without, the elements
/// follow the rules of call arguments (py4j's converters without `auto_convert`: a nested list
/// is an error).
#[pyclass(frozen, module = "ferry._native")]
pub(crate) struct Bulk {
    value: Py<PyAny>,
    deep: bool,
}

#[pymethods]
impl Bulk {
    #[new]
    #[pyo3(signature = (value, deep=true))]
    fn new(value: Bound<'_, PyAny>, deep: bool) -> Bulk {
        Bulk {
            value: value.unbind(),
            deep,
        }
    }

    /// Whether nested collections travel by value too.
    #[getter]
    fn deep(&self) -> bool {
        self.deep
    }

    /// The value.
    #[getter]
    fn value(&self, py: Python<'_>) -> Py<PyAny> {
        self.value.clone_ref(py)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Bulk({})", self.value.bind(py).repr()?))
    }
}

/// What the Python side of bulk encoding needs: `element(obj, gateway_client)` returns what to
/// send for an object the encoder does not know (a custom input converter's Java object), or
/// None.
static ELEMENT_HOOK: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Registers the hook that converts unknown elements of bulk values (once, by `ferry._bulk`).
#[pyfunction]
pub(crate) fn install_bulk_hooks(py: Python<'_>, element: Bound<'_, PyAny>) -> PyResult<()> {
    ELEMENT_HOOK
        .set(py, element.unbind())
        .map_err(|_| pyo3::exceptions::PyRuntimeError::new_err("bulk hooks already installed"))
}

/// Nesting limit of bulk values (the protocol's).
const MAX_DEPTH: usize = 64;

/// How values are written into one frame.
pub(crate) struct Enc<'a, 'py> {
    /// The gateway client (owner of proxies, converters).
    pub owner: Option<&'a Bound<'py, PyAny>>,
    /// Where the frame's body starts (raw elements are aligned from there).
    pub body_start: usize,
    /// Objects made by converters while encoding: kept alive until the call is done.
    pub temps: Vec<Py<PyAny>>,
    /// Elements of collections sent by value are collections by value too (else they follow
    /// the rules of call arguments).
    pub deep: bool,
    /// The caller writes the frame with holes (`wire::Hole`): large raw bytes are not copied
    /// into it but recorded in `borrowed`.
    pub holes_ok: bool,
    /// Raw bytes left out of the frame buffer: (offset in it, address, length). Their memory is
    /// kept alive, and at a fixed size, by objects in `temps`.
    pub borrowed: Vec<(usize, usize, usize)>,
}

/// Raw bytes at least this long travel as holes (when the caller writes holes).
const HOLE_MIN: usize = wire::LARGE;

impl<'a, 'py> Enc<'a, 'py> {
    /// Bytes recorded as holes so far.
    pub(crate) fn borrowed_len(&self) -> usize {
        self.borrowed.iter().map(|b| b.2).sum()
    }

    /// The holes, to write the frame with.
    ///
    /// # Safety
    /// The memory each hole names must stay alive and unchanged in size while the returned
    /// slices are used: `Enc::raw` records only memory of objects it keeps in `temps` (a
    /// `bytes`, a numpy array, a memoryview of a `bytearray`, which forbids resizing it), so
    /// that holds while this `Enc` is alive.
    pub(crate) unsafe fn holes(&self) -> Vec<wire::Hole<'_>> {
        self.borrowed
            .iter()
            .map(|&(at, ptr, len)| wire::Hole {
                at,
                // SAFETY: see the function's contract.
                data: unsafe { std::slice::from_raw_parts(ptr as *const u8, len) },
            })
            .collect()
    }

    /// Appends raw bytes to the frame, or records them as a hole when the caller writes holes,
    /// they are large, and their length is a multiple of 8 (what follows keeps its alignment).
    /// `keep` holds the memory alive and at a fixed size (see [`Enc::holes`]).
    fn raw(
        &mut self,
        data: &[u8],
        keep: impl FnOnce() -> PyResult<Py<PyAny>>,
        out: &mut Vec<u8>,
    ) -> PyResult<()> {
        if self.holes_ok && data.len() >= HOLE_MIN && data.len() % 8 == 0 {
            self.temps.push(keep()?);
            self.borrowed
                .push((out.len(), data.as_ptr() as usize, data.len()));
        } else {
            out.extend_from_slice(data);
        }
        Ok(())
    }

    /// Writing a frame for `owner`'s request.
    pub(crate) fn new(owner: Option<&'a Bound<'py, PyAny>>, body_start: usize) -> Enc<'a, 'py> {
        Enc {
            owner,
            body_start,
            temps: Vec::new(),
            deep: true,
            holes_ok: false,
            borrowed: Vec::new(),
        }
    }
}

/// One element of a collection sent by value.
fn element(
    obj: &Bound<'_, PyAny>,
    enc: &mut Enc<'_, '_>,
    out: &mut Vec<u8>,
    depth: usize,
) -> PyResult<()> {
    if enc.deep {
        bulk_value(obj, enc, out, depth)
    } else {
        arg(obj, enc, out)
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .and_then(|n| n.to_str().map(str::to_owned))
        .unwrap_or_else(|_| "object".into())
}

fn put_len(out: &mut Vec<u8>, n: usize, what: &str) -> PyResult<()> {
    let n = u32::try_from(n).map_err(|_| {
        PyValueError::new_err(format!(
            "a {what} of {n} elements is too large for one frame"
        ))
    })?;
    wire::put_u32(out, n);
    Ok(())
}

/// An int: i32 when it fits (py4j's `i`), else i64 (`L`), else a `BigInteger`.
fn int_value(i: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> PyResult<()> {
    match i.extract::<i64>() {
        Ok(v) => {
            if let Ok(v) = i32::try_from(v) {
                out.push(tag::INT);
                out.extend_from_slice(&v.to_le_bytes());
            } else {
                out.push(tag::LONG);
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        Err(_) => {
            out.push(tag::BIG_INTEGER);
            wire::put_str(out, i.str()?.to_str()?);
        }
    }
    Ok(())
}

fn bytes_value(data: &[u8], out: &mut Vec<u8>) -> PyResult<()> {
    out.push(tag::BYTES);
    put_len(out, data.len(), "bytes value")?;
    out.extend_from_slice(data);
    Ok(())
}

/// A `bytes` or `bytearray` argument; large ones may travel as a hole ([`Enc::raw`]).
fn bytes_arg(
    obj: &Bound<'_, PyAny>,
    data: &[u8],
    enc: &mut Enc<'_, '_>,
    out: &mut Vec<u8>,
) -> PyResult<()> {
    out.push(tag::BYTES);
    put_len(out, data.len(), "bytes value")?;
    enc.raw(
        data,
        || {
            if obj.cast::<PyBytes>().is_ok() {
                // Immutable: holding it keeps its bytes where they are.
                Ok(obj.clone().unbind())
            } else {
                // A memoryview exports the bytearray's buffer: resizing it raises meanwhile.
                Ok(PyMemoryView::from(obj)?.into_any().unbind())
            }
        },
        out,
    )
}

/// The id of a Java object proxy (anything with `_get_object_id`), if `obj` is one.
fn object_id<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = obj.py();
    if let Ok(o) = obj.cast::<crate::object::JavaObject>() {
        return Ok(Some(o.call_method0(intern!(py, "_get_object_id"))?));
    }
    match obj.getattr_opt(intern!(py, "_get_object_id"))? {
        Some(f) => Ok(Some(f.call0()?)),
        None => Ok(None),
    }
}

fn ref_value(id: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> PyResult<()> {
    out.push(tag::REF);
    out.push(0);
    wire::put_str(out, id.cast::<PyString>()?.to_str()?);
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

/// A Python proxy: registered in the pool (as v1 does), written as its id and interfaces.
fn proxy_value(obj: &Bound<'_, PyAny>, enc: &Enc<'_, '_>, out: &mut Vec<u8>) -> PyResult<()> {
    let mut text = Vec::new();
    crate::callback::encode_proxy(obj, enc.owner, &mut text)?;
    let text = String::from_utf8_lossy(&text);
    let text = text.trim_end_matches('\n');
    let body = text.strip_prefix('f').unwrap_or(text);
    let mut parts = body.split(';');
    let id = parts.next().unwrap_or_default();
    let interfaces: Vec<&str> = parts.collect();
    out.push(tag::PYTHON_PROXY);
    wire::put_str(out, id);
    wire::put_u16(out, interfaces.len() as u16);
    for i in interfaces {
        wire::put_str(out, i);
    }
    Ok(())
}

/// One call argument (py4j's rules: collections only when marked with [`Bulk`]).
pub(crate) fn arg(
    obj: &Bound<'_, PyAny>,
    enc: &mut Enc<'_, '_>,
    out: &mut Vec<u8>,
) -> PyResult<()> {
    let py = obj.py();
    if obj.is_none() {
        out.push(tag::NULL);
    } else if let Ok(b) = obj.cast::<PyBool>() {
        out.push(if b.is_true() { tag::TRUE } else { tag::FALSE });
    } else if obj.cast::<PyInt>().is_ok() {
        if obj.extract::<i64>().is_err() {
            // As v1: a call argument must fit a Java long (a BigInteger is made explicitly).
            return Err(hooks::get(py)?.py4j_error(
                py,
                format!(
                    "the integer {} does not fit in a Java long (64 bits); pass a \
                     java.math.BigInteger built from its string instead",
                    obj.str()?.to_str()?
                ),
            ));
        }
        int_value(obj, out)?;
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        out.push(tag::DOUBLE);
        out.extend_from_slice(&f.value().to_le_bytes());
    } else if let Ok(s) = obj.cast::<PyString>() {
        out.push(tag::STRING);
        wire::put_str(out, s.to_str()?);
    } else if let Some(id) = object_id(obj)? {
        ref_value(&id, out)?;
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        bytes_arg(obj, b.as_bytes(), enc, out)?;
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        // SAFETY: the GIL is held and no Python code runs while the slice is read (or, for a
        // hole, the memoryview kept by `bytes_arg` forbids resizing the bytearray), so its
        // bytes are not moved or freed meanwhile.
        bytes_arg(obj, unsafe { b.as_bytes() }, enc, out)?;
    } else if let Ok(b) = obj.cast::<Bulk>() {
        let deep = std::mem::replace(&mut enc.deep, b.get().deep);
        let r = bulk_value(b.get().value.bind(py), enc, out, 0);
        enc.deep = deep;
        r?;
    } else if obj.is_instance(hooks::get(py)?.decimal.bind(py))? {
        out.push(tag::DECIMAL);
        wire::put_str(out, obj.str()?.to_str()?);
    } else if is_ndarray(obj)? {
        array_value(obj, out, enc)?;
    } else if is_numpy_scalar(obj)? {
        arg(&obj.call_method0(intern!(py, "item"))?, enc, out)?;
    } else if is_memoryview(obj) {
        let b = obj.call_method0(intern!(py, "tobytes"))?;
        bytes_value(b.cast::<PyBytes>()?.as_bytes(), out)?;
    } else if is_python_proxy(obj) {
        proxy_value(obj, enc, out)?;
    } else {
        return Err(pyo3::exceptions::PyAttributeError::new_err(format!(
            "'{}' object has no attribute '_get_object_id' (ferry sends None, bool, int, float, \
             str, bytes, bytearray, memoryview, decimal.Decimal, numpy arrays and Java objects; \
             convert collections with ListConverter/SetConverter/MapConverter, ferry.to_java, or \
             enable auto_convert)",
            type_name(obj)
        )));
    }
    Ok(())
}

/// What a list holds, when its elements share a primitive type.
enum Homogeneous {
    Ints(Vec<i32>),
    Longs(Vec<i64>),
    Doubles(Vec<f64>),
    Bools(Vec<u8>),
    No,
}

/// Scans a list's (or tuple's) items: all ints of one width (py4j sends an int as `i` when it
/// fits and `L` otherwise: a list mixing both stays a plain list), all floats, or all bools.
fn homogeneous(items: &[Bound<'_, PyAny>]) -> Homogeneous {
    let Some(first) = items.first() else {
        return Homogeneous::No;
    };
    if first.is_exact_instance_of::<PyBool>() {
        if items.iter().all(|i| i.is_exact_instance_of::<PyBool>()) {
            return Homogeneous::Bools(
                items
                    .iter()
                    .map(|i| u8::from(i.is_truthy().unwrap_or(false)))
                    .collect(),
            );
        }
        return Homogeneous::No;
    }
    if first.cast::<PyInt>().is_ok() {
        let mut longs = Vec::with_capacity(items.len());
        let (mut small, mut large) = (0usize, 0usize);
        for i in items {
            if i.cast::<PyInt>().is_err() || i.is_exact_instance_of::<PyBool>() {
                return Homogeneous::No;
            }
            match i.extract::<i64>() {
                Ok(v) => {
                    if i32::try_from(v).is_ok() {
                        small += 1;
                    } else {
                        large += 1;
                    }
                    longs.push(v);
                }
                Err(_) => return Homogeneous::No,
            }
        }
        return match (small, large) {
            (_, 0) => Homogeneous::Ints(longs.into_iter().map(|v| v as i32).collect()),
            (0, _) => Homogeneous::Longs(longs),
            _ => Homogeneous::No,
        };
    }
    if first.cast::<PyFloat>().is_ok() {
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            match i.cast::<PyFloat>() {
                Ok(f) => out.push(f.value()),
                Err(_) => return Homogeneous::No,
            }
        }
        return Homogeneous::Doubles(out);
    }
    Homogeneous::No
}

fn typed_list(
    elem: Elem,
    count: usize,
    raw: impl FnOnce(&mut Vec<u8>),
    out: &mut Vec<u8>,
    body_start: usize,
) -> PyResult<()> {
    out.push(tag::TYPED_LIST);
    out.push(elem.code());
    put_len(out, count, "list")?;
    wire::pad8(out, body_start);
    raw(out);
    Ok(())
}

/// Appends each number's little-endian bytes.
fn put_le<T: Copy, const N: usize>(out: &mut Vec<u8>, v: &[T], bytes: fn(T) -> [u8; N]) {
    out.reserve(v.len() * N);
    for &x in v {
        out.extend_from_slice(&bytes(x));
    }
}

fn list_items(
    items: Vec<Bound<'_, PyAny>>,
    enc: &mut Enc<'_, '_>,
    out: &mut Vec<u8>,
    depth: usize,
) -> PyResult<()> {
    let bs = enc.body_start;
    match homogeneous(&items) {
        Homogeneous::Ints(v) => typed_list(
            Elem::Int,
            v.len(),
            |out| put_le(out, &v, i32::to_le_bytes),
            out,
            bs,
        ),
        Homogeneous::Longs(v) => typed_list(
            Elem::Long,
            v.len(),
            |out| put_le(out, &v, i64::to_le_bytes),
            out,
            bs,
        ),
        Homogeneous::Doubles(v) => typed_list(
            Elem::Double,
            v.len(),
            |out| put_le(out, &v, f64::to_le_bytes),
            out,
            bs,
        ),
        Homogeneous::Bools(v) => typed_list(
            Elem::Bool,
            v.len(),
            |out| out.extend_from_slice(&v),
            out,
            bs,
        ),
        Homogeneous::No => {
            out.push(tag::LIST);
            put_len(out, items.len(), "list")?;
            for item in &items {
                element(item, enc, out, depth + 1)?;
            }
            Ok(())
        }
    }
}

/// A value sent by value: collections (nested) become Java collections; anything else as
/// [`arg`] sends it, plus java.time values from `datetime` objects.
pub(crate) fn bulk_value(
    obj: &Bound<'_, PyAny>,
    enc: &mut Enc<'_, '_>,
    out: &mut Vec<u8>,
    depth: usize,
) -> PyResult<()> {
    let py = obj.py();
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "values nested more than {MAX_DEPTH} levels deep cannot be sent (is a collection \
             inside itself?)"
        )));
    }
    if obj.cast::<PyInt>().is_ok() && !obj.is_exact_instance_of::<PyBool>() {
        // By value, an int beyond a long is a BigInteger.
        return int_value(obj, out);
    }
    if obj.is_none()
        || obj.cast::<PyBool>().is_ok()
        || obj.cast::<PyFloat>().is_ok()
        || obj.cast::<PyString>().is_ok()
        || obj.cast::<PyBytes>().is_ok()
        || obj.cast::<PyByteArray>().is_ok()
    {
        return arg(obj, enc, out);
    }
    if let Some(id) = object_id(obj)? {
        return ref_value(&id, out);
    }
    if let Ok(b) = obj.cast::<Bulk>() {
        return bulk_value(b.get().value.bind(py), enc, out, depth);
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return list_items(l.iter().collect(), enc, out, depth);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return list_items(t.iter().collect(), enc, out, depth);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        out.push(tag::MAP);
        put_len(out, d.len(), "dict")?;
        for (k, v) in d.iter() {
            element(&k, enc, out, depth + 1)?;
            element(&v, enc, out, depth + 1)?;
        }
        return Ok(());
    }
    if let Ok(s) = obj.cast::<PySet>() {
        out.push(tag::SET);
        put_len(out, s.len(), "set")?;
        for v in s.iter() {
            element(&v, enc, out, depth + 1)?;
        }
        return Ok(());
    }
    if let Ok(s) = obj.cast::<PyFrozenSet>() {
        out.push(tag::SET);
        put_len(out, s.len(), "set")?;
        for v in s.iter() {
            element(&v, enc, out, depth + 1)?;
        }
        return Ok(());
    }
    if is_ndarray(obj)? {
        return array_value(obj, out, enc);
    }
    if is_numpy_scalar(obj)? {
        return bulk_value(&obj.call_method0(intern!(py, "item"))?, enc, out, depth);
    }
    if obj.is_instance(hooks::get(py)?.decimal.bind(py))?
        || is_memoryview(obj)
        || is_python_proxy(obj)
    {
        return arg(obj, enc, out);
    }
    // A custom input converter (PySpark's datetime converters, say) comes before ferry's own
    // handling of the other types, as in py4j.
    if let (Some(hook), Some(owner)) = (ELEMENT_HOOK.get(py), enc.owner) {
        let converted = hook.bind(py).call1((obj, owner))?;
        if !converted.is_none() && !converted.is(obj) {
            enc.temps.push(converted.clone().unbind());
            return bulk_value(&converted, enc, out, depth + 1);
        }
    }
    if let Some((kind, text)) = temporal(obj)? {
        out.push(tag::TEMPORAL);
        out.push(kind);
        wire::put_str(out, &text);
        return Ok(());
    }
    // py4j's MapConverter: anything with keys() and __getitem__.
    let ty = obj.get_type();
    if ty.hasattr(intern!(py, "keys"))? && ty.hasattr(intern!(py, "__getitem__"))? {
        let keys: Vec<Bound<'_, PyAny>> = obj
            .call_method0(intern!(py, "keys"))?
            .try_iter()?
            .collect::<PyResult<_>>()?;
        out.push(tag::MAP);
        put_len(out, keys.len(), "mapping")?;
        for k in keys {
            let v = obj.get_item(&k)?;
            element(&k, enc, out, depth + 1)?;
            element(&v, enc, out, depth + 1)?;
        }
        return Ok(());
    }
    // py4j's ListConverter: any other iterable.
    if ty.hasattr(intern!(py, "__iter__"))? {
        let items: Vec<Bound<'_, PyAny>> = obj.try_iter()?.collect::<PyResult<_>>()?;
        return list_items(items, enc, out, depth);
    }
    Err(PyTypeError::new_err(format!(
        "a '{}' cannot be sent to Java by value (ferry converts None, bool, int, float, str, \
         bytes, decimal.Decimal, datetime values, numpy arrays, Java objects and lists, tuples, \
         sets, dicts and other iterables and mappings of them)",
        type_name(obj)
    )))
}

struct DateTypes {
    datetime: Py<PyType>,
    date: Py<PyType>,
    time: Py<PyType>,
    timedelta: Py<PyType>,
}

static DATE_TYPES: PyOnceLock<DateTypes> = PyOnceLock::new();

fn date_types(py: Python<'_>) -> PyResult<&DateTypes> {
    DATE_TYPES.get_or_try_init(py, || {
        let m = py.import("datetime")?;
        let t =
            |n: &str| -> PyResult<Py<PyType>> { Ok(m.getattr(n)?.cast_into::<PyType>()?.unbind()) };
        Ok(DateTypes {
            datetime: t("datetime")?,
            date: t("date")?,
            time: t("time")?,
            timedelta: t("timedelta")?,
        })
    })
}

/// A `datetime` value as a java.time kind code and text.
fn temporal(obj: &Bound<'_, PyAny>) -> PyResult<Option<(u8, String)>> {
    let py = obj.py();
    let types = date_types(py)?;
    let iso = || -> PyResult<String> { obj.call_method0(intern!(py, "isoformat"))?.extract() };
    if obj.is_instance(types.datetime.bind(py))? {
        let tz = obj.getattr(intern!(py, "tzinfo"))?;
        if tz.is_none() {
            return Ok(Some((3, iso()?)));
        }
        // A named zone (zoneinfo.ZoneInfo) makes a ZonedDateTime, a fixed offset an
        // OffsetDateTime.
        if let Some(key) = tz.getattr_opt(intern!(py, "key"))? {
            if let Ok(key) = key.extract::<String>() {
                return Ok(Some((6, format!("{}[{key}]", iso()?))));
            }
        }
        return Ok(Some((5, iso()?)));
    }
    if obj.is_instance(types.date.bind(py))? {
        return Ok(Some((1, iso()?)));
    }
    if obj.is_instance(types.time.bind(py))? {
        if !obj.getattr(intern!(py, "tzinfo"))?.is_none() {
            return Err(PyValueError::new_err(
                "a datetime.time with a time zone has no java.time counterpart ferry sends \
                 (java.time.OffsetTime is not supported); drop the tzinfo or send a datetime",
            ));
        }
        return Ok(Some((2, iso()?)));
    }
    if obj.is_instance(types.timedelta.bind(py))? {
        let days: i64 = obj.getattr(intern!(py, "days"))?.extract()?;
        let seconds: i64 = obj.getattr(intern!(py, "seconds"))?.extract()?;
        let micros: i64 = obj.getattr(intern!(py, "microseconds"))?.extract()?;
        return Ok(Some((
            7,
            format!("{}.{:09}", days * 86_400 + seconds, micros * 1000),
        )));
    }
    Ok(None)
}

fn is_memoryview(obj: &Bound<'_, PyAny>) -> bool {
    obj.get_type()
        .name()
        .is_ok_and(|n| n.to_str().is_ok_and(|n| n == "memoryview"))
        && obj
            .get_type()
            .module()
            .is_ok_and(|m| m.to_str().is_ok_and(|m| m == "builtins"))
}

// ---------------------------------------------------------------------------------------- numpy

/// numpy's `ndarray`, once numpy is imported (no object is an array before that).
static NDARRAY: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn ndarray_type(py: Python<'_>) -> PyResult<Option<&Py<PyType>>> {
    if let Some(t) = NDARRAY.get(py) {
        return Ok(Some(t));
    }
    let modules = py.import("sys")?.getattr("modules")?;
    if modules.get_item("numpy").is_err() {
        return Ok(None);
    }
    let t = py
        .import("numpy")?
        .getattr("ndarray")?
        .cast_into::<PyType>()?
        .unbind();
    Ok(Some(NDARRAY.get_or_init(py, || t)))
}

pub(crate) fn is_ndarray(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = obj.py();
    match ndarray_type(py)? {
        Some(t) => obj.is_instance(t.bind(py)),
        None => Ok(false),
    }
}

/// numpy's scalar base type (`numpy.generic`), once numpy is imported.
static GENERIC: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn is_numpy_scalar(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = obj.py();
    if ndarray_type(py)?.is_none() {
        return Ok(false);
    }
    let t = GENERIC.get_or_try_init(py, || -> PyResult<Py<PyType>> {
        Ok(py
            .import("numpy")?
            .getattr("generic")?
            .cast_into::<PyType>()?
            .unbind())
    })?;
    obj.is_instance(t.bind(py))
}

/// The Java element type of a numpy dtype (kind and item size).
pub(crate) fn elem_of_dtype(kind: &str, size: usize) -> Option<Elem> {
    Some(match (kind, size) {
        ("b", 1) => Elem::Bool,
        ("i", 1) => Elem::Byte,
        ("i", 2) => Elem::Short,
        ("i", 4) => Elem::Int,
        ("i", 8) => Elem::Long,
        ("f", 4) => Elem::Float,
        ("f", 8) => Elem::Double,
        _ => return None,
    })
}

/// The numpy dtype (little-endian) of a Java element type.
pub(crate) fn dtype_of(elem: Elem) -> &'static str {
    match elem {
        Elem::Bool => "bool",
        Elem::Byte => "i1",
        Elem::Short => "<i2",
        Elem::Char => "<u2",
        Elem::Int => "<i4",
        Elem::Long => "<i8",
        Elem::Float => "<f4",
        Elem::Double => "<f8",
    }
}

/// The data pointer of a numpy array (`__array_interface__`, which works under the stable ABI).
pub(crate) fn data_pointer(arr: &Bound<'_, PyAny>) -> PyResult<usize> {
    let py = arr.py();
    let iface = arr.getattr(intern!(py, "__array_interface__"))?;
    let data = iface.get_item("data")?;
    data.get_item(0)?.extract()
}

/// A numpy array as a primitive array value: its elements, raw, aligned.
fn array_value(obj: &Bound<'_, PyAny>, out: &mut Vec<u8>, enc: &mut Enc<'_, '_>) -> PyResult<()> {
    let body_start = enc.body_start;
    let py = obj.py();
    let np = py.import("numpy")?;
    let ndim: usize = obj.getattr(intern!(py, "ndim"))?.extract()?;
    if ndim != 1 {
        return Err(PyValueError::new_err(format!(
            "only one-dimensional numpy arrays become Java arrays (this one has {ndim} \
             dimensions; pass arr.ravel() for its elements in order)"
        )));
    }
    let dtype = obj.getattr(intern!(py, "dtype"))?;
    let kind: String = dtype.getattr(intern!(py, "kind"))?.extract()?;
    let size: usize = dtype.getattr(intern!(py, "itemsize"))?.extract()?;
    let Some(elem) = elem_of_dtype(&kind, size) else {
        return Err(PyTypeError::new_err(format!(
            "a numpy array of dtype {} has no Java primitive array counterpart (ferry sends \
             bool, int8, int16, int32, int64, float32 and float64: convert it with \
             arr.astype(...), or arr.view(numpy.int8) for raw bytes)",
            dtype.str()?
        )));
    };
    // Little-endian and contiguous, copied only when it is not already.
    let mut arr = obj.clone();
    let order: String = dtype.getattr(intern!(py, "byteorder"))?.extract()?;
    if order == ">" {
        arr = arr.call_method1(intern!(py, "astype"), (dtype_of(elem),))?;
    }
    arr = np.call_method1(intern!(py, "ascontiguousarray"), (arr,))?;
    let n: usize = arr.getattr(intern!(py, "size"))?.extract()?;
    let nbytes = n * elem.size();
    out.push(tag::ARRAY);
    out.push(elem.code());
    put_len(out, n, "numpy array")?;
    wire::pad8(out, body_start);
    if nbytes > 0 {
        let ptr = data_pointer(&arr)?;
        // SAFETY: `arr` is a C-contiguous numpy array of `n` elements of `elem.size()` bytes
        // (checked above); its buffer is `nbytes` long at `ptr` and stays alive while `arr` is
        // held (here, with the GIL held: no Python code can free or resize it meanwhile; as a
        // hole, `enc` holds `arr`, and numpy refuses to resize an array referenced elsewhere
        // unless told `refcheck=False`).
        let data = unsafe { std::slice::from_raw_parts(ptr as *const u8, nbytes) };
        enc.raw(data, || Ok(arr.clone().unbind()), out)?;
    }
    Ok(())
}

/// Builds a numpy array of `elem` from raw little-endian elements (a copy, writable).
pub(crate) fn numpy_from_raw<'py>(
    py: Python<'py>,
    elem: Elem,
    raw: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    let np = py.import("numpy")?;
    let buf = PyByteArray::new(py, raw);
    np.call_method1(intern!(py, "frombuffer"), (buf, dtype_of(elem)))
}

// ------------------------------------------------------------------------------ placed replies

/// A Python object whose memory receives a reply body.
struct PyPlaced {
    obj: Py<PyAny>,
    ptr: *mut u8,
    len: usize,
}

// SAFETY: `ptr` points into the memory of `obj`, which this value keeps alive (a `Py` is Send);
// the memory is only written through `spare`, by the one thread that holds this value, and
// the object is not handed to Python code until the writing is over.
unsafe impl Send for PyPlaced {}

impl Placed for PyPlaced {
    fn spare(&mut self) -> &mut [MaybeUninit<u8>] {
        // SAFETY: `ptr` is the start of `len` bytes owned by `obj` (a `bytes` or a zeroed numpy
        // array made for this reply), alive while `self` holds `obj`, and no other reference to
        // that memory exists until the reply is decoded. As `MaybeUninit`, the bytes need no
        // initial value.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.cast::<MaybeUninit<u8>>(), self.len) }
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

impl PyPlaced {
    /// The object, once filled.
    pub(crate) fn object(self) -> Py<PyAny> {
        self.obj
    }
}

/// Takes back the object a placer made.
pub(crate) fn placed_object(placed: Box<dyn Placed>) -> Option<Py<PyAny>> {
    placed
        .into_any()
        .downcast::<PyPlaced>()
        .ok()
        .map(|p| p.object())
}

/// The raw-element layout of a typed list or primitive array that fills a reply body:
/// (element type, count, offset of the elements).
fn raw_layout(head: &[u8], body_len: usize) -> Option<(Elem, usize, usize)> {
    if head.len() < 6 || !matches!(head[0], tag::ARRAY | tag::TYPED_LIST) {
        return None;
    }
    let elem = Elem::from_code(head[1])?;
    let n = u32::from_le_bytes([head[2], head[3], head[4], head[5]]) as usize;
    // tag, element type, count: 6 bytes, padded to 8.
    (8 + n * elem.size() == body_len).then_some((elem, n, 8))
}

/// Receives a reply that is one large `byte[]` into a Python `bytes` object.
pub(crate) struct BytesPlacer;

impl Placer for BytesPlacer {
    fn place(
        &mut self,
        header: &FrameHeader,
        head: &[u8],
        body_len: usize,
    ) -> Option<(usize, Box<dyn Placed>)> {
        if header.op != wire::op::SUCCESS || head.len() < 5 || head[0] != tag::BYTES {
            return None;
        }
        let n = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
        if 5 + n != body_len {
            return None;
        }
        Python::attach(|py| {
            let (obj, ptr) = unfilled_bytes(py, n)?;
            Some((
                5,
                Box::new(PyPlaced { obj, ptr, len: n }) as Box<dyn Placed>,
            ))
        })
    }
}

/// A new `bytes` of `n` bytes whose content is not set (PyO3's `PyBytes::new_with` zeroes it,
/// which for 10 MiB costs more than the socket read that fills it), and its first byte. It must
/// be filled before Python code sees it.
fn unfilled_bytes(py: Python<'_>, n: usize) -> Option<(Py<PyAny>, *mut u8)> {
    let len = isize::try_from(n).ok()?;
    // SAFETY: a null source with a length is CPython's documented way to make a `bytes` to fill
    // in; the GIL is held (`py`).
    let raw = unsafe { pyo3::ffi::PyBytes_FromStringAndSize(std::ptr::null(), len) };
    // SAFETY: `raw` is a new reference or null with an exception set (out of memory), which
    // is taken here: no placement, the reply is then read into a buffer of the connection's.
    let obj = unsafe { Bound::from_owned_ptr_or_err(py, raw) }.ok()?;
    // SAFETY: `raw` is a live `bytes` object, so its buffer is valid for `n` bytes while `obj`
    // lives.
    let ptr = unsafe { pyo3::ffi::PyBytes_AsString(raw) }.cast::<u8>();
    Some((obj.unbind(), ptr))
}

/// Receives a reply that is one large primitive array (or typed list) into a numpy array; also
/// a large `byte[]` into a `bytes`.
pub(crate) struct NumpyPlacer;

impl Placer for NumpyPlacer {
    fn place(
        &mut self,
        header: &FrameHeader,
        head: &[u8],
        body_len: usize,
    ) -> Option<(usize, Box<dyn Placed>)> {
        if header.op != wire::op::SUCCESS {
            return None;
        }
        let (elem, n, at) = match raw_layout(head, body_len) {
            Some(l) => l,
            None => return BytesPlacer.place(header, head, body_len),
        };
        Python::attach(|py| -> Option<(usize, Box<dyn Placed>)> {
            // numpy.zeros: calloc'ed memory, initialised without being written twice.
            let arr = py
                .import("numpy")
                .ok()?
                .call_method1("zeros", (n, dtype_of(elem)))
                .ok()?;
            let ptr = data_pointer(&arr).ok()? as *mut u8;
            Some((
                at,
                Box::new(PyPlaced {
                    obj: arr.unbind(),
                    ptr,
                    len: n * elem.size(),
                }) as Box<dyn Placed>,
            ))
        })
    }
}
