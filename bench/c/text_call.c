/* The floor of a Py4J text-protocol call for any client: a C client that makes one held-object
 * call per round trip against a gateway server (Py4J's or ferry's), with nothing between the
 * socket and the bytes it sends.
 *
 *   text_call PORT BATCHES SIZE WARMUP
 *       connect to 127.0.0.1:PORT, make a java.lang.StringBuilder("hello") with the `i` command,
 *       then call its length() (`c` command) WARMUP times, then BATCHES batches of SIZE calls;
 *       print each batch's duration in nanoseconds, one per line. Every reply is checked.
 *
 * One write per command and one read per reply (the reply is one short line), the client's
 * socket with ferry's options (loopback.h), no authentication. Compiled by bench/run.py with gcc -O2.
 */
#define _GNU_SOURCE
#include "loopback.h"

static void fail(const char *what, const char *got) {
    fprintf(stderr, "%s: %s\n", what, got);
    exit(1);
}

/* Sends `cmd`, reads one reply line into `line` (NUL-terminated, without its newline). */
static void exchange(int fd, const char *cmd, size_t cmd_len, char *line, size_t cap) {
    if (write(fd, cmd, cmd_len) != (ssize_t)cmd_len) die("write");
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, line + got, cap - 1 - got);
        if (n <= 0) die("read");
        got += (size_t)n;
        if (line[got - 1] == '\n') break;
        if (got == cap - 1) fail("reply too long", "");
    }
    line[got - 1] = '\0';
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: text_call PORT BATCHES SIZE WARMUP\n");
        return 2;
    }
    int port = atoi(argv[1]);
    long batches = atol(argv[2]), size = atol(argv[3]), warmup = atol(argv[4]);
    int fd = connect_loopback(port);

    char line[256];
    static const char make[] = "i\njava.lang.StringBuilder\nshello\ne\n";
    exchange(fd, make, sizeof make - 1, line, sizeof line);
    if (strncmp(line, "!yro", 4) != 0) fail("the constructor answered", line);
    char call[128];
    int call_len = snprintf(call, sizeof call, "c\n%s\nlength\ne\n", line + 3);
    if (call_len <= 0 || (size_t)call_len >= sizeof call) fail("object id too long", line);

    exchange(fd, call, (size_t)call_len, line, sizeof line);
    if (strcmp(line, "!yi5") != 0) fail("length() answered", line);
    for (long i = 0; i < warmup; i++) exchange(fd, call, (size_t)call_len, line, sizeof line);
    long long *out = malloc(sizeof(long long) * (size_t)batches);
    if (!out) die("malloc");
    for (long b = 0; b < batches; b++) {
        long long t0 = now_ns();
        for (long i = 0; i < size; i++) exchange(fd, call, (size_t)call_len, line, sizeof line);
        out[b] = now_ns() - t0;
    }
    if (strcmp(line, "!yi5") != 0) fail("length() answered", line);
    close(fd);
    for (long b = 0; b < batches; b++) printf("%lld\n", out[b]);
    free(out);
    return 0;
}
