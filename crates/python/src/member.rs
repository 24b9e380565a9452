//! `ferry._native.Member`: the callable behind `JavaMember`, so that `obj.method(...)` runs no
//! Python frame between the attribute lookup and the native call.

use pyo3::PyTraverseError;
use pyo3::gc::PyVisit;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::client::PyClient;
use crate::hooks;

/// A method of a Java object (or a static method): `name`, the object (`container`, None for a
/// static method), the id the call is made on (`target_id`, `z:<class>` for a static method)
/// and the gateway client. `ferry.java_gateway.JavaMember` derives from it.
#[pyclass(subclass, frozen, module = "ferry._native", name = "Member")]
pub(crate) struct Member {
    #[pyo3(get)]
    name: Py<PyString>,
    #[pyo3(get)]
    container: Py<PyAny>,
    #[pyo3(get)]
    target_id: Py<PyString>,
    #[pyo3(get)]
    gateway_client: Py<PyAny>,
}

#[pymethods]
impl Member {
    #[new]
    fn new(
        name: Bound<'_, PyString>,
        container: Bound<'_, PyAny>,
        target_id: Bound<'_, PyString>,
        gateway_client: Bound<'_, PyAny>,
    ) -> Member {
        Member {
            name: name.unbind(),
            container: container.unbind(),
            target_id: target_id.unbind(),
            gateway_client: gateway_client.unbind(),
        }
    }

    /// Lets the cyclic GC see the references (a client's memo holds members that hold the
    /// client); clearing the other objects of such a cycle frees it.
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.name)?;
        visit.call(&self.container)?;
        visit.call(&self.target_id)?;
        visit.call(&self.gateway_client)?;
        Ok(())
    }

    /// Calls the method. With `auto_convert` on, the arguments go through the package's input
    /// converters first.
    #[pyo3(signature = (*args))]
    fn __call__<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let client = this.gateway_client.bind(py);
        if client.getattr(intern!(py, "converters"))?.is_truthy()? {
            return hooks::get(py)?.converting_call.bind(py).call1((slf, args));
        }
        let native = client.getattr(intern!(py, "_native"))?;
        let native = native.cast::<PyClient>()?;
        native.get().call(
            py,
            this.target_id.bind(py),
            this.name.bind(py),
            args,
            client,
        )
    }
}
