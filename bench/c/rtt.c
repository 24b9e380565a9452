/* The TCP loopback round-trip floor: a C echo server and a C client, no Python in between.
 *
 *   rtt server                      listen on 127.0.0.1, a free port, print it, echo every byte
 *                                   of each connection (one connection at a time) until EOF
 *   rtt client PORT BATCHES SIZE WARMUP
 *                                   connect, do WARMUP round trips, then BATCHES batches of SIZE
 *                                   round trips of 1 byte each way; print each batch's duration
 *                                   in nanoseconds, one per line
 *
 * Both ends set ferry's options (loopback.h). Compiled by bench/run.py with gcc -O2.
 */
#define _GNU_SOURCE
#include "loopback.h"

static int serve(void) {
    int ls = listen_loopback(16);
    for (;;) {
        int c = accept_loopback(ls);
        char buf[4096];
        for (;;) {
            ssize_t n = read(c, buf, sizeof buf);
            if (n <= 0) break;
            ssize_t off = 0;
            while (off < n) {
                ssize_t w = write(c, buf + off, (size_t)(n - off));
                if (w <= 0) break;
                off += w;
            }
        }
        close(c);
    }
    return 0; /* not reached */
}

static void round_trip(int fd) {
    char b = 'x';
    if (write(fd, &b, 1) != 1) die("write");
    if (read(fd, &b, 1) != 1) die("read");
}

static int client(int port, long batches, long size, long warmup) {
    int fd = connect_loopback(port);
    for (long i = 0; i < warmup; i++) round_trip(fd);
    long long *out = malloc(sizeof(long long) * (size_t)batches);
    if (!out) die("malloc");
    for (long b = 0; b < batches; b++) {
        long long t0 = now_ns();
        for (long i = 0; i < size; i++) round_trip(fd);
        out[b] = now_ns() - t0;
    }
    close(fd);
    for (long b = 0; b < batches; b++) printf("%lld\n", out[b]);
    free(out);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "server") == 0) return serve();
    if (argc == 6 && strcmp(argv[1], "client") == 0)
        return client(atoi(argv[2]), atol(argv[3]), atol(argv[4]), atol(argv[5]));
    fprintf(stderr, "usage: rtt server | rtt client PORT BATCHES SIZE WARMUP\n");
    return 2;
}
