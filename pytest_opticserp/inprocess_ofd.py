"""The OFD emulator's logic inside the adapter process, for `OFD_MODE=mock`: no server, no network.

The adapter (the product) does not import its test tools; it finds this class through the entry point
`kkt_adapter.ofd` named `mock`, which this distribution declares. Its state is inspectable as `.state`.
"""

from __future__ import annotations

import asyncio

from emulators.ofd.documents import DocumentRejected
from emulators.ofd.rules import parse_document
from emulators.ofd.state import OfdState
from kkt_adapter.ofd_client import OfdAnswer
from kkt_adapter.settings import Settings


class InProcessOfd:
    def __init__(self) -> None:
        self.state = OfdState()

    @classmethod
    def from_settings(cls, settings: Settings) -> InProcessOfd:
        return cls()

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def send(self, document: str) -> OfdAnswer:
        await asyncio.sleep(0)
        self.state.note_call()
        try:
            parsed, raw = parse_document(document.encode(), self.state.vat_codes)
            ack, duplicate = self.state.store(parsed, raw)
        except DocumentRejected as rejected:
            return OfdAnswer("rejected", "rejected", f"OFD rejected the document: {rejected.payload()}")
        return OfdAnswer("accepted", ack={**ack, "duplicate": duplicate})

    async def probe(self) -> OfdAnswer:
        return OfdAnswer("accepted")
