"""VAT rates a Russian register takes in 2026 and their FFD tag 1199 codes.

The rate-to-code table lives in `fiscal.vat` (the OFD emulator reads the same one); settings can remap a rate
to another of its codes (`VAT_TAG_OVERRIDES`) without touching code.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from fiscal.numbers import NumberRefused, bounded_decimal
from fiscal.vat import VAT_RATE_CODES

DEFAULT_TAG_1199: dict[str, int] = dict(VAT_RATE_CODES)

RATES = tuple(DEFAULT_TAG_1199)
_ALIASES = {"no_vat": "none", "novat": "none", "без ндс": "none", "vat0": "0"}


def parse_rate(value: object) -> str:
    """Canonical rate name from what a POS sends: 22, 22.0, "22", "22%", "22/122", "none"."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"VAT rate must be one of {', '.join(RATES)}")
    if isinstance(value, int | Decimal | float):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip().lower().removesuffix("%").strip()
    else:
        raise ValueError(f"VAT rate must be a number or a string, one of {', '.join(RATES)}")
    text = _ALIASES.get(text, text)
    if "/" not in text and text != "none":
        try:
            number = bounded_decimal(text)  # bounded first: "1e300000" would take seconds to make an int of
        except NumberRefused:
            number = None
        if number is not None and number == number.to_integral_value():
            text = str(int(number))
    if text not in DEFAULT_TAG_1199:
        raise ValueError(f"unknown VAT rate {value!r}; a register takes {', '.join(RATES)}")
    return text


def tag_table(overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """The effective rate → tag 1199 table."""
    table = dict(DEFAULT_TAG_1199)
    for rate, code in (overrides or {}).items():
        table[parse_rate(rate)] = int(code)
    return table
