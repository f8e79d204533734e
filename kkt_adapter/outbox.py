"""The FN's documents other than receipts (registration, shifts, reports), kept for the OFD in the buffer.

A receipt is stored before the register signs it; a shift document is not (the register numbers it), so it
is copied from the FN into `fn_documents` after it is signed: before the shift API answers, before the first
receipt of an auto-opened shift is queued, and at start-up (the registration report of a new FN, and
whatever a crash left between the FN's commit and ours). The FN keeps every document, so a copy missed by a
crash is made at the next start; copying twice is harmless (one row per FN and number). The sync worker
sends these rows and pending receipts together in FD order per FN (buffer.due).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from .drivers.base import KktDriver
from .ofd_document import fn_document
from .sqlite import SqliteWorker

log = logging.getLogger(__name__)

OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS fn_documents (
    id TEXT PRIMARY KEY,
    fn_serial TEXT NOT NULL,
    fiscal_doc_number INTEGER NOT NULL,
    doc_type INTEGER NOT NULL,
    document TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'synced', 'dlq')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    ofd_ack TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    synced_at TEXT,
    UNIQUE (fn_serial, fiscal_doc_number)
);
CREATE INDEX IF NOT EXISTS fn_documents_queue ON fn_documents (status, fn_serial, fiscal_doc_number);
CREATE INDEX IF NOT EXISTS receipts_fd_queue ON receipts (status, fn_serial, fiscal_doc_number);
CREATE TABLE IF NOT EXISTS document_dlq (
    id INTEGER PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES fn_documents (id),
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    resolution TEXT
);
"""

DOCUMENT_ID_PREFIX = "fn-document:"


def document_id(fn_serial: str, fiscal_doc_number: int) -> str:
    """An outbox row's id; the prefix tells it from a receipt's (a UUID) wherever deliveries mix."""
    return f"{DOCUMENT_ID_PREFIX}{fn_serial}:{fiscal_doc_number}"


def is_document(delivery_id: str) -> bool:
    return delivery_id.startswith(DOCUMENT_ID_PREFIX)


def next_dlq_id(conn: sqlite3.Connection) -> int:
    """One id space for receipt and document DLQ entries, so `/v1/kkt/dlq/{id}` names exactly one."""
    (top,) = conn.execute(
        "SELECT MAX(COALESCE((SELECT MAX(id) FROM dlq), 0), COALESCE((SELECT MAX(id) FROM document_dlq), 0),"
        " COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'dlq'), 0))"
    ).fetchone()
    return int(top) + 1


class DocumentOutbox:
    def __init__(self, db: SqliteWorker, now: Callable[[], str]) -> None:
        self._db = db
        self._now = now

    async def last_number(self, fn_serial: str) -> int:
        return await self._db.run(lambda conn: conn.execute(
            "SELECT COALESCE(MAX(fiscal_doc_number), 0) FROM fn_documents WHERE fn_serial = ?", (fn_serial,)
        ).fetchone()[0])

    async def store(self, documents: list[dict[str, Any]]) -> int:
        """Keep signed documents, each as the OFD receives it (committed before returning); how many were new."""

        def insert(conn: sqlite3.Connection) -> int:
            now = self._now()
            added = 0
            for doc in documents:
                fn_serial, number = doc["fn_serial"], doc["fiscal_doc_number"]
                added += conn.execute(
                    "INSERT OR IGNORE INTO fn_documents (id, fn_serial, fiscal_doc_number, doc_type, document,"
                    " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
                    (document_id(fn_serial, number), fn_serial, number, doc["doc_type"],
                     json.dumps(doc, ensure_ascii=False), now, now),
                ).rowcount
            return added

        return await self._db.transaction(insert)


class DocumentCollector:
    """Copies what the register signed besides receipts into the outbox; one copy at a time."""

    def __init__(self, outbox: DocumentOutbox, driver: KktDriver, vat_tags: Mapping[str, int]) -> None:
        self._outbox = outbox
        self._driver = driver
        self._vat_tags = vat_tags
        self._turn = asyncio.Lock()
        self._fn_serial: str | None = None

    async def collect(self) -> int:
        """How many documents were new. Never raises: what is not copied now stays in the FN for the next call
        (at the latest the next start), and the call that signed it has succeeded all the same."""
        try:
            async with self._turn:
                if self._fn_serial is None:
                    self._fn_serial = (await self._driver.status()).get("fn_serial")
                    if self._fn_serial is None:
                        return 0
                signed = await self._driver.documents_after(await self._outbox.last_number(self._fn_serial))
                documents = [fn_document(tags, self._vat_tags) for tags in signed]
                added = await self._outbox.store(documents) if documents else 0
        except Exception:
            log.exception("copying the FN's documents for the OFD failed; the next call tries again")
            return 0
        if added:
            log.info("FN documents queued for the OFD", extra={"documents": added})
        return added
