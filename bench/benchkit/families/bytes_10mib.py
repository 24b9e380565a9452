from __future__ import annotations

import random

from benchkit.families.base import BulkFamily, Ctx
from benchkit.measure import BulkCase


class Bytes10MiB(BulkFamily):
    name = "bytes_10mib"
    title = "10 MiB bytearray to a Java byte[] parameter"
    code = "entry.byteLength(data)  # data = bytearray(10 MiB); Java: int byteLength(byte[])"
    order = 60
    unit = "bytes"
    full_size = 10 << 20
    quick_size = 1 << 20
    bandwidth = True

    def prepare(self, ctx: Ctx, size: int) -> BulkCase:
        entry = ctx.gateway.entry_point
        data = bytearray(random.Random(size).randbytes(size))

        def check(result: object) -> None:
            if result != size:
                raise AssertionError(f"byteLength answered {result!r}, expected {size}")

        return BulkCase(run=lambda: entry.byteLength(data), check=check)


FAMILY = Bytes10MiB()
