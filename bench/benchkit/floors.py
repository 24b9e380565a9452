"""The floors, measured in the same pass as the rows: the TCP loopback round trip of this machine.

- `c_rtt`: a C client and a C echo server (bench/c/rtt.c), 1 byte each way, with the options
  ferry sets on its loopback connections (TCP_NODELAY and the congestion control reno: see
  crates/sockio/src/tcp.rs). The fastest round trip of this machine: the RTT the expectations
  subtract, from every client, ferry's or not.
- `c_rtt_system`: the same pair with the system's congestion control (`FERRY_KEEP_CONGESTION=1`),
  as Py4J's sockets have it.
- `python_rtt`: Python's socket module (sendall + recv of 1 byte, ferry's options) against the C
  echo server: what a Python client pays for the socket alone.

All three are sampled at the start and at the end of each pass, in batches as the latency rows
are.

- The call floors (`CALL_FLOORS`), per server: `held_call`'s `sb.length()` made over Py4J's text
  protocol by a program that does nothing else, a C client (bench/c/text_call.c) and a Python one
  (the socket module: one `sendall`, one `recv`). What the server costs any client, and what it
  costs any Python client; sampled in `held_call`'s own rounds.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from benchkit.build import Artifacts
from benchkit.measure import Cell
from benchkit.model import Settings
from benchkit.stats import median, percentile

RTT_KEY = "c_rtt"  # the C pair's key, in the floors and in each per-call row's cells

FLOORS: dict[str, str] = {
    "c_rtt": "TCP loopback round trip, C client + C echo server, 1 byte each way",
    "c_rtt_system": "the same with the system's congestion control on both ends (as Py4J has it)",
    "python_rtt": "TCP loopback round trip, Python socket client + C echo server, 1 byte each way",
}

# TCP_CONGESTION (Linux): Python names it only where its build's headers had it.
TCP_CONGESTION = getattr(socket, "TCP_CONGESTION", 13)


def system_congestion() -> str:
    """The system's TCP congestion control (what a socket gets unless it chooses)."""
    try:
        with open("/proc/sys/net/ipv4/tcp_congestion_control") as f:
            return f.read().strip()
    except OSError:
        return "unknown"


def tune(sock: socket.socket) -> None:
    """ferry's options for a loopback connection (crates/sockio/src/tcp.rs), as bench/c's
    programs set them: TCP_NODELAY and, where the process may choose it, reno."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, b"reno")
    except OSError:
        pass  # not allowed here: the system's stays, as in ferry


def _env(keep_congestion: bool) -> dict[str, str]:
    env = dict(os.environ)
    if keep_congestion:
        env["FERRY_KEEP_CONGESTION"] = "1"
    else:
        env.pop("FERRY_KEEP_CONGESTION", None)
    return env


class EchoServer:
    def __init__(self, art: Artifacts, keep_congestion: bool = False) -> None:
        self.keep_congestion = keep_congestion
        self.proc = subprocess.Popen(
            [str(art.rtt_bin), "server"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            env=_env(keep_congestion),
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _c_batches(
    argv: list[str], port: int, batches: int, batch: int, keep_congestion: bool = False
) -> list[float]:
    """Runs a C client of bench/c (`argv` then PORT BATCHES SIZE WARMUP, a tenth as many
    warm-up round trips as timed ones) and returns its batches' times per round trip, in ns."""
    out = subprocess.run(
        [*argv, str(port), str(batches), str(batch), str(batches * batch // 10)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(keep_congestion),
    ).stdout
    return [int(x) / batch for x in out.split()]


def _c_round(rtt_bin: Path, echo: EchoServer, batches: int, batch: int) -> list[float]:
    return _c_batches(
        [str(rtt_bin), "client"], echo.port, batches, batch, echo.keep_congestion
    )


def _python_round(port: int, s: Settings) -> list[float]:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        tune(sock)
        send, recv = sock.sendall, sock.recv
        for _ in range(1000):  # warm-up
            send(b"x")
            recv(1)
        got: list[float] = []
        budget = int(s.round_budget_s * 4e9)
        start = time.perf_counter_ns()
        while len(got) < s.min_batches or time.perf_counter_ns() - start < budget:
            t0 = time.perf_counter_ns()
            for _ in range(s.batch):
                send(b"x")
                recv(1)
            got.append((time.perf_counter_ns() - t0) / s.batch)
        return got


# The call floors: cells `<kind>@<server>` of the held_call row.
CALL_FLOORS: dict[str, str] = {
    "c_text_call": "C client (bench/c/text_call.c)",
    "python_text_call": "Python socket client (one sendall, one recv)",
}
_MAKE = b"i\njava.lang.StringBuilder\nshello\ne\n"


def call_floor_key(kind: str, server: str) -> str:
    return f"{kind}@{server}"


def call_floor_server(key: str) -> str | None:
    """The server of a call floor's cell key (`None`: the key is not a call floor's)."""
    kind, _, server = key.partition("@")
    return server if kind in CALL_FLOORS else None


class PythonTextCall:
    """`sb.length()` over one socket of the text protocol, nothing else in the loop: one
    `sendall` of the command and one `recv` of the reply line."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        tune(self.sock)
        made = self._exchange(_MAKE)
        if not made.startswith(b"!yro"):
            raise RuntimeError(f"the constructor answered {made!r}")
        target = made[3:].strip()
        self.call = b"c\n" + target + b"\nlength\ne\n"
        # A call whose reply differs from the timed one's: a loop that fell a reply behind
        # (a reply read in two pieces) reads the timed call's reply here instead.
        self.sync = b"c\n" + target + b"\ncharAt\ni0\ne\n"
        if self._exchange(self.call) != b"!yi5\n":
            raise RuntimeError("length() did not answer 5")
        if self._exchange(self.sync) != b"!ysh\n":
            raise RuntimeError("charAt(0) did not answer 'h'")

    def _exchange(self, cmd: bytes) -> bytes:
        self.sock.sendall(cmd)
        got = self.sock.recv(256)
        while not got.endswith(b"\n"):
            more = self.sock.recv(256)
            if not more:
                raise ConnectionError("the server closed the connection")
            got += more
        return got

    def sample(self, s: Settings, budget_ns: int) -> list[float]:
        send, recv, call = self.sock.sendall, self.sock.recv, self.call
        got: list[float] = []
        start = time.perf_counter_ns()
        while len(got) < s.min_batches or time.perf_counter_ns() - start < budget_ns:
            t0 = time.perf_counter_ns()
            for _ in range(s.batch):
                send(call)
                recv(256)  # the reply is one short line: one read (checked below)
            got.append((time.perf_counter_ns() - t0) / s.batch)
            if self._exchange(self.sync) != b"!ysh\n":
                raise RuntimeError("the replies went out of step")
        return got


def _c_call_sampler(
    art: Artifacts, port: int, s: Settings
) -> Callable[[int], list[float]]:
    def sample(budget_ns: int) -> list[float]:
        batches = max(s.min_batches, budget_ns // (s.batch * 6000))
        return _c_batches([str(art.text_call_bin)], port, batches, s.batch)

    return sample


def _python_call_sampler(port: int, s: Settings) -> Callable[[int], list[float]]:
    # Connected at its first round: a failure is then the cell's error, not the pass's.
    held: list[PythonTextCall] = []

    def sample(budget_ns: int) -> list[float]:
        if not held:
            held.append(PythonTextCall(port))
        return held[0].sample(s, budget_ns)

    return sample


def call_floor_samplers(
    art: Artifacts, ports: dict[str, int], s: Settings
) -> dict[str, Callable[[int], list[float]]]:
    """The call floors of each server (name -> port) as samplers of held_call's rounds."""
    out: dict[str, Callable[[int], list[float]]] = {}
    for server, port in ports.items():
        out[call_floor_key("c_text_call", server)] = _c_call_sampler(art, port, s)
        out[call_floor_key("python_text_call", server)] = _python_call_sampler(port, s)
    return out


def c_rtt_sampler(
    art: Artifacts, echo: EchoServer, s: Settings
) -> Callable[[int], list[float]]:
    """The C pair as a sampler that joins a per-call row's rounds (about `budget_ns` of round
    trips, assuming about 5 us each), so a row has a floor measured under the same conditions."""

    def sample(budget_ns: int) -> list[float]:
        batches = max(s.min_batches, budget_ns // (s.batch * 5000))
        return _c_round(art.rtt_bin, echo, batches, s.batch)

    return sample


def sample_floors(
    art: Artifacts, echo: EchoServer, echo_system: EchoServer, s: Settings
) -> dict[str, list[float]]:
    """`echo` has ferry's options, `echo_system` the system's congestion control."""
    samples: dict[str, list[float]] = {k: [] for k in FLOORS}
    for _ in range(s.floor_rounds):
        samples["c_rtt"].extend(_c_round(art.rtt_bin, echo, s.floor_batches, s.batch))
        samples["c_rtt_system"].extend(
            _c_round(art.rtt_bin, echo_system, s.floor_batches, s.batch)
        )
        samples["python_rtt"].extend(_python_round(echo.port, s))
    return samples


def floor_cells(
    start: dict[str, list[float]], end: dict[str, list[float]], batch: int
) -> dict[str, Cell]:
    cells: dict[str, Cell] = {}
    for key in FLOORS:
        xs = start[key] + end[key]
        cells[key] = {
            "status": "ok",
            "median_ns": median(xs),
            "p99_ns": percentile(xs, 99.0),
            "p1_ns": percentile(xs, 1.0),
            "batches": len(xs),
            "batch": batch,
            "start_median_ns": median(start[key]),
            "end_median_ns": median(end[key]),
        }
    return cells


# The bulk floors: bytes per second (the median of their runs), measured by bench/c/bandwidth.c
# under the pass's affinity, at the size of the largest bulk row (80 MB: 10 million doubles).
BANDWIDTH_FLOORS: dict[str, str] = {
    "tcp_stream": "one loopback TCP stream, C sender + C sink, 80 MB blocks (each acknowledged)",
    "tcp_stream_system": "the same with the system's congestion control on both ends",
    "memcpy": "memcpy of 80 MB between buffers touched beforehand",
    "memcpy_fresh": "memcpy of 80 MB into freshly allocated memory (its pages faulted in)",
}
BANDWIDTH_BYTES = 80_000_000


def _times_ns(argv: list[str], env: dict[str, str] | None = None) -> list[float]:
    out = subprocess.run(
        argv, check=True, capture_output=True, text=True, timeout=600, env=env
    ).stdout
    return [float(x) for x in out.split()]


def bandwidth_floors(art: Artifacts, prefix: list[str], runs: int) -> dict[str, Cell]:
    """The bulk floors as cells (`bytes_per_s` is the median), under `prefix` (taskset)."""
    bw = str(art.bw_bin)
    n = str(BANDWIDTH_BYTES)
    samples: dict[str, list[float]] = {}
    for key, keep in (("tcp_stream", False), ("tcp_stream_system", True)):
        sink = subprocess.Popen(
            [*prefix, bw, "sink"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            env=_env(keep),
        )
        try:
            assert sink.stdout is not None
            port = sink.stdout.readline().strip().decode()
            samples[key] = _times_ns(
                [*prefix, bw, "send", port, n, str(runs)], _env(keep)
            )
        finally:
            sink.terminate()
            try:
                sink.wait(timeout=5)
            except subprocess.TimeoutExpired:
                sink.kill()
                sink.wait()
            if sink.stdout is not None:
                sink.stdout.close()
    samples["memcpy"] = _times_ns([*prefix, bw, "memcpy", n, str(runs)])
    samples["memcpy_fresh"] = _times_ns([*prefix, bw, "fresh", n, str(runs)])
    cells: dict[str, Cell] = {}
    for key, xs in samples.items():
        rates = [BANDWIDTH_BYTES / (x / 1e9) for x in xs]
        cells[key] = {
            "status": "ok",
            "bytes_per_s": median(rates),
            "min_bytes_per_s": min(rates),
            "max_bytes_per_s": max(rates),
            "runs": len(rates),
            "bytes": BANDWIDTH_BYTES,
        }
    return cells
