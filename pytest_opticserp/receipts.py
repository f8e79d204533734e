"""Valid receipts for the adapter's POST /v1/kkt/receipt, built from a few words.

    receipt_factory()                                   # the seed's Ray-Ban sale, 5000.00, card
    receipt_factory.sale(price="1200.50", tax_rate=22)
    receipt_factory.refund(price="300.00")
    receipt_factory.split(cash="1000.00", card="4000.00")
    receipt_factory.with_rates("22", "10", "22/122", "none")
    receipt_factory.sale(buyer_contact="+79161234567", cashier=("Иванова И.И.", "500100732259"))
    receipt_factory.advance("3000.00", price="12000.00")              # an advance on made-to-order glasses
    receipt_factory.final_after_advance("12000.00", advance="3000.00") # the receipt at pickup
    receipt_factory.marked("010460043993125621JgXJ5.T\x1d8005112000")  # marked goods (1212 = 33)

Totals are computed the way the adapter checks them (price × quantity, rounded half-up to the kopeck), so
every receipt built here is accepted; pass `total=` to build a wrong one on purpose. Every builder takes
`buyer_contact=` (tag 1008: "+7" and 10 digits, or an e-mail) and `cashier=` (tags 1021 / 1203: a name, a
(name, INN) pair or the body's dict).
"""

from __future__ import annotations

import itertools
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

KOPECK = Decimal("0.01")
SEED_ITEM = {"name": "Очки солнцезащитные Ray-Ban", "quantity": 1, "price": "5000.00", "tax_rate": 20}


def _money(value: Decimal) -> str:
    return str(value.quantize(KOPECK, rounding=ROUND_HALF_UP))


def items_total(items: list[dict[str, Any]]) -> str:
    return _money(sum((Decimal(str(i["price"])) * Decimal(str(i["quantity"]))).quantize(KOPECK, ROUND_HALF_UP)
                      for i in items))


class ReceiptFactory:
    """Builds receipt bodies; each call returns a new dict the test may change."""

    def __init__(self, pos_id: str = "POS-001") -> None:
        self.pos_id = pos_id
        self._counter = itertools.count(1)

    def __call__(self, items: list[dict[str, Any]] | None = None, *, payment_method: str = "card",
                 cashier: str | tuple[str, str] | dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        items = [dict(item) for item in (items or [SEED_ITEM])]
        body: dict[str, Any] = {"pos_id": self.pos_id, "items": items, "total": items_total(items),
                                "payment_method": payment_method}
        if cashier is not None:
            body["cashier"] = _cashier(cashier)
        body.update(fields)
        if "payments" in fields:
            body.pop("payment_method", None)
        return body

    def item(self, price: str | Decimal = "5000.00", quantity: str | int | Decimal = 1, tax_rate: Any = 22,
             name: str | None = None) -> dict[str, Any]:
        return {"name": name or f"Товар {next(self._counter)}", "quantity": quantity, "price": str(price),
                "tax_rate": tax_rate}

    def sale(self, price: str | Decimal = "5000.00", quantity: str | int = 1, tax_rate: Any = 22,
             **fields: Any) -> dict[str, Any]:
        return self([self.item(price, quantity, tax_rate)], **fields)

    def refund(self, price: str | Decimal = "5000.00", quantity: str | int = 1, tax_rate: Any = 22,
               **fields: Any) -> dict[str, Any]:
        return self([self.item(price, quantity, tax_rate)], type="refund", **fields)

    def split(self, cash: str, card: str, tax_rate: Any = 22, **fields: Any) -> dict[str, Any]:
        """A sale of one item paid partly in cash and partly by card."""
        total = _money(Decimal(cash) + Decimal(card))
        return self([self.item(total, 1, tax_rate)],
                    payments=[{"method": "cash", "amount": cash}, {"method": "card", "amount": card}], **fields)

    def advance(self, amount: str | Decimal, *, price: str | Decimal | None = None, tax_rate: Any = 22,
                sign: int = 3, name: str = "Очки на заказ (аванс)", **fields: Any) -> dict[str, Any]:
        """The advance on made-to-order glasses: one item of `amount` signed 3 (advance), or `sign=1` (full
        prepayment, then `amount` is the whole price) or 2 (partial prepayment). `price` is the glasses' full
        price, only to say so in the item's name."""
        named = f"{name}, {price}" if price is not None else name
        item = {**self.item(amount, 1, tax_rate, named), "payment_method_sign": sign}
        return self([item], **fields)

    def final_after_advance(self, price: str | Decimal, advance: str | Decimal, *, tax_rate: Any = 22,
                            name: str = "Очки на заказ", payment_method: str = "card",
                            **fields: Any) -> dict[str, Any]:
        """The receipt at pickup: the glasses at full `price` signed 4 (full payment), `advance` counted as
        prepayment (1215), the rest paid by `payment_method`."""
        item = {**self.item(price, 1, tax_rate, name), "payment_method_sign": 4}
        return self([item], payment_method=payment_method, prepayment=_money(Decimal(str(advance))), **fields)

    def marked(self, marking_code: str, price: str | Decimal = "5000.00", tax_rate: Any = 22,
               **fields: Any) -> dict[str, Any]:
        """A sale of one marked item: the code (tag 2000) goes to the document as given, unchecked."""
        return self([{**self.item(price, 1, tax_rate), "marking_code": marking_code}], **fields)

    def with_rates(self, *rates: Any, price: str = "100.00", **fields: Any) -> dict[str, Any]:
        """One item per VAT rate."""
        return self([self.item(price, 1, rate) for rate in rates], **fields)

    @staticmethod
    def guide(**changes: Any) -> dict[str, Any]:
        """The developer guide's §3.6 body exactly as its curl command sends it (money as JSON numbers)."""
        body: dict[str, Any] = {"pos_id": "POS-001", "items": [{**SEED_ITEM, "price": 5000.00}], "total": 5000.00,
                                "payment_method": "card"}
        body.update(changes)
        return body

    @staticmethod
    def key() -> str:
        """A fresh idempotency key."""
        return f"test-{uuid.uuid4()}"


def _cashier(cashier: str | tuple[str, str] | dict[str, Any]) -> dict[str, Any]:
    if isinstance(cashier, dict):
        return dict(cashier)
    if isinstance(cashier, tuple):
        name, inn = cashier
        return {"name": name, "inn": inn}
    return {"name": cashier}
