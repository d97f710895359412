"""Prints the dependency layer's requirements.txt from pyproject.toml (one list of pins)."""

from __future__ import annotations

import tomllib
from pathlib import Path

HEADER = (
    "# Generated from pyproject.toml [project.dependencies] by `make layer-requirements`;\n"
    "# tests/infra checks that the two agree.\n"
)


def render(pyproject: Path) -> str:
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return HEADER + "".join(f"{d}\n" for d in sorted(deps, key=str.lower))


if __name__ == "__main__":
    from fpv.local.runner import project_root

    print(render(project_root() / "pyproject.toml"), end="")
