"""pytest plugin: real Redis, PostgreSQL, emulators and the KKT adapter as fixtures, and failure scenarios.

The public names are imported on first use, so `opticserp up` and friends, which import the package for its
process executors, do not pay for FastAPI and the emulators.
"""

from __future__ import annotations

from fiscal.lazy import lazy_exports

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
__getattr__ = lazy_exports(__name__, _EXPORTS)
