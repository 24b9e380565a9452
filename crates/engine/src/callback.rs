//! The engine's half of calls from Java to Python: a proxy's method call as a command, and
//! Python's answer as the method's return value.

use ferry_protocol::{Reply, Value};

use crate::convert::object_value;
use crate::engine::Engine;
use crate::error::Failure;
use crate::jni_raw::{Env, JResult, JType, JValue, Local};
use crate::known::for_each_element;

/// Why a call to Python did not give a value; the native handler throws accordingly.
#[derive(Debug)]
pub enum CallbackFailure {
    /// Throw this Java exception (Python re-raised a Java exception it got, or conversion threw).
    Throw(Local),
    /// Throw a `ferry.Py4JException` with this message.
    Message(String),
}

impl Engine {
    /// The method name of a proxy call and its arguments as wire values (objects are registered
    /// so Python can use them).
    pub fn callback_call(
        &self,
        env: &Env,
        method: Local,
        args: Local,
    ) -> JResult<(String, Vec<Value>)> {
        let k = &self.runtime().known;
        let name = k.method_name(env, method)?;
        let cx = self.cx(env);
        let mut values = Vec::new();
        for_each_element(env, args, |_, a| {
            values.push(object_value(&cx, self.registry(), a)?);
            Ok(())
        })?;
        Ok((name, values))
    }

    /// Python's reply as the return value of `method`: `null` for void, the value converted to
    /// the declared return type (boxed: an InvocationHandler returns objects) otherwise.
    pub fn callback_result(
        &self,
        env: &Env,
        method: Local,
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
        let cx = self.cx(env);
        let ret = self
            .runtime()
            .known
            .method_return(env, method)
            .and_then(|r| cx.class_info(r))
            .map_err(|_| CallbackFailure::Message("cannot read the method's return type".into()))?;
        if ret.primitive == Some(JType::Void) || matches!(value, Value::Null | Value::Void) {
            return Ok(Local::NULL);
        }
        let converted = self.convert_value(&cx, &value, &ret).map_err(|f| match f {
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
            prim => self
                .runtime()
                .known
                .boxed(env, prim)
                .map_err(|_| CallbackFailure::Message("cannot box the return value".into())),
        }
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
