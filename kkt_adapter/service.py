"""Phase 1 of fiscalization: store durably, sign on the register, answer the POS.

The order is what makes a 2xx safe and a retry harmless:
1. the receipt is committed to the buffer as `fiscalizing` (or refused with 503 when the buffer is full);
2. the register signs it, tagged with the receipt id;
3. the fiscal data and the answer are committed as `pending` for the sync worker.
A crash after 2 and before 3 is repaired at start-up by asking the register for the document with that id,
so a POS retrying with the same idempotency key gets the original fiscal data, never a second receipt.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .buffer import KeyTaken, ReceiptBuffer
from .drivers.base import FiscalData, KktDriver, KktError
from .hlc import HybridLogicalClock
from .idempotency import OncePerKey, Outcome, replay
from .metrics import Metrics
from .money import format_rubles
from .ofd_document import build_document
from .outbox import DocumentCollector
from .receipt import FiscalRequest

log = logging.getLogger(__name__)


def build_response(receipt_id: str, key: str, request: FiscalRequest, fiscal: FiscalData,
                   created_at: str) -> dict[str, Any]:
    return {
        "status": "fiscalized",
        "receipt_id": receipt_id,
        "idempotency_key": key,
        "pos_id": request.pos_id,
        "type": request.operation,
        "total": format_rubles(request.total),
        "created_at": created_at,
        "fiscal": fiscal.to_dict(),
        "ofd_status": "pending",
    }


class FiscalService:
    def __init__(
        self,
        buffer: ReceiptBuffer,
        driver: KktDriver,
        capacity: int,
        clock: HybridLogicalClock,
        vat_tags: Mapping[str, int],
        taxation_system: int,
        metrics: Metrics,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        documents: DocumentCollector | None = None,
    ) -> None:
        self._buffer = buffer
        self._driver = driver
        self._capacity = capacity
        self._clock = clock
        self._vat_tags = vat_tags
        self._taxation_system = taxation_system
        self._metrics = metrics
        self._new_id = new_id
        self._documents = documents or DocumentCollector(buffer.outbox, driver, vat_tags)
        self._once = OncePerKey()
        self.on_fiscalized: Callable[[], None] = lambda: None

    async def recover(self) -> None:
        """Finish or forget receipts a crash left half-way through phase 1."""
        for stored in await self._buffer.fiscalizing():
            fiscal = await self._driver.find(stored.id)
            if fiscal is None:
                await self._buffer.discard(stored.id)
                log.warning("unsigned receipt discarded after restart", extra={"receipt_id": stored.id})
                continue
            request = FiscalRequest.from_json(stored.payload)
            await self._complete(stored.id, stored.idempotency_key, request, fiscal, stored.created_at)
            log.warning("signed receipt recovered after restart", extra={"receipt_id": stored.id})

    async def fiscalize(self, key: str, request: FiscalRequest) -> Outcome:
        """Fiscalize once per idempotency key, however many times and however concurrently it is asked."""
        async with self._once.turn(key):
            return await self._fiscalize_once(key, request)

    async def _fiscalize_once(self, key: str, request: FiscalRequest) -> Outcome:
        fingerprint = request.fingerprint()
        receipt_id = self._new_id()
        try:
            # Shielded: once the receipt is stored, a cancelled request must not leave it half-way.
            return await asyncio.shield(self._store_and_sign(receipt_id, key, fingerprint, request))
        except KeyTaken:  # a retry, or another process sharing the buffer stored this key first
            stored = await self._buffer.find_by_key(key)
            assert stored is not None
            return replay(key, fingerprint, stored.request_hash, stored.response)

    async def _store_and_sign(self, receipt_id: str, key: str, fingerprint: str,
                              request: FiscalRequest) -> Outcome:
        created_at = await self._buffer.reserve(
            receipt_id=receipt_id, key=key, request_hash=fingerprint, pos_id=request.pos_id,
            operation=request.operation, total=request.total, payload=request.to_json(),
            capacity=self._capacity, hlc=self._clock.now().encode(),
        )
        try:
            fiscal = await self._driver.fiscalize(request, receipt_id)
        except Exception as exc:
            # The register may have signed before failing (say, out of paper after the FN committed).
            signed = await self._driver.find(receipt_id)
            if signed is None:
                await self._buffer.discard(receipt_id)
                if isinstance(exc, KktError):
                    raise
                log.exception("register failed", extra={"receipt_id": receipt_id})
                raise KktError("unavailable", f"{type(exc).__name__}: {exc}") from exc
            fiscal = signed
        response = await self._complete(receipt_id, key, request, fiscal, created_at)
        log.info(
            "receipt fiscalized",
            extra={"receipt_id": receipt_id, "pos_id": request.pos_id,
                   "fiscal_doc_number": fiscal.fiscal_doc_number, "fn_serial": fiscal.fn_serial},
        )
        self.on_fiscalized()
        return Outcome(response, replayed=False)

    async def _complete(self, receipt_id: str, key: str, request: FiscalRequest, fiscal: FiscalData,
                        created_at: str) -> dict[str, Any]:
        response = build_response(receipt_id, key, request, fiscal, created_at)
        document = build_document(request, fiscal, self._vat_tags, self._taxation_system)
        if fiscal.receipt_number == 1:  # the shift's first: the register may have opened it just now, numbered before
            await self._documents.collect()
        await self._buffer.complete_fiscalization(receipt_id, fiscal, document, response)
        self._metrics.fiscalized.inc()
        return response
