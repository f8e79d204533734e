"""The FN's answers about itself (FF01, FF03, FF0A, FF39, FF3F, FF40) and our extensions (FFF0, FFF1, FFF2).

What a host needs after closing a check, and after a crash to match its last document: FF01's last FD and
"receipt in progress", FF0A's date-time, type, total and fiscal sign of any FD, FF40's shift and receipt
number. Date-times go on the wire in the register clock's local time, without seconds.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from fiscal.fn import (
    CLOSE_SHIFT,
    CORRECTION,
    OPEN_SHIFT,
    RECEIPT,
    REGISTRATION,
    STATE_REPORT,
    Cashier,
    FiscalDrive,
    FnDocument,
)
from fiscal.shtrih import commands as c
from fiscal.shtrih.errors import ErrorCode
from fiscal.shtrih.fn_layouts import (
    CHUNK,
    Acknowledge,
    Acknowledged,
    DocumentChunk,
    FindDocument,
    FnExpiry,
    FnStatus,
    FoundDocument,
    OfdExchange,
    ReadCounters,
    ReadDocument,
    ShiftParams,
    Unacknowledged,
)
from fiscal.shtrih.modes import FnDocumentInProgress, FnLifeState, FnWarning, OfdExchangeFlag

from .checkout import Checkout
from .device_error import DeviceError
from .fn_thread import FnThread

QUERIES = (c.FN_STATUS, c.FN_EXPIRY, c.FN_FIND_DOCUMENT, c.FN_OFD_EXCHANGE, c.FN_UNACKNOWLEDGED,
           c.FN_SHIFT_PARAMS, c.ACKNOWLEDGE, c.READ_DOCUMENT, c.READ_COUNTERS)


def local(when: datetime | str | None, clock: Callable[[], datetime]) -> datetime | None:
    """An FN date-time as the device shows it: in its clock's zone, naive."""
    if when is None:
        return None
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    zone = clock().tzinfo
    return (when.astimezone(zone) if when.tzinfo and zone else when).replace(tzinfo=None)


def cashier(tags: dict[str, Any]) -> Cashier | None:
    return Cashier(tags["cashier"], tags.get("cashier_inn")) if tags.get("cashier") else None


async def answer(fn: FnThread, drive: FiscalDrive, checkout: Checkout, code: int, request: Any,
                 clock: Callable[[], datetime]) -> Any:
    """The answer to FN query `code` (one of `QUERIES`)."""
    if isinstance(request, FindDocument):
        return await fn.transaction(lambda conn: _found(drive, conn, request.fd, clock))
    if isinstance(request, Acknowledge):
        return await fn.transaction(lambda conn: _acknowledge(drive, conn, request))
    if isinstance(request, ReadDocument):
        return await fn.transaction(lambda conn: _chunk(drive, conn, request))
    if isinstance(request, ReadCounters):
        return await fn.transaction(lambda conn: _counters(drive, conn, request))
    status = await fn.transaction(drive.status)
    if status["life_state"] == "not_registered":
        raise DeviceError(ErrorCode.FN_BAD_STATE)
    if code == c.FN_STATUS:
        return _fn_status(drive, checkout, status, clock)
    if code == c.FN_EXPIRY:
        return FnExpiry(datetime.fromisoformat(status["expires_at"]).date(), 11, 1)
    if code == c.FN_OFD_EXCHANGE:
        flags = OfdExchangeFlag.MESSAGE_PENDING if status["unsent_count"] else 0
        return OfdExchange(flags, 0, status["unsent_count"], status["oldest_unsent_fd"] or 0,
                           local(status["oldest_unsent_at"], clock))
    if code == c.FN_UNACKNOWLEDGED:
        return Unacknowledged(status["unsent_count"])
    return ShiftParams(status["shift_open"], status["shift_number"], status["receipts_in_shift"])


def _fn_status(drive: FiscalDrive, checkout: Checkout, status: dict[str, Any],
               clock: Callable[[], datetime]) -> FnStatus:
    check = checkout.check
    current = FnDocumentInProgress.NONE
    if check is not None:
        current = FnDocumentInProgress.CORRECTION if check.correction else FnDocumentInProgress.RECEIPT
    now, config = clock(), drive.config
    expires = datetime.fromisoformat(status["expires_at"])
    warnings = 0
    if expires - now <= timedelta(days=3):
        warnings |= FnWarning.REPLACE_URGENTLY
    if expires - now <= timedelta(days=30):
        warnings |= FnWarning.RESOURCE_ENDING
    if status["unsent_count"] >= 0.9 * config.storage_limit:
        warnings |= FnWarning.MEMORY_ALMOST_FULL
    if (status["blocked"] or {}).get("code") == "fn_offline_limit":
        warnings |= FnWarning.OFD_TIMEOUT
    life = FnLifeState.POST_FISCAL if status["life_state"] == "closed" else FnLifeState.FISCAL
    return FnStatus(life, current, int(bool(check and check.items)), status["shift_open"], warnings,
                    local(status["last_document_at"], clock), status["fn_serial"], status["last_fiscal_doc_number"])


def _found(drive: FiscalDrive, conn: Any, fd: int, clock: Callable[[], datetime]) -> FoundDocument:
    document = drive.document(conn, fd)
    if document is None:
        raise DeviceError(ErrorCode.FN_NO_DATA)
    return found_document(document, drive.is_acknowledged(conn, fd), clock)


def found_document(document: FnDocument, acknowledged: bool, clock: Callable[[], datetime]) -> FoundDocument:
    tags = document.tags
    found = partial(FoundDocument, document.doc_type, acknowledged, local(document.datetime, clock), document.fd,
                    int(document.fiscal_sign))
    if document.doc_type in (RECEIPT, CORRECTION):
        return found(operation=tags["operation"], total=tags["total"])
    if document.doc_type in (OPEN_SHIFT, CLOSE_SHIFT):
        return found(shift_number=tags["shift_number"])
    if document.doc_type == REGISTRATION:
        return found(user_inn=tags["user_inn"], kkt_reg_number=tags["kkt_reg_number"],
                     taxation_systems=tags.get("taxation_systems", 0), work_modes=0)
    if document.doc_type == STATE_REPORT:
        oldest = tags.get("oldest_unsent_at")
        return found(unsent_count=tags.get("unsent_count", 0),
                     first_unsent_date=datetime.fromisoformat(oldest).date() if oldest else None)
    return found()


def _chunk(drive: FiscalDrive, conn: Any, request: ReadDocument) -> DocumentChunk:
    document = drive.document(conn, request.fd)
    if document is None:
        raise DeviceError(ErrorCode.FN_NO_DATA)
    return _part({**document.tags, "acknowledged": drive.is_acknowledged(conn, request.fd)}, request.offset)


def _counters(drive: FiscalDrive, conn: Any, request: ReadCounters) -> DocumentChunk:
    """The X report's counters while a shift is open; with none open, the shift's state and the drawer."""
    status = drive.status(conn)
    if status["life_state"] == "not_registered":
        raise DeviceError(ErrorCode.FN_BAD_STATE)
    if status["shift_open"] and not status["closed_at"]:
        counters = drive.x_report(conn)
    else:
        counters = {**drive.shift_state(conn), "cash_in_drawer": status["cash_in_drawer"]}
    return _part(counters, request.offset)


def _part(data: dict[str, Any], offset: int) -> DocumentChunk:
    whole = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    if offset > len(whole):
        raise DeviceError(ErrorCode.BAD_PARAMETERS)
    return DocumentChunk(len(whole), zlib.crc32(whole), whole[offset:offset + CHUNK])


def _acknowledge(drive: FiscalDrive, conn: Any, request: Acknowledge) -> Acknowledged:
    if drive.document(conn, request.fd) is None:
        raise DeviceError(ErrorCode.FN_NO_DATA)
    return Acknowledged(drive.acknowledge(conn, request.fd, request.operator_sign or None))
