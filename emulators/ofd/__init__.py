"""The OFD (fiscal data operator) stand-in: receives every FN document over HTTP, with failure injection."""

from emulators.ofd.documents import Document, FiscalDocument, ResponseCode
from emulators.ofd.handle import OfdEmulator
from emulators.ofd.sequence import FnSequence
from emulators.ofd.state import OfdCounters, OfdState, ReceivedDocument, UnknownFn
from fiscal.lazy import lazy_exports

# Built on FastAPI: imported when first used (see fiscal.lazy).
__getattr__ = lazy_exports(__name__, {"create_app": "emulators.ofd.app"})

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
