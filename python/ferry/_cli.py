"""The ``ferry`` command of an installed wheel: runs the ``ferry`` program shipped inside the
package (``ferry/_bin/ferry``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def bundled_cli() -> Path | None:
    """The ``ferry`` program next to this package: inside the wheel (``_bin/ferry``), or, in a
    source tree installed in development mode, the release build (``target/release/ferry``)."""
    package = Path(__file__).resolve().parent
    inside = package / "_bin" / "ferry"
    if inside.is_file():
        return inside
    tree = package.parent.parent
    built = tree / "target" / "release" / "ferry"
    if (tree / "Cargo.toml").is_file() and built.is_file():
        return built
    return None


def main() -> None:
    """Replaces this process with the ``ferry`` program, passing the arguments on."""
    program = bundled_cli()
    if program is None:
        sys.stderr.write(
            "ferry: the ferry program is not in this installation (ferry/_bin/ferry); "
            "install ferry's wheel, or build it with `make build` in a source tree\n"
        )
        sys.exit(2)
    os.execv(program, [str(program), *sys.argv[1:]])


if __name__ == "__main__":
    main()
