"""Many Python threads calling Java at once: each attaches to the JVM on its first call, keeps
its Java thread for its life, and lets it go when it ends."""

from __future__ import annotations

from typing import Any


def test_many_python_threads_at_once(run: Any) -> None:
    ran = run(
        """
        import threading
        from ferry.embedded import start_jvm

        g = start_jvm(classpath=CLASSES, entry_point="fixtures.EntryPoint")
        ep = g.entry_point
        barrier = threading.Barrier(16)
        results = {}
        errors = []

        def work(k):
            try:
                barrier.wait()
                names = set()
                sb = g.jvm.java.lang.StringBuilder()
                for i in range(300):
                    sb.append(k)
                    names.add(ep.currentThreadName())
                    assert ep.echoInt(k * 1000 + i) == k * 1000 + i
                results[k] = [sb.length(), sorted(names)]
            except BaseException as e:
                errors.append(repr(e))

        threads = [threading.Thread(target=work, args=(k,)) for k in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        def python_java_threads():
            live = g.jvm.java.lang.Thread.getAllStackTraces().keySet()
            return sorted(t.getName() for t in live if t.getName().startswith("python-thread-"))

        # A Python thread detaches when its OS thread exits, which join() does not wait for.
        import time
        deadline = time.monotonic() + 10
        live_after = python_java_threads()
        while live_after and time.monotonic() < deadline:
            time.sleep(0.01)
            live_after = python_java_threads()

        report(errors=errors, results=results, live_after=live_after,
               main=ep.currentThreadName())
        """
    )
    r = ran.report
    assert r["errors"] == []
    assert len(r["results"]) == 16
    names = []
    for k, (length, thread_names) in r["results"].items():
        assert length == 300 * len(k)
        # One Java thread per Python thread, the same for all its calls.
        assert len(thread_names) == 1
        names.append(thread_names[0])
    assert len(set(names)) == 16
    # The ended threads were detached (the main thread attached when it started the JVM).
    assert r["live_after"] == []
    assert r["main"] == "main"
