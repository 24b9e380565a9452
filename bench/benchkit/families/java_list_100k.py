from __future__ import annotations

from typing import Any

from benchkit.families.base import BulkFamily, Ctx
from benchkit.measure import BulkCase


class JavaList100k(BulkFamily):
    name = "java_list_100k"
    title = "100,000-element Java list (Integers) to a Python list"
    code = (
        "ferry.to_python(jlist)  # py4j and JPype: list(jlist); jlist = entry.range(100000), "
        "made untimed"
    )
    order = 72
    unit = "elements"
    full_size = 100_000
    quick_size = 1_000
    note = (
        "ferry's columns call `ferry.to_python` (one ToPython request over v2; over v1, "
        "pipelined batches of `get(i)`); py4j's iterate the list (one `next()` round trip per "
        "element); JPype's iterate it in process (elements are Java Integers)."
    )

    def prepare(self, ctx: Ctx, size: int) -> BulkCase:
        jlist = ctx.gateway.entry_point.range(size)
        convert: Any
        if ctx.combo.client in ("ferry", "ferry_v1"):
            import ferry

            def convert() -> Any:
                return ferry.to_python(jlist)

        else:

            def convert() -> Any:
                return list(jlist)

        def check(result: object) -> None:
            assert isinstance(result, list)
            if len(result) != size or int(result[-1]) != size - 1:
                raise AssertionError(f"got {len(result)} elements, expected {size}")

        return BulkCase(run=convert, check=check)


FAMILY = JavaList100k()
