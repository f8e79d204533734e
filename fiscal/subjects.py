"""What an item is (tag 1212, the subject of settlement), checked alike by the adapter and the OFD.

An optics shop sells goods (1), marked goods with their code (33: spectacle frames and lenses fall under
marking rules in some categories) and services (4: an eye test, a fitting). A code scanned from the item
(2000 marking code, or 1162) makes it marked goods with a code: 33, or 31 for excise goods. A marking code
names one unit, so an item carrying one is sold one at a time (our rule for piece goods: FFD 1.2 also knows
fractional quantities of marked goods sold by weight or volume, which an optics shop does not sell).
"""

from __future__ import annotations

from decimal import Decimal

GOODS = 1
MARKED_GOODS = 33  # goods with a marking code
MARKED_WITH_CODE = frozenset({31, 33})  # excise and other goods, each with its marking code
# FFD 1.2 values of tag 1212.
SUBJECT_SIGNS = frozenset(range(1, 28)) | frozenset(range(30, 34))


def default_subject_sign(has_code: bool) -> int:
    return MARKED_GOODS if has_code else GOODS


def subject_sign_problem(sign: int, has_code: bool) -> str | None:
    """Why `sign` cannot be this item's tag 1212 (`has_code`: it carries a marking code 2000 or 1162), or None."""
    if sign not in SUBJECT_SIGNS:
        return f"{sign} is not a subject of settlement (tag 1212: 1-27 or 30-33)"
    if has_code and sign not in MARKED_WITH_CODE:
        return f"an item with a marking code is marked goods with its code (33, or 31 if excise), not {sign}"
    if not has_code and sign in MARKED_WITH_CODE:
        return f"{sign} is marked goods with a code: give the item's marking_code"
    return None


def marked_quantity_problem(quantity: object, has_marking_code: bool) -> str | None:
    """Why an item with a marking code (2000) cannot have this quantity (a Decimal or decimal string), or None."""
    if has_marking_code and Decimal(str(quantity)) != 1:
        return "an item with a marking code is one unit: sell each marked unit as its own item, quantity 1"
    return None
