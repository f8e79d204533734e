"""fiscal.strict_json and fiscal.numbers: one reader that refuses what could be read two ways, or slowly."""

from __future__ import annotations

import codecs
import time
from decimal import Decimal

import pytest

from fiscal.numbers import MAX_DIGITS, MAX_EXPONENT, NumberRefused, bounded_decimal, bounded_int
from fiscal.strict_json import JsonRefused, loads


def refusal(raw: bytes | str) -> str:
    with pytest.raises(JsonRefused) as caught:
        loads(raw)
    return caught.value.problem


def test_numbers_are_exact_decimals_and_integers() -> None:
    assert loads(b'{"price": 5000.00, "quantity": 1, "rate": 1e1}') == {
        "price": Decimal("5000.00"), "quantity": 1, "rate": Decimal("1E+1")}


def test_floats_can_be_read_as_floats_where_a_caller_wants_them() -> None:
    assert loads(b'{"delay": 0.5}', parse_float=float) == {"delay": 0.5}


def test_a_duplicate_key_is_refused_naming_it() -> None:
    assert "duplicate key 'total'" in refusal(b'{"total": 1, "total": 5000.0}')


def test_a_duplicate_key_in_a_nested_object_is_refused_too() -> None:
    assert "duplicate key 'price'" in refusal(b'{"items": [{"price": 1, "name": "a", "price": 2}]}')


def test_the_same_key_in_two_objects_is_no_duplicate() -> None:
    assert loads(b'[{"a": 1}, {"a": 2}]') == [{"a": 1}, {"a": 2}]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_a_byte_order_mark_is_refused(encoding: str) -> None:
    bom = {"utf-8-sig": b"", "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
           "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}[encoding]
    assert "byte order mark" in refusal(bom + '{"a": 1}'.encode(encoding))


def test_a_byte_order_mark_in_text_is_refused() -> None:
    assert "byte order mark" in refusal('\ufeff{"a": 1}')


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_utf16_and_utf32_without_a_bom_are_refused(encoding: str) -> None:
    assert "send UTF-8" in refusal('{"a": 1}'.encode(encoding))


def test_bytes_that_are_not_utf8_are_refused_naming_the_byte() -> None:
    assert refusal(b'{"a": "\xff"}') == "not UTF-8: byte 0xff at position 7"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(constant: str) -> None:
    assert "not a JSON number" in refusal(f'{{"total": {constant}}}')


@pytest.mark.parametrize("literal", ["1e300000", "1e999999", "-1e-999999", "1.5E+41", "0.1e99999999999"])
def test_a_huge_exponent_is_refused_at_once(literal: str) -> None:
    began = time.thread_time()  # the hazard burns CPU; a busy machine stretches a wall clock, not this one
    assert f"exponent beyond ±{MAX_EXPONENT}" in refusal(f'{{"tax_rate": {literal}}}')
    assert time.thread_time() - began < 0.05


@pytest.mark.parametrize("literal", ["9" * (MAX_DIGITS + 1), "0." + "0" * MAX_DIGITS + "1", "9" * 4000])
def test_a_number_with_too_many_digits_is_refused(literal: str) -> None:
    assert "digits" in refusal(f'{{"total": {literal}}}')


def test_malformed_json_says_where() -> None:
    assert refusal(b'{"pos_id": ').startswith("malformed JSON: Expecting value: line 1 column 12")


def test_deep_nesting_is_refused_not_a_crash() -> None:
    assert refusal(b"[" * 100_000 + b"]" * 100_000) == "nested too deeply"


@pytest.mark.parametrize("text, value", [
    ("5000.00", Decimal("5000.00")), (" 22 ", Decimal(22)), ("-.5", Decimal("-0.5")), ("1e40", Decimal("1e40")),
    ("9" * MAX_DIGITS, Decimal("9" * MAX_DIGITS)),
])
def test_a_numeric_string_within_the_bounds_is_its_decimal(text: str, value: Decimal) -> None:
    assert bounded_decimal(text) == value


@pytest.mark.parametrize("text", ["1e300000", "1e-41", "9" * (MAX_DIGITS + 1), "", ".", "1_000", "NaN", "Infinity",
                                  "٢٢", "0x10", "1e", "--1"])
def test_a_numeric_string_out_of_bounds_or_no_number_is_refused(text: str) -> None:
    with pytest.raises(NumberRefused):
        bounded_decimal(text)


def test_an_integer_string_must_be_an_integer() -> None:
    assert bounded_int("-42") == -42
    with pytest.raises(NumberRefused, match="not an integer"):
        bounded_int("4.2")


def test_a_refusal_quotes_a_long_number_shortened() -> None:
    with pytest.raises(NumberRefused) as caught:
        bounded_decimal("1" * 5000)
    assert len(str(caught.value)) < 100

