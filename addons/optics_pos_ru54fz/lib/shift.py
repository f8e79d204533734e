"""The register's shift as a POS session sees it: opened when the session opens, closed (Z report) when it closes.

A register has one shift whatever the number of sessions, so opening finds it open more often than not
(another session on the same register, a retried opening): that is fine, unless the shift is over 24 hours
old. Then the cashier is told, and the Z report is theirs to print: the register is never closed behind their
back. Closing finds none open after a retry or when no shift was ever opened: nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .client import AdapterClient, ShiftResult
from .errors import RegisterRefused
from .snapshot import Cashier


@dataclass(frozen=True)
class SessionShift:
    """The shift a session sells in; `document` is the open-shift report when this call opened it."""

    shift_number: int
    opened_now: bool
    document: dict[str, Any] | None = None


def open_for_session(client: AdapterClient, key: str, cashier: Cashier | None = None) -> SessionShift:
    """Open the shift, or join the open one; `RegisterRefused` `shift_expired` when that one is over 24 hours."""
    try:
        opened = client.open_shift(key, cashier)
    except RegisterRefused as exc:
        if exc.code != "shift_already_open":
            raise
        state = client.shift()
        if state.get("shift_expired"):
            raise RegisterRefused(
                f"shift {state.get('shift_number')} has been open since {state.get('shift_opened_at')}, over the "
                f"register's limit: close it (Z report) before selling", device_code=None, status=409,
                code="shift_expired", body=state) from None
        return SessionShift(int(state["shift_number"]), opened_now=False)
    return SessionShift(opened.shift_number, opened_now=True, document=opened.document)


def close_for_session(client: AdapterClient, key: str, cashier: Cashier | None = None) -> ShiftResult | None:
    """Close the shift with the Z report; None when no shift is open."""
    try:
        return client.close_shift(key, cashier)
    except RegisterRefused as exc:
        if exc.code == "shift_closed":
            return None
        raise
