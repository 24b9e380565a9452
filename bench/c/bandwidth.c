/* The bulk floors: one loopback TCP stream's bandwidth, and memcpy.
 *
 *   bandwidth sink                  listen on 127.0.0.1, a free port, print it; for each
 *                                   connection: read an 8-byte length, then that many bytes,
 *                                   answer one byte; repeat until EOF
 *   bandwidth send PORT BYTES N     connect, then N times: send an 8-byte length and BYTES
 *                                   bytes, wait for the answer byte; print each time in ns
 *   bandwidth memcpy BYTES N        N copies of BYTES bytes between two buffers touched
 *                                   beforehand; print each time in ns
 *   bandwidth fresh BYTES N         N copies of BYTES bytes into freshly allocated memory
 *                                   (malloc'ed for each copy: its pages are faulted in by the
 *                                   copy, as a new receive buffer's are); print each time in ns
 *
 * Both ends set ferry's options (loopback.h). Compiled by bench/run.py with gcc -O2.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include "loopback.h"

static int read_all(int fd, char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

static void write_all(int fd, const char *buf, size_t n) {
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, buf + off, n - off);
        if (w <= 0) die("write");
        off += (size_t)w;
    }
}

static int sink(void) {
    int ls = listen_loopback(4);
    size_t cap = 1 << 20;
    char *buf = malloc(cap);
    if (!buf) die("malloc");
    for (;;) {
        int c = accept_loopback(ls);
        for (;;) {
            uint64_t n;
            if (read_all(c, (char *)&n, sizeof n) != 0) break;
            while (n > 0) {
                size_t want = n < cap ? (size_t)n : cap;
                ssize_t r = read(c, buf, want);
                if (r <= 0) break;
                n -= (uint64_t)r;
            }
            char ok = 'k';
            write_all(c, &ok, 1);
        }
        close(c);
    }
    return 0; /* not reached */
}

static int send_blocks(int port, size_t bytes, long n) {
    int fd = connect_loopback(port);
    char *buf = malloc(bytes);
    if (!buf) die("malloc");
    memset(buf, 7, bytes);
    long long *out = malloc(sizeof(long long) * (size_t)(n + 1));
    for (long i = -1; i < n; i++) { /* the first block warms the connection, untimed */
        long long t0 = now_ns();
        uint64_t len = bytes;
        write_all(fd, (const char *)&len, sizeof len);
        write_all(fd, buf, bytes);
        char ok;
        if (read_all(fd, &ok, 1) != 0) die("read");
        if (i >= 0) out[i] = now_ns() - t0;
    }
    close(fd);
    for (long i = 0; i < n; i++) printf("%lld\n", out[i]);
    return 0;
}

static int copies(size_t bytes, long n, int fresh) {
    char *src = malloc(bytes);
    char *dst = fresh ? NULL : malloc(bytes);
    if (!src || (!fresh && !dst)) die("malloc");
    memset(src, 3, bytes);
    if (!fresh) memset(dst, 0, bytes);
    long long *out = malloc(sizeof(long long) * (size_t)n);
    volatile char sinkc = 0;
    for (long i = 0; i < n; i++) {
        long long t0 = now_ns();
        if (fresh) {
            dst = malloc(bytes);
            if (!dst) die("malloc");
        }
        memcpy(dst, src, bytes);
        out[i] = now_ns() - t0;
        sinkc += dst[bytes / 2];
        if (fresh) free(dst);
    }
    for (long i = 0; i < n; i++) printf("%lld\n", out[i]);
    return sinkc == 1;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "sink") == 0) return sink();
    if (argc == 5 && strcmp(argv[1], "send") == 0)
        return send_blocks(atoi(argv[2]), (size_t)atoll(argv[3]), atol(argv[4]));
    if (argc == 4 && strcmp(argv[1], "memcpy") == 0)
        return copies((size_t)atoll(argv[2]), atol(argv[3]), 0);
    if (argc == 4 && strcmp(argv[1], "fresh") == 0)
        return copies((size_t)atoll(argv[2]), atol(argv[3]), 1);
    fprintf(stderr, "usage: bandwidth sink | send PORT BYTES N | memcpy BYTES N | fresh BYTES N\n");
    return 2;
}
