"""The benchmark families, one module each; adding a family is adding a module here."""

from __future__ import annotations

import importlib
import pkgutil

from benchkit.families.base import Family


def all_families() -> list[Family]:
    found: list[Family] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        family = getattr(module, "FAMILY", None)
        if isinstance(family, Family):
            found.append(family)
    found.sort(key=lambda f: (f.order, f.name))
    names = [f.name for f in found]
    if len(set(names)) != len(names):
        raise RuntimeError(f"two families share a name: {names}")
    return found
