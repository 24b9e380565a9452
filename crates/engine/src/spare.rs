//! A spare buffer per thread for large copies out of the Java heap (arrays and `byte[]` returned
//! by value). A fresh buffer of that size costs a page fault per page, more than the copy
//! itself; the buffer given back once its bytes are written out receives the next large copy.

use std::cell::Cell;

/// Copies at least this large use the spare.
const MIN: usize = 64 * 1024;
/// The largest buffer kept.
const MAX: usize = 256 << 20;

thread_local! {
    static SPARE: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// A buffer of `n` bytes (their values unspecified) to copy into: this thread's spare when it
/// is large enough.
pub(crate) fn buffer(n: usize) -> Vec<u8> {
    if n >= MIN {
        let mut v = SPARE.take();
        if v.capacity() >= n {
            // Only growth is zeroed: the caller overwrites every byte.
            v.truncate(n);
            v.resize(n, 0);
            return v;
        }
    }
    vec![0u8; n]
}

/// Gives back a buffer from [`buffer`] (or any buffer) once its bytes are no longer needed: the
/// calling thread keeps the largest one given back, up to 256 MiB.
pub fn give_back(v: Vec<u8>) {
    if (MIN..=MAX).contains(&v.capacity()) {
        let kept = SPARE.take();
        SPARE.set(if v.capacity() >= kept.capacity() {
            v
        } else {
            kept
        });
    }
}

/// The capacity of the calling thread's spare buffer (0: none).
pub fn held() -> usize {
    let kept = SPARE.take();
    let n = kept.capacity();
    SPARE.set(kept);
    n
}

/// Frees the calling thread's spare buffer (its thread is idle: a server's connection thread
/// that waits for the next request).
pub fn release() {
    drop(SPARE.take());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_reused_for_the_next_large_copy() {
        let v = buffer(100_000);
        assert_eq!(v.len(), 100_000);
        let p = v.as_ptr();
        give_back(v);
        let again = buffer(80_000);
        assert_eq!((again.len(), again.as_ptr()), (80_000, p));
        // Taken: the next one is new.
        let other = buffer(80_000);
        assert_ne!(other.as_ptr(), p);
    }

    #[test]
    fn a_released_spare_is_freed() {
        give_back(vec![0; 100_000]);
        assert!(held() >= 100_000);
        release();
        assert_eq!(held(), 0);
    }

    #[test]
    fn small_buffers_are_not_kept() {
        give_back(vec![0; 10]);
        assert_eq!(SPARE.take().capacity(), 0);
    }
}
