"""The buffer's tables for the register's other calls: answered operations and pending FN acknowledgements.

They live in the buffer's database (one file, one writer thread, the same durability) but are not receipts:
`operations` keeps the answer to each open-shift, close-shift and X-report call under its idempotency key,
as `receipts` does for receipts, so a retried close returns the same Z report. `fn_acknowledgements` lists
documents the OFD confirmed that the register has not been told of yet, with the OFD's operator sign
(see acks.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .idempotency import KeyTaken
from .sqlite import SqliteWorker

OPERATIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS operations (
    idempotency_key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'done')),
    response TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""

ACKNOWLEDGEMENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS fn_acknowledgements (
    fn_serial TEXT NOT NULL,
    fiscal_doc_number INTEGER NOT NULL,
    synced_at TEXT NOT NULL,
    operator_sign TEXT,
    PRIMARY KEY (fn_serial, fiscal_doc_number)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class StoredOperation:
    """A register call's answer under its idempotency key (None while the register is at it)."""

    idempotency_key: str
    kind: str
    request_hash: str
    response: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StoredOperation:
        return cls(row["idempotency_key"], row["kind"], row["request_hash"],
                   json.loads(row["response"]) if row["response"] else None)


class OperationStore:
    def __init__(self, db: SqliteWorker, now: Callable[[], str]) -> None:
        self._db = db
        self._now = now

    async def reserve(self, key: str, kind: str, request_hash: str) -> None:
        """Claim `key` before the register is called; KeyTaken when a call holds it already."""

        def insert(conn: sqlite3.Connection) -> None:
            now = self._now()
            cursor = conn.execute(
                "INSERT INTO operations (idempotency_key, kind, request_hash, status, created_at, updated_at)"
                " VALUES (?, ?, ?, 'running', ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
                (key, kind, request_hash, now, now),
            )
            if cursor.rowcount != 1:
                raise KeyTaken(key)

        await self._db.transaction(insert)

    async def complete(self, key: str, response: dict[str, Any]) -> None:
        """Keep the answer before it is given, so a retry gets it instead of a second document."""

        def update(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE operations SET status = 'done', response = ?, updated_at = ?"
                " WHERE idempotency_key = ? AND status = 'running'",
                (json.dumps(response, ensure_ascii=False), self._now(), key),
            )

        await self._db.transaction(update)

    async def discard(self, key: str) -> None:
        """Free the key of a call the register refused or never finished; a retry runs it again."""
        await self._db.transaction(lambda conn: conn.execute(
            "DELETE FROM operations WHERE idempotency_key = ? AND status = 'running'", (key,)))

    async def find(self, key: str) -> StoredOperation | None:
        def lookup(conn: sqlite3.Connection) -> StoredOperation | None:
            row = conn.execute("SELECT * FROM operations WHERE idempotency_key = ?", (key,)).fetchone()
            return StoredOperation.from_row(row) if row else None

        return await self._db.run(lookup)

    async def running(self) -> list[StoredOperation]:
        """Calls a crash interrupted: no answer was given for them."""

        def select(conn: sqlite3.Connection) -> list[StoredOperation]:
            rows = conn.execute("SELECT * FROM operations WHERE status = 'running' ORDER BY created_at")
            return [StoredOperation.from_row(row) for row in rows]

        return await self._db.run(select)


class AcknowledgementStore:
    """Filled by `ReceiptBuffer.record` in the transaction that marks a receipt synced; read and emptied here."""

    def __init__(self, db: SqliteWorker) -> None:
        self._db = db

    async def any_pending(self) -> bool:
        return await self._db.run(lambda conn: conn.execute("SELECT 1 FROM fn_acknowledgements LIMIT 1").fetchone()
                                  is not None)

    async def pending(self, fn_serial: str, limit: int) -> list[tuple[int, str | None]]:
        """Document numbers of FN `fn_serial` it has yet to hear the OFD confirmed, oldest first, each with the
        OFD's operator sign (tag 1078)."""

        def select(conn: sqlite3.Connection) -> list[tuple[int, str | None]]:
            rows = conn.execute("SELECT fiscal_doc_number, operator_sign FROM fn_acknowledgements WHERE fn_serial = ?"
                                " ORDER BY fiscal_doc_number LIMIT ?", (fn_serial, limit))
            return [(row[0], row[1]) for row in rows]

        return await self._db.run(select)

    async def forget(self, fn_serial: str, numbers: list[int]) -> None:
        """The FN has taken these."""
        await self._db.transaction(lambda conn: conn.executemany(
            "DELETE FROM fn_acknowledgements WHERE fn_serial = ? AND fiscal_doc_number = ?",
            [(fn_serial, n) for n in numbers]))
