from __future__ import annotations

from benchkit.families import _callback_common as common
from benchkit.families.base import Ctx, LatencyFamily
from benchkit.measure import Op


class CallbackPinned(LatencyFamily):
    name = "callback_pinned"
    title = (
        "Java calls a Python method returning an int (pinned-thread mode: ClientServer, "
        "the call comes back on the calling thread's connection)"
    )
    code = (
        "Arrays.setAll(arr, op)  # Java calls op.applyAsInt(i) 100 times; "
        "time per Java -> Python call"
    )
    order = 110
    calls_per_op = common.CALLS_PER_OP

    def prepare(self, ctx: Ctx) -> Op:
        op: Op = common.prepare(ctx, pinned=True)
        return op


FAMILY = CallbackPinned()
