"""The driver's own durable note of what it asked the register to sign, so a crash is repaired from the FN.

A real FN knows nothing of the adapter's ids: it numbers documents, no more. So before the command that makes
the FN sign (close check, open shift, Z report, state report) or records cash, the driver writes here, and
commits, what it is about to do and which number the document will get (the FN's last FD + 1), with what must
match (type, operation, total); after the answer it writes the result. After a kill anywhere in between, the
entry is settled from the device, never from this file alone: the FN either holds that number with matching
contents (signed: the result is read back) or its last FD is below it (nothing was signed).

A small SQLite file of its own, used only on the driver's device thread (client.py).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fiscal.sqlite_schema import create_schema

PENDING, SIGNED, NOT_SIGNED = "pending", "signed", "not_signed"
KEEP = timedelta(days=90)  # settled entries are pruned after this: the buffer settles its own calls in minutes

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    ext_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,            -- receipt, correction, open_shift, close_shift, state_report, cash_in, cash_out
    expected_fd INTEGER,           -- the FN's last FD + 1 when the call began (none for cash)
    operation INTEGER,             -- 1054, for receipts and corrections
    total INTEGER,                 -- kopecks: the receipt's total, or the cash amount
    before TEXT NOT NULL,          -- JSON: what else was read before the call (cash: the drawer and counters)
    state TEXT NOT NULL,           -- pending, signed, not_signed
    fd INTEGER,                    -- the FN's number, once signed
    result TEXT,                   -- JSON: what the driver answered (or found) for the call
    began_at TEXT NOT NULL,
    settled_at TEXT
);
CREATE INDEX IF NOT EXISTS calls_pending ON calls (state) WHERE state = 'pending';
"""


@dataclass(frozen=True)
class Entry:
    ext_id: str
    kind: str
    expected_fd: int | None
    operation: int | None
    total: int | None
    before: dict[str, Any]
    state: str
    fd: int | None
    result: dict[str, Any] | None


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # the note must be on disk before the FN signs
        create_schema(conn, SCHEMA)
        conn.execute("DELETE FROM calls WHERE state != ? AND settled_at < ?",
                     (PENDING, (datetime.now(UTC) - KEEP).isoformat()))
        self._conn = conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the driver's journal is not open")
        return self._conn

    def begin(self, ext_id: str, kind: str, *, expected_fd: int | None = None, operation: int | None = None,
              total: int | None = None, before: dict[str, Any] | None = None) -> None:
        """Note a call about to run (replacing an earlier attempt under the same id that signed nothing)."""
        self._db.execute(
            "INSERT OR REPLACE INTO calls (ext_id, kind, expected_fd, operation, total, before, state, began_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (ext_id, kind, expected_fd, operation, total, json.dumps(before or {}), PENDING, _now()),
        )

    def settle(self, ext_id: str, state: str, *, fd: int | None = None, result: dict[str, Any] | None = None) -> None:
        self._db.execute("UPDATE calls SET state = ?, fd = ?, result = ?, settled_at = ? WHERE ext_id = ?",
                         (state, fd, json.dumps(result) if result is not None else None, _now(), ext_id))

    def get(self, ext_id: str) -> Entry | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM calls WHERE ext_id = ?", (ext_id,)).fetchone()
        return _entry(row) if row else None

    def pending(self) -> list[Entry]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM calls WHERE state = ? ORDER BY began_at",
                                (PENDING,)).fetchall()
        return [_entry(row) for row in rows]

    def receipt_fds(self, after: int) -> set[int]:
        """Numbers of receipts this driver saw signed after `after`: documents_after need not read them back."""
        rows = self._db.execute("SELECT fd FROM calls WHERE kind = 'receipt' AND state = ? AND fd > ?",
                                (SIGNED, after)).fetchall()
        return {fd for (fd,) in rows}


_COLUMNS = "ext_id, kind, expected_fd, operation, total, before, state, fd, result"


def _entry(row: tuple[Any, ...]) -> Entry:
    ext_id, kind, expected, operation, total, before, state, fd, result = row
    return Entry(ext_id, kind, expected, operation, total, json.loads(before), state, fd,
                 json.loads(result) if result else None)


def _now() -> str:
    return datetime.now(UTC).isoformat()
