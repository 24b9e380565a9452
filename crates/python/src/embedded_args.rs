//! Embedded mode: Python values to the engine's values, with no bytes in between.
//!
//! The common arguments (None, bool, int, float, str, Java objects) become [`Value`]s directly.
//! `bytes` and numpy arrays are not copied here: the call makes the Java array straight from
//! their memory (one copy, into the Java heap) with the GIL released, and passes it by reference.
//! Anything else (collections marked to travel by value, decimals, datetimes, Python proxies) is
//! written by the v2 encoder of `bulk.rs` and read back as a value, so that both modes follow
//! the same rules.

use std::sync::Arc;

use ferry_engine::jni_raw::{Env, JType};
use ferry_engine::{Arg, Engine, Entry};
use ferry_protocol::{Elem, RefKind, Value};
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString, PyTuple};

use crate::bulk::{self, Enc};
use crate::embedded::EmbeddedOwner;
use crate::hooks;
use crate::object::JavaObject;

/// Memory of a Python object that becomes a Java primitive array when the call runs.
#[derive(Clone, Copy)]
pub(crate) struct RawArray {
    /// Which argument it is.
    pub index: usize,
    /// The element type.
    pub elem: Elem,
    /// The first byte (the object is kept alive by [`Args::keep`]).
    pub ptr: usize,
    /// The byte count.
    pub len: usize,
}

/// The arguments of one call.
#[derive(Default)]
pub(crate) struct Args {
    /// The values, in order (a [`RawArray`]'s place holds `Null` until the call makes it).
    pub values: Vec<Value>,
    /// The arguments to make from Python memory.
    pub raw: Vec<RawArray>,
    /// Objects that must live until the call is over (the owners of that memory, objects made
    /// by converters).
    pub keep: Vec<Py<PyAny>>,
}

/// The JNI type of a primitive element type.
pub(crate) fn jtype_of(elem: Elem) -> JType {
    match elem {
        Elem::Bool => JType::Bool,
        Elem::Byte => JType::Byte,
        Elem::Short => JType::Short,
        Elem::Char => JType::Char,
        Elem::Int => JType::Int,
        Elem::Long => JType::Long,
        Elem::Float => JType::Float,
        Elem::Double => JType::Double,
    }
}

impl Args {
    /// The arguments of a call.
    pub(crate) fn of(args: &Bound<'_, PyTuple>, owner: &Bound<'_, PyAny>) -> PyResult<Args> {
        let mut out = Args {
            values: Vec::with_capacity(args.len()),
            ..Args::default()
        };
        for a in args.iter() {
            out.push(&a, owner)?;
        }
        Ok(out)
    }

    /// Adds one argument (py4j's rules: collections only when marked, see `bulk::arg`).
    pub(crate) fn push(
        &mut self,
        obj: &Bound<'_, PyAny>,
        owner: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let py = obj.py();
        let value = if obj.is_none() {
            Value::Null
        } else if let Ok(b) = obj.cast::<PyBool>() {
            Value::Bool(b.is_true())
        } else if let Ok(i) = obj.cast::<PyInt>() {
            match i.extract::<i64>() {
                Ok(v) => match i32::try_from(v) {
                    Ok(v) => Value::Int(v),
                    Err(_) => Value::Long(v),
                },
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
            Value::Double(f.value())
        } else if let Ok(s) = obj.cast::<PyString>() {
            Value::String(s.to_str()?.to_owned())
        } else if let Ok(o) = obj.cast::<JavaObject>() {
            let id = o.call_method0(intern!(py, "_get_object_id"))?;
            Value::Ref(RefKind::Object, id.cast::<PyString>()?.to_str()?.to_owned())
        } else if let Ok(b) = obj.cast::<PyBytes>() {
            // bytes are immutable: their memory stays as it is while the object is kept.
            let data = b.as_bytes();
            self.raw.push(RawArray {
                index: self.values.len(),
                elem: Elem::Byte,
                ptr: data.as_ptr() as usize,
                len: data.len(),
            });
            self.keep.push(obj.clone().unbind());
            Value::Null
        } else if bulk::is_ndarray(obj)? {
            return self.ndarray(obj);
        } else {
            return self.encoded(obj, owner);
        };
        self.values.push(value);
        Ok(())
    }

    /// A one-dimensional numpy array of a Java primitive type, made contiguous and
    /// little-endian (a copy only when it is not already).
    fn ndarray(&mut self, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = obj.py();
        let ndim: usize = obj.getattr(intern!(py, "ndim"))?.extract()?;
        let dtype = obj.getattr(intern!(py, "dtype"))?;
        let kind: String = dtype.getattr(intern!(py, "kind"))?.extract()?;
        let size: usize = dtype.getattr(intern!(py, "itemsize"))?.extract()?;
        let elem = bulk::elem_of_dtype(&kind, size);
        let (Some(elem), 1) = (elem, ndim) else {
            // The encoder says what is wrong, in the words of the socket mode.
            let mut out = Vec::new();
            let mut enc = Enc::new(None, 0);
            bulk::arg(obj, &mut enc, &mut out)?;
            return Err(PyTypeError::new_err(
                "this numpy array cannot be sent to Java",
            ));
        };
        let mut arr = obj.clone();
        let order: String = dtype.getattr(intern!(py, "byteorder"))?.extract()?;
        if order == ">" {
            arr = arr.call_method1(intern!(py, "astype"), (bulk::dtype_of(elem),))?;
        }
        arr = py
            .import(intern!(py, "numpy"))?
            .call_method1(intern!(py, "ascontiguousarray"), (arr,))?;
        let n: usize = arr.getattr(intern!(py, "size"))?.extract()?;
        let ptr = if n == 0 { 0 } else { bulk::data_pointer(&arr)? };
        self.raw.push(RawArray {
            index: self.values.len(),
            elem,
            ptr,
            len: n * elem.size(),
        });
        self.keep.push(arr.unbind());
        self.values.push(Value::Null);
        Ok(())
    }

    /// Any other argument: through the v2 encoder, read back as a value.
    fn encoded(&mut self, obj: &Bound<'_, PyAny>, owner: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = obj.py();
        let mut out = Vec::with_capacity(32);
        let mut enc = Enc::new(Some(owner), 0);
        bulk::arg(obj, &mut enc, &mut out)?;
        self.keep.append(&mut enc.temps);
        let value =
            ferry_protocol::binary::decode_value(&out).map_err(|e| match hooks::get(py) {
                Ok(h) => h.py4j_error(py, format!("ferry cannot convert this argument: {e}")),
                Err(err) => err,
            })?;
        self.values.push(value);
        Ok(())
    }
}

/// Makes the Java arrays of `raw` (one copy each, from the kept Python memory) and holds them
/// under ids that replace their places in `values`; returns the ids, to release after the call.
pub(crate) fn materialize(
    env: &Env,
    engine: &Engine,
    values: &mut [Value],
    raw: &[RawArray],
) -> Result<Vec<String>, String> {
    let mut ids = Vec::with_capacity(raw.len());
    for r in raw {
        let data: &[u8] = if r.len == 0 {
            &[]
        } else {
            // SAFETY: ptr and len describe the memory of a `bytes` object or of a C-contiguous
            // numpy array that `Args::keep` holds a strong reference to for the whole call, so
            // the memory is neither freed nor resized meanwhile (numpy refuses to resize an
            // array that others reference; bytes never change).
            unsafe { std::slice::from_raw_parts(r.ptr as *const u8, r.len) }
        };
        let made = env
            .with_frame(2, |env| -> Result<String, String> {
                let array = env
                    .primitive_array_from_le(jtype_of(r.elem), data)
                    .map_err(|_| "cannot make a Java array (is the heap large enough?)")?;
                engine
                    .register(env, array)
                    .map_err(|_| "cannot hold a Java array".to_owned())
            })
            .map_err(|_| "no local frame for a Java array".to_owned())
            .and_then(|r| r);
        match made {
            Ok(id) => {
                values[r.index] = Value::Ref(RefKind::Object, id.clone());
                ids.push(id);
            }
            Err(e) => {
                for id in &ids {
                    engine.registry().remove(id);
                }
                return Err(e);
            }
        }
    }
    Ok(ids)
}

/// `JavaObject._get_object_id` of the native type: a proxy whose class does not override it is
/// passed as the object it holds.
static NATIVE_GET_ID: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// One argument of a direct call, before the Java objects' entries are borrowed.
enum Pre<'a> {
    Arg(Arg<'a>),
    /// A Java object: its entry in `held`, at this index.
    Object(usize),
}

/// The arguments of a direct call (`Engine::call_direct`), borrowed from `args`: None, bool,
/// int (64 bits), float, str and the Java objects of this gateway (their entries held in
/// `held` for the call), in `out`. False when another kind of argument is there (or an int too
/// large, a str that is not valid UTF-8, a Java object whose id is released): the call then
/// takes [`Args::of`], which converts or says what is wrong.
pub(crate) fn direct_args<'a>(
    args: &'a Bound<'_, PyTuple>,
    owner: &Arc<EmbeddedOwner>,
    held: &'a mut smallvec::SmallVec<[Arc<Entry>; 2]>,
    out: &mut smallvec::SmallVec<[Arg<'a>; 4]>,
) -> bool {
    let py = args.py();
    let mut pre: smallvec::SmallVec<[Pre<'a>; 4]> = smallvec::SmallVec::new();
    for item in args.iter_borrowed() {
        let arg = if item.is_none() {
            Arg::Null
        } else if let Ok(b) = item.cast_exact::<PyBool>() {
            Arg::Bool(b.is_true())
        } else if let Ok(i) = item.cast::<PyInt>() {
            match i.extract::<i64>() {
                Ok(v) => match i32::try_from(v) {
                    Ok(v) => Arg::Int(v),
                    Err(_) => Arg::Long(v),
                },
                Err(_) => return false,
            }
        } else if let Ok(f) = item.cast::<PyFloat>() {
            Arg::Double(f.value())
        } else if let Ok(s) = item.cast::<PyString>() {
            match utf8(s) {
                Some(s) => Arg::Str(s),
                None => {
                    // The error of a str that has no UTF-8 form (a lone surrogate) is raised by
                    // the general path.
                    PyErr::take(py);
                    return false;
                }
            }
        } else if let Ok(o) = item.cast::<JavaObject>() {
            let Ok(native) = NATIVE_GET_ID.get_or_try_init(py, || {
                py.get_type::<JavaObject>()
                    .getattr(intern!(py, "_get_object_id"))
                    .map(Bound::unbind)
            }) else {
                return false;
            };
            match o.get_type().getattr(intern!(py, "_get_object_id")) {
                Ok(f) if f.is(native) => {}
                _ => return false,
            }
            match o.get().embedded_entry(owner) {
                Some(e) => {
                    held.push(e);
                    pre.push(Pre::Object(held.len() - 1));
                    continue;
                }
                None => return false,
            }
        } else {
            return false;
        };
        pre.push(Pre::Arg(arg));
    }
    let held: &'a smallvec::SmallVec<[Arc<Entry>; 2]> = held;
    out.extend(pre.into_iter().map(|p| match p {
        Pre::Arg(a) => a,
        Pre::Object(i) => Arg::Object(&held[i]),
    }));
    true
}

/// The UTF-8 form of a `str` (None, with a Python error set, when it has none).
fn utf8<'a>(s: pyo3::Borrowed<'a, '_, PyString>) -> Option<&'a str> {
    let mut len: pyo3::ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live str, borrowed for 'a (from the argument tuple, which the caller
    // holds for the whole call); PyUnicode_AsUTF8AndSize needs the GIL, which `s` proves held.
    let data = unsafe { pyo3::ffi::PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut len) };
    if data.is_null() {
        return None;
    }
    // SAFETY: the UTF-8 buffer is cached in the str object and lives as long as it (the tuple
    // holds it for the call, GIL released or not: a str never changes); it is valid UTF-8 of
    // `len` bytes.
    Some(unsafe {
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(data.cast::<u8>(), len as usize))
    })
}
