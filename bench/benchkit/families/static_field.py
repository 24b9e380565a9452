from __future__ import annotations

from benchkit.families.base import Ctx, LatencyFamily
from benchkit.measure import Op


class StaticField(LatencyFamily):
    name = "static_field"
    title = "static field through a held class"
    code = "Integer.MAX_VALUE  # Integer = gateway.jvm.java.lang.Integer"
    order = 50
    expect = 2**31 - 1

    def prepare(self, ctx: Ctx) -> Op:
        integer = ctx.gateway.jvm.java.lang.Integer
        return lambda: integer.MAX_VALUE


FAMILY = StaticField()
