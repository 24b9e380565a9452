from __future__ import annotations

from benchkit.families.base import Ctx, LatencyFamily
from benchkit.measure import Op


class Constructor(LatencyFamily):
    name = "constructor"
    title = "constructor, written out in full (the proxy is dropped at once: its release counts)"
    code = "gateway.jvm.java.util.ArrayList()"
    order = 40

    def prepare(self, ctx: Ctx) -> Op:
        gateway = ctx.gateway
        return lambda: gateway.jvm.java.util.ArrayList()


FAMILY = Constructor()
