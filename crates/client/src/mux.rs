//! The multiplexed mode (opt-in, protocol v2): the calls of concurrent threads combined on one
//! connection. A thread that finds no write in progress becomes the leader: it writes every
//! request waiting (its own and those other threads queued meanwhile) in one write, reads their
//! replies in one go and hands each to its thread, waking that thread only (if it sleeps: a
//! waiting thread first yields its CPU for a while, see `Mux::yield_for_reply`). If requests were
//! queued while it wrote and read, it hands the lead to the first of their threads. A leader
//! first lets the threads that called with it last time queue again; the thread whose request
//! fills the queue meanwhile writes it (the leader then waits as the others do).
//!
//! What the mode changes for the caller:
//! - the calls run in order on the connection's one Java thread, whichever Python thread made
//!   them (py4j gives each Python thread a Java thread of its own): a Java call that waits for
//!   another Python thread's call would wait forever, which is why the mode is opt-in;
//! - a thread serving a call from Java (a callback) does not combine: its calls go on a pooled
//!   connection, so that a Python callback calling Java while a combined call waits for it
//!   cannot wait on itself;
//! - an interrupt (the caller's check) while the thread waits for another thread to write its
//!   request takes the request back; once written, the request is abandoned, not cancelled
//!   (its reply is dropped), unless the thread leads: then the whole write is cancelled, as a
//!   call on a connection of its own would be, and the other calls of that write fail;
//! - the replies of a write are read by its leader, so that a leader's call returns when the
//!   last reply of its write has come.

use std::cell::Cell;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use ferry_protocol::ProtocolError;
use ferry_protocol::binary::FrameKind;

use crate::client::{Options, Shared};
use crate::connection::Connection;
use crate::error::ClientError;
use crate::wire::{self, Placer, Protocol, ReplyFrame};

/// How long a waiting thread sleeps before it asks its interrupt check again.
const WAIT_SLICE: Duration = Duration::from_millis(50);

/// How long a waiting thread yields the CPU before it sleeps (see [`Mux::yield_for_reply`]):
/// longer than a combined write of a few threads takes on one busy core (15 us for four).
const YIELD_FOR: Duration = Duration::from_micros(50);

/// A yield that returns sooner than this ran no other thread: nothing else wants the CPU.
const YIELD_ALONE: Duration = Duration::from_micros(1);

thread_local! {
    /// How many calls from Java this thread is serving (nested callbacks count each).
    static SERVING: Cell<u32> = const { Cell::new(0) };
}

/// Marks the calling thread as serving a call from Java while it lives: the thread's calls to
/// Java do not combine (see the module's notes).
pub(crate) struct ServingCallback(());

impl ServingCallback {
    pub(crate) fn enter() -> ServingCallback {
        SERVING.with(|s| s.set(s.get().saturating_add(1)));
        ServingCallback(())
    }
}

impl Drop for ServingCallback {
    fn drop(&mut self) {
        SERVING.with(|s| s.set(s.get().saturating_sub(1)));
    }
}

fn serving_callback() -> bool {
    SERVING.with(Cell::get) > 0
}

/// What a waiting thread finds for its ticket.
#[derive(Debug)]
enum Outcome {
    Reply(ReplyFrame),
    Failed(ClientError),
    /// The gateway speaks v1: the thread makes its call on a pooled connection.
    NotCombined,
    /// The thread is to lead the next write (its request is queued).
    Lead,
}

#[derive(Debug, Default)]
struct State {
    /// The shared connection, when no leader holds it.
    conn: Option<Box<Connection>>,
    /// Frames waiting for the next write (one request frame per waiting thread, in order), and
    /// the ticket of each.
    queue: Vec<u8>,
    waiting: Vec<u64>,
    next_ticket: u64,
    /// A leader is writing and reading (or was handed the lead and is waking up).
    leading: bool,
    /// The leader is letting other threads queue before it writes (see [`Mux::lead`]): a
    /// thread whose request fills the queue may take the write over.
    gathering: bool,
    /// Requests written and not answered yet.
    in_flight: usize,
    /// Outcomes not collected yet, by ticket. A list, not a map: it holds about one entry per
    /// calling thread, and a search of a few entries costs less than hashing each ticket.
    done: Vec<(u64, Outcome)>,
    /// Tickets whose threads stopped waiting after their request was written: their replies
    /// are dropped (rare: after an interrupt).
    abandoned: Vec<u64>,
    /// Tickets whose threads sleep (or are about to), with the thread: only they are woken with
    /// their outcome. A thread that yields for its outcome instead finds it by itself, and an
    /// unpark it did not need would cut its next sleep short. (A thread's handle is taken only
    /// when it goes to sleep: `thread::current` costs a thread-local lookup and a reference
    /// count, on every call.)
    asleep: Vec<(u64, Thread)>,
    /// The buffers of the last write, emptied, for the next one: a write then allocates
    /// nothing for its frames and its list of threads.
    spare_queue: Vec<u8>,
    spare_waiting: Vec<u64>,
    /// The gateway speaks v1: nothing is combined.
    v1: bool,
    /// Writes made, and requests they carried.
    writes: u64,
    requests: u64,
    /// How many requests recent writes carried (the largest of late, decaying by one a write):
    /// how many threads call at once.
    recent: usize,
}

impl State {
    fn take_outcome(&mut self, ticket: u64) -> Option<Outcome> {
        let k = self.done.iter().position(|(t, _)| *t == ticket)?;
        Some(self.done.swap_remove(k).1)
    }

    fn has_outcome(&self, ticket: u64) -> bool {
        self.done.iter().any(|(t, _)| *t == ticket)
    }

    /// The outcome of `ticket` is placed: its thread goes into `wake` if it sleeps.
    fn wake_if_asleep(&self, ticket: u64, wake: &mut Vec<Thread>) {
        if let Some((_, thread)) = self.asleep.iter().find(|(t, _)| *t == ticket) {
            wake.push(thread.clone());
        }
    }

    /// Whether `ticket` was abandoned (and forgets it).
    fn forget_abandoned(&mut self, ticket: u64) -> bool {
        match self.abandoned.iter().position(|t| *t == ticket) {
            Some(k) => {
                self.abandoned.swap_remove(k);
                true
            }
            None => false,
        }
    }
}

/// Counters of the multiplexed mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MuxStats {
    /// Writes of combined requests (each followed by the read of their replies).
    pub writes: u64,
    /// Requests those writes carried.
    pub requests: u64,
    /// Requests queued now, waiting for the next write.
    pub waiting: usize,
    /// Requests written now, waiting for their replies.
    pub in_flight: usize,
}

/// The combining state of one client.
#[derive(Debug, Default)]
pub(crate) struct Mux {
    // Shared so that a fork can hold it by an owned guard (see `fork`).
    state: Arc<Mutex<State>>,
}

impl Mux {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the mode's lock for a fork (see `fork`).
    pub(crate) fn hold_for_fork(&self, held: &mut crate::fork::Held) {
        held.hold(&self.state);
    }

    pub(crate) fn stats(&self) -> MuxStats {
        let st = self.lock();
        MuxStats {
            writes: st.writes,
            requests: st.requests,
            waiting: st.waiting.len(),
            in_flight: st.in_flight,
        }
    }

    /// Closes the idle shared connection (the client closes).
    pub(crate) fn close(&self) {
        let conn = self.lock().conn.take();
        if let Some(c) = conn {
            c.close();
        }
    }

    /// In a forked child: the parent's threads are not here, so their queue, their lead and
    /// their replies are forgotten with the parent's connection (whose socket only this
    /// process's descriptor is closed of). The counters start again.
    pub(crate) fn reset_after_fork(&self) {
        let old = std::mem::take(&mut *self.lock());
        if let Some(c) = old.conn {
            c.close();
        }
    }

    /// Sends one request frame combined with other threads' and returns its reply. The leader
    /// reads every reply of its write with its own `placer`: a placer given here must place any
    /// thread's reply (hold no state of its caller). `None` when
    /// the call is not to be combined (the gateway speaks v1, the thread serves a call from
    /// Java, the frame is large): the caller then uses a pooled connection.
    pub(crate) fn request(
        &self,
        shared: &Shared,
        frame: &[u8],
        interrupted: &mut dyn FnMut() -> bool,
        mut placer: Option<&mut dyn Placer>,
    ) -> Option<Result<ReplyFrame, ClientError>> {
        if frame.len() >= wire::LARGE || serving_callback() {
            return None;
        }
        let mut st = self.lock();
        if st.v1 {
            return None;
        }
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        st.queue.extend_from_slice(frame);
        st.waiting.push(ticket);
        let mut lead = !st.leading;
        if lead {
            st.leading = true;
        } else if st.gathering && st.waiting.len() >= st.recent {
            // The queue is as full as writes of late were, and its leader is still letting
            // threads queue: this thread writes it now rather than hand the CPU back to that
            // leader first (on one core, one thread switch less a write).
            st.gathering = false;
            lead = true;
        }
        loop {
            if !lead {
                match st.take_outcome(ticket) {
                    Some(Outcome::Reply(f)) => return Some(Ok(f)),
                    Some(Outcome::Failed(e)) => return Some(Err(e)),
                    Some(Outcome::NotCombined) => return None,
                    Some(Outcome::Lead) => lead = true,
                    None => {}
                }
            }
            if lead {
                match self.lead(shared, st, ticket, interrupted, wire::reborrow(&mut placer)) {
                    Led::Done(result, wake) => {
                        // Woken once the state is unlocked: a woken thread finds it free.
                        for t in wake {
                            t.unpark();
                        }
                        return result;
                    }
                    Led::TakenOver(guard) => {
                        st = guard;
                        lead = false;
                        continue;
                    }
                }
            }
            drop(st);
            if let Some(found) = self.yield_for_reply(ticket) {
                // The outcome is there, under the lock it was found with.
                st = found;
                continue;
            }
            st = self.lock();
            if !st.has_outcome(ticket) {
                // Said under the lock the leader places outcomes under: a leader that answers
                // this thread from now on wakes it; one that answered before left the outcome,
                // which the check above would have seen.
                st.asleep.push((ticket, thread::current()));
                drop(st);
                thread::park_timeout(WAIT_SLICE);
                st = self.lock();
                if let Some(k) = st.asleep.iter().position(|(t, _)| *t == ticket) {
                    st.asleep.swap_remove(k);
                }
            }
            if !st.has_outcome(ticket) {
                // The check may take the GIL: never with the state locked, since a thread that
                // holds the GIL may be waiting for the state (`stats`, `close`).
                drop(st);
                let stop = interrupted();
                st = self.lock();
                if stop && !st.has_outcome(ticket) {
                    Self::give_up(&mut st, ticket);
                    return Some(Err(ClientError::Interrupted));
                }
            }
        }
    }

    /// Before a waiting thread sleeps: while other threads want its CPU (the leader, the
    /// gateway when it runs there too, the other callers), the thread lets them run, and looks
    /// for its outcome after each turn. Falling asleep and being woken costs two futex calls,
    /// and on one CPU a wake-up that preempts the waker; a yield only switches threads (0.6 us
    /// a hand-over against 1.4 in C, 1.3 against 1.9 with Python threads, one core:
    /// bench/threads_floor.py). Across CPUs a yielding thread also needs no wake-up from
    /// another CPU, which is slow (threads4_mux unpinned on 2 cores: 85k calls/s yielding,
    /// 50k sleeping at once). Stops at once when a yield ran no other thread (an idle CPU:
    /// spinning there would only burn it), and after [`YIELD_FOR`]. Returns the state, locked,
    /// when the outcome is there.
    fn yield_for_reply(&self, ticket: u64) -> Option<MutexGuard<'_, State>> {
        // One clock reading a turn, after its look at the outcome, and none before the first
        // turn: that one usually finds the outcome (placed by the threads that ran meanwhile).
        // An idle CPU is then noticed a turn later.
        let mut clock: Option<(Instant, Instant)> = None; // (start, the last turn's end)
        loop {
            thread::yield_now();
            let st = self.lock();
            if st.has_outcome(ticket) {
                return Some(st);
            }
            drop(st);
            let after = Instant::now();
            if let Some((start, before)) = clock {
                if after - before < YIELD_ALONE || after - start > YIELD_FOR {
                    return None;
                }
            }
            clock = Some((clock.map_or(after, |(start, _)| start), after));
        }
    }

    /// Takes an interrupted thread's request back (not written yet) or marks its reply to be
    /// dropped.
    fn give_up(st: &mut State, ticket: u64) {
        let Some(k) = st.waiting.iter().position(|t| *t == ticket) else {
            st.abandoned.push(ticket);
            return;
        };
        // The queue holds one request frame per waiting thread, in the same order.
        if let Ok(spans) = wire::frames(&st.queue) {
            if let Some(span) = spans.get(k) {
                let end = spans.get(k + 1).map_or(st.queue.len(), |s| s.at);
                st.queue.drain(span.at..end);
            }
        }
        st.waiting.remove(k);
    }

    /// Writes what is queued and reads the replies; hands each to its thread. Returns this
    /// thread's result and the threads to wake (those answered, and the next leader if requests
    /// were queued meanwhile), once the state is unlocked; or, when another thread took the
    /// write over before this one wrote, the state, locked.
    fn lead<'m>(
        &'m self,
        shared: &Shared,
        mut st: MutexGuard<'m, State>,
        ticket: u64,
        interrupted: &mut dyn FnMut() -> bool,
        placer: Option<&mut dyn Placer>,
    ) -> Led<'m> {
        // When several threads called at once of late, they are probably about to call again
        // (each got its reply from the last write): let them queue their requests first, so
        // that they go in this write rather than in the next. A yield costs a system call when
        // no other thread is ready to run. The thread whose request fills the queue meanwhile
        // may take the write over (see `request`).
        let mut yields = 0;
        st.gathering = true;
        while st.waiting.len() < st.recent && yields < st.recent {
            drop(st);
            thread::yield_now();
            st = self.lock();
            // Its request left the queue: a thread that filled the queue took the write (with
            // this request) over; this thread now waits for its outcome like the others.
            if !st.waiting.contains(&ticket) {
                return Led::TakenOver(st);
            }
            yields += 1;
        }
        st.gathering = false;
        let spare = std::mem::take(&mut st.spare_queue);
        let mut frames = std::mem::replace(&mut st.queue, spare);
        let spare = std::mem::take(&mut st.spare_waiting);
        let mut batch = std::mem::replace(&mut st.waiting, spare);
        let conn = st.conn.take();
        st.in_flight = batch.len();
        st.recent = batch.len().max(st.recent.saturating_sub(1));
        drop(st);
        let outcome = Self::exchange(shared, conn, &mut frames, batch.len(), interrupted, placer);
        let mut st = self.lock();
        st.in_flight = 0;
        frames.clear();
        st.spare_queue = frames;
        let mut mine = None;
        // Usually empty (waiting threads yield rather than sleep): no allocation then.
        let mut wake = Vec::new();
        match outcome {
            Exchange::V1(conn) => {
                // Not a v2 gateway: nobody combines; every queued thread goes its way.
                shared.give_back(conn);
                st.v1 = true;
                st.queue.clear();
                let later = std::mem::take(&mut st.waiting);
                for t in batch.drain(..).chain(later) {
                    if t != ticket {
                        st.done.push((t, Outcome::NotCombined));
                        st.wake_if_asleep(t, &mut wake);
                    }
                }
                st.leading = false;
                return Led::Done(None, wake);
            }
            Exchange::Done(conn, replies) => {
                st.writes += 1;
                st.requests += batch.len() as u64;
                st.conn = match conn {
                    Some(c) if shared.is_connected() => Some(c),
                    Some(c) => {
                        shared.drop_conn(c);
                        None
                    }
                    None => None,
                };
                let mut replies = replies.into_iter();
                for t in batch.drain(..) {
                    let r = match replies.next() {
                        Some(f) => Ok(f),
                        // A fatal reply ended the exchange; the gateway closed the connection.
                        None => Err(ClientError::Closed {
                            endpoint: shared.endpoint_text(),
                        }),
                    };
                    if t == ticket {
                        mine = Some(r);
                    } else if !st.forget_abandoned(t) {
                        st.done
                            .push((t, r.map_or_else(Outcome::Failed, Outcome::Reply)));
                        st.wake_if_asleep(t, &mut wake);
                    }
                }
            }
            Exchange::Failed(e) => {
                for t in batch.drain(..) {
                    if t != ticket && !st.forget_abandoned(t) {
                        st.done.push((t, Outcome::Failed(relayed(&e, shared))));
                        st.wake_if_asleep(t, &mut wake);
                    }
                }
                mine = Some(Err(e));
            }
        }
        st.spare_waiting = batch;
        // Requests queued meanwhile: their first thread leads the next write.
        match st.waiting.first() {
            Some(&t) => {
                st.done.push((t, Outcome::Lead));
                st.wake_if_asleep(t, &mut wake);
            }
            None => st.leading = false,
        }
        Led::Done(
            Some(mine.unwrap_or_else(|| {
                Err(ClientError::Closed {
                    endpoint: shared.endpoint_text(),
                })
            })),
            wake,
        )
    }

    /// Writes a batch on the shared connection and reads its replies.
    fn exchange(
        shared: &Shared,
        conn: Option<Box<Connection>>,
        frames: &mut [u8],
        count: usize,
        interrupted: &mut dyn FnMut() -> bool,
        placer: Option<&mut dyn Placer>,
    ) -> Exchange {
        let conn = match conn {
            Some(c) => c,
            None => match shared.checkout_for_mux() {
                Ok(c) => c,
                Err(e) => return Exchange::Failed(e),
            },
        };
        if conn.protocol() != Protocol::V2 {
            return Exchange::V1(conn);
        }
        debug_assert!(
            wire::frames(frames)
                .is_ok_and(|s| s.len() == count && s.iter().all(|f| f.kind == FrameKind::Request))
        );
        let mut replies = Vec::with_capacity(count);
        let result = shared.exchange_frames_on(
            conn,
            frames,
            count,
            Options::default(),
            interrupted,
            placer,
            &mut |f| replies.push(f),
        );
        match result {
            Ok((conn, fatal)) => {
                let conn = if fatal {
                    shared.drop_conn(conn);
                    None
                } else {
                    Some(conn)
                };
                Exchange::Done(conn, replies)
            }
            Err(e) => Exchange::Failed(e),
        }
    }
}

/// How a thread's lead ended.
enum Led<'m> {
    /// It wrote and read: its result (`None`: not combined), and the threads to wake.
    Done(Option<Result<ReplyFrame, ClientError>>, Vec<Thread>),
    /// Another thread took the write over before it wrote: it waits for its outcome.
    TakenOver(MutexGuard<'m, State>),
}

enum Exchange {
    Done(Option<Box<Connection>>, Vec<ReplyFrame>),
    Failed(ClientError),
    V1(Box<Connection>),
}

/// The error the other threads of a failed write get: the same kind, except that the leader's
/// interrupt closed the connection under their calls.
fn relayed(e: &ClientError, shared: &Shared) -> ClientError {
    let endpoint = shared.endpoint_text();
    let io_like = |source: &io::Error| io::Error::new(source.kind(), source.to_string());
    match e {
        ClientError::Connect { source, .. } => ClientError::Connect {
            endpoint,
            source: io_like(source),
        },
        ClientError::Send { source, .. } => ClientError::Send {
            endpoint,
            source: io_like(source),
        },
        ClientError::Receive { source, .. } => ClientError::Receive {
            endpoint,
            source: io_like(source),
        },
        ClientError::Timeout { timeout, .. } => ClientError::Timeout {
            endpoint,
            timeout: *timeout,
        },
        ClientError::NotConnected => ClientError::NotConnected,
        ClientError::Auth { detail, .. } => ClientError::Auth {
            endpoint,
            detail: detail.clone(),
        },
        ClientError::Closed { .. } | ClientError::Interrupted => ClientError::Closed { endpoint },
        other => ClientError::Protocol {
            endpoint,
            source: ProtocolError::BadReply(format!(
                "a call written in the same combined write failed: {other}"
            )),
        },
    }
}
