from __future__ import annotations

from benchkit.families.base import BulkFamily, Ctx, Unsupported
from benchkit.measure import BulkCase


class Numpy10M(BulkFamily):
    name = "numpy_10m"
    title = "10 million float64 numpy values to a Java double[] parameter"
    code = "entry.doubleLength(arr)  # arr = numpy.arange(10**7, dtype=float64)"
    order = 65
    unit = "bytes"  # 8 per double: the bandwidth column reads bytes per second
    full_size = 80_000_000
    quick_size = 800_000
    scalable = False
    bandwidth = True
    note = (
        "py4j has no numpy path (a list of 10 million floats one `add` at a time would take "
        "hours), nor has ferry over v1; over v2 the array's raw elements travel in one frame."
    )

    def prepare(self, ctx: Ctx, nbytes: int) -> BulkCase:
        size = nbytes // 8
        if ctx.combo.client == "py4j":
            raise Unsupported("py4j has no numpy arrays")
        if ctx.combo.client == "ferry_v1" or ctx.combo.server == "py4j":
            raise Unsupported("protocol v1 has no raw arrays")
        import numpy

        arr = numpy.arange(size, dtype=numpy.float64)
        entry = ctx.gateway.entry_point

        def check(result: object) -> None:
            if result != size:
                raise AssertionError(
                    f"doubleLength answered {result!r}, expected {size}"
                )

        return BulkCase(run=lambda: entry.doubleLength(arr), check=check)


FAMILY = Numpy10M()
