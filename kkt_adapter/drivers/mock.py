"""An emulated register on the fiscal drive model (`fiscal.fn`), its FN kept in its own SQLite file.

The FN is a separate store from the adapter's buffer because it is a separate device: deleting the buffer
(as the guide's "reset the buffer" step does) must never make document numbers start again. The model
numbers, signs and limits documents inside one transaction on this driver's database thread, so numbers
strictly increase and are never reused, across restarts too. A new FN is registered (FD 1) when first
opened. The register refuses what a real one refuses (a shift past 24 h, the offline limit, ...): each
refusal reaches the service as a `KktError` with the model's code and the device's.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from fiscal.fn import (
    RECEIPT,
    Cashier,
    CashOperation,
    DuplicateExtId,
    FiscalDrive,
    FnConfig,
    FnCorrection,
    FnDocument,
    FnItem,
    FnReceipt,
    FnRefusal,
)

from ..correction import CorrectionRequest
from ..receipt import FiscalRequest
from ..sqlite import SqliteWorker
from .answers import fiscal_data, register_document
from .base import FiscalData, KktError, RegisterDocument


def mock_fiscal_drive(config: FnConfig, sign_key: bytes, clock: Callable[[], datetime]) -> FiscalDrive:
    """The FN this register sits on; every document it signs waits for the OFD, as on a real drive."""
    return FiscalDrive(config, sign_key, clock)


def new_fn_serial() -> str:
    """16 digits; 9999 marks a test FN."""
    return "9999" + "".join(secrets.choice("0123456789") for _ in range(12))


@contextlib.contextmanager
def _as_kkt_error() -> Iterator[None]:
    try:
        yield
    except FnRefusal as refusal:
        raise KktError(refusal.code, refusal.message, refusal.device_code) from None


def fn_correction(request: CorrectionRequest) -> FnCorrection:
    return FnCorrection(fn_receipt(request.settlement), request.correction_type, request.basis_date,
                        request.order_number)


def fn_receipt(request: FiscalRequest) -> FnReceipt:
    return FnReceipt(
        operation=request.operation_code,
        items=tuple(FnItem(i.name, i.price, i.quantity, i.sum, i.vat_rate, i.payment_method_sign, i.subject_sign,
                           i.marking_code, i.product_code) for i in request.items),
        total=request.total,
        cash=request.cash,
        electronic=request.electronic,
        cashier=request.cashier,
        prepayment=request.prepayment,
        credit=request.credit,
        other=request.other,
        buyer_contact=request.buyer_contact,
    )


class MockKkt:
    def __init__(
        self,
        state_path: Path,
        *,
        sign_key: bytes,
        kkt_reg_number: str,
        fn_serial: str | None = None,
        print_delay: tuple[float, float] = (0.2, 0.5),
        clock: Callable[[], datetime],
        rng: random.Random | None = None,
        config: FnConfig | None = None,
    ) -> None:
        """`config` gives the FN's requisites and limits; without it, the defaults with this serial and number
        (a registered FN keeps the serial and number it was registered with)."""
        config = config or FnConfig(fn_serial=fn_serial or new_fn_serial(), kkt_reg_number=kkt_reg_number)
        self.fn = mock_fiscal_drive(config, sign_key, clock)
        self._store = SqliteWorker(state_path, FiscalDrive.SCHEMA, name="mock-fn")
        self._print_delay = print_delay
        self._rng = rng or random.Random()
        self._device = asyncio.Lock()

    async def open(self) -> None:
        await self._store.open()
        await self._store.transaction(self._init_fn)

    def _init_fn(self, conn: sqlite3.Connection) -> None:
        self.fn.prepare(conn)
        if not self.fn.is_registered(conn):
            self.fn.register(conn)

    async def close(self) -> None:
        await self._store.close()

    async def _printing(self) -> None:
        low, high = self._print_delay
        await asyncio.sleep(self._rng.uniform(low, high))

    async def fiscalize(self, request: FiscalRequest, ext_id: str) -> FiscalData:
        receipt = fn_receipt(request)
        # A printer that takes no time needs no device lock: the FN's own thread already signs one document
        # after another, and holding the device across the round trip would make each receipt wait out the
        # previous commit instead of sharing it (group commit).
        async with self._device if self._print_delay[1] > 0 else contextlib.nullcontext():
            data = await self._store.transaction(lambda conn: self._sell(conn, receipt, ext_id))
            if self._print_delay[1] > 0:
                await self._printing()
            return data

    def _sell(self, conn: sqlite3.Connection, receipt: FnReceipt, ext_id: str) -> FiscalData:
        try:
            with _as_kkt_error():
                return fiscal_data(self.fn.sell(conn, receipt, ext_id))
        except DuplicateExtId:
            raise KktError("duplicate_document", f"the fiscal drive already holds a document for {ext_id}") from None

    async def find(self, ext_id: str) -> FiscalData | None:
        document = await self._store.run(lambda conn: self.fn.find(conn, ext_id))
        return fiscal_data(document) if document else None

    async def _signed(self, operation: Callable[[sqlite3.Connection], Any]) -> Any:
        """A document or cash operation: signed and committed, then printed, one at a time as the device prints.
        A document already signed for the call's id is a retry: `find_operation` has its answer."""
        async with self._device:
            with _as_kkt_error():
                try:
                    result = await self._store.transaction(operation)
                except DuplicateExtId as exc:
                    raise KktError("duplicate_document", f"the register already holds a document for {exc}") from None
            if self._print_delay[1] > 0:
                await self._printing()
        return register_document(result) if isinstance(result, FnDocument) else result

    async def open_shift(self, cashier: Cashier | None = None, ext_id: str | None = None) -> RegisterDocument:
        return await self._signed(lambda conn: self.fn.open_shift(conn, cashier, ext_id=ext_id))

    async def close_shift(self, cashier: Cashier | None = None, ext_id: str | None = None) -> RegisterDocument:
        return await self._signed(lambda conn: self.fn.close_shift(conn, cashier, ext_id=ext_id))

    async def state_report(self, ext_id: str | None = None) -> RegisterDocument:
        return await self._signed(lambda conn: self.fn.state_report(conn, ext_id=ext_id))

    async def correct(self, request: CorrectionRequest, ext_id: str | None = None) -> RegisterDocument:
        correction = fn_correction(request)
        return await self._signed(lambda conn: self.fn.correct(conn, correction, ext_id))

    async def cash(self, kind: str, amount: int, cashier: Cashier | None = None,
                   ext_id: str | None = None) -> CashOperation:
        return await self._signed(lambda conn: self.fn.cash(conn, kind, amount, cashier, ext_id=ext_id))

    async def find_operation(self, ext_id: str) -> RegisterDocument | CashOperation | None:
        def lookup(conn: sqlite3.Connection) -> FnDocument | CashOperation | None:
            return self.fn.find(conn, ext_id) or self.fn.find_cash(conn, ext_id)

        found = await self._store.run(lookup)
        return register_document(found) if isinstance(found, FnDocument) else found

    async def x_report(self) -> dict[str, Any]:
        with _as_kkt_error():
            return await self._store.run(self.fn.x_report)

    async def shift_state(self) -> dict[str, Any]:
        return await self._store.run(self.fn.shift_state)

    async def documents_after(self, fiscal_doc_number: int) -> list[dict[str, Any]]:
        """The FN's documents other than receipts numbered after `fiscal_doc_number`, oldest first: the adapter
        sends these to the OFD itself (receipts travel with their buffered request)."""
        documents = await self._store.run(lambda conn: self.fn.documents_after(conn, fiscal_doc_number, but=RECEIPT))
        return [document.tags for document in documents]

    async def acknowledge(self, fiscal_doc_number: int, operator_sign: str | None = None) -> None:
        await self._store.transaction(lambda conn: self.fn.acknowledge(conn, fiscal_doc_number, operator_sign))

    async def status(self) -> dict[str, Any]:
        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            (receipts,) = conn.execute("SELECT COUNT(*) FROM documents WHERE doc_type = ?", (RECEIPT,)).fetchone()
            return {"mode": "mock", **self.fn.status(conn), "receipts_total": receipts}

        return await self._store.run(read)
