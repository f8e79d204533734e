"""A paid POS order as the Odoo side reads it, frozen, so the request is built from values, not records.

Numbers are as Odoo stores them: unit prices with or without VAT as the line's tax says, discounts in percent,
and on a refund negative quantities, totals and payments. Floats from Odoo's fields become Decimals through
their shortest text (`0.1` is `Decimal("0.1")`), never through binary expansion.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

PaymentKind = Literal["cash", "card", "other"]
PAYMENT_KINDS = ("cash", "card", "other")
TAX_AMOUNT_TYPES = ("percent", "division", "fixed", "group", "code")
FULL_PAYMENT = 4  # tag 1214


def to_decimal(value: Decimal | int | float | str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError(f"a number was expected, not {value!r}")
    if isinstance(value, int | float | str):
        number = Decimal(str(value))
        if not number.is_finite():
            raise ValueError(f"a finite number was expected, not {value!r}")
        return number
    raise TypeError(f"a number was expected, not {value!r}")


def _decimals(instance: object, *names: str) -> None:
    for name in names:
        object.__setattr__(instance, name, to_decimal(getattr(instance, name)))


@dataclass(frozen=True)
class Tax:
    """An `account.tax` as far as the receipt needs it.

    `kkt_rate`, when set, is the adapter's rate chosen for this tax by hand ("0" or "none" for a 0% tax, a
    calculated rate such as "20/120"); otherwise the rate follows from `amount` and `amount_type`.
    """

    name: str
    amount: Decimal | int | float | str
    amount_type: str = "percent"
    price_include: bool = False
    kkt_rate: str | None = None

    def __post_init__(self) -> None:
        _decimals(self, "amount")
        if self.amount_type not in TAX_AMOUNT_TYPES:
            raise ValueError(f"tax {self.name!r}: amount_type {self.amount_type!r} is not one of {TAX_AMOUNT_TYPES}")


@dataclass(frozen=True)
class OrderLine:
    """A `pos.order.line`: quantity negative on a refund, `discount` in percent, `taxes` as on the line."""

    product_name: str
    quantity: Decimal | int | float | str
    price_unit: Decimal | int | float | str
    discount: Decimal | int | float | str = Decimal(0)
    taxes: tuple[Tax, ...] = ()
    payment_method_sign: int = FULL_PAYMENT  # tag 1214: 3 for an advance, 4 for goods handed over now
    subject_sign: int | None = None  # tag 1212: 1 goods (the adapter's default), 4 a service, ...
    marking_codes: tuple[str, ...] = ()  # tag 2000, one per unit, as scanned

    def __post_init__(self) -> None:
        _decimals(self, "quantity", "price_unit", "discount")
        object.__setattr__(self, "taxes", tuple(self.taxes))
        object.__setattr__(self, "marking_codes", tuple(self.marking_codes))


@dataclass(frozen=True)
class Payment:
    """A `pos.payment`: its method's kind and the amount (cash may exceed the total; the change is given back)."""

    kind: PaymentKind
    amount: Decimal | int | float | str

    def __post_init__(self) -> None:
        _decimals(self, "amount")
        if self.kind not in PAYMENT_KINDS:
            raise ValueError(f"payment kind {self.kind!r} is not one of {PAYMENT_KINDS}")


@dataclass(frozen=True)
class Cashier:
    """Tags 1021 / 1203: who sold (the order's employee or user), printed on the receipt."""

    name: str
    inn: str | None = None


@dataclass(frozen=True)
class OrderSnapshot:
    """A paid `pos.order`: `amount_total` is Odoo's, the total the receipt must match to the kopeck.

    `prepayment` is an advance taken on an earlier receipt and counted on this one (tag 1215, the final receipt
    of a made-to-order pair); `buyer_contact` a phone or e-mail for the electronic receipt; `uuid` (the POS's
    own, when it made one) and `order_id` are what `keys.order_key` makes the idempotency key of.
    """

    name: str
    lines: tuple[OrderLine, ...]
    amount_total: Decimal | int | float | str
    payments: tuple[Payment, ...] = ()
    is_refund: bool = False
    uuid: str | None = None
    order_id: int | None = None
    prepayment: Decimal | int | float | str = Decimal(0)
    cashier: Cashier | None = None
    buyer_contact: str | None = None

    def __post_init__(self) -> None:
        _decimals(self, "amount_total", "prepayment")
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "payments", tuple(self.payments))
