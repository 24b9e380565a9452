//! `ferry._native.JavaObject`: the native base of `ferry.java_gateway.JavaObject` (and of the
//! collection proxies).
//!
//! It holds the object's id, its gateway client and the handle that keeps the id bound (the id
//! is released when the proxy and the members taken from it are gone: they form no cycle).
//! Looking up a name that is not a Python attribute makes the Java method's `JavaMember`
//! natively, and the object remembers it: the next lookups of that name find it first and hand
//! out a copy bound to the object, with no Python code and no failed lookup in between. The rest
//! of py4j's behaviour (dir, equality, hashing, str, repr, help) is in the Python subclass.

use std::sync::{Arc, OnceLock};

use ferry_engine::Entry;

use pyo3::PyTraverseError;
use pyo3::exceptions::{PyAttributeError, PyRuntimeError, PyTypeError};
use pyo3::ffi;
use pyo3::gc::PyVisit;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

use crate::embedded::{EmbeddedClient, EmbeddedHeld, EmbeddedOwner, Held, Native};
use crate::member::{JavaMember, native_client};

/// The Python functions the proxies call back into, registered by `ferry._proxies`.
pub(crate) struct ProxyHooks {
    /// `lookup(obj, name) -> (is_field, value)`: a field of an `auto_field` object.
    pub auto_field: Py<PyAny>,
    /// `doc(member) -> str`: the help page of a member.
    pub member_doc: Py<PyAny>,
    /// `stream(member, args)`: py4j's binary call of a member.
    pub member_stream: Py<PyAny>,
}

static PROXY_HOOKS: PyOnceLock<ProxyHooks> = PyOnceLock::new();

/// Registers the proxies' hooks. Called once, when `ferry._proxies` is imported.
#[pyfunction]
pub(crate) fn install_proxy_hooks(
    py: Python<'_>,
    auto_field: Bound<'_, PyAny>,
    member_doc: Bound<'_, PyAny>,
    member_stream: Bound<'_, PyAny>,
) -> PyResult<()> {
    let hooks = ProxyHooks {
        auto_field: auto_field.unbind(),
        member_doc: member_doc.unbind(),
        member_stream: member_stream.unbind(),
    };
    PROXY_HOOKS.set(py, hooks).map_err(|_| {
        PyRuntimeError::new_err("ferry._native.install_proxy_hooks was already called")
    })
}

pub(crate) fn hooks(py: Python<'_>) -> PyResult<&ProxyHooks> {
    PROXY_HOOKS.get(py).ok_or_else(|| {
        PyRuntimeError::new_err("ferry._native is used before ferry._proxies installed its hooks")
    })
}

/// What a bound proxy holds.
struct State {
    target_id: Py<PyString>,
    gateway_client: Py<PyAny>,
    native: Native,
    /// The handle on the id (it releases nothing without memory management, or for the ids
    /// that are never released).
    _held: Held,
    auto_field: bool,
}

/// A Java object held by the gateway: `JavaObject(target_id, gateway_client)`.
#[pyclass(
    subclass,
    frozen,
    dict,
    weakref,
    module = "ferry._native",
    name = "JavaObject"
)]
pub(crate) struct JavaObject {
    /// True once the fields are written. The object's memory is zeroed and tracked by the
    /// collector before they are (Python makes the instance dict in between, which may run a
    /// collection): the collector's traversal reads nothing until this is set.
    ready: bool,
    state: OnceLock<State>,
    /// The Java methods looked up so far: name -> unbound `JavaMember`.
    members: OnceLock<Py<PyDict>>,
}

impl JavaObject {
    /// The embedded hold of the object, when it is bound to `target` (the very string object).
    pub(crate) fn embedded_held(&self, target: &Bound<'_, PyString>) -> Option<&EmbeddedHeld> {
        let state = self.state.get()?;
        if state.target_id.as_ptr() != target.as_ptr() {
            return None;
        }
        match &state._held {
            Held::Embedded(h) => Some(h),
            Held::Socket(_) => None,
        }
    }

    /// The engine's entry of the object, when it is held by the embedded gateway `owner`.
    pub(crate) fn embedded_entry(&self, owner: &Arc<EmbeddedOwner>) -> Option<Arc<Entry>> {
        match &self.state.get()?._held {
            Held::Embedded(h) => h.entry(owner),
            Held::Socket(_) => None,
        }
    }

    fn state(&self) -> PyResult<&State> {
        self.state
            .get()
            .ok_or_else(|| PyAttributeError::new_err("JavaObject.__init__ was not called"))
    }
}

fn is_magic(name: &str) -> bool {
    name.len() >= 4 && name.starts_with("__") && name.ends_with("__")
}

/// A flag of the gateway's shared settings (`gateway_client.gateway_property`), false when the
/// client has none.
fn property_flag(gateway_client: &Bound<'_, PyAny>, flag: &Bound<'_, PyString>) -> PyResult<bool> {
    let py = gateway_client.py();
    let property = gateway_client.getattr(intern!(py, "gateway_property"))?;
    if property.is_none() {
        return Ok(false);
    }
    property.getattr(flag)?.is_truthy()
}

/// Binds a new proxy to its id (what `__init__` does).
fn bind(
    slf: &Bound<'_, JavaObject>,
    target_id: Bound<'_, PyString>,
    gateway_client: Bound<'_, PyAny>,
) -> PyResult<()> {
    let py = slf.py();
    let native = native_client(&gateway_client)?;
    let auto_field = property_flag(&gateway_client, intern!(py, "auto_field"))?;
    let held = native.retain(target_id.to_str()?);
    let state = State {
        target_id: target_id.unbind(),
        gateway_client: gateway_client.unbind(),
        native,
        _held: held,
        auto_field,
    };
    slf.get()
        .state
        .set(state)
        .map_err(|_| PyTypeError::new_err("this JavaObject is already bound to a Java object"))
}

/// The output converter of plain references and the class it instantiates, registered by
/// `ferry.java_gateway` (`converter(target_id, gateway_client)` is `cls(target_id,
/// gateway_client)`).
static OBJECT_CONVERTER: PyOnceLock<(Py<PyAny>, Py<PyType>)> = PyOnceLock::new();

/// Registers the output converter of plain references, which calls `cls(target_id,
/// gateway_client)`, so that the decoder makes those proxies natively while it is registered.
#[pyfunction]
pub(crate) fn install_object_converter(
    py: Python<'_>,
    converter: Bound<'_, PyAny>,
    cls: Bound<'_, PyType>,
) -> PyResult<()> {
    OBJECT_CONVERTER
        .set(py, (converter.unbind(), cls.unbind()))
        .map_err(|_| {
            PyRuntimeError::new_err("ferry._native.install_object_converter was already called")
        })
}

/// A type slot (`PyType_GetSlot`).
fn type_slot(cls: &Bound<'_, PyType>, slot: std::ffi::c_int) -> *mut std::ffi::c_void {
    // SAFETY: `cls` is a valid type object (borrowed while the GIL is held); PyType_GetSlot
    // reads one of its slots (the classes given here are heap types).
    unsafe { ffi::PyType_GetSlot(cls.as_ptr().cast(), slot) }
}

/// What the output converter `converter` makes of the reference `id`, made natively (no Python
/// call, the same proxy): when `converter` is the registered converter of plain references, or a
/// subclass of `JavaObject` (the collection proxies), whose class defines neither `__new__` nor
/// `__init__` of its own. None when the converter must be called.
pub(crate) fn native_proxy<'py>(
    py: Python<'py>,
    converter: &Bound<'py, PyAny>,
    id: &str,
    owner: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let cls = match OBJECT_CONVERTER.get(py) {
        Some((c, cls)) if c.bind(py).is(converter) => cls.bind(py).clone(),
        _ => match converter.cast::<PyType>() {
            Ok(t) if t.is_subclass_of::<JavaObject>()? => t.clone(),
            _ => return Ok(None),
        },
    };
    let base = py.get_type::<JavaObject>();
    let new = type_slot(&cls, ffi::Py_tp_new);
    if new.is_null()
        || new != type_slot(&base, ffi::Py_tp_new)
        || type_slot(&cls, ffi::Py_tp_init) != type_slot(&base, ffi::Py_tp_init)
    {
        return Ok(None);
    }
    // SAFETY: `new` is the tp_new slot of `cls` (checked non-null), a `newfunc`; it is
    // JavaObject's, which takes any arguments and ignores them: it is called with `cls`, an
    // empty tuple and no keywords, as `cls()` would call it, and returns a new reference or NULL
    // with an exception set.
    let obj = unsafe {
        let new: ffi::newfunc = std::mem::transmute(new);
        let empty = PyTuple::empty(py);
        Bound::from_owned_ptr_or_err(
            py,
            new(cls.as_ptr().cast(), empty.as_ptr(), std::ptr::null_mut()),
        )?
    };
    let proxy = obj.cast::<JavaObject>()?;
    bind(proxy, PyString::new(py, id), owner.clone())?;
    Ok(Some(obj))
}

#[pymethods]
impl JavaObject {
    /// The object is bound to its id by `__init__`, so that subclasses may take other
    /// arguments and call `JavaObject.__init__(self, target_id, gateway_client)`.
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> JavaObject {
        JavaObject {
            ready: true,
            state: OnceLock::new(),
            members: OnceLock::new(),
        }
    }

    fn __init__(
        slf: &Bound<'_, Self>,
        target_id: Bound<'_, PyString>,
        gateway_client: Bound<'_, PyAny>,
    ) -> PyResult<()> {
        bind(slf, target_id, gateway_client)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if !self.ready {
            return Ok(());
        }
        if let Some(state) = self.state.get() {
            visit.call(&state.target_id)?;
            visit.call(&state.gateway_client)?;
            state.native.traverse(&visit)?;
        }
        if let Some(members) = self.members.get() {
            visit.call(members)?;
        }
        Ok(())
    }

    /// The id of the Java object.
    #[getter]
    fn _target_id(&self, py: Python<'_>) -> PyResult<Py<PyString>> {
        Ok(self.state()?.target_id.clone_ref(py))
    }

    /// The gateway client.
    #[getter]
    fn _gateway_client(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(self.state()?.gateway_client.clone_ref(py))
    }

    /// Whether attributes are looked up as fields first (`auto_field`).
    #[getter]
    fn _auto_field(&self) -> PyResult<bool> {
        Ok(self.state()?.auto_field)
    }

    /// The id of the Java object (what is sent when the object is an argument).
    fn _get_object_id(&self, py: Python<'_>) -> PyResult<Py<PyString>> {
        Ok(self.state()?.target_id.clone_ref(py))
    }

    /// Attribute lookup: a Java method looked up before comes first (a copy of the remembered
    /// member, bound to this object); then Python's attributes (`object.__getattribute__`).
    fn __getattribute__<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        if let Some(members) = slf.get().members.get() {
            if let Some(member) = members.bind(py).get_item(name)? {
                let member = member.cast_into::<JavaMember>()?;
                return Ok(Bound::new(py, JavaMember::bound(&member, slf.as_any()))?.into_any());
            }
        }
        // SAFETY: both pointers are valid, borrowed references for the duration of the call (the
        // GIL is held through `py`), which is what PyObject_GenericGetAttr requires; it returns a
        // new reference, or NULL with an exception set, which `from_owned_ptr_or_err` takes over.
        unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                ffi::PyObject_GenericGetAttr(slf.as_ptr(), name.as_ptr()),
            )
        }
    }

    /// A name that is no Python attribute: the Java method of that name (or, with
    /// `auto_field`, the field's value when the object has such a field). The member is
    /// remembered for the next lookups.
    fn __getattr__<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        if is_magic(name.to_str()?) {
            return Err(PyAttributeError::new_err(name.clone().unbind()));
        }
        let this = slf.get();
        let Some(state) = this.state.get() else {
            return Err(PyAttributeError::new_err(name.clone().unbind()));
        };
        if state.auto_field {
            let found = hooks(py)?.auto_field.bind(py).call1((slf, name))?;
            let (is_field, value): (bool, Bound<'py, PyAny>) = found.extract()?;
            if is_field {
                return Ok(value);
            }
        }
        let member = JavaMember::unbound(
            py,
            name,
            &state.target_id,
            &state.gateway_client,
            &state.native,
        )?;
        let member = Bound::new(py, member)?;
        let bound = JavaMember::bound(&member, slf.as_any());
        let members = this.members.get_or_init(|| PyDict::new(py).unbind());
        members.bind(py).set_item(name, member)?;
        Ok(Bound::new(py, bound)?.into_any())
    }

    /// Setting an attribute (a Python one: Java fields are set with `set_field`) hides a Java
    /// method of the same name, as in py4j.
    fn __setattr__(
        slf: &Bound<'_, Self>,
        name: &Bound<'_, PyString>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        forget(slf, name)?;
        // SAFETY: all three pointers are valid, borrowed references while the GIL is held;
        // PyObject_GenericSetAttr returns -1 with an exception set on failure.
        let status =
            unsafe { ffi::PyObject_GenericSetAttr(slf.as_ptr(), name.as_ptr(), value.as_ptr()) };
        if status < 0 {
            return Err(PyErr::fetch(slf.py()));
        }
        Ok(())
    }

    fn __delattr__(slf: &Bound<'_, Self>, name: &Bound<'_, PyString>) -> PyResult<()> {
        forget(slf, name)?;
        // SAFETY: both pointers are valid, borrowed references while the GIL is held; a NULL
        // value asks PyObject_GenericSetAttr to delete, and it returns -1 with an exception set
        // on failure.
        let status = unsafe {
            ffi::PyObject_GenericSetAttr(slf.as_ptr(), name.as_ptr(), std::ptr::null_mut())
        };
        if status < 0 {
            return Err(PyErr::fetch(slf.py()));
        }
        Ok(())
    }
}

/// Forgets the remembered Java method `name` (a Python attribute of that name is being set or
/// deleted).
fn forget(slf: &Bound<'_, JavaObject>, name: &Bound<'_, PyString>) -> PyResult<()> {
    if let Some(members) = slf.get().members.get() {
        let members = members.bind(slf.py());
        if members.contains(name)? {
            members.del_item(name)?;
        }
    }
    Ok(())
}

/// An attribute of `obj` found by the generic lookup (its dict, its class), else by `getattr`
/// (then the class's `__getattr__` runs, as it would for `obj.name`).
fn plain_attr<'py>(
    obj: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = obj.py();
    // SAFETY: both pointers are valid, borrowed references while the GIL is held;
    // PyObject_GenericGetAttr returns a new reference, or NULL with an exception set, which
    // `from_owned_ptr_or_err` takes over.
    let found = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyObject_GenericGetAttr(obj.as_ptr(), name.as_ptr()),
        )
    };
    match found {
        Ok(value) => Ok(value),
        Err(e) if e.is_instance_of::<PyAttributeError>(py) => obj.getattr(name),
        Err(e) => Err(e),
    }
}

/// `ferry._native.JavaClass`: the native base of `ferry.java_gateway.JavaClass`, whose call (a
/// constructor call) it makes natively. The class's name and gateway client are the Python
/// attributes `_fqn` and `_gateway_client` of the subclass, read at each call; with input
/// converters the call goes to the subclass's `_construct_converting(args)`.
#[pyclass(
    subclass,
    frozen,
    dict,
    weakref,
    module = "ferry._native",
    name = "JavaClass"
)]
pub(crate) struct JavaClass {}

#[pymethods]
impl JavaClass {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> JavaClass {
        JavaClass {}
    }

    /// Calls the public constructor that matches `args`.
    #[pyo3(signature = (*args))]
    fn __call__<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let client = plain_attr(slf.as_any(), intern!(py, "_gateway_client"))?;
        if client.getattr(intern!(py, "_converters"))?.is_truthy()? {
            return slf.call_method1(intern!(py, "_construct_converting"), (args,));
        }
        let fqn = plain_attr(slf.as_any(), intern!(py, "_fqn"))?;
        let native = client.getattr(intern!(py, "_native"))?;
        match (native.cast::<EmbeddedClient>(), fqn.cast::<PyString>()) {
            (Ok(embedded), Ok(name)) => embedded.get().construct(py, name, args, &client),
            _ => native.call_method1(intern!(py, "construct"), (fqn, args, &client)),
        }
    }
}
