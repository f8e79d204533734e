"""The fiscal drive (FN): numbering, shifts, limits and the archive, kept durably in SQLite.

One model for every register the project emulates (the adapter's mock driver, the serial register
emulator). Each operation takes an open connection inside the caller's transaction, so a front-end runs it
on the thread that owns its database, and a document, its number and the drive's new state commit together
or not at all: numbers strictly increase, are gap-free and never reused, across restarts too.

The drive refuses what a real one refuses (see `refusals.py`): a document dated before the last one, an
expired drive, the oldest unacknowledged document older than the offline limit, unacknowledged storage
full, and sales in a shift past `max_shift`. It never closes a shift on its own: the POS closes it
(`close_shift` stays possible past the limits, as do `state_report`, `acknowledge` and `status`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .config import FnConfig
from .documents import (
    CLOSE_FN,
    CLOSE_SHIFT,
    CORRECTION,
    OPEN_SHIFT,
    OPERATIONS,
    RECEIPT,
    REGISTRATION,
    STATE_REPORT,
    Cashier,
    FnDocument,
    FnItem,
    FnReceipt,
    fiscal_sign,
)
from .refusals import DuplicateExtId, FnRefusal
from .vat import vat_sum, vat_sums

SCHEMA = """
CREATE TABLE IF NOT EXISTS fn (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fn_serial TEXT NOT NULL,
    kkt_reg_number TEXT NOT NULL,
    shift_number INTEGER NOT NULL DEFAULT 0,
    shift_open INTEGER NOT NULL DEFAULT 0,
    shift_opened_at TEXT,
    receipts_in_shift INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    registered_at TEXT,
    requisites TEXT,
    shift_open_fd INTEGER,
    unsent_count INTEGER NOT NULL DEFAULT 0,
    oldest_unsent_fd INTEGER,
    oldest_unsent_at TEXT,
    closed_at TEXT
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
    payload TEXT,
    acknowledged_at TEXT,
    operator_sign TEXT
);
"""

# Columns a drive file written before the model kept them lacks; `prepare` adds them.
_ADDED_COLUMNS = {
    "fn": ("registered_at TEXT", "requisites TEXT", "shift_open_fd INTEGER", "unsent_count INTEGER NOT NULL DEFAULT 0",
           "oldest_unsent_fd INTEGER", "oldest_unsent_at TEXT", "closed_at TEXT"),
    "documents": ("acknowledged_at TEXT", "operator_sign TEXT"),
}
# The oldest unsent document is kept in the row, not found by a query: a sale then reads one row and writes no
# index beyond the table's own; `acknowledge` moves it forward (each document is passed over once in all).
_STATE = ("SELECT fn_serial, kkt_reg_number, shift_number, shift_open, shift_opened_at, receipts_in_shift,"
          " registered_at, requisites, shift_open_fd, unsent_count, oldest_unsent_fd, oldest_unsent_at, closed_at,"
          " last.fd, last.datetime FROM fn LEFT JOIN (SELECT fd, datetime FROM documents ORDER BY fd DESC LIMIT 1)"
          " AS last")
_INSERT = ("INSERT INTO documents (fd, doc_type, ext_id, shift_number, receipt_number, datetime, operation, total,"
           " fiscal_sign, payload, acknowledged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass
class _Op:
    """The drive's state for one operation: read once, changed in memory, written back by `_save`."""

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
    stored: tuple[str | None, str | None]  # shift_opened_at and oldest_unsent_at as text, kept up to date with them
    last_fd: int
    last_at: datetime | None
    oldest_unsent: tuple[int, datetime] | None


class FiscalDrive:
    SCHEMA = SCHEMA

    def __init__(self, config: FnConfig, sign_key: bytes, clock: Callable[[], datetime]) -> None:
        self.config = config
        self._key = sign_key
        self._clock = clock
        self._requisites: tuple[str, dict[str, Any]] = ("", {})

    # -- life ------------------------------------------------------------------------------------------------

    def prepare(self, conn: sqlite3.Connection) -> None:
        """Bring a drive file written before this model up to it (columns, registration); it keeps its numbers."""
        for table, columns in _ADDED_COLUMNS.items():
            have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            for column in columns:
                if column.split()[0] not in have:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
        row = conn.execute("SELECT created_at FROM fn WHERE registered_at IS NULL").fetchone()
        if row is not None:  # written by the register before this model: it kept no acknowledgements
            conn.execute("UPDATE documents SET acknowledged_at = ? WHERE acknowledged_at IS NULL", (row[0],))
            conn.execute(
                "UPDATE fn SET registered_at = created_at, requisites = ?, unsent_count = 0, shift_open_fd ="
                " (SELECT MAX(fd) FROM documents WHERE doc_type = ?) WHERE registered_at IS NULL",
                (json.dumps(self._requisites_of_config(), ensure_ascii=False), OPEN_SHIFT),
            )

    def is_registered(self, conn: sqlite3.Connection) -> bool:
        return conn.execute("SELECT 1 FROM fn").fetchone() is not None

    def register(self, conn: sqlite3.Connection) -> FnDocument:
        """FD 1, the registration report, on a new drive: the user's and the register's requisites."""
        row = conn.execute("SELECT fn_serial FROM fn").fetchone()
        if row is not None:
            raise FnRefusal("fn_already_registered", fn=row[0])
        now = self._now()
        requisites = self._requisites_of_config()
        conn.execute(
            "INSERT INTO fn (id, fn_serial, kkt_reg_number, created_at, registered_at, requisites)"
            " VALUES (1, ?, ?, ?, ?, ?)",
            (self.config.fn_serial, self.config.kkt_reg_number, now.isoformat(), now.isoformat(),
             json.dumps(requisites, ensure_ascii=False)),
        )
        op = self._begin(conn, now)
        document = self._sign(conn, op, REGISTRATION, {
            "taxation_systems": requisites["taxation_system"],  # 1062: the systems the register may use (here one)
            "fn_valid_until": (now + self.config.valid_for).isoformat(),
        })
        self._save(conn, op)
        return document

    def close_fn(self, conn: sqlite3.Connection) -> FnDocument:
        """Document 6: the drive's archive is closed and it signs nothing more. Needs the shift closed."""
        op = self._begin(conn)
        self._refuse_if(self._closed_or_clock(op))
        if op.shift_open:
            raise FnRefusal("shift_open", shift=op.shift_number)
        document = self._sign(conn, op, CLOSE_FN, self._report_tags(op))
        op.closed_at = op.now.isoformat()
        self._save(conn, op)
        return document

    # -- shifts ----------------------------------------------------------------------------------------------

    def open_shift(self, conn: sqlite3.Connection, cashier: Cashier | None = None) -> FnDocument:
        """Document 2."""
        op = self._begin(conn)
        self._refuse_if(self._closed_or_clock(op))
        if op.shift_open:
            raise FnRefusal("shift_already_open", shift=op.shift_number)
        self._refuse_if(self._limits(op))
        document = self._open_shift(conn, op, cashier)
        self._save(conn, op)
        return document

    def close_shift(self, conn: sqlite3.Connection, cashier: Cashier | None = None) -> FnDocument:
        """Document 5, the Z report: the shift's totals per operation and VAT rate, as the drive counts them.

        Possible past every limit but the clock: it is how a POS gets out of `shift_expired`."""
        op = self._begin(conn)
        self._refuse_if(self._closed_or_clock(op))
        if not op.shift_open:
            raise FnRefusal("shift_closed")
        totals = self._shift_totals(conn, op)
        tags = {
            "shift_number": op.shift_number,  # 1038
            **_cashier_tags(cashier),
            "receipts_in_shift": op.receipts_in_shift,  # 1118
            "documents_in_shift": op.last_fd + 2 - op.shift_open_fd if op.shift_open_fd else None,  # 1111, with this
            **self._report_tags(op),
            "shift_totals": totals,  # 1194, per operation (1054) and VAT rate, in our readable layout
        }
        document = self._sign(conn, op, CLOSE_SHIFT, tags)
        op.shift_open, op.shift_opened_at, op.shift_open_fd, op.stored = False, None, None, (None, op.stored[1])
        self._save(conn, op)
        return document

    def x_report(self, conn: sqlite3.Connection) -> dict[str, Any]:
        """The open shift's counters so far. A real X report prints them but is no fiscal document."""
        op = self._begin(conn)
        if op.closed_at:
            raise FnRefusal("fn_closed", closed=op.closed_at)
        if not op.shift_open:
            raise FnRefusal("shift_closed")
        return {**self._shift_state(op), **self._report_tags(op), "shift_totals": self._shift_totals(conn, op)}

    def shift_state(self, conn: sqlite3.Connection) -> dict[str, Any]:
        return self._shift_state(self._begin(conn))

    # -- documents -------------------------------------------------------------------------------------------

    def sell(self, conn: sqlite3.Connection, receipt: FnReceipt, ext_id: str) -> FnDocument:
        """Document 3: a receipt or refund, tagged with `ext_id` so `find` can return it after a crash.

        With no open shift, one is opened first (its own document) when `auto_open_shift` is set."""
        if conn.execute("SELECT 1 FROM documents WHERE ext_id = ?", (ext_id,)).fetchone():
            raise DuplicateExtId(ext_id)
        op = self._begin(conn)
        self._refuse_if(self._closed_or_clock(op) or self._limits(op) or self._shift_refusal(op))
        if not op.shift_open:
            self._open_shift(conn, op, receipt.cashier)
        op.receipts_in_shift += 1
        items = [
            {
                "name": item.name,  # 1030
                "price": item.price,  # 1079
                "quantity": item.quantity,  # 1023
                "sum": item.sum,  # 1043
                "vat_rate": item.vat_rate,  # 1199, by rate name
                "vat_sum": vat_sum(item.vat_rate, item.sum),  # 1200
                **_item_settlement_tags(item),
            }
            for item in receipt.items
        ]
        tags = {
            "shift_number": op.shift_number,  # 1038
            "receipt_number": op.receipts_in_shift,  # 1042
            "operation": receipt.operation,  # 1054
            "total": receipt.total,  # 1020
            "items": items,  # 1059
            "vat_sums": vat_sums((i["vat_rate"], i["vat_sum"]) for i in items),  # 1102-1107 (fiscal.fn.vat)
            "payments": _payment_tags(receipt),  # 1031 / 1081 (1215 / 1216 / 1217 when not zero)
            "taxation_system": op.requisites["taxation_system"],  # 1055
            **_cashier_tags(receipt.cashier),
            **({"buyer_contact": receipt.buyer_contact} if receipt.buyer_contact else {}),  # 1008
        }
        document = self._sign(conn, op, RECEIPT, tags, ext_id=ext_id, operation=receipt.operation,
                              total=receipt.total, receipt_number=op.receipts_in_shift)
        self._save(conn, op)
        return document

    def state_report(self, conn: sqlite3.Connection) -> FnDocument:
        """Document 21: what the OFD has not acknowledged yet."""
        op = self._begin(conn)
        self._refuse_if(self._closed_or_clock(op))
        document = self._sign(conn, op, STATE_REPORT, {"shift_number": op.shift_number, **self._report_tags(op)})
        self._save(conn, op)
        return document

    def find(self, conn: sqlite3.Connection, ext_id: str) -> FnDocument | None:
        row = conn.execute("SELECT fd, doc_type, datetime, fiscal_sign, payload FROM documents WHERE ext_id = ?",
                           (ext_id,)).fetchone()
        if row is None:
            return None
        fd, doc_type, when, sign, payload = row
        op = self._begin(conn)
        tags = {**self._common_tags(op, doc_type, fd, when, sign), **json.loads(payload)}
        return FnDocument(fd, doc_type, datetime.fromisoformat(when), sign, tags)

    def documents_after(self, conn: sqlite3.Connection, fd: int, *, but: int | None = None) -> list[FnDocument]:
        """The documents numbered after `fd`, oldest first (less type `but`): what a transport still has to send."""
        rows = conn.execute("SELECT fd, doc_type, datetime, fiscal_sign, payload FROM documents WHERE fd > ?"
                            " AND doc_type IS NOT ? ORDER BY fd", (fd, but)).fetchall()
        if not rows:
            return []
        op = self._begin(conn)
        return [FnDocument(n, doc_type, datetime.fromisoformat(when), sign,
                           {**self._common_tags(op, doc_type, n, when, sign), **json.loads(payload)})
                for n, doc_type, when, sign, payload in rows]

    def acknowledge(self, conn: sqlite3.Connection, fd: int, operator_sign: str | None = None) -> bool:
        """The OFD confirmed document `fd`: it no longer counts as unsent. False if it was already, or unknown."""
        changed = conn.execute(
            "UPDATE documents SET acknowledged_at = ?, operator_sign = ? WHERE fd = ? AND acknowledged_at IS NULL",
            (self._now().isoformat(), operator_sign, fd),
        ).rowcount
        if not changed:
            return False
        oldest = conn.execute("SELECT oldest_unsent_fd, oldest_unsent_at FROM fn").fetchone()
        if oldest[0] == fd:
            oldest = conn.execute("SELECT fd, datetime FROM documents WHERE fd > ? AND acknowledged_at IS NULL"
                                  " ORDER BY fd LIMIT 1", (fd,)).fetchone() or (None, None)
        conn.execute("UPDATE fn SET unsent_count = unsent_count - 1, oldest_unsent_fd = ?, oldest_unsent_at = ?",
                     tuple(oldest))
        return True

    def status(self, conn: sqlite3.Connection) -> dict[str, Any]:
        """The drive's state, and `blocked`: the refusal a sale would get now (None when it would be signed)."""
        if not self.is_registered(conn):
            return {"life_state": "not_registered", "blocked": FnRefusal("fn_not_registered").to_dict()}
        op = self._begin(conn)
        blocked = self._closed_or_clock(op) or self._limits(op) or self._shift_refusal(op)
        return {
            "life_state": "closed" if op.closed_at else "fiscal",
            "fn_serial": op.fn_serial,
            "kkt_reg_number": op.kkt_reg_number,
            "registered_at": op.registered_at.isoformat() if op.registered_at else None,
            "expires_at": self._expires_at(op).isoformat(),
            "closed_at": op.closed_at,
            "last_fiscal_doc_number": op.last_fd,
            "last_document_at": op.last_at.isoformat() if op.last_at else None,
            **self._shift_state(op),
            "unsent_count": op.unsent_count,
            "oldest_unsent_fd": op.oldest_unsent[0] if op.oldest_unsent else None,
            "oldest_unsent_at": op.oldest_unsent[1].isoformat() if op.oldest_unsent else None,
            "blocked": blocked.to_dict() if blocked else None,
        }

    # -- inside ----------------------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock().replace(microsecond=0)

    def _requisites_of_config(self) -> dict[str, Any]:
        c = self.config
        return {
            "kkt_serial": c.kkt_serial,  # 1013
            "user_inn": c.user_inn,  # 1018
            "user_name": c.user_name,  # 1048
            "address": c.address,  # 1009
            "place": c.place,  # 1187
            "taxation_system": c.taxation_system,  # 1055 (1062 on the registration report)
        }

    def _begin(self, conn: sqlite3.Connection, now: datetime | None = None) -> _Op:
        row = conn.execute(_STATE).fetchone()
        if row is None:
            raise FnRefusal("fn_not_registered")
        (fn_serial, reg_number, shift, shift_open, opened_at, in_shift, registered_at, requisites, open_fd,
         unsent, oldest_fd, oldest_at, closed_at, last_fd, last_at) = row
        if self._requisites[0] != requisites:  # parsed once: they change only at registration
            self._requisites = (requisites, json.loads(requisites))
        return _Op(
            now=now or self._now(), fn_serial=fn_serial, kkt_reg_number=reg_number, shift_number=shift,
            shift_open=bool(shift_open), shift_opened_at=_at(opened_at), receipts_in_shift=in_shift,
            registered_at=_at(registered_at), requisites=self._requisites[1], shift_open_fd=open_fd,
            unsent_count=unsent, closed_at=closed_at, last_fd=last_fd or 0, last_at=_at(last_at),
            oldest_unsent=(oldest_fd, datetime.fromisoformat(oldest_at)) if oldest_fd else None,
            stored=(opened_at, oldest_at),
        )

    def _save(self, conn: sqlite3.Connection, op: _Op) -> None:
        conn.execute(
            "UPDATE fn SET shift_number = ?, shift_open = ?, shift_opened_at = ?, receipts_in_shift = ?,"
            " shift_open_fd = ?, unsent_count = ?, oldest_unsent_fd = ?, oldest_unsent_at = ?, closed_at = ?",
            (op.shift_number, int(op.shift_open), op.stored[0], op.receipts_in_shift, op.shift_open_fd,
             op.unsent_count, op.oldest_unsent[0] if op.oldest_unsent else None, op.stored[1], op.closed_at),
        )

    def _expires_at(self, op: _Op) -> datetime:
        assert op.registered_at is not None
        return op.registered_at + self.config.valid_for

    @staticmethod
    def _refuse_if(refusal: FnRefusal | None) -> None:
        if refusal is not None:
            raise refusal

    def _closed_or_clock(self, op: _Op) -> FnRefusal | None:
        """What refuses every document: a closed drive, and a clock before the last document."""
        if op.closed_at:
            return FnRefusal("fn_closed", closed=op.closed_at)
        if op.last_at is not None and op.now < op.last_at:
            return FnRefusal("fn_clock_before_last_document", now=op.now.isoformat(), last=op.last_at.isoformat())
        return None

    def _limits(self, op: _Op) -> FnRefusal | None:
        """What refuses new shifts and receipts (not a Z report): expiry, the offline limit, full storage."""
        config = self.config
        if op.now >= self._expires_at(op):
            return FnRefusal("fn_expired", until=self._expires_at(op).isoformat())
        if op.oldest_unsent is not None and op.now - op.oldest_unsent[1] >= config.offline_limit:
            fd, since = op.oldest_unsent
            return FnRefusal("fn_offline_limit", fd=fd, since=since.isoformat(),
                             days=f"{config.offline_limit.total_seconds() / 86400:g}")
        if op.unsent_count >= config.storage_limit:
            return FnRefusal("fn_storage_full", count=op.unsent_count)
        return None

    def _shift_refusal(self, op: _Op) -> FnRefusal | None:
        if op.shift_open:
            assert op.shift_opened_at is not None
            if op.now - op.shift_opened_at >= self.config.max_shift:
                return FnRefusal("shift_expired", hours=f"{self.config.max_shift.total_seconds() / 3600:g}")
            return None
        return None if self.config.auto_open_shift else FnRefusal("shift_closed")

    def _shift_state(self, op: _Op) -> dict[str, Any]:
        opened = op.shift_opened_at if op.shift_open else None
        return {
            "shift_open": op.shift_open,
            "shift_number": op.shift_number,
            "shift_opened_at": opened.isoformat() if opened else None,
            "shift_expires_at": (opened + self.config.max_shift).isoformat() if opened else None,
            "shift_expired": bool(opened and op.now - opened >= self.config.max_shift),
            "receipts_in_shift": op.receipts_in_shift if op.shift_open else 0,
        }

    def _report_tags(self, op: _Op) -> dict[str, Any]:
        return {
            "unsent_count": op.unsent_count,  # 1097
            "oldest_unsent_fd": op.oldest_unsent[0] if op.oldest_unsent else None,  # 1116
            "oldest_unsent_at": op.oldest_unsent[1].isoformat() if op.oldest_unsent else None,  # 1098
        }

    def _open_shift(self, conn: sqlite3.Connection, op: _Op, cashier: Cashier | None) -> FnDocument:
        op.shift_number += 1
        op.shift_open, op.shift_opened_at, op.receipts_in_shift = True, op.now, 0
        op.stored = (op.now.isoformat(), op.stored[1])
        document = self._sign(conn, op, OPEN_SHIFT, {"shift_number": op.shift_number,  # 1038
                                                     **_cashier_tags(cashier)})
        op.shift_open_fd = document.fd
        return document

    def _shift_totals(self, conn: sqlite3.Connection, op: _Op) -> dict[str, Any]:
        """Counts and sums of the shift's receipts per operation, with sums and VAT per rate."""
        totals: dict[str, Any] = {}
        rows = conn.execute("SELECT operation, total, payload FROM documents WHERE fd > ? AND doc_type IN (?, ?)"
                            " ORDER BY fd", (op.shift_open_fd or 0, RECEIPT, CORRECTION))
        for operation, total, payload in rows:
            tags = json.loads(payload)
            counters = totals.setdefault(OPERATIONS[operation], {"count": 0, "total": 0, "cash": 0, "electronic": 0,
                                                                 "by_rate": {}})
            counters["count"] += 1
            counters["total"] += total
            payments = tags.get("payments") or {}
            counters["cash"] += payments.get("cash", 0)
            counters["electronic"] += payments.get("electronic", 0)
            for form in OFFSET_FORMS:  # counted only in a shift that has them, so a plain Z report keeps its shape
                if payments.get(form):
                    counters[form] = counters.get(form, 0) + payments[form]
            for item in tags.get("items", ()):  # a receipt signed before this model kept no items
                rate = counters["by_rate"].setdefault(item["vat_rate"], {"sum": 0, "vat": 0})
                rate["sum"] += item["sum"]
                rate["vat"] += item["vat_sum"]
        return totals

    def _sign(self, conn: sqlite3.Connection, op: _Op, doc_type: int, tags: dict[str, Any], *,
              ext_id: str | None = None, operation: int | None = None, total: int | None = None,
              receipt_number: int | None = None) -> FnDocument:
        """Number, sign and store one document; the storage limit is checked per document it takes."""
        waits = doc_type in self.config.waits_for_ofd
        if waits and op.unsent_count >= self.config.storage_limit:
            raise FnRefusal("fn_storage_full", count=op.unsent_count)
        fd = op.last_fd + 1
        sign = fiscal_sign(self._key, op.fn_serial, fd, op.now, operation or 0, total or 0)
        when = op.now.isoformat()
        # Stored: what is this document's own; its number, time and sign are columns, and the requisites are
        # the registration's, kept once in the drive's row (a smaller row is a shorter write per sale).
        conn.execute(_INSERT, (fd, doc_type, ext_id, op.shift_number, receipt_number, when, operation, total, sign,
                               json.dumps(tags, ensure_ascii=False, separators=(",", ":")), None if waits else when))
        if waits:
            op.unsent_count += 1
            if op.oldest_unsent is None:
                op.oldest_unsent, op.stored = (fd, op.now), (op.stored[0], when)
        op.last_fd, op.last_at = fd, op.now
        return FnDocument(fd, doc_type, op.now, sign, {**self._common_tags(op, doc_type, fd, when, sign), **tags})

    def _common_tags(self, op: _Op, doc_type: int, fd: int, when: str, sign: str) -> dict[str, Any]:
        """The fields every document carries."""
        return {
            "doc_type": doc_type,
            "fn_serial": op.fn_serial,  # 1041
            "kkt_reg_number": op.kkt_reg_number,  # 1037
            "fiscal_doc_number": fd,  # 1040
            "datetime": when,  # 1012
            "fiscal_sign": sign,  # 1077
            "ffd_version": self.config.ffd_version,  # 1209
            "user_inn": op.requisites["user_inn"],  # 1018
            "user_name": op.requisites["user_name"],  # 1048
            "address": op.requisites["address"],  # 1009
            "place": op.requisites["place"],  # 1187
            "kkt_serial": op.requisites["kkt_serial"],  # 1013
        }


OFFSET_FORMS = ("prepayment", "credit", "other")  # 1215, 1216, 1217


def _payment_tags(receipt: FnReceipt) -> dict[str, int]:
    """Cash and electronic always; an advance counted, credit and other consideration only when not zero."""
    tags = {"cash": receipt.cash, "electronic": receipt.electronic}
    for form in OFFSET_FORMS:
        if amount := getattr(receipt, form):
            tags[form] = amount
    return tags


def _item_settlement_tags(item: FnItem) -> dict[str, Any]:
    tags: dict[str, Any] = {"payment_method_sign": item.payment_method_sign,  # 1214
                            "subject_sign": item.subject_sign}  # 1212
    if item.marking_code is not None:
        tags["marking_code"] = item.marking_code  # 2000
    if item.product_code is not None:
        tags["product_code"] = item.product_code  # 1162
    return tags


def _cashier_tags(cashier: Cashier | None) -> dict[str, Any]:
    if cashier is None:
        return {}
    return {"cashier": cashier.name, **({"cashier_inn": cashier.inn} if cashier.inn else {})}  # 1021 / 1203
