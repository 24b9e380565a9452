/* What the bench's C socket programs share: errors, the clock, and TCP on 127.0.0.1 with the
 * options ferry sets on its own loopback connections (crates/sockio/src/tcp.rs): TCP_NODELAY
 * (Py4J sets it too) and the congestion control reno, unless FERRY_KEEP_CONGESTION is set (then
 * the system's, as Py4J has it). Included by rtt.c, bandwidth.c and text_call.c. */
#ifndef FERRY_BENCH_LOOPBACK_H
#define FERRY_BENCH_LOOPBACK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static inline void die(const char *what) {
    perror(what);
    exit(1);
}

static inline void tune(int fd) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) die("setsockopt");
    const char *keep = getenv("FERRY_KEEP_CONGESTION");
    if (keep == NULL || keep[0] == '\0' || strcmp(keep, "0") == 0) {
        /* As ferry: best effort, the system's algorithm stays where reno is not allowed. */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4);
    }
}

static inline long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* 127.0.0.1:port. */
static inline struct sockaddr_in loopback_addr(int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)port);
    return a;
}

/* A socket listening on 127.0.0.1 on a free port, which is printed on stdout (one line). */
static inline int listen_loopback(int backlog) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0) die("socket");
    struct sockaddr_in a = loopback_addr(0);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0) die("bind");
    if (listen(ls, backlog) != 0) die("listen");
    socklen_t len = sizeof a;
    if (getsockname(ls, (struct sockaddr *)&a, &len) != 0) die("getsockname");
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);
    return ls;
}

/* The next connection to `ls`, with ferry's options. */
static inline int accept_loopback(int ls) {
    int c = accept(ls, NULL, NULL);
    if (c < 0) die("accept");
    tune(c);
    return c;
}

/* A connection to 127.0.0.1:port, with ferry's options. */
static inline int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in a = loopback_addr(port);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
    tune(fd);
    return fd;
}

#endif
