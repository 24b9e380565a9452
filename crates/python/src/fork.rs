//! The fork handlers of the clients' locks (see `ferry_client::fork`), registered with
//! `pthread_atfork` so that they run inside `fork()` itself: after every Python-level fork hook,
//! with the forking thread holding the GIL throughout, so that no other Python thread can run
//! (and wait for one of the held locks while holding the GIL) between taking the locks and the
//! fork.

use std::sync::Once;

extern "C" fn prepare() {
    // No panic may cross into the C library's fork.
    let _ = std::panic::catch_unwind(ferry_client::fork::prepare);
}

extern "C" fn finish() {
    let _ = std::panic::catch_unwind(ferry_client::fork::finish);
}

/// Registers the handlers, once per process.
pub(crate) fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: pthread_atfork only records the three function pointers; they are plain
        // `extern "C"` functions with no arguments that catch every panic, and they stay valid
        // for the life of the process (an extension module is never unloaded by CPython).
        unsafe { libc::pthread_atfork(Some(prepare), Some(finish), Some(finish)) };
    });
}
