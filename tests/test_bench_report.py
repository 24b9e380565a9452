"""bench/benchkit: the report writer keeps bench/embedded.py's section of BENCHMARKS.md, and
the expectations are computed from the figures (a MISS is reported, never raised)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from benchkit.expectations import evaluate
from benchkit.report import EMBEDDED_END, EMBEDDED_START, keep_embedded

SECTION = (
    f"{EMBEDDED_START}\n## Embedded\n\n| a | b |\n|---|---|\n| 1 | 2 |\n{EMBEDDED_END}"
)


def test_a_rewrite_keeps_the_embedded_section_verbatim() -> None:
    old = f"# ferry benchmarks\n\nold tables\n\n{SECTION}\n\ntrailing words\n"
    new = "# ferry benchmarks\n\nnew tables\n"
    out = keep_embedded(new, old)
    assert out.startswith(new.rstrip("\n"))
    assert SECTION in out
    assert "old tables" not in out and "trailing words" not in out


def test_without_a_section_the_new_text_is_written_as_it_is() -> None:
    new = "# ferry benchmarks\n"
    assert keep_embedded(new, "") == new
    assert keep_embedded(new, f"{EMBEDDED_START} without its end") == new


def _cell(**kw: Any) -> dict[str, Any]:
    return {"status": "ok", **kw}


def test_the_callback_rows_are_judged_against_py4j_above_the_rtt() -> None:
    families = {
        "callback": {
            "py4j_client+py4j_server": _cell(median_ns=35_000.0),
            "ferry_client+ferry_server": _cell(median_ns=12_000.0),
        },
        "callback_pinned": {
            "py4j_client+py4j_server": _cell(median_ns=35_000.0),
            "ferry_client+ferry_server": _cell(median_ns=20_000.0),
        },
    }
    data = {
        "families": [
            {"name": "callback", "kind": "latency"},
            {"name": "callback_pinned", "kind": "latency"},
        ],
        "modes": {
            "pinned": {
                "families": families,
                "floors": {"c_rtt": _cell(median_ns=5_000.0)},
            }
        },
    }
    checks = {c.what.split(",")[0]: c.status for c in evaluate(data) if c.issue == 4}
    # (35 - 5) / 3 = 10 us above the RTT: 7 us passes, 15 us misses.
    assert checks == {"callback": "PASS", "callback_pinned": "MISS"}
