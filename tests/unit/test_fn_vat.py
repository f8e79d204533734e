"""VAT sums in kopecks: per item (tag 1200) and per rate on the receipt (1102-1107)."""

from __future__ import annotations

import pytest

from fiscal.fn.vat import RATE_FRACTIONS, VAT_SUM_TAGS, vat_sum, vat_sums
from fiscal.vat import VAT_RATE_CODES


@pytest.mark.parametrize(("rate", "amount", "vat"), [
    ("22", 500000, 90164),  # 5000.00 * 22/122 = 901.639...
    ("22/122", 500000, 90164),
    ("20", 12000, 2000),
    ("20/120", 12000, 2000),
    ("10", 11000, 1000),
    ("10/110", 100, 9),  # 9.09 kopecks
    ("7", 10700, 700),
    ("5", 10500, 500),
    ("7/107", 1, 0),
    ("0", 500000, 0),
    ("none", 500000, 0),
])
def test_an_items_vat_is_its_sum_times_r_over_100_plus_r_to_the_kopeck(rate: str, amount: int, vat: int) -> None:
    assert vat_sum(rate, amount) == vat


def test_half_a_kopeck_rounds_up() -> None:
    assert vat_sum("20", 3) == 1  # 0.5 kopeck
    assert vat_sum("10", 55) == 5  # 5.0 kopecks exactly
    assert vat_sum("10", 77) == 7  # 7.0
    assert vat_sum("20", 9) == 2  # 1.5 -> 2


def test_the_receipts_sum_per_rate_adds_the_items_rounded_vats() -> None:
    items = [("20", vat_sum("20", 3)), ("20", vat_sum("20", 3)), ("none", 0)]
    assert vat_sums(items) == {"20": 2, "none": 0}  # not the VAT of 6 kopecks, which is 1


def test_every_rate_a_register_takes_has_a_vat_rule() -> None:
    assert set(RATE_FRACTIONS) == set(VAT_RATE_CODES)


def test_only_the_confirmed_rates_name_an_ffd_tag() -> None:
    assert VAT_SUM_TAGS == {"20": 1102, "10": 1103, "0": 1104, "none": 1105, "20/120": 1106, "10/110": 1107}
