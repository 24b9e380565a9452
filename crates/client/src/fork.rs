//! Forks while other threads use a client. `fork()` copies memory, not threads: a lock that a
//! thread of the parent held at that moment would stay held in the child, whose next call would
//! wait for it forever. So before a fork every live client's locks are taken, in the order every
//! thread takes them in (waiting for a thread inside one to leave it: none is held across I/O or
//! while waiting for Python's GIL), and after it they are given back, in the parent and in the
//! child: `pthread_atfork`'s protocol. The host calls [`prepare`] and [`finish`] from its fork
//! handlers (the Python package registers them with `pthread_atfork`, so that they run inside
//! `fork()` itself, after every Python-level hook: no other Python thread can run between them).
//!
//! The locks are the standard library's: unlocking one in the child always leaves it unlocked
//! (a lock that hands itself to a waiting thread, as `parking_lot`'s fair unlocking does, would
//! stay held for a thread of the parent that the child does not have).

// Guards outlive the borrow they were made with, kept next to the `Arc` of their mutex.
#![allow(unsafe_code)]

use std::any::Any;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

/// Something holding locks that a fork must not leave held.
pub(crate) trait ForkLocks: Any + Send + Sync {
    /// Takes every lock, in order, into `held`.
    fn hold(&self, held: &mut Held);
}

/// Locks taken for a fork: their guards, and what keeps each mutex alive and in place until
/// its guard is gone.
#[derive(Default)]
pub(crate) struct Held {
    guards: Vec<Box<dyn Any>>,
    owners: Vec<Arc<dyn Any + Send + Sync>>,
}

impl Held {
    /// Takes `mutex` (waiting for any thread inside it).
    pub(crate) fn hold<T: Send + 'static>(&mut self, mutex: &Arc<Mutex<T>>) {
        let guard = mutex.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: the guard borrows `**mutex`, which an `Arc` owns. A clone of that `Arc` goes
        // into `owners` just below, and `Held::drop` drops every guard before any owner, so
        // the mutex stays alive at the same address for as long as the guard exists; the
        // guard is never handed out of `Held` (a `Box<dyn Any>` nobody downcasts).
        let guard: MutexGuard<'static, T> = unsafe { std::mem::transmute(guard) };
        self.owners.push(mutex.clone());
        self.guards.push(Box::new(guard));
    }

    /// Keeps `owner` alive until the guards are gone.
    fn keep(&mut self, owner: Arc<dyn Any + Send + Sync>) {
        self.owners.push(owner);
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // Last taken first; every guard before any owner (see `Held::hold`).
        while let Some(g) = self.guards.pop() {
            drop(g);
        }
        self.owners.clear();
    }
}

/// The live clients.
static LIVE: Mutex<Vec<Weak<dyn ForkLocks>>> = Mutex::new(Vec::new());

/// The list of clients, held, and their locks.
type Taken = (MutexGuard<'static, Vec<Weak<dyn ForkLocks>>>, Held);

thread_local! {
    /// What [`prepare`] took on this thread (the forking one), until [`finish`].
    static HELD: RefCell<Option<Taken>> = const { RefCell::new(None) };
}

/// Makes `locks` take part in forks while it lives.
pub(crate) fn register(locks: Weak<dyn ForkLocks>) {
    let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    live.retain(|w| w.strong_count() > 0);
    live.push(locks);
}

/// Before a fork: takes the locks of every live client (and the list of clients, so that none
/// appears meanwhile). Call [`finish`] after the fork, in the parent and in the child.
pub fn prepare() {
    let live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    let mut held = Held::default();
    for c in live.iter().filter_map(Weak::upgrade) {
        c.hold(&mut held);
        // Kept until its guards are dropped: if this were the client's last reference,
        // dropping it while its locks are held here would wait for them.
        held.keep(c);
    }
    HELD.with(|h| *h.borrow_mut() = Some((live, held)));
}

/// After a fork (in the parent and in the child): gives back what [`prepare`] took, the
/// clients' locks first and the list of clients last. Without a `prepare` before it, nothing.
pub fn finish() {
    let taken = HELD.with(|h| h.borrow_mut().take());
    if let Some((live, held)) = taken {
        drop(held);
        drop(live);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    struct Two {
        a: Arc<Mutex<u32>>,
        b: Arc<Mutex<u32>>,
    }

    impl ForkLocks for Two {
        fn hold(&self, held: &mut Held) {
            held.hold(&self.a);
            held.hold(&self.b);
        }
    }

    #[test]
    fn prepare_holds_every_lock_until_finish() {
        let two = Arc::new(Two {
            a: Arc::new(Mutex::new(0)),
            b: Arc::new(Mutex::new(0)),
        });
        let locks: Arc<dyn ForkLocks> = two.clone();
        register(Arc::downgrade(&locks));
        prepare();
        assert!(two.a.try_lock().is_err() && two.b.try_lock().is_err());
        // Another thread wanting a lock waits for `finish`.
        let done = Arc::new(AtomicBool::new(false));
        let t = {
            let (b, done) = (two.b.clone(), done.clone());
            std::thread::spawn(move || {
                *b.lock().unwrap() += 1;
                done.store(true, Ordering::SeqCst);
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!done.load(Ordering::SeqCst));
        finish();
        t.join().unwrap();
        assert!(two.a.try_lock().is_ok());
        assert_eq!(*two.b.lock().unwrap(), 1);
        // A second finish does nothing.
        finish();
    }
}
