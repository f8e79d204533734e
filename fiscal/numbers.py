"""Numbers bounded before they are converted, so a short text cannot cost seconds.

`Decimal("1e300000")` is cheap to make, but quantizing it or turning it into an int grows with the square
of the exponent: 2 s for 1e300000, 24 s for 1e999999, all of it with the event loop frozen. No fiscal value
needs more than a few digits, so every number a body carries (rates, prices, quantities, totals, payments,
ids), whether a JSON number or a string, is checked here first: at most `MAX_DIGITS` digits and an
exponent of at most `MAX_EXPONENT` either way. Only then is it converted.
"""

from __future__ import annotations

import re
from decimal import Decimal

MAX_DIGITS = 40
MAX_EXPONENT = 40

# What JSON and a POS write: ASCII digits, an optional sign, point and exponent; no "_", no "NaN".
_NUMBER = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")


class NumberRefused(ValueError):
    """A number too long or too large to convert safely, or no number at all; the text says which."""


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 24 else repr(text[:20] + "...")


def check_number(text: str) -> str:
    """`text`, stripped, if it is a plain decimal number within the bounds; otherwise `NumberRefused`."""
    text = text.strip()
    match = _NUMBER.fullmatch(text)
    if match is None or not (match.group(2) or match.group(3)):
        raise NumberRefused(f"{_shown(text)} is not a number")
    digits = len(match.group(2)) + len(match.group(3) or "")
    if digits > MAX_DIGITS:
        raise NumberRefused(f"{_shown(text)} has {digits} digits; at most {MAX_DIGITS} are accepted")
    exponent = match.group(4)
    if exponent is not None and (len(exponent) > 6 or abs(int(exponent)) > MAX_EXPONENT):
        raise NumberRefused(f"{_shown(text)} has an exponent beyond ±{MAX_EXPONENT}")
    return text


def bounded_decimal(text: str) -> Decimal:
    """The Decimal a numeric string means, after `check_number`."""
    return Decimal(check_number(text))


def bounded_int(text: str) -> int:
    """The int an integer literal means, after `check_number` (no point, no exponent)."""
    text = check_number(text)
    if not text.lstrip("+-").isdigit():
        raise NumberRefused(f"{_shown(text)} is not an integer")
    return int(text)

