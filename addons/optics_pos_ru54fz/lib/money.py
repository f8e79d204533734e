"""Rubles as Decimals, rounded half-up to the kopeck as the register and the OFD round; never a float."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

KOPECK = Decimal("0.01")
QUANTITY_STEP = Decimal("0.001")  # tag 1023 takes three decimal places


def round_rubles(amount: Decimal) -> Decimal:
    return amount.quantize(KOPECK, rounding=ROUND_HALF_UP)


def floor_rubles(amount: Decimal) -> Decimal:
    """Towards zero, to the kopeck (for the smaller of two unit prices that share a line's sum)."""
    return amount.quantize(KOPECK, rounding=ROUND_DOWN)


def format_rubles(amount: Decimal) -> str:
    """"5000.00": a string, so JSON carries the exact amount and no float ever holds it."""
    return str(round_rubles(amount))


def format_quantity(quantity: Decimal) -> str:
    """"1", "2.5", "0.125": at most three places (the caller checks), no exponent, no trailing zeros."""
    text = format(quantity.quantize(QUANTITY_STEP), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
