//! Takes a connection thread out of restartable sequences (rseq).
//!
//! glibc (2.35 and later) registers every thread for rseq, only to read the current CPU quickly
//! in `sched_getcpu`. For a registered thread the kernel rewrites the thread's rseq area on every
//! return to user space after a context switch. A connection thread switches twice per call when
//! the client runs on the same core (it sleeps in `recv` while the client works), and the rewrite
//! measured 50-150 ns per call on this server. Nothing in ferry or in the JVM's code on these
//! threads uses rseq; `sched_getcpu` falls back to the vDSO's `getcpu` once the thread is out.
//!
//! Only threads that ferry's server starts for its connections do this (`server.rs`), never a
//! thread of the application's. The registration is glibc's: its area is found from glibc's
//! `__rseq_offset` and `__rseq_size`, looked up at run time, so a C library without them (musl,
//! glibc before 2.35) is left alone.

/// What [`leave`] did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Left {
    /// The thread was registered and no longer is.
    Unregistered,
    /// Nothing to do: the C library registers no area, or the thread was not registered
    /// (already left, or registration switched off with `GLIBC_TUNABLES=glibc.pthread.rseq=0`).
    NotRegistered,
    /// Not on this platform, or the kernel refused (the thread stays registered).
    Unsupported,
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub(crate) fn leave() -> Left {
    use std::ffi::CStr;

    const RSEQ_FLAG_UNREGISTER: libc::c_int = 1;
    // The signature glibc registers with: the kernel refuses an unregistration without it.
    #[cfg(target_arch = "x86_64")]
    const RSEQ_SIG: u32 = 0x5305_3053;
    #[cfg(target_arch = "aarch64")]
    const RSEQ_SIG: u32 = 0xd428_bc00;
    // The length glibc registers: the original `struct rseq` (32 bytes), or the size it exports
    // as `__rseq_size` (glibc 2.40 and later register the extended area).
    const ORIGINAL_LEN: u32 = 32;

    fn symbol(name: &CStr) -> *const libc::c_void {
        // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only reads the loaded
        // objects' symbol tables; a missing symbol is a null pointer.
        unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) }
    }
    let offset = symbol(c"__rseq_offset").cast::<isize>();
    let size = symbol(c"__rseq_size").cast::<u32>();
    if offset.is_null() || size.is_null() {
        return Left::NotRegistered;
    }
    // SAFETY: glibc defines both as read-only data that it sets before any thread starts
    // (`ptrdiff_t __rseq_offset`, `unsigned int __rseq_size`).
    let (offset, size) = unsafe { (offset.read(), size.read()) };
    if size == 0 {
        return Left::NotRegistered;
    }
    let area = thread_pointer().wrapping_add_signed(offset);
    for len in [ORIGINAL_LEN, size] {
        // SAFETY: the rseq system call with the unregister flag only reads the registration it
        // names (this thread's area, at the thread pointer plus glibc's offset); with the wrong
        // length or area it fails with EINVAL and changes nothing.
        let r = unsafe { libc::syscall(libc::SYS_rseq, area, len, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) };
        if r == 0 {
            return Left::Unregistered;
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINVAL) {
            return Left::Unsupported;
        }
    }
    // EINVAL for both lengths: no registration of this area (or a length glibc does not use).
    Left::NotRegistered
}

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
pub(crate) fn leave() -> Left {
    Left::Unsupported
}

/// The thread pointer, from which glibc's `__rseq_offset` counts.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn thread_pointer() -> usize {
    let tp: usize;
    // SAFETY: on x86-64 Linux the word at fs:0 is the thread control block's pointer to itself
    // (the thread pointer), always mapped for a running thread; reading it has no side effect.
    unsafe {
        std::arch::asm!("mov {}, fs:0", out(reg) tp, options(nostack, readonly, preserves_flags))
    };
    tp
}

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
fn thread_pointer() -> usize {
    let tp: usize;
    // SAFETY: reading TPIDR_EL0, the thread pointer register, has no side effect.
    unsafe {
        std::arch::asm!("mrs {}, tpidr_el0", out(reg) tp, options(nomem, nostack, preserves_flags))
    };
    tp
}

#[cfg(all(
    test,
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod tests {
    use super::*;

    #[test]
    fn a_thread_leaves_once_and_still_knows_its_cpu() {
        std::thread::spawn(|| {
            // SAFETY: as in `leave`: a symbol lookup, then glibc's read-only `unsigned int`.
            let size = unsafe {
                let p = libc::dlsym(libc::RTLD_DEFAULT, c"__rseq_size".as_ptr()).cast::<u32>();
                if p.is_null() { 0 } else { p.read() }
            };
            let first = leave();
            if size > 0 {
                // glibc registered this thread.
                assert_eq!(first, Left::Unregistered);
            } else {
                assert_eq!(first, Left::NotRegistered);
            }
            assert_eq!(leave(), Left::NotRegistered);
            // SAFETY: sched_getcpu has no preconditions.
            let cpu = unsafe { libc::sched_getcpu() };
            assert!(cpu >= 0, "sched_getcpu after leaving: {cpu}");
        })
        .join()
        .unwrap();
    }
}
