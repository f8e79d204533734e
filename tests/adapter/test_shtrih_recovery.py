"""The `real` driver when things break: paper, power, a dead driver, a kill mid-receipt, a noisy line.

In every case the POS gets its receipt or a clear error, never two receipts and never a lost one: what the FN
signed is the truth, and the driver reads it back from the device.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from emulators.shtrih.register import ShtrihRegister
from fiscal.shtrih.fn_layouts import Operation
from fiscal.shtrih.modes import CheckType, Mode, split_mode
from kkt_adapter.drivers.answers import fiscal_data
from kkt_adapter.drivers.base import FiscalData, KktError
from kkt_adapter.drivers.shtrih import ShtrihDriver
from kkt_adapter.receipt import FiscalRequest
from pytest_opticserp.waiting import eventually
from tests.emulators.shtrih_host import RawHost

from .conftest import MakeDriver, StartRegister
from .shtrih_register import SerialRegister, item, receipt

THREE = (item("Оправа", 1250000), item("Линзы", 480000, "2.000", rate="10"), item("Футляр", 50000, rate="none"))


class Killed(BaseException):
    """The adapter's process dying at this point: nothing after it runs (not even `except Exception`)."""


async def fiscalize_once(driver: ShtrihDriver, request: FiscalRequest, ext_id: str, attempts: int = 5) -> FiscalData:
    """What the adapter's service does: on a failure ask the register what it signed, retry only if nothing."""
    for _ in range(attempts):
        try:
            return await driver.fiscalize(request, ext_id)
        except KktError as error:
            if error.code == "duplicate_document" or (found := await driver.find(ext_id)) is None:
                continue
            return found
    raise AssertionError(f"{ext_id} failed {attempts} times")


class PaperRunsOut(ShtrihRegister):
    """Runs out of paper when the `items_until_out`-th item (FF46) arrives: mid-receipt."""

    items_until_out: int | None = None

    async def execute(self, request: bytes) -> bytes:
        if request[:2] == bytes.fromhex("FF46") and self.items_until_out is not None:
            self.items_until_out -= 1
            if self.items_until_out == 0:
                self.paper_present = False
        return await super().execute(request)


async def test_paper_out_mid_receipt_is_a_clear_error_and_the_retry_makes_one_receipt(
        make_driver: MakeDriver, start_register: StartRegister) -> None:
    register = start_register(register_class=PaperRunsOut)
    driver = await make_driver(register)
    await driver.open_shift()
    register.register.items_until_out = 2  # type: ignore[attr-defined]
    with pytest.raises(KktError) as out:
        await driver.fiscalize(receipt(*THREE), "paper")
    assert await driver.find("paper") is None
    assert (await driver.status())["check_open"], "it ran out mid-receipt: the check is still open"
    with pytest.raises(KktError) as still_out:
        await driver.fiscalize(receipt(*THREE), "paper")
    register.emulator.paper_in()
    data = await driver.fiscalize(receipt(*THREE), "paper")

    assert (out.value.code, out.value.device_code) == ("paper_out", 0x6B)
    assert "load paper" in out.value.message and "Nothing was signed" in out.value.message
    assert still_out.value.code == "paper_out"
    assert [r.fd for r in register.receipts()] == [data.fiscal_doc_number]
    assert "cancelled" in [p.kind for p in register.register.tape]


async def test_a_check_left_open_by_a_dead_driver_is_cancelled_by_the_next_ones_open(
        make_driver: MakeDriver, serial_register: SerialRegister, tmp_path: Path) -> None:
    dead = await make_driver(serial_register)
    await dead.open_shift()
    await dead._client.open_check(CheckType.SALE)
    await dead._client.operation(Operation(1, 1_000_000, 10000, 1, "Оправа", password=1))
    await dead.close()  # killed: the check stays open on the device

    assert serial_register.status()["last_fiscal_doc_number"] == 2
    next_one = await make_driver(serial_register, journal_path=tmp_path / "other.db")
    status = await next_one.status()

    assert status["check_open"] is False and status["last_fiscal_doc_number"] == 2
    assert serial_register.register.tape[-1].kind == "cancelled"
    assert (await next_one.fiscalize(receipt(), "after")).fiscal_doc_number == 3


async def test_a_receipt_signed_before_a_kill_is_found_after_the_restart_and_not_signed_again(
        make_driver: MakeDriver, serial_register: SerialRegister) -> None:
    first = await make_driver(serial_register)
    request = receipt(*THREE, electronic=100000)

    def killed(*args: Any, **kwargs: Any) -> None:
        raise Killed  # the FN signed; the driver dies before it notes the result

    first._journal.settle = killed  # type: ignore[method-assign]
    with pytest.raises(Killed):
        await first.fiscalize(request, "in-flight")
    await first.close()

    second = await make_driver(serial_register)
    found = await second.find("in-flight")
    with pytest.raises(KktError) as retried:
        await second.fiscalize(request, "in-flight")

    (signed,) = serial_register.receipts()
    assert found == fiscal_data(signed)
    assert retried.value.code == "duplicate_document" and len(serial_register.receipts()) == 1


async def test_a_receipt_killed_before_close_check_is_not_found_and_its_retry_signs_it_once(
        make_driver: MakeDriver, serial_register: SerialRegister) -> None:
    first = await make_driver(serial_register)
    await first.open_shift()

    async def killed(*args: Any) -> Any:
        raise Killed  # noted in the journal, then the process dies before FF45 goes out

    first._client.close_check = killed  # type: ignore[method-assign]
    with pytest.raises(Killed):
        await first.fiscalize(receipt(), "in-flight")
    await first.close()

    second = await make_driver(serial_register)
    assert await second.find("in-flight") is None
    data = await second.fiscalize(receipt(), "in-flight")

    assert [r.fd for r in serial_register.receipts()] == [data.fiscal_doc_number]


async def test_cash_recorded_before_a_kill_is_found_from_the_device_counters(
        make_driver: MakeDriver, serial_register: SerialRegister) -> None:
    first = await make_driver(serial_register)

    def killed(*args: Any, **kwargs: Any) -> None:
        raise Killed

    first._journal.settle = killed  # type: ignore[method-assign]
    with pytest.raises(Killed):
        await first.cash("in", 25000, None, "op:cash")
    await first.close()

    second = await make_driver(serial_register)
    found = await second.find_operation("op:cash")

    assert found is not None and (found.kind, found.amount, found.cash_in_drawer) == ("in", 25000, 25000)
    assert serial_register.status()["cash_in_drawer"] == 25000


async def test_an_answer_a_crashed_host_left_pending_is_dropped_before_the_next_command(
        driver: ShtrihDriver, serial_register: SerialRegister) -> None:
    host = RawHost.on_pty(serial_register.emulator.pty_path)
    try:
        host.send(bytes.fromhex("02 05 10 1E 00 00 00 0B"))  # short status, never acknowledged
        assert host.read(1) == bytes([0x06])
        eventually(lambda: host.read(1, timeout=0.05) == b"" and serial_register.emulator.stats.executed,
                   "the device to answer the raw host")
    finally:
        host.close()

    data = await driver.fiscalize(receipt(), "after a crash")

    assert data == fiscal_data(serial_register.receipts()[-1])
    assert driver._client.link.stale_answers >= 1


async def test_a_switched_off_register_is_unavailable_and_works_again_when_on(
        driver: ShtrihDriver, serial_register: SerialRegister) -> None:
    emulator = serial_register.emulator
    emulator.power_off()
    with pytest.raises(KktError) as off:
        await driver.fiscalize(receipt(), "while off")
    with pytest.raises(KktError) as status:
        await driver.status()
    emulator.power_on()
    data = await fiscalize_once(driver, receipt(), "when on")

    assert off.value.code == status.value.code == "unavailable"
    assert "does not answer" in off.value.message
    assert await driver.find("while off") is None
    assert [r.fd for r in serial_register.receipts()] == [data.fiscal_doc_number]


async def test_missing_and_late_acks_cost_time_not_receipts(driver: ShtrihDriver,
                                                            serial_register: SerialRegister) -> None:
    emulator = serial_register.emulator
    emulator.miss_ack(3)
    first = await fiscalize_once(driver, receipt(*THREE), "missed")
    emulator.late_ack(0.3, 2)
    second = await fiscalize_once(driver, receipt(*THREE), "late")

    assert [r.fd for r in serial_register.receipts()] == [first.fiscal_doc_number, second.fiscal_doc_number]


async def test_corrupted_bytes_over_100_receipts_leave_every_receipt_signed_exactly_once(
        driver: ShtrihDriver, serial_register: SerialRegister) -> None:
    """A byte the device sends is corrupted about every 2,000 bytes (once a receipt, ~1 frame in 20), at a
    random place: ACKs, answer frames, read-backs. Seeded, so a failure replays."""
    emulator, rng = serial_register.emulator, random.Random(15)
    answers: dict[str, FiscalData] = {}
    for n in range(100):
        if emulator.describe()["faults"]["corrupt_bytes"] == 0:
            emulator.corrupt_next(1, after=rng.randrange(4000))
        ext_id = f"noisy-{n}"
        answers[ext_id] = await fiscalize_once(driver, receipt(item(f"Линза {n}", 10000 + n), *THREE[1:]), ext_id)

    signed = serial_register.receipts()
    assert len(signed) == 100
    assert sorted(a.fiscal_doc_number for a in answers.values()) == [r.fd for r in signed]
    assert [fiscal_data(r) for r in signed] == sorted(answers.values(), key=lambda a: a.fiscal_doc_number)
    assert driver._client.link.damaged >= 40, "the line was noisy: answers were asked for again"
    assert split_mode((await driver._client.short_status()).mode)[0] == Mode.SHIFT_OPEN
