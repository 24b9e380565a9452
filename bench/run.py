"""Run every benchmark family side by side and write BENCHMARKS.md (and bench/out/*.json).

    .venv/bin/python bench/run.py            # the full run (`make bench`)
    .venv/bin/python bench/run.py --quick    # a short smoke run (few samples; not for quoting)
    .venv/bin/python bench/run.py --list     # the family names

Each mode is one pass in a worker process (bench/worker.py) started under `taskset`: "pinned" puts
the client, the servers it starts and the echo pair on one core; "scheduled" leaves them to the
scheduler. The ferry client joins by itself once `import ferry.java_gateway` works; until then its
cells say "not built yet". Refuses to run on anything but the release build in target/release.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from benchkit.build import OUT_TMP, ROOT, Artifacts, compile_fixtures, release_problems
from benchkit.clients import CLASSPATH_ENV, CLIENTS
from benchkit.expectations import evaluate
from benchkit.families import all_families
from benchkit.families.base import BulkFamily, Family, ThroughputFamily
from benchkit.floors import bandwidth_floors
from benchkit.machine import CpuMonitor, machine_facts
from benchkit.model import BASELINE, COMBOS, MODES, NOT_BUILT, Combo, Settings
from benchkit.report import console, keep_embedded, markdown
from benchkit.values import ok

OUT = BENCH / "out"
NOTES = BENCH / "notes.md"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a short smoke run with small iteration counts",
    )
    p.add_argument("--no-write", action="store_true", help="do not write BENCHMARKS.md")
    p.add_argument(
        "--render",
        metavar="RESULTS_JSON",
        help="write BENCHMARKS.md from saved results (bench/out/...json) and bench/notes.md",
    )
    p.add_argument(
        "--list", action="store_true", help="print the family names and exit"
    )
    p.add_argument(
        "--families", help="comma-separated family names to run (default: all)"
    )
    p.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated: pinned, scheduled"
    )
    p.add_argument(
        "--clients",
        default=",".join(CLIENTS),
        help="comma-separated clients to include (default: every one that imports)",
    )
    p.add_argument(
        "--core", type=int, default=0, help="the core of the pinned pass (default 0)"
    )
    p.add_argument(
        "--seed", type=int, help="seed of the interleaving order (default: random)"
    )
    return p.parse_args(argv)


def family_meta(f: Family) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": f.name,
        "title": f.title,
        "code": f.code,
        "kind": f.kind,
        "order": f.order,
        "note": f.note,
    }
    if isinstance(f, BulkFamily):
        meta.update(
            unit=f.unit,
            full_size=f.full_size,
            scalable=f.scalable,
            bandwidth=f.bandwidth,
        )
    if isinstance(f, ThroughputFamily):
        meta.update(threads=f.threads)
    return meta


def affinity_prefix(mode: str, core: int) -> list[str]:
    if mode == "pinned":
        return ["taskset", "-c", str(core)]
    cpus = os.cpu_count() or 1
    return ["taskset", "-c", f"0-{cpus - 1}"]


JPYPE_VENV = BENCH / ".venv-jpype"
# What the JPype venv holds: JPype itself, numpy for the numpy rows, matplotlib for the chart.
JPYPE_PACKAGES = ["jpype1", "numpy", "matplotlib"]


def python_of(client: str) -> Path:
    """The interpreter a client runs in: its own venv's, or this one's."""
    venv = CLIENTS[client].venv
    return ROOT / venv / "bin" / "python" if venv else Path(sys.executable)


def ensure_jpype_venv() -> str | None:
    """Makes bench/.venv-jpype (JPype from PyPI, never in .venv) when it is missing; returns
    why it could not, or None."""
    python = JPYPE_VENV / "bin" / "python"
    if python.exists():
        return None
    print(f"making {JPYPE_VENV} ({', '.join(JPYPE_PACKAGES)} from PyPI)", flush=True)
    base = getattr(sys, "_base_executable", None) or "python3"
    try:
        subprocess.run(
            [base, "-m", "venv", str(JPYPE_VENV)],
            check=True,
            capture_output=True,
            timeout=300,
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *JPYPE_PACKAGES],
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        shutil.rmtree(JPYPE_VENV, ignore_errors=True)
        return f"could not make {JPYPE_VENV}: {exc}"
    return None


def run_worker(
    spec: dict[str, Any], art: Artifacts, timeout_s: float, python: Path | None = None
) -> dict[str, Any]:
    tag = spec.get("tag", "")
    spec_path = art.workdir / f"spec-{spec['mode']}{tag}.json"
    spec_path.write_text(json.dumps(spec))
    argv = [
        *affinity_prefix(spec["mode"], spec["core"]),
        str(python or sys.executable),
        str(BENCH / "worker.py"),
        str(spec_path),
    ]
    env = dict(os.environ)
    env[CLASSPATH_ENV] = str(art.classes)
    proc = subprocess.Popen(argv, start_new_session=True, env=env)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return {
            "fatal": f"the {spec['mode']} pass took longer than {timeout_s:.0f} s and was stopped"
        }
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    out = Path(spec["out"])
    if not out.exists():
        return {
            "fatal": f"the {spec['mode']} worker exited with {proc.returncode} and wrote no results"
        }
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def merge_results(main: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Adds another worker's cells (and server facts) to the main worker's result; the floors
    stay the main worker's."""
    for name, cells in other.get("families", {}).items():
        main.setdefault("families", {}).setdefault(name, {}).update(
            {k: v for k, v in cells.items() if "+" in k}
        )
    main.setdefault("servers", {}).update(other.get("servers", {}))
    main.setdefault("connect_errors", {}).update(other.get("connect_errors", {}))
    if other.get("fatal"):
        main["fatal"] = (main.get("fatal") or "") + other["fatal"]
    return main


def fill_unavailable(
    result: dict[str, Any], families: list[Family], clients: dict[str, Any]
) -> None:
    """Cells of clients that do not import yet say so, in every family."""
    fams = result.setdefault("families", {})
    for f in families:
        cells = fams.setdefault(f.name, {})
        for c in COMBOS:
            facts = clients[c.client]
            if facts.get("excluded"):
                cells[c.key] = {"status": "left out", "error": "--clients"}
            elif not facts.get("ok"):
                cells[c.key] = {"status": NOT_BUILT, "error": facts.get("error", "")}


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


def read_notes(stamp: str) -> str:
    """bench/notes.md, the hand-written reading of one run (its first line: `run: <stamp>`), when
    it is the reading of this run; otherwise a line saying which run it reads."""
    if not NOTES.exists():
        return ""
    first, _, body = NOTES.read_text().partition("\n")
    notes_run = first.removeprefix("run:").strip()
    if notes_run == stamp:
        return body
    return (
        f"bench/notes.md holds the reading of run {notes_run}, not of this run ({stamp}); "
        "the figures above have not been read yet."
    )


CHART = BENCH / "chart.png"


def render_chart(data: dict[str, Any], results: Path) -> None:
    """bench/chart.png, drawn by bench/chart.py with the bench venv's matplotlib."""
    python = JPYPE_VENV / "bin" / "python"
    if not python.exists():
        print(f"no chart: {JPYPE_VENV} is missing", file=sys.stderr)
        return
    done = subprocess.run(
        [str(python), str(BENCH / "chart.py"), str(results), str(CHART)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        print(f"no chart: {done.stderr.strip()[-2000:]}", file=sys.stderr)
        return
    data["chart"] = str(CHART.relative_to(ROOT))


def write_markdown(data: dict[str, Any], results: Path | None = None) -> None:
    if results is not None and not data["settings"].get("quick"):
        render_chart(data, results)
    data["notes"] = read_notes(str(data.get("stamp", "")))
    checks = evaluate(data)
    target = ROOT / "BENCHMARKS.md"
    old = target.read_text() if target.exists() else ""
    target.write_text(keep_embedded(markdown(data, checks), old))
    print(f"wrote {ROOT / 'BENCHMARKS.md'}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    families = all_families()
    if args.list:
        for f in families:
            print(f.name)
        return 0
    if args.render:
        write_markdown(json.loads(Path(args.render).read_text()), Path(args.render))
        return 0
    if args.families:
        wanted = set(args.families.split(","))
        unknown = wanted - {f.name for f in families}
        if unknown:
            print(f"unknown families: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        families = [f for f in families if f.name in wanted]
    modes = [m for m in args.modes.split(",") if m]
    if not set(modes) <= set(MODES):
        print(f"modes are {', '.join(MODES)}", file=sys.stderr)
        return 2
    for tool in ("taskset", "gcc"):
        if shutil.which(tool) is None:
            print(f"{tool} is needed and not on PATH", file=sys.stderr)
            return 2

    started = time.monotonic()
    total = CpuMonitor()
    settings = Settings.for_run(args.quick)
    included = set(args.clients.split(","))
    if not included <= set(CLIENTS) or BASELINE.client not in included:
        print(
            f"--clients: a subset of {', '.join(CLIENTS)} with {BASELINE.client}",
            file=sys.stderr,
        )
        return 2
    if "jpype" in included:
        why = ensure_jpype_venv()
        if why:
            print(f"jpype client: {why}", file=sys.stderr)
    clients = {
        name: kind.probe(python_of(name))
        if name in included
        else {"ok": False, "excluded": True, "error": "left out by --clients"}
        for name, kind in CLIENTS.items()
    }
    if not clients[BASELINE.client].get("ok"):
        print(
            f"the baseline client does not import: {clients[BASELINE.client]}",
            file=sys.stderr,
        )
        return 2
    native = clients["ferry"].get("native") if clients["ferry"].get("ok") else None
    problems, warnings, build = release_problems(native)
    if problems:
        print("refusing to run the benchmarks:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 2
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    for name, facts in clients.items():
        if not facts.get("ok") and not facts.get("excluded"):
            print(f"{name} client: {NOT_BUILT} ({facts.get('error', '')})")

    OUT_TMP.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=OUT_TMP))
    failed = False
    try:
        art = compile_fixtures(workdir)
        seed = (
            args.seed
            if args.seed is not None
            else random.SystemRandom().randrange(1 << 30)
        )
        data: dict[str, Any] = {
            "stamp": time.strftime("%Y%m%d-%H%M%S"),
            "meta": machine_facts(art),
            "settings": settings.to_json(),
            "seed": seed,
            "core": args.core,
            "clients": clients,
            "build": build,
            "warnings": warnings,
            "families": [family_meta(f) for f in families],
            "modes": {},
        }
        combos = [c.key for c in COMBOS if clients[c.client].get("ok")]
        timeout = 600.0 if args.quick else 3600.0
        for i, mode in enumerate(modes):
            print(f"-- {mode} pass --", flush=True)
            spec = {
                "mode": mode,
                "core": args.core,
                "settings": settings.to_json(),
                "artifacts": art.to_json(),
                "seed": seed + i,
                "families": [f.name for f in families],
                "combos": combos,
                "out": str(workdir / f"result-{mode}.json"),
            }
            mon = CpuMonitor()
            # One worker per interpreter: the clients of .venv together (interleaved), then
            # each client of a venv of its own (JPype), right after, under the same affinity.
            by_python: dict[Path, list[str]] = {}
            for key in combos:
                by_python.setdefault(python_of(Combo.parse(key).client), []).append(key)
            result: dict[str, Any] = {}
            for n, (python, keys) in enumerate(by_python.items()):
                part_spec = dict(
                    spec,
                    combos=keys,
                    tag=f"-{n}" if n else "",
                    out=str(workdir / f"result-{mode}-{n}.json"),
                )
                part = run_worker(part_spec, art, timeout, python)
                result = part if not result else merge_results(result, part)
            try:
                result["bandwidth"] = bandwidth_floors(
                    art,
                    affinity_prefix(mode, args.core),
                    3 if settings.quick else settings.bulk_runs,
                )
            except (OSError, subprocess.SubprocessError) as exc:
                result["bandwidth"] = {"error": str(exc)[:500]}
            result["noise"] = mon.finish()
            fill_unavailable(result, families, clients)
            data["modes"][mode] = result
            if result.get("fatal"):
                failed = True
        data["duration_s"] = time.monotonic() - started
        data["noise_total"] = total.finish()
        checks = evaluate(data)
        data["checks"] = [c.to_json() for c in checks]
        for mode, m in data["modes"].items():
            for name, cells in m.get("families", {}).items():
                base = cells.get(BASELINE.key) or {}
                if not ok(base) and base.get("status") != "unsupported":
                    print(
                        f"the baseline failed: {mode} {name}: {cells.get(BASELINE.key)}",
                        file=sys.stderr,
                    )
                    failed = True
        print(console(data, checks))
        complete = not (
            args.families or set(modes) != set(MODES) or len(included) < len(CLIENTS)
        )
        data["complete"] = complete
        if args.quick:
            name = "results-quick.json"
        elif complete:
            name = "results.json"
            write_json(OUT / "history" / f"{data['stamp']}.json", data)
        else:
            name = "results-partial.json"  # a subset never replaces the last full run's results
        write_json(OUT / name, data)
        if not args.no_write:
            write_markdown(data, OUT / name)
        print(f"results in {OUT / name}; the run took {data['duration_s']:.0f} s")
    finally:
        if not failed:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"logs kept in {workdir}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
