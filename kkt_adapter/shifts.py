"""The POS's shift calls (open, X report, close with the Z report), once per idempotency key.

They use the receipts' mechanism (idempotency.py): the key is claimed in the buffer before the register is
called, the answer is stored before it is given, and a retry or a concurrent duplicate gets that answer, so
a retried close returns the same Z report and never closes a second shift. The document the register signed
is copied to the outbox (outbox.py) before the answer is stored and given, so the OFD gets it. A refusal or
failure frees the key (nothing was signed; the POS may retry once the cause is fixed).

Unlike a receipt, a shift document carries no id of ours, so a crash between the register signing it and the
buffer storing the answer cannot be repaired from the register: start-up frees such keys, and a retry then
gets the register's own answer (`shift_already_open` / `shift_closed`), which says where the shift stands.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .buffer import ReceiptBuffer
from .drivers.base import Cashier, KktDriver, KktError
from .idempotency import KeyTaken, OncePerKey, Outcome, StillFiscalizing, fingerprint, replay
from .outbox import DocumentCollector

log = logging.getLogger(__name__)

OPERATION = "shift operation"


class ShiftService:
    def __init__(self, buffer: ReceiptBuffer, driver: KktDriver, documents: DocumentCollector | None = None) -> None:
        self._operations = buffer.operations
        self._driver = driver
        self._documents = documents or DocumentCollector(buffer.outbox, driver)
        self.on_signed: Callable[[], None] = lambda: None  # a document for the OFD is waiting
        self._once = OncePerKey()

    async def recover(self) -> None:
        """Free the keys of calls a crash interrupted; no answer was given for them."""
        for stored in await self._operations.running():
            await self._operations.discard(stored.idempotency_key)
            log.warning("interrupted shift call forgotten after restart; a retry asks the register again",
                        extra={"idempotency_key": stored.idempotency_key, "operation": stored.kind})

    async def open(self, key: str, cashier: Cashier | None) -> Outcome:
        async def call() -> dict[str, Any]:
            document = await self._driver.open_shift(cashier)
            return {"status": "opened", "shift_number": document.shift_number, "document": document.to_dict()}

        return await self._run(key, "open_shift", _cashier_json(cashier), call)

    async def close(self, key: str, cashier: Cashier | None) -> Outcome:
        async def call() -> dict[str, Any]:
            document = await self._driver.close_shift(cashier)
            return {"status": "closed", "shift_number": document.shift_number, "document": document.to_dict()}

        return await self._run(key, "close_shift", _cashier_json(cashier), call)

    async def x_report(self, key: str) -> Outcome:
        async def call() -> dict[str, Any]:
            return {"status": "reported", "report": await self._driver.x_report()}

        return await self._run(key, "x_report", None, call)

    async def state(self) -> dict[str, Any]:
        return await _register(self._driver.shift_state)

    async def _run(self, key: str, kind: str, body: Any, call: Callable[[], Awaitable[dict[str, Any]]]) -> Outcome:
        request_hash = fingerprint(kind, body)
        async with self._once.turn(key):
            try:
                # Shielded: once the key is claimed, a cancelled request must not leave the call half-way.
                return await asyncio.shield(self._claim_and_call(key, kind, request_hash, call))
            except KeyTaken:
                stored = await self._operations.find(key)
                if stored is None:  # another process's call was refused between its claim and our look
                    raise StillFiscalizing(key, OPERATION) from None
                return replay(key, request_hash, stored.request_hash, stored.response, OPERATION)

    async def _claim_and_call(self, key: str, kind: str, request_hash: str,
                              call: Callable[[], Awaitable[dict[str, Any]]]) -> Outcome:
        await self._operations.reserve(key, kind, request_hash)
        try:
            answer = await _register(call)
        except BaseException:
            await self._operations.discard(key)
            raise
        response = {**answer, "idempotency_key": key}
        await self._documents.collect()  # the signed document is kept for the OFD before the POS hears of it
        await self._operations.complete(key, response)
        self.on_signed()
        log.info("shift call done", extra={"operation": kind, "idempotency_key": key})
        return Outcome(response, replayed=False)


async def _register(call: Callable[[], Awaitable[Any]]) -> Any:
    """A register's refusal passes as it is; any other failure is the register being unavailable."""
    try:
        return await call()
    except KktError:
        raise
    except Exception as exc:
        log.exception("register failed")
        raise KktError("unavailable", f"{type(exc).__name__}: {exc}") from exc


def _cashier_json(cashier: Cashier | None) -> dict[str, Any] | None:
    return None if cashier is None else {"name": cashier.name, "inn": cashier.inn}
