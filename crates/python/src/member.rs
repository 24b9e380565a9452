//! `ferry._native.JavaMember`: a method of a Java object (or a static method of a class), whose
//! call encodes the arguments, waits for the reply with the GIL released and decodes it, all in
//! Rust. `ferry.java_gateway.JavaMember` is this class.

use std::sync::{Arc, OnceLock};

use pyo3::PyTraverseError;
use pyo3::gc::PyVisit;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use ferry_engine::CallSite;

use crate::client::call_prefix;
use crate::embedded::Native;
use crate::hooks;
use crate::object;

/// What a member knows of the object it belongs to.
enum Container {
    /// A static method.
    Static,
    /// The object (held, as py4j's members hold theirs).
    Held(Py<PyAny>),
    /// None yet: the member an object remembers for a name, which each lookup of that name
    /// copies with the object as container (remembering a member that holds its object would
    /// make a cycle, which only the cyclic collector could free, delaying the release).
    Unbound,
}

/// What the copies of a member share: the method, the target id, the client, and the memos of
/// calls (the socket mode's command prefixes, the embedded mode's call site).
pub(crate) struct Fields {
    pub(crate) name: Py<PyString>,
    pub(crate) target_id: Py<PyString>,
    pub(crate) gateway_client: Py<PyAny>,
    pub(crate) native: Native,
    /// `c\n<target id>\n<name>\n`: the start of every call command (v1).
    header: Arc<[u8]>,
    /// The start of every call frame (v2): its header, the target and the name.
    prefix: Arc<[u8]>,
    /// The name, in Rust.
    pub(crate) method: Box<str>,
    /// The class of a static method (the target id without its `z:`).
    pub(crate) class: Option<Box<str>>,
    /// The memo of the embedded mode's direct calls.
    pub(crate) site: CallSite,
}

impl Fields {
    fn new(
        name: Bound<'_, PyString>,
        target_id: Bound<'_, PyString>,
        gateway_client: Bound<'_, PyAny>,
        native: Native,
    ) -> PyResult<Fields> {
        let (t, n) = (target_id.to_str()?, name.to_str()?);
        Ok(Fields {
            header: header(t, n),
            prefix: call_prefix(t, n).into(),
            method: n.into(),
            class: t.strip_prefix("z:").map(Into::into),
            site: CallSite::default(),
            name: name.unbind(),
            target_id: target_id.unbind(),
            gateway_client: gateway_client.unbind(),
            native,
        })
    }

    fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.name)?;
        visit.call(&self.target_id)?;
        visit.call(&self.gateway_client)?;
        self.native.traverse(visit)
    }
}

/// A member's fields: its own, or those of the member it is a copy of (the member an object
/// remembers: a copy costs two references, no allocation of its own).
enum Body {
    Own(Box<Fields>),
    CopyOf(Py<JavaMember>),
}

// A method of a Java object, or a static method (`container` None, `target_id` `z:<class>`).
// Calling it calls Java. No doc comment: the class's docstring would hide the `__doc__` getter
// (the help page of the method), as would a text signature.
#[pyclass(subclass, frozen, module = "ferry.java_gateway", name = "JavaMember")]
pub(crate) struct JavaMember {
    body: Body,
    container: Container,
    /// The help page, once asked for.
    doc: OnceLock<Py<PyAny>>,
}

fn header(target_id: &str, name: &str) -> Arc<[u8]> {
    let mut out = Vec::with_capacity(4 + target_id.len() + name.len());
    out.extend_from_slice(b"c\n");
    out.extend_from_slice(target_id.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(name.as_bytes());
    out.push(b'\n');
    out.into()
}

/// The native client of a Python gateway client (its `_native` attribute): a socket pool or
/// an embedded engine.
pub(crate) fn native_client(gateway_client: &Bound<'_, PyAny>) -> PyResult<Native> {
    Native::of(gateway_client)
}

impl JavaMember {
    /// The member an object remembers for `name` (container: none yet).
    pub(crate) fn unbound(
        py: Python<'_>,
        name: &Bound<'_, PyString>,
        target_id: &Py<PyString>,
        gateway_client: &Py<PyAny>,
        native: &Native,
    ) -> PyResult<JavaMember> {
        let fields = Fields::new(
            name.clone(),
            target_id.bind(py).clone(),
            gateway_client.bind(py).clone(),
            native.clone_ref(py),
        )?;
        Ok(JavaMember {
            body: Body::Own(Box::new(fields)),
            container: Container::Unbound,
            doc: OnceLock::new(),
        })
    }

    /// A copy of `member` whose container is `obj`.
    pub(crate) fn bound(member: &Bound<'_, JavaMember>, obj: &Bound<'_, PyAny>) -> JavaMember {
        let of = match &member.get().body {
            Body::Own(_) => member.clone().unbind(),
            Body::CopyOf(m) => m.clone_ref(member.py()),
        };
        JavaMember {
            body: Body::CopyOf(of),
            container: Container::Held(obj.clone().unbind()),
            doc: OnceLock::new(),
        }
    }

    /// The member's fields.
    pub(crate) fn fields(&self) -> &Fields {
        match &self.body {
            Body::Own(f) => f,
            Body::CopyOf(m) => m.get().fields(),
        }
    }
}

#[pymethods]
impl JavaMember {
    #[new]
    #[pyo3(text_signature = None)]
    fn new(
        name: Bound<'_, PyString>,
        container: Bound<'_, PyAny>,
        target_id: Bound<'_, PyString>,
        gateway_client: Bound<'_, PyAny>,
    ) -> PyResult<JavaMember> {
        let native = native_client(&gateway_client)?;
        let fields = Fields::new(name, target_id, gateway_client, native)?;
        Ok(JavaMember {
            body: Body::Own(Box::new(fields)),
            container: if container.is_none() {
                Container::Static
            } else {
                Container::Held(container.unbind())
            },
            doc: OnceLock::new(),
        })
    }

    /// Lets the cyclic GC see the references (a client's memo holds members that hold the
    /// client); clearing the other objects of such a cycle frees it.
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        match &self.body {
            Body::Own(f) => f.traverse(&visit)?,
            Body::CopyOf(m) => visit.call(m)?,
        }
        if let Container::Held(c) = &self.container {
            visit.call(c)?;
        }
        if let Some(doc) = self.doc.get() {
            visit.call(doc)?;
        }
        Ok(())
    }

    /// Calls the method. With input converters (`auto_convert`), the arguments go through them
    /// first (in Python).
    #[pyo3(signature = (*args))]
    fn __call__<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let f = this.fields();
        if f.native.has_converters() {
            return hooks::get(py)?.converting_call.bind(py).call1((slf, args));
        }
        let owner = f.gateway_client.bind(py);
        match &f.native {
            Native::Socket(native) => native.get().call_member(
                py,
                &f.header,
                &f.prefix,
                args,
                owner,
                f.target_id.bind(py).as_any(),
                f.name.bind(py).as_any(),
            ),
            Native::Embedded(native) => native.get().call_site(
                py,
                f,
                args,
                match &this.container {
                    Container::Held(c) => Some(c.bind(py)),
                    Container::Static | Container::Unbound => None,
                },
            ),
        }
    }

    /// The method's name.
    #[getter]
    fn name(&self, py: Python<'_>) -> Py<PyString> {
        self.fields().name.clone_ref(py)
    }

    /// The object (None for a static method).
    #[getter]
    fn container(&self, py: Python<'_>) -> Py<PyAny> {
        match &self.container {
            Container::Held(c) => c.clone_ref(py),
            Container::Static | Container::Unbound => py.None(),
        }
    }

    /// The id the call is made on (`z:<class>` for a static method).
    #[getter]
    fn target_id(&self, py: Python<'_>) -> Py<PyString> {
        self.fields().target_id.clone_ref(py)
    }

    /// The gateway client.
    #[getter]
    fn gateway_client(&self, py: Python<'_>) -> Py<PyAny> {
        self.fields().gateway_client.clone_ref(py)
    }

    /// The start of the call command: the target id and the name, each on its line.
    #[getter]
    fn command_header(&self) -> PyResult<String> {
        Ok(String::from_utf8_lossy(&self.fields().header[2..]).into_owned())
    }

    /// The gateway's pool of Python objects lent to Java.
    #[getter]
    fn pool<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.fields()
            .gateway_client
            .bind(py)
            .getattr(intern!(py, "gateway_property"))?
            .getattr(intern!(py, "pool"))
    }

    /// The gateway client's input converters (None without `auto_convert`).
    #[getter]
    fn converters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.fields()
            .gateway_client
            .bind(py)
            .getattr(intern!(py, "converters"))
    }

    /// The help page of the method (its overloads), asked of the gateway once.
    #[getter]
    fn __doc__(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.get();
        if let Some(doc) = this.doc.get() {
            return Ok(doc.clone_ref(py));
        }
        let doc = object::hooks(py)?
            .member_doc
            .bind(py)
            .call1((slf,))?
            .unbind();
        // Another thread may have asked at the same time: either answer is the page.
        let _ = this.doc.set(doc.clone_ref(py));
        Ok(doc)
    }

    /// Calls a method that returns a `ReadableByteChannel`; returns a guard whose `read` gives
    /// the channel's bytes (py4j's binary call).
    #[pyo3(signature = (*args))]
    fn stream<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        object::hooks(py)?.member_stream.bind(py).call1((slf, args))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "<JavaMember {}.{}>",
            self.fields().target_id.bind(py).to_str()?,
            self.fields().name.bind(py).to_str()?
        ))
    }
}
