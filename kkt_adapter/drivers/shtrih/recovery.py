"""The driver's journal decided from the device: what the FN signed for an id, whatever the driver remembers.

An entry is noted (journal.py) before the command that signs and settled after its answer; one left pending
by a crash, a lost answer or a dead line is settled here, before any new command that could sign, from what
the device says: the FN's document at the expected number, matching the entry's type, operation and total
(FF0A), or, for cash, the shift's counters and the drawer moved by exactly that operation (FFF2, ours).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo
from typing import Any

from fiscal.fn import CORRECTION, RECEIPT, CashOperation
from fiscal.shtrih import commands as c
from fiscal.shtrih.errors import ErrorCode
from fiscal.shtrih.modes import Mode, split_mode

from ..base import KktError
from . import readback
from .client import DeviceError, ShtrihClient
from .journal import NOT_SIGNED, PENDING, SIGNED, Entry, Journal

log = logging.getLogger(__name__)

CASH_KINDS = ("cash_in", "cash_out")


class DocumentReader:
    """FFF1 reads (ours), remembering what they teach: the register's UTC offset and which numbers are receipts.

    A real Shtrih has no FFF1 (it answers 0x37): then a document is rebuilt from what the protocol does give,
    FF0A (type, date-time to the minute, number, fiscal sign, operation, total) and FF40 (the shift and its last
    receipt's number, right for the receipt just closed or the FN's last one), with the host's UTC offset."""

    def __init__(self, client: ShtrihClient) -> None:
        self._client = client
        self.zone: tzinfo | None = None
        self.receipt_fds: set[int] = set()  # documents_after need not read these again
        self.full_reads: bool | None = None  # whether the device has FFF1; None until asked
        self.fn_serial = ""
        self.kkt_reg_number = ""

    async def read(self, fd: int) -> dict[str, Any]:
        if self.full_reads is not False:
            try:
                tags = await self._client.read_document(fd)
            except DeviceError as exc:
                if exc.code != ErrorCode.COMMAND_NOT_SUPPORTED:
                    raise
                log.warning("the register cannot read a document whole (FFF1); documents are rebuilt from FF0A")
                self.full_reads = False
            else:
                self.full_reads = True
                if self.zone is None:
                    self.zone = datetime.fromisoformat(tags["datetime"]).tzinfo
                if tags.get("doc_type") == RECEIPT:
                    self.receipt_fds.add(fd)
                return tags
        return await self._from_wire(fd)

    async def _from_wire(self, fd: int) -> dict[str, Any]:
        found = await self._client.find_document(fd)
        if found is None:
            raise DeviceError(c.FN_FIND_DOCUMENT, ErrorCode.FN_NO_DATA)
        shift = await self._client.shift_params()
        if self.zone is None:
            self.zone = datetime.now().astimezone().tzinfo  # the device's clock taken as the host's zone
        when = found.datetime.replace(tzinfo=self.zone) if found.datetime else None
        tags: dict[str, Any] = {
            "doc_type": found.doc_type, "fn_serial": self.fn_serial, "kkt_reg_number": self.kkt_reg_number,
            "fiscal_doc_number": fd, "datetime": when.isoformat() if when else None,
            "fiscal_sign": str(found.fiscal_sign), "ffd_version": 4,
            "shift_number": found.shift_number if found.shift_number is not None else shift.shift_number,
        }
        if found.doc_type in (RECEIPT, CORRECTION):
            tags.update(receipt_number=shift.receipt_number, operation=found.operation, total=found.total)
        return tags


Read = Callable[[int], Awaitable[dict[str, Any]]]


class Recovery:
    def __init__(self, client: ShtrihClient, journal: Journal, read: Read) -> None:
        self._client = client
        self._journal = journal
        self._read = read

    async def settle_pending(self) -> None:
        for entry in await self._client.run(self._journal.pending):
            await self.settle(entry)

    async def entry(self, ext_id: str) -> Entry | None:
        """The journal's entry for `ext_id`, settled from the device if it was pending."""
        entry = await self._client.run(self._journal.get, ext_id)
        return await self.settle(entry) if entry is not None and entry.state == PENDING else entry

    async def unused(self, ext_id: str | None) -> None:
        """A retry of a call the FN signed must find that document (`find`), not sign a second one."""
        if ext_id is None:
            return
        earlier = await self.entry(ext_id)
        if earlier is not None and earlier.state == SIGNED:
            raise KktError("duplicate_document", f"the register already holds a document for {ext_id}")

    async def begin(self, ext_id: str | None, kind: str, **noted: Any) -> None:
        """Note the call, committed, before the command that signs."""
        if ext_id is not None:
            await self._client.run(lambda: self._journal.begin(ext_id, kind, **noted))

    async def signed(self, ext_id: str | None, fd: int | None, result: dict[str, Any] | None) -> None:
        if ext_id is not None:
            await self._client.run(lambda: self._journal.settle(ext_id, SIGNED, fd=fd, result=result))

    async def document(self, ext_id: str, *kinds: str) -> dict[str, Any] | None:
        """The FN's document for an entry of one of `kinds`, read back whole; None if the FN signed none."""
        entry = await self.entry(ext_id)
        if entry is None or entry.kind not in kinds or entry.state != SIGNED or entry.fd is None:
            return None
        found = await self._client.find_document(entry.fd)
        if not readback.matches(found, entry.kind, entry.operation, entry.total):
            log.error("the FN's document no longer matches the journal", extra={"ext_id": ext_id, "fd": entry.fd})
            return None
        return await self._read(entry.fd)

    async def cash(self, ext_id: str) -> CashOperation | None:
        entry = await self.entry(ext_id)
        if entry is None or entry.kind not in CASH_KINDS or entry.state != SIGNED or entry.result is None:
            return None
        r = entry.result
        return CashOperation(r["kind"], r["amount"], r["shift_number"], datetime.fromisoformat(r["datetime"]),
                             r["cash_in_drawer"], r.get("cashier"))

    async def settle(self, entry: Entry) -> Entry:
        """Decide a pending entry from the device."""
        fd: int | None = None
        result: dict[str, Any] | None = None
        if entry.kind in CASH_KINDS:
            result = await self._cash_found(entry)
        else:
            last = (await self._client.fn_status()).last_fd
            assert entry.expected_fd is not None
            # The expected number, or the next if the FN opened a shift on its own first.
            for candidate in range(entry.expected_fd, min(entry.expected_fd + 1, last) + 1):
                found = await self._client.find_document(candidate)
                if readback.matches(found, entry.kind, entry.operation, entry.total):
                    fd = candidate
                    break
        state = SIGNED if fd is not None or result is not None else NOT_SIGNED
        await self._client.run(lambda: self._journal.settle(entry.ext_id, state, fd=fd, result=result))
        log.warning("an interrupted register call is settled from the device",
                    extra={"ext_id": entry.ext_id, "operation": entry.kind, "signed": state == SIGNED, "fd": fd})
        settled = await self._client.run(self._journal.get, entry.ext_id)
        assert settled is not None
        return settled

    async def _cash_found(self, entry: Entry) -> dict[str, Any] | None:
        """Signed if the shift's count of this kind went one up and the drawer moved by the amount (FFF2, ours),
        or, on a device without FFF2, if its through document number moved by one more than the FN's."""
        before, kind = entry.before, entry.kind.removeprefix("cash_")
        amount = entry.total or 0
        drawer = before["drawer"] + (amount if kind == "in" else -amount) if before.get("drawer") is not None \
            else None
        counters = await self.counters()
        if "cash_in_drawer" in counters:
            done = (counters.get("shift_number") == before["shift_number"]
                    and counters.get(f"{entry.kind}_count") == before["count"] + 1
                    and counters.get("cash_in_drawer") == drawer)
        else:
            documents = (await self._client.full_status()).document_number
            last_fd = (await self._client.fn_status()).last_fd
            done = (documents - before["document_number"]) % 0x10000 > last_fd - before["last_fd"]
        if not done:
            return None
        return CashOperation(kind, amount, before["shift_number"], datetime.fromisoformat(before["at"]),
                             drawer if drawer is not None else -1, before.get("cashier")).to_dict()

    async def counters(self) -> dict[str, Any]:
        """The shift's counters (FFF2, ours); on a device without it, what FF40 and 0x10 say of the shift."""
        try:
            return await self._client.read_counters()
        except DeviceError as exc:
            if exc.code != ErrorCode.COMMAND_NOT_SUPPORTED:
                raise
        shift = await self._client.shift_params()
        mode, _ = split_mode((await self._client.short_status()).mode)
        return {"shift_open": shift.shift_open, "shift_number": shift.shift_number,
                "shift_expired": mode == Mode.SHIFT_EXPIRED,
                "receipts_in_shift": shift.receipt_number if shift.shift_open else 0}
