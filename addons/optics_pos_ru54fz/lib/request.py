"""The adapter's receipt body (`POST /v1/kkt/receipt`) built from a paid order, or an error and no body at all.

The body must say what the buyer paid to the kopeck: each line's amount with VAT is Odoo's (see `taxes`), the
items add up to the order's total exactly, and the payments settle it. An item has a unit price and a
quantity, and the register rounds their product half-up; when no unit price in kopecks gives the line's
amount (100.00 for 3 units), the line becomes two items whose prices differ by one kopeck (2 x 33.33 and
1 x 33.34). A line with a negative amount (an order-level discount, a loyalty reward) is spread over the lines
of its VAT rate in proportion to their amounts, since a register takes no negative price.

An advance taken on an earlier receipt is counted on the final one (tag 1215) either as the snapshot's
`prepayment` or as a line of the advance's own kind (1214 = 1, 2, 3) taken back: a negative quantity on a sale,
as Odoo's order of the goods handed over carries it. Such a line is no item: its amount goes to the advance
counted, and the receipt's total is Odoo's plus it.

Amounts travel as strings ("5000.00"), which the adapter reads as exact decimals. The body depends on the
order alone, so a retry of the same order sends the same body under the same key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from .errors import PaymentMismatch, ReceiptBuildError, TotalMismatch
from .money import KOPECK, QUANTITY_STEP, floor_rubles, format_quantity, format_rubles, round_rubles
from .snapshot import FULL_PAYMENT, OrderLine, OrderSnapshot
from .taxes import ADVANCE_SIGNS, amount_with_vat, line_vat_rate

MAX_NAME = 128  # tag 1030
MAX_CASHIER_NAME = 64  # tag 1021
_PHONE_SEPARATORS = re.compile(r"[\s()\-.]")
_RUSSIAN_PHONE = re.compile(r"(?:\+7|8|7)?([0-9]{10})")


@dataclass(frozen=True)
class _Priced:
    """A line with its amount with VAT and its quantity, both positive on a sale and on a refund alike."""

    index: int
    line: OrderLine
    quantity: Decimal
    amount: Decimal
    rate: str


def build_receipt(order: OrderSnapshot, pos_id: str) -> dict[str, Any]:
    """The JSON body for the order; `ReceiptBuildError` (or a subclass) names the field when none can be made."""
    sign = Decimal(-1) if order.is_refund else Decimal(1)
    counted = _advance_taken_back(order, sign)
    priced = [p for index, line in enumerate(order.lines)
              if index not in counted and (p := _priced(index, line, sign)) is not None]
    total = sum((p.amount for p in priced), Decimal(0))
    prepayment = round_rubles(order.prepayment) + sum(counted.values(), Decimal(0))
    order_total = round_rubles(order.amount_total) * sign + sum(counted.values(), Decimal(0))  # 4999.9999 is 5000
    if total != order_total:
        raise TotalMismatch("amount_total", total, order_total)
    if total <= 0:
        raise ReceiptBuildError("amount_total", f"the order's total is {order.amount_total}: nothing to fiscalize"
                                if priced else "the order has no lines")
    body: dict[str, Any] = {
        "pos_id": pos_id,
        "type": "refund" if order.is_refund else "sale",
        "items": [item for p in _spread_discounts(priced) for item in _items(p)],
        "total": format_rubles(total),
        **_settlement(order, sign, total, prepayment),
    }
    if order.cashier is not None and order.cashier.name.strip():
        body["cashier"] = {"name": order.cashier.name.strip()[:MAX_CASHIER_NAME]}
        if order.cashier.inn:
            body["cashier"]["inn"] = order.cashier.inn.strip()
    if order.buyer_contact and order.buyer_contact.strip():
        body["buyer_contact"] = buyer_contact(order.buyer_contact)
    return body


def buyer_contact(contact: str) -> str:
    """Tag 1008 as the adapter takes it: an e-mail as given, a Russian phone as +7 and 10 digits."""
    text = contact.strip()
    if "@" in text:
        return text
    match = _RUSSIAN_PHONE.fullmatch(_PHONE_SEPARATORS.sub("", text))
    if match is None:
        raise ReceiptBuildError("buyer_contact", f"{contact!r} is neither a phone (+7 and 10 digits) nor an e-mail")
    return f"+7{match.group(1)}"


def _advance_taken_back(order: OrderSnapshot, sign: Decimal) -> dict[int, Decimal]:
    """The lines that count an earlier advance (1214 = 1, 2, 3, quantity against the receipt's sense), by index,
    with the amount each counts (positive)."""
    counted = {}
    for index, line in enumerate(order.lines):
        if line.payment_method_sign in ADVANCE_SIGNS and line.quantity * sign < 0:
            counted[index] = -amount_with_vat(line, f"lines[{index}].taxes") * sign
    return counted


def _priced(index: int, line: OrderLine, sign: Decimal) -> _Priced | None:
    field = f"lines[{index}]"
    quantity = line.quantity * sign
    if quantity == 0:
        return None
    if quantity < 0:
        raise ReceiptBuildError(f"{field}.quantity", "a returned item in a sale, or a sold one in a refund: a "
                                                     "receipt is one or the other, so make two orders")
    if quantity != quantity.quantize(QUANTITY_STEP):
        raise ReceiptBuildError(f"{field}.quantity", f"{line.quantity} has more than three decimal places")
    rate = line_vat_rate(line, f"{field}.taxes")
    return _Priced(index, line, quantity, amount_with_vat(line, f"{field}.taxes") * sign, rate)


def _spread_discounts(priced: list[_Priced]) -> list[_Priced]:
    """Lines with a negative amount taken off the lines of their VAT rate, in proportion, to the kopeck
    (largest remainders first, ties to the earlier line)."""
    goods = [p for p in priced if p.amount >= 0]
    for discount in (p for p in priced if p.amount < 0):
        targets = [i for i, p in enumerate(goods) if p.rate == discount.rate and p.amount > 0]
        amounts = [_kopecks(goods[i].amount) for i in targets]
        cut, base = _kopecks(-discount.amount), sum(amounts)
        if cut > base:
            raise ReceiptBuildError(f"lines[{discount.index}]",
                                    f"a discount of {-discount.amount} at VAT {discount.rate} exceeds the "
                                    f"{format_rubles(Decimal(base) * KOPECK)} of the lines at that rate")
        shares = [amount * cut // base for amount in amounts]
        by_remainder = sorted(range(len(amounts)), key=lambda k: (-(amounts[k] * cut % base), k))
        for k in by_remainder[: cut - sum(shares)]:
            shares[k] += 1
        for i, share in zip(targets, shares, strict=True):
            goods[i] = replace(goods[i], amount=goods[i].amount - Decimal(share) * KOPECK)
    return goods


def _items(p: _Priced) -> list[dict[str, Any]]:
    field = f"lines[{p.index}]"
    name = p.line.product_name.strip()[:MAX_NAME]
    if not name:
        raise ReceiptBuildError(f"{field}.product_name", "a receipt item needs a name")
    codes = p.line.marking_codes
    if codes:
        if p.quantity != len(codes):
            raise ReceiptBuildError(f"{field}.marking_codes", f"{len(codes)} marking code(s) for a quantity of "
                                                              f"{p.quantity}: one code per unit")
        return [_item(p, name, Decimal(1), price, code) for code, price in zip(codes, _shares(p.amount, len(codes)),
                                                                                strict=True)]
    price = round_rubles(p.amount / p.quantity)
    if round_rubles(price * p.quantity) == p.amount:
        return [_item(p, name, p.quantity, price)]
    if p.quantity == p.quantity.to_integral_value():
        units = int(p.quantity)
        low = floor_rubles(p.amount / units)
        dearer = int((p.amount - low * units) / KOPECK)  # units that cost one kopeck more, fewer than `units`
        return [_item(p, name, Decimal(count), unit) for count, unit in ((units - dearer, low), (dearer, low + KOPECK))
                if count]
    for near in (price - KOPECK, price + KOPECK):
        if near >= 0 and round_rubles(near * p.quantity) == p.amount:
            return [_item(p, name, p.quantity, near)]
    raise ReceiptBuildError(f"{field}.quantity", f"no unit price in kopecks gives {p.amount} for a quantity of "
                                                 f"{p.quantity}")


def _item(p: _Priced, name: str, quantity: Decimal, price: Decimal, marking_code: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, "quantity": format_quantity(quantity), "price": format_rubles(price),
                            "tax_rate": p.rate}
    if p.line.payment_method_sign != FULL_PAYMENT:
        item["payment_method_sign"] = p.line.payment_method_sign
    if p.line.subject_sign is not None:
        item["subject_sign"] = p.line.subject_sign
    if marking_code is not None:
        item["marking_code"] = marking_code
    return item


def _shares(amount: Decimal, count: int) -> list[Decimal]:
    """`amount` in `count` parts to the kopeck, the first ones a kopeck more where it does not divide."""
    low, extra = divmod(_kopecks(amount), count)
    return [Decimal(low + (1 if k < extra else 0)) * KOPECK for k in range(count)]


def _settlement(order: OrderSnapshot, sign: Decimal, total: Decimal, prepayment: Decimal) -> dict[str, Any]:
    """How the total was paid: cash net of the change given back, card, an advance counted, other."""
    paid = {"cash": Decimal(0), "card": Decimal(0), "other": Decimal(0)}
    for payment in order.payments:
        paid[payment.kind] += round_rubles(payment.amount) * sign
    for what in ("card", "other"):
        if paid[what] < 0:
            raise PaymentMismatch("payments", f"{what} payments add up to {paid[what]}")
    if not 0 <= prepayment <= total:
        raise PaymentMismatch("prepayment", f"an advance of {prepayment} counted on a total of {total}")
    due = total - prepayment
    change = sum(paid.values(), Decimal(0)) - due
    if change < 0:
        raise PaymentMismatch("payments", f"{due} due, {due + change} paid: {-change} short")
    if change > paid["cash"]:
        raise PaymentMismatch("payments", f"{change} to give back, more than the {paid['cash']} paid in cash "
                                          f"(only cash is given back)")
    methods = [(method, amount) for method, amount in (("cash", paid["cash"] - change), ("card", paid["card"]))
               if amount > 0]
    body: dict[str, Any] = {}
    if len(methods) == 1:
        body["payment_method"] = methods[0][0]
    elif methods:
        body["payments"] = [{"method": method, "amount": format_rubles(amount)} for method, amount in methods]
    if prepayment:
        body["prepayment"] = format_rubles(prepayment)
    if paid["other"]:
        body["other_consideration"] = format_rubles(paid["other"])
    return body


def _kopecks(amount: Decimal) -> int:
    return int(amount / KOPECK)
