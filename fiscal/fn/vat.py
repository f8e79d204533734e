"""VAT sums in kopecks, exactly as a register computes them from sums that include VAT.

For a rate r (20, 10, 22, 5, 7, or the fractions 20/120, ...), an item's VAT (tag 1200) is
sum * r / (100 + r), rounded half-up to the kopeck. The receipt's sum per rate is the sum of its items'
rounded VATs, not the VAT of the summed items, so the receipt always equals what its items show (the two
can differ by a kopeck per item). Rates 0 and "none" have no VAT.

Sums per rate are keyed by rate name (`{"22": 90164, "none": 0}`). The FFD tag each goes to, where known:
1102 20%, 1103 10%, 1104 0%, 1105 no VAT, 1106 20/120, 1107 10/110. The tags for 22%, 22/122, 5%, 7%,
5/105 and 7/107 are not confirmed from a primary source, so `VAT_SUM_TAGS` leaves them out.
"""

from __future__ import annotations

from collections.abc import Iterable

RATE_FRACTIONS: dict[str, tuple[int, int] | None] = {
    "22": (22, 122), "20": (20, 120), "10": (10, 110), "7": (7, 107), "5": (5, 105),
    "22/122": (22, 122), "20/120": (20, 120), "10/110": (10, 110), "7/107": (7, 107), "5/105": (5, 105),
    "0": None, "none": None,
}  # fmt: skip

VAT_SUM_TAGS: dict[str, int] = {"20": 1102, "10": 1103, "0": 1104, "none": 1105, "20/120": 1106, "10/110": 1107}


def vat_sum(rate: str, amount: int) -> int:
    """Tag 1200: the VAT inside `amount` kopecks at `rate`, half-up to the kopeck (refund sums are positive too)."""
    fraction = RATE_FRACTIONS[rate]
    if fraction is None:
        return 0
    part, whole = fraction
    sign = -1 if amount < 0 else 1
    return sign * ((2 * abs(amount) * part + whole) // (2 * whole))


def vat_sums(items: Iterable[tuple[str, int]]) -> dict[str, int]:
    """The receipt's VAT per rate from its (rate, item VAT) pairs: the sum of the items' rounded VATs."""
    sums: dict[str, int] = {}
    for rate, vat in items:
        sums[rate] = sums.get(rate, 0) + vat
    return sums
