from __future__ import annotations

from benchkit.families.base import Ctx, LatencyFamily
from benchkit.measure import Op

CALLS = 100


class BatchedCall(LatencyFamily):
    name = "batched_call"
    title = f"{CALLS} calls on a held object made together, per call"
    code = (
        f"with ferry.batch() as b:\n    for _ in range({CALLS}): b.call(sb.length)"
        f"  # py4j, JPype: for _ in range({CALLS}): sb.length()"
    )
    order = 12
    calls_per_op = CALLS
    note = (
        "ferry's client sends the calls in one write and reads their replies together "
        "(`ferry.batch()`, on Py4J's server too); py4j and JPype have no such API, so their "
        "cells make the same calls one after the other (what their users write)."
    )

    def prepare(self, ctx: Ctx) -> Op:
        sb = ctx.gateway.jvm.java.lang.StringBuilder("hello")
        length = sb.length
        if not ctx.combo.client.startswith("ferry"):

            def one_by_one() -> object:
                for _ in range(CALLS):
                    length()
                return None

            return one_by_one
        import ferry

        def batched() -> object:
            with ferry.batch() as b:
                for _ in range(CALLS):
                    b.call(length)
            return None

        return batched


FAMILY = BatchedCall()
