"""What the drive refuses, read from its state and its configuration (the refusals' texts: refusals.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .config import FnConfig
from .refusals import FnRefusal
from .state import DriveState


def refuse_if(refusal: FnRefusal | None) -> None:
    if refusal is not None:
        raise refusal


def expires_at(op: DriveState, config: FnConfig) -> datetime:
    assert op.registered_at is not None
    return op.registered_at + config.valid_for


def closed_or_clock(op: DriveState) -> FnRefusal | None:
    """What refuses every document: a closed drive, and a clock before the last document."""
    if op.closed_at:
        return FnRefusal("fn_closed", closed=op.closed_at)
    if op.last_at is not None and op.now < op.last_at:
        return FnRefusal("fn_clock_before_last_document", now=op.now.isoformat(), last=op.last_at.isoformat())
    return None


def fn_limits(op: DriveState, config: FnConfig) -> FnRefusal | None:
    """What refuses new shifts and receipts (not a Z report): expiry, the offline limit, full storage."""
    if op.now >= expires_at(op, config):
        return FnRefusal("fn_expired", until=expires_at(op, config).isoformat())
    if op.oldest_unsent is not None and op.now - op.oldest_unsent[1] >= config.offline_limit:
        fd, since = op.oldest_unsent
        return FnRefusal("fn_offline_limit", fd=fd, since=since.isoformat(),
                         days=f"{config.offline_limit.total_seconds() / 86400:g}")
    if op.unsent_count >= config.storage_limit:
        return FnRefusal("fn_storage_full", count=op.unsent_count)
    return None


def shift_refusal(op: DriveState, config: FnConfig) -> FnRefusal | None:
    """A shift past `max_shift` refuses; no open shift refuses unless the drive opens one itself."""
    if op.shift_open:
        assert op.shift_opened_at is not None
        if op.now - op.shift_opened_at >= config.max_shift:
            return FnRefusal("shift_expired", hours=f"{config.max_shift.total_seconds() / 3600:g}")
        return None
    return None if config.auto_open_shift else FnRefusal("shift_closed")


def sale_refusal(op: DriveState, config: FnConfig) -> FnRefusal | None:
    """What a receipt would be refused for now (None: it would be signed)."""
    return closed_or_clock(op) or fn_limits(op, config) or shift_refusal(op, config)


def shift_state(op: DriveState, config: FnConfig) -> dict[str, Any]:
    opened = op.shift_opened_at if op.shift_open else None
    return {
        "shift_open": op.shift_open,
        "shift_number": op.shift_number,
        "shift_opened_at": opened.isoformat() if opened else None,
        "shift_expires_at": (opened + config.max_shift).isoformat() if opened else None,
        "shift_expired": bool(opened and op.now - opened >= config.max_shift),
        "receipts_in_shift": op.receipts_in_shift if op.shift_open else 0,
    }


def report_tags(op: DriveState) -> dict[str, Any]:
    """What the FN reports of its unsent documents on shift and state reports."""
    return {
        "unsent_count": op.unsent_count,  # 1097
        "oldest_unsent_fd": op.oldest_unsent[0] if op.oldest_unsent else None,  # 1116
        "oldest_unsent_at": op.oldest_unsent[1].isoformat() if op.oldest_unsent else None,  # 1098
    }
