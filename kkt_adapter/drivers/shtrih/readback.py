"""What the FN holds, read back over the wire, in the shapes the mock register answers with.

A document read whole (FFF1, ours) is the FN model's own tags, so `FiscalData` and `RegisterDocument` are
built by the mock driver's functions from the same `FnDocument`: both registers answer alike, to the second
of the signing time (the wire's date-times stop at the minute). Whether a journal entry's document is the
one the FN signed is decided here from FF0A's short form (type, operation, total).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from fiscal.fn import CLOSE_SHIFT, CORRECTION, OPEN_SHIFT, RECEIPT, STATE_REPORT, FnDocument, FnRefusal
from fiscal.shtrih.device_layouts import FullStatus, ShortStatus
from fiscal.shtrih.errors import ErrorCode
from fiscal.shtrih.fn_layouts import FnExpiry, FnStatus, FoundDocument, OfdExchange
from fiscal.shtrih.modes import FnLifeState, FnWarning, Mode, split_mode

from ..answers import fiscal_data, register_document
from ..base import FiscalData, RegisterDocument

if TYPE_CHECKING:
    from .client import ShtrihClient

DOC_TYPE = {"receipt": RECEIPT, "correction": CORRECTION, "open_shift": OPEN_SHIFT, "close_shift": CLOSE_SHIFT,
            "state_report": STATE_REPORT}


def fn_document(tags: dict[str, Any]) -> FnDocument:
    """An FFF1 read as the FN model's document (less the `acknowledged` flag the read adds)."""
    tags = {k: v for k, v in tags.items() if k != "acknowledged"}
    return FnDocument(tags["fiscal_doc_number"], tags["doc_type"], datetime.fromisoformat(tags["datetime"]),
                      tags["fiscal_sign"], tags)


def as_fiscal_data(tags: dict[str, Any]) -> FiscalData:
    return fiscal_data(fn_document(tags))


def as_register_document(tags: dict[str, Any]) -> RegisterDocument:
    return register_document(fn_document(tags))


def ofd_tags(tags: dict[str, Any]) -> dict[str, Any]:
    """A document as `documents_after` gives it to the outbox: the FN model's tags."""
    return fn_document(tags).tags


def matches(found: FoundDocument | None, kind: str, operation: int | None, total: int | None) -> bool:
    """Whether the FN's document is what the journal expected there."""
    if found is None or found.doc_type != DOC_TYPE[kind]:
        return False
    if kind in ("receipt", "correction"):
        return found.operation == operation and found.total == total
    return True


def is_document(tags: dict[str, Any], kind: str, operation: int | None, total: int | None) -> bool:
    """Whether a document read back whole is the `kind` just signed (with that operation and total)."""
    if tags.get("doc_type") != DOC_TYPE[kind]:
        return False
    return kind not in ("receipt", "correction") or (tags.get("operation"), tags.get("total")) == (operation, total)


def aware(when: datetime | None, zone: tzinfo | None) -> str | None:
    """A device's naive local date-time as ISO 8601, with the register's offset once it is known."""
    if when is None:
        return None
    return (when.replace(tzinfo=zone) if zone is not None else when).isoformat()


@dataclass(frozen=True)
class DeviceState:
    """What the status commands say now: FF01, FF03, FF39, 0x10, 0x11 and the shift's counters (FFF2, ours)."""

    fn: FnStatus
    expiry: FnExpiry
    ofd: OfdExchange
    short: ShortStatus
    full: FullStatus
    counters: dict[str, Any]

    @classmethod
    async def read(cls, client: ShtrihClient, counters: dict[str, Any]) -> DeviceState:
        return cls(await client.fn_status(), await client.fn_expiry(), await client.ofd_exchange(),
                   await client.short_status(), await client.full_status(), counters)

    def blocked(self, *, auto_open_shift: bool) -> FnRefusal | None:
        """The refusal a sale would get now, in the order the device checks: its own shift (0x4E), then the FN's."""
        fn, now = self.fn, self.full.datetime
        if split_mode(self.short.mode)[0] == Mode.SHIFT_EXPIRED:  # the device refuses before its FN is asked
            refusal = FnRefusal("shift_expired", hours=_shift_hours(self.counters))
            refusal.device_code = ErrorCode.SHIFT_OVER_24H
            return refusal
        if fn.life_state == FnLifeState.POST_FISCAL:
            return FnRefusal("fn_closed", closed=fn.last_document_at.isoformat() if fn.last_document_at else "?")
        if fn.last_document_at is not None and now.replace(second=0) < fn.last_document_at:
            return FnRefusal("fn_clock_before_last_document", now=now.isoformat(),
                             last=fn.last_document_at.isoformat())
        if now.date() >= self.expiry.valid_until:
            return FnRefusal("fn_expired", until=self.expiry.valid_until.isoformat())
        if fn.warnings & FnWarning.OFD_TIMEOUT:
            since = self.ofd.first_at.isoformat() if self.ofd.first_at else "?"
            return FnRefusal("fn_offline_limit", fd=self.ofd.first_fd, since=since, days="30")
        mode, _ = split_mode(self.short.mode)
        if mode == Mode.SHIFT_CLOSED and not auto_open_shift:
            return FnRefusal("shift_closed")
        return None


def _shift_hours(counters: dict[str, Any]) -> str:
    opened, expires = counters.get("shift_opened_at"), counters.get("shift_expires_at")
    if not (opened and expires):
        return "24"
    hours = (datetime.fromisoformat(expires) - datetime.fromisoformat(opened)) / timedelta(hours=1)
    return f"{hours:g}"


def life_state(fn: FnStatus) -> str:
    if fn.life_state == FnLifeState.POST_FISCAL:
        return "closed"
    return "fiscal" if fn.life_state == FnLifeState.FISCAL else "not_registered"


def expires_at(expiry: FnExpiry) -> str:
    """FF03 gives the last valid day, not the minute: the day's start."""
    return date.isoformat(expiry.valid_until)
