//! Small native objects handed to Python: reference handles and stream readers.

use std::io::Read;
use std::sync::Mutex;

use ferry_client::Retained;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Keeps a Java id bound while it lives; garbage collecting it queues the id's release (when it
/// was the last handle on the id).
#[pyclass(frozen, module = "ferry._native")]
pub(crate) struct Ref {
    held: Retained,
}

impl Ref {
    pub(crate) fn new(held: Retained) -> Ref {
        Ref { held }
    }
}

#[pymethods]
impl Ref {
    /// The id held.
    #[getter]
    fn id(&self) -> &str {
        self.held.id()
    }

    fn __repr__(&self) -> String {
        format!("<ferry._native.Ref {}>", self.held.id())
    }
}

/// The raw bytes that follow a stream (`S`) answer. Owns its connection; `close` (or garbage
/// collection) closes it.
#[pyclass(frozen, module = "ferry._native")]
pub(crate) struct StreamReader {
    inner: Mutex<Option<ferry_client::StreamReader>>,
}

impl StreamReader {
    pub(crate) fn new(reader: ferry_client::StreamReader) -> StreamReader {
        StreamReader {
            inner: Mutex::new(Some(reader)),
        }
    }
}

#[pymethods]
impl StreamReader {
    /// Reads up to `n` bytes (all the rest when `n` is negative); `b""` at the end.
    #[pyo3(signature = (n=-1))]
    fn read<'py>(&self, py: Python<'py>, n: i64) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = py.detach(|| -> std::io::Result<Vec<u8>> {
            let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            let Some(reader) = guard.as_mut() else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            if n < 0 {
                reader.read_to_end(&mut out)?;
            } else {
                out.resize(n as usize, 0);
                let mut filled = 0;
                while filled < out.len() {
                    let k = reader.read(&mut out[filled..])?;
                    if k == 0 {
                        break;
                    }
                    filled += k;
                }
                out.truncate(filled);
            }
            Ok(out)
        })?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Closes the connection.
    fn close(&self) {
        if let Some(mut r) = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take() {
            r.close();
        }
    }
}
