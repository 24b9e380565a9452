"""The vocabulary shared by the orchestrator, the worker, the families and the report."""

from __future__ import annotations

import dataclasses
from typing import Any

NOT_BUILT = "not built yet"


@dataclasses.dataclass(frozen=True)
class Combo:
    """One client talking to one server: a column of the tables."""

    client: str
    server: str

    @property
    def key(self) -> str:
        return f"{self.client}_client+{self.server}_server"

    @property
    def label(self) -> str:
        if self.server == "inproc":
            return f"{self.client} (JVM in the Python process)"
        if self.client == "ferry_v1":
            return f"ferry client forced to v1 + {self.server} server"
        if self.client == "ferry" and self.server == "ferry":
            return "ferry client + ferry server (v2)"
        return f"{self.client} client + {self.server} server"

    @classmethod
    def parse(cls, key: str) -> Combo:
        client, server = key.split("+")
        return cls(client.removesuffix("_client"), server.removesuffix("_server"))


# Column order of every table; the first is the baseline the ratios are taken against. The
# ferry client speaks v2 to ferry's server (protocol negotiated) and v1 to Py4J's; `ferry_v1` is
# ferry's client forced to v1, on ferry's server; `jpype` runs the JVM in process.
COMBOS: tuple[Combo, ...] = (
    Combo("py4j", "py4j"),
    Combo("py4j", "ferry"),
    Combo("ferry", "py4j"),
    Combo("ferry_v1", "ferry"),
    Combo("ferry", "ferry"),
    Combo("jpype", "inproc"),
)
BASELINE = COMBOS[0]

MODES: tuple[str, ...] = ("pinned", "scheduled")
MODE_TITLES = {
    "pinned": "pinned to one core (client and server under `taskset -c {core}`)",
    "scheduled": "as scheduled (no pinning)",
}


@dataclasses.dataclass(frozen=True)
class Settings:
    """How long and how often each row is measured."""

    quick: bool
    rounds: int  # latency rows: interleaved rounds over the combos
    round_budget_s: float  # latency rows: time per combo per round
    min_batches: int  # latency rows: batches per combo per round, at least
    batch: int  # latency rows: calls per timed batch
    warmup_s: float  # warm-up per combo before measuring (bulk: untimed runs)
    bulk_runs: int  # bulk rows: timed runs per combo (the median is reported)
    bulk_budget_s: (
        float  # bulk rows: a full-size run projected above this is scaled down
    )
    max_scale: int  # bulk rows: the largest scale-down factor allowed
    thread_runs: int  # throughput rows: timed runs per combo
    thread_calls: int  # throughput rows: calls per thread per run
    floor_rounds: int  # floors: rounds at the start and again at the end of a pass
    floor_batches: int  # floors: batches per round

    @classmethod
    def for_run(cls, quick: bool) -> Settings:
        if quick:
            return cls(
                quick=True,
                rounds=2,
                round_budget_s=0.01,
                min_batches=3,
                batch=10,
                warmup_s=0.02,
                bulk_runs=2,
                bulk_budget_s=0.3,
                max_scale=100,
                thread_runs=2,
                thread_calls=50,
                floor_rounds=1,
                floor_batches=50,
            )
        return cls(
            quick=False,
            rounds=20,
            round_budget_s=0.04,
            min_batches=20,
            batch=10,
            warmup_s=0.5,
            bulk_runs=7,
            bulk_budget_s=1.5,
            max_scale=10,
            thread_runs=7,
            thread_calls=2000,
            floor_rounds=3,
            floor_batches=2000,
        )

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settings:
        return cls(**data)
