from __future__ import annotations

from benchkit.families.base import Ctx, LatencyFamily
from benchkit.measure import Op


class HeldCall(LatencyFamily):
    name = "held_call"
    title = "instance call on a held object"
    code = "sb.length()"
    order = 10
    expect = 5
    call_floors = (
        True  # the same call by a C and a bare Python client (benchkit.floors)
    )

    def prepare(self, ctx: Ctx) -> Op:
        sb = ctx.gateway.jvm.java.lang.StringBuilder("hello")
        return sb.length


FAMILY = HeldCall()
