"""The drive's row as one operation sees it: read once, changed in memory, written back in its transaction."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .refusals import FnRefusal

# The oldest unsent document is kept in the row, not found by a query: a sale then reads one row and writes no
# index beyond the table's own; `acknowledge` moves it forward (each document is passed over once in all).
_STATE = ("SELECT fn_serial, kkt_reg_number, shift_number, shift_open, shift_opened_at, receipts_in_shift,"
          " registered_at, requisites, shift_open_fd, unsent_count, oldest_unsent_fd, oldest_unsent_at, closed_at,"
          " cash_in_drawer, last.fd, last.datetime FROM fn LEFT JOIN (SELECT fd, datetime FROM documents"
          " ORDER BY fd DESC LIMIT 1) AS last")


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass
class DriveState:
    now: datetime
    fn_serial: str
    kkt_reg_number: str
    shift_number: int
    shift_open: bool
    shift_opened_at: datetime | None
    receipts_in_shift: int
    registered_at: datetime | None
    requisites: dict[str, Any]
    shift_open_fd: int | None
    unsent_count: int
    closed_at: str | None
    cash_in_drawer: int
    stored: tuple[str | None, str | None]  # shift_opened_at and oldest_unsent_at as text, kept up to date with them
    last_fd: int
    last_at: datetime | None
    oldest_unsent: tuple[int, datetime] | None


class StateReader:
    """Reads the row; the requisites' JSON is parsed once, since it changes only at registration."""

    def __init__(self) -> None:
        self._requisites: tuple[str, dict[str, Any]] = ("", {})

    def read(self, conn: sqlite3.Connection, now: datetime) -> DriveState:
        row = conn.execute(_STATE).fetchone()
        if row is None:
            raise FnRefusal("fn_not_registered")
        (fn_serial, reg_number, shift, shift_open, opened_at, in_shift, registered_at, requisites, open_fd,
         unsent, oldest_fd, oldest_at, closed_at, drawer, last_fd, last_at) = row
        if self._requisites[0] != requisites:
            self._requisites = (requisites, json.loads(requisites))
        return DriveState(
            now=now, fn_serial=fn_serial, kkt_reg_number=reg_number, shift_number=shift,
            shift_open=bool(shift_open), shift_opened_at=_at(opened_at), receipts_in_shift=in_shift,
            registered_at=_at(registered_at), requisites=self._requisites[1], shift_open_fd=open_fd,
            unsent_count=unsent, closed_at=closed_at, cash_in_drawer=drawer, last_fd=last_fd or 0,
            last_at=_at(last_at), oldest_unsent=(oldest_fd, datetime.fromisoformat(oldest_at)) if oldest_fd else None,
            stored=(opened_at, oldest_at),
        )


def write(conn: sqlite3.Connection, op: DriveState) -> None:
    conn.execute(
        "UPDATE fn SET shift_number = ?, shift_open = ?, shift_opened_at = ?, receipts_in_shift = ?,"
        " shift_open_fd = ?, unsent_count = ?, oldest_unsent_fd = ?, oldest_unsent_at = ?, closed_at = ?,"
        " cash_in_drawer = ?",
        (op.shift_number, int(op.shift_open), op.stored[0], op.receipts_in_shift, op.shift_open_fd,
         op.unsent_count, op.oldest_unsent[0] if op.oldest_unsent else None, op.stored[1], op.closed_at,
         op.cash_in_drawer),
    )
