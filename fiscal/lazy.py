"""Names a package exports but imports only when first used (PEP 562).

A pytest session that never starts an emulator, and `opticserp --help`, should not pay a third of a second for
FastAPI, uvicorn or aiohttp because a package's `__init__` re-exports something built on them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` that imports `exports[name]` (a module path) when `name` is first asked for."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    return __getattr__
