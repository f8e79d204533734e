"""The serial register the `real` driver's tests talk to: the Shtrih-M emulator on a pty (and TCP), its FN read
directly from its file, and receipts to sell.

The emulator runs the real `ShtrihRegister` on the real fiscal drive model in a temporary state folder; the
test reads what the FN signed with the same `FiscalDrive` over a second SQLite connection (WAL lets it read
while the register writes), so an assertion compares the driver's answer with the FN itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from emulators.shtrih.handle import ShtrihEmulator
from emulators.shtrih.register import ShtrihRegister
from fiscal.fn import Cashier, FiscalDrive, FnConfig
from kkt_adapter.correction import CorrectionRequest
from kkt_adapter.receipt import FiscalItem, FiscalRequest

T = TypeVar("T")
SERIAL = "9999078900012345"
REG_NUMBER = "0000000001012345"


def fn_config(**overrides: Any) -> FnConfig:
    return FnConfig(fn_serial=SERIAL, kkt_reg_number=REG_NUMBER, **{"auto_open_shift": False, **overrides})


@dataclass
class SerialRegister:
    emulator: ShtrihEmulator
    state_dir: Path

    @property
    def register(self) -> ShtrihRegister:
        register = self.emulator.register
        assert isinstance(register, ShtrihRegister)
        return register

    @property
    def url(self) -> str:
        return str(self.emulator.link_path)

    def fn(self, read: Callable[[FiscalDrive, sqlite3.Connection], T]) -> T:
        """Read the FN's file directly, as its auditor would."""
        conn = sqlite3.connect(self.state_dir / "fn.db")
        try:
            return read(self.register.drive, conn)
        finally:
            conn.close()

    def documents(self) -> list[Any]:
        return self.fn(lambda drive, conn: drive.documents_after(conn, 0))

    def receipts(self) -> list[Any]:
        return [d for d in self.documents() if d.doc_type == 3]

    def status(self) -> dict[str, Any]:
        return self.fn(lambda drive, conn: drive.status(conn))


def item(name: str, price: int, quantity: str = "1.000", rate: str = "22", **extra: Any) -> FiscalItem:
    whole, _, fraction = quantity.partition(".")
    thousandths = int(whole) * 1000 + int((fraction + "000")[:3])
    return FiscalItem(name=name, price=price, quantity=quantity, sum=(2 * price * thousandths + 1000) // 2000,
                      vat_rate=rate, **extra)


def receipt(*items: FiscalItem, operation: str = "sale", cash: int | None = None, electronic: int = 0,
            **extra: Any) -> FiscalRequest:
    items = items or (item("Оправа Ray-Ban", 500000),)
    total = sum(i.sum for i in items)
    paid_cash = total - electronic - sum(extra.get(k, 0) for k in ("prepayment", "credit", "other")) \
        if cash is None else cash
    return FiscalRequest(pos_id="pos-1", operation=operation, items=tuple(items), total=total, cash=paid_cash,
                         electronic=electronic, **extra)


def correction(total: int = 50000) -> CorrectionRequest:
    return CorrectionRequest(receipt(item("Линзы", total), cashier=Cashier("Иванова")), 0, date(2026, 11, 20))
