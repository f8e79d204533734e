"""The emulated register on the fiscal drive model: numbering, shifts, refusals, signs and the QR string."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fiscal.fn import CLOSE_SHIFT, OPEN_SHIFT, Cashier
from kkt_adapter.drivers.base import KktError
from kkt_adapter.drivers.mock import MockKkt
from kkt_adapter.receipt import ReceiptIn

MSK = ZoneInfo("Europe/Moscow")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 10, 0, 0, tzinfo=MSK)

    def __call__(self) -> datetime:
        return self.now


def request(total: str = "5000.00"):
    return ReceiptIn.model_validate({
        "pos_id": "POS-001", "items": [{"name": "Очки", "quantity": 1, "price": total, "tax_rate": 22}],
        "total": total, "payment_method": "cash",
    }).to_fiscal()


def kkt(path: Path, clock: Clock, delay: tuple[float, float] = (0, 0), key: bytes = b"k") -> MockKkt:
    return MockKkt(path / "fn.db", sign_key=key, kkt_reg_number="0000000001012345",
                   fn_serial="9999078900012345", print_delay=delay, clock=clock)


async def opened(device: MockKkt) -> MockKkt:
    await device.open()
    return device


async def test_the_first_receipt_opens_a_shift_which_takes_a_document_number(tmp_path: Path) -> None:
    device = await opened(kkt(tmp_path, Clock()))  # FD 1 is the registration report of the new FN
    data = await device.fiscalize(request(), "r1")
    assert (data.fiscal_doc_number, data.shift_number, data.receipt_number) == (3, 1, 1)
    await device.close()


async def test_the_qr_string_has_the_reference_layout(tmp_path: Path) -> None:
    device = await opened(kkt(tmp_path, Clock()))
    data = await device.fiscalize(request("3943.26"), "r1")
    assert data.qr == (f"t=20261121T100000&s=3943.26&fn=9999078900012345&i=3&fp={data.fiscal_sign}&n=1")
    await device.close()


async def test_the_fiscal_sign_depends_on_the_key(tmp_path: Path) -> None:
    clock = Clock()
    one = await opened(kkt(tmp_path / "a", clock, key=b"one"))
    two = await opened(kkt(tmp_path / "b", clock, key=b"two"))
    assert (await one.fiscalize(request(), "r")).fiscal_sign != (await two.fiscalize(request(), "r")).fiscal_sign
    await one.close()
    await two.close()


async def test_a_shift_older_than_24_hours_refuses_sales_until_the_pos_closes_it(tmp_path: Path) -> None:
    """A real register refuses (FN 0x16); the shift is never closed behind the POS's back."""
    clock = Clock()
    device = await opened(kkt(tmp_path, clock))
    await device.fiscalize(request(), "r1")
    clock.now += timedelta(hours=24)
    with pytest.raises(KktError) as refused:
        await device.fiscalize(request(), "r2")
    assert (refused.value.code, refused.value.device_code) == ("shift_expired", 0x16)
    assert (await device.status())["blocked"]["code"] == "shift_expired"

    z_report = await device.close_shift()
    data = await device.fiscalize(request(), "r2")
    assert (z_report.doc_type, z_report.fiscal_doc_number) == (CLOSE_SHIFT, 4)
    assert (data.fiscal_doc_number, data.shift_number, data.receipt_number) == (6, 2, 1)
    status = await device.status()
    assert status["last_fiscal_doc_number"] == 6 and status["receipts_total"] == 2 and status["blocked"] is None
    await device.close()


async def test_the_pos_opens_and_closes_shifts_with_the_cashier_on_the_documents(tmp_path: Path) -> None:
    device = await opened(kkt(tmp_path, Clock()))
    opened_shift = await device.open_shift(Cashier("Иванова А. А.", "500100732259"))
    with pytest.raises(KktError) as twice:
        await device.open_shift()
    await device.fiscalize(request("100.00"), "r1")
    counters = await device.x_report()
    z_report = await device.close_shift(Cashier("Иванова А. А."))

    assert (opened_shift.doc_type, opened_shift.shift_number, opened_shift.fields["cashier"]) == (
        OPEN_SHIFT, 1, "Иванова А. А.")
    assert opened_shift.fields["cashier_inn"] == "500100732259"
    assert twice.value.code == "shift_already_open"
    assert counters["shift_totals"]["sale"]["total"] == 10000
    assert z_report.fields["shift_totals"] == counters["shift_totals"]
    assert z_report.to_dict()["fiscal_doc_number"] == 4
    assert (await device.shift_state())["shift_open"] is False
    await device.close()


async def test_an_acknowledged_document_no_longer_counts_as_unsent(tmp_path: Path) -> None:
    device = await opened(kkt(tmp_path, Clock()))
    first = await device.fiscalize(request(), "r1")
    await device.fiscalize(request(), "r2")
    # Every document waits for the OFD: registration, the shift the sale opened, and both receipts.
    assert (await device.status())["unsent_count"] == 4

    for fd in range(1, first.fiscal_doc_number + 1):
        await device.acknowledge(fd, "operator-sign")
    status = await device.status()
    assert (status["unsent_count"], status["oldest_unsent_fd"]) == (1, first.fiscal_doc_number + 1)
    await device.close()


async def test_the_documents_besides_receipts_are_listed_for_the_ofd_in_fd_order(tmp_path: Path) -> None:
    device = await opened(kkt(tmp_path, Clock()))
    await device.fiscalize(request(), "r1")
    await device.close_shift()
    listed = await device.documents_after(0)
    assert [(d["fiscal_doc_number"], d["doc_type"]) for d in listed] == [(1, 1), (2, 2), (4, 5)]
    assert [d["fiscal_doc_number"] for d in await device.documents_after(2)] == [4]
    await device.close()


async def test_numbering_survives_reopening_the_fiscal_drive(tmp_path: Path) -> None:
    clock = Clock()
    device = await opened(kkt(tmp_path, clock))
    await device.fiscalize(request(), "r1")
    await device.close()
    device = await opened(kkt(tmp_path, clock))
    assert (await device.fiscalize(request(), "r2")).fiscal_doc_number == 4
    assert (await device.find("r1")).fiscal_doc_number == 3
    assert await device.find("unknown") is None
    await device.close()


async def test_one_id_is_never_signed_twice(tmp_path: Path) -> None:
    device = await opened(kkt(tmp_path, Clock()))
    await device.fiscalize(request(), "r1")
    with pytest.raises(KktError) as raised:
        await device.fiscalize(request(), "r1")
    assert raised.value.code == "duplicate_document"
    await device.close()


async def test_the_device_prints_one_receipt_at_a_time_without_blocking_the_loop(tmp_path: Path) -> None:
    device = await opened(kkt(tmp_path, Clock(), delay=(0.1, 0.1)))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    background = asyncio.create_task(ticker())
    started = time.monotonic()
    await asyncio.gather(*(device.fiscalize(request(), f"r{i}") for i in range(3)))
    elapsed = time.monotonic() - started
    background.cancel()
    assert elapsed >= 0.3  # serialized: three print times, not one
    assert ticks >= 10  # the loop kept running while the device printed
    await device.close()


async def test_an_instant_printer_signs_concurrent_receipts_with_gap_free_numbers(tmp_path: Path) -> None:
    device = await opened(kkt(tmp_path, Clock()))  # print delay 0: no device lock, commits are shared
    signed = await asyncio.gather(*(device.fiscalize(request(), f"r{i}") for i in range(40)))
    numbers = sorted(data.fiscal_doc_number for data in signed)
    assert numbers == list(range(3, 43))  # document 1 registered the FN, document 2 opened the shift
    assert sorted(data.receipt_number for data in signed) == list(range(1, 41))
    status = await device.status()
    assert (status["last_fiscal_doc_number"], status["receipts_total"]) == (42, 40)
    await device.close()
