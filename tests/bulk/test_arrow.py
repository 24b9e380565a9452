"""Arrow IPC streams from Java: ``ferry.arrow.to_table`` reads them with no copy beyond the
socket read (the table's buffers lie inside the ``bytes`` the reply was received into)."""

from __future__ import annotations

from typing import Any

import ferry.arrow
import pyarrow as pa
import pytest

pytestmark = pytest.mark.servers("ferry")


def ipc_bytes(rows: int) -> bytes:
    table = pa.table(
        {
            "id": pa.array(range(rows), type=pa.int64()),
            "value": pa.array([i * 0.25 for i in range(rows)], type=pa.float64()),
            "name": pa.array([f"row {i}" for i in range(rows)]),
        }
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=rows // 4 or 1)
    return bytes(sink.getvalue().to_pybytes())


def address_range(data: bytes) -> tuple[int, int]:
    start = pa.py_buffer(data).address
    return start, start + len(data)


def test_a_byte_array_from_java_is_read_in_place(data: Any) -> None:
    stream = ipc_bytes(50_000)
    assert len(stream) > 1 << 20
    data.keep(stream)
    received = data.keptBytes()
    assert isinstance(received, bytes) and received == stream
    table = ferry.arrow.to_table(received)
    assert table.num_rows == 50_000
    assert table.column("id")[49_999].as_py() == 49_999
    assert table.column("name")[7].as_py() == "row 7"
    low, high = address_range(received)
    for column in table.columns:
        for chunk in column.chunks:
            for buf in chunk.buffers():
                if buf is not None and buf.size > 0:
                    assert low <= buf.address and buf.address + buf.size <= high


def test_a_heap_byte_buffer_from_java(data: Any) -> None:
    stream = ipc_bytes(1000)
    data.keep(b"junk" + stream + b"tail")
    buffer = data.keptBuffer(4, len(stream))
    table = ferry.arrow.to_table(buffer)
    assert table.num_rows == 1000
    assert table.column("value")[2].as_py() == 0.5
