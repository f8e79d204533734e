"""The emulated register: numbering, shifts, signs and the QR string."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kkt_adapter.drivers.base import KktError
from kkt_adapter.drivers.mock import DOC_CLOSE_SHIFT, DOC_OPEN_SHIFT, MockKkt
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
    device = await opened(kkt(tmp_path, Clock()))
    data = await device.fiscalize(request(), "r1")
    assert (data.fiscal_doc_number, data.shift_number, data.receipt_number) == (2, 1, 1)
    await device.close()


async def test_the_qr_string_has_the_reference_layout(tmp_path: Path) -> None:
    device = await opened(kkt(tmp_path, Clock()))
    data = await device.fiscalize(request("3943.26"), "r1")
    assert data.qr == (f"t=20261121T100000&s=3943.26&fn=9999078900012345&i=2&fp={data.fiscal_sign}&n=1")
    await device.close()


async def test_the_fiscal_sign_depends_on_the_key(tmp_path: Path) -> None:
    clock = Clock()
    one = await opened(kkt(tmp_path / "a", clock, key=b"one"))
    two = await opened(kkt(tmp_path / "b", clock, key=b"two"))
    assert (await one.fiscalize(request(), "r")).fiscal_sign != (await two.fiscalize(request(), "r")).fiscal_sign
    await one.close()
    await two.close()


async def test_a_shift_older_than_24_hours_is_closed_and_a_new_one_opened(tmp_path: Path) -> None:
    clock = Clock()
    device = await opened(kkt(tmp_path, clock))
    await device.fiscalize(request(), "r1")
    clock.now += timedelta(hours=24)
    data = await device.fiscalize(request(), "r2")
    assert (data.fiscal_doc_number, data.shift_number, data.receipt_number) == (5, 2, 1)
    status = await device.status()
    assert status["last_fiscal_doc_number"] == 5 and status["receipts_total"] == 2
    assert (DOC_OPEN_SHIFT, DOC_CLOSE_SHIFT) == (2, 5)
    await device.close()


async def test_numbering_survives_reopening_the_fiscal_drive(tmp_path: Path) -> None:
    clock = Clock()
    device = await opened(kkt(tmp_path, clock))
    await device.fiscalize(request(), "r1")
    await device.close()
    device = await opened(kkt(tmp_path, clock))
    assert (await device.fiscalize(request(), "r2")).fiscal_doc_number == 3
    assert (await device.find("r1")).fiscal_doc_number == 2
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
    assert numbers == list(range(2, 42))  # document 1 opened the shift
    assert sorted(data.receipt_number for data in signed) == list(range(1, 41))
    status = await device.status()
    assert (status["last_fiscal_doc_number"], status["receipts_total"]) == (41, 40)
    await device.close()
