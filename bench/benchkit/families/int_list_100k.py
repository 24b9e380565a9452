from __future__ import annotations

from typing import Any

from benchkit.families.base import BulkFamily, Ctx
from benchkit.measure import BulkCase


class IntList100k(BulkFamily):
    name = "int_list_100k"
    title = "100,000-int Python list into a Java ArrayList (auto_convert=True)"
    code = "jlist.addAll(pylist)  # jlist = gateway.jvm.java.util.ArrayList(), made untimed"
    order = 70
    unit = "ints"
    full_size = 100_000
    quick_size = 10_000

    def prepare(self, ctx: Ctx, size: int) -> BulkCase:
        gateway = ctx.auto_convert_gateway()
        array_list = gateway.jvm.java.util.ArrayList
        pylist = list(range(size))
        holder: list[Any] = [None]

        def before() -> None:
            holder[0] = None  # release the previous list before making the next one
            holder[0] = array_list()

        def check(_result: object) -> None:
            n = holder[0].size()
            if n != size:
                raise AssertionError(
                    f"the Java list holds {n} elements, expected {size}"
                )

        return BulkCase(
            run=lambda: holder[0].addAll(pylist), before=before, check=check
        )


FAMILY = IntList100k()
