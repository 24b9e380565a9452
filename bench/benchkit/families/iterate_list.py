from __future__ import annotations

from benchkit.families.base import BulkFamily, Ctx
from benchkit.measure import BulkCase


class IterateList(BulkFamily):
    name = "iterate_list"
    title = "iterate a 1,000-element Java list from Python"
    code = "for x in jlist: pass  # jlist = entry.range(1000), a java.util.List"
    order = 80
    unit = "elements"
    full_size = 1000
    quick_size = 100
    scalable = False

    def prepare(self, ctx: Ctx, size: int) -> BulkCase:
        jlist = ctx.gateway.entry_point.range(size)

        def run() -> int:
            n = 0
            for _ in jlist:
                n += 1
            return n

        def check(result: object) -> None:
            if result != size:
                raise AssertionError(f"iterated {result!r} elements, expected {size}")

        return BulkCase(run=run, check=check)


FAMILY = IterateList()
