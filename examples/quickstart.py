"""ferry's quickstart: start a gateway on a Java class, then use it from Python.

Run with `make demo` (which builds everything first), or by hand:
    .venv/bin/python examples/quickstart.py
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

from ferry.java_gateway import GatewayParameters, JavaGateway, get_field, set_field
from ferry.protocol import Py4JJavaError

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLASSES = ROOT / "build" / "examples"
FERRY = pathlib.Path(sys.executable).parent / "ferry"


def main() -> None:
    # 1. A gateway: a JVM running the Inventory class, on a free port. `ferry serve` prints the
    #    port it listens on as its first line.
    server = subprocess.Popen(
        [str(FERRY), "serve", "--classpath", str(CLASSES), "--entry-point", "demo.Inventory",
         "--port", "0", "--die-on-exit"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    port = int(server.stdout.readline())
    print(f"ferry gateway listening on 127.0.0.1:{port}")

    # 2. Python connects, with py4j's API.
    gateway = JavaGateway(gateway_parameters=GatewayParameters(port=port))
    inventory = gateway.entry_point
    inventory.add("bolt", 120, 0.25)
    inventory.add("nut", 300, 0.1)
    widget = inventory.add("widget", 4, 12.5)
    set_field(widget, "quantity", 5)  # public fields, read and written by name
    print("widgets in stock:", get_field(widget, "quantity"))
    print("items:", list(inventory.names()))
    print("value of the widgets:", widget.value())
    print(f"total stock value: {inventory.total():.2f}")

    # Any class of the JVM is reachable through gateway.jvm.
    rnd = gateway.jvm.java.util.Random(42)
    print("a reproducible random number:", rnd.nextInt(100))
    print("Math.max(3, 7) =", gateway.jvm.java.lang.Math.max(3, 7))

    # Java exceptions arrive as Py4JJavaError, with the Java stack trace.
    try:
        inventory.find("gear")
    except Py4JJavaError as e:
        print("Java said:", e.java_exception.getMessage())

    gateway.shutdown()
    server.wait(timeout=10)
    print("gateway stopped")


if __name__ == "__main__":
    main()
