//! Takes a connection thread out of restartable sequences (rseq).
//!
//! glibc (2.35 and later) registers every thread for rseq, only to read the current CPU quickly
//! in `sched_getcpu`. For a registered thread the kernel rewrites the thread's rseq area on every
//! return to user space after a context switch. A connection thread switches twice per call when
//! the client runs on the same core (it sleeps in `recv` while the client works), and the rewrite
//! measured 50-150 ns per call on this server. Neither ferry nor the JVM uses rseq on these
//! threads; `sched_getcpu` falls back to the vDSO's `getcpu` once the thread is out.
//!
//! Only threads that ferry's server starts for its connections do this (`server.rs`), never a
//! thread of the application's. The thread's area then says "registration failed" (`cpu_id` -2,
//! as glibc's own tests leave it), which is what libraries that borrow glibc's registration
//! (librseq, tcmalloc's per-CPU caches) check before they use it: they take their slow path on
//! these threads rather than trust a stale area. `FERRY_KEEP_RSEQ=1` in the server's environment
//! keeps the registration (for Java code on connection threads that calls such a library).
//!
//! The registration is glibc's: its area is found from glibc's `__rseq_offset` and
//! `__rseq_size`, looked up at run time, so a C library without them (musl, glibc before 2.35)
//! is left alone.

/// What [`leave`] did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Left {
    /// The thread was registered and no longer is.
    Unregistered,
    /// Nothing to do: the C library registers no area, or the thread was not registered
    /// (already left, or registration switched off with `GLIBC_TUNABLES=glibc.pthread.rseq=0`).
    NotRegistered,
    /// `FERRY_KEEP_RSEQ` is set: the registration stays.
    Kept,
    /// Not on this platform, or the kernel refused (the thread stays registered).
    Unsupported,
}

/// `struct rseq`'s `cpu_id` (offset 4) for a thread whose registration failed or was removed.
const RSEQ_CPU_ID_REGISTRATION_FAILED: i32 = -2;

/// Whether the server's environment asks to keep the registration.
fn kept() -> bool {
    std::env::var_os("FERRY_KEEP_RSEQ").is_some_and(|v| !v.is_empty() && v != "0")
}

#[cfg(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        all(target_arch = "aarch64", target_endian = "little")
    )
))]
mod platform {
    use std::ffi::CStr;

    // The signature glibc registers with: the kernel refuses an unregistration without it.
    #[cfg(target_arch = "x86_64")]
    pub(super) const RSEQ_SIG: u32 = 0x5305_3053;
    #[cfg(target_arch = "aarch64")]
    pub(super) const RSEQ_SIG: u32 = 0xd428_bc00;

    fn symbol(name: &CStr) -> *const libc::c_void {
        // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only reads the loaded
        // objects' symbol tables; a missing symbol is a null pointer.
        unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) }
    }

    /// glibc's rseq area of the calling thread and the size glibc exports, if glibc registers
    /// one (`__rseq_size` is 0 when registration is switched off).
    pub(super) fn area() -> Option<(usize, u32)> {
        let offset = symbol(c"__rseq_offset").cast::<isize>();
        let size = symbol(c"__rseq_size").cast::<u32>();
        if offset.is_null() || size.is_null() {
            return None;
        }
        // SAFETY: glibc defines both as read-only data that it sets before any thread starts
        // (`ptrdiff_t __rseq_offset`, `unsigned int __rseq_size`).
        let (offset, size) = unsafe { (offset.read(), size.read()) };
        (size > 0).then(|| (thread_pointer().wrapping_add_signed(offset), size))
    }

    /// The thread pointer, from which glibc's `__rseq_offset` counts.
    #[cfg(target_arch = "x86_64")]
    fn thread_pointer() -> usize {
        let tp: usize;
        // SAFETY: on x86-64 Linux the word at fs:0 is the thread control block's pointer to
        // itself (the thread pointer), always mapped for a running thread; reading it has no
        // side effect.
        unsafe {
            std::arch::asm!("mov {}, fs:0", out(reg) tp, options(nostack, readonly, preserves_flags))
        };
        tp
    }

    #[cfg(target_arch = "aarch64")]
    fn thread_pointer() -> usize {
        let tp: usize;
        // SAFETY: reading TPIDR_EL0, the thread pointer register, has no side effect.
        unsafe {
            std::arch::asm!("mrs {}, tpidr_el0", out(reg) tp, options(nomem, nostack, preserves_flags))
        };
        tp
    }
}

#[cfg(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        all(target_arch = "aarch64", target_endian = "little")
    )
))]
pub(crate) fn leave() -> Left {
    const RSEQ_FLAG_UNREGISTER: libc::c_int = 1;
    // The length glibc registers: the original `struct rseq` (32 bytes), or the size it exports
    // as `__rseq_size` (glibc 2.40 and later register the extended area).
    const ORIGINAL_LEN: u32 = 32;

    if kept() {
        return Left::Kept;
    }
    let Some((area, size)) = platform::area() else {
        return Left::NotRegistered;
    };
    for len in [ORIGINAL_LEN, size] {
        // SAFETY: the rseq system call with the unregister flag names this thread's own area
        // (glibc's, at the thread pointer plus glibc's offset); with the wrong length or area it
        // fails with EINVAL and changes nothing. On success the kernel stops updating the area
        // and resets it. That holds because nothing on a connection thread relies on glibc's
        // registration: ferry's code and the JVM's do not, and Java code that would call a
        // library that does can keep it (`FERRY_KEEP_RSEQ`).
        let r = unsafe {
            libc::syscall(
                libc::SYS_rseq,
                area,
                len,
                RSEQ_FLAG_UNREGISTER,
                platform::RSEQ_SIG,
            )
        };
        if r == 0 {
            // SAFETY: `area` is this thread's `struct rseq` (glibc's thread-local data, 32-byte
            // aligned and writable), which the kernel no longer writes; `cpu_id` is its second
            // u32. A volatile store, as the kernel's own updates are seen by readers.
            unsafe {
                std::ptr::write_volatile((area + 4) as *mut i32, RSEQ_CPU_ID_REGISTRATION_FAILED)
            };
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
    any(
        target_arch = "x86_64",
        all(target_arch = "aarch64", target_endian = "little")
    )
)))]
pub(crate) fn leave() -> Left {
    if kept() {
        Left::Kept
    } else {
        Left::Unsupported
    }
}

#[cfg(all(
    test,
    target_os = "linux",
    any(
        target_arch = "x86_64",
        all(target_arch = "aarch64", target_endian = "little")
    )
))]
mod tests {
    use super::*;

    #[test]
    fn a_thread_leaves_once_says_so_in_its_area_and_still_knows_its_cpu() {
        if kept() {
            assert_eq!(leave(), Left::Kept);
            return;
        }
        std::thread::spawn(|| {
            let area = platform::area();
            let first = leave();
            match area {
                Some((area, _)) => {
                    // glibc registered this thread.
                    assert_eq!(first, Left::Unregistered);
                    // SAFETY: this thread's glibc rseq area, as in `leave`.
                    let cpu_id = unsafe { std::ptr::read_volatile((area + 4) as *const i32) };
                    assert_eq!(cpu_id, RSEQ_CPU_ID_REGISTRATION_FAILED);
                }
                None => assert_eq!(first, Left::NotRegistered),
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
