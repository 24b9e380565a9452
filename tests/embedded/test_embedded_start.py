"""Starting the JVM inside Python: one per process, the same options give the running gateway,
other options a clear error, a missing JVM an error that names what was tried; no socket; ferry's
Java classes use the engine already in the process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

FERRY_JAR = Path(__file__).resolve().parents[2] / "python" / "ferry" / "ferry.jar"


def test_same_options_return_the_running_gateway_and_other_options_fail(
    run: Any,
) -> None:
    ran = run(
        """
        from ferry import JavaGateway, Py4JNetworkError
        from ferry.embedded import JvmStartError, jvm_config, start_jvm

        g1 = start_jvm(classpath=CLASSES, jvm_options=["-Xmx256m"],
                       entry_point="fixtures.EntryPoint")
        g2 = start_jvm(classpath=CLASSES, jvm_options=["-Xmx256m"],
                       entry_point="fixtures.EntryPoint")
        g3 = JavaGateway.launch_gateway(embedded=True, classpath=os.pathsep.join(CLASSES),
                                        javaopts=["-Xmx256m"], entry_point="fixtures.EntryPoint")
        try:
            start_jvm(classpath=CLASSES, jvm_options=["-Xmx512m"])
            other = "no error"
        except JvmStartError as e:
            other = str(e)
        max_memory = g1.jvm.java.lang.Runtime.getRuntime().maxMemory()
        g1.shutdown()
        try:
            g1.jvm.java.lang.System.currentTimeMillis()
            after_shutdown = "no error"
        except Py4JNetworkError as e:
            after_shutdown = type(e).__name__
        g4 = start_jvm(classpath=CLASSES, jvm_options=["-Xmx256m"],
                       entry_point="fixtures.EntryPoint")
        report(
            same=g1 is g2, launch_same=g3 is g1, is_gateway=isinstance(g1, JavaGateway),
            other=other, max_memory=max_memory, after_shutdown=after_shutdown,
            new_after_shutdown=g4 is not g1, works=g4.entry_point.ov(3),
            config=jvm_config()[1],
        )
        """
    )
    r = ran.report
    assert r["same"] and r["launch_same"] and r["is_gateway"]
    assert "a JVM already runs in this process with other options" in r["other"]
    assert "-Xmx256m" in r["other"]
    assert r["max_memory"] <= 256 * 1024 * 1024
    assert r["after_shutdown"] == "Py4JNetworkError"
    assert r["new_after_shutdown"]
    assert r["works"] == "int:3"
    assert r["config"] == ["-Xmx256m"]


def test_no_jvm_found_names_what_was_tried(run: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    missing_home = tmp_path / "no-such-java-home"
    ran = run(
        """
        from ferry.embedded import JvmStartError, start_jvm
        try:
            start_jvm(classpath=CLASSES)
            report(error=None)
        except JvmStartError as e:
            report(error=str(e))
        """,
        env={"JAVA_HOME": str(missing_home), "PATH": str(empty)},
    )
    error = ran.report["error"]
    assert error is not None
    assert "no Java runtime found" in error
    assert f"JAVA_HOME={missing_home}" in error
    assert "java on PATH (not found)" in error
    assert "javac on PATH (not found)" in error


def test_calls_open_no_socket(run: Any) -> None:
    ran = run(
        """
        from ferry.embedded import start_jvm

        def sockets():
            out = []
            for fd in os.listdir("/proc/self/fd"):
                try:
                    target = os.readlink(f"/proc/self/fd/{fd}")
                except OSError:
                    continue
                if target.startswith("socket:"):
                    out.append(target)
            return out

        before = sockets()
        g = start_jvm(classpath=CLASSES, entry_point="fixtures.EntryPoint")
        sb = g.jvm.java.lang.StringBuilder("ab")
        sb.append("c")
        values = [sb.toString(), g.entry_point.ov(2.5), len(g.jvm.java.util.ArrayList())]

        class Run:
            ran = 0
            def run(self):
                Run.ran += 1
            class Java:
                implements = ["java.lang.Runnable"]

        t = g.jvm.java.lang.Thread(Run())
        t.start()
        t.join()
        report(before=before, after=sockets(), values=values, ran=Run.ran)
        """
    )
    assert ran.report["before"] == []
    assert ran.report["after"] == []
    assert ran.report["values"] == ["abc", "double:2.5", 0]
    assert ran.report["ran"] == 1


def test_ferry_jar_in_the_jvm_uses_the_engine_already_there(run: Any) -> None:
    assert FERRY_JAR.exists(), "make python copies ferry.jar into the package"
    ran = run(
        f"""
        from ferry.embedded import start_jvm

        g = start_jvm(classpath=CLASSES + [{str(FERRY_JAR)!r}])
        native = g.jvm.ferry.Native
        native.ensureLoaded()
        from ferry import get_java_class
        source = get_java_class(native).getProtectionDomain().getCodeSource()
        loaded_from = source.getLocation().getPath()
        with open("/proc/self/maps") as f:
            maps = f.read()
        report(loaded_from=loaded_from, second_library="libferry_jni" in maps
               or "ferry-jni-" in maps)
        """
    )
    assert ran.report["loaded_from"].endswith("ferry.jar")
    assert ran.report["second_library"] is False


def test_without_ferry_jar_the_glue_classes_are_defined(run: Any) -> None:
    ran = run(
        """
        from ferry.embedded import start_jvm
        g = start_jvm(classpath=CLASSES)
        g.jvm.ferry.Native.ensureLoaded()
        with open("/proc/self/maps") as f:
            maps = f.read()
        report(second_library="libferry_jni" in maps or "ferry-jni-" in maps,
               cp=g.jvm.java.lang.System.getProperty("java.class.path"))
        """
    )
    assert ran.report["second_library"] is False
    assert "ferry.jar" not in ran.report["cp"]
