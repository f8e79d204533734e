"""The check under construction: items and tags gathered before the FN signs anything.

The FN sees a check only when it is closed (`FiscalDrive.sell` / `correct` sign it in one transaction), so a
cancelled check takes no FD number. The check is kept in the device's non-volatile memory (a JSON file
beside the FN, replaced atomically on every change): after a power cut the register still has it open
(mode 8, FF01 "receipt in progress"), as a real one does, and a host recovering from a crash cancels it
(0x88) or completes it. Only what the FN has signed is fiscal; a check never is until it is closed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fiscal.fn import Cashier, FnCorrection, FnItem, FnReceipt


@dataclass
class CheckItem:
    name: str
    price: int
    quantity: int  # thousandths
    sum: int
    vat_rate: str
    payment_method: int = 4  # 1214
    subject: int = 1  # 1212
    marking_code: str | None = None  # 2000
    product_code: str | None = None  # 1162, hex

    def fn_item(self) -> FnItem:
        quantity = f"{self.quantity // 1000}.{self.quantity % 1000:03d}"
        return FnItem(self.name, self.price, quantity, self.sum, self.vat_rate, self.payment_method, self.subject,
                      self.marking_code, self.product_code)


@dataclass
class Check:
    operation: int | None  # 1054; None for a correction check before its first item
    correction: bool = False
    items: list[CheckItem] = field(default_factory=list)
    tags: dict[str, Any] = field(default_factory=dict)  # buyer_contact, cashier, cashier_inn, correction_*

    @property
    def total(self) -> int:
        return sum(item.sum for item in self.items)

    def receipt(self, *, cash: int, electronic: int, prepayment: int = 0, credit: int = 0,
                other: int = 0) -> FnReceipt:
        cashier = Cashier(self.tags["cashier"], self.tags.get("cashier_inn")) if self.tags.get("cashier") else None
        return FnReceipt(operation=self.operation or 1, items=tuple(item.fn_item() for item in self.items),
                         total=self.total, cash=cash, electronic=electronic, cashier=cashier, prepayment=prepayment,
                         credit=credit, other=other, buyer_contact=self.tags.get("buyer_contact"))

    def correction_of(self, receipt: FnReceipt) -> FnCorrection | None:
        """The correction to sign, or None when the check lacks its basis date (tag 1174/1178)."""
        basis = self.tags.get("basis_date")
        if basis is None:
            return None
        return FnCorrection(receipt, int(self.tags.get("correction_type", 0)), date.fromisoformat(basis),
                            self.tags.get("order_number"))

    def to_json(self) -> dict[str, Any]:
        return {"operation": self.operation, "correction": self.correction,
                "items": [asdict(item) for item in self.items], "tags": self.tags}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Check:
        return cls(data["operation"], data["correction"], [CheckItem(**item) for item in data["items"]],
                   data["tags"])


class CheckMemory:
    """The open check in `path`, or no file when none is open."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def load(self) -> Check | None:
        try:
            return Check.from_json(json.loads(self._path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None

    def save(self, check: Check | None) -> None:
        if check is None:
            self._path.unlink(missing_ok=True)
            return
        scratch = self._path.with_suffix(".tmp")
        scratch.write_text(json.dumps(check.to_json(), ensure_ascii=False), encoding="utf-8")
        os.replace(scratch, self._path)
