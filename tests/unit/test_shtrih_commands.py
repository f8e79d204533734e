"""Shtrih-M command layouts: every request and answer round-trips, and known byte strings come out exactly."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest

from fiscal.shtrih import commands as c
from fiscal.shtrih import tlv
from fiscal.shtrih.device_layouts import (
    CashAmount,
    CashAnswer,
    CloseCheck,
    CloseCheckAnswer,
    DeviceType,
    Empty,
    FullStatus,
    NoData,
    OpenCheck,
    OperatorNumber,
    PasswordOnly,
    Sale,
    ShortStatus,
)
from fiscal.shtrih.fn_layouts import (
    Acknowledge,
    Acknowledged,
    CloseCheckEx,
    CloseCheckExAnswer,
    DocumentChunk,
    FindDocument,
    FnExpiry,
    FnStatus,
    FoundDocument,
    OfdExchange,
    Operation,
    ReadDocument,
    SendTlv,
    ShiftParams,
    Unacknowledged,
)
from fiscal.shtrih.frames import build_frame
from fiscal.shtrih.layout import LayoutError
from fiscal.shtrih.modes import Mode, mode_byte, split_mode
from fiscal.shtrih.taxes import DEFAULT_TAX_TABLE, TaxTable

WHEN = datetime(2026, 11, 21, 10, 15)

REQUESTS: list[tuple[int, Any]] = [
    (c.DEVICE_TYPE, NoData()),
    (c.SHORT_STATUS, PasswordOnly(1)),
    (c.FULL_STATUS, PasswordOnly(30)),
    (c.OPEN_CHECK, OpenCheck(2, password=3)),
    (c.SALE, Sale(1500, 250000, (5, 0, 0, 0), "Линза Hoya 1.6", department=2)),
    (c.RETURN_SALE, Sale(1000, 99, (4, 0, 0, 0), "")),
    (c.CLOSE_CHECK, CloseCheck((100000, 200000, 0, 3), text="Спасибо")),
    (c.CASH_IN, CashAmount(1_000_000)),
    (c.FN_FIND_DOCUMENT, FindDocument(4_000_000_000)),
    (c.FN_SEND_TLV, SendTlv(tlv.string(tlv.CASHIER, "Иванов"))),
    (c.FN_OPERATION, Operation(1, 2_000_000, 150000, 1, "Оправа", subject=33, payment_method=1)),
    (c.FN_OPERATION, Operation(2, 1_000_000, 100, 8, amount=90, tax_amount=0)),
    (c.FN_CLOSE_CHECK_EX, CloseCheckEx.of(cash=5, electronic=6, prepayment=7, credit=8, other=9, taxation_system=2)),
    (c.ACKNOWLEDGE, Acknowledge(42, "ABCDEF0123")),
    (c.READ_DOCUMENT, ReadDocument(42, 400)),
]

ANSWERS: list[tuple[int, Any]] = [
    (c.DEVICE_TYPE, DeviceType(0, 0, 1, 13, 0x9A, 0, "ШТРИХ-М-01Ф")),
    (c.SHORT_STATUS, ShortStatus(1, 2, mode_byte(Mode.CHECK_OPEN, 2), 3, operations=300)),
    (c.FULL_STATUS, FullStatus(30, "C1", 7, date(2026, 1, 1), 1, 513, 2, 4, 0, 0, "C1", 8, date(2025, 12, 31),
                               date(2026, 11, 21), time(10, 15, 42), 0, 123456, 12, 0, 1, 11, 7700000009)),
    (c.SALE, OperatorNumber(28)),
    (c.OPEN_SHIFT, Empty()),
    (c.CLOSE_CHECK, CloseCheckAnswer(1, 12345)),
    (c.CASH_OUT, CashAnswer(1, 65535)),
    (c.FN_STATUS, FnStatus(3, 4, 1, True, 8, WHEN, "9999078900012345", 77)),
    (c.FN_STATUS, FnStatus(1, 0, 0, False, 0, None, "9999078900012345", 0)),
    (c.FN_EXPIRY, FnExpiry(date(2028, 2, 20), 11, 1)),
    (c.FN_OFD_EXCHANGE, OfdExchange(2, 0, 5, 3, WHEN)),
    (c.FN_UNACKNOWLEDGED, Unacknowledged(5)),
    (c.FN_SHIFT_PARAMS, ShiftParams(True, 12, 3)),
    (c.FN_FIND_DOCUMENT, FoundDocument(3, False, WHEN, 5, 2918241905, operation=1, total=394326)),
    (c.FN_FIND_DOCUMENT, FoundDocument(31, True, WHEN, 6, 1, operation=2, total=1)),
    (c.FN_FIND_DOCUMENT, FoundDocument(5, True, WHEN, 7, 2, shift_number=12)),
    (c.FN_FIND_DOCUMENT, FoundDocument(1, True, WHEN, 1, 3, user_inn="7700000009", kkt_reg_number="0000000001012345",
                                       taxation_systems=1, work_modes=0)),
    (c.FN_FIND_DOCUMENT, FoundDocument(21, False, WHEN, 9, 4, unsent_count=3, first_unsent_date=date(2026, 11, 20))),
    (c.FN_CLOSE_CHECK_EX, CloseCheckExAnswer(0, 8, 2918241905, WHEN)),
    (c.ACKNOWLEDGE, Acknowledged(True)),
    (c.READ_DOCUMENT, DocumentChunk(1234, 0xCBF43926, b'{"fd":1')),
]


@pytest.mark.parametrize(("code", "message"), REQUESTS, ids=lambda v: hex(v) if isinstance(v, int) else None)
def test_each_request_layout_round_trips_through_the_device_side_decoder(code: int, message: Any) -> None:
    command, decoded = c.decode_request(c.encode_request(code, message))
    assert command.code == code and decoded == message


@pytest.mark.parametrize(("code", "message"), ANSWERS, ids=lambda v: hex(v) if isinstance(v, int) else None)
def test_each_answer_layout_round_trips_through_the_host_side_decoder(code: int, message: Any) -> None:
    answer = c.decode_answer(c.encode_answer(code, message))
    assert (answer.code, answer.error, answer.message) == (code, 0, message)


def test_the_short_status_request_is_the_references_trace() -> None:
    assert build_frame(c.encode_request(c.SHORT_STATUS, PasswordOnly(1))) == bytes.fromhex("02 05 10 01 00 00 00 14")


def test_the_short_status_answer_is_seventeen_bytes_long_as_in_the_trace() -> None:
    status = ShortStatus(1, 2, mode_byte(Mode.CHECK_OPEN), 0)
    frame = build_frame(c.encode_answer(c.SHORT_STATUS, status))
    assert frame[:5] == bytes.fromhex("02 11 10 00 01") and split_mode(frame[7]) == (8, 0)


def test_an_older_fourteen_byte_short_status_still_decodes() -> None:
    full = ShortStatus(1, 2, 4, 1, operations=2).encode()
    assert ShortStatus.decode(full[:14]) == ShortStatus(1, 2, 4, 1, operations=2)


def test_a_sale_request_has_the_protocols_byte_layout() -> None:
    request = c.encode_request(c.SALE, Sale(1000, 500000, (1, 0, 0, 0), "Очки", password=30))
    assert request == bytes.fromhex("80 1E000000 E803000000 20A1070000 01 01000000") + "Очки".encode("cp1251")


def test_a_close_check_request_carries_four_five_byte_payments_and_a_two_byte_discount() -> None:
    request = c.encode_request(c.CLOSE_CHECK, CloseCheck((1, 2, 3, 4)))
    assert request == bytes.fromhex("85 01000000 0100000000 0200000000 0300000000 0400000000 0000 00000000")


def test_the_device_name_is_cp1251() -> None:
    data = DeviceType(0, 0, 1, 13, 0x9A, 0, "ШТРИХ-М-01Ф").encode()
    assert data[6:] == bytes.fromhex("D8 D2 D0 C8 D5 2D CC 2D 30 31 D4")


def test_fn_commands_carry_their_two_byte_code() -> None:
    assert c.encode_request(c.FN_STATUS, PasswordOnly(30)) == bytes.fromhex("FF 01 1E 00 00 00")


def test_an_ff46_sum_left_to_the_device_is_all_ones() -> None:
    data = Operation(1, 1_000_000, 100, 1).encode()
    assert data[16:26] == b"\xff" * 10


def test_text_is_whatever_follows_the_fixed_fields_whatever_the_line_length() -> None:
    for width in (40, 42, 48, 50):
        name = "Оправа Ray-Ban"
        fixed = PasswordOnly(1).encode() + bytes(5 + 5 + 1) + bytes([1, 0, 0, 0])
        data = fixed + name.encode("cp1251").ljust(width, b"\0")
        assert Sale.decode(data).text == name


def test_tlv_strings_are_cp866_with_little_endian_tag_and_length() -> None:
    assert tlv.string(tlv.CASHIER, "Иванов") == bytes.fromhex("FD 03 06 00 88 A2 A0 AD AE A2")
    basis = tlv.structure(tlv.CORRECTION_BASIS, [tlv.unixtime(tlv.BASIS_DATE, date(2026, 11, 20)),
                                                 tlv.string(tlv.ORDER_NUMBER, "7")])
    [(tag, value)] = list(tlv.parse(basis))
    inner = dict(tlv.parse(value))
    assert tag == 1174 and tlv.as_date(inner[1178]) == date(2026, 11, 20) and tlv.as_string(inner[1179]) == "7"


def test_a_cut_tlv_is_a_layout_error() -> None:
    with pytest.raises(LayoutError):
        list(tlv.parse(tlv.string(tlv.CASHIER, "Иванов")[:-1]))


def test_a_request_a_byte_short_or_long_is_a_layout_error_and_an_unknown_code_is_unknown() -> None:
    with pytest.raises(LayoutError):
        c.decode_request(bytes.fromhex("50 01000000 00000000"))
    with pytest.raises(LayoutError):
        c.decode_request(bytes.fromhex("10 01000000 00"))
    with pytest.raises(c.UnknownCommand):
        c.decode_request(bytes.fromhex("FF 7E 01000000"))


def test_an_error_answer_has_nothing_after_the_error_byte() -> None:
    payload = c.encode_answer(c.SALE, OperatorNumber(1), error=0x4F)
    answer = c.decode_answer(payload)
    assert payload == bytes.fromhex("80 4F") and answer.message is None and not answer.ok


def test_the_tax_table_maps_rows_and_bits_to_rate_names() -> None:
    table = DEFAULT_TAX_TABLE
    assert [table.rate(row) for row in range(0, 5)] == ["none", "22", "10", "0", "none"]
    assert table.rate(13) is None and table.row("22/122") == 5
    assert table.bits("10") == 2 and table.rate_of_bits(0x10) == "22/122"
    assert table.rate_of_bits(3) is None and table.rate_of_bits(0) is None
    with pytest.raises(KeyError):
        table.bits("5/105")  # row 9: past what an FF46 bit mask names


def test_a_tax_table_is_configurable_and_checked() -> None:
    assert TaxTable.of(["20", "10"]).rate(1) == "20"
    with pytest.raises(ValueError, match="unknown VAT rates"):
        TaxTable.of(["18"])
