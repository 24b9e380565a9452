"""What a family is: a row of the tables, measured for every client x server combination.

A family module defines one instance named FAMILY of a subclass of LatencyFamily, BulkFamily or
ThroughputFamily; `benchkit.families.all_families()` finds it. The family gets a Ctx per
combination (the connected gateway, with py4j's API) and returns what to time; the measuring,
interleaving, statistics and reporting are shared.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

from benchkit.measure import BulkCase, Op
from benchkit.model import Combo, Settings


class Unsupported(Exception):
    """The family has no meaning for this client or server; the cell says so."""


@dataclasses.dataclass
class Ctx:
    """One client connected to one server, for one family."""

    combo: Combo
    gateway: Any  # a JavaGateway with py4j's API (py4j's or ferry's)
    settings: Settings
    connect: Callable[
        [bool], Any
    ]  # connect(auto_convert) -> another gateway to the same server
    _auto: Any = None
    # The run's Artifacts, for rows that start servers of their own.
    artifacts: Any = None
    # connect_with(**GatewayParameters fields) -> another gateway to the same server (made
    # once per set of fields).
    connect_with: Callable[..., Any] | None = None

    def auto_convert_gateway(self) -> Any:
        """A second gateway to the same server with auto_convert=True (made once, then shared)."""
        if self._auto is None:
            self._auto = self.connect(True)
        return self._auto


class Family:
    name: ClassVar[str]  # key in tables and results: held_call, static_full, ...
    title: ClassVar[str]  # what the row measures, in words
    code: ClassVar[str]  # the Python that is timed, as the user would write it
    order: ClassVar[int]  # position in the tables
    kind: ClassVar[str]
    note: ClassVar[str] = ""


class LatencyFamily(Family):
    """A per-call row: median and p99 of the time of one call."""

    kind: ClassVar[str] = "latency"
    expect: ClassVar[object] = None  # when set, one call's result is checked against it
    calls_per_op: ClassVar[int] = 1  # the figures are per op call divided by this
    call_floors: ClassVar[bool] = (
        False  # the servers' call floors join this row's rounds
    )

    def prepare(self, ctx: Ctx) -> Op:
        raise NotImplementedError


class BulkFamily(Family):
    """A bulk row: the median time of one whole operation on `size` units of data."""

    kind: ClassVar[str] = "bulk"
    unit: ClassVar[str]  # what `size` counts: bytes, ints, elements
    full_size: ClassVar[int]
    quick_size: ClassVar[int]
    scalable: ClassVar[bool] = (
        True  # may run on a fraction of the data and be scaled up
    )
    bandwidth: ClassVar[bool] = False  # report size / time as bytes per second too

    def size(self, settings: Settings) -> int:
        return self.quick_size if settings.quick else self.full_size

    def prepare(self, ctx: Ctx, size: int) -> BulkCase:
        raise NotImplementedError


class ThroughputFamily(Family):
    """A concurrency row: calls per second with `threads` Python threads calling at once."""

    kind: ClassVar[str] = "throughput"
    threads: ClassVar[int]

    def prepare_thread(self, ctx: Ctx) -> Op:
        """What one thread calls; made once per thread (each may hold its own objects)."""
        raise NotImplementedError
