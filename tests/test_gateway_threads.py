"""Several client threads at once: every result right, and calls truly concurrent on the server.

Concurrency is proven with a barrier on the server (``fixtures.Rendezvous``): it opens only when
all parties are inside it at the same time. Nothing here measures time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

THREADS = 8
CALLS = 150
BARRIER_TIMEOUT_MS = 30_000


def run_in_threads(work: Any, count: int = THREADS) -> list[Any]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(work, n) for n in range(count)]
        return [f.result() for f in futures]


def test_many_calls_from_many_threads(gateway: Any) -> None:
    ep = gateway.entry_point
    statics = gateway.jvm.fixtures.EntryPoint

    def work(n: int) -> list[tuple[Any, Any]]:
        wrong = []
        for i in range(CALLS):
            value = n * 1_000_000 + i
            checks = [
                (ep.echoInt(value), value),
                (statics.add(n, i), n + i),
                (ep.echoString(f"t{n}-{i}\n"), f"t{n}-{i}\n"),
                (ep.ov(value), f"int:{value}"),
            ]
            wrong.extend((got, want) for got, want in checks if got != want)
        return wrong

    assert run_in_threads(work) == [[] for _ in range(THREADS)]


def test_objects_per_thread(gateway: Any) -> None:
    def work(n: int) -> int:
        total = 0
        for i in range(CALLS // 3):
            point = gateway.jvm.fixtures.Point(n, i)
            total += point.sum()
            gateway.detach(point)
        return total

    results = run_in_threads(work)
    assert results == [sum(n + i for i in range(CALLS // 3)) for n in range(THREADS)]


def test_calls_run_concurrently_on_the_server(gateway: Any) -> None:
    rendezvous = gateway.jvm.fixtures.Rendezvous(THREADS)

    def work(n: int) -> tuple[bool, list[int]]:
        met = rendezvous.arrive(BARRIER_TIMEOUT_MS)
        counts = [rendezvous.increment() for _ in range(20)]
        return bool(met), counts

    results = run_in_threads(work)
    assert all(met for met, _ in results), (
        "the server did not run all the calls at the same time"
    )
    every_count = sorted(c for _, counts in results for c in counts)
    assert every_count == list(range(1, THREADS * 20 + 1))
    assert rendezvous.count() == THREADS * 20


def test_several_clients_at_once(gateway_factory: Any, server: Any) -> None:
    gateways = [gateway_factory(server) for _ in range(4)]

    def work(n: int) -> list[Any]:
        gateway = gateways[n % len(gateways)]
        point = gateway.jvm.fixtures.Point(n, 1)
        values = [gateway.entry_point.echoInt(n * 100 + i) for i in range(30)]
        return [*values, point.sum()]

    results = run_in_threads(work)
    assert results == [
        [*(n * 100 + i for i in range(30)), n + 1] for n in range(THREADS)
    ]


def test_slow_call_does_not_block_other_threads(gateway: Any) -> None:
    rendezvous = gateway.jvm.fixtures.Rendezvous(2)
    ep = gateway.entry_point

    def work(n: int) -> Any:
        if n == 0:
            # Waits for the other thread inside the server: it can only arrive if this call
            # does not hold up the other client thread.
            return rendezvous.arrive(BARRIER_TIMEOUT_MS)
        values = [ep.echoInt(i) for i in range(50)]
        return (values, rendezvous.arrive(BARRIER_TIMEOUT_MS))

    first, second = run_in_threads(work, 2)
    assert first is True
    assert second == (list(range(50)), True)
