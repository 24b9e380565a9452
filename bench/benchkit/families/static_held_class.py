from __future__ import annotations

from benchkit.families.base import Ctx, LatencyFamily
from benchkit.measure import Op


class StaticHeldClass(LatencyFamily):
    name = "static_held_class"
    title = "static call through a held class"
    code = "Math.abs(-5)  # Math = gateway.jvm.java.lang.Math"
    order = 30
    expect = 5

    def prepare(self, ctx: Ctx) -> Op:
        math = ctx.gateway.jvm.java.lang.Math
        return lambda: math.abs(-5)


FAMILY = StaticHeldClass()
