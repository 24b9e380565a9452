"""One measuring pass, in one process whose CPU affinity the orchestrator chose (`taskset`).

Started by bench/run.py as `worker.py SPEC.json`: starts the echo server and the gateway servers
(they inherit this process's affinity), connects every available client to every server, runs
each family with the combinations interleaved, measures the floors at the start and the end, and
writes its results as JSON to the path the spec names. Every process it starts is stopped before
it exits.
"""

from __future__ import annotations

import functools
import json
import os
import random
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit.build import Artifacts
from benchkit.clients import CLIENTS
from benchkit.families import all_families
from benchkit.families.base import (
    BulkFamily,
    Ctx,
    Family,
    LatencyFamily,
    ThroughputFamily,
    Unsupported,
)
from benchkit.floors import (
    RTT_KEY,
    EchoServer,
    c_rtt_sampler,
    call_floor_samplers,
    floor_cells,
    sample_floors,
)
from benchkit.measure import (
    BulkCase,
    Cell,
    Op,
    Sampler,
    error_cell,
    measure_bulk,
    measure_latency,
    measure_threads,
)
from benchkit.model import Combo, Settings
from benchkit.report import cell_summary
from benchkit.servers import SERVERS, RunningServer, cpus_allowed


class Connection:
    """One client connected to one server: the main gateway, and an auto_convert one on demand."""

    def __init__(self, combo: Combo, port: int) -> None:
        self.combo = combo
        self.client = CLIENTS[combo.client]
        self.port = port
        self.gateway = self.client.connect(port)
        self._auto: Any = None
        self._with: dict[tuple[tuple[str, Any], ...], Any] = {}

    def connect(self, auto_convert: bool) -> Any:
        if not auto_convert:
            return self.gateway
        if self._auto is None:
            self._auto = self.client.connect(self.port, auto_convert=True)
        return self._auto

    def connect_with(self, **params: Any) -> Any:
        """Another gateway to the same server with these GatewayParameters fields (made once
        per set of fields)."""
        key = tuple(sorted(params.items()))
        if key not in self._with:
            self._with[key] = self.client.connect(self.port, **params)
        return self._with[key]

    def close(self) -> None:
        for gw in (self._auto, self.gateway, *self._with.values()):
            if gw is not None:
                try:
                    self.client.close(gw)
                except Exception:  # noqa: BLE001, S110 - closing is best effort at the end
                    pass


def _check_expect(fam: LatencyFamily, op: Op) -> None:
    if fam.expect is not None:
        got = op()
        if got != fam.expect:
            raise AssertionError(f"one call answered {got!r}, expected {fam.expect!r}")


def run_family(
    fam: Family,
    conns: dict[str, Connection],
    s: Settings,
    rng: random.Random,
    samplers: dict[str, Sampler],
    art: Artifacts | None = None,
) -> dict[str, Cell]:
    cells: dict[str, Cell] = {}
    ctxs = {
        key: Ctx(
            c.combo, c.gateway, s, c.connect, artifacts=art, connect_with=c.connect_with
        )
        for key, c in conns.items()
    }
    if isinstance(fam, LatencyFamily):
        ops: dict[str, Op] = {}
        for key, ctx in ctxs.items():
            try:
                op = fam.prepare(ctx)
                _check_expect(fam, op)
                ops[key] = op
            except Unsupported as exc:
                cells[key] = {"status": "unsupported", "error": str(exc)}
            except Exception as exc:  # noqa: BLE001
                cells[key] = error_cell(exc, "set-up")
        measured = measure_latency(ops, s, rng, samplers=samplers)
        if fam.calls_per_op != 1:
            for key in ops:
                _per_inner_call(measured.get(key), fam.calls_per_op)
        cells.update(measured)
    elif isinstance(fam, BulkFamily):
        makers = {
            key: functools.partial(_bulk_maker, fam, ctx) for key, ctx in ctxs.items()
        }
        cells.update(measure_bulk(makers, fam.size(s), fam.scalable, s, rng))
    elif isinstance(fam, ThroughputFamily):
        thread_ops: dict[str, list[Op]] = {}
        for key, ctx in ctxs.items():
            try:
                thread_ops[key] = [fam.prepare_thread(ctx) for _ in range(fam.threads)]
            except Exception as exc:  # noqa: BLE001
                cells[key] = error_cell(exc, "set-up")
        cells.update(measure_threads(thread_ops, s, rng))
    else:
        raise TypeError(f"family {fam.name} has an unknown kind")
    return cells


def _per_inner_call(cell: Cell | None, n: int) -> None:
    """A row whose op makes `n` calls reports the time of one of them."""
    if cell is None or cell.get("status") != "ok":
        return
    for k in ("median_ns", "p99_ns", "p1_ns"):
        cell[k] = cell[k] / n
    cell["round_medians_ns"] = [x / n for x in cell["round_medians_ns"]]
    cell["calls"] = cell["calls"] * n


def _short(key: str) -> str:
    if "+" not in key:
        return key
    combo = Combo.parse(key)
    return f"{combo.client}+{combo.server}"


def _bulk_maker(fam: BulkFamily, ctx: Ctx, size: int) -> BulkCase:
    return fam.prepare(ctx, size)


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text())
    mode: str = spec["mode"]
    s = Settings.from_json(spec["settings"])
    art = Artifacts.from_json(spec["artifacts"])
    rng = random.Random(spec["seed"])
    wanted = set(spec["families"])
    families = [f for f in all_families() if f.name in wanted]
    combos = [Combo.parse(k) for k in spec["combos"]]
    result: dict[str, Any] = {
        "mode": mode,
        "affinity": sorted(os.sched_getaffinity(0)),
        "servers": {},
        "families": {},
        "floors": {},
        "connect_errors": {},
        "started": time.time(),
    }
    servers: dict[str, RunningServer] = {}
    conns: dict[str, Connection] = {}
    echo: EchoServer | None = None
    echo_system: EchoServer | None = None
    tag = f"[{mode}]"
    try:
        echo = EchoServer(art)
        echo_system = EchoServer(art, keep_congestion=True)
        result["echo_cpus_allowed"] = cpus_allowed(echo.proc.pid)
        floors_start = sample_floors(art, echo, echo_system, s)
        for name in sorted({c.server for c in combos}):
            try:
                servers[name] = SERVERS[name].start(art, art.workdir)
                result["servers"][name] = servers[name].facts()
            except Exception as exc:  # noqa: BLE001
                result["servers"][name] = {"error": str(exc)[:2000]}
        for combo in combos:
            server = servers.get(combo.server)
            if server is None:
                result["connect_errors"][combo.key] = (
                    f"the {combo.server} server did not start"
                )
                continue
            try:
                conns[combo.key] = Connection(combo, server.port)
            except Exception as exc:  # noqa: BLE001
                result["connect_errors"][combo.key] = error_cell(exc, "connect")[
                    "error"
                ]
        for fam in families:
            t0 = time.perf_counter()
            samplers = {RTT_KEY: c_rtt_sampler(art, echo, s)}
            if isinstance(fam, LatencyFamily) and fam.call_floors:
                # Socket servers only: JPype's JVM (`inproc`) has no port.
                ports = {n: srv.port for n, srv in servers.items() if srv.port > 0}
                samplers.update(call_floor_samplers(art, ports, s))
            cells = run_family(fam, conns, s, rng, samplers, art)
            for key, err in result["connect_errors"].items():
                cells[key] = {"status": "error", "error": err}
            result["families"][fam.name] = cells
            took = time.perf_counter() - t0
            parts = [
                f"{_short(k)} {cell_summary(fam.kind, c)}" for k, c in cells.items()
            ]
            print(
                f"{tag} {fam.name:<18} {took:5.1f}s  " + " | ".join(parts), flush=True
            )
        floors_end = sample_floors(art, echo, echo_system, s)
        result["floors"] = floor_cells(floors_start, floors_end, s.batch)
        print(
            f"{tag} {'floors':<18}        "
            + " | ".join(
                f"{k} {cell_summary('latency', c)}" for k, c in result["floors"].items()
            ),
            flush=True,
        )
    except Exception:  # noqa: BLE001
        result["fatal"] = traceback.format_exc()
        print(f"{tag} failed:\n{result['fatal']}", file=sys.stderr, flush=True)
    finally:
        for conn in conns.values():
            conn.close()
        for server in servers.values():
            server.stop()
        for e in (echo, echo_system):
            if e is not None:
                e.stop()
        result["finished"] = time.time()
        Path(spec["out"]).write_text(json.dumps(result, indent=1))
    return 1 if "fatal" in result else 0


if __name__ == "__main__":
    sys.exit(main())
