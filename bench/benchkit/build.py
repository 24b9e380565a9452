"""What the benchmarks run: the release build of ferry, Py4J's jar, a JDK, the fixtures compiled
for this run (Java entry point and Py4J launcher with javac, the C round-trip pair with gcc).

`release_problems` refuses debug or foreign builds: the ferry binary must be the one cargo left in
target/release, and ferry's native Python module must be byte-identical to an artifact there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
VENV = ROOT / ".venv"
OUT_TMP = BENCH / "out" / "tmp"  # per-run scratch folders (gitignored)


def java_home() -> Path:
    """JAVA_HOME, or javac's real path two folders up (as the Makefile does)."""
    env = os.environ.get("JAVA_HOME")
    if env:
        return Path(env)
    javac = shutil.which("javac")
    if javac is None:
        raise RuntimeError("no JDK: javac is not on PATH and JAVA_HOME is unset")
    return Path(os.path.realpath(javac)).parent.parent


@dataclasses.dataclass(frozen=True)
class Artifacts:
    root: Path
    ferry_bin: Path
    java_home: Path
    py4j_jar: Path
    classes: Path  # compiled bench/java
    rtt_bin: Path  # compiled bench/c/rtt.c
    workdir: Path  # this run's scratch folder (logs)
    bw_bin: Path  # compiled bench/c/bandwidth.c (the bulk floors)
    text_call_bin: Path  # compiled bench/c/text_call.c (the call floors)

    @property
    def java(self) -> Path:
        return self.java_home / "bin" / "java"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["JAVA_HOME"] = str(self.java_home)
        return env

    def to_json(self) -> dict[str, str]:
        return {k: str(v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Artifacts:
        return cls(**{k: Path(v) for k, v in data.items()})


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ferry_binary() -> Path:
    """`.venv/bin/ferry` (installed by make build), or the release binary itself."""
    venv_bin = VENV / "bin" / "ferry"
    return venv_bin if venv_bin.exists() else ROOT / "target" / "release" / "ferry"


def _newest_source(crates: list[Path], extra: list[Path]) -> tuple[float, Path | None]:
    """The most recently modified input of the ferry binary (crate sources, build scripts,
    manifests, the Java glue), ignoring tests and benches."""
    files: list[Path] = [p for p in extra if p.is_file()]
    for crate in crates:
        files += [crate / "Cargo.toml", crate / "build.rs"]
        files += list((crate / "src").rglob("*.rs"))
    newest, which = 0.0, None
    for p in files:
        if p.is_file() and p.stat().st_mtime > newest:
            newest, which = p.stat().st_mtime, p
    return newest, which


def _candidates(profile_dir: Path) -> list[Path]:
    out: list[Path] = []
    for sub in ("", "deps", "maturin"):
        d = profile_dir / sub
        if d.is_dir():
            out.extend(p for p in d.iterdir() if p.is_file() and ".so" in p.name)
    return out


# Hashes of files once found byte-identical to an artifact of target/release: a binary installed
# by `make build` stays provably a release build after cargo rebuilds target/release under it.
RELEASE_HASHES = BENCH / "out" / "release-hashes.json"


def _known_release() -> dict[str, str]:
    try:
        known: dict[str, str] = json.loads(RELEASE_HASHES.read_text())
    except (OSError, ValueError):
        return {}
    return known


def _remember_release(digest: str, artifact: Path) -> None:
    known = _known_release()
    if digest not in known:
        known[digest] = str(artifact.relative_to(ROOT))
        RELEASE_HASHES.parent.mkdir(parents=True, exist_ok=True)
        RELEASE_HASHES.write_text(json.dumps(known, indent=1))


def _classify(path: Path, release: list[Path], debug: list[Path]) -> tuple[str, str]:
    """("release" | "debug" | "unknown", the artifact it matches)."""
    digest = _sha256(path)
    for p in release:
        if _sha256(p) == digest:
            _remember_release(digest, p)
            return "release", str(p.relative_to(ROOT))
    for p in debug:
        if _sha256(p) == digest:
            return "debug", str(p.relative_to(ROOT))
    known = _known_release().get(digest)
    if known:
        return "release", f"{known} (an earlier release build)"
    return "unknown", ""


def release_problems(
    native_module: str | None,
) -> tuple[list[str], list[str], dict[str, Any]]:
    """(problems that refuse the run, warnings, facts about the build)."""
    problems: list[str] = []
    warnings: list[str] = []
    facts: dict[str, Any] = {}
    release_bin = ROOT / "target" / "release" / "ferry"
    debug_bin = ROOT / "target" / "debug" / "ferry"
    chosen = ferry_binary()
    facts["ferry_bin"] = str(chosen)
    if not chosen.exists():
        problems.append("no ferry binary (.venv/bin/ferry): run `make build`")
    else:
        kind, artifact = _classify(
            chosen,
            [release_bin] if release_bin.exists() else [],
            [debug_bin] if debug_bin.exists() else [],
        )
        facts["ferry_bin_artifact"] = artifact
        if kind == "debug":
            problems.append(
                f"{chosen} is the debug build ({artifact}): run `make build`"
            )
        elif kind == "unknown":
            problems.append(
                f"{chosen} is not target/release/ferry nor an earlier release build: "
                "run `make build`"
            )
        elif release_bin.exists() and _sha256(chosen) != _sha256(release_bin):
            warnings.append(
                f"{chosen} is an earlier release build than target/release/ferry "
                "(`make build` installs the current one)"
            )
        newest, which = _newest_source(
            [ROOT / "crates" / c for c in ("protocol", "engine", "server", "cli")],
            [*(ROOT / "java" / "src").rglob("*.java"), ROOT / "Cargo.lock"],
        )
        if newest > chosen.stat().st_mtime and which is not None:
            warnings.append(
                f"{which.relative_to(ROOT)} is newer than {chosen.name}: "
                "the server measured may not include the latest source changes"
            )
    if native_module is not None:
        native = Path(native_module)
        facts["ferry_native"] = str(native)
        kind, artifact = _classify(
            native,
            _candidates(ROOT / "target" / "release"),
            _candidates(ROOT / "target" / "debug"),
        )
        facts["ferry_native_artifact"] = artifact
        if kind == "debug":
            problems.append(f"{native} is a debug build ({artifact}): run `make build`")
        elif kind == "unknown":
            problems.append(
                f"{native} matches no artifact of target/release (now or earlier), so it cannot "
                "be shown to be a release build: run `make build`"
            )
    return problems, warnings, facts


def compile_fixtures(workdir: Path) -> Artifacts:
    """Compiles bench/java and bench/c into workdir (this run's own scratch folder)."""
    jhome = java_home()
    py4j_jars = sorted((VENV / "share" / "py4j").glob("py4j*.jar"))
    if not py4j_jars:
        raise RuntimeError(
            "Py4J's jar is missing from .venv/share/py4j: run `make build`"
        )
    classes = workdir / "classes"
    classes.mkdir(parents=True, exist_ok=True)
    sources = sorted(str(p) for p in (BENCH / "java").rglob("*.java"))
    subprocess.run(
        [
            str(jhome / "bin" / "javac"),
            "-nowarn",
            "-cp",
            str(py4j_jars[-1]),
            "-d",
            str(classes),
            *sources,
        ],
        check=True,
        capture_output=True,
    )
    rtt = workdir / "rtt"
    subprocess.run(
        ["gcc", "-O2", "-Wall", "-o", str(rtt), str(BENCH / "c" / "rtt.c")],
        check=True,
        capture_output=True,
    )
    bw = workdir / "bandwidth"
    subprocess.run(
        ["gcc", "-O2", "-Wall", "-o", str(bw), str(BENCH / "c" / "bandwidth.c")],
        check=True,
        capture_output=True,
    )
    text_call = workdir / "text_call"
    subprocess.run(
        [
            "gcc",
            "-O2",
            "-Wall",
            "-o",
            str(text_call),
            str(BENCH / "c" / "text_call.c"),
        ],
        check=True,
        capture_output=True,
    )
    return Artifacts(
        root=ROOT,
        ferry_bin=ferry_binary(),
        java_home=jhome,
        py4j_jar=py4j_jars[-1],
        classes=classes,
        rtt_bin=rtt,
        workdir=workdir,
        bw_bin=bw,
        text_call_bin=text_call,
    )
