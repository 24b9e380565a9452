"""Java calling Python objects in embedded mode: no callback server, the GIL taken for each call,
from the calling thread (nested) and from Java threads of their own."""

from __future__ import annotations

from typing import Any


def test_listener_notified_from_a_java_thread_and_nested_calls(run: Any) -> None:
    ran = run(
        """
        import threading
        from ferry.embedded import start_jvm

        g = start_jvm(classpath=CLASSES, entry_point="callbacks.CallbackApp")
        app = g.entry_point

        class Listener:
            def __init__(self):
                self.events = []
            def notify(self, event, n):
                self.events.append([event, n, threading.current_thread() is threading.main_thread()])
            class Java:
                implements = ["callbacks.Listener"]

        listener = Listener()
        app.addListener(listener)
        notifier = app.fireFromNewThread("tick", 3)

        class Pong:
            def pong(self, app, depth):
                return app.ping(self, depth)
            class Java:
                implements = ["callbacks.Pong"]

        ping = app.ping(Pong(), 50)

        class Greeter:
            def greet(self, name):
                return "hello " + name
            class Java:
                implements = ["callbacks.Greeter"]

        class Failing:
            def run(self):
                raise ValueError("boom from Python")
            class Java:
                implements = ["java.lang.Runnable"]

        class Reverse:
            def compare(self, a, b):
                return (b > a) - (b < a)
            class Java:
                implements = ["java.util.Comparator"]

        values = g.jvm.java.util.ArrayList()
        for v in [3, 1, 2]:
            values.append(v)
        g.jvm.java.util.Collections.sort(values, Reverse())
        report(
            notifier=notifier, events=listener.events, ping=ping,
            greet=app.greetVia(Greeter(), "ferry"), failed=app.runAndCatch(Failing()),
            sorted=list(values),
        )
        """
    )
    r = ran.report
    assert r["notifier"] == "notifier-tick"
    # Called from the Java thread: not Python's main thread.
    assert r["events"] == [["tick", 0, False], ["tick", 1, False], ["tick", 2, False]]
    assert r["ping"].startswith("java@")
    assert r["greet"] == "hello ferry"
    assert "boom from Python" in r["failed"]
    assert r["sorted"] == [3, 2, 1]


def test_python_objects_leave_the_pool_when_java_drops_them(run: Any) -> None:
    ran = run(
        """
        import gc, time
        from ferry.embedded import start_jvm

        g = start_jvm(classpath=CLASSES, entry_point="callbacks.CallbackApp")
        app = g.entry_point

        class Greeter:
            def greet(self, name):
                return name
            class Java:
                implements = ["callbacks.Greeter"]

        for i in range(5):
            app.hold(Greeter())
        held = len(g.gateway_property.pool)
        app.dropAll()
        deadline = time.monotonic() + 30
        while len(g.gateway_property.pool) and time.monotonic() < deadline:
            app.gc()
            time.sleep(0.05)
        report(held=held, left=len(g.gateway_property.pool))
        """
    )
    assert ran.report["held"] == 5
    assert ran.report["left"] == 0


def test_python_threads_whose_java_calls_call_python_at_once(run: Any) -> None:
    ran = run(
        """
        import threading
        from ferry.embedded import start_jvm

        g = start_jvm(classpath=CLASSES, entry_point="callbacks.CallbackApp")
        app = g.entry_point
        lock = threading.Lock()
        seen = []

        class Counter:
            def applyAsInt(self, x):
                with lock:
                    seen.append(x)
                return x + 1
            class Java:
                implements = ["java.util.function.IntUnaryOperator"]

        counter = Counter()
        results = []

        def python_thread(k):
            results.append(app.applyMany(counter, 50))

        threads = [threading.Thread(target=python_thread, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        report(results=results, calls=len(seen))
        """
    )
    assert ran.report["results"] == [sum(range(1, 51))] * 4
    assert ran.report["calls"] == 200
