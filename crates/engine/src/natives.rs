//! Native-method plumbing shared by every host, and the native half of Java proxies of Python
//! objects.
//!
//! Every native entry point runs inside [`guard`], which turns a panic or an error into a Java
//! exception: nothing unwinds into the JVM. A proxy's calls go to the [`ProxyOwner`] behind the
//! handle it was made with: the gateway server (over a socket) or the embedded host (a direct call
//! into Python); the engine does not know which.

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use ferry_protocol::{CallbackCommand, Reply};
use jni::sys::{JNIEnv, jlong, jobject};

use crate::callback::{CallbackFailure, ProxyMethod};
use crate::engine::Engine;
use crate::jni_raw::{Env, JResult, JniError, Local, NativeMethod};

/// Runs a native method's body; a panic or an error becomes a Java exception (unless one is
/// already pending) and `default` is returned.
///
/// # Safety
/// `raw` must be the JNIEnv the JVM passed to the native method being run, on its thread.
pub unsafe fn guard<T>(
    raw: *mut JNIEnv,
    default: T,
    body: impl FnOnce(&Env) -> Result<T, String>,
) -> T {
    // SAFETY: the caller's contract: raw is this thread's valid JNIEnv.
    let env = unsafe { Env::from_raw(raw) };
    let result = catch_unwind(AssertUnwindSafe(|| body(&env)));
    let message = match result {
        Ok(Ok(v)) => return v,
        Ok(Err(m)) => m,
        Err(_) => "internal error in ferry's native engine (a bug: please report it)".to_owned(),
    };
    if !env.exception_pending()
        && let Ok(cls) = env.find_class(c"java/lang/RuntimeException")
    {
        env.throw_new(cls, &message);
    }
    default
}

/// A message for a JNI failure; a Java exception is rethrown as it is.
pub fn jni_message(env: &Env, e: JniError) -> String {
    match e {
        JniError::Thrown(t) => {
            env.throw(t);
            "a Java exception was thrown".into()
        }
        JniError::Failed(m) => m.into(),
    }
}

/// A Java string argument, or None for null.
pub fn opt_string(env: &Env, s: jobject) -> Result<Option<String>, String> {
    let l = Local::from_raw(s);
    if l.is_null() {
        Ok(None)
    } else {
        env.string(l).map(Some).map_err(|e| jni_message(env, e))
    }
}

/// Throws a `ferry.Py4JException` with `message`.
pub fn throw_py4j(env: &Env, message: &str) {
    match env.find_class(c"ferry/Py4JException") {
        Ok(cls) => env.throw_new(cls, message),
        Err(_) => {
            if let Ok(cls) = env.find_class(c"java/lang/RuntimeException") {
                env.throw_new(cls, message);
            }
        }
    }
}

/// Whoever carries the calls of Java proxies to Python.
pub trait ProxyOwner: Send + Sync {
    /// The engine the proxies belong to.
    fn engine(&self) -> &Engine;
    /// Sends a call to Python and waits for its reply.
    fn call_python(&self, env: &Env, call: CallbackCommand) -> Result<Reply, String>;
    /// Java no longer references the proxy of `id`. Must not block.
    fn release(&self, id: String);
}

/// A handle for Java to hold: the owner stays alive for the rest of the process (proxies may
/// outlive any server), so the handle can never dangle.
pub fn owner_handle(owner: Arc<dyn ProxyOwner>) -> i64 {
    Box::into_raw(Box::new(owner)) as i64
}

fn owner_of(handle: jlong) -> Option<&'static Arc<dyn ProxyOwner>> {
    if handle == 0 {
        return None;
    }
    // SAFETY: handles come from owner_handle (Box::into_raw, never freed).
    Some(unsafe { &*(handle as *const Arc<dyn ProxyOwner>) })
}

extern "system" fn proxy_invoke(
    raw: *mut JNIEnv,
    _cls: jobject,
    handle: jlong,
    id: jobject,
    method: jlong,
    args: jobject,
) -> jobject {
    // SAFETY: raw is the JNIEnv the JVM passed to this native method.
    unsafe {
        guard(raw, std::ptr::null_mut(), |env| {
            let Some(owner) = owner_of(handle) else {
                return Err("this Python proxy has no owner".into());
            };
            let Some(method) = proxy_method_of(method) else {
                return Err("this proxy call has no method".into());
            };
            let target = opt_string(env, id)?.unwrap_or_default();
            let engine = owner.engine();
            let values = engine
                .callback_args(env, Local::from_raw(args))
                .map_err(|e| jni_message(env, e))?;
            let call = CallbackCommand::Call {
                target,
                method: method.name.clone(),
                args: values,
            };
            let reply = match owner.call_python(env, call) {
                Ok(r) => r,
                Err(e) => {
                    if !env.exception_pending() {
                        throw_py4j(env, &format!("Error while calling the Python side: {e}"));
                    }
                    return Ok(std::ptr::null_mut());
                }
            };
            match engine.callback_result(env, &method.ret, reply) {
                Ok(o) => Ok(o.raw()),
                Err(CallbackFailure::Throw(t)) => {
                    env.throw(t);
                    Ok(std::ptr::null_mut())
                }
                Err(CallbackFailure::Message(m)) => {
                    throw_py4j(env, &m);
                    Ok(std::ptr::null_mut())
                }
            }
        })
    }
}

fn proxy_method_of(handle: jlong) -> Option<&'static ProxyMethod> {
    if handle == 0 {
        return None;
    }
    // SAFETY: handles come from proxy_describe (Box::into_raw, never freed: Java keeps each one
    // for the rest of the process).
    Some(unsafe { &*(handle as *const ProxyMethod) })
}

/// What proxy calls of `method` need (its name and return type), as a handle the Java handler
/// keeps for every later call of that method. Never freed.
extern "system" fn proxy_describe(
    raw: *mut JNIEnv,
    _cls: jobject,
    handle: jlong,
    method: jobject,
) -> jlong {
    // SAFETY: raw is the JNIEnv the JVM passed to this native method.
    unsafe {
        guard(raw, 0, |env| {
            let Some(owner) = owner_of(handle) else {
                return Err("this Python proxy has no owner".into());
            };
            let described = owner
                .engine()
                .proxy_method(env, Local::from_raw(method))
                .map_err(|e| jni_message(env, e))?;
            Ok(Box::into_raw(Box::new(described)) as jlong)
        })
    }
}

extern "system" fn proxy_released(raw: *mut JNIEnv, _cls: jobject, handle: jlong, id: jobject) {
    // SAFETY: raw is the JNIEnv the JVM passed to this native method.
    unsafe {
        guard(raw, (), |env| {
            if let (Some(owner), Some(id)) = (owner_of(handle), opt_string(env, id)?) {
                owner.release(id);
            }
            Ok(())
        })
    }
}

/// Registers the native methods of `ferry.PythonProxyHandler`.
pub fn register_proxy_natives(env: &Env) -> JResult<()> {
    env.with_frame(4, |env| -> JResult<()> {
        let handler = env.find_class(c"ferry/PythonProxyHandler")?;
        env.register_natives(
            handler,
            &[
                NativeMethod {
                    name: c"invoke0",
                    sig: c"(JLjava/lang/String;J[Ljava/lang/Object;)Ljava/lang/Object;",
                    fn_ptr: proxy_invoke as *mut c_void,
                },
                NativeMethod {
                    name: c"describe",
                    sig: c"(JLjava/lang/reflect/Method;)J",
                    fn_ptr: proxy_describe as *mut c_void,
                },
                NativeMethod {
                    name: c"released",
                    sig: c"(JLjava/lang/String;)V",
                    fn_ptr: proxy_released as *mut c_void,
                },
            ],
        )
    })?
}
