"""Arrow data from Java: ``to_table`` reads an Arrow IPC stream a Java method returned.

With a ferry gateway (protocol v2) a large ``byte[]`` reply is received straight into the Python
``bytes`` object it becomes, and the table's buffers point into it: no copy beyond the socket
read. pyarrow is needed (``pip install pyarrow``).
"""

from __future__ import annotations

from typing import Any

from ferry.protocol import Py4JError

__all__ = ["to_table"]


def _ipc_buffer(data: Any) -> Any:
    """The bytes of an IPC stream as a pyarrow buffer (zero copy) from bytes, a bytearray, a
    memoryview, a numpy int8 array, or a Java heap ``ByteBuffer`` (its remaining bytes)."""
    import pyarrow as pa

    from ferry.java_gateway import JavaObject

    if isinstance(data, JavaObject):
        if not bool(data.hasArray()):
            raise Py4JError(
                "ferry.arrow.to_table reads heap ByteBuffers (ByteBuffer.wrap, allocate); "
                "this one is direct: copy it into a byte[] on the Java side"
            )
        start = int(data.arrayOffset()) + int(data.position())
        length = int(data.remaining())
        whole = data.array()
        return pa.py_buffer(memoryview(whole)[start : start + length])
    return pa.py_buffer(data)


def to_table(data: Any) -> Any:
    """A ``pyarrow.Table`` from Arrow IPC stream bytes: what a Java method returning ``byte[]``
    (or a heap ``java.nio.ByteBuffer``) gave, e.g. ``to_table(entry.arrowBatches())``."""
    import pyarrow as pa

    reader = pa.ipc.open_stream(_ipc_buffer(data))
    return reader.read_all()
