"""Renders the chart of a run (a PNG) from its results: per pass, the speed-up of every
combination against py4j on every row (log scale), and the bulk rows' bandwidths beside the
floors (one loopback TCP stream, memcpy).

    bench/.venv-jpype/bin/python bench/chart.py bench/out/results.json bench/chart.png

run.py calls it with the bench venv's interpreter (matplotlib lives there, not in .venv).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from benchkit.model import BASELINE, COMBOS
from benchkit.values import ok, speedup

COLORS = ["#999999", "#c9a227", "#4f81bd", "#9bbb59", "#c0504d", "#8064a2"]


# Rows measured for ferry only, shown against py4j's figure of another row.
BASELINE_OF = {"threads4_mux": "threads4"}


def _speedups(
    data: dict[str, Any], mode: str
) -> tuple[list[str], dict[str, list[float]]]:
    fams = data["modes"][mode].get("families", {})
    names = [f["name"] for f in data["families"]]
    kinds = {f["name"]: f["kind"] for f in data["families"]}
    out: dict[str, list[float]] = {c.key: [] for c in COMBOS}
    for name in names:
        cells = fams.get(name, {})
        base = cells.get(BASELINE.key)
        if name in BASELINE_OF:
            # py4j has no such mode: against py4j's figure of the row it varies.
            base = fams.get(BASELINE_OF[name], {}).get(BASELINE.key)
        for c in COMBOS:
            cell = cells.get(c.key)
            if ok(base) and ok(cell):
                out[c.key].append(speedup(kinds[name], base, cell))
            else:
                out[c.key].append(float("nan"))
    return names, out


def _bandwidths(
    data: dict[str, Any], mode: str
) -> tuple[list[str], dict[str, list[float]]]:
    fams = data["modes"][mode].get("families", {})
    names = [f["name"] for f in data["families"] if f.get("bandwidth")]
    out: dict[str, list[float]] = {c.key: [] for c in COMBOS}
    for name in names:
        cells = fams.get(name, {})
        for c in COMBOS:
            cell = cells.get(c.key)
            if ok(cell):
                out[c.key].append(cell["full_size"] / cell["median_s"] / 1e9)
            else:
                out[c.key].append(float("nan"))
    return names, out


def render(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = list(data["modes"])
    fig, axes = plt.subplots(
        len(modes),
        2,
        figsize=(16, 6.5 * len(modes)),
        squeeze=False,
        gridspec_kw={"width_ratios": [3, 2]},
    )
    for row, mode in enumerate(modes):
        names, ups = _speedups(data, mode)
        ax = axes[row][0]
        height = 0.8 / len(COMBOS)
        for i, c in enumerate(COMBOS):
            ys = [k + (i - len(COMBOS) / 2) * height for k in range(len(names))]
            ax.barh(
                ys,
                ups[c.key],
                height=height,
                color=COLORS[i % len(COLORS)],
                label=c.label,
            )
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(names)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_xlabel(f"speed against {BASELINE.label} (log; right is faster)")
        ax.set_title(f"{mode}: speed-ups against py4j")
        ax.legend(fontsize=8, loc="lower right")
        ax.grid(axis="x", which="both", alpha=0.3)

        bnames, bws = _bandwidths(data, mode)
        ax = axes[row][1]
        for i, c in enumerate(COMBOS):
            ys = [k + (i - len(COMBOS) / 2) * height for k in range(len(bnames))]
            ax.barh(
                ys,
                bws[c.key],
                height=height,
                color=COLORS[i % len(COLORS)],
                label=c.label,
            )
        ax.set_yticks(range(len(bnames)))
        ax.set_yticklabels(bnames)
        ax.invert_yaxis()
        floors = data["modes"][mode].get("bandwidth") or {}
        styles = {"tcp_stream": "--", "memcpy": ":", "memcpy_fresh": "-."}
        for key, style in styles.items():
            cell = floors.get(key)
            if ok(cell):
                ax.axvline(
                    cell["bytes_per_s"] / 1e9,
                    color="black",
                    linestyle=style,
                    linewidth=1,
                    label=f"floor: {key} {cell['bytes_per_s'] / 1e9:.2f} GB/s",
                )
        ax.axvline(1.0, color="red", linewidth=0.8, label="issue 5: 1 GB/s")
        ax.set_xlabel("GB/s (right is faster)")
        ax.set_title(f"{mode}: bulk rows' bandwidth")
        ax.legend(fontsize=7, loc="lower right")
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(
        f"ferry benchmarks, run {data.get('stamp', '?')} (commit {data['meta']['git']['commit']})"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main(argv: list[str]) -> int:
    data = json.loads(Path(argv[0]).read_text())
    render(data, Path(argv[1]))
    print(f"wrote {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
