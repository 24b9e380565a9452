//! The Python objects the native module calls back into, registered once by the `ferry` package.

use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};

/// What the package registers with [`install`].
pub(crate) struct Hooks {
    /// py4j's `OUTPUT_CONVERTER` dict: tag -> `converter(target_id, gateway_client)`.
    pub converters: Py<PyDict>,
    /// `handler(answer, gateway_client, target_id, name)`: raises the Python error for an error
    /// answer (calls `ferry.java_gateway.get_return_value`, so that patches of it apply).
    pub error_handler: Py<PyAny>,
    /// `factory(gateway_client, message, when, kind)`: returns the `Py4JNetworkError` to raise.
    pub network_error: Py<PyAny>,
    /// `factory(message)`: returns the `Py4JError` to raise for a local failure.
    pub py4j_error: Py<PyAny>,
    /// `decimal.Decimal`.
    pub decimal: Py<PyAny>,
    /// `converting_call(member, args)`: a member call with the input converters applied.
    pub converting_call: Py<PyAny>,
    /// The one-letter tags as Python strings, indexed by byte.
    tags: Vec<Option<Py<PyString>>>,
}

static HOOKS: PyOnceLock<Hooks> = PyOnceLock::new();

/// Tags whose output converter the package replaced (bit per ASCII letter).
static OVERRIDDEN: AtomicU64 = AtomicU64::new(0);

fn bit(tag: u8) -> u64 {
    1u64 << (tag.wrapping_sub(b'A') & 63)
}

/// Registers the package's hooks. Called once, when `ferry` is imported.
#[pyfunction]
pub(crate) fn install(
    py: Python<'_>,
    converters: Bound<'_, PyDict>,
    error_handler: Bound<'_, PyAny>,
    network_error: Bound<'_, PyAny>,
    py4j_error: Bound<'_, PyAny>,
    decimal: Bound<'_, PyAny>,
    converting_call: Bound<'_, PyAny>,
) -> PyResult<()> {
    let mut tags: Vec<Option<Py<PyString>>> = (0..128).map(|_| None).collect();
    for t in b"rlahtgnbLDijdsv" {
        tags[*t as usize] = Some(PyString::intern(py, &(*t as char).to_string()).unbind());
    }
    let hooks = Hooks {
        converters: converters.unbind(),
        error_handler: error_handler.unbind(),
        network_error: network_error.unbind(),
        py4j_error: py4j_error.unbind(),
        decimal: decimal.unbind(),
        converting_call: converting_call.unbind(),
        tags,
    };
    HOOKS
        .set(py, hooks)
        .map_err(|_| PyRuntimeError::new_err("ferry._native.install was already called"))
}

/// Tells the native decoder that the output converter of a primitive tag (`i`, `s`, ...) was
/// replaced, so that values with that tag go through the Python converter.
#[pyfunction]
pub(crate) fn set_converter_override(tag: &Bound<'_, PyString>, overridden: bool) -> PyResult<()> {
    let tag = tag.to_str()?;
    if let [t] = tag.as_bytes() {
        if overridden {
            OVERRIDDEN.fetch_or(bit(*t), Ordering::Relaxed);
        } else {
            OVERRIDDEN.fetch_and(!bit(*t), Ordering::Relaxed);
        }
    }
    Ok(())
}

pub(crate) fn is_overridden(tag: u8) -> bool {
    OVERRIDDEN.load(Ordering::Relaxed) & bit(tag) != 0
}

pub(crate) fn get(py: Python<'_>) -> PyResult<&Hooks> {
    HOOKS.get(py).ok_or_else(|| {
        PyRuntimeError::new_err(
            "ferry._native is used before the ferry package installed its hooks",
        )
    })
}

impl Hooks {
    /// The interned one-letter string of a tag.
    pub fn tag<'py>(&self, py: Python<'py>, tag: u8) -> Bound<'py, PyString> {
        match self.tags.get(tag as usize) {
            Some(Some(s)) => s.bind(py).clone(),
            _ => PyString::new(py, &(tag as char).to_string()),
        }
    }

    /// A `Py4JError` for a local failure.
    pub fn py4j_error(&self, py: Python<'_>, message: String) -> PyErr {
        match self.py4j_error.bind(py).call1((message,)) {
            Ok(exc) => PyErr::from_value(exc),
            Err(e) => e,
        }
    }
}
