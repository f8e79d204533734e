"""Money is counted in integer kopecks, as the fiscal drive counts it (tag 1020 and friends).

Below both the adapter and the fiscal drive model: the drive prints rubles in the QR string, the adapter
converts a POS's decimals.
"""

from decimal import ROUND_HALF_UP, Decimal

KOPECK = Decimal("0.01")


def to_kopecks(rubles: Decimal) -> int:
    """Exact conversion; callers validate that at most two decimal places are given."""
    return int((rubles * 100).to_integral_value(rounding=ROUND_HALF_UP))


def item_sum_kopecks(price: Decimal, quantity: Decimal) -> int:
    """Tag 1043: price times quantity, rounded half-up to the kopeck as registers do."""
    return to_kopecks((price * quantity).quantize(KOPECK, rounding=ROUND_HALF_UP))


def format_rubles(kopecks: int) -> str:
    """'5000.00': the form the QR string (s=) and our JSON answers use."""
    sign = "-" if kopecks < 0 else ""
    whole, part = divmod(abs(kopecks), 100)
    return f"{sign}{whole}.{part:02d}"
