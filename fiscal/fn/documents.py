"""The fiscal drive's documents: what goes in (a receipt, a cashier) and what comes out (a signed document).

A document's `tags` are its fields under readable names, each standing for an FFD 1.2 tag (commented where
they are built, in `drive.py`), the style of the adapter's OFD document. Money is integer kopecks.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..money import format_rubles

REGISTRATION = 1
OPEN_SHIFT = 2
RECEIPT = 3
CLOSE_SHIFT = 5
CLOSE_FN = 6
STATE_REPORT = 21
CORRECTION = 31

OPERATIONS = {1: "sale", 2: "sale_refund", 3: "expense", 4: "expense_refund"}  # tag 1054


@dataclass(frozen=True)
class Cashier:
    """Tags 1021 (name) and 1203 (INN, 12 digits), on shift documents and receipts."""

    name: str
    inn: str | None = None


@dataclass(frozen=True)
class FnItem:
    name: str  # 1030
    price: int  # 1079
    quantity: str  # 1023, with three decimals
    sum: int  # 1043
    vat_rate: str  # a rate name of fiscal.vat (the 1199 code is the front-end's table)
    payment_method_sign: int = 4  # 1214 (fiscal.settlement), 4 = full payment
    subject_sign: int = 1  # 1212: 1 goods, 33 marked goods
    marking_code: str | None = None  # 2000, as scanned; not checked here
    product_code: str | None = None  # 1162, hex


@dataclass(frozen=True)
class FnReceipt:
    operation: int  # 1054, 1-4
    items: tuple[FnItem, ...]
    total: int  # 1020
    cash: int = 0  # 1031
    electronic: int = 0  # 1081
    cashier: Cashier | None = None
    prepayment: int = 0  # 1215
    credit: int = 0  # 1216
    other: int = 0  # 1217
    buyer_contact: str | None = None  # 1008


@dataclass(frozen=True)
class FnCorrection:
    """A correction receipt (document 31): the settlement it records, and why it is made."""

    receipt: FnReceipt  # what was (or should have been) settled: operation, items, payments
    correction_type: int  # 1173: 0 on the user's own initiative, 1 by a tax authority's order
    basis_date: date  # 1178: the day of the settlement being corrected
    order_number: str | None = None  # 1179: the order's number, needed when correction_type is 1


@dataclass(frozen=True)
class CashOperation:
    """Cash put into (`in`) or taken out of (`out`) the drawer: a non-fiscal document, no FD number."""

    kind: str  # "in" or "out"
    amount: int  # kopecks
    shift_number: int
    datetime: datetime
    cash_in_drawer: int  # after this operation
    cashier: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "amount": self.amount, "shift_number": self.shift_number,
                "datetime": self.datetime.isoformat(), "cash_in_drawer": self.cash_in_drawer,
                **({"cashier": self.cashier} if self.cashier else {})}


@dataclass(frozen=True)
class FnDocument:
    fd: int  # 1040
    doc_type: int
    datetime: datetime  # 1012
    fiscal_sign: str  # 1077
    tags: dict[str, Any]

    @property
    def qr(self) -> str:
        """The QR string printed on a receipt."""
        t = self.tags
        return qr_string(self.datetime, t["total"], t["fn_serial"], self.fd, self.fiscal_sign, t["operation"])


def fiscal_sign(key: bytes, fn_serial: str, fd: int, when: datetime, operation: int, total: int) -> str:
    """Tag 1077 as a decimal number: a keyed hash, since the real one is computed inside the FN."""
    message = f"{fn_serial}|{fd}|{when.isoformat()}|{operation}|{total}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return str(int.from_bytes(digest[:4], "big"))


def qr_string(when: datetime, total: int, fn_serial: str, fd: int, sign: str, operation: int) -> str:
    return (
        f"t={when.strftime('%Y%m%dT%H%M%S')}&s={format_rubles(total)}"
        f"&fn={fn_serial}&i={fd}&fp={sign}&n={operation}"
    )
