//! Reference release: which Java objects this client still holds, and the queue of those it let
//! go of, waiting to be sent as `m d` commands.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ferry_protocol::{ENTRY_POINT_ID, GATEWAY_SERVER_ID};

/// Ids that are bound for the gateway's whole life and are never released (py4j never releases
/// them either).
pub(crate) fn is_permanent(id: &str) -> bool {
    id == ENTRY_POINT_ID || id == GATEWAY_SERVER_ID || id == "j"
}

#[derive(Debug, Default)]
struct State {
    /// How many live handles this process holds per id.
    live: HashMap<String, u32>,
    /// Ids to release, oldest first.
    pending: Vec<String>,
    /// When the oldest pending id was queued.
    oldest: Option<Instant>,
    /// A flusher thread runs for this queue.
    flusher: bool,
    /// The flusher waits with no deadline (nothing was pending): the next release must wake
    /// it. While it waits for a deadline, a release needs no wake-up: it checks again then.
    flusher_idle: bool,
    /// The owning client is gone: the flusher ends.
    stopped: bool,
}

/// The release queue shared by a client, its handles and its flusher thread.
#[derive(Debug, Default)]
pub(crate) struct ReleaseQueue {
    // Shared so that a fork can hold it by an owned guard (see `fork`).
    state: Arc<Mutex<State>>,
    wake: Condvar,
    /// `state.pending` is not empty (kept under the lock): a request with nothing to release
    /// does not take the lock.
    any_pending: AtomicBool,
}

/// What a caller must do after queuing a release.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Queued {
    /// Nothing: the id is still held, or a flusher already knows.
    Nothing,
    /// Start a flusher thread (none runs yet).
    StartFlusher,
}

impl ReleaseQueue {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the queue's lock for a fork (see `fork`).
    pub(crate) fn hold_for_fork(&self, held: &mut crate::fork::Held) {
        held.hold(&self.state);
    }

    /// Counts one more handle on `id`.
    pub(crate) fn retain(&self, id: &str) {
        let mut st = self.lock();
        match st.live.get_mut(id) {
            Some(n) => *n += 1,
            None => {
                st.live.insert(id.to_owned(), 1);
            }
        }
    }

    /// Drops one handle on `id`; the last one queues the release.
    pub(crate) fn release(&self, id: &str, batch: usize) -> Queued {
        let mut st = self.lock();
        match st.live.get_mut(id) {
            Some(n) if *n > 1 => {
                *n -= 1;
                return Queued::Nothing;
            }
            Some(_) => {
                st.live.remove(id);
            }
            None => return Queued::Nothing,
        }
        self.push(st, id.to_owned(), batch)
    }

    /// Queues the release of `id` now, whatever handles remain (py4j's `detach`).
    pub(crate) fn detach(&self, id: &str, batch: usize) -> Queued {
        let mut st = self.lock();
        st.live.remove(id);
        self.push(st, id.to_owned(), batch)
    }

    fn push(&self, mut st: MutexGuard<'_, State>, id: String, batch: usize) -> Queued {
        if st.pending.is_empty() {
            st.oldest = Some(Instant::now());
        }
        st.pending.push(id);
        self.any_pending.store(true, Ordering::Relaxed);
        // Each wake-up is a system call and a switch to the flusher thread: only when it would
        // otherwise not look at the queue in time.
        if (st.pending.len() == 1 && st.flusher_idle) || st.pending.len() >= batch {
            self.wake.notify_all();
        }
        if st.flusher || st.stopped {
            Queued::Nothing
        } else {
            st.flusher = true;
            Queued::StartFlusher
        }
    }

    /// Takes up to `max` pending ids, oldest first.
    pub(crate) fn take(&self, max: usize) -> Vec<String> {
        // A release queued by another thread at this very moment goes with a later command or
        // with the flusher, as it would if it had come a moment later.
        if !self.any_pending.load(Ordering::Relaxed) {
            return Vec::new();
        }
        let mut st = self.lock();
        let batch = take_from(&mut st, max);
        self.any_pending
            .store(!st.pending.is_empty(), Ordering::Relaxed);
        batch
    }

    /// Puts ids back at the front of the queue (their write failed before the gateway saw them).
    pub(crate) fn put_back(&self, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        let mut st = self.lock();
        let rest = std::mem::replace(&mut st.pending, ids);
        st.pending.extend(rest);
        self.any_pending.store(true, Ordering::Relaxed);
        if st.oldest.is_none() {
            st.oldest = Some(Instant::now());
        }
    }

    /// Blocks until a batch is due (the oldest pending id has waited `delay`, or `batch` ids are
    /// pending) and takes it. `None` when the queue is stopped.
    pub(crate) fn wait_batch(&self, delay: Duration, batch: usize) -> Option<Vec<String>> {
        let mut st = self.lock();
        loop {
            if st.stopped {
                st.flusher = false;
                return None;
            }
            if st.pending.is_empty() {
                st.flusher_idle = true;
                st = self.wake.wait(st).unwrap_or_else(PoisonError::into_inner);
                st.flusher_idle = false;
                continue;
            }
            let due = st.oldest.map_or_else(Instant::now, |t| t + delay);
            let now = Instant::now();
            if now >= due || st.pending.len() >= batch {
                let taken = take_from(&mut st, batch);
                self.any_pending
                    .store(!st.pending.is_empty(), Ordering::Relaxed);
                return Some(taken);
            }
            st = self
                .wake
                .wait_timeout(st, due - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Ends the flusher: the client is gone.
    pub(crate) fn stop(&self) {
        self.lock().stopped = true;
        self.wake.notify_all();
    }

    /// Records that no flusher thread runs (one could not be started).
    pub(crate) fn stop_flusher_flag(&self) {
        self.lock().flusher = false;
    }

    /// Forgets everything a parent process held (called in a forked child): the child must not
    /// release its parent's references, and it has no flusher thread.
    pub(crate) fn reset_after_fork(&self) {
        let mut st = self.lock();
        st.live.clear();
        st.pending.clear();
        self.any_pending.store(false, Ordering::Relaxed);
        st.oldest = None;
        st.flusher = false;
    }

    /// (ids held, releases pending).
    pub(crate) fn counts(&self) -> (usize, usize) {
        let st = self.lock();
        (st.live.len(), st.pending.len())
    }
}

fn take_from(st: &mut State, max: usize) -> Vec<String> {
    if st.pending.is_empty() {
        return Vec::new();
    }
    let n = st.pending.len().min(max.max(1));
    let rest = st.pending.split_off(n);
    let batch = std::mem::replace(&mut st.pending, rest);
    st.oldest = if st.pending.is_empty() {
        None
    } else {
        Some(Instant::now())
    };
    batch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_handle_queues_the_release() {
        let q = ReleaseQueue::default();
        q.retain("o1");
        q.retain("o1");
        assert_eq!(q.release("o1", 10), Queued::Nothing);
        assert_eq!(q.counts(), (1, 0));
        assert_eq!(q.release("o1", 10), Queued::StartFlusher);
        assert_eq!(q.counts(), (0, 1));
        // A release of an id no longer held does nothing.
        assert_eq!(q.release("o1", 10), Queued::Nothing);
        assert_eq!(q.take(10), vec!["o1".to_owned()]);
    }

    #[test]
    fn detach_releases_at_once_and_handles_then_do_nothing() {
        let q = ReleaseQueue::default();
        q.retain("o2");
        q.detach("o2", 10);
        assert_eq!(q.counts(), (0, 1));
        q.release("o2", 10);
        assert_eq!(q.counts(), (0, 1));
    }

    #[test]
    fn batches_are_bounded_and_ordered() {
        let q = ReleaseQueue::default();
        for i in 0..5 {
            let id = format!("o{i}");
            q.retain(&id);
            q.release(&id, 100);
        }
        assert_eq!(q.take(2), vec!["o0", "o1"]);
        q.put_back(vec!["o1".into()]);
        assert_eq!(q.take(10), vec!["o1", "o2", "o3", "o4"]);
        assert!(q.take(10).is_empty());
    }

    #[test]
    fn wait_batch_honours_the_delay_and_stop() {
        let q = ReleaseQueue::default();
        q.retain("o9");
        q.release("o9", 100);
        let start = Instant::now();
        let b = q.wait_batch(Duration::from_millis(30), 100).unwrap();
        assert_eq!(b, vec!["o9"]);
        assert!(start.elapsed() >= Duration::from_millis(25));
        q.stop();
        assert_eq!(q.wait_batch(Duration::from_millis(30), 100), None);
    }

    #[test]
    fn an_idle_flusher_is_woken_by_the_first_release() {
        let q = std::sync::Arc::new(ReleaseQueue::default());
        let flusher = {
            let q = q.clone();
            std::thread::spawn(move || q.wait_batch(Duration::from_millis(10), 100))
        };
        while !q.lock().flusher_idle {
            std::thread::yield_now();
        }
        q.retain("o1");
        q.release("o1", 100);
        assert_eq!(flusher.join().unwrap(), Some(vec!["o1".to_owned()]));
    }

    #[test]
    fn a_release_queued_while_the_flusher_waits_for_a_deadline_needs_no_wake_up() {
        let q = std::sync::Arc::new(ReleaseQueue::default());
        q.retain("a");
        q.release("a", 100);
        let flusher = {
            let q = q.clone();
            std::thread::spawn(move || q.wait_batch(Duration::from_millis(500), 100))
        };
        // A request takes "a" with it before its deadline; "b" comes while the flusher waits
        // for that deadline, so it is not woken: it finds "b" when it looks again.
        assert_eq!(q.take(100), vec!["a".to_owned()]);
        q.retain("b");
        q.release("b", 100);
        assert!(!q.lock().flusher_idle);
        assert_eq!(flusher.join().unwrap(), Some(vec!["b".to_owned()]));
    }

    #[test]
    fn fork_reset_forgets_the_parent() {
        let q = ReleaseQueue::default();
        q.retain("o1");
        q.retain("o2");
        q.release("o2", 10);
        q.reset_after_fork();
        assert_eq!(q.counts(), (0, 0));
        // A parent's handle dropped in the child sends nothing.
        assert_eq!(q.release("o1", 10), Queued::Nothing);
        assert_eq!(q.counts(), (0, 0));
    }
}
