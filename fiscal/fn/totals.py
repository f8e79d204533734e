"""A shift's counters as the drive counts them, for the X report and the Z report (tag 1194).

Per operation (1054): receipts and correction receipts counted, their totals by payment form and by VAT
rate; and the cash the shift put into and took out of the drawer (non-fiscal documents)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from .documents import CORRECTION, OPERATIONS, RECEIPT
from .tags import OFFSET_FORMS


def shift_totals(conn: sqlite3.Connection, after_fd: int) -> dict[str, Any]:
    """The counters of the receipts and corrections numbered after `after_fd` (the shift's opening)."""
    totals: dict[str, Any] = {}
    rows = conn.execute("SELECT doc_type, operation, total, payload FROM documents WHERE fd > ? AND doc_type IN (?, ?)"
                        " ORDER BY fd", (after_fd, RECEIPT, CORRECTION))
    for doc_type, operation, total, payload in rows:
        tags = json.loads(payload)
        counters = totals.setdefault(OPERATIONS[operation], {"count": 0, "total": 0, "cash": 0, "electronic": 0,
                                                             "by_rate": {}})
        counters["count"] += 1
        if doc_type == CORRECTION:  # counted with the receipts, as the FN's counters do, and also on their own
            counters["corrections"] = counters.get("corrections", 0) + 1
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


def cash_movements(conn: sqlite3.Connection, shift_number: int) -> dict[str, int]:
    """Cash put in and taken out during the shift (not fiscal documents: no FD, not in `shift_totals`)."""
    rows = conn.execute("SELECT kind, COUNT(*), COALESCE(SUM(amount), 0) FROM cash_operations WHERE shift_number = ?"
                        " GROUP BY kind", (shift_number,)).fetchall()
    found = {kind: (count, amount) for kind, count, amount in rows}
    return {"cash_in": found.get("in", (0, 0))[1], "cash_in_count": found.get("in", (0, 0))[0],
            "cash_out": found.get("out", (0, 0))[1], "cash_out_count": found.get("out", (0, 0))[0]}


# How each operation moves the drawer's cash: a sale and an expense refund put it in, the others take it out.
CASH_DIRECTION = {1: 1, 2: -1, 3: -1, 4: 1}
