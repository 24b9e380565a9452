//! Calls from Java to Python: the native half of `ferry._callbacks` and `ferry.clientserver`.
//!
//! - [`Dispatcher`] runs Java's commands: it finds the Python object of a call in the gateway's
//!   proxy pool, converts the arguments (as reply values), calls the method with the GIL held
//!   only for that, and encodes the return value or the error as py4j does; `g` drops an object
//!   from the pool.
//! - [`PyListener`] and [`PyConnection`] are the Python side's server socket and the connections
//!   Java opens to it; a connection is served in the calling Python thread with the GIL released
//!   between commands (default mode, or pinned mode with [`PyConnection::serve_pinned`]).
//! - Python proxies passed as arguments (`f<id>;<interfaces>`) are encoded through a hook of the
//!   package, which puts them in the pool.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use ferry_client::callback::{Connection, Listener};
use ferry_client::{CallbackHandler, Handled, ServeOptions};
use ferry_protocol::text::escape_into;
use ferry_protocol::{CallbackCommand, Value};
use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::client::PyClient;
use crate::decode::to_python;
use crate::encode::encode_arg;

/// What `ferry._callbacks` registers once.
struct CallbackHooks {
    /// `proxy_part(obj, gateway_client) -> str`: puts a Python proxy in the gateway's pool and
    /// returns its argument text (`fp0;java.lang.Runnable`).
    proxy_part: Py<PyAny>,
    /// `error_reply(exception, propagate, gateway_client) -> str`: logs a callback's exception
    /// and returns the payload of the error reply (`s<escaped traceback>`, or `r<id>` to rethrow
    /// a Java exception).
    error_reply: Py<PyAny>,
}

static HOOKS: PyOnceLock<CallbackHooks> = PyOnceLock::new();

/// Registers the package's callback hooks. Called once, when `ferry._callbacks` is imported.
#[pyfunction]
pub(crate) fn install_callbacks(
    py: Python<'_>,
    proxy_part: Bound<'_, PyAny>,
    error_reply: Bound<'_, PyAny>,
) -> PyResult<()> {
    HOOKS
        .set(
            py,
            CallbackHooks {
                proxy_part: proxy_part.unbind(),
                error_reply: error_reply.unbind(),
            },
        )
        .map_err(|_| PyRuntimeError::new_err("ferry._native.install_callbacks was already called"))
}

fn hooks(py: Python<'_>) -> PyResult<&CallbackHooks> {
    HOOKS.get(py).ok_or_else(|| {
        PyRuntimeError::new_err("ferry._callbacks is not imported: Python proxies cannot be sent")
    })
}

/// Appends the argument line of a Python proxy (an object implementing Java interfaces): the
/// object goes into the pool of `owner` (the gateway client).
pub(crate) fn encode_proxy(
    obj: &Bound<'_, PyAny>,
    owner: Option<&Bound<'_, PyAny>>,
    out: &mut Vec<u8>,
) -> PyResult<()> {
    let py = obj.py();
    let none = py.None().into_bound(py);
    let part = hooks(py)?
        .proxy_part
        .bind(py)
        .call1((obj, owner.unwrap_or(&none)))?;
    out.extend_from_slice(part.cast::<PyString>()?.to_str()?.as_bytes());
    out.push(b'\n');
    Ok(())
}

fn seconds(name: &str, v: Option<f64>) -> PyResult<Option<Duration>> {
    match v {
        None => Ok(None),
        Some(s) if s.is_finite() && s > 0.0 => Ok(Some(Duration::from_secs_f64(s))),
        Some(0.0) => Ok(None),
        Some(s) => Err(PyValueError::new_err(format!(
            "{name} must be a non-negative number of seconds, got {s}"
        ))),
    }
}

// --------------------------------------------------------------------------- running Java's calls

/// Runs Java's commands with the GIL: the Python half of a callback.
pub(crate) struct PyHandler {
    /// A weak reference to the gateway client (the owner of converted Java objects).
    client: Py<PyAny>,
    /// A weak reference to the proxy pool, or None: the client's `gateway_property.pool`.
    pool: Option<Py<PyAny>>,
    /// py4j's `propagate_java_exceptions`.
    propagate: bool,
}

impl PyHandler {
    /// The gateway client, unless it was garbage collected.
    pub(crate) fn client<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.client.bind(py).call0().ok().filter(|c| !c.is_none())
    }

    fn pool<'py>(
        &self,
        py: Python<'py>,
        client: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match &self.pool {
            Some(weak) => {
                let pool = weak.bind(py).call0()?;
                if pool.is_none() {
                    return Err(PyRuntimeError::new_err(
                        "the proxy pool was garbage collected",
                    ));
                }
                Ok(pool)
            }
            None => client
                .getattr(pyo3::intern!(py, "gateway_property"))?
                .getattr(pyo3::intern!(py, "pool")),
        }
    }

    /// Runs one of Java's commands and appends the text reply (`!y...`) to `out`.
    pub(crate) fn run(&self, py: Python<'_>, command: CallbackCommand, out: &mut Vec<u8>) {
        match command {
            CallbackCommand::Call {
                target,
                method,
                args,
            } => self.call(py, &target, &method, args, out),
            CallbackCommand::GarbageCollect { target } => {
                self.release(py, &target);
                out.extend_from_slice(b"!y\n");
            }
            CallbackCommand::Auth { .. } => {
                out.extend_from_slice(ferry_client::callback::ERROR_REPLY)
            }
        }
    }

    fn call(
        &self,
        py: Python<'_>,
        target: &str,
        method: &str,
        args: Vec<Value>,
        out: &mut Vec<u8>,
    ) {
        let Some(client) = self.client(py) else {
            error_text(
                out,
                "the Python gateway that owned this object was garbage collected",
            );
            return;
        };
        let obj = match self
            .pool(py, &client)
            .and_then(|pool| lookup(&pool, target))
        {
            Ok(Some(obj)) => obj,
            Ok(None) => {
                error_text(out, "Object ID unknown");
                return;
            }
            Err(e) => return self.error_reply(py, e, &client, out),
        };
        let outcome = (|| -> PyResult<()> {
            let mut items = Vec::with_capacity(args.len());
            for v in args {
                items.push(to_python(py, v, &client)?);
            }
            let args = PyTuple::new(py, items)?;
            let result = obj.getattr(PyString::intern(py, method))?.call1(args)?;
            let start = out.len();
            out.extend_from_slice(b"!y");
            if let Err(e) = encode_arg(&result, Some(&client), out) {
                out.truncate(start);
                return Err(e);
            }
            Ok(())
        })();
        if let Err(e) = outcome {
            self.error_reply(py, e, &client, out);
        }
    }

    /// Drops the object of `target` from the pool (Java no longer references it).
    pub(crate) fn release(&self, py: Python<'_>, target: &str) {
        if target == ferry_protocol::ENTRY_POINT_ID {
            return;
        }
        let Some(client) = self.client(py) else {
            return;
        };
        if let Ok(pool) = self.pool(py, &client) {
            // An id the pool no longer holds (the pool was cleared) needs nothing.
            let _ = pool.del_item(target);
        }
    }

    fn error_reply(
        &self,
        py: Python<'_>,
        error: PyErr,
        client: &Bound<'_, PyAny>,
        out: &mut Vec<u8>,
    ) {
        let fallback = error.to_string();
        // `into_value` attaches the traceback to the exception, for the hook to format.
        let value = error.into_value(py);
        let text = hooks(py).and_then(|h| {
            h.error_reply
                .bind(py)
                .call1((value, self.propagate, client))?
                .extract::<String>()
        });
        match text {
            Ok(payload) => {
                out.extend_from_slice(b"!x");
                out.extend_from_slice(payload.as_bytes());
                out.push(b'\n');
            }
            Err(_) => error_text(out, &fallback),
        }
    }
}

/// `!xs<escaped text>`.
fn error_text(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(b"!xs");
    escape_into(text, out);
    out.push(b'\n');
}

/// The object of `target` in the pool, or None.
fn lookup<'py>(pool: &Bound<'py, PyAny>, target: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = pool.py();
    // The pool's own dictionary when it is py4j's pool class (one dictionary lookup, atomic
    // with the GIL); anything else through its mapping methods.
    if let Ok(dict) = pool.getattr(pyo3::intern!(py, "dict")) {
        if let Ok(dict) = dict.cast::<PyDict>() {
            return dict.get_item(target);
        }
    }
    match pool.get_item(target) {
        Ok(obj) => Ok(Some(obj)),
        Err(e) if e.is_instance_of::<PyKeyError>(py) => Ok(None),
        Err(e) => Err(e),
    }
}

impl CallbackHandler for PyHandler {
    fn handle(&self, command: CallbackCommand, out: &mut Vec<u8>) -> Handled {
        let start = out.len();
        let ran = catch_unwind(AssertUnwindSafe(|| {
            Python::try_attach(|py| self.run(py, command, out))
        }));
        match ran {
            Ok(Some(())) => Handled::Continue,
            Ok(None) => {
                // The interpreter is shutting down: no more Python code runs.
                out.truncate(start);
                error_text(out, "the Python interpreter is shutting down");
                Handled::Close
            }
            Err(_) => {
                out.truncate(start);
                error_text(
                    out,
                    "ferry: internal error while running a call from Java (a bug: please report it)",
                );
                Handled::Continue
            }
        }
    }
}

/// Runs Java's calls on the objects of a gateway's proxy pool.
///
/// `Dispatcher(client_ref, pool_ref=None, propagate_java_exceptions=False)`: weak references to
/// the gateway client and (optionally) to the pool; without a pool, the client's
/// `gateway_property.pool` is used.
#[pyclass(frozen, module = "ferry._native", name = "CallbackDispatcher")]
pub(crate) struct Dispatcher {
    handler: Arc<PyHandler>,
}

#[pymethods]
impl Dispatcher {
    #[new]
    #[pyo3(signature = (client_ref, pool_ref=None, propagate_java_exceptions=false))]
    fn new(
        client_ref: Bound<'_, PyAny>,
        pool_ref: Option<Bound<'_, PyAny>>,
        propagate_java_exceptions: bool,
    ) -> Dispatcher {
        Dispatcher {
            handler: Arc::new(PyHandler {
                client: client_ref.unbind(),
                pool: pool_ref.filter(|p| !p.is_none()).map(Bound::unbind),
                propagate: propagate_java_exceptions,
            }),
        }
    }

    /// Whether a Py4JJavaError raised by a callback rethrows the Java exception.
    #[getter]
    fn propagate_java_exceptions(&self) -> bool {
        self.handler.propagate
    }
}

impl Dispatcher {
    /// The handler, for the embedded mode (which runs Java's calls without a socket).
    pub(crate) fn handler(&self) -> Arc<PyHandler> {
        self.handler.clone()
    }
}

// --------------------------------------------------------------------------- sockets

/// The listening socket of a Python server (callback server or pinned-mode Python server).
#[pyclass(frozen, module = "ferry._native", name = "CallbackListener")]
pub(crate) struct PyListener {
    inner: Arc<Listener>,
}

#[pymethods]
impl PyListener {
    /// Binds `address:port` (0: a free port). Raises OSError when the port cannot be bound.
    #[new]
    fn new(py: Python<'_>, address: &str, port: u16) -> PyResult<PyListener> {
        let listener = py.detach(|| Listener::bind(address, port))?;
        Ok(PyListener {
            inner: Arc::new(listener),
        })
    }

    /// The address it listens on.
    #[getter]
    fn address(&self) -> String {
        self.inner.local_addr().ip().to_string()
    }

    /// The port it listens on (the real one when 0 was asked for).
    #[getter]
    fn port(&self) -> u16 {
        self.inner.local_addr().port()
    }

    /// Whether it was closed.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Waits for a connection from Java, at most `timeout` seconds (None: until one comes or
    /// the listener is closed); None when none came.
    #[pyo3(signature = (timeout=None))]
    fn accept(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<PyConnection>> {
        let timeout = seconds("timeout", timeout)?;
        let inner = &self.inner;
        let accepted = py.detach(|| inner.accept(timeout))?;
        match accepted {
            Some((stream, peer)) => Ok(Some(PyConnection {
                inner: Arc::new(Connection::new(stream, peer)?),
            })),
            None => Ok(None),
        }
    }

    /// Stops listening; a thread waiting in `accept` returns None at once.
    fn close(&self) {
        self.inner.close();
    }
}

/// A connection Java opened to a Python server.
#[pyclass(frozen, module = "ferry._native", name = "CallbackConnection")]
pub(crate) struct PyConnection {
    inner: Arc<Connection>,
}

fn serve_options(auth_token: Option<String>, read_timeout: Option<f64>) -> PyResult<ServeOptions> {
    Ok(ServeOptions {
        auth_token: auth_token.filter(|t| !t.is_empty()),
        read_timeout: seconds("read_timeout", read_timeout)?,
    })
}

#[pymethods]
impl PyConnection {
    /// Runs Java's commands with `dispatcher` until the connection ends (default mode); returns
    /// `(kind, description)` of the end: kind is `closed`, `timeout` or `auth` (then the
    /// connection was reset), `protocol`, `io` or `handler`.
    #[pyo3(signature = (dispatcher, auth_token=None, read_timeout=None))]
    fn serve(
        &self,
        py: Python<'_>,
        dispatcher: &Bound<'_, Dispatcher>,
        auth_token: Option<String>,
        read_timeout: Option<f64>,
    ) -> PyResult<(&'static str, String)> {
        let options = serve_options(auth_token, read_timeout)?;
        let handler = dispatcher.get().handler.clone();
        let inner = &self.inner;
        let end = py.detach(|| inner.serve(&options, &*handler));
        Ok((end.kind(), end.describe()))
    }

    /// Serves the connection in the pinned-thread mode of `client`: Java's commands run with the
    /// client's handler, and this thread's calls to Java meanwhile travel over this connection.
    #[pyo3(signature = (client, auth_token=None, read_timeout=None))]
    fn serve_pinned(
        &self,
        py: Python<'_>,
        client: &Bound<'_, PyClient>,
        auth_token: Option<String>,
        read_timeout: Option<f64>,
    ) -> PyResult<(&'static str, String)> {
        let options = serve_options(auth_token, read_timeout)?;
        let Some(pinned) = client.get().inner().pinned().cloned() else {
            return Err(PyValueError::new_err(
                "serve_pinned needs a client made with pinned_threads=True",
            ));
        };
        let inner = &self.inner;
        let end = py.detach(|| pinned.serve(inner, &options));
        Ok((end.kind(), end.describe()))
    }

    /// Closes the connection (with a reset when asked); the thread serving it returns.
    #[pyo3(signature = (reset=false))]
    fn close(&self, reset: bool) {
        self.inner.close(reset);
    }

    /// Whether `close` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Java's address and port.
    #[getter]
    fn peer(&self) -> (String, u16) {
        let p = self.inner.peer();
        (p.ip().to_string(), p.port())
    }
}

// --------------------------------------------------------------------------- pinned mode

fn pinned_of(client: &Bound<'_, PyClient>) -> PyResult<Arc<ferry_client::Pinned>> {
    client.get().inner().pinned().cloned().ok_or_else(|| {
        PyValueError::new_err("the client is not in the pinned-thread mode (pinned_threads=True)")
    })
}

/// Sets what runs Java's calls that arrive on the threads' connections of a pinned-mode client.
#[pyfunction]
pub(crate) fn pinned_set_handler(
    client: &Bound<'_, PyClient>,
    dispatcher: &Bound<'_, Dispatcher>,
) -> PyResult<()> {
    pinned_of(client)?.set_handler(dispatcher.get().handler.clone());
    Ok(())
}

/// Counters of a pinned-mode client: opened, served, open, commands, callbacks, releases; and whether
/// the calling thread has a connection now (`thread_connection`).
#[pyfunction]
pub(crate) fn pinned_stats<'py>(
    py: Python<'py>,
    client: &Bound<'py, PyClient>,
) -> PyResult<Bound<'py, PyDict>> {
    let pinned = pinned_of(client)?;
    let s = pinned.stats();
    let d = PyDict::new(py);
    d.set_item("opened", s.opened)?;
    d.set_item("served", s.served)?;
    d.set_item("open", s.open)?;
    d.set_item("commands", s.commands)?;
    d.set_item("callbacks", s.callbacks)?;
    d.set_item("releases", s.releases)?;
    d.set_item("thread_connection", pinned.has_thread_connection())?;
    Ok(d)
}
