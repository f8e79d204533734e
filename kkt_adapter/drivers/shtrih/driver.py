"""`ShtrihDriver`: the adapter's `real` register, a Shtrih-M on a serial port (or a pty, or TCP).

Each call is one run of commands under the driver's lock (a check must not interleave with another), on the
client's device thread. Before anything is built the driver settles its journal and looks at the device:
an entry left pending by a crash is decided from the FN (journal.py), and a check left open is cancelled
(0x88): the FN never saw it, so nothing fiscal is lost, and the call that left it got an error.

Paper out: the device refuses the command (0x6B) before the FN signs. The driver tries to cancel the check
at once; the device refuses that too without paper, so the check stays open until the next call, which
cancels it before building its own. The POS gets `paper_out` (retryable), and its retry, under the same
idempotency key, builds one check: never two receipts. A receipt the FN signed just before the paper ran out
(it prints after signing) is found by `find` from the journal, and the service answers with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from fiscal.fn import CashOperation, FnRefusal
from fiscal.shtrih import commands as c
from fiscal.shtrih.errors import ErrorCode
from fiscal.shtrih.fn_layouts import FoundDocument
from fiscal.shtrih.modes import CheckType, FnDocumentInProgress, Mode, split_mode
from fiscal.shtrih.taxes import DEFAULT_TAX_TABLE, TaxTable

from ...correction import CorrectionRequest
from ...receipt import FiscalRequest
from ..base import Cashier, FiscalData, KktError, RegisterDocument
from . import check, readback
from .client import DeviceError, ShtrihClient
from .errors import refused, unavailable
from .journal import Journal
from .link import HostLink, LinkError, LinkTimeouts
from .readback import DeviceState
from .recovery import DocumentReader, Recovery

log = logging.getLogger(__name__)

DEVICE_NAME = "ШТРИХ"  # 0xFC's name of every Shtrih-M model ("ШТРИХ-М-01Ф", "ШТРИХ-ON-LINE", ...)
REFUND = "refund"
SHIFT_KEYS = ("shift_open", "shift_number", "shift_opened_at", "shift_expires_at", "shift_expired", "receipts_in_shift")


class ShtrihDriver:
    def __init__(self, url: str, *, journal_path: Path, baudrate: int = 115200, operator_password: int = 1,
                 admin_password: int = 30, timeout: float = 5.0, auto_open_shift: bool = True,
                 tax_table: TaxTable = DEFAULT_TAX_TABLE, vat_tags: Mapping[str, int] | None = None,
                 link_timeouts: LinkTimeouts | None = None, print_timeout: float = 30.0) -> None:
        """`url`: `/dev/ttyUSB0`, a pty's path or `socket://host:port`. `timeout`: how long one command may take
        on the device; `link_timeouts` tunes the line itself. `tax_table` must be the device's (table 6);
        `vat_tags` (the adapter's rate -> 1199 table) is checked against it at open."""
        self.url = url
        self._client = ShtrihClient(HostLink(url, baudrate, link_timeouts or LinkTimeouts(answer=timeout)),
                                    operator_password=operator_password, admin_password=admin_password,
                                    print_timeout=print_timeout)
        self._journal = Journal(journal_path)
        self._auto_open_shift = auto_open_shift
        self._taxes = tax_table
        self._vat_rates = tuple(vat_tags or ())
        self._lock = asyncio.Lock()
        self._fn_serial: str | None = None
        self._kkt_reg_number: str | None = None
        self._registration: FoundDocument | None = None
        self._reader = DocumentReader(self._client)
        self._recovery = Recovery(self._client, self._journal, self._reader.read)

    # -- life ------------------------------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect, check it is a Shtrih, and recover from the device: settle the journal, cancel an open check.

        A device that does not answer is `KktError("unavailable")` after the link's retries (about 3 s with the
        default timeouts); the driver is closed again then."""
        try:
            await self._open()
        except BaseException:
            await self.close()
            raise

    async def _open(self) -> None:
        async with self._lock, self._errors("open"):
            await self._client.open()
            await self._client.run(self._journal.open)
            kind = await self._client.device_type()
            if DEVICE_NAME not in kind.name.upper():
                raise KktError("wrong_device", f"the device on {self.url} is {kind.name!r}, not a Shtrih-M register")
            fn = await self._client.fn_status()
            self._fn_serial = fn.fn_serial
            self._registration = await self._client.find_document(1)
            self._kkt_reg_number = self._registration.kkt_reg_number if self._registration else None
            self._reader.fn_serial, self._reader.kkt_reg_number = fn.fn_serial, self._kkt_reg_number or ""
            if self._registration is not None:
                await self._reader.read(1)  # learns the register's UTC offset, for the date-times the wire gives
            await self._prepare()
        unreachable = [rate for rate in self._vat_rates if rate not in self._taxes.rates]
        if unreachable:
            log.warning("VAT rates without a row in the register's tax table are refused", extra={"rates": unreachable})
        log.info("Shtrih register ready", extra={"device": kind.name, "fn_serial": self._fn_serial, "url": self.url})

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._client.run(self._journal.close)
        await self._client.close()

    @contextlib.asynccontextmanager
    async def _errors(self, operation: str) -> AsyncIterator[None]:
        try:
            yield
        except DeviceError as exc:
            raise await self._refusal(exc.code, operation) from None
        except LinkError as exc:
            raise unavailable(exc) from exc

    async def _refusal(self, code: int, operation: str) -> KktError:
        """The device's refusal with the FN model's own words when the device's state says the same."""
        error = refused(code, operation)
        if error.code in ("shift_expired", "fn_offline_limit", "fn_expired", "fn_clock_before_last_document"):
            with contextlib.suppress(Exception):
                now = await self._blocked()
                if now is not None and now.code == error.code:
                    return KktError(now.code, now.message, code)
        return error

    async def _prepare(self) -> int:
        """Settle what a crash left and cancel an open check; the device's mode (`modes.Mode`) after that."""
        await self._recovery.settle_pending()
        mode, _ = split_mode((await self._client.short_status()).mode)
        if mode == Mode.CHECK_OPEN:
            log.warning("a check left open on the register (by a crash or a failed call) is cancelled")
            await self._client.cancel_check()
            mode, _ = split_mode((await self._client.short_status()).mode)
        return mode

    async def _shift_for(self, mode: int, cashier: Cashier | None) -> None:
        """Make sure a shift is open to sell in: open one if allowed, refuse a shift past 24 hours."""
        if mode == Mode.SHIFT_EXPIRED:
            raise await self._refusal(ErrorCode.SHIFT_OVER_24H, "sale")
        if mode == Mode.SHIFT_CLOSED:
            if not self._auto_open_shift:
                raise refused(ErrorCode.SHIFT_NOT_OPEN, "sale")
            if tags := check.cashier_tlv(cashier):
                await self._client.send_tlv(tags)
            await self._client.open_shift()

    async def _next_fd(self) -> int:
        fn = await self._client.fn_status()
        if fn.current_document not in (FnDocumentInProgress.NONE, FnDocumentInProgress.RECEIPT,
                                       FnDocumentInProgress.CORRECTION):
            raise KktError("device_busy", f"the FN is building another document ({fn.current_document:#x})")
        return fn.last_fd + 1

    # -- receipts --------------------------------------------------------------------------------------------

    async def fiscalize(self, request: FiscalRequest, ext_id: str) -> FiscalData:
        async with self._lock, self._errors("sale"):
            await self._recovery.unused(ext_id)
            mode = await self._prepare()
            await self._shift_for(mode, request.cashier)
            await self._build(request, CheckType.RETURN_SALE if request.operation == REFUND else CheckType.SALE,
                              check.check_tlv(request))
            expected = await self._next_fd()
            await self._recovery.begin(ext_id, "receipt", expected_fd=expected, operation=request.operation_code,
                                       total=request.total)
            closed = await self._closing(check.close_check(request, self._client.operator_password))
            tags = await self._read_signed((closed.fd, expected), "receipt", request.operation_code, request.total)
            data = readback.as_fiscal_data(tags)
            await self._recovery.signed(ext_id, data.fiscal_doc_number, data.to_dict())
            return data

    async def _read_signed(self, numbers: tuple[int, ...], kind: str, operation: int | None = None,
                           total: int | None = None) -> dict[str, Any]:
        """The document just signed, read back whole and checked to be it. The close answer's FD and the number the
        FN's status gave before are two readings of one fact over a line whose XOR check misses some damage."""
        for fd in dict.fromkeys(numbers):
            tags = await self._reader.read(fd)
            if readback.is_document(tags, kind, operation, total):
                return tags
        raise LinkError(f"the document read back as FD {numbers[0]} is not the {kind} just signed (a damaged answer)")

    async def _build(self, request: FiscalRequest, check_type: int | None, tags: bytes) -> None:
        """Open the check (0x8D, or FF35 for a correction: `check_type` None), send its tags and items."""
        operation = request.operation_code
        items = list(check.item_commands(request, operation, self._taxes, self._client.operator_password))
        if check_type is None:
            await self._client.begin_correction()
        else:
            await self._client.open_check(check_type)
        try:
            for piece in check.chunks(tags):
                await self._client.send_tlv(piece)
            for item in items:
                if item.operation is not None:
                    await self._client.operation(item.operation)
                else:
                    assert item.sale is not None
                    await self._client.call(c.SALE if operation == 1 else c.RETURN_SALE, item.sale)
                if item.tags:
                    await self._client.send_item_tlv(item.tags)
        except BaseException:
            await self._cancel_quietly()
            raise

    async def _closing(self, close: Any) -> Any:
        try:
            return await self._client.close_check(close)
        except BaseException:
            await self._cancel_quietly()  # signed or not, cancelling is safe: a closed check is no longer there
            raise

    async def _cancel_quietly(self) -> None:
        try:
            await self._client.cancel_check()
        except (DeviceError, LinkError) as exc:
            log.warning("the open check could not be cancelled now; the next call cancels it",
                        extra={"error": str(exc)})

    async def find(self, ext_id: str) -> FiscalData | None:
        """From the device: the FN's document at the number the journal expected, if it is this receipt."""
        async with self._lock, self._errors("find"):
            tags = await self._recovery.document(ext_id, "receipt")
            return readback.as_fiscal_data(tags) if tags is not None else None

    # -- shifts, reports, corrections, cash ------------------------------------------------------------------

    async def _document(self, kind: str, ext_id: str | None, sign: Any, *, cashier: Cashier | None = None,
                        operation: str | None = None) -> RegisterDocument:
        """One shift document or report: noted, signed by `sign()`, read back."""
        async with self._lock, self._errors(operation or kind):
            await self._recovery.unused(ext_id)
            await self._prepare()
            expected = await self._next_fd()
            await self._recovery.begin(ext_id, kind, expected_fd=expected)
            if tags := check.cashier_tlv(cashier):
                await self._client.send_tlv(tags)
            fd = await sign() or expected
            found = await self._client.find_document(fd)
            if not readback.matches(found, kind, None, None):
                raise KktError("device_error", f"the register answered but its FN holds no {kind} as FD {fd}")
            document = readback.as_register_document(await self._read_signed((fd, expected), kind))
            await self._recovery.signed(ext_id, document.fiscal_doc_number, document.to_dict())
            return document

    async def open_shift(self, cashier: Cashier | None = None, ext_id: str | None = None) -> RegisterDocument:
        return await self._document("open_shift", ext_id, self._client.open_shift, cashier=cashier)

    async def close_shift(self, cashier: Cashier | None = None, ext_id: str | None = None) -> RegisterDocument:
        return await self._document("close_shift", ext_id, self._client.z_report, cashier=cashier)

    async def state_report(self, ext_id: str | None = None) -> RegisterDocument:
        async def sign() -> int:
            return int((await self._client.state_report()).fd)

        return await self._document("state_report", ext_id, sign)

    async def correct(self, request: CorrectionRequest, ext_id: str | None = None) -> RegisterDocument:
        settlement = request.settlement
        async with self._lock, self._errors("correction"):
            await self._recovery.unused(ext_id)
            mode = await self._prepare()
            await self._shift_for(mode, settlement.cashier)
            tags = check.correction_tlv(request.correction_type, request.basis_date, request.order_number)
            await self._build(settlement, None, tags + check.check_tlv(settlement))
            expected = await self._next_fd()
            await self._recovery.begin(ext_id, "correction", expected_fd=expected,
                                       operation=settlement.operation_code, total=settlement.total)
            closed = await self._closing(check.close_check(settlement, self._client.operator_password))
            tags = await self._read_signed((closed.fd, expected), "correction", settlement.operation_code,
                                           settlement.total)
            document = readback.as_register_document(tags)
            await self._recovery.signed(ext_id, document.fiscal_doc_number, document.to_dict())
            return document

    async def cash(self, kind: str, amount: int, cashier: Cashier | None = None,
                   ext_id: str | None = None) -> CashOperation:
        if kind not in ("in", "out"):
            raise ValueError(f"cash operation kind is 'in' or 'out', not {kind!r}")
        async with self._lock, self._errors("cash"):
            await self._recovery.unused(ext_id)
            mode = await self._prepare()
            await self._shift_for(mode, cashier)
            counters = await self._recovery.counters()
            before = {"shift_number": counters["shift_number"], "count": counters.get(f"cash_{kind}_count", 0),
                      "drawer": counters.get("cash_in_drawer"), "at": datetime.now().astimezone().isoformat(),
                      "cashier": cashier.name if cashier else None,
                      "document_number": (await self._client.full_status()).document_number,
                      "last_fd": (await self._client.fn_status()).last_fd}
            await self._recovery.begin(ext_id, f"cash_{kind}", total=amount, before=before)
            await self._client.cash(kind, amount)
            drawer = before["drawer"] + (amount if kind == "in" else -amount) if before["drawer"] is not None else -1
            operation = CashOperation(kind, amount, before["shift_number"], datetime.fromisoformat(before["at"]),
                                      drawer, before["cashier"])
            await self._recovery.signed(ext_id, None, operation.to_dict())
            return operation

    async def find_operation(self, ext_id: str) -> RegisterDocument | CashOperation | None:
        async with self._lock, self._errors("find"):
            if (cash := await self._recovery.cash(ext_id)) is not None:
                return cash
            tags = await self._recovery.document(ext_id, "correction", "open_shift", "close_shift", "state_report")
            return readback.as_register_document(tags) if tags is not None else None

    # -- the FN's state --------------------------------------------------------------------------------------

    async def x_report(self) -> dict[str, Any]:
        """0x40 prints the X report; its counters are read back by FFF2 (ours: see fiscal.shtrih.fn_layouts)."""
        async with self._lock, self._errors("x_report"):
            await self._prepare()
            await self._client.x_report()
            return await self._recovery.counters()

    async def shift_state(self) -> dict[str, Any]:
        async with self._errors("status"):
            counters = await self._recovery.counters()
            return {key: counters.get(key) for key in SHIFT_KEYS}

    async def acknowledge(self, fiscal_doc_number: int, operator_sign: str | None = None) -> None:
        async with self._errors("acknowledge"):
            try:
                await self._client.acknowledge(fiscal_doc_number, operator_sign)
            except DeviceError as exc:
                # An unknown number: nothing to acknowledge, as on the mock. No FFF0 (a real register): it hears
                # from the OFD itself.
                if exc.code not in (ErrorCode.FN_NO_DATA, ErrorCode.COMMAND_NOT_SUPPORTED):
                    raise

    async def documents_after(self, fiscal_doc_number: int) -> list[dict[str, Any]]:
        """Every document but receipts after that number, read whole (FFF1), oldest first. A register without
        FFF1 (a real one) sends its documents to the OFD itself: none for the adapter."""
        async with self._errors("documents"):
            if self._reader.full_reads is False:
                return []
            last = (await self._client.fn_status()).last_fd
            known = self._reader.receipt_fds | await self._client.run(self._journal.receipt_fds, fiscal_doc_number)
            documents = []
            for fd in range(fiscal_doc_number + 1, last + 1):
                if fd in known:
                    continue
                found = await self._client.find_document(fd)
                if found is None:
                    continue
                if found.doc_type == 3:
                    self._reader.receipt_fds.add(fd)
                    continue
                tags = await self._reader.read(fd)
                if self._reader.full_reads is False:
                    return []
                documents.append(readback.ofd_tags(tags))
            return documents

    async def _blocked(self) -> FnRefusal | None:
        return (await self._state()).blocked(auto_open_shift=self._auto_open_shift)

    async def _state(self) -> DeviceState:
        return await DeviceState.read(self._client, await self._recovery.counters())

    async def status(self) -> dict[str, Any]:
        async with self._errors("status"):
            state = await self._state()
            fn, ofd, counters, zone = state.fn, state.ofd, state.counters, self._reader.zone
            blocked = state.blocked(auto_open_shift=self._auto_open_shift)
            closed = readback.life_state(fn) == "closed"
            self._fn_serial = fn.fn_serial
            return {
                "mode": "real",
                "device": self.url,
                "life_state": readback.life_state(fn),
                "fn_serial": fn.fn_serial,
                "kkt_reg_number": self._kkt_reg_number,
                "registered_at": readback.aware(self._registration.datetime if self._registration else None, zone),
                "expires_at": readback.expires_at(state.expiry),
                "closed_at": readback.aware(fn.last_document_at, zone) if closed else None,
                "last_fiscal_doc_number": fn.last_fd,
                "last_document_at": readback.aware(fn.last_document_at, zone),
                **{key: counters.get(key) for key in SHIFT_KEYS},
                "check_open": split_mode(state.short.mode)[0] == Mode.CHECK_OPEN,
                "cash_in_drawer": counters.get("cash_in_drawer"),
                "unsent_count": ofd.count,
                "oldest_unsent_fd": ofd.first_fd or None,
                "oldest_unsent_at": readback.aware(ofd.first_at, zone) if ofd.count else None,
                "blocked": blocked.to_dict() if blocked else None,
            }
