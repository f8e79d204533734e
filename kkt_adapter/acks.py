"""The FN learns which of its documents the OFD confirmed, as a real KKT's transport tells it.

Every delivered document is confirmed (receipts and the FN's other documents alike), with the OFD's operator sign
(tag 1078). The confirmation is recorded durably with the document's `synced` status (one transaction, buffer.record)
and handed to the register afterwards, outside any buffer transaction and off the receipt's path. Nothing is
lost or re-sent either way: a register that fails to take it keeps it listed for the next run (the receipt
stays `synced`, never re-queued); a crash between the OFD's confirmation and the FN's leaves it listed, and
it is handed over again after the restart (the FN takes a confirmation twice without harm).
"""

from __future__ import annotations

import asyncio
import logging

from .drivers.base import KktDriver
from .operations import AcknowledgementStore

log = logging.getLogger(__name__)


class FnAcknowledgements:
    def __init__(self, store: AcknowledgementStore, driver: KktDriver, batch: int = 500) -> None:
        self._store = store
        self._driver = driver
        self._batch = batch
        self._fn_serial: str | None = None
        self.outstanding = True  # something may be waiting (at start: whatever a crash left)

    async def hand_over(self) -> int:
        """Tell the register of every confirmation waiting for it; how many it took. Never raises."""
        taken = 0
        try:
            if not await self._store.any_pending():  # asked first: most runs have nothing for the register
                self.outstanding = False
                return taken
            fn_serial = await self._attached_fn()
            if fn_serial is None:  # an FN that cannot say which it is gets nothing: it may not be the one that signed
                self.outstanding = True
                return taken
            while True:
                confirmations = await self._store.pending(fn_serial, self._batch)
                if not confirmations:
                    self.outstanding = False
                    return taken
                # Concurrently, so the FN's store commits them together (group commit), not one fsync each.
                results = await asyncio.gather(*(self._driver.acknowledge(n, sign) for n, sign in confirmations),
                                               return_exceptions=True)
                done = [n for (n, _), result in zip(confirmations, results, strict=True)
                        if not isinstance(result, BaseException)]
                if done:
                    await self._store.forget(fn_serial, done)
                    taken += len(done)
                failed = [result for result in results if isinstance(result, BaseException)]
                if failed:
                    self.outstanding = True
                    log.warning("the register did not take OFD confirmations; kept for the next run",
                                extra={"failed": len(failed), "error": repr(failed[0])})
                    return taken
        except Exception:
            self.outstanding = True
            log.exception("handing OFD confirmations to the register failed; kept for the next run")
            return taken

    async def _attached_fn(self) -> str | None:
        """The FN the register has now: a confirmation for another FN's document (one replaced since) must not
        reach this one, whose numbers restart."""
        if self._fn_serial is None:
            self._fn_serial = (await self._driver.status()).get("fn_serial")
        return self._fn_serial
