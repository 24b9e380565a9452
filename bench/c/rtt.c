/* The TCP loopback round-trip floor: a C echo server and a C client, no Python in between.
 *
 *   rtt server                      listen on 127.0.0.1, a free port, print it, echo every byte
 *                                   of each connection (one connection at a time) until EOF
 *   rtt client PORT BATCHES SIZE WARMUP
 *                                   connect, do WARMUP round trips, then BATCHES batches of SIZE
 *                                   round trips of 1 byte each way; print each batch's duration
 *                                   in nanoseconds, one per line
 *
 * Both ends set TCP_NODELAY, as ferry and Py4J do. Compiled by bench/run.py with gcc -O2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void nodelay(int fd) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) die("setsockopt");
}

static int serve(void) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0) die("socket");
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0) die("bind");
    if (listen(ls, 16) != 0) die("listen");
    socklen_t len = sizeof a;
    if (getsockname(ls, (struct sockaddr *)&a, &len) != 0) die("getsockname");
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);
    for (;;) {
        int c = accept(ls, NULL, NULL);
        if (c < 0) die("accept");
        nodelay(c);
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
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void round_trip(int fd) {
    char b = 'x';
    if (write(fd, &b, 1) != 1) die("write");
    if (read(fd, &b, 1) != 1) die("read");
}

static int client(int port, long batches, long size, long warmup) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)port);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
    nodelay(fd);
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
