//! The engine: runs decoded commands against the JVM and says what to answer.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use ferry_protocol::{
    ArrayCommand, CallTarget, Command, DirCommand, HelpTarget, ListCommand, RefKind, Reply, Value,
    ViewCommand,
};
use parking_lot::RwLock;

use crate::classes::{ClassInfo, ClassTable, Cx};
use crate::convert::{ArgError, from_java, object_value, to_java};
use crate::error::Failure;
use crate::jni_raw::{self, Env, Global, JResult, JType, JValue, JniError, Local};
use crate::known::Known;
use crate::registry::{Entry, Registry};
use crate::resolve::{ArgClass, Conv, Resolved, arg_cost, resolve_constructor, resolve_method};
use crate::views::View;

mod direct;
pub use direct::{Arg, CallSite, CallSites, Target};

/// Process-wide state: the well-known ids and the class table, shared by every engine.
pub struct Runtime {
    /// Well-known classes and ids.
    pub known: Known,
    /// Every class met.
    pub classes: ClassTable,
}

static RUNTIME: OnceLock<Arc<Runtime>> = OnceLock::new();

/// The process's runtime, made on first use. The first call must come from a thread whose class
/// loader sees ferry's glue classes (a native method of those classes, or the thread that
/// defined them).
pub fn runtime(env: &Env) -> JResult<Arc<Runtime>> {
    if let Some(r) = RUNTIME.get() {
        return Ok(r.clone());
    }
    jni_raw::set_vm(env.java_vm()?);
    let rt = Arc::new(Runtime {
        known: Known::load(env)?,
        classes: ClassTable::default(),
    });
    let _ = RUNTIME.set(rt);
    Ok(RUNTIME.get().expect("set above").clone())
}

/// What the transport must do after a command.
#[derive(Debug)]
pub enum Outcome {
    /// Write this reply.
    Reply(Reply),
    /// Write this fatal reply and close the connection.
    Fatal(String),
    /// Write `!yv`, then the bytes of this `ReadableByteChannel` (see [`Engine::pump_channel`]).
    Stream(Global),
    /// Shut the whole server down (no reply).
    Shutdown,
    /// Nothing to answer (a notice).
    Silent,
    /// Close the server connections whose ports match (no reply).
    Cancel {
        /// Client address line.
        address: String,
        /// Remote port line.
        remote_port: String,
        /// Local port line.
        local_port: String,
    },
}

/// Classes of the values a client sends by value.
struct ValueClasses {
    boolean: Arc<ClassInfo>,
    integer: Arc<ClassInfo>,
    long: Arc<ClassInfo>,
    double: Arc<ClassInfo>,
    float: Arc<ClassInfo>,
    string: Arc<ClassInfo>,
    big_decimal: Arc<ClassInfo>,
    bytes: Arc<ClassInfo>,
}

/// One gateway's engine: its registry of objects and its JVM views.
pub struct Engine {
    rt: Arc<Runtime>,
    registry: Registry,
    /// The handle the Java proxies of Python objects call back through (0: no callbacks).
    proxy_owner: std::sync::atomic::AtomicI64,
    views: RwLock<HashMap<String, Arc<View>>>,
    values: ValueClasses,
}

/// Id of the default view.
const DEFAULT_VIEW: &str = "j";

impl Engine {
    /// A new engine with `entry_point` bound to `t` (when not null) and `server` to
    /// `GATEWAY_SERVER` (when not null).
    pub fn new(env: &Env, entry_point: Local, server: Local) -> JResult<Engine> {
        let rt = runtime(env)?;
        let values = {
            let cx = Cx {
                env,
                known: &rt.known,
                table: &rt.classes,
            };
            ValueClasses {
                boolean: cx.class_info(rt.known.boolean.local())?,
                integer: cx.class_info(rt.known.integer.local())?,
                long: cx.class_info(rt.known.long.local())?,
                double: cx.class_info(rt.known.double.local())?,
                float: cx.class_info(rt.known.float.local())?,
                string: cx.class_info(rt.known.string.local())?,
                big_decimal: cx.class_info(rt.known.big_decimal.local())?,
                bytes: cx.class_info(rt.known.byte_array.local())?,
            }
        };
        let engine = Engine {
            rt,
            registry: Registry::default(),
            proxy_owner: std::sync::atomic::AtomicI64::new(0),
            views: RwLock::new(HashMap::new()),
            values,
        };
        if !entry_point.is_null() {
            engine
                .registry
                .insert_as(ferry_protocol::ENTRY_POINT_ID, env.new_global(entry_point)?);
        }
        if !server.is_null() {
            engine
                .registry
                .insert_as(ferry_protocol::GATEWAY_SERVER_ID, env.new_global(server)?);
        }
        engine.make_default_view(env)?;
        Ok(engine)
    }

    fn make_default_view(&self, env: &Env) -> JResult<()> {
        let global = env.with_frame(4, |env| -> JResult<Global> {
            let v = self.rt.known.new_jvm_view(env, "default")?;
            env.new_global(v)
        })??;
        self.registry.insert_as(DEFAULT_VIEW, global);
        self.views
            .write()
            .insert(DEFAULT_VIEW.to_owned(), Arc::new(View::new()));
        Ok(())
    }

    /// Lets Python objects passed as arguments become Java proxies whose calls go through
    /// `owner` (the server's native handle, given to `ferry.PythonProxyHandler`). This is the seam
    /// between the engine and the transport that carries callbacks.
    pub fn set_proxy_owner(&self, owner: i64) {
        self.proxy_owner
            .store(owner, std::sync::atomic::Ordering::Release);
    }

    /// The handle given by [`Engine::set_proxy_owner`] (0 if none).
    pub fn proxy_owner(&self) -> i64 {
        self.proxy_owner.load(std::sync::atomic::Ordering::Acquire)
    }

    /// A Java proxy for a Python object (the `f` value).
    pub fn python_proxy(
        &self,
        env: &Env,
        id: &str,
        interfaces: &[String],
    ) -> Result<Local, Failure> {
        let owner = self.proxy_owner.load(std::sync::atomic::Ordering::Acquire);
        if owner == 0 {
            return Err(python_proxy_failure());
        }
        let cx = self.cx(env);
        let class_class = self.rt.known.class.local();
        let array = env
            .new_object_array(interfaces.len() as i32, class_class)
            .map_err(Failure::internal)?;
        for (i, name) in interfaces.iter().enumerate() {
            let c = self.class_named(&cx, name)?;
            if !c.is_interface {
                return Err(Failure::Message(format!(
                    "{name} is not an interface: a Python object can only implement interfaces"
                )));
            }
            env.set_object_element(array, i as i32, c.class.local())
                .map_err(Failure::internal)?;
        }
        self.rt
            .known
            .new_python_proxy(env, owner, id, array)
            .map_err(Failure::thrown)
    }

    /// Replaces Python objects among `args` by references to new Java proxies, held under
    /// temporary ids that the returned guard releases after the call.
    fn prepare<'a>(
        &'a self,
        env: &Env,
        args: &'a [Value],
    ) -> Result<(std::borrow::Cow<'a, [Value]>, TempIds<'a>), Failure> {
        let mut temp = TempIds {
            registry: &self.registry,
            ids: Vec::new(),
        };
        if !args.iter().any(|a| matches!(a, Value::PythonProxy { .. })) {
            return Ok((std::borrow::Cow::Borrowed(args), temp));
        }
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            match a {
                Value::PythonProxy { id, interfaces } => {
                    let proxy = self.python_proxy(env, id, interfaces)?;
                    let rid = self.register(env, proxy).map_err(Failure::internal)?;
                    temp.ids.push(rid.clone());
                    out.push(Value::Ref(RefKind::Object, rid));
                }
                other => out.push(other.clone()),
            }
        }
        Ok((std::borrow::Cow::Owned(out), temp))
    }

    /// The registry of held objects.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The process-wide runtime.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.rt
    }

    pub(crate) fn cx<'a>(&'a self, env: &'a Env) -> Cx<'a> {
        Cx {
            env,
            known: &self.rt.known,
            table: &self.rt.classes,
        }
    }

    /// Releases every held object and view (the server is shutting down).
    pub fn clear(&self) {
        self.registry.clear();
        self.views.write().clear();
    }

    /// A `java.util.HashMap` snapshot of the bindings, id to object.
    pub fn bindings_map(&self, env: &Env) -> JResult<Local> {
        let k = &self.rt.known;
        let map = k.new_hash_map(env)?;
        for (id, entry) in self.registry.snapshot() {
            env.with_frame(4, |env| -> JResult<()> {
                let key = env.new_string(&id)?;
                k.hash_map_put(env, map, key, entry.object.local())
            })??;
        }
        Ok(map)
    }

    /// Holds an object under a new id.
    pub fn register(&self, env: &Env, obj: Local) -> JResult<String> {
        Ok(self.registry.insert(env.new_global(obj)?))
    }

    /// Runs one command. Never panics on bad input; the transport catches panics from bugs.
    pub fn execute(&self, env: &Env, cmd: Command) -> Outcome {
        match env.with_frame(16, |env| self.dispatch(env, cmd)) {
            Ok(outcome) => outcome,
            Err(e) => Outcome::Reply(self.failure_reply(env, Failure::from_jni(e))),
        }
    }

    fn dispatch(&self, env: &Env, cmd: Command) -> Outcome {
        crate::fault::point("engine.execute");
        let result = match cmd {
            Command::Call {
                target,
                method,
                args,
            } => self.call(env, &target, &method, &args),
            Command::Stream {
                target,
                method,
                args,
            } => return self.stream(env, &target, &method, &args),
            Command::Construct { class, args } => self.construct(env, &class, &args),
            Command::FieldGet { target, field } => self.field_get(env, &target, &field),
            Command::FieldSet {
                target,
                field,
                value,
            } => self.field_set(env, &target, &field, &value),
            Command::ReflectUnknown { name, view } => self.reflect_unknown(env, &name, &view),
            Command::ReflectMember { class, member } => self.reflect_member(env, &class, &member),
            Command::ReflectClass { class } => self.reflect_class(env, &class),
            Command::Array(a) => self.array(env, a),
            Command::List(l) => self.list(env, l),
            Command::MemoryDelete { id } => {
                self.registry.remove(&id);
                self.views.write().remove(&id);
                Ok(Reply::VOID)
            }
            Command::MemoryAttach { .. } => {
                Err(Failure::Message("Unknown Memory SubCommand Name: a".into()))
            }
            Command::View(v) => self.view(env, v),
            Command::Dir(d) => self.dir(env, d),
            Command::Help {
                target,
                pattern,
                short_name,
            } => self.help(env, target, pattern.as_deref(), short_name),
            Command::ExceptionTrace { id } => self.exception_trace(env, &id),
            Command::Shutdown => return Outcome::Shutdown,
            Command::Cancel {
                address,
                remote_port,
                local_port,
            } => {
                return Outcome::Cancel {
                    address,
                    remote_port,
                    local_port,
                };
            }
            Command::Auth { .. } => {
                return Outcome::Fatal("Unknown command received: A".into());
            }
            Command::Release { ids } => {
                for id in &ids {
                    self.registry.remove(id);
                    self.views.write().remove(id);
                }
                return Outcome::Silent;
            }
            Command::ToPython { id } => self.to_python(env, &id),
            Command::Iterate { id, max } => self.iterate(env, &id, max),
            Command::ToJava { value } => self.to_java_ref(env, &value),
        };
        match result {
            Ok(reply) => Outcome::Reply(reply),
            Err(Failure::Fatal(msg)) => Outcome::Fatal(msg),
            Err(Failure::FatalThrown(t)) => Outcome::Fatal(
                self.rt
                    .known
                    .stack_trace(env, t)
                    .unwrap_or_else(|_| "java.lang.Throwable".into()),
            ),
            Err(f) => Outcome::Reply(self.failure_reply(env, f)),
        }
    }

    /// The one place failures become replies.
    fn failure_reply(&self, env: &Env, f: Failure) -> Reply {
        match f {
            Failure::Thrown(t) => match self.register(env, t) {
                Ok(id) => Reply::Error(Some(Value::Ref(RefKind::Object, id))),
                Err(_) => Reply::error_message(
                    "ferry.Py4JException: an exception was thrown and could not be held",
                ),
            },
            Failure::Internal(t) => {
                let trace = self
                    .rt
                    .known
                    .stack_trace(env, t)
                    .unwrap_or_else(|_| "java.lang.Throwable".into());
                Reply::error_message(format!("ferry.Py4JException: {trace}"))
            }
            Failure::Message(m) => Reply::error_message(format!("ferry.Py4JException: {m}")),
            Failure::Bare => Reply::Error(None),
            Failure::Fatal(m) => Reply::Fatal(m),
            Failure::FatalThrown(t) => Reply::Fatal(
                self.rt
                    .known
                    .stack_trace(env, t)
                    .unwrap_or_else(|_| "java.lang.Throwable".into()),
            ),
        }
    }

    fn entry(&self, id: &str) -> Result<Arc<Entry>, Failure> {
        self.registry.get(id).ok_or_else(|| {
            Failure::Message(format!(
                "Target Object ID does not exist for this gateway: {id}"
            ))
        })
    }

    fn entry_class(&self, cx: &Cx, entry: &Entry) -> Result<Arc<ClassInfo>, Failure> {
        if let Some(c) = entry.class.get() {
            return Ok(c.clone());
        }
        let c = cx
            .class_of(entry.object.local())
            .map_err(Failure::internal)?;
        Ok(entry.class.get_or_init(|| c).clone())
    }

    fn arg_classes(
        &self,
        cx: &Cx,
        args: &[Value],
    ) -> Result<smallvec::SmallVec<[ArgClass; 4]>, Failure> {
        args.iter()
            .map(|v| {
                Ok(match v {
                    Value::Null | Value::Void => None,
                    Value::Bool(_) => Some(self.values.boolean.clone()),
                    Value::Int(_) => Some(self.values.integer.clone()),
                    Value::Long(_) => Some(self.values.long.clone()),
                    Value::Double(_) => Some(self.values.double.clone()),
                    Value::Float(_) => Some(self.values.float.clone()),
                    Value::Decimal(_) => Some(self.values.big_decimal.clone()),
                    Value::String(_) => Some(self.values.string.clone()),
                    Value::Bytes(_) => Some(self.values.bytes.clone()),
                    Value::Ref(_, id) => Some(self.entry_class(cx, &*self.entry(id)?)?),
                    Value::PythonProxy { .. } => return Err(python_proxy_failure()),
                    Value::Char(_)
                    | Value::BigInteger(_)
                    | Value::List(_)
                    | Value::Set(_)
                    | Value::Map(_)
                    | Value::TypedList(_)
                    | Value::Array(_)
                    | Value::Temporal(..) => {
                        crate::bulk::bulk_class(cx, v).map_err(Failure::internal)?
                    }
                })
            })
            .collect()
    }

    fn list_elems(
        &self,
        cx: &Cx,
        args: &[Value],
    ) -> Result<smallvec::SmallVec<[crate::resolve::ListElems; 4]>, Failure> {
        args.iter()
            .map(|a| crate::bulk::list_elems(cx, a).map_err(Failure::internal))
            .collect()
    }

    /// Converts the arguments for a resolved method, packing varargs into their array.
    fn make_args(
        &self,
        cx: &Cx,
        resolved: &Resolved,
        args: &[Value],
    ) -> Result<smallvec::SmallVec<[jni::sys::jvalue; 4]>, Failure> {
        let m = &resolved.method;
        let mut out = smallvec::SmallVec::with_capacity(m.params.len());
        let fixed = resolved.convs.len();
        for ((v, p), conv) in args.iter().zip(&m.params).zip(&resolved.convs) {
            out.push(
                to_java(cx, &self.registry, v, p, *conv)
                    .map_err(arg_failure)?
                    .to_jvalue(),
            );
        }
        if let Some(tail_convs) = &resolved.varargs {
            let array_class = &m.params[fixed];
            let component = array_class
                .component
                .clone()
                .ok_or_else(|| Failure::Message("varargs parameter is not an array".into()))?;
            let tail = &args[fixed..];
            let array = new_array(cx, &component, tail.len() as i32).map_err(Failure::internal)?;
            for (i, (v, conv)) in tail.iter().zip(tail_convs).enumerate() {
                let jv = to_java(cx, &self.registry, v, &component, *conv).map_err(arg_failure)?;
                store(cx, array, &component, i as i32, jv).map_err(Failure::internal)?;
            }
            out.push(JValue::Object(array).to_jvalue());
        }
        Ok(out)
    }

    fn no_method(name: &str, args: &[ArgClass]) -> Failure {
        Failure::Message(format!(
            "Method {name}({}) does not exist",
            describe_args(args)
        ))
    }

    fn invoke(
        &self,
        cx: &Cx,
        target: &CallTarget,
        method: &str,
        args: &[Value],
    ) -> Result<JValue, Failure> {
        match target {
            CallTarget::Object(id) => {
                // The entry, held until the call returns, keeps its global reference alive even
                // if another thread releases the id meanwhile: no local reference is needed.
                let entry = self.entry(id)?;
                let class = self.entry_class(cx, &entry)?;
                self.invoke_on(cx, Some(entry.object.local()), &class, method, args)
            }
            CallTarget::Static(fqn) => {
                let class = self.class_named(cx, fqn)?;
                self.invoke_on(cx, None, &class, method, args)
            }
        }
    }

    /// Calls `method` on `obj` (or a static method of `class` when `obj` is None).
    fn invoke_on(
        &self,
        cx: &Cx,
        obj: Option<Local>,
        class: &Arc<ClassInfo>,
        method: &str,
        args: &[Value],
    ) -> Result<JValue, Failure> {
        let (args, _temp) = self.prepare(cx.env, args)?;
        let args = &*args;
        let classes = self.arg_classes(cx, args)?;
        let listy = self.list_elems(cx, args)?;
        let resolved = resolve_method(cx, class, method, &classes, &listy)
            .map_err(Failure::internal)?
            .ok_or_else(|| Self::no_method(method, &classes))?;
        let jargs = self.make_args(cx, &resolved, args)?;
        let m = &resolved.method;
        let ret = m.ret_type();
        let result = if m.is_static {
            // SAFETY: m was resolved among the methods of `class` and its supertypes, with
            // `jargs` converted to its parameter types one by one; `ret` is its result type.
            unsafe { cx.env.call_static(class.class.local(), m.id, ret, &jargs) }
        } else {
            let Some(obj) = obj else {
                return Err(Failure::Message(format!(
                    "Method {method}({}) is not static; call it on an instance",
                    describe_args(&classes)
                )));
            };
            // SAFETY: as above; `obj` is an instance of `class`, which declares or inherits m.
            unsafe { cx.env.call_method(obj, m.id, ret, &jargs) }
        };
        result.map_err(Failure::thrown)
    }

    /// The object held under `id`, for callers that call it often (the embedded mode keeps one
    /// per Python proxy and skips the id lookup).
    pub fn held(&self, id: &str) -> Option<Arc<Entry>> {
        self.registry.get(id)
    }

    /// Calls `method` on a held object, as a `c` command would, without the command: no id
    /// lookup and no local frame of its own (the caller runs it inside one, see
    /// [`Env::with_frame`]).
    pub fn call_held(&self, env: &Env, entry: &Entry, method: &str, args: &[Value]) -> Reply {
        let cx = self.cx(env);
        let result = self
            .entry_class(&cx, entry)
            .and_then(|class| self.invoke_on(&cx, Some(entry.object.local()), &class, method, args))
            .and_then(|v| from_java(&cx, &self.registry, v).map_err(Failure::internal));
        match result {
            Ok(v) => Reply::Success(v),
            Err(Failure::Fatal(m)) => Reply::Fatal(m),
            Err(f) => self.failure_reply(env, f),
        }
    }

    fn call(
        &self,
        env: &Env,
        target: &CallTarget,
        method: &str,
        args: &[Value],
    ) -> Result<Reply, Failure> {
        let cx = self.cx(env);
        let v = self.invoke(&cx, target, method, args)?;
        let value = from_java(&cx, &self.registry, v).map_err(Failure::internal)?;
        Ok(Reply::Success(value))
    }

    fn stream(&self, env: &Env, target: &CallTarget, method: &str, args: &[Value]) -> Outcome {
        let cx = self.cx(env);
        let result = self.invoke(&cx, target, method, args).and_then(|v| match v {
            JValue::Object(o) if !o.is_null() => {
                if env.is_instance_of(o, self.rt.known.readable_channel.local()) {
                    env.new_global(o).map_err(Failure::internal)
                } else {
                    Err(Failure::Message(
                        "java.lang.ClassCastException: expected the method to return a ReadableByteChannel".into(),
                    ))
                }
            }
            _ => Err(Failure::Message(
                "java.lang.ClassCastException: expected the method to return an Object".into(),
            )),
        });
        match result {
            Ok(channel) => Outcome::Stream(channel),
            Err(f) => Outcome::Reply(self.failure_reply(env, f)),
        }
    }

    /// Reads a channel returned by a stream command to its end, handing each chunk to `sink`,
    /// then closes it. Returns the sink's error if it fails.
    pub fn pump_channel(
        &self,
        env: &Env,
        channel: &Global,
        sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let k = &self.rt.known;
        let mut buf = vec![0u8; 64 * 1024];
        let outcome = env.with_frame(8, |env| -> std::io::Result<()> {
            // SAFETY: buf outlives the direct buffer: both live until the end of this closure,
            // and the channel is closed before it returns.
            let bb = unsafe { env.new_direct_byte_buffer(buf.as_mut_ptr(), buf.len()) }
                .map_err(|_| std::io::Error::other("cannot make a direct buffer"))?;
            let result = loop {
                if k.buffer_clear(env, bb).is_err() {
                    break Err(std::io::Error::other("Buffer.clear failed"));
                }
                match k.channel_read(env, channel.local(), bb) {
                    Ok(n) if n < 0 => break Ok(()),
                    Ok(n) => {
                        if let Err(e) = sink(&buf[..n as usize]) {
                            break Err(e);
                        }
                    }
                    Err(_) => break Err(std::io::Error::other("reading the channel threw")),
                }
            };
            let _ = k.channel_close(env, channel.local());
            result
        });
        outcome.unwrap_or_else(|_| Err(std::io::Error::other("no local frame")))
    }

    fn class_named(&self, cx: &Cx, fqn: &str) -> Result<Arc<ClassInfo>, Failure> {
        cx.class_by_name(fqn).map_err(|e| match e {
            JniError::Thrown(t) => Failure::Internal(t),
            JniError::Failed(m) => Failure::Message(m.into()),
        })
    }

    fn construct(&self, env: &Env, fqn: &str, args: &[Value]) -> Result<Reply, Failure> {
        let cx = self.cx(env);
        let class = self.class_named(&cx, fqn)?;
        let (args, _temp) = self.prepare(env, args)?;
        let args = &*args;
        let classes = self.arg_classes(&cx, args)?;
        let listy = self.list_elems(&cx, args)?;
        let resolved = resolve_constructor(&cx, &class, &classes, &listy)
            .map_err(Failure::internal)?
            .ok_or_else(|| {
                Failure::Message(format!(
                    "Constructor {fqn}({}) does not exist",
                    describe_args(&classes)
                ))
            })?;
        let jargs = self.make_args(&cx, &resolved, args)?;
        // SAFETY: the constructor was resolved among `class`'s own constructors with `jargs`
        // converted to its parameter types.
        let obj = unsafe { env.new_object(class.class.local(), resolved.method.id, &jargs) }
            .map_err(Failure::thrown)?;
        Ok(Reply::Success(
            object_value(&cx, &self.registry, obj).map_err(Failure::internal)?,
        ))
    }

    fn field_get(&self, env: &Env, target: &str, name: &str) -> Result<Reply, Failure> {
        let cx = self.cx(env);
        let entry = self.entry(target)?;
        let class = self.entry_class(&cx, &entry)?;
        let Some(field) = class.field(&cx, name).map_err(Failure::internal)? else {
            return Ok(Reply::NoMember);
        };
        let v = if field.is_static {
            // SAFETY: field is a static field of class, read with its own type.
            unsafe { env.get_static_field(class.class.local(), field.id, field.ty.jtype()) }
                .map_err(Failure::internal)?
        } else {
            // SAFETY: field is an instance field of the object's class, read with its own type.
            unsafe { env.get_field(entry.object.local(), field.id, field.ty.jtype()) }
        };
        Ok(Reply::Success(
            from_java(&cx, &self.registry, v).map_err(Failure::internal)?,
        ))
    }

    fn field_set(
        &self,
        env: &Env,
        target: &str,
        name: &str,
        value: &Value,
    ) -> Result<Reply, Failure> {
        let cx = self.cx(env);
        let entry = self.entry(target)?;
        let class = self.entry_class(&cx, &entry)?;
        let Some(field) = class.field(&cx, name).map_err(Failure::internal)? else {
            return Ok(Reply::NoMember);
        };
        if field.is_static || field.is_final {
            return Err(Failure::Message(format!(
                "java.lang.IllegalAccessException: cannot set {} field {}",
                if field.is_final { "final" } else { "static" },
                name
            )));
        }
        let jv = self.convert_for_field(&cx, value, &field.ty)?;
        // SAFETY: field is a non-final instance field of the object's class and jv was converted
        // to its type (checked assignable for references).
        unsafe { env.set_field(entry.object.local(), field.id, jv) };
        Ok(Reply::VOID)
    }

    /// Converts a value to a declared type with the overload rules (both phases), for fields and
    /// array elements.
    pub(crate) fn convert_value(
        &self,
        cx: &Cx,
        value: &Value,
        ty: &Arc<ClassInfo>,
    ) -> Result<JValue, Failure> {
        self.convert_to(cx, value, ty)
    }

    fn convert_to(&self, cx: &Cx, value: &Value, ty: &Arc<ClassInfo>) -> Result<JValue, Failure> {
        let (prepared, _temp) = self.prepare(cx.env, std::slice::from_ref(value))?;
        let value = &prepared[0];
        let classes = self.arg_classes(cx, std::slice::from_ref(value))?;
        let arg = &classes[0];
        let conv = arg_cost(cx, ty, arg)
            .or_else(|| widen(arg, ty))
            .map(|(_, c)| c)
            .ok_or_else(|| {
                Failure::Message(format!(
                    "java.lang.IllegalArgumentException: cannot convert {} to {}",
                    describe_args(&classes),
                    ty.name
                ))
            })?;
        to_java(cx, &self.registry, value, ty, conv).map_err(arg_failure)
    }

    /// Converts a value for a field write with `Field.set`'s rules, as Py4J does: unboxing and
    /// widening primitive conversions only (no str -> char, no int -> short).
    fn convert_for_field(
        &self,
        cx: &Cx,
        value: &Value,
        ty: &Arc<ClassInfo>,
    ) -> Result<JValue, Failure> {
        let (prepared, _temp) = self.prepare(cx.env, std::slice::from_ref(value))?;
        let value = &prepared[0];
        let classes = self.arg_classes(cx, std::slice::from_ref(value))?;
        // Py4J's Field.set failure escapes its command handler: a fatal reply.
        let refused = || {
            Failure::Fatal(format!(
                "java.lang.IllegalArgumentException: cannot set a {} field to {}",
                ty.name,
                describe_args(&classes)
            ))
        };
        let conv = match (&classes[0], ty.primitive) {
            (None, Some(_)) => return Err(refused()),
            (None, None) => Conv::Same,
            (Some(arg), Some(p)) => {
                let from = arg.boxes.ok_or_else(refused)?;
                if !widens(from, p) {
                    return Err(refused());
                }
                match p {
                    JType::Long if from != JType::Long => Conv::ToLong,
                    JType::Double if from != JType::Double => Conv::ToDouble,
                    JType::Float if from != JType::Float => Conv::ToFloat,
                    _ => Conv::Same,
                }
            }
            (Some(arg), None) => {
                if !cx
                    .env
                    .is_assignable_from(arg.class.local(), ty.class.local())
                {
                    return Err(refused());
                }
                Conv::Same
            }
        };
        to_java(cx, &self.registry, value, ty, conv).map_err(arg_failure)
    }

    fn view_of(&self, view_line: &str) -> Result<Arc<View>, Failure> {
        let id = view_line.strip_prefix('r').unwrap_or(view_line);
        self.views
            .read()
            .get(id)
            .cloned()
            .ok_or_else(|| Failure::Message(format!("JVM view {view_line} does not exist")))
    }

    /// Py4J's `TypeUtil.forName(name, view)`.
    fn class_in_view(
        &self,
        cx: &Cx,
        name: &str,
        view: &View,
    ) -> Result<Option<Arc<ClassInfo>>, Failure> {
        if let Some(p) = primitive_class(cx, name).map_err(Failure::internal)? {
            return Ok(Some(p));
        }
        let try_load = |n: &str| -> Result<Option<Arc<ClassInfo>>, Failure> {
            match cx.class_by_name(n) {
                Ok(c) => Ok(Some(c)),
                Err(JniError::Thrown(t)) => {
                    if cx.env.is_instance_of(t, class_not_found(cx)?.local()) {
                        Ok(None)
                    } else {
                        Err(Failure::Internal(t))
                    }
                }
                Err(JniError::Failed(m)) => Err(Failure::Message(m.into())),
            }
        };
        if name.contains('.') {
            return try_load(name);
        }
        if let Some(c) = try_load(name)? {
            return Ok(Some(c));
        }
        let (single, stars) = view.lookup(name);
        if let Some(fqn) = single {
            return try_load(&fqn);
        }
        for pkg in stars {
            if let Some(c) = try_load(&format!("{pkg}.{name}"))? {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    fn reflect_unknown(&self, env: &Env, name: &str, view_line: &str) -> Result<Reply, Failure> {
        let cx = self.cx(env);
        let view = self.view_of(view_line)?;
        Ok(match self.class_in_view(&cx, name, &view)? {
            Some(c) => Reply::Class(Some(c.name.clone())),
            None => Reply::Package,
        })
    }

    fn reflect_member(&self, env: &Env, fqn: &str, member: &str) -> Result<Reply, Failure> {
        let cx = self.cx(env);
        let class = match primitive_class(&cx, fqn).map_err(Failure::internal)? {
            Some(c) => c,
            None => self.class_named(&cx, fqn).map_err(|_| Failure::Bare)?,
        };
        if let Some(field) = class.field(&cx, member).map_err(|_| Failure::Bare)?
            && field.is_static
        {
            // SAFETY: a static field of class, read with its own type.
            let v =
                unsafe { env.get_static_field(class.class.local(), field.id, field.ty.jtype()) }
                    .map_err(|_| Failure::Bare)?;
            return Ok(Reply::Success(
                from_java(&cx, &self.registry, v).map_err(Failure::internal)?,
            ));
        }
        let methods = class.public_methods(&cx).map_err(|_| Failure::Bare)?;
        let named: Vec<_> = methods.iter().filter(|m| m.name == member).collect();
        if !named.is_empty() {
            // Py4J looks only at the first public method of that name; ferry answers "static
            // method" whenever a static one exists, so `Double.isNaN` works (ferry is more
            // permissive here, on purpose).
            if named.iter().any(|m| m.is_static) {
                return Ok(Reply::StaticMethod);
            }
            return Err(Failure::Message(
                "Trying to access a non-static member from a static context.".into(),
            ));
        }
        let classes = cx.member_classes(&class).map_err(|_| Failure::Bare)?;
        if classes.iter().any(|(n, _)| n == member) {
            return Ok(Reply::Class(None));
        }
        Err(Failure::Bare)
    }

    fn reflect_class(&self, env: &Env, fqn: &str) -> Result<Reply, Failure> {
        let cx = self.cx(env);
        let class = match primitive_class(&cx, fqn).map_err(Failure::internal)? {
            Some(c) => c,
            None => match cx.class_by_name(fqn) {
                Ok(c) => c,
                Err(JniError::Thrown(_)) => {
                    return Err(Failure::Message(format!("The class {fqn} does not exist.")));
                }
                Err(JniError::Failed(_)) => return Err(Failure::Bare),
            },
        };
        let id = self
            .register(env, class.class.local())
            .map_err(Failure::internal)?;
        Ok(Reply::Success(Value::Ref(RefKind::Object, id)))
    }

    fn array_entry(&self, cx: &Cx, id: &str) -> Result<(Arc<Entry>, Arc<ClassInfo>), Failure> {
        let entry = self.entry(id)?;
        let class = self.entry_class(cx, &entry)?;
        if !class.is_array {
            // Py4J's array command casts and fails outside any handler: a fatal error.
            return Err(Failure::Fatal(format!(
                "java.lang.ClassCastException: {id} is not an array"
            )));
        }
        Ok((entry, class))
    }

    fn array(&self, env: &Env, cmd: ArrayCommand) -> Result<Reply, Failure> {
        let cx = self.cx(env);
        match cmd {
            ArrayCommand::Create { component, dims } => {
                let comp = match primitive_class(&cx, &component).map_err(Failure::internal)? {
                    Some(c) => c,
                    None => self.class_named(&cx, &component)?,
                };
                let dims: Vec<i32> = dims.iter().map(int_arg).collect::<Result<_, _>>()?;
                let a = self
                    .rt
                    .known
                    .new_array(env, comp.class.local(), &dims)
                    .map_err(Failure::internal)?;
                Ok(Reply::Success(
                    object_value(&cx, &self.registry, a).map_err(Failure::internal)?,
                ))
            }
            ArrayCommand::Get { array, index } => {
                let (entry, class) = self.array_entry(&cx, &array)?;
                let i = int_arg(&index)?;
                let comp = class.component.clone().ok_or(Failure::Bare)?;
                // Out of bounds escapes Py4J's array command: a fatal reply.
                let v = load(&cx, entry.object.local(), &comp, i).map_err(fatal_failure)?;
                Ok(Reply::Success(
                    from_java(&cx, &self.registry, v).map_err(Failure::internal)?,
                ))
            }
            ArrayCommand::Set {
                array,
                index,
                value,
            } => {
                let (entry, class) = self.array_entry(&cx, &array)?;
                let i = int_arg(&index)?;
                let comp = class.component.clone().ok_or(Failure::Bare)?;
                let jv = self.convert_to(&cx, &value, &comp).map_err(|f| match f {
                    Failure::Message(m) => Failure::Fatal(m),
                    other => other,
                })?;
                store(&cx, entry.object.local(), &comp, i, jv).map_err(fatal_failure)?;
                Ok(Reply::VOID)
            }
            ArrayCommand::Slice { array, indices } => {
                let (entry, class) = self.array_entry(&cx, &array)?;
                let comp = class.component.clone().ok_or(Failure::Bare)?;
                let indices: Vec<i32> = indices.iter().map(int_arg).collect::<Result<_, _>>()?;
                let out = new_array(&cx, &comp, indices.len() as i32).map_err(Failure::internal)?;
                for (j, i) in indices.iter().enumerate() {
                    let v =
                        load(&cx, entry.object.local(), &comp, *i).map_err(Failure::internal)?;
                    store(&cx, out, &comp, j as i32, v).map_err(Failure::internal)?;
                }
                Ok(Reply::Success(
                    object_value(&cx, &self.registry, out).map_err(Failure::internal)?,
                ))
            }
            ArrayCommand::Len { array } => {
                let (entry, _) = self.array_entry(&cx, &array)?;
                Ok(Reply::Success(Value::Int(
                    env.array_length(entry.object.local()),
                )))
            }
        }
    }

    fn list_entry(&self, cx: &Cx, id: &str) -> Result<Local, Failure> {
        let entry = self.entry(id)?;
        let obj = entry.object.local();
        if !cx.env.is_instance_of(obj, self.rt.known.list.local()) {
            return Err(Failure::Fatal(format!(
                "java.lang.ClassCastException: {id} is not a java.util.List"
            )));
        }
        cx.env.new_local_of(obj).map_err(Failure::internal)
    }

    fn list(&self, env: &Env, cmd: ListCommand) -> Result<Reply, Failure> {
        let cx = self.cx(env);
        let k = &self.rt.known;
        let new_list = |l: Local| -> Result<Reply, Failure> {
            Ok(Reply::Success(
                object_value(&cx, &self.registry, l).map_err(Failure::internal)?,
            ))
        };
        match cmd {
            ListCommand::Sort(id) => {
                let l = self.list_entry(&cx, &id)?;
                k.sort(env, l).map_err(Failure::thrown)?;
                Ok(Reply::VOID)
            }
            ListCommand::Reverse(id) => {
                let l = self.list_entry(&cx, &id)?;
                k.reverse(env, l).map_err(Failure::thrown)?;
                Ok(Reply::VOID)
            }
            ListCommand::Max(ref id) | ListCommand::Min(ref id) => {
                let is_max = matches!(cmd, ListCommand::Max(_));
                let l = self.list_entry(&cx, id)?;
                let v =
                    if is_max { k.max(env, l) } else { k.min(env, l) }.map_err(Failure::thrown)?;
                Ok(Reply::Success(
                    object_value(&cx, &self.registry, v).map_err(Failure::internal)?,
                ))
            }
            ListCommand::Slice { list, indices } => {
                let l = self.list_entry(&cx, &list)?;
                let out = k.new_array_list(env).map_err(Failure::internal)?;
                for i in &indices {
                    let e = k.list_get(env, l, int_arg(i)?).map_err(Failure::thrown)?;
                    k.array_list_add(env, out, e).map_err(Failure::internal)?;
                    env.delete_local(e);
                }
                new_list(out)
            }
            ListCommand::Concat { list, other } => {
                let a = self.list_entry(&cx, &list)?;
                let b = self.list_entry(&cx, &other)?;
                let out = k.new_array_list_from(env, a).map_err(Failure::thrown)?;
                k.add_all(env, out, b).map_err(Failure::thrown)?;
                new_list(out)
            }
            ListCommand::Mult { list, times } => {
                let l = self.list_entry(&cx, &list)?;
                let n = int_arg(&times)?;
                let out = k.new_array_list(env).map_err(Failure::internal)?;
                for _ in 0..n.max(0) {
                    k.add_all(env, out, l).map_err(Failure::thrown)?;
                }
                new_list(out)
            }
            ListCommand::IMult { list, times } => {
                let l = self.list_entry(&cx, &list)?;
                let n = int_arg(&times)?;
                if n <= 0 {
                    k.clear(env, l).map_err(Failure::thrown)?;
                } else {
                    let copy = k.new_array_list_from(env, l).map_err(Failure::thrown)?;
                    for _ in 1..n {
                        k.add_all(env, l, copy).map_err(Failure::thrown)?;
                    }
                }
                Ok(Reply::VOID)
            }
            ListCommand::Count { list, value } => {
                let l = self.list_entry(&cx, &list)?;
                let o = match to_java(
                    &cx,
                    &self.registry,
                    &value,
                    &self.object_class(&cx)?,
                    Conv::Same,
                ) {
                    Ok(JValue::Object(o)) => o,
                    Ok(_) => Local::NULL,
                    Err(e) => return Err(arg_failure(e)),
                };
                let n = k.frequency(env, l, o).map_err(Failure::thrown)?;
                Ok(Reply::Success(Value::Int(n)))
            }
        }
    }

    fn to_python(&self, env: &Env, id: &str) -> Result<Reply, Failure> {
        let cx = self.cx(env);
        let entry = self.entry(id)?;
        let v = crate::bulk::to_python(&cx, &self.registry, entry.object.local(), 0)
            .map_err(Failure::internal)?;
        Ok(Reply::Success(v))
    }

    fn iterate(&self, env: &Env, id: &str, max: u32) -> Result<Reply, Failure> {
        let cx = self.cx(env);
        let entry = self.entry(id)?;
        if !env.is_instance_of(entry.object.local(), self.rt.known.iterator.local()) {
            return Err(Failure::Message(format!(
                "{id} is not a java.util.Iterator"
            )));
        }
        // Elements come from the iterator's own code: what it throws is the client's to see.
        let v = crate::bulk::next_elements(&cx, &self.registry, entry.object.local(), max)
            .map_err(Failure::thrown)?;
        Ok(Reply::Success(v))
    }

    fn to_java_ref(&self, env: &Env, value: &Value) -> Result<Reply, Failure> {
        let cx = self.cx(env);
        let object = self.object_class(&cx)?;
        let (prepared, _temp) = self.prepare(env, std::slice::from_ref(value))?;
        let o = match to_java(&cx, &self.registry, &prepared[0], &object, Conv::Same)
            .map_err(arg_failure)?
        {
            JValue::Object(o) => o,
            prim => self.rt.known.boxed(env, prim).map_err(Failure::internal)?,
        };
        Ok(Reply::Success(
            object_value(&cx, &self.registry, o).map_err(Failure::internal)?,
        ))
    }

    fn object_class(&self, cx: &Cx) -> Result<Arc<ClassInfo>, Failure> {
        cx.class_info(self.rt.known.object.local())
            .map_err(Failure::internal)
    }

    fn view(&self, env: &Env, cmd: ViewCommand) -> Result<Reply, Failure> {
        match cmd {
            ViewCommand::Create { name } => {
                let obj = self
                    .rt
                    .known
                    .new_jvm_view(env, &name)
                    .map_err(Failure::internal)?;
                let id = self.register(env, obj).map_err(Failure::internal)?;
                self.views.write().insert(id.clone(), Arc::new(View::new()));
                Ok(Reply::Success(Value::Ref(RefKind::Object, id)))
            }
            ViewCommand::Import { view, import } => {
                self.view_of(&view)?.import(&import);
                Ok(Reply::VOID)
            }
            ViewCommand::RemoveImport { view, import } => {
                let removed = self.view_of(&view)?.remove_import(&import);
                Ok(Reply::Success(Value::Bool(removed)))
            }
            ViewCommand::Search => Err(Failure::Fatal(
                "java.lang.NullPointerException: JVM view search is not implemented".into(),
            )),
        }
    }

    fn dir(&self, env: &Env, cmd: DirCommand) -> Result<Reply, Failure> {
        let cx = self.cx(env);
        let names: Vec<String> = match cmd {
            DirCommand::Fields(id) => {
                let entry = self.entry(&id)?;
                let class = self.entry_class(&cx, &entry)?;
                cx.public_field_names(&class, false)
                    .map_err(Failure::internal)?
            }
            DirCommand::Methods(id) => {
                let entry = self.entry(&id)?;
                let class = self.entry_class(&cx, &entry)?;
                let mut n: Vec<String> = class
                    .public_methods(&cx)
                    .map_err(Failure::internal)?
                    .iter()
                    .map(|m| m.name.clone())
                    .collect();
                n.sort();
                n.dedup();
                n
            }
            DirCommand::Static(fqn) => {
                let class = self.class_named(&cx, &fqn)?;
                let mut n = cx
                    .public_field_names(&class, true)
                    .map_err(Failure::internal)?;
                n.extend(
                    class
                        .public_methods(&cx)
                        .map_err(Failure::internal)?
                        .iter()
                        .filter(|m| m.is_static)
                        .map(|m| m.name.clone()),
                );
                n.extend(
                    cx.member_classes(&class)
                        .map_err(Failure::internal)?
                        .into_iter()
                        .filter(|(_, is_static)| *is_static)
                        .map(|(name, _)| name),
                );
                n.sort();
                n.dedup();
                n
            }
            DirCommand::View { view, sequence } => {
                let view = self.view_of(&view)?;
                let (seq, names) = view.imported_names();
                if sequence.as_deref() == Some(seq.to_string().as_str()) {
                    return Ok(Reply::Success(Value::Null));
                }
                let mut text = seq.to_string();
                for n in names {
                    text.push('\n');
                    text.push_str(&n);
                }
                return Ok(Reply::Success(Value::String(text)));
            }
        };
        Ok(Reply::Success(Value::String(names.join("\n"))))
    }

    fn help(
        &self,
        env: &Env,
        target: HelpTarget,
        pattern: Option<&str>,
        short_name: bool,
    ) -> Result<Reply, Failure> {
        let cx = self.cx(env);
        let class = match target {
            HelpTarget::Object(id) => {
                let entry = self.entry(&id)?;
                self.entry_class(&cx, &entry)?
            }
            HelpTarget::Class(fqn) => self.class_named(&cx, &fqn)?,
        };
        let page =
            crate::help::page(&cx, &class, pattern, short_name).map_err(Failure::internal)?;
        Ok(Reply::Success(Value::String(page)))
    }

    fn exception_trace(&self, env: &Env, id_line: &str) -> Result<Reply, Failure> {
        let id = id_line.strip_prefix('r').unwrap_or(id_line);
        // Py4J casts the looked-up object outside any handler: unknown ids are fatal.
        let entry = self.entry(id).map_err(|_| {
            Failure::Fatal(format!(
                "java.lang.NullPointerException: no exception held as {id}"
            ))
        })?;
        if !env.is_instance_of(entry.object.local(), self.rt.known.throwable.local()) {
            return Err(Failure::Fatal(format!(
                "java.lang.ClassCastException: {id} is not a java.lang.Throwable"
            )));
        }
        let trace = self
            .rt
            .known
            .stack_trace(env, entry.object.local())
            .map_err(Failure::internal)?;
        Ok(Reply::Success(Value::String(trace)))
    }
}

/// The class the resolver sees for a value sent by value (`None` for null and references).
pub(crate) fn value_class(cx: &Cx, v: &Value) -> JResult<ArgClass> {
    let k = cx.known;
    Ok(Some(match v {
        Value::Bool(_) => cx.class_info(k.boolean.local())?,
        Value::Int(_) => cx.class_info(k.integer.local())?,
        Value::Long(_) => cx.class_info(k.long.local())?,
        Value::Double(_) => cx.class_info(k.double.local())?,
        Value::Float(_) => cx.class_info(k.float.local())?,
        Value::Decimal(_) => cx.class_info(k.big_decimal.local())?,
        Value::String(_) => cx.class_info(k.string.local())?,
        Value::Bytes(_) => cx.class_info(k.byte_array.local())?,
        other => return crate::bulk::bulk_class(cx, other),
    }))
}

/// Temporary registry ids of the proxies made for one call's arguments.
struct TempIds<'a> {
    registry: &'a Registry,
    ids: Vec<String>,
}

impl Drop for TempIds<'_> {
    fn drop(&mut self) {
        for id in &self.ids {
            self.registry.remove(id);
        }
    }
}

fn python_proxy_failure() -> Failure {
    Failure::Message(
        "this gateway has no way to call Python back: Python objects cannot be passed to it".into(),
    )
}

fn arg_failure(e: ArgError) -> Failure {
    match e {
        ArgError::UnknownId(id) => Failure::Message(format!(
            "Target Object ID does not exist for this gateway: {id}"
        )),
        ArgError::PythonProxy => python_proxy_failure(),
        ArgError::Conversion(m) => Failure::Message(m),
        ArgError::Jni(e) => Failure::from_jni(e),
    }
}

/// A failure Py4J does not catch in its command handler: the message of the Java exception, as
/// a fatal reply.
fn fatal_failure(e: JniError) -> Failure {
    match e {
        JniError::Thrown(t) => Failure::FatalThrown(t),
        JniError::Failed(m) => Failure::Fatal(m.into()),
    }
}

fn int_arg(v: &Value) -> Result<i32, Failure> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Long(l) => {
            i32::try_from(*l).map_err(|_| Failure::Message(format!("index {l} out of range")))
        }
        other => Err(Failure::Fatal(format!(
            "java.lang.ClassCastException: expected an integer, got {other:?}"
        ))),
    }
}

/// Java's identity and widening primitive conversions (JLS 5.1.2), as `Field.set` applies them.
fn widens(from: JType, to: JType) -> bool {
    use JType::*;
    from == to
        || matches!(
            (from, to),
            (Byte, Short | Int | Long | Float | Double)
                | (Short, Int | Long | Float | Double)
                | (Char, Int | Long | Float | Double)
                | (Int, Long | Float | Double)
                | (Long, Float | Double)
                | (Float, Double)
        )
}

/// Phase two's widening for fields and array elements (a whole number to a floating point type).
fn widen(arg: &ArgClass, ty: &Arc<ClassInfo>) -> Option<(u64, Conv)> {
    let a = arg.as_ref()?.numeric()?;
    match (ty.numeric()?, a) {
        (JType::Double, JType::Byte | JType::Short | JType::Int | JType::Long) => {
            Some((10, Conv::ToDouble))
        }
        (JType::Float, JType::Byte | JType::Short | JType::Int | JType::Long) => {
            Some((11, Conv::ToFloat))
        }
        _ => None,
    }
}

/// How Py4J prints the argument classes of a failed lookup: `[class java.lang.Integer, null]`.
fn describe_args(args: &[ArgClass]) -> String {
    let parts: Vec<String> = args
        .iter()
        .map(|a| {
            a.as_ref()
                .map_or_else(|| "null".to_owned(), |c| c.describe())
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

fn class_not_found(cx: &Cx) -> Result<Global, Failure> {
    let c = cx
        .env
        .find_class(c"java/lang/ClassNotFoundException")
        .map_err(Failure::internal)?;
    cx.env.new_global(c).map_err(Failure::internal)
}

/// The primitive classes by their Java names (`int`, `double`, ...), as Py4J resolves them.
fn primitive_class(cx: &Cx, name: &str) -> JResult<Option<Arc<ClassInfo>>> {
    let wrapper = match name {
        "boolean" => c"java/lang/Boolean",
        "byte" => c"java/lang/Byte",
        "char" => c"java/lang/Character",
        "short" => c"java/lang/Short",
        "int" => c"java/lang/Integer",
        "long" => c"java/lang/Long",
        "float" => c"java/lang/Float",
        "double" => c"java/lang/Double",
        _ => return Ok(None),
    };
    let w = cx.env.find_class(wrapper)?;
    let fid = cx.env.static_field_id(w, c"TYPE", c"Ljava/lang/Class;")?;
    // SAFETY: the wrappers' TYPE is a static field of type Class.
    match unsafe { cx.env.get_static_field(w, fid, JType::Object)? } {
        JValue::Object(c) => Ok(Some(cx.class_info(c)?)),
        _ => Ok(None),
    }
}

/// A new array of `len` elements of `component`.
fn new_array(cx: &Cx, component: &Arc<ClassInfo>, len: i32) -> JResult<Local> {
    match component.primitive {
        Some(t) => cx.env.new_primitive_array(t, len),
        None => cx.env.new_object_array(len, component.class.local()),
    }
}

/// Element `i` of an array whose component class is `component`.
fn load(cx: &Cx, array: Local, component: &Arc<ClassInfo>, i: i32) -> JResult<JValue> {
    match component.primitive {
        // SAFETY: the array's component type is this primitive type.
        Some(t) => unsafe { cx.env.primitive_element(array, t, i) },
        None => cx.env.object_element(array, i).map(JValue::Object),
    }
}

/// Stores element `i` of an array whose component class is `component`.
fn store(cx: &Cx, array: Local, component: &Arc<ClassInfo>, i: i32, v: JValue) -> JResult<()> {
    match (component.primitive, v) {
        (Some(_), JValue::Object(_)) => Err(JniError::Failed("object for a primitive array")),
        // SAFETY: v was converted to the array's primitive component type.
        (Some(_), v) => unsafe { cx.env.set_primitive_element(array, i, v) },
        (None, JValue::Object(o)) => cx.env.set_object_element(array, i, o),
        (None, v) => {
            let boxed = cx.known.boxed(cx.env, v)?;
            cx.env.set_object_element(array, i, boxed)
        }
    }
}
