"""The fiscal drive (FN): numbering, shifts, limits and the archive, kept durably in SQLite.

One model for every register the project emulates (the adapter's mock driver, the serial register
emulator). Each operation takes an open connection inside the caller's transaction, so a front-end runs it
on the thread that owns its database, and a document, its number and the drive's new state commit together
or not at all: numbers strictly increase, are gap-free and never reused, across restarts too.

The drive refuses what a real one refuses (see `refusals.py`): a document dated before the last one, an
expired drive, the oldest unacknowledged document older than the offline limit, unacknowledged storage
full, and sales in a shift past `max_shift`. It never closes a shift on its own: the POS closes it
(`close_shift` stays possible past the limits, as do `state_report`, `acknowledge` and `status`).

A front-end may tag any document or cash operation with an `ext_id` of its own; `find` / `find_cash` return
it after a crash between the drive's commit and the front-end's, so a retried call gets the first answer.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import limits
from .config import FnConfig
from .documents import (
    CLOSE_FN,
    CLOSE_SHIFT,
    CORRECTION,
    OPEN_SHIFT,
    RECEIPT,
    REGISTRATION,
    STATE_REPORT,
    Cashier,
    CashOperation,
    FnCorrection,
    FnDocument,
    FnReceipt,
    fiscal_sign,
)
from .refusals import DuplicateExtId, FnRefusal
from .schema import SCHEMA, migrate
from .state import DriveState, StateReader, write
from .tags import cashier_tags, receipt_tags
from .totals import CASH_DIRECTION, cash_movements, shift_totals

_INSERT = ("INSERT INTO documents (fd, doc_type, ext_id, shift_number, receipt_number, datetime, operation, total,"
           " fiscal_sign, payload, acknowledged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_DOCUMENT = "SELECT fd, doc_type, datetime, fiscal_sign, payload FROM documents"


class FiscalDrive:
    SCHEMA = SCHEMA

    def __init__(self, config: FnConfig, sign_key: bytes, clock: Callable[[], datetime]) -> None:
        self.config = config
        self._key = sign_key
        self._clock = clock
        self._states = StateReader()

    # -- life ------------------------------------------------------------------------------------------------

    def prepare(self, conn: sqlite3.Connection) -> None:
        """Bring a drive file written before this model up to it (columns, registration); it keeps its numbers."""
        migrate(conn, json.dumps(self._requisites_of_config(), ensure_ascii=False), OPEN_SHIFT)

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
        op = self._states.read(conn, now)
        document = self._sign(conn, op, REGISTRATION, {
            "taxation_systems": requisites["taxation_system"],  # 1062: the systems the register may use (here one)
            "fn_valid_until": (now + self.config.valid_for).isoformat(),
        })
        write(conn, op)
        return document

    def close_fn(self, conn: sqlite3.Connection) -> FnDocument:
        """Document 6: the drive's archive is closed and it signs nothing more. Needs the shift closed."""
        op = self._states.read(conn, self._now())
        limits.refuse_if(limits.closed_or_clock(op))
        if op.shift_open:
            raise FnRefusal("shift_open", shift=op.shift_number)
        document = self._sign(conn, op, CLOSE_FN, limits.report_tags(op))
        op.closed_at = op.now.isoformat()
        write(conn, op)
        return document

    # -- shifts ----------------------------------------------------------------------------------------------

    def open_shift(self, conn: sqlite3.Connection, cashier: Cashier | None = None, *,
                   ext_id: str | None = None) -> FnDocument:
        """Document 2."""
        self._unused(conn, ext_id)
        op = self._states.read(conn, self._now())
        limits.refuse_if(limits.closed_or_clock(op))
        if op.shift_open:
            raise FnRefusal("shift_already_open", shift=op.shift_number)
        limits.refuse_if(limits.fn_limits(op, self.config))
        document = self._open_shift(conn, op, cashier, ext_id)
        write(conn, op)
        return document

    def close_shift(self, conn: sqlite3.Connection, cashier: Cashier | None = None, *,
                    ext_id: str | None = None) -> FnDocument:
        """Document 5, the Z report: the shift's totals per operation and VAT rate, as the drive counts them.

        Possible past every limit but the clock: it is how a POS gets out of `shift_expired`."""
        self._unused(conn, ext_id)
        op = self._states.read(conn, self._now())
        limits.refuse_if(limits.closed_or_clock(op))
        if not op.shift_open:
            raise FnRefusal("shift_closed")
        tags = {
            "shift_number": op.shift_number,  # 1038
            **cashier_tags(cashier),
            "receipts_in_shift": op.receipts_in_shift,  # 1118
            "documents_in_shift": op.last_fd + 2 - op.shift_open_fd if op.shift_open_fd else None,  # 1111, with this
            **limits.report_tags(op),
            "shift_totals": shift_totals(conn, op.shift_open_fd or 0),  # 1194, per operation (1054) and VAT rate
            **self._drawer(conn, op),  # printed on the Z report, not fiscal data
        }
        document = self._sign(conn, op, CLOSE_SHIFT, tags, ext_id=ext_id)
        op.shift_open, op.shift_opened_at, op.shift_open_fd, op.stored = False, None, None, (None, op.stored[1])
        write(conn, op)
        return document

    def x_report(self, conn: sqlite3.Connection) -> dict[str, Any]:
        """The open shift's counters so far. A real X report prints them but is no fiscal document."""
        op = self._states.read(conn, self._now())
        if op.closed_at:
            raise FnRefusal("fn_closed", closed=op.closed_at)
        if not op.shift_open:
            raise FnRefusal("shift_closed")
        return {**limits.shift_state(op, self.config), **limits.report_tags(op),
                "shift_totals": shift_totals(conn, op.shift_open_fd or 0), **self._drawer(conn, op)}

    def shift_state(self, conn: sqlite3.Connection) -> dict[str, Any]:
        return limits.shift_state(self._states.read(conn, self._now()), self.config)

    # -- documents -------------------------------------------------------------------------------------------

    def sell(self, conn: sqlite3.Connection, receipt: FnReceipt, ext_id: str | None = None) -> FnDocument:
        """Document 3: a receipt or refund, tagged with `ext_id` so `find` can return it after a crash.

        With no open shift, one is opened first (its own document) when `auto_open_shift` is set."""
        return self._receipt(conn, RECEIPT, receipt, {}, ext_id)

    def correct(self, conn: sqlite3.Connection, correction: FnCorrection, ext_id: str | None = None) -> FnDocument:
        """Document 31: a settlement made without a receipt (or with a wrong one), recorded after the fact.

        It follows a sale's rules (an open shift under 24 h, the FN's limits) and counts in the shift's totals."""
        if correction.correction_type not in (0, 1):
            raise FnRefusal("correction_invalid", problem="correction_type is 0 (own initiative) or 1 (by order)")
        if correction.correction_type == 1 and not correction.order_number:
            raise FnRefusal("correction_invalid", problem="a correction by order needs the order's number (1179)")
        if correction.basis_date > self._now().date():
            raise FnRefusal("correction_invalid",
                            problem=f"the corrected settlement's date {correction.basis_date} is after today")
        basis: dict[str, Any] = {"date": correction.basis_date.isoformat()}  # 1178
        if correction.order_number:
            basis["order_number"] = correction.order_number  # 1179
        tags = {"correction_type": correction.correction_type, "correction_basis": basis}  # 1173, 1174
        return self._receipt(conn, CORRECTION, correction.receipt, tags, ext_id)

    def cash(self, conn: sqlite3.Connection, kind: str, amount: int, cashier: Cashier | None = None, *,
             ext_id: str | None = None) -> CashOperation:
        """Cash in or out of the drawer: a non-fiscal document the device records (no FD), in an open shift.

        The drawer's cash is kept across shifts; taking out more than it holds is refused (`insufficient_cash`).
        Refunds are not checked against it."""
        if kind not in ("in", "out"):
            raise ValueError(f"cash operation kind is 'in' or 'out', not {kind!r}")
        if amount <= 0:
            raise FnRefusal("cash_amount_invalid", amount=amount)
        if ext_id is not None and conn.execute("SELECT 1 FROM cash_operations WHERE ext_id = ?",
                                               (ext_id,)).fetchone():
            raise DuplicateExtId(ext_id)
        op = self._states.read(conn, self._now())
        limits.refuse_if(limits.shift_refusal(op, self.config))
        if not op.shift_open:
            limits.refuse_if(limits.closed_or_clock(op) or limits.fn_limits(op, self.config))
            self._open_shift(conn, op, cashier, None)
        if kind == "out" and amount > op.cash_in_drawer:
            raise FnRefusal("insufficient_cash", amount=amount, drawer=op.cash_in_drawer)
        op.cash_in_drawer += amount if kind == "in" else -amount
        conn.execute("INSERT INTO cash_operations (ext_id, kind, amount, shift_number, datetime, cashier,"
                     " cash_in_drawer) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (ext_id, kind, amount, op.shift_number, op.now.isoformat(), cashier.name if cashier else None,
                      op.cash_in_drawer))
        write(conn, op)
        return CashOperation(kind, amount, op.shift_number, op.now, op.cash_in_drawer,
                             cashier.name if cashier else None)

    def find_cash(self, conn: sqlite3.Connection, ext_id: str) -> CashOperation | None:
        row = conn.execute("SELECT kind, amount, shift_number, datetime, cash_in_drawer, cashier FROM cash_operations"
                           " WHERE ext_id = ?", (ext_id,)).fetchone()
        if row is None:
            return None
        kind, amount, shift, when, drawer, cashier = row
        return CashOperation(kind, amount, shift, datetime.fromisoformat(when), drawer, cashier)

    def state_report(self, conn: sqlite3.Connection, *, ext_id: str | None = None) -> FnDocument:
        """Document 21: what the OFD has not acknowledged yet."""
        self._unused(conn, ext_id)
        op = self._states.read(conn, self._now())
        limits.refuse_if(limits.closed_or_clock(op))
        document = self._sign(conn, op, STATE_REPORT, {"shift_number": op.shift_number, **limits.report_tags(op)},
                              ext_id=ext_id)
        write(conn, op)
        return document

    def find(self, conn: sqlite3.Connection, ext_id: str) -> FnDocument | None:
        """The document signed for `ext_id`, whatever its type."""
        return self._read(conn, conn.execute(f"{_DOCUMENT} WHERE ext_id = ?", (ext_id,)).fetchone())

    def document(self, conn: sqlite3.Connection, fd: int) -> FnDocument | None:
        """Document `fd` from the archive, as a register reads it back."""
        return self._read(conn, conn.execute(f"{_DOCUMENT} WHERE fd = ?", (fd,)).fetchone())

    def _read(self, conn: sqlite3.Connection, row: tuple[Any, ...] | None) -> FnDocument | None:
        if row is None:
            return None
        fd, doc_type, when, sign, payload = row
        op = self._states.read(conn, self._now())
        tags = {**self._common_tags(op, doc_type, fd, when, sign), **json.loads(payload)}
        return FnDocument(fd, doc_type, datetime.fromisoformat(when), sign, tags)

    def documents_after(self, conn: sqlite3.Connection, fd: int, *, but: int | None = None) -> list[FnDocument]:
        """The documents numbered after `fd`, oldest first (less type `but`): what a transport still has to send."""
        rows = conn.execute(f"{_DOCUMENT} WHERE fd > ? AND doc_type IS NOT ? ORDER BY fd", (fd, but)).fetchall()
        if not rows:
            return []
        op = self._states.read(conn, self._now())
        return [FnDocument(n, doc_type, datetime.fromisoformat(when), sign,
                           {**self._common_tags(op, doc_type, n, when, sign), **json.loads(payload)})
                for n, doc_type, when, sign, payload in rows]

    def is_acknowledged(self, conn: sqlite3.Connection, fd: int) -> bool:
        """Whether the OFD has confirmed document `fd` (False for an unknown one), as a register reports it."""
        row = conn.execute("SELECT acknowledged_at IS NOT NULL FROM documents WHERE fd = ?", (fd,)).fetchone()
        return bool(row and row[0])

    def cash_operation_count(self, conn: sqlite3.Connection) -> int:
        """Cash operations recorded in all (a register numbers its non-fiscal documents with them)."""
        return int(conn.execute("SELECT COUNT(*) FROM cash_operations").fetchone()[0])

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
        op = self._states.read(conn, self._now())
        blocked = limits.sale_refusal(op, self.config)
        return {
            "life_state": "closed" if op.closed_at else "fiscal",
            "fn_serial": op.fn_serial,
            "kkt_reg_number": op.kkt_reg_number,
            "registered_at": op.registered_at.isoformat() if op.registered_at else None,
            "expires_at": limits.expires_at(op, self.config).isoformat(),
            "closed_at": op.closed_at,
            "last_fiscal_doc_number": op.last_fd,
            "last_document_at": op.last_at.isoformat() if op.last_at else None,
            **limits.shift_state(op, self.config),
            "cash_in_drawer": op.cash_in_drawer,
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

    def _open_shift(self, conn: sqlite3.Connection, op: DriveState, cashier: Cashier | None,
                    ext_id: str | None) -> FnDocument:
        op.shift_number += 1
        op.shift_open, op.shift_opened_at, op.receipts_in_shift = True, op.now, 0
        op.stored = (op.now.isoformat(), op.stored[1])
        document = self._sign(conn, op, OPEN_SHIFT, {"shift_number": op.shift_number,  # 1038
                                                     **cashier_tags(cashier)}, ext_id=ext_id)
        op.shift_open_fd = document.fd
        return document

    def _receipt(self, conn: sqlite3.Connection, doc_type: int, receipt: FnReceipt, extra: dict[str, Any],
                 ext_id: str | None) -> FnDocument:
        """A receipt (3) or correction receipt (31): numbered in the shift, counted in its totals and the drawer."""
        self._unused(conn, ext_id)
        op = self._states.read(conn, self._now())
        limits.refuse_if(limits.sale_refusal(op, self.config))
        if not op.shift_open:
            self._open_shift(conn, op, receipt.cashier, None)
        op.receipts_in_shift += 1
        op.cash_in_drawer += CASH_DIRECTION[receipt.operation] * receipt.cash
        tags = {
            "shift_number": op.shift_number,  # 1038
            "receipt_number": op.receipts_in_shift,  # 1042
            **receipt_tags(receipt, op.requisites["taxation_system"]),
            **extra,
        }
        document = self._sign(conn, op, doc_type, tags, ext_id=ext_id, operation=receipt.operation,
                              total=receipt.total, receipt_number=op.receipts_in_shift)
        write(conn, op)
        return document

    @staticmethod
    def _unused(conn: sqlite3.Connection, ext_id: str | None) -> None:
        """A retry of a call the drive has signed must find that document, not sign a second one."""
        if ext_id is not None and conn.execute("SELECT 1 FROM documents WHERE ext_id = ?", (ext_id,)).fetchone():
            raise DuplicateExtId(ext_id)

    @staticmethod
    def _drawer(conn: sqlite3.Connection, op: DriveState) -> dict[str, Any]:
        return {**cash_movements(conn, op.shift_number), "cash_in_drawer": op.cash_in_drawer}

    def _sign(self, conn: sqlite3.Connection, op: DriveState, doc_type: int, tags: dict[str, Any], *,
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

    def _common_tags(self, op: DriveState, doc_type: int, fd: int, when: str, sign: str) -> dict[str, Any]:
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

