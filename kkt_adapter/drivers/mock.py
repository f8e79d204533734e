"""An emulated register with a fiscal drive (FN), kept in its own SQLite file.

The FN is a separate store from the adapter's buffer because it is a separate device: deleting the buffer
(as the guide's "reset the buffer" step does) must never make document numbers start again. Numbers are
assigned inside one transaction with the document, so they strictly increase and are never reused, across
restarts too. Shifts open on demand and rotate after 24 hours (close and open documents take numbers too,
as on a real FN). The fiscal sign is a keyed hash, since the real one is computed inside the FN.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import random
import secrets
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..money import format_rubles
from ..receipt import FiscalRequest
from ..sqlite import SqliteWorker
from .base import FiscalData, KktError

DOC_OPEN_SHIFT = 2
DOC_RECEIPT = 3
DOC_CLOSE_SHIFT = 5
MAX_SHIFT = timedelta(hours=24)

SCHEMA = """
CREATE TABLE IF NOT EXISTS fn (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fn_serial TEXT NOT NULL,
    kkt_reg_number TEXT NOT NULL,
    shift_number INTEGER NOT NULL DEFAULT 0,
    shift_open INTEGER NOT NULL DEFAULT 0,
    shift_opened_at TEXT,
    receipts_in_shift INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    fd INTEGER PRIMARY KEY,
    doc_type INTEGER NOT NULL,
    ext_id TEXT UNIQUE,
    shift_number INTEGER NOT NULL,
    receipt_number INTEGER,
    datetime TEXT NOT NULL,
    operation INTEGER,
    total INTEGER,
    fiscal_sign TEXT NOT NULL,
    payload TEXT
);
"""


def new_fn_serial() -> str:
    """16 digits; 9999 marks a test FN."""
    return "9999" + "".join(secrets.choice("0123456789") for _ in range(12))


def qr_string(when: datetime, total: int, fn_serial: str, fd: int, sign: str, operation: int) -> str:
    return (
        f"t={when.strftime('%Y%m%dT%H%M%S')}&s={format_rubles(total)}"
        f"&fn={fn_serial}&i={fd}&fp={sign}&n={operation}"
    )


class MockKkt:
    def __init__(
        self,
        state_path: Path,
        *,
        sign_key: bytes,
        kkt_reg_number: str,
        fn_serial: str | None = None,
        print_delay: tuple[float, float] = (0.2, 0.5),
        clock: Callable[[], datetime],
        rng: random.Random | None = None,
    ) -> None:
        self._store = SqliteWorker(state_path, SCHEMA, name="mock-fn")
        self._key = sign_key
        self._reg_number = kkt_reg_number
        self._fn_serial = fn_serial
        self._print_delay = print_delay
        self._clock = clock
        self._rng = rng or random.Random()
        self._device = asyncio.Lock()

    async def open(self) -> None:
        await self._store.open()
        await self._store.transaction(self._init_fn)

    def _init_fn(self, conn: sqlite3.Connection) -> None:
        if conn.execute("SELECT 1 FROM fn").fetchone() is None:
            conn.execute(
                "INSERT INTO fn (id, fn_serial, kkt_reg_number, created_at) VALUES (1, ?, ?, ?)",
                (self._fn_serial or new_fn_serial(), self._reg_number, self._clock().isoformat()),
            )

    async def close(self) -> None:
        await self._store.close()

    async def fiscalize(self, request: FiscalRequest, ext_id: str) -> FiscalData:
        low, high = self._print_delay
        # A printer that takes no time needs no device lock: the FN's own thread already signs one document
        # after another, and holding the device across the round trip would make each receipt wait out the
        # previous commit instead of sharing it (group commit).
        async with self._device if high > 0 else contextlib.nullcontext():
            data = await self._store.transaction(lambda conn: self._sign(conn, request, ext_id))
            if high > 0:
                await asyncio.sleep(self._rng.uniform(low, high))
            return data

    def _sign(self, conn: sqlite3.Connection, request: FiscalRequest, ext_id: str) -> FiscalData:
        if conn.execute("SELECT 1 FROM documents WHERE ext_id = ?", (ext_id,)).fetchone():
            raise KktError("duplicate_document", f"the fiscal drive already holds a document for {ext_id}")
        fn = conn.execute("SELECT * FROM fn").fetchone()
        now = self._clock().replace(microsecond=0)
        fd = conn.execute("SELECT COALESCE(MAX(fd), 0) FROM documents").fetchone()[0]
        shift, shift_open, in_shift = fn["shift_number"], fn["shift_open"], fn["receipts_in_shift"]
        opened_at = fn["shift_opened_at"]
        if shift_open and now - datetime.fromisoformat(opened_at) >= MAX_SHIFT:
            fd += 1
            self._insert_service_doc(conn, fd, DOC_CLOSE_SHIFT, shift, now)
            shift_open = 0
        if not shift_open:
            fd += 1
            shift, shift_open, in_shift, opened_at = shift + 1, 1, 0, now.isoformat()
            self._insert_service_doc(conn, fd, DOC_OPEN_SHIFT, shift, now)
        fd += 1
        in_shift += 1
        sign = self._fiscal_sign(fn["fn_serial"], fd, now, request.operation_code, request.total)
        data = FiscalData(
            fn_serial=fn["fn_serial"],
            kkt_reg_number=fn["kkt_reg_number"],
            fiscal_doc_number=fd,
            fiscal_sign=sign,
            shift_number=shift,
            receipt_number=in_shift,
            datetime=now.isoformat(),
            operation=request.operation_code,
            total=request.total,
            qr=qr_string(now, request.total, fn["fn_serial"], fd, sign, request.operation_code),
        )
        conn.execute(
            "INSERT INTO documents (fd, doc_type, ext_id, shift_number, receipt_number, datetime, operation,"
            " total, fiscal_sign, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (fd, DOC_RECEIPT, ext_id, shift, in_shift, data.datetime, data.operation, data.total, sign,
             json.dumps(data.to_dict())),
        )
        conn.execute(
            "UPDATE fn SET shift_number = ?, shift_open = ?, shift_opened_at = ?, receipts_in_shift = ?",
            (shift, shift_open, opened_at, in_shift),
        )
        return data

    def _insert_service_doc(self, conn: sqlite3.Connection, fd: int, doc_type: int, shift: int,
                            now: datetime) -> None:
        fn_serial = conn.execute("SELECT fn_serial FROM fn").fetchone()[0]
        conn.execute(
            "INSERT INTO documents (fd, doc_type, shift_number, datetime, fiscal_sign) VALUES (?, ?, ?, ?, ?)",
            (fd, doc_type, shift, now.isoformat(), self._fiscal_sign(fn_serial, fd, now, 0, 0)),
        )

    def _fiscal_sign(self, fn_serial: str, fd: int, when: datetime, operation: int, total: int) -> str:
        message = f"{fn_serial}|{fd}|{when.isoformat()}|{operation}|{total}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return str(int.from_bytes(digest[:4], "big"))

    async def find(self, ext_id: str) -> FiscalData | None:
        def lookup(conn: sqlite3.Connection) -> FiscalData | None:
            row = conn.execute("SELECT payload FROM documents WHERE ext_id = ?", (ext_id,)).fetchone()
            return FiscalData(**json.loads(row["payload"])) if row else None

        return await self._store.run(lookup)

    async def status(self) -> dict[str, Any]:
        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            fn = conn.execute("SELECT * FROM fn").fetchone()
            last_fd, receipts = conn.execute(
                "SELECT COALESCE(MAX(fd), 0), COUNT(*) FILTER (WHERE doc_type = ?) FROM documents",
                (DOC_RECEIPT,),
            ).fetchone()
            return {
                "mode": "mock",
                "fn_serial": fn["fn_serial"],
                "kkt_reg_number": fn["kkt_reg_number"],
                "shift_open": bool(fn["shift_open"]),
                "shift_number": fn["shift_number"],
                "receipts_in_shift": fn["receipts_in_shift"],
                "last_fiscal_doc_number": last_fd,
                "receipts_total": receipts,
            }

        return await self._store.run(read)
