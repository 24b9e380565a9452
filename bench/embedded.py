"""Embedded ferry next to JPype: the JVM inside the Python process, side by side in one run.

    .venv/bin/python bench/embedded.py            # the full run (`make bench`); writes its section
    .venv/bin/python bench/embedded.py --quick --no-write   # smoke run (tests/test_bench_smoke.py)

Each library runs in worker processes of its own (a process holds one JVM): ferry from .venv,
JPype from bench/.venv-jpype (made here from PyPI when missing, never in .venv). Every round
starts one worker per library, one after the other (which goes first alternates), all under
`taskset -c <core>`, with the same JVM options; the figures pool the rounds.

Rows:
- per call (`sb.length()`, `Math.abs(-5)` on a class held in a variable, and the variants of the
  cost breakdown): batches of calls timed with `timeit`, after a warm-up; median and p99 of the
  per-call time of a batch;
- bulk (10 M float64 from numpy to a new `double[]`, and a `double[]` of 10 M back to numpy):
  median of the runs (at least 5);
- floors, same run: the JVM filling a new `double[]` from a direct `DoubleBuffer` (timed in
  Java), the same into an existing array, and numpy copying the same 80 MB;
- the first call of a method (the resolution not cached yet) against its second call;
- the JNI floor: C calling the same Java methods through JNI (bench/c/jni_call.c, gcc), pinned
  the same way;
- where the time of one `sb.length()` goes, by library (`perf record` on the worker), when perf
  can record.

The results go to bench/out/embedded/results.json (results-quick.json for --quick) and into
BENCHMARKS.md, between the markers
`<!-- embedded:start -->` and `<!-- embedded:end -->` (the rest of the file is bench/run.py's).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
JAVA_SOURCES = BENCH / "java" / "embeddedbench"
OUT = BENCH / "out" / "embedded"
JPYPE_VENV = BENCH / ".venv-jpype"
# The packages of the JPype venv; bench/run.py uses the same venv (matplotlib draws its chart).
JPYPE_PACKAGES = ["jpype1", "numpy", "matplotlib"]
FERRY_PYTHON = ROOT / ".venv" / "bin" / "python"
MARK_START = "<!-- embedded:start -->"
MARK_END = "<!-- embedded:end -->"
# Both JVMs get these options (the heap sized so that the 80 MB arrays never wait for it).
JVM_OPTIONS = ["-Xms1g", "-Xmx4g"]
LIBRARIES = ("ferry", "jpype")
COLD_CLASS = "embeddedbench.Cold"


# =========================================================================== worker side
# (runs in either venv: the standard library, numpy, and the library measured; nothing else)


class Library:
    """What the rows need of a library: classes, objects and the array conversions."""

    name = ""
    version = ""
    # What a call that the library refuses raises (a row that fails is reported, not fatal).
    errors: tuple[type[BaseException], ...] = (
        TypeError,
        ValueError,
        AttributeError,
        LookupError,
        RuntimeError,
    )

    def cls(self, fqn: str) -> Any:
        raise NotImplementedError

    def to_java(self, array: Any) -> Any:
        raise NotImplementedError

    def to_numpy(self, java_array: Any) -> Any:
        raise NotImplementedError

    to_java_code = ""
    to_numpy_code = ""


class FerryLibrary(Library):
    name = "ferry"
    to_java_code = "ferry.to_java(a, gateway)"
    to_numpy_code = "ferry.to_numpy(j)"

    def __init__(self, classpath: list[str], options: list[str]) -> None:
        import ferry
        import ferry.embedded

        self._ferry = ferry
        self.version = ferry.__version__
        self.errors = (*Library.errors, ferry.Py4JError)
        self.gateway = ferry.embedded.start_jvm(
            classpath=classpath, jvm_options=options
        )

    def cls(self, fqn: str) -> Any:
        found = self.gateway.jvm
        for part in fqn.split("."):
            found = getattr(found, part)
        return found

    def to_java(self, array: Any) -> Any:
        return self._ferry.to_java(array, self.gateway)

    def to_numpy(self, java_array: Any) -> Any:
        return self._ferry.to_numpy(java_array)


class JPypeLibrary(Library):
    name = "jpype"
    to_java_code = "JArray(JDouble)(a)"
    to_numpy_code = "numpy.asarray(j)"

    def __init__(self, classpath: list[str], options: list[str]) -> None:
        import jpype

        self._jpype = jpype
        self.version = jpype.__version__
        self.errors = (*Library.errors, jpype.JException)
        jpype.startJVM(*options, classpath=classpath, convertStrings=False)
        self._double_array = jpype.JArray(jpype.JDouble)

    def cls(self, fqn: str) -> Any:
        return self._jpype.JClass(fqn)

    def to_java(self, array: Any) -> Any:
        return self._double_array(array)

    def to_numpy(self, java_array: Any) -> Any:
        import numpy

        # Through the buffer protocol: one copy of the elements (numpy.array makes two).
        return numpy.asarray(java_array)


def noop() -> None:
    """The Python function of the `noop()` variant."""


# key -> (statement timed, what it is). The namespace of the statements is made in worker().
CALL_ROWS: dict[str, tuple[str, str]] = {
    "held_call": ("sb.length()", "`sb.length()` on a held `StringBuilder`"),
    "static_held_class": (
        "Math.abs(-5)",
        "`Math.abs(-5)`, `Math = jvm.java.lang.Math` held in a variable",
    ),
}
VARIANT_ROWS: dict[str, tuple[str, str]] = {
    "noop": ("noop()", "`noop()`: a Python function that does nothing"),
    "builtin": ("abs(-5)", "`abs(-5)`: a builtin C function"),
    "held_member": ("m()", "`m()`, `m = sb.length`: the member held too"),
    "nop": ("o.nop()", "`o.nop()`: no argument, an int back"),
    "one_int": ("o.one(5)", "`o.one(5)`: one int argument"),
    "two_ints": ("o.two(5, 6)", "`o.two(5, 6)`: two int arguments"),
    "text": ("o.text('abc')", "`o.text('abc')`: one str argument"),
    "object": ("o.object(sb)", "`o.object(sb)`: one Java object argument"),
    "overloaded": ("o.ov(5)", "`o.ov(5)`: four overloads to choose from"),
    "static_nop": ("Calls.snop()", "`Calls.snop()`: a static method, no argument"),
}


def _time_batches(
    timer: timeit.Timer, batch: int, batches: int, warm: int
) -> list[float]:
    timer.timeit(warm)
    return [timer.timeit(batch) * 1e9 / batch for _ in range(batches)]


def _runs(
    action: Callable[[], Any], runs: int, between: Callable[[], None]
) -> list[float]:
    """Seconds of each of ``runs`` runs of ``action`` (after one untimed warm-up run)."""
    times = []
    for n in range(runs + 1):
        between()
        start = time.perf_counter()
        result = action()
        elapsed = time.perf_counter() - start
        del result
        if n:
            times.append(elapsed)
    between()
    return times


def worker(library_name: str, spec: dict[str, Any]) -> dict[str, Any]:
    import numpy

    out: dict[str, Any] = {"library": library_name, "errors": {}, "pid": os.getpid()}
    started = time.perf_counter()
    lib: Library
    if library_name == "ferry":
        lib = FerryLibrary(spec["classpath"], spec["jvm_options"])
    else:
        lib = JPypeLibrary(spec["classpath"], spec["jvm_options"])
    out["start_s"] = time.perf_counter() - started
    out["version"] = lib.version
    out["code"] = {"to_java": lib.to_java_code, "to_numpy": lib.to_numpy_code}

    calls_cls = lib.cls("embeddedbench.Calls")
    system = lib.cls("java.lang.System")
    sb = lib.cls("java.lang.StringBuilder")("abc")
    namespace: dict[str, Any] = {
        "sb": sb,
        "Math": lib.cls("java.lang.Math"),
        "o": calls_cls(),
        "Calls": calls_cls,
        "m": sb.length,
        "noop": noop,
    }
    out["checks"] = {
        "sb.length()": int(namespace["sb"].length()),
        "Math.abs(-5)": int(namespace["Math"].abs(-5)),
        "o.ov(5)": int(namespace["o"].ov(5)),
    }

    rows = {**CALL_ROWS, **VARIANT_ROWS}
    profile = spec.get("profile")
    if profile:
        return _profile_loop(out, rows[profile["row"]][0], namespace, profile)

    # Per-call rows, interleaved: each chunk visits every row once.
    samples: dict[str, list[float]] = {key: [] for key in rows}
    timers = {
        key: timeit.Timer(stmt, globals=namespace) for key, (stmt, _) in rows.items()
    }
    for chunk in range(spec["chunks"]):
        for key, timer in timers.items():
            if key in out["errors"]:
                continue
            try:
                samples[key] += _time_batches(
                    timer,
                    spec["batch"],
                    spec["batches"],
                    spec["warm"] if chunk == 0 else spec["batch"],
                )
            except (
                lib.errors
            ) as exc:  # a row the library cannot run: said in the report
                out["errors"][key] = f"{type(exc).__name__}: {exc}"[:500]
    out["calls"] = samples

    # The first call of a method against its second: the resolution not cached, then cached.
    cold = lib.cls(COLD_CLASS)()
    cold.m0(0)  # the class itself is known from here on
    first: list[float] = []
    second: list[float] = []
    clock = time.perf_counter_ns
    try:
        for i in range(1, spec["cold_methods"]):
            name = f"m{i}"
            start = clock()
            getattr(cold, name)(i)
            first.append(clock() - start)
            start = clock()
            getattr(cold, name)(i)
            second.append(clock() - start)
    except lib.errors as exc:
        out["errors"]["cold"] = f"{type(exc).__name__}: {exc}"[:500]
    out["cold"] = {"first": first, "second": second}

    # Bulk rows.
    count = spec["bulk_count"]
    runs = spec["bulk_runs"]
    values = numpy.arange(count, dtype=numpy.float64) * 0.5

    def settle() -> None:
        gc.collect()
        system.gc()

    try:
        converted = lib.to_java(values)
        out["checks"]["to_java"] = str(calls_cls.describe(converted))
        del converted
        out["to_java"] = _runs(lambda: lib.to_java(values), runs, settle)
    except lib.errors as exc:
        out["errors"]["to_java"] = f"{type(exc).__name__}: {exc}"[:500]
    try:
        java_array = calls_cls.doubles(count)
        back = lib.to_numpy(java_array)
        out["checks"]["to_numpy"] = (
            f"{len(back)}:{back.dtype}:{back[count // 2]}:{back[-1]}"
        )
        del back
        out["to_numpy"] = _runs(lambda: lib.to_numpy(java_array), runs, settle)
    except lib.errors as exc:
        out["errors"]["to_numpy"] = f"{type(exc).__name__}: {exc}"[:500]

    floor = lib.cls("embeddedbench.Floor")
    source = floor.source(count)
    settle()
    out["floor_fresh_ns"] = [int(x) for x in floor.freshArrayRuns(source, runs + 1)][1:]
    out["floor_reused_ns"] = [int(x) for x in floor.reusedArrayRuns(source, runs + 1)][
        1:
    ]
    del source
    target = numpy.empty_like(values)
    out["numpy_copyto"] = _runs(
        lambda: numpy.copyto(target, values), runs, lambda: None
    )
    out["numpy_copy"] = _runs(values.copy, runs, lambda: None)
    out["total_s"] = time.perf_counter() - started
    return out


def _profile_loop(
    out: dict[str, Any], stmt: str, namespace: dict[str, Any], profile: dict[str, Any]
) -> dict[str, Any]:
    """Warms up, says READY on stdout, then runs ``stmt`` for ``profile['seconds']`` while the
    parent records this thread with perf; the figures of the loop come back. The time per call
    is this thread's CPU time (what perf samples), so time the thread spent preempted by other
    processes on the core does not count."""
    timer = timeit.Timer(stmt, globals=namespace)
    timer.timeit(20_000)
    print("READY", flush=True)
    calls = 0
    start = time.perf_counter()
    cpu_start = time.thread_time()
    end = start + profile["seconds"]
    while time.perf_counter() < end:
        timer.timeit(10_000)
        calls += 10_000
    out["profile"] = {
        "stmt": stmt,
        "calls": calls,
        "ns_per_call": (time.thread_time() - cpu_start) * 1e9 / calls,
        "wall_ns_per_call": (time.perf_counter() - start) * 1e9 / calls,
    }
    return out


# =========================================================================== parent side


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def java_home() -> Path:
    env = os.environ.get("JAVA_HOME")
    if env and (Path(env) / "bin" / "javac").exists():
        return Path(env)
    javac = shutil.which("javac")
    if javac is None:
        raise RuntimeError("no JDK: javac is not on PATH and JAVA_HOME is unset")
    return Path(os.path.realpath(javac)).parent.parent


def ensure_jpype_venv() -> Path:
    """bench/.venv-jpype with JPype and numpy from PyPI (made when missing)."""
    python = JPYPE_VENV / "bin" / "python"
    probe = [str(python), "-c", "import jpype, numpy"]
    if (
        python.exists()
        and subprocess.run(probe, capture_output=True, check=False).returncode == 0
    ):
        return python
    if not python.exists():
        _log(f"making {JPYPE_VENV} ({', '.join(JPYPE_PACKAGES)} from PyPI)")
        base = getattr(sys, "_base_executable", None) or "python3"
        subprocess.run(
            [base, "-m", "venv", str(JPYPE_VENV)], check=True, capture_output=True
        )
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *JPYPE_PACKAGES],
        check=True,
        timeout=900,
    )
    subprocess.run(probe, check=True)
    return python


def cold_source(methods: int) -> str:
    """A class with ``methods`` methods ``int mN(int)``, for the first-call rows."""
    body = "\n".join(
        f"    public int m{i}(int a) {{ return a + {i}; }}" for i in range(methods)
    )
    return (
        "package embeddedbench;\n\n"
        "/** Generated by bench/embedded.py: methods called once each. */\n"
        f"public final class Cold {{\n    public Cold() {{}}\n\n{body}\n}}\n"
    )


def compile_java(workdir: Path, cold_methods: int) -> Path:
    generated = workdir / "src" / "embeddedbench"
    generated.mkdir(parents=True, exist_ok=True)
    (generated / "Cold.java").write_text(cold_source(cold_methods))
    classes = workdir / "classes"
    classes.mkdir(parents=True, exist_ok=True)
    sources = [str(p) for p in sorted(JAVA_SOURCES.glob("*.java"))]
    subprocess.run(
        [
            str(java_home() / "bin" / "javac"),
            "-nowarn",
            "-d",
            str(classes),
            *sources,
            str(generated / "Cold.java"),
        ],
        check=True,
        capture_output=True,
    )
    return classes


JNI_SOURCE = BENCH / "c" / "jni_call.c"
# The variants of bench/c/jni_call.c and what they are.
JNI_VARIANTS = {
    "nop": "`CallIntMethodA(o, nop)`: an instance call, no argument",
    "nop_checked": "the same, then `ExceptionCheck`",
    "nop_framed": "the same inside `PushLocalFrame` / `PopLocalFrame`",
    "one_int": "`CallIntMethodA(o, one, 5)`: one int argument",
    "snop": "`CallStaticIntMethodA(Calls, snop)`: a static call",
}


def compile_jni_floor(workdir: Path) -> tuple[Path | None, str | None]:
    """bench/c/jni_call.c built against this JDK (the binary, or why not)."""
    home = java_home()
    if shutil.which("gcc") is None:
        return None, "gcc is not on PATH"
    binary = workdir / "jni_call"
    done = subprocess.run(
        [
            "gcc",
            "-O2",
            "-Wall",
            f"-I{home / 'include'}",
            f"-I{home / 'include' / 'linux'}",
            "-o",
            str(binary),
            str(JNI_SOURCE),
            f"-L{home / 'lib' / 'server'}",
            "-ljvm",
            f"-Wl,-rpath,{home / 'lib' / 'server'}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None, f"cannot build {JNI_SOURCE.name}: {done.stderr.strip()[-500:]}"
    return binary, None


def run_jni_floor(
    binary: Path, classes: Path, settings: dict[str, Any], core: int
) -> dict[str, list[float]]:
    """Per-call ns of each batch of each variant, or {"error": [...]}."""
    done = subprocess.run(
        [
            "taskset",
            "-c",
            str(core),
            str(binary),
            str(classes),
            str(settings["batch"] * 10),
            str(settings["batches"]),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"jni_call exited with {done.returncode}: {done.stderr[-500:]}"
        )
    found: dict[str, list[float]] = {}
    for line in done.stdout.splitlines():
        name, *values = line.split()
        found[name] = [float(v) for v in values]
    return found


def python_of(library: str) -> Path:
    return FERRY_PYTHON if library == "ferry" else JPYPE_VENV / "bin" / "python"


def worker_command(
    library: str, spec_path: Path, out_path: Path, core: int
) -> list[str]:
    return [
        "taskset",
        "-c",
        str(core),
        str(python_of(library)),
        str(Path(__file__).resolve()),
        "--worker",
        library,
        "--spec",
        str(spec_path),
        "--out",
        str(out_path),
    ]


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["JAVA_HOME"] = str(java_home())
    return env


def run_worker(
    library: str, spec: dict[str, Any], workdir: Path, tag: str, core: int
) -> dict[str, Any]:
    spec_path = workdir / f"spec-{tag}.json"
    out_path = workdir / f"result-{tag}.json"
    spec_path.write_text(json.dumps(spec))
    done = subprocess.run(
        worker_command(library, spec_path, out_path, core),
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
        env=worker_env(),
    )
    if done.returncode != 0 or not out_path.exists():
        return {
            "library": library,
            "fatal": f"worker exited with {done.returncode}: {done.stderr.strip()[-3000:]}",
        }
    result: dict[str, Any] = json.loads(out_path.read_text())
    return result


# --------------------------------------------------------------------------- perf


DSO_GROUPS = [
    ("python", "Python interpreter (the loop, attribute lookup, the call protocol)"),
    ("native", "the library's native code (conversions, member and overload caches)"),
    ("jvm", "libjvm (JNI entry and exit, thread-state transitions, handles)"),
    ("java", "Java code (JIT-compiled or interpreted)"),
    ("libc", "libc (malloc, locks, copies)"),
    ("kernel", "kernel"),
    ("other", "other"),
]


def dso_group(dso: str) -> str:
    name = dso.strip()
    if name.startswith("python") or "libpython" in name:
        return "python"
    if name.startswith(("_native", "_jpype", "libstdc++")) or "ferry" in name:
        return "native"
    if name == "libjvm.so":
        return "jvm"
    if name.startswith(("[JIT]", "perf-")) or name in ("[unknown]",):
        return "java"
    if name.startswith(("libc", "ld-linux", "libm")):
        return "libc"
    if "kernel" in name or name.startswith("[k"):
        return "kernel"
    return "other"


# ferry's native code split by what it does, from its symbols' module paths (first match wins).
NATIVE_PARTS = [
    ("resolve", ("ferry_engine::resolve",), "overload resolution and its cache"),
    ("registry", ("ferry_engine::registry",), "object registry (ids to Java objects)"),
    (
        "convert",
        (
            "convert",
            "embedded_args",
            "decode",
            "encode",
            "to_python",
            "Value",
            "materialize",
        ),
        "argument and result conversion",
    ),
    (
        "engine",
        ("ferry_engine::", "jni_raw"),
        "engine call: JNI local frame, method invocation, exception check",
    ),
    (
        "embedded",
        ("_native::embedded",),
        "embedded client (the call's entry and reply)",
    ),
    (
        "proxies",
        ("_native::object", "_native::member", "JavaObject", "JavaMember"),
        "JavaObject / JavaMember (attribute to member to call)",
    ),
    ("pyo3", ("pyo3::",), "PyO3 glue, releasing and taking back the GIL"),
    (
        "runtime",
        ("core::", "alloc::", "std::", "parking_lot", "hashbrown", "rustc_hash"),
        "Rust runtime (allocation, hashing, locks, iterators)",
    ),
]


def native_part(symbol: str) -> str:
    for key, needles, _ in NATIVE_PARTS:
        if any(n in symbol for n in needles):
            return key
    return "other"


def perf_usable() -> str | None:
    """None when perf can record this machine, else why not."""
    if shutil.which("perf") is None:
        return "perf is not installed (apt-get install linux-perf)"
    try:
        done = subprocess.run(
            ["perf", "record", "-q", "-o", "/dev/null", "--", "true"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"perf does not run: {exc}"
    if done.returncode != 0:
        return f"perf cannot record: {done.stderr.strip()[-300:]}"
    return None


def profile_library(
    library: str, spec: dict[str, Any], workdir: Path, core: int, seconds: float
) -> dict[str, Any]:
    """``sb.length()`` in a loop in a worker, recorded by perf; samples grouped by library."""
    spec = dict(spec, profile={"row": "held_call", "seconds": seconds + 1.5})
    spec_path = workdir / f"spec-profile-{library}.json"
    out_path = workdir / f"result-profile-{library}.json"
    data = workdir / f"perf-{library}.data"
    spec_path.write_text(json.dumps(spec))
    proc = subprocess.Popen(
        worker_command(library, spec_path, out_path, core),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=worker_env(),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != "READY":
            proc.wait(timeout=120)
            err = proc.stderr.read() if proc.stderr else ""
            return {"error": f"the worker did not get ready: {line!r} {err[-2000:]}"}
        subprocess.run(
            [
                "perf",
                "record",
                "-q",
                "-F",
                "2999",
                # The main thread only (its thread id is the process id): not the JVM's
                # compiler and GC threads.
                "-t",
                str(proc.pid),
                "-o",
                str(data),
                "--",
                "sleep",
                str(seconds),
            ],
            capture_output=True,
            check=True,
            timeout=seconds + 60,
        )
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if not out_path.exists():
        return {"error": "the profiled worker wrote no result"}
    loop = json.loads(out_path.read_text()).get("profile", {})
    shares = _perf_shares(data, "dso", 0.3)
    symbols = _perf_shares(data, "dso,symbol", 0.01)
    groups: dict[str, float] = {}
    for dso, share in shares:
        groups[dso_group(dso)] = groups.get(dso_group(dso), 0.0) + share
    native: dict[str, float] = {}
    for name, share in symbols:
        dso, _, symbol = name.partition(" ")
        if dso_group(dso) == "native":
            part = native_part(symbol)
            native[part] = native.get(part, 0.0) + share
    return {
        "ns_per_call": loop.get("ns_per_call"),
        "groups": groups,
        "native_parts": native,
        "dsos": shares[:12],
        "symbols": symbols[:14],
    }


def _perf_shares(data: Path, sort: str, limit: float) -> list[tuple[str, float]]:
    done = subprocess.run(
        [
            "perf",
            "report",
            "-i",
            str(data),
            "--stdio",
            "--no-children",
            "-q",
            "--sort",
            sort,
            "--percent-limit",
            str(limit),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    rows = []
    for line in done.stdout.splitlines():
        match = re.match(r"\s*([\d.]+)%\s+(.*\S)", line)
        if match:
            name = re.sub(r"(\s+-)+$", "", match.group(2))
            name = re.sub(r"\s+\[[.k]\]\s+", " ", name)
            rows.append((re.sub(r"\s+", " ", name), float(match.group(1)) / 100))
    return rows


# --------------------------------------------------------------------------- figures


def _stats() -> Any:
    sys.path.insert(0, str(BENCH))
    from benchkit import stats

    return stats


def summarize(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Pools the rounds: per library, per row, the median and p99 (per call) or the median run."""
    st = _stats()
    summary: dict[str, Any] = {}
    for library in LIBRARIES:
        results = [r[library] for r in rounds if library in r]
        fatal = [r["fatal"] for r in results if "fatal" in r]
        good = [r for r in results if "fatal" not in r]
        lib: dict[str, Any] = {"fatal": fatal[0] if fatal and not good else None}
        summary[library] = lib
        if not good:
            continue
        lib["version"] = good[0].get("version")
        lib["code"] = good[0].get("code", {})
        lib["checks"] = good[0].get("checks", {})
        lib["start_s"] = st.median([r["start_s"] for r in good])
        errors: dict[str, str] = {}
        for r in good:
            errors.update(r.get("errors", {}))
        lib["errors"] = errors
        calls: dict[str, Any] = {}
        for key in {**CALL_ROWS, **VARIANT_ROWS}:
            pooled = [x for r in good for x in r.get("calls", {}).get(key, [])]
            if pooled:
                calls[key] = {
                    "median_ns": st.median(pooled),
                    "p99_ns": st.percentile(pooled, 99),
                    "batches": len(pooled),
                }
        lib["calls"] = calls
        first = [x for r in good for x in r.get("cold", {}).get("first", [])]
        second = [x for r in good for x in r.get("cold", {}).get("second", [])]
        if first and second:
            lib["cold"] = {
                "first_ns": st.median(first),
                "second_ns": st.median(second),
                "methods": len(first),
            }
        for key in ("to_java", "to_numpy", "numpy_copyto", "numpy_copy"):
            pooled = [x for r in good for x in r.get(key, [])]
            if pooled:
                lib[key] = {"median_s": st.median(pooled), "runs": len(pooled)}
        for key in ("floor_fresh_ns", "floor_reused_ns"):
            pooled = [x for r in good for x in r.get(key, [])]
            if pooled:
                lib[key.removesuffix("_ns")] = {
                    "median_s": st.median(pooled) / 1e9,
                    "runs": len(pooled),
                }
    return summary


def _jni_summary(jni: dict[str, list[float]], error: str | None) -> dict[str, Any]:
    if error or not jni:
        return {"error": error or "not run"}
    st = _stats()
    return {
        name: {"median_ns": st.median(v), "p99_ns": st.percentile(v, 99)}
        for name, v in jni.items()
    }


def expectations(summary: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """The issue's expectations, computed from the figures (shown, never asserted)."""
    ferry = summary.get("ferry", {})
    jpype = summary.get("jpype", {})
    checks: list[dict[str, Any]] = []

    def call_check(key: str, text: str) -> None:
        f = ferry.get("calls", {}).get(key)
        j = jpype.get("calls", {}).get(key)
        if not f or not j:
            checks.append({"what": text, "measured": "not measured", "ok": None})
            return
        ratio = j["median_ns"] / f["median_ns"]
        stretch = "; stretch (half of JPype's time) met" if ratio >= 2 else ""
        checks.append(
            {
                "what": text,
                "measured": f"ferry {f['median_ns']:.0f} ns, JPype {j['median_ns']:.0f} ns: "
                f"ferry {ratio:.2f}x JPype's speed{stretch}",
                "ok": f["median_ns"] <= j["median_ns"],
            }
        )

    call_check("held_call", "`sb.length()` no slower than JPype")
    call_check("static_held_class", "`Math.abs(-5)` (class held) no slower than JPype")
    f = ferry.get("to_java")
    j = jpype.get("to_java")
    size = f"{count / 1e6:g} M float64 -> `double[]`"
    two_x = f"{size} at least 2x JPype's rate"
    if f and j:
        ratio = j["median_s"] / f["median_s"]
        checks.append(
            {
                "what": two_x,
                "measured": f"ferry {_rate(count, f['median_s'])}, JPype "
                f"{_rate(count, j['median_s'])}: {ratio:.2f}x",
                "ok": ratio >= 2.0,
            }
        )
    else:
        checks.append({"what": two_x, "measured": "not measured", "ok": None})
    # The floor of ferry's own JVM (measured in its worker processes): the JVM its conversion fills.
    floor = ferry.get("floor_fresh", {}).get("median_s")
    reused = ferry.get("floor_reused", {}).get("median_s")
    eighty = (
        f"{size} at least 80% of the JVM's own off-heap fill rate (the floor: a new "
        "`double[]` filled from a direct `DoubleBuffer`, the same work as a conversion, in "
        "ferry's worker processes)"
    )
    if f and floor:
        share = floor / f["median_s"]
        also = (
            f"; into an existing array the JVM copies at {_rate(count, reused)}, of which "
            f"ferry's conversion reaches {reused / f['median_s']:.0%}"
            if reused
            else ""
        )
        checks.append(
            {
                "what": eighty,
                "measured": f"ferry {_rate(count, f['median_s'])}, the JVM "
                f"{_rate(count, floor)}: {share:.0%}{also}",
                "ok": share >= 0.8,
            }
        )
    else:
        checks.append({"what": eighty, "measured": "not measured", "ok": None})
    return checks


def _floor_s(summary: dict[str, Any], key: str) -> float | None:
    """The median of a floor over both libraries' workers (the same Java code in each)."""
    found = [
        summary[lib][key]["median_s"]
        for lib in LIBRARIES
        if summary.get(lib, {}).get(key)
    ]
    return _stats().median(found) if found else None


def _rate(count: int, seconds: float) -> str:
    return f"{count * 8 / seconds / 1e9:.2f} GB/s"


def _fmt_ns(ns: float) -> str:
    if ns < 10_000:
        return f"{ns:.0f} ns"
    return _stats().fmt_ns(ns)


def _fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


# --------------------------------------------------------------------------- report


def markdown(data: dict[str, Any]) -> str:
    s = data["summary"]
    f, j = s.get("ferry", {}), s.get("jpype", {})
    count = data["settings"]["bulk_count"]
    lines = [
        MARK_START,
        "## Embedded mode: ferry next to JPype (the JVM inside the Python process)",
        "",
        f"Written by `bench/embedded.py` on {data['date']}, at commit `{data['commit']}`"
        + (" (a quick run: not for quoting)" if data["settings"]["quick"] else "")
        + f". {data['settings']['rounds']} rounds; each round runs one worker process per "
        f"library (ferry {f.get('version', '?')} from `.venv`, JPype {j.get('version', '?')} from "
        f"`bench/.venv-jpype`) under `taskset -c {data['core']}`, one after the other, which one "
        "first alternating; the figures pool the rounds. Both JVMs are "
        f"{data['java']} with `{' '.join(JVM_OPTIONS)}`. Per-call rows: median and p99 of the "
        f"per-call time of batches of {data['settings']['batch']} calls (timeit, after a "
        "warm-up); bulk rows: the median of "
        f"{f.get('to_java', {}).get('runs', '?')} runs. The ratio is JPype's time divided by "
        "ferry's: above 1, ferry is faster." + _noise_text(data.get("noise")),
        "",
        "| row | embedded ferry | JPype | ferry vs JPype |",
        "|---|---|---|---|",
    ]

    def call_cell(lib: dict[str, Any], key: str) -> str:
        row = lib.get("calls", {}).get(key)
        if not row:
            return _missing(lib, key)
        return f"{_fmt_ns(row['median_ns'])}, p99 {_fmt_ns(row['p99_ns'])}"

    def call_ratio(key: str) -> str:
        a = f.get("calls", {}).get(key)
        b = j.get("calls", {}).get(key)
        return f"**{b['median_ns'] / a['median_ns']:.2f}x**" if a and b else ""

    for key, (_, text) in CALL_ROWS.items():
        lines.append(
            f"| {text} | {call_cell(f, key)} | {call_cell(j, key)} | {call_ratio(key)} |"
        )

    def bulk_cell(lib: dict[str, Any], key: str) -> str:
        row = lib.get(key)
        if not row:
            return _missing(lib, key)
        return f"{_fmt_ms(row['median_s'])} ({_rate(count, row['median_s'])})"

    def bulk_ratio(key: str) -> str:
        a, b = f.get(key), j.get(key)
        return f"**{b['median_s'] / a['median_s']:.2f}x**" if a and b else ""

    millions = f"{count / 1e6:g} M"
    lines.append(
        f"| {millions} float64 (numpy) -> a new `double[]`: `{f.get('code', {}).get('to_java', '')}`"
        f" / `{j.get('code', {}).get('to_java', '')}` | {bulk_cell(f, 'to_java')} | "
        f"{bulk_cell(j, 'to_java')} | {bulk_ratio('to_java')} |"
    )
    lines.append(
        f"| a `double[]` of {millions} -> numpy: `{f.get('code', {}).get('to_numpy', '')}` / "
        f"`{j.get('code', {}).get('to_numpy', '')}` | {bulk_cell(f, 'to_numpy')} | "
        f"{bulk_cell(j, 'to_numpy')} | {bulk_ratio('to_numpy')} |"
    )
    for key, text in (
        (
            "floor_fresh",
            (
                f"floor: the JVM makes a new `double[]` and fills it from a direct `DoubleBuffer` of "
                f"{millions} (`get(0, dst)`, timed in Java)"
            ),
        ),
        (
            "floor_reused",
            "floor: the same into an existing `double[]` (no allocation, no zeroing)",
        ),
        ("numpy_copy", f"floor: numpy copies the {millions} float64 (`a.copy()`)"),
        (
            "numpy_copyto",
            "floor: numpy copies them into an existing array (`numpy.copyto`)",
        ),
    ):
        lines.append(
            f"| {text} | {bulk_cell(f, key)} | {bulk_cell(j, key)} | (same work in both) |"
        )
    lines += [
        "",
        "Expectations (issue #6), computed from the figures above:",
        "",
        "| expectation | measured | |",
        "|---|---|---|",
    ]
    for check in data["expectations"]:
        verdict = {True: "PASS", False: "MISS", None: "not measured"}[check["ok"]]
        lines.append(f"| {check['what']} | {check['measured']} | {verdict} |")
    lines += [
        "",
        "### One call taken apart",
        "",
        (
            "Variants of a call, timed like the rows above (the difference between two lines is what "
            "the second adds): the Python side (a Python function, a builtin, the member held), "
            "argument conversion (int, str, Java object), choosing among overloads (cached), a "
            "static call, and the first call of a method, its resolution not cached yet (each of "
            f"{data['settings']['cold_methods'] - 1} methods of a generated class called twice, "
            "each call timed alone with `perf_counter_ns`, so both lines include ~50-100 ns of "
            "clock reads)."
        ),
        "",
        "| variant | embedded ferry | JPype |",
        "|---|---|---|",
    ]
    for key, (_, text) in {**VARIANT_ROWS, **CALL_ROWS}.items():
        if key == "static_held_class":
            continue
        lines.append(f"| {text} | {call_cell(f, key)} | {call_cell(j, key)} |")
    for key, text in (
        ("first_ns", "first call of a method (`cold.mN(i)`): resolution not cached"),
        ("second_ns", "second call of the same method: cached"),
    ):
        fc = f.get("cold", {}).get(key)
        jc = j.get("cold", {}).get(key)
        lines.append(
            f"| {text} | {_fmt_ns(fc) if fc else _missing(f, 'cold')} | "
            f"{_fmt_ns(jc) if jc else _missing(j, 'cold')} |"
        )
    lines += _derived_lines(data)
    lines += _jni_lines(data)
    lines += _perf_lines(data)
    lines += ["", MARK_END]
    return "\n".join(lines) + "\n"


def _noise_text(noise: dict[str, Any] | None) -> str:
    """How busy the machine was (benchkit's CPU monitor), as a sentence."""
    if not noise:
        return ""
    return (
        f" Other processes took {noise['others_pct']:.0f}% of the machine's CPU time during the "
        f"run (load average {noise['loadavg_start'][0]:.1f} at the start, "
        f"{noise['loadavg_end'][0]:.1f} at the end): the bulk rows, timed by the wall clock, "
        "move with it more than the per-call medians."
    )


def _missing(lib: dict[str, Any], key: str) -> str:
    if lib.get("fatal"):
        return "did not run"
    error = lib.get("errors", {}).get(key)
    return f"failed: {error[:120]}" if error else "-"


# The cost breakdown: (what, how, minuend, subtrahend); a key is a variant row, "first"/"second"
# the first-call rows, None nothing.
DERIVED = [
    ("the timing loop and a Python call", "`noop()`", "noop", None),
    (
        "attribute lookup: `sb.length` to a member",
        "`sb.length()` - `m()`",
        "held_call",
        "held_member",
    ),
    (
        "a call of a held member into Java and back, no argument (library, JNI, Java)",
        "`m()` - `noop()`",
        "held_member",
        "noop",
    ),
    ("one int argument", "`o.one(5)` - `o.nop()`", "one_int", "nop"),
    ("a second int argument", "`o.two(5, 6)` - `o.one(5)`", "two_ints", "one_int"),
    ("a str argument", "`o.text('abc')` - `o.nop()`", "text", "nop"),
    ("a Java object argument", "`o.object(sb)` - `o.nop()`", "object", "nop"),
    (
        "choosing among four overloads, cached",
        "`o.ov(5)` - `o.one(5)`",
        "overloaded",
        "one_int",
    ),
    (
        "resolving a method not seen before",
        "first call - second call",
        "first",
        "second",
    ),
    (
        "a static method instead of an instance method",
        "`Calls.snop()` - `o.nop()`",
        "static_nop",
        "nop",
    ),
]


def _variant_ns(lib: dict[str, Any], key: str | None) -> float | None:
    if key is None:
        return 0.0
    if key in ("first", "second"):
        value = lib.get("cold", {}).get(f"{key}_ns")
        return float(value) if value is not None else None
    row = lib.get("calls", {}).get(key)
    return float(row["median_ns"]) if row else None


def _derived_lines(data: dict[str, Any]) -> list[str]:
    s = data["summary"]
    lines = [
        "",
        (
            "The cost breakdown of one call, from the variants (differences of medians; the JNI and "
            "JVM part of a call is in the perf table below):"
        ),
        "",
        "| part of one call | measured as | embedded ferry | JPype |",
        "|---|---|---|---|",
    ]
    for what, how, plus, minus in DERIVED:
        cells = []
        for library in LIBRARIES:
            a = _variant_ns(s.get(library, {}), plus)
            b = _variant_ns(s.get(library, {}), minus)
            cells.append(
                f"{round(a - b)} ns" if a is not None and b is not None else "-"
            )
        lines.append(f"| {what} | {how} | {' | '.join(cells)} |")
    return lines


def _jni_lines(data: dict[str, Any]) -> list[str]:
    jni = data.get("jni", {})
    if "error" in jni:
        return ["", f"The JNI floor (bench/c/jni_call.c): {jni['error']}."]
    lines = [
        "",
        (
            "The JNI floor, same run and core: C calls the same methods of `embeddedbench.Calls` "
            "through JNI in a JVM of its own (bench/c/jni_call.c; method ids looked up once; "
            f"batches of {data['settings']['batch'] * 10} calls):"
        ),
        "",
        "| JNI from C | per call |",
        "|---|---|",
    ]
    for name, text in JNI_VARIANTS.items():
        row = jni.get(name)
        if row:
            lines.append(
                f"| {text} | {row['median_ns']:.0f} ns, p99 {row['p99_ns']:.0f} ns |"
            )
    return lines


def _perf_lines(data: dict[str, Any]) -> list[str]:
    perf = data.get("perf", {})
    if not perf or perf.get("skipped"):
        why = perf.get("skipped", "not run") if perf else "not run"
        return ["", f"Where the time of `sb.length()` goes (perf): {why}."]
    lines = [
        "",
        (
            "Where the time of one `sb.length()` goes: the call in a loop for a few seconds, "
            "`perf record` on the worker's calling thread, samples grouped by library and turned "
            "into ns per call (the thread's CPU time per call in that loop, measured alongside)."
        ),
        "",
        "| part | embedded ferry | JPype |",
        "|---|---|---|",
    ]
    for group, text in DSO_GROUPS:
        cells = []
        for library in LIBRARIES:
            p = perf.get(library, {})
            share = p.get("groups", {}).get(group)
            if p.get("error") or not p.get("ns_per_call"):
                cells.append(p.get("error", "-")[:80])
            elif share:
                cells.append(f"{share * p['ns_per_call']:.0f} ns ({share:.0%})")
            else:
                cells.append("-")
        if any(c != "-" for c in cells):
            lines.append(f"| {text} | {' | '.join(cells)} |")
    totals = [
        f"{perf.get(lib, {}).get('ns_per_call', 0):.0f} ns"
        if perf.get(lib, {}).get("ns_per_call")
        else "-"
        for lib in LIBRARIES
    ]
    lines.append(f"| the whole call, in the profiled loop | {' | '.join(totals)} |")
    parts = perf.get("ferry", {}).get("native_parts", {})
    ns = perf.get("ferry", {}).get("ns_per_call")
    if parts and ns:
        lines += [
            "",
            "ferry's native code of that call, by what the symbols belong to:",
            "",
            "| part of ferry's native code | ns per call |",
            "|---|---|",
        ]
        for key, _, text in [*NATIVE_PARTS, ("other", (), "other")]:
            if parts.get(key):
                lines.append(
                    f"| {text} | {parts[key] * ns:.0f} ns ({parts[key]:.0%}) |"
                )
    top = perf.get("ferry", {}).get("symbols", [])
    if top:
        named = ", ".join(f"`{name}` {share:.0%}" for name, share in top[:8])
        lines += ["", f"ferry's top symbols: {named}."]
    return lines


def write_section(section: str, path: Path) -> None:
    """Puts the section into ``path`` between the markers (appended when they are absent)."""
    text = path.read_text() if path.exists() else ""
    start = text.find(MARK_START)
    end = text.find(MARK_END)
    if start != -1 and end > start:
        text = text[:start] + section.rstrip("\n") + text[end + len(MARK_END) :]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text)


def console(data: dict[str, Any]) -> str:
    """The figures, one line per row and library (what the smoke test reads)."""
    s = data["summary"]
    lines = []
    for library in LIBRARIES:
        lib = s.get(library, {})
        if lib.get("fatal"):
            lines.append(f"{library}: FATAL {lib['fatal'][:500]}")
            continue
        for key, row in lib.get("calls", {}).items():
            lines.append(
                f"{library}/{key}: {row['median_ns']:.0f} ns (p99 {row['p99_ns']:.0f} ns)"
            )
        for key in ("to_java", "to_numpy", "floor_fresh", "floor_reused", "numpy_copy"):
            if lib.get(key):
                lines.append(f"{library}/{key}: {lib[key]['median_s'] * 1e3:.2f} ms")
        if lib.get("cold"):
            lines.append(
                f"{library}/cold: first {lib['cold']['first_ns']:.0f} ns, "
                f"second {lib['cold']['second_ns']:.0f} ns"
            )
        for key, error in lib.get("errors", {}).items():
            lines.append(f"{library}/{key}: ERROR {error}")
    jni = data.get("jni", {})
    if "error" in jni:
        lines.append(f"jni: ERROR {jni['error']}")
    for name, row in jni.items():
        if name != "error":
            lines.append(
                f"jni/{name}: {row['median_ns']:.0f} ns (p99 {row['p99_ns']:.0f} ns)"
            )
    for check in data["expectations"]:
        verdict = {True: "PASS", False: "MISS", None: "not measured"}[check["ok"]]
        lines.append(f"expect: {verdict}: {check['what']}: {check['measured']}")
    return "\n".join(lines)


def _git_commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "?"


def _java_version() -> str:
    done = subprocess.run(
        [str(java_home() / "bin" / "java"), "-version"],
        capture_output=True,
        text=True,
        check=False,
    )
    first = (done.stderr or done.stdout).splitlines()
    return first[0].replace('"', "") if first else "?"


def _native_problems() -> list[str]:
    """Why ferry's native module in .venv is not a release build (benchkit's check), if so."""
    try:
        sys.path.insert(0, str(BENCH))
        from benchkit.build import release_problems
    except ImportError:  # the check is benchkit's; without it the run goes on unchecked
        return []
    done = subprocess.run(
        [str(FERRY_PYTHON), "-c", "import ferry._native as n; print(n.__file__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return [f"ferry does not import from .venv: {done.stderr.strip()[-500:]}"]
    problems, _, _ = release_problems(done.stdout.strip())
    return [p for p in problems if "_native" in p or "native" in p.lower()]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="a short smoke run")
    p.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    p.add_argument(
        "--no-perf", action="store_true", help="leave the perf breakdown out"
    )
    p.add_argument("--rounds", type=int, help="worker rounds per library (default 3)")
    p.add_argument("--core", type=int, default=0, help="the core to pin to (default 0)")
    p.add_argument("--worker", choices=LIBRARIES, help=argparse.SUPPRESS)
    p.add_argument("--spec", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def settings_for(quick: bool, rounds: int | None) -> dict[str, Any]:
    if quick:
        return {
            "quick": True,
            "rounds": rounds or 1,
            "chunks": 2,
            "batch": 50,
            "batches": 20,
            "warm": 500,
            "cold_methods": 20,
            "bulk_count": 100_000,
            "bulk_runs": 5,
        }
    return {
        "quick": False,
        "rounds": rounds or 3,
        "chunks": 5,
        "batch": 100,
        "batches": 300,
        "warm": 20_000,
        "cold_methods": 400,
        "bulk_count": 10_000_000,
        "bulk_runs": 5,
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.worker:
        spec = json.loads(Path(args.spec).read_text())
        result = worker(args.worker, spec)
        Path(args.out).write_text(json.dumps(result))
        return 0

    if shutil.which("taskset") is None:
        _log("taskset is needed and not on PATH")
        return 2
    problems = _native_problems()
    if problems and not args.quick:
        _log("refusing to run the embedded benchmark:")
        for problem in problems:
            _log(f"  - {problem}")
        return 2
    settings = settings_for(args.quick, args.rounds)
    sys.path.insert(0, str(BENCH))
    from benchkit.machine import CpuMonitor

    monitor = CpuMonitor()
    ensure_jpype_venv()
    OUT.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=OUT))
    classes = compile_java(workdir, settings["cold_methods"])
    spec = dict(settings, classpath=[str(classes)], jvm_options=JVM_OPTIONS)

    jni_binary, jni_error = compile_jni_floor(workdir)
    jni: dict[str, list[float]] = {}
    rounds: list[dict[str, dict[str, Any]]] = []
    for n in range(settings["rounds"]):
        order = LIBRARIES if n % 2 == 0 else LIBRARIES[::-1]
        done: dict[str, dict[str, Any]] = {}
        for library in order:
            _log(f"round {n + 1}/{settings['rounds']}: {library}")
            done[library] = run_worker(
                library, spec, workdir, f"{library}-{n}", args.core
            )
            if "fatal" in done[library]:
                _log(f"  {library}: {done[library]['fatal'][:2000]}")
        rounds.append(done)
        if jni_binary is not None and jni_error is None:
            try:
                for name, values in run_jni_floor(
                    jni_binary, classes, settings, args.core
                ).items():
                    jni.setdefault(name, []).extend(values)
            except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
                jni_error = str(exc)[:500]

    summary = summarize(rounds)
    data: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": _git_commit(),
        "java": _java_version(),
        "core": args.core,
        "settings": settings,
        "summary": summary,
        "expectations": expectations(summary, settings["bulk_count"]),
        "native_problems": problems,
        "jni": _jni_summary(jni, jni_error),
    }
    if args.no_perf:
        data["perf"] = {"skipped": "left out (--no-perf)"}
    else:
        why = perf_usable()
        if why:
            data["perf"] = {"skipped": why}
        else:
            seconds = 1.0 if args.quick else 3.0
            data["perf"] = {
                library: profile_library(library, spec, workdir, args.core, seconds)
                for library in LIBRARIES
            }
    data["noise"] = monitor.finish()
    # A quick run never replaces the figures of a full one.
    name = "results-quick.json" if settings["quick"] else "results.json"
    (OUT / name).write_text(json.dumps(data, indent=1))
    print(console(data))
    if not args.no_write:
        write_section(markdown(data), ROOT / "BENCHMARKS.md")
        print(f"wrote the embedded section of {ROOT / 'BENCHMARKS.md'}")
    shutil.rmtree(workdir, ignore_errors=True)
    fatal = [lib for lib in LIBRARIES if summary.get(lib, {}).get("fatal")]
    return 1 if fatal else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
