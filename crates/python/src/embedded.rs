//! Embedded mode: the JVM inside the Python process, driven through the engine directly.
//!
//! [`EmbeddedClient`] answers the same methods as the socket client (`ferry._native.Client`), so
//! the package's `GatewayClient`, proxies and collections work unchanged on top of it; its calls
//! go to [`Engine`] in the calling thread (attached to the JVM, with the GIL released), with
//! values passed as [`Value`]s: no socket and no encoding. A `JavaObject` holds an
//! [`EmbeddedHeld`] handle whose drop releases the Java object from the engine's registry.
//!
//! Java's calls to Python proxies go through [`EmbeddedOwner`], the engine's proxy owner: it takes
//! the GIL and runs the call with the same dispatcher as the callback server
//! (`ferry._native.CallbackDispatcher`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak, mpsc};

use ferry_client::Retained;
use ferry_engine::jni_raw::{Env, Local};
use ferry_engine::natives::{ProxyOwner, owner_handle};
use ferry_engine::{Arg, CallSite, Engine, Entry, Outcome, Target};
use ferry_protocol::text::{Decoder, Incoming, Side};
use ferry_protocol::{CallTarget, CallbackCommand, Command, Elem, RefKind, Reply, Value};
use parking_lot::{Mutex, RwLock};
use pyo3::PyTraverseError;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::gc::PyVisit;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::bulk::{self, Enc};
use crate::callback::{Dispatcher, PyHandler};
use crate::client::{PyClient, reply_text, request_answer};
use crate::decode::to_python;
use crate::embedded_args::{Args, RawArray, direct_args, jtype_of, materialize};
use crate::embedded_threads::{exiting, in_java};
use crate::hooks;
use crate::member::Fields;
use crate::object::JavaObject;
use smallvec::SmallVec;

// ------------------------------------------------------------------------------ the JVM

/// Starts the process's JVM (once: the same options again do nothing, others are an error),
/// with `-Xrs` so that Ctrl-C stays Python's. Finds it with `JAVA_HOME`, else `java`/`javac` on
/// the `PATH`.
#[pyfunction]
pub(crate) fn embedded_start_jvm(
    py: Python<'_>,
    classpath: Vec<String>,
    options: Vec<String>,
) -> PyResult<()> {
    let config = ferry_server::launch::JvmConfig {
        classpath,
        options,
        reduce_signals: true,
    };
    py.detach(|| ferry_server::launch::start_jvm(&config).map(drop))
        .map_err(PyRuntimeError::new_err)
}

/// The class path and options the process's JVM was started with, or None.
#[pyfunction]
pub(crate) fn embedded_jvm_config() -> Option<(Vec<String>, Vec<String>, String)> {
    ferry_server::launch::started().map(|(c, l)| {
        (
            c.classpath.clone(),
            c.options.clone(),
            l.java_home.display().to_string(),
        )
    })
}

// ------------------------------------------------------------------------------ the owner

/// One embedded gateway: its engine, the Python side of its proxies, the handles on its ids.
pub(crate) struct EmbeddedOwner {
    engine: Engine,
    /// Run Java's calls on the Python objects of the gateways on this engine (set by the
    /// package), by gateway client; the last one whose client lives serves.
    handlers: RwLock<Vec<(usize, Arc<PyHandler>)>>,
    /// Proxies Java dropped, for the thread that removes them from the pool.
    released: Mutex<Option<mpsc::Sender<String>>>,
    /// Handles per id (several proxies may hold one id).
    held: Mutex<rustc_hash::FxHashMap<Box<str>, u32>>,
    /// Shut down: its gateways fail, new ones get a new engine.
    stopped: AtomicBool,
    /// Itself, for its release thread.
    me: std::sync::Weak<EmbeddedOwner>,
    commands: AtomicU64,
    releases: AtomicU64,
}

/// The engines of the process, by entry point class: the gateways made with the same entry
/// point share one (and see the same Java objects), as clients of one server do.
static ENGINES: Mutex<Vec<(Option<String>, Arc<EmbeddedOwner>)>> = Mutex::new(Vec::new());

/// Counts one more command. Called with the GIL held, which orders the calls: a load and a store
/// do (no locked instruction on the hot path).
fn count(counter: &AtomicU64) {
    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

fn is_permanent(id: &str) -> bool {
    matches!(id, "t" | "j" | "GATEWAY_SERVER")
}

impl EmbeddedOwner {
    fn retain(self: &Arc<Self>, id: &str, memory_management: bool) -> EmbeddedHeld {
        let release = memory_management && !is_permanent(id);
        if release {
            *self.held.lock().entry(id.into()).or_insert(0) += 1;
        }
        EmbeddedHeld {
            owner: self.clone(),
            release,
            id: id.into(),
            entry: OnceLock::new(),
        }
    }

    fn unretain(&self, id: &str) {
        let last = {
            let mut held = self.held.lock();
            match held.get_mut(id) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    false
                }
                Some(_) => {
                    held.remove(id);
                    true
                }
                // Detached before.
                None => false,
            }
        };
        if last {
            self.release_now(id);
        }
    }

    /// Removes `id` from the registry (its global reference is deleted on this thread).
    fn release_now(&self, id: &str) {
        if exiting() {
            return;
        }
        if crate::embedded_threads::attach().is_some() {
            self.engine.registry().remove(id);
            self.releases.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The handler of the last gateway client still alive.
    fn handler(&self, py: Python<'_>) -> Option<Arc<PyHandler>> {
        let handlers = self.handlers.read();
        handlers
            .iter()
            .rev()
            .find(|(_, h)| h.client(py).is_some())
            .map(|(_, h)| h.clone())
    }
}

impl ProxyOwner for EmbeddedOwner {
    fn engine(&self) -> &Engine {
        &self.engine
    }

    fn call_python(&self, _env: &Env, call: CallbackCommand) -> Result<Reply, String> {
        if exiting() {
            return Err("the Python interpreter is exiting: Java can no longer call Python".into());
        }
        let mut out = Vec::with_capacity(64);
        Python::try_attach(|py| match self.handler(py) {
            Some(handler) => {
                handler.run(py, call, &mut out);
                Ok(())
            }
            None => Err("the embedded gateway has no Python side to call"),
        })
        .ok_or("the Python interpreter is shutting down")??;
        let mut decoder = Decoder::new(Side::Java);
        decoder.feed(&out);
        match decoder.next() {
            Ok(Some(Incoming::Reply(r))) => Ok(r),
            other => Err(format!("unreadable answer from the Python side: {other:?}")),
        }
    }

    fn release(&self, id: String) {
        if exiting() {
            return;
        }
        let mut guard = self.released.lock();
        if guard.is_none() {
            let (tx, rx) = mpsc::channel::<String>();
            let me = self.me.clone();
            let spawned = std::thread::Builder::new()
                .name("ferry-proxy-release".into())
                .spawn(move || {
                    while let Ok(id) = rx.recv() {
                        if exiting() {
                            return;
                        }
                        let Some(owner) = me.upgrade() else { return };
                        let _ = Python::try_attach(|py| {
                            if let Some(handler) = owner.handler(py) {
                                handler.release(py, &id);
                            }
                        });
                    }
                });
            if spawned.is_err() {
                return;
            }
            *guard = Some(tx);
        }
        if let Some(tx) = guard.as_ref() {
            let _ = tx.send(id);
        }
    }
}

/// A proxy's hold on a Java object id: the id is released when the last one is dropped. It
/// remembers the engine's entry of the id once a call needed it (weakly: a released id's object
/// is not kept alive by its proxies), so that calls skip the lookup by id.
pub(crate) struct EmbeddedHeld {
    owner: Arc<EmbeddedOwner>,
    /// Whether dropping the last hold releases the id (memory management, and not one of the
    /// ids that are never released).
    release: bool,
    id: Box<str>,
    entry: OnceLock<Weak<Entry>>,
}

impl EmbeddedHeld {
    /// The engine's entry of the id, held for a call, when `owner` is this hold's gateway and
    /// the registry still holds the entry (one whose id was released since says so: see
    /// `Entry::is_released`).
    pub(crate) fn entry(&self, owner: &Arc<EmbeddedOwner>) -> Option<Arc<Entry>> {
        if !Arc::ptr_eq(&self.owner, owner) {
            return None;
        }
        if let Some(e) = self.entry.get() {
            return e.upgrade();
        }
        let found = self.owner.engine.held(&self.id)?;
        let _ = self.entry.set(Arc::downgrade(&found));
        Some(found)
    }
}

impl Drop for EmbeddedHeld {
    fn drop(&mut self) {
        if self.release {
            self.owner.unretain(&self.id);
        }
    }
}

// ------------------------------------------------------------------------------ either client

/// The native client of a gateway client: a socket pool or an embedded engine.
pub(crate) enum Native {
    Socket(Py<PyClient>),
    Embedded(Py<EmbeddedClient>),
}

/// A proxy's hold on its id, in either mode.
pub(crate) enum Held {
    Socket(#[allow(dead_code)] Retained),
    Embedded(EmbeddedHeld),
}

impl Native {
    /// The native client of a Python gateway client (its `_native` attribute).
    pub(crate) fn of(gateway_client: &Bound<'_, PyAny>) -> PyResult<Native> {
        let native = gateway_client.getattr(intern!(gateway_client.py(), "_native"))?;
        if let Ok(c) = native.cast::<PyClient>() {
            return Ok(Native::Socket(c.clone().unbind()));
        }
        Ok(Native::Embedded(
            native.cast_into::<EmbeddedClient>()?.unbind(),
        ))
    }

    pub(crate) fn clone_ref(&self, py: Python<'_>) -> Native {
        match self {
            Native::Socket(c) => Native::Socket(c.clone_ref(py)),
            Native::Embedded(c) => Native::Embedded(c.clone_ref(py)),
        }
    }

    /// Whether member calls go through the package's input converters.
    pub(crate) fn has_converters(&self) -> bool {
        match self {
            Native::Socket(c) => c.get().has_converters(),
            Native::Embedded(c) => c.get().converters.load(Ordering::Relaxed),
        }
    }

    /// A hold on `id` for a proxy.
    pub(crate) fn retain(&self, id: &str) -> Held {
        match self {
            Native::Socket(c) => Held::Socket(c.get().inner().retain(id)),
            Native::Embedded(c) => {
                let c = c.get();
                Held::Embedded(c.owner.retain(id, c.memory_management))
            }
        }
    }

    pub(crate) fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        match self {
            Native::Socket(c) => visit.call(c),
            Native::Embedded(c) => visit.call(c),
        }
    }
}

// ------------------------------------------------------------------------------ the client

fn outcome_reply(outcome: Outcome) -> Reply {
    match outcome {
        Outcome::Reply(r) => r,
        Outcome::Fatal(m) => Reply::Fatal(m),
        Outcome::Stream(_) => {
            Reply::error_message("ferry.Py4JException: a stream answer where a value was expected")
        }
        Outcome::Shutdown | Outcome::Silent | Outcome::Cancel { .. } => Reply::VOID,
    }
}

/// Runs a call: makes the arrays of `raw`, calls, releases them.
fn run_call(
    env: &Env,
    engine: &Engine,
    target: &str,
    method: &str,
    values: &mut Vec<Value>,
    raw: &[RawArray],
) -> Reply {
    let ran = env.with_frame(16, |env| {
        let temps = match materialize(env, engine, values, raw) {
            Ok(t) => t,
            Err(e) => return Reply::error_message(format!("ferry.Py4JException: {e}")),
        };
        let reply = match target.strip_prefix("z:") {
            Some(class) => outcome_reply(engine.execute(
                env,
                Command::Call {
                    target: CallTarget::Static(class.to_owned()),
                    method: method.to_owned(),
                    args: std::mem::take(values),
                },
            )),
            None => match engine.held(target) {
                Some(entry) => engine.call_held(env, &entry, method, values),
                None => outcome_reply(engine.execute(
                    env,
                    Command::Call {
                        target: CallTarget::Object(target.to_owned()),
                        method: method.to_owned(),
                        args: std::mem::take(values),
                    },
                )),
            },
        };
        for id in temps {
            engine.registry().remove(&id);
        }
        reply
    });
    ran.unwrap_or_else(|_| Reply::error_message("ferry.Py4JException: no JNI local frame"))
}

/// Runs a command built from the call's values (the arrays of `raw` made first).
fn run_command(
    env: &Env,
    engine: &Engine,
    values: Vec<Value>,
    raw: &[RawArray],
    build: impl FnOnce(Vec<Value>) -> Command,
) -> Reply {
    let mut values = values;
    let ran = env.with_frame(16, |env| {
        let temps = match materialize(env, engine, &mut values, raw) {
            Ok(t) => t,
            Err(e) => return Reply::error_message(format!("ferry.Py4JException: {e}")),
        };
        let reply = outcome_reply(engine.execute(env, build(values)));
        for id in temps {
            engine.registry().remove(&id);
        }
        reply
    });
    ran.unwrap_or_else(|_| Reply::error_message("ferry.Py4JException: no JNI local frame"))
}

/// Text of a Java exception held under `id` (its stack trace), for errors raised without a
/// gateway client.
fn exception_text(env: &Env, engine: &Engine, reply: &Reply) -> String {
    match reply {
        Reply::Error(Some(Value::Ref(_, id))) => {
            let trace = engine.execute(
                env,
                Command::ExceptionTrace {
                    id: format!("r{id}"),
                },
            );
            engine.registry().remove(id);
            match trace {
                Outcome::Reply(Reply::Success(Value::String(s))) => s,
                _ => reply_text(reply),
            }
        }
        Reply::Error(Some(Value::String(s))) => s.clone(),
        other => reply_text(other),
    }
}

/// Builds the engine of a new gateway, with an instance of `entry_point` (a class name) bound to
/// `t`.
fn make_engine(env: &Env, entry_point: Option<&str>) -> Result<Engine, String> {
    let null = Local::from_raw(std::ptr::null_mut());
    let engine =
        Engine::new(env, null, null).map_err(|e| format!("cannot make the engine: {e:?}"))?;
    if let Some(class) = entry_point {
        let reply = outcome_reply(engine.execute(
            env,
            Command::Construct {
                class: class.to_owned(),
                args: Vec::new(),
            },
        ));
        let id = match &reply {
            Reply::Success(Value::Ref(_, id)) => id.clone(),
            other => {
                return Err(format!(
                    "cannot make the entry point, a new {class}(): {}",
                    exception_text(env, &engine, other)
                ));
            }
        };
        let entry = engine.held(&id).ok_or("the entry point vanished")?;
        let global = env
            .new_global(entry.object.local())
            .map_err(|_| "cannot hold the entry point".to_owned())?;
        engine
            .registry()
            .insert_as(ferry_protocol::ENTRY_POINT_ID, global);
        engine.registry().remove(&id);
    }
    Ok(engine)
}

/// The bytes of a stream answer (`S`), read once.
#[pyclass(frozen, module = "ferry._native", name = "EmbeddedStream")]
pub(crate) struct EmbeddedStream {
    data: Mutex<(Vec<u8>, usize)>,
}

#[pymethods]
impl EmbeddedStream {
    /// Up to `n` next bytes (all that remain when `n` is negative); empty at the end.
    #[pyo3(signature = (n=-1))]
    fn read<'py>(&self, py: Python<'py>, n: i64) -> Bound<'py, PyBytes> {
        let mut d = self.data.lock();
        let (data, at) = &mut *d;
        let left = data.len() - *at;
        let take = if n < 0 { left } else { left.min(n as usize) };
        let out = PyBytes::new(py, &data[*at..*at + take]);
        *at += take;
        out
    }

    fn close(&self) {
        let mut d = self.data.lock();
        d.0 = Vec::new();
        d.1 = 0;
    }
}

/// The element type and length of a Java primitive array.
fn primitive_array(env: &Env, obj: Local) -> Option<(Elem, usize)> {
    const CLASSES: [(&std::ffi::CStr, Elem); 8] = [
        (c"[Z", Elem::Bool),
        (c"[B", Elem::Byte),
        (c"[S", Elem::Short),
        (c"[C", Elem::Char),
        (c"[I", Elem::Int),
        (c"[J", Elem::Long),
        (c"[F", Elem::Float),
        (c"[D", Elem::Double),
    ];
    env.with_frame(10, |env| {
        for (name, elem) in CLASSES {
            let class = env.find_class(name).ok()?;
            if env.is_instance_of(obj, class) {
                return Some((elem, env.array_length(obj).max(0) as usize));
            }
        }
        None
    })
    .ok()
    .flatten()
}

/// The gateway's engine, seen from Python: `ferry._native.EmbeddedClient(entry_point=None,
/// memory_management=True)` (the JVM must be started). Same methods as `ferry._native.Client`.
#[pyclass(frozen, weakref, module = "ferry._native", name = "EmbeddedClient")]
pub(crate) struct EmbeddedClient {
    owner: Arc<EmbeddedOwner>,
    memory_management: bool,
    converters: AtomicBool,
    connected: AtomicBool,
    forks_reported: AtomicBool,
}

impl EmbeddedClient {
    fn check_connected(&self, py: Python<'_>, owner: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        if self.connected.load(Ordering::Relaxed) && !self.owner.stopped.load(Ordering::Relaxed) {
            return Ok(());
        }
        let hooks = hooks::get(py)?;
        let owner = owner.map_or_else(|| py.None().into_bound(py), |o| o.clone());
        let exc = hooks.network_error.bind(py).call1((
            owner,
            "Gateway is not connected (the embedded gateway was shut down).",
            py.None(),
            "not_connected",
        ))?;
        Err(PyErr::from_value(exc))
    }

    /// The Python value of a reply, or the error the package's handler raises for it.
    fn value<'py>(
        py: Python<'py>,
        reply: Reply,
        owner: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        name: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match reply {
            Reply::Success(v) => to_python(py, v, owner),
            Reply::Empty => Ok(py.None().into_bound(py)),
            other => hooks::get(py)?.error_handler.bind(py).call1((
                reply_text(&other),
                owner,
                target,
                name,
            )),
        }
    }

    /// One call's reply.
    fn call_reply(
        &self,
        py: Python<'_>,
        target: &str,
        method: &str,
        args: &Bound<'_, PyTuple>,
        owner: &Bound<'_, PyAny>,
    ) -> PyResult<Reply> {
        self.check_connected(py, Some(owner))?;
        let Args {
            mut values,
            raw,
            keep,
        } = Args::of(args, owner)?;
        let engine = &self.owner.engine;
        count(&self.owner.commands);
        let reply = in_java(py, |env| {
            run_call(env, engine, target, method, &mut values, &raw)
        });
        drop(keep);
        reply
    }

    /// Calls a method (`target` an object id, or `z:<class>`) by id: the calls of the
    /// collection proxies and `call`. Directly when it can (the id looked up, no memo of its
    /// own: the class's overload cache answers), else through a call command.
    pub(crate) fn call_member<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyString>,
        method: &Bound<'py, PyString>,
        args: &Bound<'py, PyTuple>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check_connected(py, Some(owner))?;
        let target_id = target.to_str()?;
        let entry;
        let direct = match target_id.strip_prefix("z:") {
            Some(class) => Some(Target::Static(class)),
            None => {
                entry = self.owner.engine.held(target_id);
                entry.as_deref().map(Target::Object)
            }
        };
        if let Some(direct) = direct {
            let mut held = SmallVec::new();
            let mut fast: SmallVec<[Arg<'_>; 4]> = SmallVec::new();
            if direct_args(args, &self.owner, &mut held, &mut fast) {
                let engine = &self.owner.engine;
                let name = method.to_str()?;
                let site = CallSite::default();
                let reply = in_java(py, |env| {
                    engine.call_direct(env, &site, direct, name, &fast)
                })?;
                if let Some(reply) = reply {
                    count(&self.owner.commands);
                    return Self::value(py, reply, owner, target.as_any(), method.as_any());
                }
            }
        }
        self.call_by_id(py, target, method, args, owner)
    }

    /// Calls a method through a call command (values converted, the target looked up by id).
    fn call_by_id<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyString>,
        method: &Bound<'py, PyString>,
        args: &Bound<'py, PyTuple>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let reply = self.call_reply(py, target.to_str()?, method.to_str()?, args, owner)?;
        Self::value(py, reply, owner, target.as_any(), method.as_any())
    }

    /// Calls the method of member `f` as [`EmbeddedClient::call_member`] does, directly when it
    /// can (see `Engine::call_direct`): on the held object `container` (the `JavaObject` of the
    /// member's target id) or on the class of a `z:<class>` target, with the arguments a direct
    /// call takes, through the member's call site.
    pub(crate) fn call_site<'py>(
        &self,
        py: Python<'py>,
        f: &Fields,
        args: &Bound<'py, PyTuple>,
        container: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let owner = f.gateway_client.bind(py);
        let target = f.target_id.bind(py);
        self.check_connected(py, Some(owner))?;
        let entry;
        let direct = match &f.class {
            Some(class) => Some(Target::Static(class)),
            None => {
                entry = container
                    .and_then(|c| c.cast::<JavaObject>().ok())
                    .and_then(|o| o.get().embedded_held(target))
                    .and_then(|h| h.entry(&self.owner));
                entry.as_deref().map(Target::Object)
            }
        };
        if let Some(direct) = direct {
            let mut held = SmallVec::new();
            let mut fast: SmallVec<[Arg<'_>; 4]> = SmallVec::new();
            if direct_args(args, &self.owner, &mut held, &mut fast) {
                let engine = &self.owner.engine;
                let (site, method) = (&f.site, &*f.method);
                let reply = in_java(py, |env| {
                    engine.call_direct(env, site, direct, method, &fast)
                })?;
                if let Some(reply) = reply {
                    count(&self.owner.commands);
                    let name = f.name.bind(py);
                    return Self::value(py, reply, owner, target.as_any(), name.as_any());
                }
            }
        }
        self.call_by_id(py, target, f.name.bind(py), args, owner)
    }

    /// Runs a decoded command.
    fn execute(&self, py: Python<'_>, command: Command) -> PyResult<Outcome> {
        let engine = &self.owner.engine;
        count(&self.owner.commands);
        in_java(py, |env| engine.execute(env, command))
    }

    /// Decodes a text command (py4j's `send_command`).
    fn decode(py: Python<'_>, command: &str) -> PyResult<Command> {
        let mut decoder = Decoder::new(Side::Java);
        decoder.feed(command.as_bytes());
        match decoder.next() {
            Ok(Some(Incoming::Command(c))) => Ok(c),
            Ok(_) => {
                Err(hooks::get(py)?.py4j_error(py, format!("an incomplete command: {command:?}")))
            }
            Err(e) => Err(hooks::get(py)?.py4j_error(py, format!("a malformed command: {e}"))),
        }
    }

    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        self.connected.store(false, Ordering::Relaxed);
        self.owner.stopped.store(true, Ordering::Relaxed);
        ENGINES.lock().retain(|(_, o)| !Arc::ptr_eq(o, &self.owner));
        self.owner.held.lock().clear();
        let engine = &self.owner.engine;
        in_java(py, |_env| engine.clear())
    }
}

#[pymethods]
impl EmbeddedClient {
    #[new]
    #[pyo3(signature = (entry_point=None, memory_management=true))]
    fn new(
        py: Python<'_>,
        entry_point: Option<String>,
        memory_management: bool,
    ) -> PyResult<EmbeddedClient> {
        if ferry_server::launch::started().is_none() {
            return Err(PyRuntimeError::new_err(
                "no JVM runs in this process: start it with ferry.embedded.start_jvm",
            ));
        }
        let mut engines = ENGINES.lock();
        let running = engines
            .iter()
            .find(|(e, o)| *e == entry_point && !o.stopped.load(Ordering::Relaxed))
            .map(|(_, o)| o.clone());
        let owner = match running {
            Some(o) => o,
            None => {
                let engine = in_java(py, |env| make_engine(env, entry_point.as_deref()))?
                    .map_err(PyRuntimeError::new_err)?;
                let owner = Arc::new_cyclic(|me| EmbeddedOwner {
                    me: me.clone(),
                    engine,
                    handlers: RwLock::new(Vec::new()),
                    released: Mutex::new(None),
                    held: Mutex::new(rustc_hash::FxHashMap::default()),
                    stopped: AtomicBool::new(false),
                    commands: AtomicU64::new(0),
                    releases: AtomicU64::new(0),
                });
                let handle = owner_handle(owner.clone());
                owner.engine.set_proxy_owner(handle);
                engines.push((entry_point, owner.clone()));
                owner
            }
        };
        drop(engines);
        Ok(EmbeddedClient {
            owner,
            memory_management,
            converters: AtomicBool::new(false),
            connected: AtomicBool::new(true),
            forks_reported: AtomicBool::new(false),
        })
    }

    /// Java's calls to Python objects run with this dispatcher (`CallbackDispatcher`) of the
    /// gateway client `client` (the last client's that is alive, when several share the engine).
    fn set_dispatcher(&self, dispatcher: &Bound<'_, Dispatcher>, client: &Bound<'_, PyAny>) {
        let key = client.as_ptr() as usize;
        let mut handlers = self.owner.handlers.write();
        handlers.retain(|(k, _)| *k != key);
        handlers.push((key, dispatcher.get().handler()));
    }

    /// How many Java objects the engine holds (ids of proxies, views, the entry point).
    fn registry_size(&self) -> usize {
        self.owner.engine.registry().len()
    }

    /// Calls `method` on the object `target` (or a static method: `target` is `z:<class>`).
    fn call<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyString>,
        method: &Bound<'py, PyString>,
        args: &Bound<'py, PyTuple>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call_member(py, target, method, args, owner)
    }

    /// Like `call`, but an error answer is returned as `(False, answer)` instead of raised.
    fn call_checked<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyString>,
        method: &Bound<'py, PyString>,
        args: &Bound<'py, PyTuple>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<(bool, Bound<'py, PyAny>)> {
        let reply = self.call_reply(py, target.to_str()?, method.to_str()?, args, owner)?;
        Ok(match reply {
            Reply::Success(v) => (true, to_python(py, v, owner)?),
            Reply::Empty => (true, py.None().into_bound(py)),
            other => (false, PyString::new(py, &reply_text(&other)).into_any()),
        })
    }

    /// Calls `method` on `target` once per argument tuple; the results are dropped. The first
    /// error answer is raised (after every call ran).
    fn call_batch<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyString>,
        method: &Bound<'py, PyString>,
        calls: &Bound<'py, PyAny>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<usize> {
        let mut count = 0;
        let mut first_error = None;
        for args in calls.try_iter()? {
            let args = args?.cast_into::<PyTuple>()?;
            count += 1;
            if let Err(e) = self.call_member(py, target, method, &args, owner) {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(count),
        }
    }

    /// Calls `method` on `target` once per argument tuple and returns the results in order. The
    /// first error answer is raised (after every call ran).
    fn call_many<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyString>,
        method: &Bound<'py, PyString>,
        calls: &Bound<'py, PyAny>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let calls: Vec<Bound<'py, PyTuple>> = calls
            .try_iter()?
            .map(|a| a.and_then(|a| Ok(a.cast_into::<PyTuple>()?)))
            .collect::<PyResult<_>>()?;
        let results = calls
            .iter()
            .map(|args| self.call_member(py, target, method, args, owner));
        crate::client::results_or_first_error(py, results)
    }

    /// Makes each call of `calls` (tuples of target id, method name and argument tuple) in
    /// order, and returns per call `(True, value)` or `(False, exception)`: the calls of
    /// `ferry.batch` (in process, nothing to pipeline).
    fn call_mixed<'py>(
        &self,
        py: Python<'py>,
        calls: &Bound<'py, PyAny>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let calls = crate::client::mixed_calls(calls)?;
        let results = calls
            .iter()
            .map(|(target, method, args)| self.call_member(py, target, method, args, owner));
        crate::client::outcome_pairs(py, results)
    }

    /// Calls the public constructor of `fqn` that matches `args`.
    pub(crate) fn construct<'py>(
        &self,
        py: Python<'py>,
        fqn: &Bound<'py, PyString>,
        args: &Bound<'py, PyTuple>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check_connected(py, Some(owner))?;
        let engine = &self.owner.engine;
        let mut held = SmallVec::new();
        let mut fast: SmallVec<[Arg<'_>; 4]> = SmallVec::new();
        if direct_args(args, &self.owner, &mut held, &mut fast) {
            let name = fqn.to_str()?;
            let reply = in_java(py, |env| engine.construct_direct(env, name, &fast))?;
            if let Some(reply) = reply {
                count(&self.owner.commands);
                return Self::value(py, reply, owner, py.None().bind(py), fqn.as_any());
            }
        }
        let class = fqn.to_str()?.to_owned();
        let Args { values, raw, keep } = Args::of(args, owner)?;
        count(&self.owner.commands);
        let reply = in_java(py, |env| {
            run_command(env, engine, values, &raw, |args| Command::Construct {
                class,
                args,
            })
        })?;
        drop(keep);
        Self::value(py, reply, owner, py.None().bind(py), fqn.as_any())
    }

    /// The protocol of calls: always 2 (values are passed as ferry's values).
    #[pyo3(signature = (owner=None))]
    fn protocol(&self, owner: Option<&Bound<'_, PyAny>>) -> u8 {
        let _ = owner;
        2
    }

    /// The protocol negotiated: always 2.
    #[getter]
    fn negotiated(&self) -> Option<u8> {
        Some(2)
    }

    /// A Python value made into a Java object (see `Client.to_java`). A numpy array becomes a
    /// Java primitive array with one copy.
    #[pyo3(signature = (value, owner, deep=true))]
    fn to_java<'py>(
        &self,
        py: Python<'py>,
        value: &Bound<'py, PyAny>,
        owner: &Bound<'py, PyAny>,
        deep: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check_connected(py, Some(owner))?;
        let engine = &self.owner.engine;
        count(&self.owner.commands);
        let name = PyString::new(py, "to_java");
        if bulk::is_ndarray(value)? {
            let mut args = Args::default();
            args.push(value, owner)?;
            let Args {
                mut values,
                raw,
                keep,
            } = args;
            let reply = in_java(py, |env| {
                env.with_frame(4, |env| match materialize(env, engine, &mut values, &raw) {
                    Ok(mut ids) => match ids.pop() {
                        Some(id) => Reply::Success(Value::Ref(RefKind::Array, id)),
                        None => Reply::error_message("ferry.Py4JException: no array made"),
                    },
                    Err(e) => Reply::error_message(format!("ferry.Py4JException: {e}")),
                })
                .unwrap_or_else(|_| Reply::error_message("ferry.Py4JException: no frame"))
            })?;
            drop(keep);
            return Self::value(py, reply, owner, py.None().bind(py), name.as_any());
        }
        let mut out = Vec::with_capacity(64);
        let mut enc = Enc::new(Some(owner), 0);
        enc.deep = deep;
        bulk::bulk_value(value, &mut enc, &mut out, 0)?;
        let decoded = ferry_protocol::binary::decode_value(&out)
            .map_err(|e| PyValueError::new_err(format!("ferry cannot convert this value: {e}")))?;
        let outcome = in_java(py, |env| {
            engine.execute(env, Command::ToJava { value: decoded })
        })?;
        drop(enc);
        Self::value(
            py,
            outcome_reply(outcome),
            owner,
            py.None().bind(py),
            name.as_any(),
        )
    }

    /// The value of a Java object, deeply (see `Client.to_python`).
    fn to_python<'py>(
        &self,
        py: Python<'py>,
        target_id: &Bound<'py, PyString>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check_connected(py, Some(owner))?;
        let id = target_id.to_str()?.to_owned();
        let outcome = self.execute(py, Command::ToPython { id })?;
        let name = PyString::new(py, "to_python");
        Self::value(
            py,
            outcome_reply(outcome),
            owner,
            py.None().bind(py),
            name.as_any(),
        )
    }

    /// A Java primitive array as a numpy array, copied once, straight into the array's memory
    /// (a list of boxed numbers through its values).
    fn to_numpy<'py>(
        &self,
        py: Python<'py>,
        target_id: &Bound<'py, PyString>,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check_connected(py, Some(owner))?;
        let id = target_id.to_str()?;
        let engine = &self.owner.engine;
        let entry = engine.held(id);
        let found = match &entry {
            Some(e) => in_java(py, |env| primitive_array(env, e.object.local()))?,
            None => None,
        };
        if let (Some(entry), Some((elem, n))) = (entry, found) {
            let arr = py
                .import(intern!(py, "numpy"))?
                .call_method1(intern!(py, "empty"), (n, bulk::dtype_of(elem)))?;
            if n > 0 {
                let ptr = bulk::data_pointer(&arr)?;
                let len = n * elem.size();
                let copied = in_java(py, |env| {
                    // SAFETY: `arr` is a new C-contiguous numpy array of n elements of
                    // elem.size() bytes that no other code has seen yet; this thread keeps it
                    // alive (it is returned after) while the Java elements are copied into it.
                    let out = unsafe { std::slice::from_raw_parts_mut(ptr as *mut u8, len) };
                    // SAFETY: the object is a primitive array of element type elem (checked
                    // by primitive_array).
                    unsafe { env.primitive_array_into(entry.object.local(), jtype_of(elem), out) }
                        .is_ok()
                })?;
                if !copied {
                    return Err(hooks::get(py)?
                        .py4j_error(py, "cannot copy the Java array's elements".into()));
                }
            }
            return Ok(arr);
        }
        let outcome = self.execute(py, Command::ToPython { id: id.to_owned() })?;
        match outcome_reply(outcome) {
            Reply::Success(Value::Array(p) | Value::TypedList(p)) => {
                bulk::numpy_from_raw(py, p.elem, &p.data)
            }
            other => {
                let name = PyString::new(py, "to_numpy");
                Self::value(py, other, owner, py.None().bind(py), name.as_any())
            }
        }
    }

    /// Up to `max` next elements of a Java iterator (an empty list once it is exhausted).
    fn iterate<'py>(
        &self,
        py: Python<'py>,
        target_id: &Bound<'py, PyString>,
        max: u32,
        owner: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check_connected(py, Some(owner))?;
        let id = target_id.to_str()?.to_owned();
        let outcome = self.execute(py, Command::Iterate { id, max })?;
        let name = PyString::new(py, "iterate");
        Self::value(
            py,
            outcome_reply(outcome),
            owner,
            py.None().bind(py),
            name.as_any(),
        )
    }

    /// Runs an encoded command and returns `(kind, value)` (see `Client.request`).
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
        self.check_connected(py, Some(owner))?;
        let command = Self::decode(py, command.to_str()?)?;
        let reply = outcome_reply(self.execute(py, command)?);
        request_answer(py, reply, None, owner, target_id, name, raise_errors)
    }

    /// py4j's `send_command`: runs an encoded command and returns the answer text without its
    /// `!`.
    #[pyo3(signature = (command, retry=true, owner=None))]
    fn send_raw(
        &self,
        py: Python<'_>,
        command: &Bound<'_, PyString>,
        retry: bool,
        owner: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let _ = retry;
        self.check_connected(py, owner)?;
        let command = Self::decode(py, command.to_str()?)?;
        match self.execute(py, command)? {
            Outcome::Shutdown => {
                self.shutdown(py)?;
                Ok(String::new())
            }
            Outcome::Silent => Ok("y".into()),
            other => Ok(reply_text(&outcome_reply(other))),
        }
    }

    /// Runs a stream command (`S`); returns the answer text and, on success, a reader of the
    /// bytes the method's channel gave.
    #[pyo3(signature = (command, owner=None))]
    fn stream(
        &self,
        py: Python<'_>,
        command: &Bound<'_, PyString>,
        owner: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(String, Option<EmbeddedStream>)> {
        self.check_connected(py, owner)?;
        let command = Self::decode(py, command.to_str()?)?;
        let engine = &self.owner.engine;
        let (text, data) = in_java(py, |env| match engine.execute(env, command) {
            Outcome::Stream(channel) => {
                let mut data = Vec::new();
                let pumped = engine.pump_channel(env, &channel, &mut |chunk| {
                    data.extend_from_slice(chunk);
                    Ok(())
                });
                match pumped {
                    Ok(()) => ("yv".to_owned(), Some(data)),
                    Err(e) => (
                        reply_text(&Reply::error_message(format!(
                            "ferry.Py4JException: reading the channel failed: {e}"
                        ))),
                        None,
                    ),
                }
            }
            other => (reply_text(&outcome_reply(other)), None),
        })?;
        Ok((
            text,
            data.map(|d| EmbeddedStream {
                data: Mutex::new((d, 0)),
            }),
        ))
    }

    /// Releases an id now, whatever proxies remain (py4j's `detach`).
    fn detach(&self, py: Python<'_>, id: &Bound<'_, PyString>) -> PyResult<()> {
        let id = id.to_str()?;
        if is_permanent(id) || !self.memory_management {
            return Ok(());
        }
        self.owner.held.lock().remove(id);
        let owner = &self.owner;
        in_java(py, |_env| owner.release_now(id))
    }

    /// Nothing to send: releases are immediate.
    #[pyo3(signature = (owner=None))]
    fn flush_releases(&self, owner: Option<&Bound<'_, PyAny>>) {
        let _ = owner;
    }

    /// Checks that the gateway was not shut down.
    #[pyo3(signature = (owner=None))]
    fn ensure_connection(&self, py: Python<'_>, owner: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.check_connected(py, owner)
    }

    /// Nothing to close (no connection).
    fn close(&self) {}

    /// Shuts this gateway down: every Java object it holds is released and later calls fail.
    /// The JVM keeps running (a process holds one JVM); a new gateway can be made on it.
    #[pyo3(signature = (owner=None))]
    fn shutdown_gateway(&self, py: Python<'_>, owner: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let _ = owner;
        self.shutdown(py)
    }

    #[getter]
    fn get_has_converters(&self) -> bool {
        self.converters.load(Ordering::Relaxed)
    }

    #[setter]
    fn set_has_converters(&self, value: bool) {
        self.converters.store(value, Ordering::Relaxed);
    }

    #[getter]
    fn get_is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    #[setter]
    fn set_is_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Relaxed);
    }

    /// A forked child has no JVM threads: the gateway is unusable there.
    fn after_fork(&self) {
        self.connected.store(false, Ordering::Relaxed);
    }

    #[getter]
    fn get_forks_reported(&self) -> bool {
        self.forks_reported.load(Ordering::Relaxed)
    }

    #[setter]
    fn set_forks_reported(&self, reported: bool) {
        self.forks_reported.store(reported, Ordering::Relaxed);
    }

    /// The counters of `Client.stats` (no socket: no round trips, frames or connections).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("commands", self.owner.commands.load(Ordering::Relaxed))?;
        d.set_item("releases", self.owner.releases.load(Ordering::Relaxed))?;
        d.set_item("round_trips", 0)?;
        d.set_item("connections_opened", 0)?;
        d.set_item("idle_connections", 0)?;
        d.set_item("held_references", self.owner.held.lock().len())?;
        d.set_item("pending_releases", 0)?;
        d.set_item("frames", 0)?;
        d.set_item("refused_hellos", 0)?;
        d.set_item("protocol", 2)?;
        Ok(d)
    }

    /// No connection.
    fn connection_stats<'py>(&self, py: Python<'py>) -> Bound<'py, PyList> {
        PyList::empty(py)
    }

    /// `embedded`.
    #[getter]
    fn endpoint(&self) -> &'static str {
        "embedded"
    }
}
