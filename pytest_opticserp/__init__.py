"""pytest plugin: real Redis, PostgreSQL, emulators and the KKT adapter as fixtures, and failure scenarios.

The public names are imported on first use, so `opticserp up` and friends, which import the package for its
process executors, do not pay for FastAPI and the emulators.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "EventuallyTimeout": "pytest_opticserp.waiting",
    "eventually": "pytest_opticserp.waiting",
    "KktAdapter": "pytest_opticserp.adapter",
    "InProcessKktAdapter": "pytest_opticserp.adapter_app",
    "ReceiptFactory": "pytest_opticserp.receipts",
    "Scenarios": "pytest_opticserp.scenarios",
    "ServerHandle": "pytest_opticserp.handles",
    "ServiceHandle": "pytest_opticserp.handles",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'pytest_opticserp' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
