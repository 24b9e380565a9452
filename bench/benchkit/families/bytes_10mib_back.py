from __future__ import annotations

import random
from typing import Any

from benchkit.families.base import BulkFamily, Ctx
from benchkit.measure import BulkCase


class Bytes10MiBBack(BulkFamily):
    name = "bytes_10mib_back"
    title = "10 MiB Java byte[] returned to Python as bytes"
    code = "ref.get()  # ref = jvm.java.util.concurrent.atomic.AtomicReference(data), untimed"
    order = 61
    unit = "bytes"
    full_size = 10 << 20
    quick_size = 1 << 20
    bandwidth = True
    note = "JPype's column converts the returned `byte[]` with `bytes(...)`."

    def prepare(self, ctx: Ctx, size: int) -> BulkCase:
        data = random.Random(size).randbytes(size)
        # A holder per combination: the servers' entry points are shared by the combinations.
        holder = ctx.gateway.jvm.java.util.concurrent.atomic.AtomicReference
        run: Any
        if ctx.combo.client == "jpype":
            import jpype

            # JPype would make a String of a bytes argument to an Object parameter.
            ref = holder(jpype.JArray(jpype.JByte)(data))

            def run() -> Any:
                return bytes(ref.get())

        else:
            ref = holder(data)
            run = ref.get

        def check(result: object) -> None:
            if not isinstance(result, bytes) or len(result) != size:
                raise AssertionError(
                    f"got {type(result).__name__}, expected {size} bytes"
                )

        return BulkCase(run=run, check=check)


FAMILY = Bytes10MiBBack()
