"""The OFD (fiscal data operator) stand-in: receives fiscal documents over HTTP, with failure injection."""

from emulators.ofd.app import create_app
from emulators.ofd.documents import FiscalDocument, ResponseCode
from emulators.ofd.handle import OfdEmulator
from emulators.ofd.state import OfdCounters, OfdState, ReceivedDocument

__all__ = [
    "FiscalDocument",
    "OfdCounters",
    "OfdEmulator",
    "OfdState",
    "ReceivedDocument",
    "ResponseCode",
    "create_app",
]
