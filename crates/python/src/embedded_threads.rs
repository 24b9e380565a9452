//! Embedded mode: Python threads in the JVM, Ctrl-C during a Java call, and the exit.
//!
//! - A Python thread attaches to the JVM (as a daemon) on its first call and stays attached; a
//!   thread other than the main one detaches when it ends (a thread-local guard).
//! - Every Java call runs with the GIL released ([`in_java`]). While the main thread is inside
//!   Java, Python's SIGINT handler cannot run; the package points `signal.set_wakeup_fd` at a pipe
//!   whose other end a watcher thread reads ([`watch_signals`]): on SIGINT it interrupts the main
//!   thread's Java thread (`Thread.interrupt`). When the call returns, the pending signal runs
//!   Python's handler, which raises `KeyboardInterrupt`; code that ignores interrupts finishes
//!   first. The Java thread's interrupt flag is cleared for the next call.
//! - Once the interpreter exits ([`EXITING`], set from an `atexit` hook), Java no longer calls
//!   Python: such calls fail in Java with an exception.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use ferry_engine::jni_raw::{Env, Global, JType, JValue, MethodId};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// Set when the Python interpreter starts exiting: no Java -> Python call runs afterwards.
pub(crate) static EXITING: AtomicBool = AtomicBool::new(false);

/// Whether the interpreter is exiting.
pub(crate) fn exiting() -> bool {
    EXITING.load(Ordering::Acquire)
}

/// Detaches a thread that ferry attached, when the thread ends.
struct Detach;

impl Drop for Detach {
    fn drop(&mut self) {
        if !exiting() {
            Env::detach_current();
        }
    }
}

thread_local! {
    static ATTACHED: RefCell<Option<Detach>> = const { RefCell::new(None) };
    static MAIN: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Whether this is the process's main thread (where Python runs signal handlers).
fn is_main() -> bool {
    MAIN.with(|m| match m.get() {
        Some(v) => v,
        None => {
            // SAFETY: gettid and getpid have no preconditions and cannot fail.
            let v = unsafe { libc::gettid() == libc::getpid() };
            m.set(Some(v));
            v
        }
    })
}

/// This thread's JNI environment, attaching it (as a daemon) on first use.
pub(crate) fn attach() -> Option<Env> {
    if let Some(env) = Env::current() {
        return Some(env);
    }
    // SAFETY: gettid has no preconditions and cannot fail.
    let tid = unsafe { libc::gettid() };
    let env = Env::attach_named(&format!("python-thread-{tid}"))?;
    if !is_main() {
        let _ = ATTACHED.try_with(|a| *a.borrow_mut() = Some(Detach));
    }
    Some(env)
}

/// Calls made by the main thread, seen by the watcher, in one word: the depth of the main
/// thread's Java calls in progress (nested through callbacks) in the low bits, and two flags.
/// The main thread enters with one increment and leaves with one compare-and-swap; the watcher
/// marks the word [`BUSY`] while it interrupts, and a leave waits for it to finish, so that an
/// interrupt never lands after the call it was meant for.
static CALLS: AtomicU32 = AtomicU32::new(0);

/// The watcher interrupted the main thread's Java thread during the calls in progress.
const INTERRUPTED: u32 = 1 << 31;
/// The watcher is interrupting the main thread's Java thread.
const BUSY: u32 = 1 << 30;
const DEPTH: u32 = BUSY - 1;

/// `java.lang.Thread` and the main thread's Java thread.
struct Threads {
    class: Global,
    main: Global,
    interrupt: MethodId,
    interrupted: MethodId,
}

static THREADS: OnceLock<Threads> = OnceLock::new();

fn threads(env: &Env) -> Result<Threads, String> {
    env.with_frame(4, |env| -> Result<Threads, String> {
        let fail = |_| "cannot reach java.lang.Thread".to_owned();
        let class = env.find_class(c"java/lang/Thread").map_err(fail)?;
        let current = env
            .static_method_id(class, c"currentThread", c"()Ljava/lang/Thread;")
            .map_err(fail)?;
        let interrupt = env.method_id(class, c"interrupt", c"()V").map_err(fail)?;
        let interrupted = env
            .static_method_id(class, c"interrupted", c"()Z")
            .map_err(fail)?;
        // SAFETY: currentThread is a static method of Thread taking nothing, returning a Thread.
        let main = match unsafe { env.call_static(class, current, JType::Object, &[]) } {
            Ok(JValue::Object(t)) if !t.is_null() => env.new_global(t).map_err(fail)?,
            _ => return Err("Thread.currentThread failed".into()),
        };
        Ok(Threads {
            class: env.new_global(class).map_err(fail)?,
            main,
            interrupt,
            interrupted,
        })
    })
    .map_err(|_| "no local frame".to_owned())?
}

/// Runs `f` in Java with the GIL released, on this thread attached to the JVM. On the main
/// thread, a Ctrl-C meanwhile interrupts the Java thread, and the pending signal's handler runs
/// once the call is over (raising `KeyboardInterrupt` by default).
pub(crate) fn in_java<T: Send>(py: Python<'_>, f: impl FnOnce(&Env) -> T + Send) -> PyResult<T> {
    let main = is_main();
    let ran = py.detach(|| {
        let env = attach()?;
        let watched = main && THREADS.get().is_some();
        if watched {
            CALLS.fetch_add(1, Ordering::AcqRel);
        }
        let out = catch_unwind(AssertUnwindSafe(|| f(&env)));
        let interrupted = watched && leave(&env);
        Some((out, interrupted))
    });
    let Some((out, interrupted)) = ran else {
        return Err(PyRuntimeError::new_err(
            "cannot attach this thread to the JVM",
        ));
    };
    let out = match out {
        Ok(v) => v,
        Err(panic) => resume_unwind(panic),
    };
    if interrupted {
        py.check_signals()?;
    }
    Ok(out)
}

/// The main thread's call is over: whether the watcher interrupted it (the Java thread's
/// interrupt flag is then cleared).
fn leave(env: &Env) -> bool {
    let mut state = CALLS.load(Ordering::Acquire);
    loop {
        if state & BUSY != 0 {
            // The watcher is interrupting this call: it is done in a moment.
            std::thread::yield_now();
            state = CALLS.load(Ordering::Acquire);
            continue;
        }
        let left = (state & DEPTH).saturating_sub(1);
        match CALLS.compare_exchange_weak(state, left, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => break,
            Err(now) => state = now,
        }
    }
    if state & INTERRUPTED == 0 {
        return false;
    }
    if let Some(t) = THREADS.get() {
        // SAFETY: interrupted is a static method of Thread taking nothing, returning a boolean.
        let _ = unsafe { env.call_static(t.class.local(), t.interrupted, JType::Bool, &[]) };
    }
    true
}

/// The watcher saw a SIGINT: interrupts the main thread's Java thread if it is in a call.
fn interrupt_main(env: &Env) {
    let Some(t) = THREADS.get() else { return };
    let mut state = CALLS.load(Ordering::Acquire);
    loop {
        if state & DEPTH == 0 {
            return;
        }
        match CALLS.compare_exchange_weak(state, state | BUSY, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => break,
            Err(now) => state = now,
        }
    }
    // SAFETY: interrupt is an instance method of Thread taking nothing; main is a Thread.
    let _ = unsafe { env.call_method(t.main.local(), t.interrupt, JType::Void, &[]) };
    let _ = CALLS.fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
        Some((s | INTERRUPTED) & !BUSY)
    });
}

/// Starts the watcher: it reads the signal numbers Python writes to its wakeup fd (the other
/// end of the pipe `read_fd`), forwards them to `forward_fd` (the wakeup fd set before, or -1),
/// and interrupts the main thread's Java call on SIGINT. Called once, from the main thread.
#[pyfunction]
pub(crate) fn embedded_watch_signals(
    py: Python<'_>,
    read_fd: i32,
    forward_fd: i32,
) -> PyResult<()> {
    if THREADS.get().is_some() {
        return Ok(());
    }
    let made = py.detach(|| -> Result<(), String> {
        let env = attach().ok_or("cannot attach this thread to the JVM")?;
        let t = threads(&env)?;
        let _ = THREADS.set(t);
        Ok(())
    });
    made.map_err(PyRuntimeError::new_err)?;
    std::thread::Builder::new()
        .name("ferry-ctrl-c".into())
        .spawn(move || watch(read_fd, forward_fd))
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the Ctrl-C watcher: {e}")))?;
    Ok(())
}

fn watch(read_fd: i32, forward_fd: i32) {
    let Some(env) = Env::attach_named("ferry-ctrl-c") else {
        return;
    };
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: buf is valid for writes of its length; read_fd is the pipe's read end, owned
        // by this thread from now on.
        let n = unsafe { libc::read(read_fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if n == 0 {
            return;
        }
        let got = &buf[..n as usize];
        if forward_fd >= 0 {
            // SAFETY: got is valid for reads of its length; a failed write (the fd closed) is
            // only a lost wakeup for its owner, as with Python's own writes.
            let _ = unsafe { libc::write(forward_fd, got.as_ptr().cast(), got.len()) };
        }
        if got.contains(&(libc::SIGINT as u8)) {
            let _ = env.with_frame(4, interrupt_main);
        }
    }
}

/// Tells the native module that the interpreter is exiting (an `atexit` hook): Java's calls to
/// Python objects fail from now on instead of waiting for an interpreter that is going away.
#[pyfunction]
pub(crate) fn embedded_at_exit() {
    EXITING.store(true, Ordering::Release);
}
