"""The `real` driver against the Shtrih-M emulator on a pty: every answer is what the FN itself holds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from emulators.shtrih.register import DEVICE_TYPE, ShtrihRegister
from fiscal.fn import Cashier
from fiscal.shtrih.device_layouts import DeviceType
from fiscal.shtrih.taxes import TaxTable
from kkt_adapter.drivers.answers import fiscal_data, register_document
from kkt_adapter.drivers.base import KktError
from kkt_adapter.drivers.shtrih import ShtrihDriver

from .conftest import MakeDriver, StartRegister
from .shtrih_register import SerialRegister, correction, item, receipt

THREE_RATES = (item("Оправа Ray-Ban", 1250000, rate="22"), item("Линзы", 480000, "2.000", rate="10"),
               item("Проверка зрения", 150000, rate="none", subject_sign=4))


async def test_a_sale_of_three_items_at_three_rates_paid_cash_and_card_is_what_the_fn_signed(
        driver: ShtrihDriver, serial_register: SerialRegister) -> None:
    request = receipt(*THREE_RATES, electronic=1000000, buyer_contact="+79001234567",
                      cashier=Cashier("Иванова", "500100732259"))

    data = await driver.fiscalize(request, "receipt-1")

    (signed,) = serial_register.receipts()
    assert data == fiscal_data(signed)
    assert data.qr == signed.qr and data.total == 2360000
    tags = signed.tags
    assert tags["payments"] == {"cash": 1360000, "electronic": 1000000}
    assert [(i["vat_rate"], i["quantity"], i["sum"], i["subject_sign"]) for i in tags["items"]] == [
        ("22", "1.000", 1250000, 1), ("10", "2.000", 960000, 1), ("none", "1.000", 150000, 4)]
    assert (tags["buyer_contact"], tags["cashier"], tags["cashier_inn"]) == ("+79001234567", "Иванова",
                                                                              "500100732259")


async def test_a_refund_is_signed_as_operation_2(driver: ShtrihDriver, serial_register: SerialRegister) -> None:
    await driver.fiscalize(receipt(*THREE_RATES), "sale")
    refund = await driver.fiscalize(receipt(THREE_RATES[0], operation="refund"), "refund")

    assert refund.operation == 2 and refund.total == 1250000
    assert serial_register.receipts()[-1].tags["operation"] == 2


async def test_offsets_marking_codes_and_a_rate_past_row_8_reach_the_fn(
        driver: ShtrihDriver, serial_register: SerialRegister) -> None:
    marked = item("Контактные линзы", 200000, payment_method_sign=4, subject_sign=33,
                  marking_code="0104607092281234215abcdef\x1d93dGVz")
    advance = item("Оправа", 300000, rate="20")  # row 11 of the default table: sent by 0x80
    request = receipt(marked, advance, prepayment=100000, electronic=150000)

    data = await driver.fiscalize(request, "offsets")

    tags = serial_register.receipts()[-1].tags
    assert data.total == 500000
    assert tags["payments"] == {"cash": 250000, "electronic": 150000, "prepayment": 100000}
    assert tags["items"][0]["marking_code"] == "0104607092281234215abcdef\x1d93dGVz"
    assert tags["items"][1]["vat_rate"] == "20"


async def test_a_shift_is_opened_reported_and_closed_with_the_z_totals_of_its_sales(
        driver: ShtrihDriver, serial_register: SerialRegister) -> None:
    cashier = Cashier("Петров")
    opened = await driver.open_shift(cashier, "op:open")
    await driver.fiscalize(receipt(*THREE_RATES, electronic=500000), "r1")
    await driver.fiscalize(receipt(THREE_RATES[1]), "r2")
    report = await driver.x_report()
    expected_x = serial_register.fn(lambda drive, conn: drive.x_report(conn))
    closed = await driver.close_shift(cashier, "op:close")

    documents = serial_register.documents()
    assert opened == register_document(documents[1]) and opened.fields["cashier"] == "Петров"
    assert report == expected_x and report["shift_totals"]["sale"]["count"] == 2
    assert closed == register_document(documents[-1]) and closed.doc_type == 5
    assert closed.fields["shift_totals"] == report["shift_totals"]
    assert closed.fields["shift_totals"]["sale"]["total"] == 2360000 + 960000
    assert serial_register.register.tape[-1].kind == "z_report"
    assert (await driver.shift_state())["shift_open"] is False


async def test_opening_an_open_shift_is_refused_and_leaves_nothing_to_find(driver: ShtrihDriver) -> None:
    await driver.open_shift(None, "op:first")
    with pytest.raises(KktError) as refused:
        await driver.open_shift(None, "op:second")

    assert refused.value.code == "shift_already_open"
    assert await driver.find_operation("op:second") is None
    assert (await driver.find_operation("op:first")).doc_type == 2  # type: ignore[union-attr]


async def test_a_rate_the_tax_table_lacks_is_refused_before_a_check_is_opened(
        make_driver: MakeDriver, serial_register: SerialRegister) -> None:
    driver = await make_driver(serial_register, tax_table=TaxTable.of(["22", "10", "0", "none"]))
    with pytest.raises(KktError) as refused:
        await driver.fiscalize(receipt(item("Линзы", 10000, rate="5")), "five")

    assert refused.value.code == "vat_rate_unsupported" and "'5'" in refused.value.message
    assert (await driver.status())["check_open"] is False and serial_register.receipts() == []


async def test_a_sale_in_a_closed_shift_opens_one_first_or_is_refused_when_told_not_to(
        make_driver: MakeDriver, serial_register: SerialRegister) -> None:
    strict = await make_driver(serial_register, auto_open_shift=False)
    with pytest.raises(KktError) as refused:
        await strict.fiscalize(receipt(), "strict")
    assert (refused.value.code, refused.value.device_code) == ("shift_closed", 0x3D)
    assert (await strict.status())["blocked"]["code"] == "shift_closed"
    await strict.close()

    lenient = await make_driver(serial_register)
    data = await lenient.fiscalize(receipt(), "lenient")
    assert (data.shift_number, data.receipt_number) == (1, 1)
    assert [d.doc_type for d in serial_register.documents()] == [1, 2, 3]


async def test_a_shift_over_24_hours_is_refused_as_shift_expired_until_the_z_report(
        make_driver: MakeDriver, start_register: StartRegister) -> None:
    now = [datetime.now().astimezone()]
    register = start_register(clock=lambda: now[0])
    driver = await make_driver(register)
    await driver.fiscalize(receipt(), "before")
    now[0] += timedelta(hours=25)

    with pytest.raises(KktError) as refused:
        await driver.fiscalize(receipt(), "after")
    blocked = (await driver.status())["blocked"]
    await driver.close_shift()
    again = await driver.fiscalize(receipt(), "next shift")

    assert refused.value.code == "shift_expired" and "24 hours" in refused.value.message
    assert blocked["code"] == "shift_expired"
    assert again.shift_number == 2 and len(register.receipts()) == 2


async def test_a_correction_is_document_31_and_found_again_by_its_id(
        driver: ShtrihDriver, serial_register: SerialRegister) -> None:
    await driver.open_shift()
    document = await driver.correct(correction(50000), "op:corr")

    signed = serial_register.documents()[-1]
    assert document == register_document(signed) and document.doc_type == 31
    assert signed.tags["correction_basis"] == {"date": "2026-11-20"} and signed.tags["total"] == 50000
    assert await driver.find_operation("op:corr") == document


async def test_cash_in_and_out_move_the_drawer_and_too_much_out_is_refused(
        driver: ShtrihDriver, serial_register: SerialRegister) -> None:
    put = await driver.cash("in", 100000, Cashier("Петров"), "op:in")
    taken = await driver.cash("out", 30000, None, "op:out")
    with pytest.raises(KktError) as refused:
        await driver.cash("out", 100000, None, "op:too-much")

    assert (put.kind, put.amount, put.cash_in_drawer, put.cashier) == ("in", 100000, 100000, "Петров")
    assert (taken.cash_in_drawer, serial_register.status()["cash_in_drawer"]) == (70000, 70000)
    assert (refused.value.code, refused.value.device_code) == ("insufficient_cash", 0x46)
    assert await driver.find_operation("op:out") == taken
    assert await driver.find_operation("op:too-much") is None
    assert (await driver.status())["cash_in_drawer"] == 70000


async def test_a_state_report_is_document_21(driver: ShtrihDriver, serial_register: SerialRegister) -> None:
    await driver.fiscalize(receipt(), "r1")
    report = await driver.state_report("op:state")

    assert report == register_document(serial_register.documents()[-1])
    assert report.doc_type == 21 and report.fields["unsent_count"] == 3  # registration, shift, receipt
    assert await driver.find_operation("op:state") == report


async def test_acknowledging_documents_drops_the_unsent_count(
        driver: ShtrihDriver, serial_register: SerialRegister) -> None:
    data = await driver.fiscalize(receipt(), "r1")
    before = await driver.status()

    await driver.acknowledge(1, "sign-1")
    await driver.acknowledge(data.fiscal_doc_number, "sign-3")
    await driver.acknowledge(999)  # unknown: nothing to do, as on the mock
    after = await driver.status()

    assert (before["unsent_count"], after["unsent_count"]) == (3, 1)
    assert after["oldest_unsent_fd"] == 2
    assert serial_register.status()["unsent_count"] == 1


async def test_documents_after_gives_every_document_but_receipts_as_the_fn_holds_them(
        driver: ShtrihDriver, serial_register: SerialRegister) -> None:
    await driver.fiscalize(receipt(), "r1")
    await driver.fiscalize(receipt(), "r2")
    await driver.close_shift()
    await driver.state_report()

    documents = await driver.documents_after(0)
    later = await driver.documents_after(4)

    expected = serial_register.fn(lambda drive, conn: drive.documents_after(conn, 0, but=3))
    assert documents == [d.tags for d in expected]
    assert [d["doc_type"] for d in documents] == [1, 2, 5, 21]
    assert [d["fiscal_doc_number"] for d in later] == [5, 6]


async def test_status_reports_what_the_fn_reports(driver: ShtrihDriver, serial_register: SerialRegister) -> None:
    await driver.fiscalize(receipt(), "r1")

    status = await driver.status()

    fn: dict[str, Any] = serial_register.status()
    same = ("fn_serial", "kkt_reg_number", "life_state", "last_fiscal_doc_number", "shift_open", "shift_number",
            "shift_opened_at", "shift_expired", "receipts_in_shift", "cash_in_drawer", "unsent_count",
            "oldest_unsent_fd", "blocked")
    assert {k: status[k] for k in same} == {k: fn[k] for k in same}
    assert status["mode"] == "real" and status["expires_at"] == fn["expires_at"][:10]
    assert status["oldest_unsent_at"][:16] == fn["oldest_unsent_at"][:16]  # the wire's date-times stop at minutes


async def test_a_retried_id_that_the_fn_signed_is_a_duplicate_not_a_second_receipt(
        driver: ShtrihDriver, serial_register: SerialRegister) -> None:
    first = await driver.fiscalize(receipt(), "same")
    with pytest.raises(KktError) as duplicate:
        await driver.fiscalize(receipt(), "same")

    assert duplicate.value.code == "duplicate_document"
    assert await driver.find("same") == first and len(serial_register.receipts()) == 1


async def test_the_driver_works_over_tcp_too(make_driver: MakeDriver, serial_register: SerialRegister) -> None:
    url = serial_register.emulator.tcp_url
    assert url is not None and url.startswith("socket://")
    driver = await make_driver(serial_register, url=url)

    data = await driver.fiscalize(receipt(*THREE_RATES), "tcp")

    assert data == fiscal_data(serial_register.receipts()[-1])


async def test_a_slow_line_at_115200_baud_still_answers(make_driver: MakeDriver,
                                                        start_register: StartRegister) -> None:
    register = start_register(baud=115200)
    driver = await make_driver(register)

    data = await driver.fiscalize(receipt(*THREE_RATES), "slow")

    assert data == fiscal_data(register.receipts()[-1])


class NotAShtrih(ShtrihRegister):
    async def _device_type(self, request: Any, operator: int) -> DeviceType:
        return DeviceType(0, 0, 1, 0, 0, 0, name="АТОЛ 30Ф")


async def test_a_device_that_is_not_a_shtrih_is_refused_at_open(make_driver: MakeDriver,
                                                                start_register: StartRegister) -> None:
    register = start_register(register_class=NotAShtrih)
    with pytest.raises(KktError) as refused:
        await make_driver(register)
    assert refused.value.code == "wrong_device" and "АТОЛ 30Ф" in refused.value.message
    assert DEVICE_TYPE.name in "ШТРИХ-М-01Ф"
