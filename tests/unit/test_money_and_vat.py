"""Money in kopecks and the VAT table."""

from decimal import Decimal

import pytest

from kkt_adapter.money import format_rubles, item_sum_kopecks, to_kopecks
from kkt_adapter.vat import DEFAULT_TAG_1199, parse_rate, tag_table


def test_rubles_become_exact_kopecks() -> None:
    assert to_kopecks(Decimal("5000.00")) == 500000
    assert to_kopecks(Decimal("0.10")) == 10


def test_an_item_sum_rounds_half_up_to_the_kopeck() -> None:
    assert item_sum_kopecks(Decimal("10.05"), Decimal("0.333")) == 335  # 3.34665
    assert item_sum_kopecks(Decimal("0.01"), Decimal("0.5")) == 1  # 0.005 rounds up


def test_kopecks_are_shown_as_rubles_with_two_places() -> None:
    assert format_rubles(500000) == "5000.00"
    assert format_rubles(5) == "0.05"
    assert format_rubles(-150) == "-1.50"


@pytest.mark.parametrize("given, rate", [(22, "22"), ("22%", "22"), (Decimal("20.0"), "20"), ("22/122", "22/122"),
                                         ("None", "none"), ("no_vat", "none"), (0, "0"), (5, "5"), ("7/107", "7/107")])
def test_a_vat_rate_is_read_in_the_forms_a_pos_sends(given: object, rate: str) -> None:
    assert parse_rate(given) == rate


@pytest.mark.parametrize("given", [18, "18/118", True, None, "twenty", 20.5, [20]])
def test_a_rate_no_register_takes_is_refused(given: object) -> None:
    with pytest.raises(ValueError, match="VAT rate"):
        parse_rate(given)


def test_the_2019_codes_stay_and_22_percent_has_its_own() -> None:
    assert DEFAULT_TAG_1199["20"] == 1 and DEFAULT_TAG_1199["10"] == 2 and DEFAULT_TAG_1199["none"] == 6
    assert DEFAULT_TAG_1199["22"] not in {code for rate, code in DEFAULT_TAG_1199.items() if rate != "22"}


def test_the_tag_table_can_be_overridden_without_code() -> None:
    assert tag_table({"22": 1})["22"] == 1
    assert tag_table({})["22"] == 11
