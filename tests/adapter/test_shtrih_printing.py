"""The `real` driver and the register's printer: it waits while a document prints, continues one the paper cut
short, and a register it cannot reach leaves it closed and clear about why."""

from __future__ import annotations

import pytest

from kkt_adapter.drivers.answers import fiscal_data
from kkt_adapter.drivers.base import KktError
from pytest_opticserp.waiting import eventually

from .conftest import MakeDriver, StartRegister
from .shtrih_register import item, receipt

PRINT_DELAY = 0.4  # seconds a document prints on the emulated register


async def test_a_command_while_the_last_document_prints_waits_for_it_instead_of_failing(
        make_driver: MakeDriver, start_register: StartRegister) -> None:
    register = start_register(print_delay=PRINT_DELAY)
    driver = await make_driver(register)

    first = await driver.fiscalize(receipt(), "first")
    second = await driver.fiscalize(receipt(item("Линзы", 120000)), "second")  # 0x8D meets 0x50: polls 0x10
    closed = await driver.close_shift()

    assert [fiscal_data(r) for r in register.receipts()] == [first, second]
    assert closed.fields["receipts_in_shift"] == 2
    assert [p.kind for p in register.register.tape] == ["open_shift", "receipt", "receipt", "z_report"]


async def test_paper_out_while_printing_is_refused_then_the_rest_is_printed_once_paper_is_back(
        make_driver: MakeDriver, start_register: StartRegister) -> None:
    register = start_register(print_delay=PRINT_DELAY)
    driver = await make_driver(register)
    signed = await driver.fiscalize(receipt(), "printing")
    register.emulator.paper_out()  # the receipt is signed; its printing stops half-way

    with pytest.raises(KktError) as out:
        await driver.fiscalize(receipt(), "next")
    register.emulator.paper_in()  # the device now waits for "continue printing" (0xB0)
    after = await driver.fiscalize(receipt(), "next")

    assert out.value.code == "paper_out"
    assert [fiscal_data(r) for r in register.receipts()] == [signed, after]
    eventually(lambda: register.emulator.stats.executed and register.register.printer.submode() == 0,
               "the register to finish printing", lambda: register.register.printer.submode(), timeout=5)


async def test_a_register_that_does_not_answer_at_start_is_unavailable_and_the_driver_is_left_closed(
        make_driver: MakeDriver, start_register: StartRegister) -> None:
    register = start_register()
    register.emulator.power_off()

    with pytest.raises(KktError) as off:
        await make_driver(register)

    assert off.value.code == "unavailable" and "does not answer" in off.value.message
    register.emulator.power_on()
    driver = await make_driver(register)
    assert (await driver.status())["life_state"] == "fiscal"
