"""Reading `python -X importtime`: which modules a process imported, and which of them belong to given packages."""

from __future__ import annotations

from collections.abc import Iterable


def modules_imported(stderr: str) -> set[str]:
    """Every module named in `-X importtime`'s report (it goes to stderr)."""
    return {line.split("|")[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


def within(modules: Iterable[str], packages: Iterable[str]) -> list[str]:
    """The modules that are one of `packages` or inside one of them, sorted."""
    packages = tuple(packages)
    return sorted(m for m in modules if any(m == name or m.startswith(name + ".") for name in packages))
