"""Odoo's taxes as the register knows them: one VAT rate per line, and the line's amount with VAT.

A line carries at most one tax, a percentage VAT of a rate the register takes (22, 20, 10, 7, 5, 0), or a
tax whose register rate was set by hand (`Tax.kkt_rate`: "none" for goods without VAT, a calculated rate).
Anything else is an error naming the line and the tax: guessing a rate would put a wrong VAT sum in the FN.

The line's amount follows Odoo's per-line rounding (its default): the price after the discount times the
quantity, rounded to the kopeck; a tax included in the price leaves that as the total, a tax on top adds its
own amount rounded to the kopeck. Advances (tag 1214 = 1, 2, 3) take the calculated rate (22 -> 22/122), as the
law requires for money taken before the goods are handed over.
"""

from __future__ import annotations

from decimal import Decimal

from .errors import TaxMappingError
from .money import round_rubles
from .snapshot import OrderLine, Tax

PERCENT_RATES = ("22", "20", "10", "7", "5", "0")
CALCULATED_RATES = {"22": "22/122", "20": "20/120", "10": "10/110", "7": "7/107", "5": "5/105"}
VAT_RATES = (*PERCENT_RATES, *CALCULATED_RATES.values(), "none")
ADVANCE_SIGNS = frozenset({1, 2, 3})  # tag 1214: full prepayment, partial prepayment, advance


def tax_rate(tax: Tax, field: str = "taxes") -> str:
    """The register's rate for one tax; `TaxMappingError` when it has none."""
    if tax.amount_type != "percent":
        raise TaxMappingError(field, f"tax {tax.name!r} is a {tax.amount_type!r} tax; a receipt line takes a "
                                     f"percentage VAT")
    percent = _percent(tax.amount)
    if tax.kkt_rate is not None:
        if tax.kkt_rate not in VAT_RATES:
            raise TaxMappingError(field, f"tax {tax.name!r}: register rate {tax.kkt_rate!r} is not one of "
                                         f"{', '.join(VAT_RATES)}")
        expected = "0" if tax.kkt_rate == "none" else tax.kkt_rate.split("/")[0]
        if percent != expected:
            raise TaxMappingError(field, f"tax {tax.name!r} is {tax.amount}% but its register rate is "
                                         f"{tax.kkt_rate!r}")
        return tax.kkt_rate
    if percent not in PERCENT_RATES:
        raise TaxMappingError(field, f"tax {tax.name!r}: {tax.amount}% is not a VAT rate a register takes "
                                     f"({', '.join(PERCENT_RATES)}%)")
    return percent


def line_vat_rate(line: OrderLine, field: str = "taxes") -> str:
    """The rate of the line's one tax ("none" without a tax); calculated for an advance."""
    tax = line_tax(line, field)
    if tax is None:
        return "none"
    rate = tax_rate(tax, field)
    if line.payment_method_sign in ADVANCE_SIGNS:
        rate = CALCULATED_RATES.get(rate, rate)
    return rate


def line_tax(line: OrderLine, field: str = "taxes") -> Tax | None:
    if len(line.taxes) > 1:
        names = ", ".join(repr(tax.name) for tax in line.taxes)
        raise TaxMappingError(field, f"{len(line.taxes)} taxes on one line ({names}); a receipt line takes one "
                                     f"VAT rate")
    return line.taxes[0] if line.taxes else None


def amount_with_vat(line: OrderLine, field: str = "taxes") -> Decimal:
    """What the line costs the buyer, VAT included, rounded to the kopeck; negative on a refund, as in Odoo."""
    base = round_rubles(line.price_unit * (1 - line.discount / 100) * line.quantity)
    tax = line_tax(line, field)
    if tax is None:
        return base
    tax_rate(tax, field)  # a percentage VAT, or an error: no other kind of tax is computed here
    return base if tax.price_include else base + round_rubles(base * tax.amount / 100)


def _percent(amount: Decimal) -> str:
    return str(int(amount)) if amount == amount.to_integral_value() else str(amount)

