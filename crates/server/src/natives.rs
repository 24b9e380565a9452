//! The native methods of ferry.jar's Java classes, and their registration.
//!
//! Every entry point catches panics and turns errors into Java exceptions: nothing unwinds into
//! the JVM.

use std::ffi::c_void;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use ferry_engine::Engine;
use ferry_engine::jni_raw::{Env, JResult, Local, NativeMethod};
use ferry_engine::natives::{guard, jni_message, opt_string, owner_handle};
use jni::sys::{JNIEnv, jint, jlong, jobject};

use crate::callback::CallbackTarget;
use crate::server::{Server, ServerConfig};

fn server_of(handle: jlong) -> Option<&'static Server> {
    if handle == 0 {
        return None;
    }
    // SAFETY: handles are made by native_start from Box::into_raw and never freed, so the
    // pointer stays valid for the life of the process.
    Some(unsafe { &*(handle as *const Server) })
}

extern "system" fn native_ping(raw: *mut JNIEnv, _cls: jobject) -> jint {
    // SAFETY: raw is the JNIEnv the JVM passed to this native method.
    unsafe {
        guard(raw, 0, |_env| {
            ferry_engine::fault::point("natives.ping");
            Ok(1)
        })
    }
}

#[allow(clippy::too_many_arguments)]
extern "system" fn native_start(
    raw: *mut JNIEnv,
    _cls: jobject,
    this: jobject,
    entry_point: jobject,
    address: jobject,
    port: jint,
    unix_path: jobject,
    auth_token: jobject,
    _connect_timeout: jint,
    read_timeout: jint,
    python_address: jobject,
    python_port: jint,
    python_token: jobject,
    pinned: jni::sys::jboolean,
) -> jlong {
    // SAFETY: raw is the JNIEnv the JVM passed to this native method.
    unsafe {
        guard(raw, 0, |env| {
            let python_ip: IpAddr = opt_string(env, python_address)?
                .unwrap_or_else(|| "127.0.0.1".into())
                .parse()
                .map_err(|e| format!("bad Python address: {e}"))?;
            let python_port =
                u16::try_from(python_port).map_err(|_| format!("bad Python port {python_port}"))?;
            let address: IpAddr = opt_string(env, address)?
                .unwrap_or_else(|| "127.0.0.1".into())
                .parse()
                .map_err(|e| format!("bad address: {e}"))?;
            let port = u16::try_from(port).map_err(|_| format!("bad port {port}"))?;
            let config = ServerConfig {
                address,
                port,
                unix_path: opt_string(env, unix_path)?.map(PathBuf::from),
                auth_token: opt_string(env, auth_token)?,
                read_timeout: (read_timeout > 0)
                    .then(|| Duration::from_millis(read_timeout as u64)),
                callback: CallbackTarget {
                    address: SocketAddr::new(python_ip, python_port),
                    token: opt_string(env, python_token)?,
                },
                pinned,
            };
            let engine = Engine::new(env, Local::from_raw(entry_point), Local::from_raw(this))
                .map_err(|e| jni_message(env, e))?;
            let server = Server::start(env, engine, config)
                .map_err(|e| format!("ferry gateway cannot listen on {address}:{port}: {e}"))?;
            let handle = Box::into_raw(Box::new(server.clone())) as jlong;
            let owner = owner_handle(std::sync::Arc::new(server.clone()));
            server.engine().set_proxy_owner(owner);
            Ok(handle)
        })
    }
}

extern "system" fn native_reset_callback(
    raw: *mut JNIEnv,
    _cls: jobject,
    handle: jlong,
    address: jobject,
    port: jint,
) {
    // SAFETY: raw is the JNIEnv the JVM passed to this native method.
    unsafe {
        guard(raw, (), |env| {
            let Some(s) = server_of(handle) else {
                return Ok(());
            };
            let ip: IpAddr = opt_string(env, address)?
                .unwrap_or_else(|| "127.0.0.1".into())
                .parse()
                .map_err(|e| format!("bad Python address: {e}"))?;
            let port = u16::try_from(port).map_err(|_| format!("bad Python port {port}"))?;
            s.callbacks().reset(SocketAddr::new(ip, port));
            Ok(())
        })
    }
}

extern "system" fn native_proxy_owner(raw: *mut JNIEnv, _cls: jobject, handle: jlong) -> jlong {
    // SAFETY: raw is the JNIEnv the JVM passed to this native method.
    unsafe {
        guard(raw, 0, |_env| {
            Ok(server_of(handle).map_or(0, |s| s.engine().proxy_owner()))
        })
    }
}

extern "system" fn native_await(raw: *mut JNIEnv, _cls: jobject, handle: jlong) {
    // SAFETY: raw is the JNIEnv the JVM passed to this native method.
    unsafe {
        guard(raw, (), |_env| {
            if let Some(s) = server_of(handle) {
                s.wait();
            }
            Ok(())
        })
    }
}

extern "system" fn native_shutdown(raw: *mut JNIEnv, _cls: jobject, handle: jlong) {
    // SAFETY: raw is the JNIEnv the JVM passed to this native method.
    unsafe {
        guard(raw, (), |_env| {
            if let Some(s) = server_of(handle) {
                s.shutdown();
            }
            Ok(())
        })
    }
}

extern "system" fn native_listening_port(raw: *mut JNIEnv, _cls: jobject, handle: jlong) -> jint {
    // SAFETY: raw is the JNIEnv the JVM passed to this native method.
    unsafe {
        guard(raw, -1, |_env| {
            Ok(server_of(handle).map_or(-1, |s| i32::from(s.port())))
        })
    }
}

extern "system" fn native_bindings(raw: *mut JNIEnv, _cls: jobject, handle: jlong) -> jobject {
    // SAFETY: raw is the JNIEnv the JVM passed to this native method.
    unsafe {
        guard(raw, std::ptr::null_mut(), |env| {
            let Some(s) = server_of(handle) else {
                return Err("the gateway server is not started".into());
            };
            s.engine()
                .bindings_map(env)
                .map(|l| l.raw())
                .map_err(|e| jni_message(env, e))
        })
    }
}

/// Registers the native methods of ferry's Java classes. The classes must be visible to the
/// current native frame's class loader.
pub fn register_natives(env: &Env) -> JResult<()> {
    env.with_frame(8, |env| -> JResult<()> {
        let native = env.find_class(c"ferry/Native")?;
        env.register_natives(
            native,
            &[NativeMethod {
                name: c"ping",
                sig: c"()I",
                fn_ptr: native_ping as *mut c_void,
            }],
        )?;
        let server = env.find_class(c"ferry/GatewayServer")?;
        env.register_natives(
            server,
            &[
                NativeMethod {
                    name: c"nativeStart",
                    sig: c"(Lferry/GatewayServer;Ljava/lang/Object;Ljava/lang/String;ILjava/lang/String;Ljava/lang/String;IILjava/lang/String;ILjava/lang/String;Z)J",
                    fn_ptr: native_start as *mut c_void,
                },
                NativeMethod {
                    name: c"nativeAwait",
                    sig: c"(J)V",
                    fn_ptr: native_await as *mut c_void,
                },
                NativeMethod {
                    name: c"nativeShutdown",
                    sig: c"(J)V",
                    fn_ptr: native_shutdown as *mut c_void,
                },
                NativeMethod {
                    name: c"nativeListeningPort",
                    sig: c"(J)I",
                    fn_ptr: native_listening_port as *mut c_void,
                },
                NativeMethod {
                    name: c"nativeBindings",
                    sig: c"(J)Ljava/util/Map;",
                    fn_ptr: native_bindings as *mut c_void,
                },
                NativeMethod {
                    name: c"nativeProxyOwner",
                    sig: c"(J)J",
                    fn_ptr: native_proxy_owner as *mut c_void,
                },
                NativeMethod {
                    name: c"nativeResetCallback",
                    sig: c"(JLjava/lang/String;I)V",
                    fn_ptr: native_reset_callback as *mut c_void,
                },
            ],
        )?;
        ferry_engine::natives::register_proxy_natives(env)?;
        // The runtime caches ferry's classes: make it now, while they are visible.
        ferry_engine::runtime(env)?;
        Ok(())
    })?
}
