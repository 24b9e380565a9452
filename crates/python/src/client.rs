//! `ferry._native.Client`: the connection pool of one gateway, seen from Python.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ferry_client::wire::{self, op};
use ferry_client::{
    Client, ClientError, Config, Endpoint, Hole, Lease, Options, Placer, Protocol, ProtocolChoice,
    ReplyFrame, Response,
};
use ferry_protocol::binary::FrameKind;
use ferry_protocol::text::{Side, encode_reply};
use ferry_protocol::{Reply, Value};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::bulk::{self, BytesPlacer, Enc, NumpyPlacer};
use crate::decode::to_python;
use crate::encode::encode_args;
use crate::errors::to_pyerr;
use crate::handles::{Ref, StreamReader};
use crate::hooks;

/// A reply in either protocol.
pub(crate) enum Answer {
    /// v1: the decoded reply line.
    Text(Response),
    /// v2: the reply frame, its value not decoded yet.
    Frame(ReplyFrame),
}

/// How a v2 success value becomes a Python object.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// As py4j would give it (lists for typed lists and arrays).
    Python,
    /// A numpy array for a primitive array or a typed list.
    Numpy,
}

/// The frame prefix of a call (header, target, method), for [`PyClient::call_frames`].
pub(crate) fn call_prefix(target_id: &str, method: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + target_id.len() + method.len());
    wire::begin_frame(&mut out, FrameKind::Request, op::CALL);
    match target_id.strip_prefix("z:") {
        Some(class) => {
            out.push(1);
            wire::put_str(&mut out, class);
        }
        None => {
            out.push(0);
            wire::put_str(&mut out, target_id);
        }
    }
    wire::put_str(&mut out, method);
    out
}

/// The frame prefix of a constructor call.
fn construct_prefix(class: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(20 + class.len());
    wire::begin_frame(&mut out, FrameKind::Request, op::CONSTRUCT);
    wire::put_str(&mut out, class);
    out
}

/// Appends one frame: `prefix`, the argument count, the arguments.
fn push_call_frame(
    prefix: &[u8],
    args: &Bound<'_, PyTuple>,
    enc: &mut Enc<'_, '_>,
    out: &mut Vec<u8>,
) -> PyResult<()> {
    let at = out.len();
    let borrowed = enc.borrowed_len();
    out.extend_from_slice(prefix);
    enc.body_start = wire::body_start(at);
    let argc = u16::try_from(args.len())
        .map_err(|_| PyValueError::new_err("a call takes at most 65535 arguments"))?;
    wire::put_u16(out, argc);
    for a in args.iter() {
        bulk::arg(&a, enc, out)?;
    }
    wire::finish_frame_with(out, at, enc.borrowed_len() - borrowed);
    Ok(())
}

thread_local! {
    /// The buffer of this thread's last call frame, for the next one (taken while a call is
    /// being made: a call made from a callback inside it gets a buffer of its own).
    static REQUEST: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The largest request buffer a thread keeps.
const REQUEST_KEPT: usize = 64 * 1024;

/// This thread's request buffer, empty (a new one while a call of this thread holds it).
fn request_buffer() -> Vec<u8> {
    let mut v = REQUEST.take();
    v.clear();
    v
}

/// Gives a buffer from [`request_buffer`] back for the thread's next call.
fn keep_request_buffer(v: Vec<u8>) {
    if v.capacity() <= REQUEST_KEPT {
        REQUEST.set(v);
    }
}

/// Reply bodies at least this large are shared with the values decoded from them.
const SHARED_REPLY_MIN: usize = 64 * 1024;

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
pub(crate) fn reply_text(reply: &Reply) -> String {
    let mut out = Vec::new();
    encode_reply(reply, Side::Java, &mut out);
    let text = String::from_utf8_lossy(&out);
    text.trim_start_matches('!')
        .trim_end_matches('\n')
        .to_owned()
}

/// `request`'s `(kind, value)` for a reply (both clients): `raw` is the answer text as read,
/// when the transport has one.
pub(crate) fn request_answer<'py>(
    py: Python<'py>,
    reply: Reply,
    raw: Option<String>,
    owner: &Bound<'py, PyAny>,
    target_id: Option<&Bound<'py, PyAny>>,
    name: Option<&Bound<'py, PyAny>>,
    raise_errors: bool,
) -> PyResult<(&'static str, Bound<'py, PyAny>)> {
    let none = || py.None().into_bound(py);
    Ok(match reply {
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
            let answer = raw.unwrap_or_else(|| reply_text(&other));
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

    /// Runs a wait with the GIL released; the wait checks for signals (Ctrl-C).
    pub(crate) fn detached<T: Send>(
        py: Python<'_>,
        owner: Option<&Bound<'_, PyAny>>,
        f: impl FnOnce(&mut dyn FnMut() -> bool) -> Result<T, ClientError> + Send,
    ) -> PyResult<T> {
        let mut interrupt: Option<PyErr> = None;
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
            f(&mut check)
        });
        result.map_err(|e| to_pyerr(py, e, owner, interrupt))
    }

    /// A pooled connection (None in the pinned-thread mode, whose calls use the thread's own
    /// connection, in v1). An idle one is taken without releasing the GIL; opening one waits
    /// with the GIL released.
    fn lease(&self, py: Python<'_>, owner: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Lease>> {
        if self.inner.pinned().is_some() {
            return Ok(None);
        }
        if let Some(l) = self.inner.lease_idle() {
            return Ok(Some(l));
        }
        let inner = &self.inner;
        Self::detached(py, owner, |_| inner.lease()).map(Some)
    }

    /// The protocol member calls use (negotiated now if not known yet).
    pub(crate) fn call_protocol(
        &self,
        py: Python<'_>,
        owner: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Protocol> {
        if self.inner.pinned().is_some() {
            return Ok(Protocol::V1);
        }
        if let Some(p) = self.inner.protocol() {
            return Ok(p);
        }
        let inner = &self.inner;
        Self::detached(py, owner, |_| inner.negotiate())
    }

    /// Sends frames on a leased v2 connection and returns the replies.
    fn send_frames(
        py: Python<'_>,
        owner: Option<&Bound<'_, PyAny>>,
        lease: &mut Lease,
        frames: &mut [u8],
        count: usize,
        placer: Option<&mut (dyn Placer + Send)>,
    ) -> PyResult<Vec<ReplyFrame>> {
        Self::send_frames_with(py, owner, lease, frames, &[], count, placer)
    }

    /// [`PyClient::send_frames`] with bytes written from where they are (`holes`).
    fn send_frames_with(
        py: Python<'_>,
        owner: Option<&Bound<'_, PyAny>>,
        lease: &mut Lease,
        frames: &mut [u8],
        holes: &[Hole<'_>],
        count: usize,
        placer: Option<&mut (dyn Placer + Send)>,
    ) -> PyResult<Vec<ReplyFrame>> {
        let mut out = Vec::with_capacity(count);
        Self::detached(py, owner, |check| {
            let placer: Option<&mut dyn Placer> = match placer {
                Some(p) => Some(p),
                None => None,
            };
            lease
                .request_frames_with(
                    frames,
                    holes,
                    count,
                    Options::default(),
                    check,
                    placer,
                    &mut |f| out.push(f),
                )
                .map(|()| out)
        })
    }

    /// Sends text commands on a leased v1 connection and returns the replies.
    fn send_text(
        py: Python<'_>,
        owner: Option<&Bound<'_, PyAny>>,
        lease: &mut Lease,
        commands: &[u8],
        count: usize,
    ) -> PyResult<Vec<Response>> {
        let mut out = Vec::with_capacity(count);
        Self::detached(py, owner, |check| {
            lease
                .request_text(commands, count, Options::default(), check, &mut |r| {
                    out.push(r)
                })
                .map(|()| out)
        })
    }

    /// The Python value of an answer, or the error the package's handler raises for it.
    pub(crate) fn answer_value<'py>(
        py: Python<'py>,
        answer: Answer,
        owner: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        name: &Bound<'py, PyAny>,
        want: Want,
    ) -> PyResult<Bound<'py, PyAny>> {
        match answer {
            Answer::Text(r) => Self::value(py, r, owner, target, name),
            Answer::Frame(f) => match frame_success(py, f, owner, want)? {
                Ok(v) => Ok(v),
                Err(reply) => {
                    let text = reply_text(&reply);
                    hooks::get(py)?
                        .error_handler
                        .bind(py)
                        .call1((text, owner, target, name))
                }
            },
        }
    }

    /// Calls a method (`target_id` an object id, or `z:<class>`): v1 text from `header` (the
    /// command's first lines) or a v2 frame from `prefix` (see [`call_prefix`]).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn call_member<'py>(
        &self,
        py: Python<'py>,
        header: &[u8],
        prefix: &[u8],
        args: &Bound<'py, PyTuple>,
        owner: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        name: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let answer = self.one_call(py, header, prefix, args, owner, Some(&mut BytesPlacer))?;
        Self::answer_value(py, answer, owner, target, name, Want::Python)
    }

    /// One call or constructor request in whichever protocol the connection speaks.
    fn one_call(
        &self,
        py: Python<'_>,
        header: &[u8],
        prefix: &[u8],
        args: &Bound<'_, PyTuple>,
        owner: &Bound<'_, PyAny>,
        placer: Option<&mut (dyn Placer + Send)>,
    ) -> PyResult<Answer> {
        if self.inner.is_multiplexed() && self.call_protocol(py, Some(owner))? == Protocol::V2 {
            let mut frames = request_buffer();
            let mut enc = Enc::new(Some(owner), 0);
            push_call_frame(prefix, args, &mut enc, &mut frames)?;
            let inner = &self.inner;
            // The leader reads every reply of its write: a large byte[] reply lands in a bytes
            // object whichever thread asked (BytesPlacer holds no state of its caller).
            let combined = Self::detached(py, Some(owner), |check| {
                inner
                    .request_combined(&frames, check, Some(&mut BytesPlacer))
                    .transpose()
            })?;
            drop(enc);
            keep_request_buffer(frames);
            if let Some(f) = combined {
                return Ok(Answer::Frame(f));
            }
        }
        self.one_call_leased(py, header, prefix, args, owner, placer)
    }

    /// [`PyClient::one_call`] on a leased connection.
    fn one_call_leased(
        &self,
        py: Python<'_>,
        header: &[u8],
        prefix: &[u8],
        args: &Bound<'_, PyTuple>,
        owner: &Bound<'_, PyAny>,
        placer: Option<&mut (dyn Placer + Send)>,
    ) -> PyResult<Answer> {
        let Some(mut lease) = self.lease(py, Some(owner))? else {
            let mut request = Vec::with_capacity(header.len() + 2 + args.len() * 16);
            request.extend_from_slice(header);
            encode_args(args, Some(owner), &mut request)?;
            request.extend_from_slice(b"e\n");
            return self
                .roundtrip(py, Some(owner), &request, Options::default())
                .map(Answer::Text);
        };
        match lease.protocol() {
            Protocol::V1 => {
                let mut request = Vec::with_capacity(header.len() + 2 + args.len() * 16);
                request.extend_from_slice(header);
                encode_args(args, Some(owner), &mut request)?;
                request.extend_from_slice(b"e\n");
                let mut r = Self::send_text(py, Some(owner), &mut lease, &request, 1)?;
                r.pop().map(Answer::Text).ok_or_else(|| no_reply(py))
            }
            Protocol::V2 => {
                // This thread's request buffer: a call allocates nothing for its frame.
                let mut frames = request_buffer();
                let mut enc = Enc::new(Some(owner), 0);
                // Large bytes and numpy arrays are written from where they are (writev).
                enc.holes_ok = true;
                push_call_frame(prefix, args, &mut enc, &mut frames)?;
                // SAFETY: `enc` (which keeps the holes' memory alive and unresized) outlives
                // `holes`, dropped before it below.
                let holes = unsafe { enc.holes() };
                let mut reply = None;
                let sent = Self::detached(py, Some(owner), |check| {
                    let placer: Option<&mut dyn Placer> = match placer {
                        Some(p) => Some(p),
                        None => None,
                    };
                    lease.request_frames_with(
                        &mut frames,
                        &holes,
                        1,
                        Options::default(),
                        check,
                        placer,
                        &mut |f| reply = Some(f),
                    )
                });
                drop(holes);
                drop(enc);
                keep_request_buffer(frames);
                sent?;
                reply.map(Answer::Frame).ok_or_else(|| no_reply(py))
            }
        }
    }

    /// A v2-only request of one frame (`ToPython`, `Iterate`, `ToJava`): its answer.
    fn v2_request(
        &self,
        py: Python<'_>,
        owner: &Bound<'_, PyAny>,
        what: &str,
        encode: impl FnOnce(&mut Vec<u8>, &mut Enc<'_, '_>) -> PyResult<()>,
        placer: Option<&mut (dyn Placer + Send)>,
    ) -> PyResult<ReplyFrame> {
        let lease = self.lease(py, Some(owner))?;
        let mut lease = match lease {
            Some(l) if l.protocol() == Protocol::V2 => l,
            _ => {
                return Err(hooks::get(py)?.py4j_error(
                    py,
                    format!(
                        "{what} needs a ferry gateway (protocol v2); this gateway speaks Py4J's \
                         protocol (v1){}",
                        if self.inner.pinned().is_some() {
                            ", as the pinned-thread mode always does"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        };
        let mut frames = Vec::with_capacity(64);
        let mut enc = Enc::new(Some(owner), wire::body_start(0));
        encode(&mut frames, &mut enc)?;
        let mut r = Self::send_frames(py, Some(owner), &mut lease, &mut frames, 1, placer)?;
        drop(enc);
        r.pop().ok_or_else(|| no_reply(py))
    }

    /// The value of a v2-only request's reply; an error raises through the package's handler.
    fn v2_value<'py>(
        &self,
        py: Python<'py>,
        f: ReplyFrame,
        owner: &Bound<'py, PyAny>,
        name: &str,
        want: Want,
    ) -> PyResult<Bound<'py, PyAny>> {
        match frame_success(py, f, owner, want)? {
            Ok(v) => Ok(v),
            Err(reply) => hooks::get(py)?.error_handler.bind(py).call1((
                reply_text(&reply),
                owner,
                py.None(),
                PyString::new(py, name),
            )),
        }
    }

    /// Whether member calls go through the package's input converters.
    pub(crate) fn has_converters(&self) -> bool {
        self.converters.load(Ordering::Relaxed)
    }

    /// The Rust client (for the callback module).
    pub(crate) fn inner(&self) -> &Client {
        &self.inner
    }

    fn call_header(target: &str, method: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + target.len() + method.len());
        out.extend_from_slice(b"c\n");
        out.extend_from_slice(target.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(method.as_bytes());
        out.push(b'\n');
        out
    }

    /// Calls `method` on `target` once per argument tuple, pipelined (v1: in one write; v2: in
    /// frames written together), and returns every answer in order.
    fn pipelined(
        &self,
        py: Python<'_>,
        target: &str,
        method: &str,
        calls: &Bound<'_, PyAny>,
        owner: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Answer>> {
        let calls: Vec<Bound<'_, PyTuple>> = calls
            .try_iter()?
            .map(|a| a.and_then(|a| Ok(a.cast_into::<PyTuple>()?)))
            .collect::<PyResult<_>>()?;
        let calls: Vec<(&str, &str, Bound<'_, PyTuple>)> =
            calls.into_iter().map(|a| (target, method, a)).collect();
        // Nothing is left out (an encoding error is raised before anything is sent).
        self.pipelined_calls(py, &calls, owner, false)?
            .into_iter()
            .collect()
    }

    /// Makes each call (target id, method, arguments) of `calls`, pipelined, and returns every
    /// answer in order. The calls run in order, on the Java thread of one connection. A call
    /// whose arguments cannot be encoded fails the whole request (nothing is sent), unless
    /// `skip_bad`: then that call alone is left out and its error takes its place. Fewer
    /// outcomes than calls: a fatal reply closed the connection before the last were answered.
    fn pipelined_calls(
        &self,
        py: Python<'_>,
        calls: &[(&str, &str, Bound<'_, PyTuple>)],
        owner: &Bound<'_, PyAny>,
        skip_bad: bool,
    ) -> PyResult<Vec<PyResult<Answer>>> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        let mut lease = self.lease(py, Some(owner))?;
        let v2 = lease.as_ref().is_some_and(|l| l.protocol() == Protocol::V2);
        // Encoded first, all of them: the calls left out (their index and error) are known
        // before anything is sent. `enc` keeps what the encoding made alive until the reply.
        let mut bad: Vec<(usize, PyErr)> = Vec::new();
        let mut request = Vec::with_capacity(calls.len() * 64);
        let mut enc = Enc::new(Some(owner), 0);
        let mut last: Option<(&str, &str, Vec<u8>)> = None;
        for (k, (target, method, args)) in calls.iter().enumerate() {
            let at = request.len();
            let encoded = if v2 {
                // Calls of one method in a row share its frame prefix.
                let prefix = match &last {
                    Some((t, m, p)) if t == target && m == method => p,
                    _ => &last.insert((target, method, call_prefix(target, method))).2,
                };
                push_call_frame(prefix, args, &mut enc, &mut request)
            } else {
                request.extend_from_slice(&Self::call_header(target, method));
                encode_args(args, Some(owner), &mut request)
                    .map(|()| request.extend_from_slice(b"e\n"))
            };
            if let Err(e) = encoded {
                if !skip_bad {
                    return Err(e);
                }
                request.truncate(at);
                bad.push((k, e));
            }
        }
        let n = calls.len() - bad.len();
        let sent: Vec<Answer> = match &mut lease {
            _ if n == 0 => Vec::new(),
            Some(lease) if v2 => Self::send_frames(py, Some(owner), lease, &mut request, n, None)?
                .into_iter()
                .map(Answer::Frame)
                .collect(),
            Some(lease) => Self::send_text(py, Some(owner), lease, &request, n)?
                .into_iter()
                .map(Answer::Text)
                .collect(),
            None => {
                let inner = &self.inner;
                Self::detached(py, Some(owner), |check| {
                    inner.request_many(&request, n, check)
                })?
                .into_iter()
                .map(Answer::Text)
                .collect()
            }
        };
        drop(enc);
        // The outcomes in the calls' order: the answers of the calls sent, the errors of the
        // others.
        let mut bad = bad.into_iter().peekable();
        let mut sent = sent.into_iter();
        let mut out = Vec::with_capacity(calls.len());
        for k in 0..calls.len() {
            if bad.peek().is_some_and(|(at, _)| *at == k) {
                out.push(Err(bad.next().map(|(_, e)| e).expect("peeked")));
            } else if let Some(a) = sent.next() {
                out.push(Ok(a));
            } else {
                break;
            }
        }
        Ok(out)
    }
}

/// One call of `ferry.batch`: target id, method name, arguments.
pub(crate) type MixedCall<'py> = (
    Bound<'py, PyString>,
    Bound<'py, PyString>,
    Bound<'py, PyTuple>,
);

/// The calls of a `call_mixed` (an iterable of `(target id, method, argument tuple)`).
pub(crate) fn mixed_calls<'py>(calls: &Bound<'py, PyAny>) -> PyResult<Vec<MixedCall<'py>>> {
    calls
        .try_iter()?
        .map(|c| c.and_then(|c| c.extract()))
        .collect()
}

/// The results of calls made in order, as a list; a failed call's error is raised once every
/// call was made (the first of them).
pub(crate) fn results_or_first_error<'py>(
    py: Python<'py>,
    results: impl IntoIterator<Item = PyResult<Bound<'py, PyAny>>>,
) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    let mut first_error = None;
    for r in results {
        match r {
            Ok(v) => out.append(v)?,
            Err(e) => {
                first_error.get_or_insert(e);
                out.append(py.None())?;
            }
        }
    }
    first_error.map_or(Ok(out), Err)
}

/// The outcomes of calls made in order, per call `(True, value)` or `(False, exception)`.
pub(crate) fn outcome_pairs<'py>(
    py: Python<'py>,
    results: impl IntoIterator<Item = PyResult<Bound<'py, PyAny>>>,
) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for r in results {
        match r {
            Ok(v) => out.append((true, v))?,
            Err(e) => out.append((false, e.into_value(py)))?,
        }
    }
    Ok(out)
}

/// Appends a v2 request frame naming one object id (and, for `Iterate`, a count).
fn id_frame(out: &mut Vec<u8>, code: u16, id: &str, max: Option<u32>) -> PyResult<()> {
    let at = out.len();
    wire::begin_frame(out, FrameKind::Request, code);
    wire::put_str(out, id);
    if let Some(max) = max {
        wire::put_u32(out, max);
    }
    wire::finish_frame(out, at);
    Ok(())
}

/// No reply came for a request (the connection closed after a fatal reply to an earlier one).
fn no_reply(py: Python<'_>) -> PyErr {
    match hooks::get(py) {
        Ok(h) => h.py4j_error(py, "the gateway sent no reply to the request".into()),
        Err(e) => e,
    }
}

/// A v2 reply frame: `Ok(value)` for success (the value decoded as `want` asks), `Err(reply)`
/// for any other reply.
pub(crate) fn frame_success<'py>(
    py: Python<'py>,
    f: ReplyFrame,
    owner: &Bound<'py, PyAny>,
    want: Want,
) -> PyResult<Result<Bound<'py, PyAny>, Reply>> {
    const EMPTY: u16 = 1;
    match f.op {
        op::SUCCESS => {
            if let Some(placed) = f.placed {
                return match bulk::placed_object(placed) {
                    Some(obj) => Ok(Ok(obj.into_bound(py))),
                    None => Err(no_reply(py)),
                };
            }
            let value = if f.body.len() >= SHARED_REPLY_MIN {
                // A large list of numbers (say) is read where it arrived, not copied first.
                let body = std::sync::Arc::new(f.body.into_vec());
                ferry_protocol::binary::decode_value_shared(&body)
            } else {
                ferry_protocol::binary::decode_value(&f.body)
            }
            .map_err(|e| decode_error(py, e))?;
            if want == Want::Numpy {
                if let Value::Array(p) | Value::TypedList(p) = &value {
                    return Ok(Ok(bulk::numpy_from_raw(py, p.elem, &p.data)?));
                }
            }
            Ok(Ok(to_python(py, value, owner)?))
        }
        EMPTY => Ok(Ok(py.None().into_bound(py))),
        _ => Ok(Err(f.decode().map_err(|e| decode_error(py, e))?)),
    }
}

fn decode_error(py: Python<'_>, e: ferry_protocol::ProtocolError) -> PyErr {
    match hooks::get(py) {
        Ok(h) => h.py4j_error(py, format!("the gateway sent an unreadable reply: {e}")),
        Err(err) => err,
    }
}

#[pymethods]
impl PyClient {
    #[new]
    // Python keyword arguments, each with a default.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (address, port, auth_token=None, read_timeout=None, memory_management=true, connect_timeout=None, release_delay=0.05, pinned_threads=false, protocol="auto", multiplex=false))]
    fn new(
        address: &Bound<'_, PyString>,
        port: u16,
        auth_token: Option<&Bound<'_, PyString>>,
        read_timeout: Option<f64>,
        memory_management: bool,
        connect_timeout: Option<f64>,
        release_delay: f64,
        pinned_threads: bool,
        protocol: &str,
        multiplex: bool,
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
        config.multiplex = multiplex;
        config.protocol = ProtocolChoice::parse(protocol).ok_or_else(|| {
            PyValueError::new_err(format!(
                "protocol must be 'auto', 'v1' or 'v2', got {protocol:?}"
            ))
        })?;
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
        let (t, m) = (target.to_str()?, method.to_str()?);
        self.call_member(
            py,
            &Self::call_header(t, m),
            &call_prefix(t, m),
            args,
            owner,
            target.as_any(),
            method.as_any(),
        )
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
        let (t, m) = (target.to_str()?, method.to_str()?);
        let answer = self.one_call(
            py,
            &Self::call_header(t, m),
            &call_prefix(t, m),
            args,
            owner,
            Some(&mut BytesPlacer),
        )?;
        let failed = match answer {
            Answer::Text(response) => match response.reply {
                Reply::Success(v) => return Ok((true, to_python(py, v, owner)?)),
                Reply::Empty => return Ok((true, py.None().into_bound(py))),
                other => response.raw.unwrap_or_else(|| reply_text(&other)),
            },
            Answer::Frame(f) => match frame_success(py, f, owner, Want::Python)? {
                Ok(v) => return Ok((true, v)),
                Err(reply) => reply_text(&reply),
            },
        };
        Ok((false, PyString::new(py, &failed).into_any()))
    }

    /// Calls `method` on `target` once per argument tuple of `calls`, pipelined; the results
    /// are dropped. The first error answer is raised (after every reply was read).
    fn call_batch<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyString>,
        method: &Bound<'py, PyString>,
        calls: &Bound<'py, PyAny>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<usize> {
        let answers = self.pipelined(py, target.to_str()?, method.to_str()?, calls, owner)?;
        let count = answers.len();
        for answer in answers {
            let failed = match &answer {
                Answer::Text(r) => r.reply.is_error(),
                Answer::Frame(f) => f.is_error(),
            };
            if failed {
                Self::answer_value(
                    py,
                    answer,
                    owner,
                    target.as_any(),
                    method.as_any(),
                    Want::Python,
                )?;
            }
        }
        Ok(count)
    }

    /// Calls `method` on `target` once per argument tuple of `calls`, pipelined (several calls
    /// per write, their replies read together), and returns the results in order. An error
    /// answer is raised (the first, after every reply was read). The calls run in order, on the
    /// Java thread of one connection.
    fn call_many<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyString>,
        method: &Bound<'py, PyString>,
        calls: &Bound<'py, PyAny>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let answers = self.pipelined(py, target.to_str()?, method.to_str()?, calls, owner)?;
        let results = answers.into_iter().map(|answer| {
            Self::answer_value(
                py,
                answer,
                owner,
                target.as_any(),
                method.as_any(),
                Want::Python,
            )
        });
        results_or_first_error(py, results)
    }

    /// Makes each call of `calls` (tuples of target id, method name and argument tuple),
    /// pipelined, and returns per call, in order, `(True, value)` or `(False, exception)`: the
    /// calls of `ferry.batch`. They run in order, on the Java thread of one connection.
    fn call_mixed<'py>(
        &self,
        py: Python<'py>,
        calls: &Bound<'py, PyAny>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let parts = mixed_calls(calls)?;
        let named = parts
            .iter()
            .map(|(target, method, args)| Ok((target.to_str()?, method.to_str()?, args.clone())))
            .collect::<PyResult<Vec<_>>>()?;
        let outcomes = self.pipelined_calls(py, &named, owner, true)?;
        let unanswered = parts.len() - outcomes.len();
        let results = outcomes
            .into_iter()
            .zip(&parts)
            .map(|(outcome, (target, method, _))| {
                outcome.and_then(|answer| {
                    Self::answer_value(
                        py,
                        answer,
                        owner,
                        target.as_any(),
                        method.as_any(),
                        Want::Python,
                    )
                })
            });
        // A fatal reply closed the connection before the last calls were answered.
        let closed = std::iter::repeat_with(|| Err(no_reply(py))).take(unanswered);
        outcome_pairs(py, results.chain(closed))
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
        let mut header = Vec::with_capacity(4 + fqn_text.len());
        header.extend_from_slice(b"i\n");
        header.extend_from_slice(fqn_text.as_bytes());
        header.push(b'\n');
        let answer = self.one_call(py, &header, &construct_prefix(fqn_text), args, owner, None)?;
        Self::answer_value(
            py,
            answer,
            owner,
            py.None().bind(py),
            fqn.as_any(),
            Want::Python,
        )
    }

    /// The protocol member calls speak: 1 (Py4J's text) or 2 (ferry's frames). Asks the
    /// gateway (opens a connection) when no connection told yet.
    #[pyo3(signature = (owner=None))]
    fn protocol(&self, py: Python<'_>, owner: Option<&Bound<'_, PyAny>>) -> PyResult<u8> {
        Ok(self.call_protocol(py, owner)?.number())
    }

    /// The protocol negotiated so far (1 or 2), or None before the first connection.
    #[getter]
    fn negotiated(&self) -> Option<u8> {
        if self.inner.pinned().is_some() {
            return Some(1);
        }
        self.inner.protocol().map(Protocol::number)
    }

    /// v2: a Python value made into a Java object in one frame (`ToJava`): lists, tuples and
    /// other iterables become an `ArrayList`, sets a `HashSet`, dicts and other mappings a
    /// `HashMap`, numpy arrays primitive arrays; nested (unless `deep` is false: then the
    /// elements follow the rules of call arguments), with Java objects inside by reference.
    #[pyo3(signature = (value, owner, deep=true))]
    fn to_java<'py>(
        &self,
        py: Python<'py>,
        value: &Bound<'py, PyAny>,
        owner: &Bound<'py, PyAny>,
        deep: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let f = self.v2_request(
            py,
            owner,
            "ferry.to_java",
            |out, enc| {
                wire::begin_frame(out, FrameKind::Request, op::TO_JAVA);
                enc.deep = deep;
                bulk::bulk_value(value, enc, out, 0)?;
                wire::finish_frame(out, 0);
                Ok(())
            },
            None,
        )?;
        self.v2_value(py, f, owner, "to_java", Want::Python)
    }

    /// v2: the value of a Java object, deeply, in one round trip (`ToPython`): collections,
    /// maps, arrays, boxed values, strings, BigDecimal, java.time values and nestings of them.
    fn to_python<'py>(
        &self,
        py: Python<'py>,
        target_id: &Bound<'py, PyString>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = target_id.to_str()?;
        let f = self.v2_request(
            py,
            owner,
            "ferry.to_python",
            |out, _| id_frame(out, op::TO_PYTHON, id, None),
            Some(&mut BytesPlacer),
        )?;
        self.v2_value(py, f, owner, "to_python", Want::Python)
    }

    /// v2: a Java primitive array (or a list of boxed numbers) as a numpy array. A large one is
    /// received straight into the array's memory.
    fn to_numpy<'py>(
        &self,
        py: Python<'py>,
        target_id: &Bound<'py, PyString>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = target_id.to_str()?;
        let f = self.v2_request(
            py,
            owner,
            "ferry.to_numpy",
            |out, _| id_frame(out, op::TO_PYTHON, id, None),
            Some(&mut NumpyPlacer),
        )?;
        self.v2_value(py, f, owner, "to_numpy", Want::Numpy)
    }

    /// v2: up to `max` next elements of a Java iterator, in one round trip (`Iterate`); an
    /// empty list once it is exhausted.
    fn iterate<'py>(
        &self,
        py: Python<'py>,
        target_id: &Bound<'py, PyString>,
        max: u32,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = target_id.to_str()?;
        let f = self.v2_request(
            py,
            owner,
            "chunked iteration",
            |out, _| id_frame(out, op::ITERATE, id, Some(max)),
            None,
        )?;
        self.v2_value(py, f, owner, "iterate", Want::Python)
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
        request_answer(
            py,
            response.reply,
            response.raw,
            owner,
            target_id,
            name,
            raise_errors,
        )
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

    /// The client's counters: commands, releases, round_trips, frames, connections_opened,
    /// idle_connections, held_references, pending_releases, refused_hellos, protocol (0 while
    /// unknown); and the multiplexed mode's: multiplexed_writes, multiplexed_requests (what
    /// they carried), multiplex_waiting (requests queued now), multiplex_in_flight (written,
    /// not answered yet).
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
        d.set_item("frames", s.frames)?;
        d.set_item("refused_hellos", s.refused_hellos)?;
        d.set_item("protocol", s.protocol)?;
        let m = self.inner.mux_stats();
        d.set_item("multiplexed_writes", m.writes)?;
        d.set_item("multiplexed_requests", m.requests)?;
        d.set_item("multiplex_waiting", m.waiting)?;
        d.set_item("multiplex_in_flight", m.in_flight)?;
        Ok(d)
    }

    /// The counters of each open connection: a list of dicts (commands, releases, round_trips,
    /// frames, protocol).
    fn connection_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for s in self.inner.connection_stats() {
            let d = PyDict::new(py);
            d.set_item("commands", s.commands)?;
            d.set_item("releases", s.releases)?;
            d.set_item("round_trips", s.round_trips)?;
            d.set_item("frames", s.frames)?;
            d.set_item("protocol", s.protocol)?;
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
