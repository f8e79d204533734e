"""The durable receipt buffer: where a receipt is stored from before it is fiscalized until the OFD has it.

SQLite in WAL mode with synchronous=FULL: a commit returns only once the receipt is on disk, so whatever the
adapter answered 2xx for survives a process kill or a power loss. Table and column names follow the seed
guide's inspection queries (`receipts` with `status` and `created_at`, `dlq`).

Statuses: `fiscalizing` (stored, the register is signing it), `pending` (signed, not yet at the OFD),
`synced` (the OFD acknowledged it), `dlq` (given up on; see the `dlq` table for why).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .drivers.base import FiscalData
from .sqlite import SqliteWorker

SCHEMA = """
CREATE TABLE IF NOT EXISTS receipts (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    pos_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    total INTEGER NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('fiscalizing', 'pending', 'synced', 'dlq')),
    fn_serial TEXT,
    fiscal_doc_number INTEGER,
    fiscal TEXT,
    response TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    synced_at TEXT
);
CREATE INDEX IF NOT EXISTS receipts_by_status ON receipts (status, created_at);
CREATE UNIQUE INDEX IF NOT EXISTS receipts_by_fiscal_number
    ON receipts (fn_serial, fiscal_doc_number) WHERE fiscal_doc_number IS NOT NULL;
CREATE TABLE IF NOT EXISTS dlq (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    receipt_id TEXT NOT NULL REFERENCES receipts (id),
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    resolved_at TEXT
);
"""

UNDELIVERED = ("fiscalizing", "pending")


def utc_now() -> str:
    """Sortable UTC text, so `ORDER BY created_at` is chronological."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class BufferFull(Exception):
    def __init__(self, capacity: int) -> None:
        super().__init__(f"the receipt buffer holds {capacity} undelivered receipts, its capacity")
        self.capacity = capacity


class KeyTaken(Exception):
    """Another process stored a receipt under this idempotency key first."""


@dataclass(frozen=True)
class StoredReceipt:
    id: str
    idempotency_key: str
    request_hash: str
    pos_id: str
    status: str
    payload: str
    response: dict[str, Any] | None
    created_at: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StoredReceipt:
        return cls(
            id=row["id"],
            idempotency_key=row["idempotency_key"],
            request_hash=row["request_hash"],
            pos_id=row["pos_id"],
            status=row["status"],
            payload=row["payload"],
            response=json.loads(row["response"]) if row["response"] else None,
            created_at=row["created_at"],
        )


@dataclass(frozen=True)
class BufferCounts:
    fiscalizing: int
    pending: int
    synced: int
    failed: int
    dlq: int

    @property
    def undelivered(self) -> int:
        return self.fiscalizing + self.pending


class ReceiptBuffer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = SqliteWorker(path, SCHEMA, name="buffer")

    async def open(self) -> None:
        await self._db.open()

    async def close(self) -> None:
        await self._db.close()

    async def reserve(
        self, *, receipt_id: str, key: str, request_hash: str, pos_id: str, operation: str, total: int,
        payload: str, capacity: int,
    ) -> str:
        """Store a receipt before it is fiscalized, unless the buffer is at capacity; its creation time."""

        def insert(conn: sqlite3.Connection) -> str:
            placeholders = ",".join("?" * len(UNDELIVERED))
            (undelivered,) = conn.execute(
                f"SELECT COUNT(*) FROM receipts WHERE status IN ({placeholders})", UNDELIVERED
            ).fetchone()
            if undelivered >= capacity:
                raise BufferFull(capacity)
            if conn.execute("SELECT 1 FROM receipts WHERE idempotency_key = ?", (key,)).fetchone():
                raise KeyTaken(key)
            now = utc_now()
            conn.execute(
                "INSERT INTO receipts (id, idempotency_key, request_hash, pos_id, operation, total, payload,"
                " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'fiscalizing', ?, ?)",
                (receipt_id, key, request_hash, pos_id, operation, total, payload, now, now),
            )
            return now

        return await self._db.transaction(insert)

    async def complete_fiscalization(
        self, receipt_id: str, fiscal: FiscalData, response: dict[str, Any]
    ) -> None:
        """The register signed it: keep its requisites and the answer given to the POS."""

        def update(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                "UPDATE receipts SET status = 'pending', fn_serial = ?, fiscal_doc_number = ?, fiscal = ?,"
                " response = ?, updated_at = ? WHERE id = ? AND status = 'fiscalizing'",
                (fiscal.fn_serial, fiscal.fiscal_doc_number, json.dumps(fiscal.to_dict()),
                 json.dumps(response, ensure_ascii=False), utc_now(), receipt_id),
            )
            if cursor.rowcount != 1:
                raise LookupError(f"receipt {receipt_id} is not awaiting fiscalization")

        await self._db.transaction(update)

    async def discard(self, receipt_id: str) -> None:
        """Forget a receipt the register never signed; the POS got no 2xx for it and may retry."""
        await self._db.transaction(
            lambda conn: conn.execute(
                "DELETE FROM receipts WHERE id = ? AND status = 'fiscalizing'", (receipt_id,)
            )
        )

    async def find_by_key(self, key: str) -> StoredReceipt | None:
        def lookup(conn: sqlite3.Connection) -> StoredReceipt | None:
            row = conn.execute("SELECT * FROM receipts WHERE idempotency_key = ?", (key,)).fetchone()
            return StoredReceipt.from_row(row) if row else None

        return await self._db.run(lookup)

    async def fiscalizing(self) -> list[StoredReceipt]:
        """Receipts a crash may have left between the register and the buffer."""

        def select(conn: sqlite3.Connection) -> list[StoredReceipt]:
            rows = conn.execute("SELECT * FROM receipts WHERE status = 'fiscalizing' ORDER BY created_at")
            return [StoredReceipt.from_row(row) for row in rows]

        return await self._db.run(select)

    async def counts(self) -> BufferCounts:
        def read(conn: sqlite3.Connection) -> BufferCounts:
            by_status = dict(conn.execute("SELECT status, COUNT(*) FROM receipts GROUP BY status").fetchall())
            (failed,) = conn.execute(
                "SELECT COUNT(*) FROM receipts WHERE status = 'pending' AND last_error IS NOT NULL"
            ).fetchone()
            return BufferCounts(
                fiscalizing=by_status.get("fiscalizing", 0),
                pending=by_status.get("pending", 0),
                synced=by_status.get("synced", 0),
                failed=failed,
                dlq=by_status.get("dlq", 0),
            )

        return await self._db.run(read)
