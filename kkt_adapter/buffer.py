"""The durable receipt buffer: where a receipt is stored from before it is fiscalized until the OFD has it.

SQLite in WAL mode with synchronous=FULL: a commit returns only once the receipt is on disk, so whatever the
adapter answered 2xx for survives a process kill or a power loss. Table and column names follow the seed
guide's inspection queries (`receipts` with `status` and `created_at`, `dlq`).

Statuses: `fiscalizing` (stored, the register is signing it), `pending` (signed, not yet at the OFD),
`synced` (the OFD acknowledged it), `dlq` (given up on; see the `dlq` table for why). Pending receipts
leave in HLC order (`hlc`), each no earlier than its `next_attempt_at` (the stored retry backoff).

Two smaller tables serve the register (operations.py): `operations`, the answers to register calls other than
receipts under their idempotency keys, and `fn_acknowledgements`, the documents the OFD confirmed that the FN
has not been told of yet (filled in the transaction that marks a receipt `synced`), with the OFD's operator sign.
The FN's other documents wait in `fn_documents` (outbox.py) and leave with the receipts, in FD order per FN.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from .dlq import DeadLetterQueue
from .drivers.base import FiscalData
from .hlc import wall_clock_ms
from .idempotency import KeyTaken
from .operations import ACKNOWLEDGEMENTS_SCHEMA, OPERATIONS_SCHEMA, AcknowledgementStore, OperationStore
from .outbox import OUTBOX_SCHEMA, DocumentOutbox, is_document, next_dlq_id
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
    hlc TEXT NOT NULL,
    fn_serial TEXT,
    fiscal_doc_number INTEGER,
    fiscal TEXT,
    document TEXT,
    response TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    ofd_ack TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    synced_at TEXT
);
CREATE INDEX IF NOT EXISTS receipts_by_status ON receipts (status, created_at);
CREATE INDEX IF NOT EXISTS receipts_queue ON receipts (status, hlc);
CREATE UNIQUE INDEX IF NOT EXISTS receipts_by_fiscal_number
    ON receipts (fn_serial, fiscal_doc_number) WHERE fiscal_doc_number IS NOT NULL;
-- Counts kept by triggers, so status and capacity checks cost the same with 100 or 100,000 receipts.
CREATE TABLE IF NOT EXISTS receipt_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS receipts_counted_on_insert AFTER INSERT ON receipts BEGIN
    UPDATE receipt_counts SET n = n + 1 WHERE status = NEW.status
        OR (status = 'failed' AND NEW.status = 'pending' AND NEW.last_error IS NOT NULL);
END;
CREATE TRIGGER IF NOT EXISTS receipts_counted_on_delete AFTER DELETE ON receipts BEGIN
    UPDATE receipt_counts SET n = n - 1 WHERE status = OLD.status
        OR (status = 'failed' AND OLD.status = 'pending' AND OLD.last_error IS NOT NULL);
END;
CREATE TRIGGER IF NOT EXISTS receipts_counted_on_update AFTER UPDATE OF status, last_error ON receipts BEGIN
    UPDATE receipt_counts SET n = n - 1 WHERE status = OLD.status
        OR (status = 'failed' AND OLD.status = 'pending' AND OLD.last_error IS NOT NULL);
    UPDATE receipt_counts SET n = n + 1 WHERE status = NEW.status
        OR (status = 'failed' AND NEW.status = 'pending' AND NEW.last_error IS NOT NULL);
END;
CREATE TABLE IF NOT EXISTS dlq (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    receipt_id TEXT NOT NULL REFERENCES receipts (id),
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    resolution TEXT
);
"""

SCHEMA += OPERATIONS_SCHEMA + ACKNOWLEDGEMENTS_SCHEMA + OUTBOX_SCHEMA

UNDELIVERED = ("fiscalizing", "pending")
COUNTED = ("fiscalizing", "pending", "synced", "failed", "dlq")  # failed: pending with a failed attempt
_RESERVE = ("INSERT INTO receipts (id, idempotency_key, request_hash, pos_id, operation, total, payload, status, hlc,"
            " created_at, updated_at) SELECT ?, ?, ?, ?, ?, ?, ?, 'fiscalizing', ?, ?, ?"
            " WHERE (SELECT COALESCE(SUM(n), 0) FROM receipt_counts WHERE status IN (?, ?)) < ?")


def _recount(conn: sqlite3.Connection) -> None:
    """Rebuild the counts from the rows (at open: a buffer from before the counts, or edited by hand)."""
    conn.execute("DELETE FROM receipt_counts")
    conn.executemany("INSERT INTO receipt_counts (status, n) VALUES (?, 0)", [(name,) for name in COUNTED])
    conn.execute("UPDATE receipt_counts SET n = (SELECT COUNT(*) FROM receipts r"
                 " WHERE r.status = receipt_counts.status) WHERE status <> 'failed'")
    conn.execute("UPDATE receipt_counts SET n = (SELECT COUNT(*) FROM receipts WHERE status = 'pending'"
                 " AND last_error IS NOT NULL) WHERE status = 'failed'")


def operator_sign(ack: dict[str, Any] | None) -> str | None:
    """Tag 1078 from the OFD's confirmation, for the FN; None from an OFD that sends none."""
    confirmation = (ack or {}).get("operator_confirmation")
    sign = confirmation.get("operator_sign") if isinstance(confirmation, dict) else None
    return None if sign is None else str(sign)


def _add_operator_sign(conn: sqlite3.Connection) -> None:
    """A buffer from before the OFD's operator sign was kept lacks the column."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(fn_acknowledgements)")}
    if "operator_sign" not in columns:
        conn.execute("ALTER TABLE fn_acknowledgements ADD COLUMN operator_sign TEXT")


def utc_text(epoch_ms: int) -> str:
    """Sortable UTC text, so `ORDER BY created_at` is chronological (as far as the clock is)."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> str:
    return utc_text(wall_clock_ms())


class BufferFull(Exception):
    def __init__(self, capacity: int) -> None:
        super().__init__(f"the receipt buffer holds {capacity} undelivered receipts, its capacity")
        self.capacity = capacity


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
class Delivery:
    """A pending receipt, or FN document (outbox.py; its id says which), as the sync worker sends it."""

    receipt_id: str
    hlc: str
    document: str
    attempts: int
    created_at: str


@dataclass(frozen=True)
class DeliveryOutcome:
    receipt_id: str
    kind: Literal["synced", "retry", "dlq"]
    ack: dict[str, Any] | None = None
    error: str | None = None
    next_attempt_at: float = 0.0


@dataclass(frozen=True)
class BufferCounts:
    fiscalizing: int
    pending: int
    synced: int
    failed: int
    dlq: int
    documents_pending: int = 0  # the outbox (outbox.py): the FN's other documents, not receipts
    documents_failed: int = 0
    documents_dlq: int = 0

    @property
    def undelivered(self) -> int:
        return self.fiscalizing + self.pending


class ReceiptBuffer:
    def __init__(self, path: Path, wall_ms: Callable[[], int] = wall_clock_ms) -> None:
        """`wall_ms` is the clock `created_at` and `updated_at` are read from: the same one the HLC reads, so
        a clock that steps back shows in both, and only the HLC decides the delivery order."""
        self.path = path
        self._wall_ms = wall_ms
        self._db = SqliteWorker(path, SCHEMA, name="buffer")
        self.operations = OperationStore(self._db, self._now)
        self.fn_acknowledgements = AcknowledgementStore(self._db)
        self.outbox = DocumentOutbox(self._db, self._now)
        self.dlq = DeadLetterQueue(self._db, self._now)

    def _now(self) -> str:
        return utc_text(self._wall_ms())

    async def open(self) -> None:
        await self._db.open()
        await self._db.transaction(_recount)
        await self._db.transaction(_add_operator_sign)

    async def close(self) -> None:
        await self._db.close()

    async def reserve(
        self, *, receipt_id: str, key: str, request_hash: str, pos_id: str, operation: str, total: int,
        payload: str, capacity: int, hlc: str,
    ) -> str:
        """Store a receipt before it is fiscalized, unless the buffer is at capacity; its creation time.

        One statement (the capacity check is its WHERE, a taken key its UNIQUE constraint): see `SqliteWorker`.
        """
        now = self._now()
        row = (receipt_id, key, request_hash, pos_id, operation, total, payload, hlc, now, now, *UNDELIVERED, capacity)

        def insert(conn: sqlite3.Connection) -> str:
            try:
                stored = conn.execute(_RESERVE, row).rowcount
            except sqlite3.IntegrityError as exc:
                if "receipts.idempotency_key" in str(exc):
                    raise KeyTaken(key) from None
                raise
            if not stored:  # full; a retry of an accepted receipt is answered even so
                if conn.execute("SELECT 1 FROM receipts WHERE idempotency_key = ?", (key,)).fetchone():
                    raise KeyTaken(key)
                raise BufferFull(capacity)
            return now

        return await self._db.transaction(insert, savepoint=False)

    async def complete_fiscalization(
        self, receipt_id: str, fiscal: FiscalData, document: dict[str, Any], response: dict[str, Any]
    ) -> None:
        """The register signed it: keep its requisites, the OFD document and the answer given to the POS."""
        values = (fiscal.fn_serial, fiscal.fiscal_doc_number, json.dumps(fiscal.to_dict()),
                  json.dumps(document, ensure_ascii=False), json.dumps(response, ensure_ascii=False), self._now(),
                  receipt_id)

        def update(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                "UPDATE receipts SET status = 'pending', fn_serial = ?, fiscal_doc_number = ?, fiscal = ?,"
                " document = ?, response = ?, updated_at = ? WHERE id = ? AND status = 'fiscalizing'", values)
            if cursor.rowcount != 1:
                raise LookupError(f"receipt {receipt_id} is not awaiting fiscalization")

        await self._db.transaction(update, savepoint=False)

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
            by_status = dict(conn.execute("SELECT status, n FROM receipt_counts").fetchall())
            pending, failed, dlq = conn.execute(  # few rows: the FN signs a handful of these a day
                "SELECT COALESCE(SUM(status = 'pending'), 0),"
                " COALESCE(SUM(status = 'pending' AND last_error IS NOT NULL), 0), COALESCE(SUM(status = 'dlq'), 0)"
                " FROM fn_documents WHERE status IN ('pending', 'dlq')").fetchone()
            return BufferCounts(**{name: by_status.get(name, 0) for name in COUNTED},
                                documents_pending=pending, documents_failed=failed, documents_dlq=dlq)

        return await self._db.run(read)

    async def recent(self, limit: int) -> list[dict[str, Any]]:
        """The newest receipts with their delivery state, for people watching the adapter.

        Newest by insertion (rowid), not by `created_at`: a read of `limit` rows from the end of the table, however
        many it holds, and the order stays true when the wall clock steps back.
        """

        def select(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = conn.execute(
                "SELECT id, pos_id, operation, total, fiscal_doc_number, fn_serial, status, attempts, last_error,"
                " created_at, synced_at FROM receipts ORDER BY rowid DESC LIMIT ?", (limit,)
            ).fetchall()
            return [dict(row) for row in rows]

        return await self._db.run(select)

    async def newest_hlc(self) -> str | None:
        """The last HLC value stored, to seed the clock at start-up."""
        return await self._db.run(lambda conn: conn.execute("SELECT MAX(hlc) FROM receipts").fetchone()[0])

    async def due(self, limit: int, now: float) -> tuple[list[Delivery], float | None]:
        """The pending receipts and FN documents in FD order per FN, up to the first one still waiting out its backoff.

        FD order, not HLC order: receipts signed concurrently may take their numbers in another order than their
        HLC stamps, and the FN's other documents have no stamp. FNs are taken in serial order.

        Returns them and, when the queue is blocked by a backoff, the epoch time it ends.
        """

        def select(conn: sqlite3.Connection) -> tuple[list[Delivery], float | None]:
            rows = conn.execute(  # read row by row: a blocked head must not cost a whole batch
                "SELECT id, hlc, document, attempts, next_attempt_at, created_at, fn_serial, fiscal_doc_number"
                " FROM receipts WHERE status = 'pending' UNION ALL SELECT id, '', document, attempts, next_attempt_at,"
                " created_at, fn_serial, fiscal_doc_number FROM fn_documents WHERE status = 'pending'"
                " ORDER BY fn_serial, fiscal_doc_number LIMIT ?",
                (limit,),
            )
            ready: list[Delivery] = []
            for row in rows:
                if row["next_attempt_at"] > now:
                    return ready, row["next_attempt_at"]
                ready.append(Delivery(row["id"], row["hlc"], row["document"], row["attempts"], row["created_at"]))
            return ready, None

        return await self._db.run(select)

    async def release_backoffs(self, now: float) -> int:
        """Make receipts that wait only for their retry backoff due at `now`; how many.

        For when the OFD answers again: a backoff guessed how long it would be away, and the guess is over.
        Attempts are kept (they still count toward OFD_MAX_ATTEMPTS) and the HLC order is untouched.
        """

        def release(conn: sqlite3.Connection) -> int:
            return sum(conn.execute(
                f"UPDATE {table} SET next_attempt_at = ? WHERE status = 'pending' AND next_attempt_at > ?", (now, now)
            ).rowcount for table in ("receipts", "fn_documents"))

        return await self._db.transaction(release)

    async def record(self, outcomes: list[DeliveryOutcome]) -> None:
        """Commit a batch of delivery outcomes in one transaction (one fsync for the batch)."""

        def write(conn: sqlite3.Connection) -> None:
            now = self._now()
            for outcome in outcomes:
                table = "fn_documents" if is_document(outcome.receipt_id) else "receipts"
                if outcome.kind == "synced":
                    signed = conn.execute(
                        f"UPDATE {table} SET status = 'synced', attempts = attempts + 1, last_error = NULL,"
                        " ofd_ack = ?, synced_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'"
                        " RETURNING fn_serial, fiscal_doc_number",
                        (json.dumps(outcome.ack, ensure_ascii=False), now, now, outcome.receipt_id),
                    ).fetchone()
                    if signed is not None:  # listed for the FN in this transaction; acks.py tells it afterwards
                        conn.execute("INSERT OR IGNORE INTO fn_acknowledgements (fn_serial, fiscal_doc_number,"
                                     " synced_at, operator_sign) VALUES (?, ?, ?, ?)",
                                     (signed[0], signed[1], now, operator_sign(outcome.ack)))
                elif outcome.kind == "retry":
                    conn.execute(
                        f"UPDATE {table} SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
                        " updated_at = ? WHERE id = ? AND status = 'pending'",
                        (outcome.error, outcome.next_attempt_at, now, outcome.receipt_id),
                    )
                else:
                    row = conn.execute(
                        f"UPDATE {table} SET status = 'dlq', attempts = attempts + 1, last_error = ?,"
                        " updated_at = ? WHERE id = ? AND status = 'pending' RETURNING attempts",
                        (outcome.error, now, outcome.receipt_id),
                    ).fetchone()
                    if row is not None:
                        dlq = "document_dlq (id, document_id" if table == "fn_documents" else "dlq (id, receipt_id"
                        conn.execute(f"INSERT INTO {dlq}, reason, attempts, created_at) VALUES (?, ?, ?, ?, ?)",
                                     (next_dlq_id(conn), outcome.receipt_id, outcome.error, row[0], now))

        await self._db.transaction(write)
