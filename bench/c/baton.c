/* The kernel's floor for threads that each block and are woken once per "call", no socket:
 * bench/threads_floor.py runs it pinned to one core.
 *
 *   baton ring THREADS SECONDS     thread i waits on its semaphore, then posts thread i+1's
 *   baton fanout THREADS SECONDS   a leader posts every other thread's semaphore, then waits
 *                                  until each has run once (a round: THREADS calls)
 *   baton yield THREADS SECONDS    a ring whose threads do not sleep: thread i yields the CPU
 *                                  (sched_yield) until the turn is its own, then hands it on
 *
 * Prints "calls SECONDS": how many wakes ("calls") happened in how long.
 *
 * Built with -shared -DBATON_LIB instead, it is the library the Python modes call through
 * ctypes (which releases the GIL around each call): baton_pass(next, mine) posts `next` and
 * waits on `mine` in one native call, so that the GIL is not held while another thread wakes;
 * baton_yield_pass(turn, next, mine) hands the turn on and yields until it comes back. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 64

#ifndef BATON_LIB
static sem_t sems[MAX_THREADS];
static sem_t done;
static int nthreads;
static atomic_int stop;
static atomic_long calls;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *ring(void *arg) {
    int i = (int)(long)arg;
    for (;;) {
        sem_wait(&sems[i]);
        if (atomic_load_explicit(&stop, memory_order_relaxed)) {
            sem_post(&sems[(i + 1) % nthreads]);
            return NULL;
        }
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
        sem_post(&sems[(i + 1) % nthreads]);
    }
}

static atomic_int turn;

static void *yielder(void *arg) {
    int i = (int)(long)arg;
    for (;;) {
        while (atomic_load(&turn) != i) {
            if (atomic_load_explicit(&stop, memory_order_relaxed)) return NULL;
            sched_yield();
        }
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
        atomic_store(&turn, (i + 1) % nthreads);
    }
}

static void *worker(void *arg) {
    int i = (int)(long)arg;
    for (;;) {
        sem_wait(&sems[i]);
        if (atomic_load_explicit(&stop, memory_order_relaxed)) {
            sem_post(&done);
            return NULL;
        }
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
        sem_post(&done);
    }
}

#endif

#ifdef BATON_LIB
sem_t *baton_new(void) {
    sem_t *s = malloc(sizeof *s);
    sem_init(s, 0, 0);
    return s;
}

void baton_post(sem_t *s) { sem_post(s); }

void baton_wait(sem_t *s) { sem_wait(s); }

void baton_pass(sem_t *next, sem_t *mine) {
    sem_post(next);
    sem_wait(mine);
}

/* Yields until the turn is `mine` (or -2: the run is over). */
void baton_yield_wait(atomic_int *turn, int mine) {
    int t;
    while ((t = atomic_load(turn)) != mine && t != -2) sched_yield();
}

void baton_yield_pass(atomic_int *turn, int next, int mine) {
    atomic_store(turn, next);
    baton_yield_wait(turn, mine);
}

/* Posts each of `go[0..n)`, then waits until `done` was posted n times. */
void baton_fanout(sem_t **go, int n, sem_t *done) {
    for (int i = 0; i < n; i++) sem_post(go[i]);
    for (int i = 0; i < n; i++) sem_wait(done);
}
#else
int main(int argc, char **argv) {
    if (argc != 4 || (strcmp(argv[1], "ring") && strcmp(argv[1], "fanout") &&
                      strcmp(argv[1], "yield"))) {
        fprintf(stderr, "usage: baton ring|fanout|yield THREADS SECONDS\n");
        return 2;
    }
    int fan = strcmp(argv[1], "fanout") == 0;
    int yield = strcmp(argv[1], "yield") == 0;
    nthreads = atoi(argv[2]);
    double seconds = atof(argv[3]);
    if (nthreads < 2 || nthreads > MAX_THREADS) {
        fprintf(stderr, "THREADS: 2 to %d\n", MAX_THREADS);
        return 2;
    }
    sem_init(&done, 0, 0);
    for (int i = 0; i < nthreads; i++) sem_init(&sems[i], 0, 0);
    pthread_t th[MAX_THREADS];
    /* In fanout, the main thread is the leader (thread 0). */
    for (int i = fan ? 1 : 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, fan ? worker : yield ? yielder : ring, (void *)(long)i);
    double t0 = now(), t1 = t0;
    if (fan) {
        while ((t1 = now()) - t0 < seconds) {
            for (int r = 0; r < 1000; r++) {
                atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
                for (int i = 1; i < nthreads; i++) sem_post(&sems[i]);
                for (int i = 1; i < nthreads; i++) sem_wait(&done);
            }
        }
        long n = atomic_load(&calls);
        atomic_store(&stop, 1);
        for (int i = 1; i < nthreads; i++) sem_post(&sems[i]);
        for (int i = 1; i < nthreads; i++) pthread_join(th[i], NULL);
        printf("%ld %.6f\n", n, t1 - t0);
    } else {
        sem_post(&sems[0]);
        struct timespec ts = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
        nanosleep(&ts, NULL);
        long n = atomic_load(&calls);
        t1 = now();
        atomic_store(&stop, 1);
        for (int i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
        printf("%ld %.6f\n", n, t1 - t0);
    }
    return 0;
}
#endif
