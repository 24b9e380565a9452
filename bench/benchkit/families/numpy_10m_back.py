from __future__ import annotations

from typing import Any

from benchkit.families.base import BulkFamily, Ctx, Unsupported
from benchkit.measure import BulkCase


class Numpy10MBack(BulkFamily):
    name = "numpy_10m_back"
    title = "a 10-million-element Java double[] to a numpy array"
    code = "ferry.to_numpy(jarr)  # JPype: numpy.asarray(jarr); jarr = entry.doubles(10**7), untimed"
    order = 66
    unit = "bytes"  # 8 per double: the bandwidth column reads bytes per second
    full_size = 80_000_000
    quick_size = 800_000
    scalable = False
    bandwidth = True
    note = (
        "ferry over v2 receives the raw elements straight into the new numpy array's memory; "
        "JPype's `numpy.asarray` reads the array in process. py4j has no numpy path, and ferry "
        "over v1 reads element by element."
    )

    def prepare(self, ctx: Ctx, nbytes: int) -> BulkCase:
        size = nbytes // 8
        if ctx.combo.client == "py4j":
            raise Unsupported("py4j has no numpy arrays")
        if ctx.combo.client == "ferry_v1" or ctx.combo.server == "py4j":
            raise Unsupported("protocol v1 has no raw arrays (element by element)")
        import numpy

        jarr = ctx.gateway.entry_point.doubles(size)
        run: Any
        if ctx.combo.client == "jpype":

            def run() -> Any:
                return numpy.asarray(jarr)

        else:
            import ferry

            def run() -> Any:
                return ferry.to_numpy(jarr)

        def check(result: object) -> None:
            arr: Any = result
            if arr.shape != (size,) or arr[-1] != (size - 1) * 0.5:
                raise AssertionError(f"got shape {arr.shape}, last {arr[-1]}")

        return BulkCase(run=run, check=check)


FAMILY = Numpy10MBack()
