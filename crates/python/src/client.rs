//! `ferry._native.Client`: the connection pool of one gateway, seen from Python.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ferry_client::{Client, ClientError, Config, Endpoint, Options, Response};
use ferry_protocol::Reply;
use ferry_protocol::text::{Side, encode_reply};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::decode::to_python;
use crate::encode::encode_args;
use crate::errors::to_pyerr;
use crate::handles::{Ref, StreamReader};
use crate::hooks;

/// A pool of connections to one gateway.
#[pyclass(frozen, weakref, module = "ferry._native", name = "Client")]
pub(crate) struct PyClient {
    inner: Client,
    /// The gateway client has input converters (`auto_convert`): member calls go through them.
    converters: AtomicBool,
}

fn seconds(name: &str, v: Option<f64>) -> PyResult<Option<Duration>> {
    match v {
        None => Ok(None),
        Some(s) if s.is_finite() && s >= 0.0 => Ok(Some(Duration::from_secs_f64(s))),
        Some(s) => Err(PyValueError::new_err(format!(
            "{name} must be a non-negative number of seconds, got {s}"
        ))),
    }
}

/// The answer text py4j would have returned for a reply that carries none of its own.
fn reply_text(reply: &Reply) -> String {
    let mut out = Vec::new();
    encode_reply(reply, Side::Java, &mut out);
    let text = String::from_utf8_lossy(&out);
    text.trim_start_matches('!')
        .trim_end_matches('\n')
        .to_owned()
}

impl PyClient {
    /// One request with the GIL released during the wait; the wait checks for signals.
    fn roundtrip(
        &self,
        py: Python<'_>,
        owner: Option<&Bound<'_, PyAny>>,
        request: &[u8],
        options: Options,
    ) -> PyResult<Response> {
        let mut interrupt: Option<PyErr> = None;
        let inner = &self.inner;
        let result = py.detach(|| {
            let mut check = || {
                Python::try_attach(|py| match py.check_signals() {
                    Ok(()) => false,
                    Err(e) => {
                        interrupt = Some(e);
                        true
                    }
                })
                // The interpreter is shutting down: stop waiting.
                .unwrap_or(true)
            };
            inner.request(request, options, &mut check)
        });
        result.map_err(|e| to_pyerr(py, e, owner, interrupt))
    }

    /// The Python value of a response, or the error the package's handler raises for it.
    fn value<'py>(
        py: Python<'py>,
        response: Response,
        owner: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        name: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match response.reply {
            Reply::Success(v) => to_python(py, v, owner),
            Reply::Empty => Ok(py.None().into_bound(py)),
            other => {
                let answer = response.raw.unwrap_or_else(|| reply_text(&other));
                hooks::get(py)?
                    .error_handler
                    .bind(py)
                    .call1((answer, owner, target, name))
            }
        }
    }

    /// Whether member calls go through the package's input converters.
    pub(crate) fn has_converters(&self) -> bool {
        self.converters.load(Ordering::Relaxed)
    }

    /// Sends an encoded call (or constructor) command and returns the Python value of its
    /// reply; an error reply raises through the package's handler with `target` and `name`.
    pub(crate) fn call_encoded<'py>(
        &self,
        py: Python<'py>,
        request: &[u8],
        owner: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        name: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let response = self.roundtrip(py, Some(owner), request, Options::default())?;
        Self::value(py, response, owner, target, name)
    }

    /// The Rust client (for the callback module).
    pub(crate) fn inner(&self) -> &Client {
        &self.inner
    }

    fn call_request(
        target: &str,
        method: &str,
        args: &Bound<'_, PyTuple>,
        owner: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<u8>> {
        let mut out = Vec::with_capacity(32 + target.len() + method.len() + args.len() * 8);
        out.extend_from_slice(b"c\n");
        out.extend_from_slice(target.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(method.as_bytes());
        out.push(b'\n');
        encode_args(args, Some(owner), &mut out)?;
        out.extend_from_slice(b"e\n");
        Ok(out)
    }
}

#[pymethods]
impl PyClient {
    #[new]
    // Python keyword arguments, each with a default.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (address, port, auth_token=None, read_timeout=None, memory_management=true, connect_timeout=None, release_delay=0.05, pinned_threads=false))]
    fn new(
        address: &Bound<'_, PyString>,
        port: u16,
        auth_token: Option<&Bound<'_, PyString>>,
        read_timeout: Option<f64>,
        memory_management: bool,
        connect_timeout: Option<f64>,
        release_delay: f64,
        pinned_threads: bool,
    ) -> PyResult<Self> {
        let mut config = Config::new(Endpoint::from_address(address.to_str()?, port));
        config.auth_token = match auth_token {
            Some(t) => Some(t.to_str()?.to_owned()),
            None => None,
        };
        config.read_timeout = seconds("read_timeout", read_timeout)?.filter(|t| !t.is_zero());
        config.connect_timeout = seconds("connect_timeout", connect_timeout)?;
        config.memory_management = memory_management;
        config.release_delay =
            seconds("release_delay", Some(release_delay))?.unwrap_or(config.release_delay);
        Ok(PyClient {
            inner: if pinned_threads {
                Client::pinned_threads(config)
            } else {
                Client::new(config)
            },
            converters: AtomicBool::new(false),
        })
    }

    /// Calls `method` on the object `target` (or a static method: `target` is `z:<class>`).
    pub(crate) fn call<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyString>,
        method: &Bound<'py, PyString>,
        args: &Bound<'py, PyTuple>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = Self::call_request(target.to_str()?, method.to_str()?, args, owner)?;
        let response = self.roundtrip(py, Some(owner), &request, Options::default())?;
        Self::value(py, response, owner, target.as_any(), method.as_any())
    }

    /// Like `call`, but an error answer is returned as `(False, answer)` instead of raised
    /// (the caller releases the Throwable of an `xr` answer). Success is `(True, value)`.
    fn call_checked<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyString>,
        method: &Bound<'py, PyString>,
        args: &Bound<'py, PyTuple>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<(bool, Bound<'py, PyAny>)> {
        let request = Self::call_request(target.to_str()?, method.to_str()?, args, owner)?;
        let response = self.roundtrip(py, Some(owner), &request, Options::default())?;
        match response.reply {
            Reply::Success(v) => Ok((true, to_python(py, v, owner)?)),
            Reply::Empty => Ok((true, py.None().into_bound(py))),
            other => {
                let answer = response.raw.unwrap_or_else(|| reply_text(&other));
                Ok((false, PyString::new(py, &answer).into_any()))
            }
        }
    }

    /// Calls `method` on `target` once per argument tuple of `calls`, pipelined in one write;
    /// the results are dropped. The first error answer is raised (after every reply was read).
    fn call_batch<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyString>,
        method: &Bound<'py, PyString>,
        calls: &Bound<'py, PyAny>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<usize> {
        let target_text = target.to_str()?;
        let method_text = method.to_str()?;
        let mut request = Vec::new();
        let mut count = 0;
        for args in calls.try_iter()? {
            let args = args?;
            let args = args.cast::<PyTuple>()?;
            request.extend_from_slice(&Self::call_request(target_text, method_text, args, owner)?);
            count += 1;
        }
        let mut interrupt: Option<PyErr> = None;
        let inner = &self.inner;
        let result = py.detach(|| {
            let mut check = || {
                Python::try_attach(|py| match py.check_signals() {
                    Ok(()) => false,
                    Err(e) => {
                        interrupt = Some(e);
                        true
                    }
                })
                .unwrap_or(true)
            };
            inner.request_many(&request, count, &mut check)
        });
        let responses = result.map_err(|e| to_pyerr(py, e, Some(owner), interrupt))?;
        for response in responses {
            if response.reply.is_error() {
                Self::value(py, response, owner, target.as_any(), method.as_any())?;
            }
        }
        Ok(count)
    }

    /// Calls the public constructor of `fqn` that matches `args`.
    fn construct<'py>(
        &self,
        py: Python<'py>,
        fqn: &Bound<'py, PyString>,
        args: &Bound<'py, PyTuple>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fqn_text = fqn.to_str()?;
        let mut request = Vec::with_capacity(16 + fqn_text.len() + args.len() * 8);
        request.extend_from_slice(b"i\n");
        request.extend_from_slice(fqn_text.as_bytes());
        request.push(b'\n');
        encode_args(args, Some(owner), &mut request)?;
        request.extend_from_slice(b"e\n");
        let response = self.roundtrip(py, Some(owner), &request, Options::default())?;
        Self::value(py, response, owner, py.None().bind(py), fqn.as_any())
    }

    /// Sends an encoded command and returns `(kind, value)`: kind `"y"` with the decoded value,
    /// `"o"` (no such member), `"m"` (static method), `"c"` (class, value: its name or None),
    /// `"p"` (package), or `"x"` with the answer text when `raise_errors` is false; with
    /// `raise_errors` an error answer raises through the package's handler.
    #[pyo3(signature = (command, owner, target_id=None, name=None, raise_errors=true))]
    fn request<'py>(
        &self,
        py: Python<'py>,
        command: &Bound<'py, PyString>,
        owner: &Bound<'py, PyAny>,
        target_id: Option<&Bound<'py, PyAny>>,
        name: Option<&Bound<'py, PyAny>>,
        raise_errors: bool,
    ) -> PyResult<(&'static str, Bound<'py, PyAny>)> {
        let command = command.to_str()?;
        let response = self.roundtrip(py, Some(owner), command.as_bytes(), Options::default())?;
        let none = || py.None().into_bound(py);
        Ok(match response.reply {
            Reply::Success(v) => ("y", to_python(py, v, owner)?),
            Reply::Empty => ("y", none()),
            Reply::NoMember => ("o", none()),
            Reply::StaticMethod => ("m", none()),
            Reply::Class(fqn) => (
                "c",
                fqn.map_or_else(none, |f| PyString::new(py, &f).into_any()),
            ),
            Reply::Package => ("p", none()),
            other => {
                let answer = response.raw.unwrap_or_else(|| reply_text(&other));
                if raise_errors {
                    let none = none();
                    let target = target_id.unwrap_or(&none);
                    let name = name.unwrap_or(&none);
                    (
                        "x",
                        hooks::get(py)?
                            .error_handler
                            .bind(py)
                            .call1((answer, owner, target, name))?,
                    )
                } else {
                    ("x", PyString::new(py, &answer).into_any())
                }
            }
        })
    }

    /// py4j's `send_command`: sends an encoded command and returns the answer line without its
    /// `!`.
    #[pyo3(signature = (command, retry=true, owner=None))]
    fn send_raw(
        &self,
        py: Python<'_>,
        command: &Bound<'_, PyString>,
        retry: bool,
        owner: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let command = command.to_str()?;
        let options = Options { raw: true, retry };
        let response = self.roundtrip(py, owner, command.as_bytes(), options)?;
        Ok(response.raw.unwrap_or_else(|| reply_text(&response.reply)))
    }

    /// Sends a stream command (`S`); returns the answer text and, on success, a reader of the
    /// raw bytes that follow (it owns the connection).
    #[pyo3(signature = (command, owner=None))]
    fn stream(
        &self,
        py: Python<'_>,
        command: &Bound<'_, PyString>,
        owner: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(String, Option<StreamReader>)> {
        let command = command.to_str()?;
        let mut interrupt: Option<PyErr> = None;
        let inner = &self.inner;
        let bytes = command.as_bytes();
        let result = py.detach(|| {
            let mut check = || {
                Python::try_attach(|py| match py.check_signals() {
                    Ok(()) => false,
                    Err(e) => {
                        interrupt = Some(e);
                        true
                    }
                })
                .unwrap_or(true)
            };
            inner.request_stream(bytes, &mut check)
        });
        let (response, reader) = result.map_err(|e| to_pyerr(py, e, owner, interrupt))?;
        let answer = response.raw.unwrap_or_else(|| reply_text(&response.reply));
        Ok((answer, reader.map(StreamReader::new)))
    }

    /// A handle on a Java id: the id is released when the last handle is garbage collected.
    fn retain(&self, id: &Bound<'_, PyString>) -> PyResult<Ref> {
        Ok(Ref::new(self.inner.retain(id.to_str()?)))
    }

    /// Releases an id now (it goes with the next command, or within the release delay).
    fn detach(&self, id: &Bound<'_, PyString>) -> PyResult<()> {
        self.inner.detach(id.to_str()?);
        Ok(())
    }

    /// Sends the queued releases and waits for their acknowledgements.
    #[pyo3(signature = (owner=None))]
    fn flush_releases(&self, py: Python<'_>, owner: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let inner = &self.inner;
        py.detach(|| inner.flush_releases())
            .map_err(|e| to_pyerr(py, e, owner, None))
    }

    /// Opens a connection if the pool has none (checks the gateway and the token).
    #[pyo3(signature = (owner=None))]
    fn ensure_connection(&self, py: Python<'_>, owner: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let inner = &self.inner;
        py.detach(|| inner.ensure_connection())
            .map_err(|e| to_pyerr(py, e, owner, None))
    }

    /// Sends the queued releases and closes the idle connections; later calls reconnect.
    fn close(&self, py: Python<'_>) {
        let inner = &self.inner;
        py.detach(|| inner.close());
    }

    /// Sends Py4J's shutdown command (the whole gateway stops) and closes every connection.
    #[pyo3(signature = (owner=None))]
    fn shutdown_gateway(&self, py: Python<'_>, owner: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let inner = &self.inner;
        match py.detach(|| inner.shutdown_server()) {
            Ok(()) => Ok(()),
            Err(e @ ClientError::NotConnected) => Err(to_pyerr(py, e, owner, None)),
            // The gateway is already gone: what shutting it down wanted.
            Err(e) if e.is_gateway_gone() => Ok(()),
            Err(e) => Err(to_pyerr(py, e, owner, None)),
        }
    }

    /// Whether the gateway client has input converters (its `converters` is not None): member
    /// calls then go through them.
    #[getter]
    fn get_has_converters(&self) -> bool {
        self.has_converters()
    }

    #[setter]
    fn set_has_converters(&self, value: bool) {
        self.converters.store(value, Ordering::Relaxed);
    }

    /// Whether connections may still be opened (false after `shutdown_gateway`). Setting it
    /// to False stops the client without telling the gateway (idle connections close, later
    /// requests fail, queued releases are dropped); True lets it connect again.
    #[getter]
    fn get_is_connected(&self) -> bool {
        self.inner.is_connected()
    }

    #[setter]
    fn set_is_connected(&self, connected: bool) {
        self.inner.set_connected(connected);
    }

    /// Forgets the parent's connections and references (call in a forked child).
    fn after_fork(&self) {
        self.inner.after_fork();
    }

    /// Set when `after_fork` is called in every forked child (the package registers it with
    /// `os.register_at_fork`): requests then skip the check of the process id, a system call.
    #[getter]
    fn get_forks_reported(&self) -> bool {
        self.inner.forks_reported()
    }

    #[setter]
    fn set_forks_reported(&self, reported: bool) {
        self.inner.set_forks_reported(reported);
    }

    /// The client's counters: commands, releases, round_trips, connections_opened,
    /// idle_connections, held_references, pending_releases.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.stats();
        let d = PyDict::new(py);
        d.set_item("commands", s.commands)?;
        d.set_item("releases", s.releases)?;
        d.set_item("round_trips", s.round_trips)?;
        d.set_item("connections_opened", s.connections_opened)?;
        d.set_item("idle_connections", s.idle_connections)?;
        d.set_item("held_references", s.held_references)?;
        d.set_item("pending_releases", s.pending_releases)?;
        Ok(d)
    }

    /// The counters of each open connection: a list of dicts (commands, releases, round_trips).
    fn connection_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for s in self.inner.connection_stats() {
            let d = PyDict::new(py);
            d.set_item("commands", s.commands)?;
            d.set_item("releases", s.releases)?;
            d.set_item("round_trips", s.round_trips)?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// The endpoint, as text (`host:port` or `unix:path`).
    #[getter]
    fn endpoint(&self) -> String {
        self.inner.config().endpoint.to_string()
    }
}
