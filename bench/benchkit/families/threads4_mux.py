from __future__ import annotations

from benchkit.families.base import Ctx, ThroughputFamily, Unsupported
from benchkit.measure import Op


class Threads4Mux(ThroughputFamily):
    name = "threads4_mux"
    title = (
        "4 Python threads calling at once, each on its own held object, their calls combined "
        "on one connection (ferry's multiplexed mode)"
    )
    code = (
        "sb.length()  # in each of 4 threads; gateway = JavaGateway(gateway_parameters="
        "GatewayParameters(multiplex=True))"
    )
    order = 91
    threads = 4
    note = (
        "Only ferry's client over protocol v2 has the mode (opt-in: the calls of every thread "
        "run in order on one Java thread); the other columns are the `threads4` row's."
    )

    def prepare_thread(self, ctx: Ctx) -> Op:
        if ctx.combo.client != "ferry" or ctx.combo.server != "ferry":
            raise Unsupported("the multiplexed mode is ferry's, over protocol v2")
        assert ctx.connect_with is not None
        gateway = ctx.connect_with(multiplex=True)
        sb = gateway.jvm.java.lang.StringBuilder("hello")
        return sb.length


FAMILY = Threads4Mux()
