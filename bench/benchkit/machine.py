"""Facts about the machine and the build, and how busy the machine was during the run."""

from __future__ import annotations

import datetime
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchkit.build import ROOT, Artifacts
from benchkit.floors import system_congestion


def _run(argv: list[str]) -> str:
    try:
        p = subprocess.run(
            argv, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (p.stdout + p.stderr).strip()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def git_facts() -> dict[str, Any]:
    commit = _run(["git", "-C", str(ROOT), "rev-parse", "HEAD"])
    dirty = _run(
        [
            "git",
            "-C",
            str(ROOT),
            "status",
            "--porcelain",
            "--",
            "crates",
            "java",
            "python",
            "Cargo.toml",
            "Cargo.lock",
        ]
    )
    return {
        "commit": commit[:12],
        "subject": _run(["git", "-C", str(ROOT), "log", "-1", "--format=%s"]),
        "uncommitted_build_inputs": len([x for x in dirty.splitlines() if x.strip()]),
    }


def machine_facts(art: Artifacts) -> dict[str, Any]:
    java_version = _run([str(art.java), "-version"]).splitlines()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "kernel": f"{platform.system()} {platform.release()}",
        "tcp_congestion_control": system_congestion(),
        "jdk": " / ".join(java_version[:2]) if java_version else "?",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "memory_gib": round(
            os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30), 1
        ),
        "git": git_facts(),
        "argv": sys.argv[1:],
    }


def _proc_stat() -> dict[str, int]:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    names = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]
    return {n: int(v) for n, v in zip(names, fields, strict=False)}


def _own_cpu_s() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class CpuMonitor:
    """CPU time spent by the whole machine, and by this process and its (waited) children, over an
    interval: the difference is what other processes (other engineers' builds and tests) took."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.stat0 = _proc_stat()
        self.own0 = _own_cpu_s()
        self.load0 = os.getloadavg()

    def finish(self) -> dict[str, Any]:
        wall = time.monotonic() - self.t0
        stat1 = _proc_stat()
        hz = os.sysconf("SC_CLK_TCK")
        d = {k: (stat1[k] - self.stat0[k]) / hz for k in stat1}
        busy = d["user"] + d["nice"] + d["system"] + d["irq"] + d["softirq"]
        own = _own_cpu_s() - self.own0
        cores = os.cpu_count() or 1
        capacity = wall * cores
        return {
            "wall_s": round(wall, 1),
            "cores": cores,
            "busy_pct": round(100 * busy / capacity, 1),
            "own_pct": round(100 * own / capacity, 1),
            "others_pct": round(100 * max(0.0, busy - own) / capacity, 1),
            "steal_pct": round(100 * d["steal"] / capacity, 1),
            "loadavg_start": [round(x, 2) for x in self.load0],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        }
