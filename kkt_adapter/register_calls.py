"""The POS's calls to the register besides receipts, once per idempotency key: shifts (open, X report, close
with the Z report), the FN's state report, correction receipts, and cash in / cash out.

They use the receipts' mechanism (idempotency.py): the key is claimed in the buffer before the register is
called, the answer is stored before it is given, and a retry or a concurrent duplicate gets that answer, so
a retried close returns the same Z report and never closes a second shift. A fiscal document the register
signed is copied to the outbox (outbox.py) before the answer is stored and given, so the OFD gets it. A
refusal frees the key (nothing was signed; the POS may retry once the cause is fixed).

Each call that makes the register sign or record something tags it with an id derived from the key
(`ext_id`), as receipts are tagged with theirs: a crash, or a failure after the register committed, between
the signature and the stored answer is repaired from the register (`find_operation`), at start-up or at
once, so the retry gets the original document.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fiscal.fn import CashOperation

from .buffer import ReceiptBuffer
from .correction import CorrectionRequest
from .drivers.base import Cashier, KktDriver, KktError, RegisterDocument
from .idempotency import KeyTaken, OncePerKey, Outcome, StillFiscalizing, fingerprint, replay
from .outbox import DocumentCollector

log = logging.getLogger(__name__)

OPERATION = "register operation"
EXT_ID_PREFIX = "op:"


def ext_id_of(key: str) -> str:
    """The register's tag for the call under `key`; receipts are tagged with UUIDs, so the two never meet."""
    return EXT_ID_PREFIX + key


def _document_answer(status: str) -> Callable[[Any], dict[str, Any]]:
    def answer(document: RegisterDocument) -> dict[str, Any]:
        return {"status": status, "shift_number": document.shift_number, "document": document.to_dict()}

    return answer


def _cash_answer(operation: CashOperation) -> dict[str, Any]:
    return {"status": "recorded", "cash": operation.to_dict()}


@dataclass(frozen=True)
class _Kind:
    """How a call's answer is made from what the register returned (also when found again after a crash)."""

    answer: Callable[[Any], dict[str, Any]]
    tagged: bool = True  # the register keeps something under the call's ext_id; False: nothing to find


KINDS = {
    "open_shift": _Kind(_document_answer("opened")),
    "close_shift": _Kind(_document_answer("closed")),
    "state_report": _Kind(_document_answer("reported")),
    "correction": _Kind(_document_answer("fiscalized")),
    "cash_in": _Kind(_cash_answer),
    "cash_out": _Kind(_cash_answer),
    "x_report": _Kind(lambda report: {"status": "reported", "report": report}, tagged=False),
}


class RegisterCalls:
    def __init__(self, buffer: ReceiptBuffer, driver: KktDriver, documents: DocumentCollector) -> None:
        self._operations = buffer.operations
        self._driver = driver
        self._documents = documents
        self.on_signed: Callable[[], None] = lambda: None  # a document for the OFD is waiting
        self._once = OncePerKey()

    async def recover(self) -> None:
        """Finish the calls a crash interrupted from what the register holds for them; forget the rest."""
        for stored in await self._operations.running():
            kind = KINDS.get(stored.kind)
            found = await self._driver.find_operation(ext_id_of(stored.idempotency_key)) if kind and kind.tagged \
                else None
            if found is None:
                await self._operations.discard(stored.idempotency_key)
                log.warning("interrupted register call forgotten after restart: the register holds nothing for it",
                            extra={"idempotency_key": stored.idempotency_key, "operation": stored.kind})
                continue
            assert kind is not None
            await self._finish(stored.idempotency_key, kind.answer(found))
            log.warning("interrupted register call recovered after restart from what the register signed",
                        extra={"idempotency_key": stored.idempotency_key, "operation": stored.kind})

    async def open_shift(self, key: str, cashier: Cashier | None) -> Outcome:
        return await self._run(key, "open_shift", _cashier_json(cashier),
                               lambda ext_id: self._driver.open_shift(cashier, ext_id))

    async def close_shift(self, key: str, cashier: Cashier | None) -> Outcome:
        return await self._run(key, "close_shift", _cashier_json(cashier),
                               lambda ext_id: self._driver.close_shift(cashier, ext_id))

    async def x_report(self, key: str) -> Outcome:
        return await self._run(key, "x_report", None, lambda _: self._driver.x_report())

    async def state_report(self, key: str) -> Outcome:
        return await self._run(key, "state_report", None, lambda ext_id: self._driver.state_report(ext_id))

    async def correct(self, key: str, request: CorrectionRequest) -> Outcome:
        return await self._run(key, "correction", request.to_json(),
                               lambda ext_id: self._driver.correct(request, ext_id))

    async def cash(self, key: str, kind: str, amount: int, cashier: Cashier | None) -> Outcome:
        body = {"amount": amount, "cashier": _cashier_json(cashier)}
        return await self._run(key, f"cash_{kind}", body,
                               lambda ext_id: self._driver.cash(kind, amount, cashier, ext_id))

    async def shift_state(self) -> dict[str, Any]:
        return await _register(self._driver.shift_state)

    async def _run(self, key: str, kind: str, body: Any, call: Callable[[str], Awaitable[Any]]) -> Outcome:
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
                              call: Callable[[str], Awaitable[Any]]) -> Outcome:
        await self._operations.reserve(key, kind, request_hash)
        ext_id = ext_id_of(key)
        try:
            result = await _register(lambda: call(ext_id))
        except BaseException:
            # The register may have signed before failing (a lost answer, paper out after the FN committed).
            found = await self._driver.find_operation(ext_id) if KINDS[kind].tagged else None
            if found is None:
                await self._operations.discard(key)
                raise
            result = found
        response = await self._finish(key, KINDS[kind].answer(result))
        log.info("register call done", extra={"operation": kind, "idempotency_key": key})
        return Outcome(response, replayed=False)

    async def _finish(self, key: str, answer: dict[str, Any]) -> dict[str, Any]:
        response = {**answer, "idempotency_key": key}
        await self._documents.collect()  # a signed document is kept for the OFD before the POS hears of it
        await self._operations.complete(key, response)
        self.on_signed()
        return response


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
