"""The device's tax table: what a tax byte of a Shtrih-M command means, as a `fiscal.vat` rate name.

A tax byte is no tag-1199 value: 0x80/0x82 name a row of the device's table (1-based; 0 = no tax group,
which we take as "none", no VAT), FF46 sets the row's bit (row n = bit n-1, so only rows 1-8 are reachable).
A real device's table is programmable (table 6) and ships with 20%, 10%, 0%, no VAT, 20/120, 10/110 in rows
1-6. Our default keeps that order with the 2026 standard rate (22%, 425-FZ) in the rows of 20% and 20/120,
and adds the rates a register now needs after them; the rows are our choice, not a vendor's, so a host and
the emulator are given the same `TaxTable` (or both keep the default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..fn.vat import RATE_FRACTIONS

DEFAULT_RATES: tuple[str, ...] = ("22", "10", "0", "none", "22/122", "10/110", "5", "7", "5/105", "7/107", "20",
                                  "20/120")
FF46_ROWS = 8  # a one-byte bit mask


@dataclass(frozen=True)
class TaxTable:
    rates: tuple[str, ...] = DEFAULT_RATES

    def __post_init__(self) -> None:
        unknown = [rate for rate in self.rates if rate not in RATE_FRACTIONS]
        if unknown:
            raise ValueError(f"unknown VAT rates {unknown}; known: {sorted(RATE_FRACTIONS)}")
        if len(set(self.rates)) != len(self.rates):
            raise ValueError("a rate appears twice in the tax table")
        if not 1 <= len(self.rates) <= 255:
            raise ValueError("a tax table has 1 to 255 rows")

    @classmethod
    def of(cls, rates: Sequence[str]) -> TaxTable:
        return cls(tuple(rates))

    def rate(self, row: int) -> str | None:
        """The rate of a 0x80 tax byte (0: no tax group, "none"); None for a row the table lacks."""
        if row == 0:
            return "none"
        return self.rates[row - 1] if 1 <= row <= len(self.rates) else None

    def row(self, rate: str) -> int:
        """The 0x80 tax byte for a rate; KeyError if the table has no such row."""
        try:
            return self.rates.index(rate) + 1
        except ValueError:
            raise KeyError(f"the tax table has no row for VAT rate {rate!r}") from None

    def rate_of_bits(self, bits: int) -> str | None:
        """The rate of an FF46 tax byte: exactly one bit set, for a row the table has."""
        if bits <= 0 or bits & (bits - 1):
            return None
        return self.rate(bits.bit_length())

    def bits(self, rate: str) -> int:
        """The FF46 tax byte for a rate; KeyError if its row is past the 8 a bit mask can name."""
        row = self.row(rate)
        if row > FF46_ROWS:
            raise KeyError(f"VAT rate {rate!r} is in row {row}; FF46 names rows 1-{FF46_ROWS} only")
        return 1 << (row - 1)


DEFAULT_TAX_TABLE = TaxTable()
