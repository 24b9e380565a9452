//! The native library carried inside ferry.jar. When `ferry.Native` loads it, `JNI_OnLoad`
//! registers the native methods of ferry's Java classes; everything else is in the server and
//! engine crates.

use std::ffi::c_void;
use std::panic::catch_unwind;

use ferry_engine::jni_raw::{self, Env};
use jni::sys::{JNI_ERR, JNI_OK, JNI_VERSION_1_8, JavaVM, jint};

/// Called by the JVM when `System.load` loads this library.
///
/// # Safety
/// Called by the JVM only, with its valid JavaVM pointer.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn JNI_OnLoad(vm: *mut JavaVM, _reserved: *mut c_void) -> jint {
    let result = catch_unwind(|| {
        let mut env: *mut c_void = std::ptr::null_mut();
        // SAFETY: vm is the JVM's valid JavaVM; GetEnv on the loading thread, which is attached.
        let rc = unsafe { ((**vm).v1_2.GetEnv)(vm, &mut env, JNI_VERSION_1_8) };
        if rc != JNI_OK {
            return JNI_ERR;
        }
        jni_raw::set_vm(vm);
        // SAFETY: GetEnv succeeded, so env is this thread's JNIEnv for the duration of the call.
        let env = unsafe { Env::from_raw(env.cast()) };
        match ferry_server::natives::register_natives(&env) {
            Ok(()) => JNI_VERSION_1_8,
            Err(_) => JNI_ERR,
        }
    });
    result.unwrap_or(JNI_ERR)
}
