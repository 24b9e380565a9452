from __future__ import annotations

from benchkit.families.base import Ctx, ThroughputFamily
from benchkit.measure import Op


class Threads4(ThroughputFamily):
    name = "threads4"
    title = "4 Python threads calling at once, each on its own held object"
    code = "sb.length()  # in each of 4 threads, each with its own StringBuilder"
    order = 90
    threads = 4

    def prepare_thread(self, ctx: Ctx) -> Op:
        sb = ctx.gateway.jvm.java.lang.StringBuilder("hello")
        return sb.length


FAMILY = Threads4()
