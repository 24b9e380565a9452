from __future__ import annotations

from benchkit.families.base import Ctx, LatencyFamily
from benchkit.measure import Op


class StaticFull(LatencyFamily):
    name = "static_full"
    title = "static call, written out in full each time"
    code = "gateway.jvm.java.lang.Math.abs(-5)"
    order = 20
    expect = 5

    def prepare(self, ctx: Ctx) -> Op:
        gateway = ctx.gateway
        return lambda: gateway.jvm.java.lang.Math.abs(-5)


FAMILY = StaticFull()
