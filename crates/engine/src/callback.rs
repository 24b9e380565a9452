//! The engine's half of calls from Java to Python: a proxy's method call as a command, and
//! Python's answer as the method's return value.

use std::sync::{Arc, OnceLock};

use ferry_protocol::{Reply, Value};

use crate::classes::ClassInfo;
use crate::convert::object_value;
use crate::engine::Engine;
use crate::error::Failure;
use crate::jni_raw::{Env, Global, JResult, JType, JValue, Local};
use crate::known::for_each_element;

/// Why a call to Python did not give a value; the native handler throws accordingly.
#[derive(Debug)]
pub enum CallbackFailure {
    /// Throw this Java exception (Python re-raised a Java exception it got, or conversion threw).
    Throw(Local),
    /// Throw a `ferry.Py4JException` with this message.
    Message(String),
}

/// Up to this many arguments, a proxy call converts them without a local frame each.
const SMALL_CALL: i32 = 4;

/// What a proxy call needs of its `java.lang.reflect.Method`, worked out once per method (the
/// Java handler keeps it): the name sent to Python and the declared return type.
pub struct ProxyMethod {
    /// The method's name.
    pub name: String,
    /// The declared return type.
    pub ret: Arc<ClassInfo>,
}

impl Engine {
    /// The name and return type of a proxy's method.
    pub fn proxy_method(&self, env: &Env, method: Local) -> JResult<ProxyMethod> {
        let k = &self.runtime().known;
        let name = k.method_name(env, method)?;
        let cls = k.method_return(env, method)?;
        let ret = self.cx(env).class_info(cls);
        env.delete_local(cls);
        Ok(ProxyMethod { name, ret: ret? })
    }

    /// The arguments of a proxy call as wire values (objects are registered so Python can use
    /// them).
    pub fn callback_args(&self, env: &Env, args: Local) -> JResult<Vec<Value>> {
        let cx = self.cx(env);
        let n = if args.is_null() {
            0
        } else {
            env.array_length(args)
        };
        let mut values = Vec::with_capacity(n.max(0) as usize);
        if n > SMALL_CALL {
            for_each_element(env, args, |_, a| {
                values.push(object_value(&cx, self.registry(), a)?);
                Ok(())
            })?;
            return Ok(values);
        }
        // A few arguments: no local frame per argument (each needs at most a few references).
        let integer = cx.known.integer.local();
        for i in 0..n {
            let a = env.object_element(args, i)?;
            // Integer first (the commonest argument; a final class, so object_value would give
            // the same), without object_value's checks for the types before it.
            let v = if !a.is_null() && env.is_instance_of(a, integer) {
                cx.known.unbox_int(env, a).map(Value::Int)
            } else {
                object_value(&cx, self.registry(), a)
            };
            env.delete_local(a);
            values.push(v?);
        }
        Ok(values)
    }

    /// Python's reply as the return value of a method returning `ret`: `null` for void, the
    /// value converted to the declared return type (boxed: an InvocationHandler returns objects)
    /// otherwise.
    pub fn callback_result(
        &self,
        env: &Env,
        ret: &Arc<ClassInfo>,
        reply: Reply,
    ) -> Result<Local, CallbackFailure> {
        let value = match reply {
            Reply::Success(v) => v,
            Reply::Empty => Value::Void,
            Reply::Error(Some(Value::Ref(_, id))) => {
                return match self.registry().get(&id) {
                    Some(e)
                        if env.is_instance_of(
                            e.object.local(),
                            self.runtime().known.throwable.local(),
                        ) =>
                    {
                        env.new_local_of(e.object.local())
                            .map(CallbackFailure::Throw)
                            .map_err(|_| CallbackFailure::Message("cannot rethrow".into()))
                            .and_then(Err)
                    }
                    _ => Err(CallbackFailure::Message(format!(
                        "An exception was raised by the Python Proxy. Return Message: r{id}"
                    ))),
                };
            }
            Reply::Error(detail) => {
                let text = match detail {
                    Some(Value::String(s)) => s,
                    Some(other) => format!("{other:?}"),
                    None => String::new(),
                };
                return Err(CallbackFailure::Message(format!(
                    "An exception was raised by the Python Proxy. Return Message: {text}"
                )));
            }
            other => {
                return Err(CallbackFailure::Message(format!(
                    "Unexpected reply from the Python Proxy: {other:?}"
                )));
            }
        };
        if ret.primitive == Some(JType::Void) || matches!(value, Value::Null | Value::Void) {
            return Ok(Local::NULL);
        }
        let cx = self.cx(env);
        let converted = self.convert_value(&cx, &value, ret).map_err(|f| match f {
            Failure::Thrown(t) | Failure::Internal(t) | Failure::FatalThrown(t) => {
                CallbackFailure::Throw(t)
            }
            Failure::Message(_) | Failure::Bare | Failure::Fatal(_) => {
                CallbackFailure::Message(format!(
                    "Incompatible output type. Expected: {} Actual: {}",
                    ret.name,
                    java_name_of(&value)
                ))
            }
        })?;
        match converted {
            JValue::Object(o) => Ok(o),
            JValue::Int(i) if let Some(o) = self.small_integer(env, i) => Ok(o),
            prim => self
                .runtime()
                .known
                .boxed(env, prim)
                .map_err(|_| CallbackFailure::Message("cannot box the return value".into())),
        }
    }
}

/// `Integer.valueOf(i)` for `i` in -128..=127, whose results Java caches (the same objects
/// every time): held here so boxing a small int returned by Python needs no call into Java.
static SMALL_INTEGERS: OnceLock<Vec<Global>> = OnceLock::new();

impl Engine {
    /// The cached `Integer` of a small `i` (a new local reference), or None: not small, or the
    /// cache could not be made (the caller boxes it the usual way then).
    fn small_integer(&self, env: &Env, i: i32) -> Option<Local> {
        let at = usize::try_from(i.checked_add(128)?).ok()?;
        let cache = match SMALL_INTEGERS.get() {
            Some(c) => c,
            None => {
                let k = &self.runtime().known;
                let made = (-128..128)
                    .map(|v| {
                        let l = k.boxed(env, JValue::Int(v))?;
                        let g = env.new_global(l);
                        env.delete_local(l);
                        g
                    })
                    .collect::<JResult<Vec<Global>>>()
                    .ok()?;
                // Another thread may have won: its objects are the same ones.
                SMALL_INTEGERS.get_or_init(|| made)
            }
        };
        env.new_local_of(cache.get(at)?.local()).ok()
    }
}

/// The Java class Py4J would name for a decoded Python value, for error messages.
fn java_name_of(v: &Value) -> &'static str {
    match v {
        Value::Null | Value::Void => "null",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Int(_) => "java.lang.Integer",
        Value::Long(_) => "java.lang.Long",
        Value::Double(_) => "java.lang.Double",
        Value::Float(_) => "java.lang.Float",
        Value::Decimal(_) => "java.math.BigDecimal",
        Value::String(_) => "java.lang.String",
        Value::Bytes(_) => "[B",
        Value::Ref(..) => "java.lang.Object",
        Value::PythonProxy { .. } => "java.lang.reflect.Proxy",
        Value::Char(_) => "java.lang.Character",
        Value::BigInteger(_) => "java.math.BigInteger",
        Value::List(_) | Value::TypedList(_) => "java.util.ArrayList",
        Value::Set(_) => "java.util.HashSet",
        Value::Map(_) => "java.util.HashMap",
        Value::Array(_) => "an array",
        Value::Temporal(..) => "a java.time value",
    }
}
