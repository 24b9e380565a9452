"""BENCHMARKS.md and the console summary, from the combined results of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchkit.expectations import Check
from benchkit.floors import (
    BANDWIDTH_FLOORS,
    CALL_FLOORS,
    FLOORS,
    RTT_KEY,
    call_floor_key,
    call_floor_server,
)
from benchkit.measure import Cell
from benchkit.model import BASELINE, COMBOS, MODE_TITLES, NOT_BUILT
from benchkit.stats import fmt_bandwidth, fmt_ns, fmt_rate, fmt_ratio, fmt_s
from benchkit.values import ok, speedup

# A pass during which other processes took more than this share of the CPUs is flagged.
NOISY_PCT = 10.0


def cell_summary(kind: str, cell: Cell | None) -> str:
    """One cell in a few words: the figure, or why there is none."""
    if cell is None:
        return "-"
    status = cell.get("status")
    if status == "ok":
        if kind == "latency":
            return f"{fmt_ns(cell['median_ns'])} (p99 {fmt_ns(cell['p99_ns'])})"
        if kind == "bulk":
            scaled = (
                f" [1/{cell['scale']} x{cell['scale']}]" if cell["scale"] != 1 else ""
            )
            return f"{fmt_s(cell['median_s'])}{scaled}"
        if kind == "throughput":
            return f"{fmt_rate(cell['median_per_s'])} calls"
    if status == NOT_BUILT:
        return NOT_BUILT
    err = str(cell.get("error", ""))
    return f"{status}: {err[:120]}" if err else str(status)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_cell(fam: dict[str, Any], cell: Cell | None, base: Cell | None) -> str:
    kind = fam["kind"]
    if not ok(cell):
        return _md_escape(cell_summary(kind, cell))
    assert cell is not None
    if kind == "latency":
        text = f"{fmt_ns(cell['median_ns'])}, p99 {fmt_ns(cell['p99_ns'])}"
    elif kind == "bulk":
        text = fmt_s(cell["median_s"])
        if fam.get("bandwidth"):
            text += f" ({fmt_bandwidth(cell['full_size'] / cell['median_s'])})"
        if cell["scale"] != 1:
            text += f" [ran 1/{cell['scale']}, x{cell['scale']}]"
    else:
        text = f"{fmt_rate(cell['median_per_s'])} calls"
    if ok(base):
        assert base is not None
        text += f"; **{fmt_ratio(speedup(kind, base, cell))}**"
    return text


def family_table(data: dict[str, Any], mode: str) -> list[str]:
    fams = data["modes"][mode].get("families", {})
    head = (
        "| row | "
        + " | ".join(c.label for c in COMBOS)
        + " | TCP RTT (C), same rounds |"
    )
    lines = [head, "|" + "---|" * (len(COMBOS) + 2)]
    for fam in data["families"]:
        cells = fams.get(fam["name"], {})
        base = cells.get(BASELINE.key)
        row = [f"`{fam['name']}`: `{_md_escape(fam['code'])}`"]
        row += [_md_cell(fam, cells.get(c.key), base) for c in COMBOS]
        rtt = cells.get(RTT_KEY)
        row.append(_md_escape(cell_summary("latency", rtt)) if rtt else "")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def floors_table(data: dict[str, Any]) -> list[str]:
    modes = [m for m in data["modes"] if data["modes"][m].get("floors")]
    lines = [
        "| floor | "
        + " | ".join(f"{m}: median, p99 (start / end of pass)" for m in modes)
        + " |"
    ]
    lines.append("|" + "---|" * (len(modes) + 1))
    for key, title in FLOORS.items():
        row = [f"`{key}`: {title}"]
        for m in modes:
            c = data["modes"][m]["floors"].get(key)
            if c is None:  # a run from before this floor existed
                row.append("-")
                continue
            row.append(
                f"{fmt_ns(c['median_ns'])}, p99 {fmt_ns(c['p99_ns'])} "
                f"({fmt_ns(c['start_median_ns'])} / {fmt_ns(c['end_median_ns'])})"
            )
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _call_floor_servers(data: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for m in data["modes"].values():
        for key in m.get("families", {}).get("held_call", {}):
            server = call_floor_server(key)
            if server is not None and server not in found:
                found.append(server)
    return found


def call_floors_table(data: dict[str, Any]) -> list[str]:
    """held_call's `sb.length()` by clients that do nothing else, per server (text protocol)."""
    servers = _call_floor_servers(data)
    modes = list(data["modes"])
    if not servers:
        return []
    lines = [
        "| server, client | "
        + " | ".join(
            f"{m}: median, p99 (above the RTT of the same rounds)" for m in modes
        )
        + " |",
        "|" + "---|" * (len(modes) + 1),
    ]
    for server in servers:
        for kind, title in CALL_FLOORS.items():
            row = [f"{server} server, {title}"]
            for m in modes:
                cells = data["modes"][m].get("families", {}).get("held_call", {})
                cell, rtt = cells.get(call_floor_key(kind, server)), cells.get(RTT_KEY)
                text = cell_summary("latency", cell)
                if ok(cell) and ok(rtt):
                    assert cell is not None and rtt is not None
                    text += f" (RTT + {fmt_ns(cell['median_ns'] - rtt['median_ns'])})"
                row.append(_md_escape(text))
            lines.append("| " + " | ".join(row) + " |")
    return lines


def bandwidth_table(data: dict[str, Any]) -> list[str]:
    """The bulk floors (bytes per second) of each pass."""
    modes = [m for m in data["modes"] if data["modes"][m].get("bandwidth")]
    lines = [
        "| floor | " + " | ".join(f"{m}: median (min - max)" for m in modes) + " |"
    ]
    lines.append("|" + "---|" * (len(modes) + 1))
    for key, title in BANDWIDTH_FLOORS.items():
        row = [f"`{key}`: {title}"]
        for m in modes:
            c = data["modes"][m]["bandwidth"].get(key)
            if not ok(c):
                row.append(
                    _md_escape(str(data["modes"][m]["bandwidth"].get("error", "-")))
                )
                continue
            assert c is not None
            row.append(
                f"{fmt_bandwidth(c['bytes_per_s'])} ({fmt_bandwidth(c['min_bytes_per_s'])} - "
                f"{fmt_bandwidth(c['max_bytes_per_s'])})"
            )
        lines.append("| " + " | ".join(row) + " |")
    return lines


def checks_table(checks: list[Check]) -> list[str]:
    lines = [
        "| issue | mode | expectation | figures | result |",
        "|---|---|---|---|---|",
    ]
    for c in checks:
        lines.append(
            f"| {c.issue} | {c.mode} | {_md_escape(c.what)} | {_md_escape(c.figures)} | **{c.status}** |"
        )
    return lines


def _build_fact(build: dict[str, Any]) -> str:
    text = f"- ferry server: `{build.get('ferry_bin', '?')}`"
    if build.get("ferry_bin_artifact"):
        text += f" (release build: {build['ferry_bin_artifact']})"
    if build.get("ferry_native"):
        text += f"; client native module `{build['ferry_native']}`"
        if build.get("ferry_native_artifact"):
            text += f" (release build: {build['ferry_native_artifact']})"
    return text


def _client_fact(name: str, facts: dict[str, Any]) -> str:
    if facts.get("excluded"):
        return f"{name} (left out)"
    if not facts.get("ok"):
        return f"{name} ({NOT_BUILT})"
    text = f"{name} {facts.get('version') or ''}".strip()
    if facts.get("file"):
        text += f" from `{Path(facts['file']).parent}`"
    return text


def _noise_lines(data: dict[str, Any]) -> list[str]:
    lines = []
    for mode, m in data["modes"].items():
        n = m.get("noise")
        if not n:
            continue
        lines.append(
            f"- {mode} pass: {n['wall_s']} s; the machine's {n['cores']} cores were {n['busy_pct']}% busy, "
            f"this run {n['own_pct']}%, other processes {n['others_pct']}%, steal {n['steal_pct']}%; "
            f"load average {n['loadavg_start'][0]} at the start, {n['loadavg_end'][0]} at the end."
        )
    return lines


def markdown(data: dict[str, Any], checks: list[Check]) -> str:
    meta = data["meta"]
    s = data["settings"]
    git = meta["git"]
    out: list[str] = ["# ferry benchmarks", ""]
    out.append(
        f"Written by `make bench` (`bench/run.py`) on {meta['date']}, at commit `{git['commit']}` "
        f"({_md_escape(git['subject'])}). The whole run took {data['duration_s'] / 60:.1f} minutes."
    )
    if s["quick"]:
        out += ["", "**This is a --quick smoke run: too few samples to quote.**"]
    out += [
        "",
        "Every column is one client talking to one server; every row is measured for all of them in",
        "the same pass, interleaved (each round visits every combination in a shuffled order), so",
        "the ratios are the figures to read: the absolute ones move with the load of this shared machine.",
        f"The ratio in bold is the speed-up against the baseline, **{BASELINE.label}**: its time",
        "divided by the cell's time (calls per second: the cell's rate divided by the baseline's);",
        "above 1 is faster. Per-call rows give the median and the p99 of the per-call time of batches",
        (
            f"of {s['batch']} calls, after a warm-up; bulk rows give the median of {s['bulk_runs']} runs"
            f" after untimed runs for {s['warmup_s']:g} s (at least one: the JVMs compile their loops"
            f" meanwhile) (threads: {s['thread_runs']} runs of {s['thread_calls']} calls per thread)."
        ),
        "",
    ]
    for mode in data["modes"]:
        m = data["modes"][mode]
        core = data.get("core", 0)
        out.append(f"## {MODE_TITLES[mode].format(core=core)}")
        out.append("")
        if m.get("fatal"):
            out += ["The pass failed:", "", "```", m["fatal"].strip(), "```", ""]
        noise = m.get("noise") or {}
        if noise.get("others_pct", 0) > NOISY_PCT:
            warning = (
                f"> Other processes took {noise['others_pct']}% of the machine's CPU time during "
                "this pass: absolute figures are inflated; the ratios (interleaved) still compare."
            )
            out += [warning, ""]
        if m.get("families"):
            out += family_table(data, mode)
        out.append("")
    out += ["## Floors, measured in the same passes", ""]
    out += [
        (
            "`c_rtt` and the floors after it use the socket options ferry gives its own "
            "loopback connections (TCP_NODELAY and the congestion control reno); the "
            "expectations subtract `c_rtt` from every client's time. Py4J's sockets keep the "
            "system's congestion control (`c_rtt_system`): its rows carry the difference "
            "between the two as if it were Py4J's own cost."
        ),
        "",
    ]
    out += floors_table(data)
    out += [""]
    if _call_floor_servers(data):
        out += [
            (
                "The `held_call` row's call made by programs that do nothing else, over Py4J's "
                "text protocol, in the row's own rounds: what each server costs any client (C), "
                "and any Python client (a bare socket loop)."
            ),
            "",
        ]
        out += call_floors_table(data)
        out += [""]
    if any(m.get("bandwidth") for m in data["modes"].values()):
        out += bandwidth_table(data)
        out += [""]
    if data.get("chart"):
        out += [
            f"![Speed-ups against py4j, and bulk bandwidths, per pass]({data['chart']})",
            "",
        ]
    out += [
        "## Expectations from the issues (computed from the figures above, not asserted)",
        "",
    ]
    out += checks_table(checks)
    out += ["", "## Notes on the rows", ""]
    for fam in data["families"]:
        line = f"- `{fam['name']}`: {fam['title']}."
        if fam["kind"] == "bulk" and fam.get("scalable"):
            line += (
                " A combination whose full-size run is projected over "
                f"{s['bulk_budget_s']} s runs on 1/10 of the data and its times are multiplied by 10"
                " (marked `[ran 1/10, x10]`); the work is one round trip per element or a base64"
                " text encoding, both linear in the size."
            )
        if fam.get("note"):
            line += " " + fam["note"]
        out.append(line)
    out += [
        (
            "- Servers: Py4J's own GatewayServer from the py4j wheel's jar, started by a small "
            "launcher (`bench/java/ferrybench/Py4JLauncher.java`), and `ferry serve`; both with the "
            "entry point `ferrybench.BenchEntry` and the JVM's default options. Under `taskset -c 0` "
            "the JVM sees one CPU and picks its ergonomics (serial GC, compiler threads) accordingly, "
            "for both servers alike."
        ),
        (
            "- Clients: every combination of a pass runs in the same Python process (both client "
            "libraries loaded), each client with its own connections; `gc.collect()` runs between "
            "timed chunks, never inside one. A call slower than 1 ms is timed one per batch."
        ),
        "",
        "## Machine and build",
        "",
        (
            f"- CPU: {meta['cpu_model']}, {meta['cores']} cores; {meta['memory_gib']} GiB; "
            f"{meta['kernel']} (TCP congestion control: "
            f"{meta.get('tcp_congestion_control', '?')}; ferry's loopback connections and the "
            "C floors choose reno)"
        ),
        f"- JDK: {meta['jdk']}",
        f"- Python: {meta['python']}; clients: "
        + ", ".join(_client_fact(name, c) for name, c in data["clients"].items()),
        _build_fact(data["build"]),
        (
            f"- commit `{git['commit']}`; paths of the build inputs (crates, java, python) with "
            f"uncommitted changes at run time: {git['uncommitted_build_inputs']}"
        ),
    ]
    for w in data.get("warnings", []):
        out.append(f"- warning: {w}")
    for mode, m in data["modes"].items():
        srv = ", ".join(
            f"{k} server CPUs {v.get('cpus_allowed', '?')}"
            for k, v in m.get("servers", {}).items()
        )
        out.append(f"- {mode} pass: client CPUs {m.get('affinity')}; {srv}")
    out += ["", "## How noisy the machine was", ""]
    out += _noise_lines(data)
    if data.get("notes"):
        out += ["", "## Reading of the figures", "", data["notes"].strip()]
    out.append("")
    return "\n".join(out)


def console(data: dict[str, Any], checks: list[Check]) -> str:
    lines: list[str] = []
    width = max(len(f["name"]) for f in data["families"]) + 2
    for mode, m in data["modes"].items():
        lines.append(f"== {mode} ==")
        fams = m.get("families", {})
        for fam in data["families"]:
            cells = fams.get(fam["name"], {})
            base = cells.get(BASELINE.key)
            for c in COMBOS:
                cell = cells.get(c.key)
                text = cell_summary(fam["kind"], cell)
                if ok(cell) and ok(base):
                    assert cell is not None and base is not None
                    text += f"  {fmt_ratio(speedup(fam['kind'], base, cell))}"
                lines.append(f"{fam['name'] + '/' + c.key:<{width + 30}} {text}")
            floors = [RTT_KEY] + [k for k in cells if call_floor_server(k) is not None]
            for key in floors:
                if key in cells:
                    text = cell_summary("latency", cells[key])
                    lines.append(f"{fam['name'] + '/' + key:<{width + 30}} {text}")
        for key in FLOORS:
            cell = m.get("floors", {}).get(key)
            lines.append(
                f"{'floor/' + key:<{width + 30}} {cell_summary('latency', cell)}"
            )
        for key in BANDWIDTH_FLOORS:
            cell = (m.get("bandwidth") or {}).get(key)
            text = fmt_bandwidth(cell["bytes_per_s"]) if ok(cell) else "-"
            lines.append(f"{'floor/' + key:<{width + 30}} {text}")
    lines.append("== expectations ==")
    for c in checks:
        lines.append(f"{c.status:<5} issue {c.issue} [{c.mode}] {c.what}  {c.figures}")
    return "\n".join(lines)


# bench/embedded.py writes a section of its own into BENCHMARKS.md between these markers; a
# rewrite of the file keeps it verbatim (at the end, where bench/embedded.py appends it).
EMBEDDED_START = "<!-- embedded:start -->"
EMBEDDED_END = "<!-- embedded:end -->"


def keep_embedded(new: str, old: str) -> str:
    """``new`` with the embedded section of ``old`` (markers included) appended unchanged."""
    start = old.find(EMBEDDED_START)
    end = old.find(EMBEDDED_END, start + 1)
    if start == -1 or end == -1 or EMBEDDED_START in new:
        return new
    section = old[start : end + len(EMBEDDED_END)]
    return new.rstrip("\n") + "\n\n" + section + "\n"
