"""The dead-letter queue: receipts and FN documents the sync worker gave up on, for an operator to act on.

Entries of both kinds share one id space (`outbox.next_dlq_id`), so `/v1/kkt/dlq/{id}` names exactly one. An
entry is re-driven (its document queued again, attempts reset) or resolved by hand (it stays in `dlq` and is
never sent again); either way it keeps its history. Filled by `ReceiptBuffer.record`, in the transaction that
gives a document up.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from .sqlite import SqliteWorker

DLQ_TABLES = (("dlq", "receipts", "receipt_id"), ("document_dlq", "fn_documents", "document_id"))


class DeadLetterQueue:
    def __init__(self, db: SqliteWorker, now: Callable[[], str]) -> None:
        self._db = db
        self._now = now

    async def entries(self, include_resolved: bool = False) -> list[dict[str, Any]]:
        def select(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            where = "" if include_resolved else "WHERE d.resolved_at IS NULL"
            rows = conn.execute(
                "SELECT d.id, d.receipt_id, d.reason, d.attempts, d.created_at, d.resolved_at, d.resolution,"
                " r.pos_id, r.idempotency_key, r.fn_serial, r.fiscal_doc_number, r.total, r.status, 3 AS doc_type"
                f" FROM dlq d JOIN receipts r ON r.id = d.receipt_id {where}"
                " UNION ALL SELECT d.id, NULL, d.reason, d.attempts, d.created_at, d.resolved_at, d.resolution,"
                " NULL, NULL, f.fn_serial, f.fiscal_doc_number, NULL, f.status, f.doc_type"
                f" FROM document_dlq d JOIN fn_documents f ON f.id = d.document_id {where} ORDER BY 1"
            ).fetchall()
            return [dict(row) for row in rows]

        return await self._db.run(select)

    async def redrive(self, dlq_id: int | None = None) -> int:
        """Put receipts from the DLQ back in the queue (one, or all unresolved); how many moved."""

        def move(conn: sqlite3.Connection) -> int:
            now = self._now()
            condition, args = ("id = ? AND resolved_at IS NULL", (dlq_id,)) if dlq_id is not None else (
                "resolved_at IS NULL", ())
            moved = 0
            for dlq, table, column in DLQ_TABLES:
                entries = conn.execute(f"SELECT id, {column} FROM {dlq} WHERE {condition}", args).fetchall()
                for entry in entries:
                    conn.execute(
                        f"UPDATE {table} SET status = 'pending', attempts = 0, next_attempt_at = 0, updated_at = ?"
                        " WHERE id = ? AND status = 'dlq'",
                        (now, entry[1]),
                    )
                    conn.execute(f"UPDATE {dlq} SET resolved_at = ?, resolution = 'redriven' WHERE id = ?",
                                 (now, entry[0]))
                moved += len(entries)
            return moved

        return await self._db.transaction(move)

    async def resolve(self, dlq_id: int, note: str) -> bool:
        """Mark a DLQ entry handled by hand; the receipt stays in `dlq` and is not sent again."""

        def mark(conn: sqlite3.Connection) -> bool:
            return sum(conn.execute(
                f"UPDATE {dlq} SET resolved_at = ?, resolution = ? WHERE id = ? AND resolved_at IS NULL",
                (self._now(), f"resolved: {note}" if note else "resolved", dlq_id),
            ).rowcount for dlq in ("dlq", "document_dlq")) == 1

        return await self._db.transaction(mark)
