"""The OFD (fiscal data operator) stand-in: receives every FN document over HTTP, with failure injection."""

from emulators.ofd.app import create_app
from emulators.ofd.documents import Document, FiscalDocument, ResponseCode
from emulators.ofd.handle import OfdEmulator
from emulators.ofd.sequence import FnSequence
from emulators.ofd.state import OfdCounters, OfdState, ReceivedDocument, UnknownFn

__all__ = [
    "Document",
    "FiscalDocument",
    "FnSequence",
    "OfdCounters",
    "OfdEmulator",
    "OfdState",
    "ReceivedDocument",
    "ResponseCode",
    "UnknownFn",
    "create_app",
]
