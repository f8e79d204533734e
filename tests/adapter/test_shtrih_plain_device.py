"""The `real` driver on a register without our extensions (FFF0, FFF1, FFF2 answer 0x37), as a real Shtrih-M:
receipts, their recovery after a kill, cash and status from the protocol's own commands alone."""

from __future__ import annotations

from typing import Any

import pytest

from emulators.shtrih.register import ShtrihRegister
from fiscal.shtrih import commands as c
from kkt_adapter.drivers.shtrih import ShtrihDriver

from .conftest import MakeDriver, StartRegister
from .shtrih_register import SerialRegister, item, receipt


class PlainShtrih(ShtrihRegister):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for ours in (c.ACKNOWLEDGE, c.READ_DOCUMENT, c.READ_COUNTERS):
            del self._handlers[ours]


class Killed(BaseException):
    pass


@pytest.fixture
def plain(start_register: StartRegister) -> SerialRegister:
    return start_register(register_class=PlainShtrih)


@pytest.fixture
async def driver_plain(make_driver: MakeDriver, plain: SerialRegister) -> ShtrihDriver:
    return await make_driver(plain)


async def test_a_receipt_is_read_back_from_ff0a_and_ff40_to_the_minute(
        make_driver: MakeDriver, plain: SerialRegister) -> None:
    driver = await make_driver(plain)

    data = await driver.fiscalize(receipt(item("Оправа", 500000), item("Линзы", 1000, "3.000", rate="10")), "r1")

    (signed,) = plain.receipts()
    assert (data.fiscal_doc_number, data.fiscal_sign, data.shift_number, data.receipt_number, data.total) == (
        signed.fd, signed.fiscal_sign, 1, 1, 503000)
    assert (data.fn_serial, data.kkt_reg_number) == (signed.tags["fn_serial"], signed.tags["kkt_reg_number"])
    assert data.datetime == signed.datetime.replace(second=0).isoformat()
    assert f"&i={signed.fd}&fp={signed.fiscal_sign}&n=1" in data.qr


async def test_a_receipt_signed_before_a_kill_is_found_without_fff1(make_driver: MakeDriver,
                                                                     plain: SerialRegister) -> None:
    first = await make_driver(plain)

    def killed(*args: Any, **kwargs: Any) -> None:
        raise Killed

    first._journal.settle = killed  # type: ignore[method-assign]
    with pytest.raises(Killed):
        await first.fiscalize(receipt(), "in-flight")
    await first.close()
    second = await make_driver(plain)

    found = await second.find("in-flight")

    (signed,) = plain.receipts()
    assert found is not None and (found.fiscal_doc_number, found.fiscal_sign) == (signed.fd, signed.fiscal_sign)


async def test_cash_status_and_the_adapters_ofd_chores_need_no_extension(driver_plain: ShtrihDriver,
                                                                          plain: SerialRegister) -> None:
    await driver_plain.fiscalize(receipt(), "r1")
    put = await driver_plain.cash("in", 5000, None, "op:in")
    status = await driver_plain.status()
    await driver_plain.acknowledge(1, "sign")

    assert (put.kind, put.amount, put.cash_in_drawer) == ("in", 5000, -1)  # the drawer is not readable
    assert await driver_plain.find_operation("op:in") == put
    assert (status["fn_serial"], status["shift_open"], status["receipts_in_shift"]) == (
        plain.status()["fn_serial"], True, 1)
    assert status["unsent_count"] == 3 and status["blocked"] is None
    assert await driver_plain.documents_after(0) == []  # a real register sends its documents to the OFD itself
    assert (await driver_plain.x_report())["shift_number"] == 1
    assert plain.status()["unsent_count"] == 3
