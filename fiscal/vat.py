"""Tag 1199: the VAT rates a register takes in 2026 and their codes, as the adapter writes them and an OFD
reads them. Kept once, here, so the two cannot drift apart.

From 2026-01-01 the standard rate is 22% (425-FZ). The codes for 22% and 22/122 (11 and 12) are not
confirmed from a primary source; they are what some code uses, and the adapter lets settings remap a rate
to another code of this table (`VAT_TAG_OVERRIDES`).
"""

from __future__ import annotations

VAT_RATE_CODES: dict[str, int] = {
    "20": 1, "10": 2, "20/120": 3, "10/110": 4, "0": 5, "none": 6,
    "5": 7, "7": 8, "5/105": 9, "7/107": 10, "22": 11, "22/122": 12,
}  # fmt: skip


def _name(rate: str) -> str:
    return "no VAT" if rate == "none" else rate if "/" in rate else f"{rate}%"


VAT_CODE_NAMES: dict[int, str] = {code: _name(rate) for rate, code in VAT_RATE_CODES.items()}
