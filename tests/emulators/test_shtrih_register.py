"""The Shtrih-M register driven as a host drives it: request payloads in, answer payloads out, no wire.

The register's clock and its printer's clock are the test's, so a 24-hour shift or a print job takes no time.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from emulators.shtrih.register import ShtrihRegister
from fiscal.fn import FnConfig
from fiscal.fn.vat import vat_sum
from fiscal.shtrih import commands as c
from fiscal.shtrih import tlv
from fiscal.shtrih.device_layouts import CashAmount, CloseCheck, NoData, OpenCheck, PasswordOnly, Sale, ShortStatus
from fiscal.shtrih.errors import describe
from fiscal.shtrih.fn_layouts import CHUNK, Acknowledge, CloseCheckEx, FindDocument, Operation, ReadDocument, SendTlv
from fiscal.shtrih.modes import CheckType, FnDocumentInProgress, FnWarning, Mode, Submode, split_mode

MSK = ZoneInfo("Europe/Moscow")
SERIAL = "9999078900012345"
ADMIN = 30


class Clocks:
    """The register's wall clock (aware) and its printer's monotonic clock, both moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 10, 0, 0, tzinfo=MSK)
        self.mono = 1000.0

    def wall(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Host:
    """Builds requests with `fiscal.shtrih.commands` and reads the answers, as a driver does."""

    def __init__(self, register: ShtrihRegister) -> None:
        self.register = register

    async def ask(self, code: int, message: Any = None) -> c.Answer:
        if message is None:
            message = PasswordOnly(ADMIN if c.COMMANDS[code].admin else 1)
        return c.decode_answer(await self.register.execute(c.encode_request(code, message)))

    async def ok(self, code: int, message: Any = None) -> Any:
        answer = await self.ask(code, message)
        assert answer.error == 0, f"{c.COMMANDS[code].name}: {describe(answer.error)}"
        return answer.message

    async def refused(self, code: int, message: Any = None) -> int:
        answer = await self.ask(code, message)
        assert answer.error != 0, f"{c.COMMANDS[code].name} was not refused"
        assert answer.data == b"", "an error answer carries nothing after the error byte"
        return answer.error

    async def status(self) -> ShortStatus:
        status: ShortStatus = await self.ok(c.SHORT_STATUS)
        return status

    async def mode(self) -> tuple[int, int]:
        return split_mode((await self.status()).mode)

    async def last_fd(self) -> int:
        return int((await self.ok(c.FN_STATUS)).last_fd)

    async def sell(self, *items: Sale, payments: tuple[int, int, int, int] | None = None) -> int:
        """A receipt closed with 0x85; the change."""
        for item in items:
            await self.ok(c.SALE, item)
        total = sum((i.quantity * i.price + 500) // 1000 for i in items)
        return int((await self.ok(c.CLOSE_CHECK, CloseCheck(payments or (total, 0, 0, 0)))).change)


MakeRegister = Callable[..., Awaitable[tuple[ShtrihRegister, Host]]]


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
async def make_register(tmp_path: Path, clocks: Clocks) -> AsyncIterator[MakeRegister]:
    opened: list[ShtrihRegister] = []

    async def make(print_delay: float = 0.0, **config: Any) -> tuple[ShtrihRegister, Host]:
        fn_config = FnConfig(fn_serial=SERIAL, kkt_reg_number="0000000001012345",
                             auto_open_shift=config.pop("auto_open_shift", False), **config)
        register = ShtrihRegister(tmp_path / "register", print_delay=print_delay, clock=clocks.wall,
                                  fn_config=fn_config, sign_key=b"key", monotonic=clocks.monotonic)
        await register.open()
        opened.append(register)
        return register, Host(register)

    yield make
    for register in opened:
        await register.close()


@pytest.fixture
async def host(make_register: MakeRegister) -> Host:
    return (await make_register())[1]


FRAMES = Sale(2000, 150000, (1, 0, 0, 0), "Оправа Ray-Ban")  # 22%
LENSES = Sale(1000, 80050, (2, 0, 0, 0), "Линзы Hoya")  # 10%
SERVICE = Sale(500, 100000, (4, 0, 0, 0), "Подгонка")  # no VAT


async def test_a_day_of_trade_ends_in_a_z_report_whose_totals_are_the_fns_count_of_it(
        make_register: MakeRegister) -> None:
    register, host = await make_register()
    assert split_mode((await host.status()).mode) == (Mode.SHIFT_CLOSED, 0)
    await host.ok(c.OPEN_SHIFT)
    change = await host.sell(FRAMES, LENSES, SERVICE, payments=(400000, 100000, 0, 0))
    await host.ok(c.RETURN_SALE, LENSES)
    await host.ok(c.CLOSE_CHECK, CloseCheck((80050, 0, 0, 0)))
    assert (await host.ok(c.CASH_IN, CashAmount(100000))).document_number == 5
    await host.ok(c.CASH_OUT, CashAmount(50000))
    await host.ok(c.X_REPORT)
    x_report = register.tape[-1]
    params = await host.ok(c.FN_SHIFT_PARAMS)
    await host.ok(c.Z_REPORT)

    assert change == 400000 + 100000 - 430050
    assert (params.shift_open, params.shift_number, params.receipt_number) == (True, 1, 2)
    z = register.tape[-1]
    assert (x_report.kind, z.kind) == ("x_report", "z_report")
    assert z.data["shift_totals"] == x_report.data["shift_totals"] == {
        "sale": {"count": 1, "total": 430050, "cash": 330050, "electronic": 100000, "by_rate": {
            "22": {"sum": 300000, "vat": vat_sum("22", 300000)},
            "10": {"sum": 80050, "vat": vat_sum("10", 80050)},
            "none": {"sum": 50000, "vat": 0}}},
        "sale_refund": {"count": 1, "total": 80050, "cash": 80050, "electronic": 0,
                        "by_rate": {"10": {"sum": 80050, "vat": vat_sum("10", 80050)}}},
    }
    assert (z.data["cash_in"], z.data["cash_out"], z.data["cash_in_drawer"]) == (100000, 50000, 300000)
    assert split_mode((await host.status()).mode) == (Mode.SHIFT_CLOSED, 0)


async def test_each_signed_document_reads_back_from_the_fn_archive_with_its_fd_and_fiscal_sign(
        make_register: MakeRegister) -> None:
    register, host = await make_register()
    await host.ok(c.OPEN_SHIFT)
    await host.sell(FRAMES)
    receipt = register.tape[-1].data
    await host.ok(c.Z_REPORT)

    last = await host.last_fd()
    found = [await host.ok(c.FN_FIND_DOCUMENT, FindDocument(fd)) for fd in range(1, last + 1)]
    assert [d.doc_type for d in found] == [1, 2, 3, 5]
    assert (found[2].fd, found[2].fiscal_sign, found[2].total, found[2].operation) == (
        receipt["fiscal_doc_number"], int(receipt["fiscal_sign"]), 300000, 1)
    assert found[2].datetime == datetime(2026, 11, 21, 10, 0) and found[3].shift_number == 1
    assert found[0].user_inn == "7700000009" and found[0].kkt_reg_number == "0000000001012345"
    assert await host.refused(c.FN_FIND_DOCUMENT, FindDocument(last + 1)) == 0x08


async def test_the_ofd_acknowledgement_extension_marks_a_document_delivered(host: Host) -> None:
    await host.ok(c.OPEN_SHIFT)
    await host.sell(FRAMES)
    assert (await host.ok(c.FN_UNACKNOWLEDGED)).count == 3
    exchange = await host.ok(c.FN_OFD_EXCHANGE)
    assert (exchange.count, exchange.first_fd, exchange.first_at) == (3, 1, datetime(2026, 11, 21, 10, 0))

    assert (await host.ok(c.ACKNOWLEDGE, Acknowledge(3, "OPSIGN"))).newly is True
    assert (await host.ok(c.ACKNOWLEDGE, Acknowledge(3, "OPSIGN"))).newly is False
    assert (await host.ok(c.FN_FIND_DOCUMENT, FindDocument(3))).acknowledged is True
    assert (await host.ok(c.FN_UNACKNOWLEDGED)).count == 2
    assert await host.refused(c.ACKNOWLEDGE, Acknowledge(99)) == 0x08


async def test_a_document_reads_back_whole_in_chunks_for_the_ofd(make_register: MakeRegister) -> None:
    register, host = await make_register()
    await host.ok(c.OPEN_SHIFT)
    await host.sell(FRAMES, LENSES, SERVICE)
    await host.ok(c.Z_REPORT)
    fd, whole = await host.last_fd(), b""
    while True:
        chunk = await host.ok(c.READ_DOCUMENT, ReadDocument(fd, len(whole)))
        whole += chunk.chunk
        if len(whole) >= chunk.length:
            break
    assert len(whole) > CHUNK
    assert json.loads(whole) == {**register.tape[-1].data, "acknowledged": False}


async def test_a_wrong_password_is_refused_with_0x4f(host: Host) -> None:
    assert await host.refused(c.SHORT_STATUS, PasswordOnly(31)) == 0x4F
    assert await host.refused(c.Z_REPORT, PasswordOnly(1)) == 0x4F  # a cashier's password, not an administrator's
    assert await host.refused(c.SALE, Sale(1000, 100, password=0)) == 0x4F
    assert (await host.ok(c.DEVICE_TYPE, NoData())).name == "ШТРИХ-М-01Ф"  # no password at all


async def test_an_unknown_command_is_answered_0x37(host: Host) -> None:
    assert await host.register.execute(bytes.fromhex("13 01000000")) == bytes.fromhex("13 37")
    assert await host.register.execute(bytes.fromhex("FF 7E 1E000000")) == bytes.fromhex("FF 7E 37")


async def test_a_bad_parameter_is_0x33(host: Host) -> None:
    await host.ok(c.OPEN_SHIFT)
    assert await host.register.execute(bytes.fromhex("8D 01000000")) == bytes.fromhex("8D 33")
    assert await host.refused(c.SALE, Sale(1000, 100, (13, 0, 0, 0))) == 0x33  # no such tax row
    assert await host.refused(c.OPEN_CHECK, OpenCheck(4)) == 0x33


async def test_what_needs_no_open_check_is_refused_0x4a_while_one_is_open(host: Host) -> None:
    await host.ok(c.OPEN_SHIFT)
    await host.ok(c.OPEN_CHECK, OpenCheck(CheckType.SALE))
    assert await host.mode() == (Mode.CHECK_OPEN, CheckType.SALE)
    for code in (c.OPEN_SHIFT, c.Z_REPORT, c.X_REPORT, c.OPEN_CHECK):
        message = OpenCheck(0) if code == c.OPEN_CHECK else None
        assert await host.refused(code, message) == 0x4A, c.COMMANDS[code].name
    assert await host.refused(c.CASH_IN, CashAmount(100)) == 0x4A


async def test_payments_short_of_the_total_are_0x45_and_the_check_stays_open(host: Host) -> None:
    await host.ok(c.OPEN_SHIFT)
    await host.ok(c.SALE, FRAMES)
    assert await host.refused(c.CLOSE_CHECK, CloseCheck((299999, 0, 0, 0))) == 0x45
    assert await host.refused(c.CLOSE_CHECK, CloseCheck((0, 300001, 0, 0))) == 0x4D  # cashless over the total
    assert await host.mode() == (Mode.CHECK_OPEN, 0)
    assert (await host.ok(c.CLOSE_CHECK, CloseCheck((100000, 199000, 1000, 0)))).change == 0
    assert await host.last_fd() == 3


async def test_a_sale_in_a_closed_shift_is_0x3d(host: Host) -> None:
    assert await host.refused(c.SALE, FRAMES) == 0x3D
    assert await host.refused(c.CASH_IN, CashAmount(100)) == 0x3D
    assert await host.refused(c.CLOSE_CHECK, CloseCheck((0, 0, 0, 0))) == 0x73  # no check to close


async def test_past_24_hours_the_shift_is_mode_3_and_sales_are_refused_until_a_z_report(
        host: Host, clocks: Clocks) -> None:
    await host.ok(c.OPEN_SHIFT)
    clocks.advance(hours=23, minutes=59)
    await host.ok(c.OPEN_CHECK, OpenCheck(CheckType.SALE))
    await host.ok(c.SALE, LENSES)
    clocks.advance(minutes=2)

    assert await host.refused(c.CLOSE_CHECK, CloseCheck((80050, 0, 0, 0))) == 0x16  # the FN's refusal at signing
    await host.ok(c.CANCEL_CHECK)
    assert await host.mode() == (Mode.SHIFT_EXPIRED, 0)
    assert await host.refused(c.SALE, FRAMES) == 0x4E  # the device's own, before the FN
    assert await host.refused(c.OPEN_CHECK, OpenCheck(0)) == 0x4E
    assert await host.refused(c.CASH_IN, CashAmount(100)) == 0x4E
    await host.ok(c.Z_REPORT)
    await host.ok(c.OPEN_SHIFT)
    await host.sell(FRAMES)
    assert await host.mode() == (Mode.SHIFT_OPEN, 0)


async def test_paper_running_out_mid_check_refuses_0x6b_until_it_is_back(make_register: MakeRegister) -> None:
    register, host = await make_register()
    await host.ok(c.OPEN_SHIFT)
    await host.ok(c.SALE, FRAMES)
    register.paper_present = False

    status = await host.status()
    assert (status.submode, status.flags & 0x02) == (Submode.NO_PAPER, 0)
    assert await host.refused(c.SALE, LENSES) == 0x6B
    assert await host.refused(c.CLOSE_CHECK, CloseCheck((300000, 0, 0, 0))) == 0x6B
    register.paper_present = True
    assert (await host.status()).submode == Submode.IDLE
    await host.ok(c.SALE, LENSES)
    await host.ok(c.CLOSE_CHECK, CloseCheck((380050, 0, 0, 0)))
    assert await host.last_fd() == 3


async def test_a_print_stopped_by_paper_out_waits_for_paper_and_0xb0(make_register: MakeRegister,
                                                                     clocks: Clocks) -> None:
    register, host = await make_register(print_delay=2.0)
    await host.ok(c.OPEN_SHIFT)
    clocks.mono += 2
    await host.sell(FRAMES)
    assert (await host.status()).submode == Submode.PRINTING
    assert await host.refused(c.OPEN_CHECK, OpenCheck(0)) == 0x50  # still printing
    clocks.mono += 1
    register.paper_present = False
    assert (await host.status()).submode == Submode.NO_PAPER_PRINTING
    assert await host.refused(c.X_REPORT) == 0x6B
    clocks.mono += 100
    register.paper_present = True
    assert (await host.status()).submode == Submode.WAITING_CONTINUE
    assert await host.refused(c.OPEN_CHECK, OpenCheck(0)) == 0x58

    await host.ok(c.CONTINUE_PRINTING)
    assert (await host.status()).submode == Submode.PRINTING
    clocks.mono += 0.999
    assert (await host.status()).submode == Submode.PRINTING  # one second of the two was left
    clocks.mono += 0.002
    assert (await host.status()).submode == Submode.IDLE
    assert await host.last_fd() == 3 and [p.kind for p in register.tape] == ["open_shift", "receipt"]


async def test_reports_print_in_the_report_submode(make_register: MakeRegister, clocks: Clocks) -> None:
    register, host = await make_register(print_delay=1.0)
    await host.ok(c.OPEN_SHIFT)
    clocks.mono += 1
    await host.ok(c.X_REPORT)
    assert (await host.status()).submode == Submode.PRINTING_REPORT


async def test_after_a_power_cycle_the_check_is_still_open_and_cancelling_it_takes_no_fd(
        make_register: MakeRegister, clocks: Clocks) -> None:
    register, host = await make_register(print_delay=5.0)
    await host.ok(c.OPEN_SHIFT)
    clocks.mono += 5
    await host.ok(c.FN_SEND_TLV, SendTlv(tlv.string(tlv.BUYER_CONTACT, "+79990000000")))
    await host.ok(c.SALE, FRAMES)
    await host.ok(c.SALE, LENSES)
    await register.power_cycle()

    status = await host.status()
    assert (split_mode(status.mode), status.operations) == ((Mode.CHECK_OPEN, 0), 2)
    fn = await host.ok(c.FN_STATUS)
    assert (fn.current_document, fn.document_data, fn.last_fd) == (FnDocumentInProgress.RECEIPT, 1, 2)
    await host.ok(c.CANCEL_CHECK)
    assert await host.last_fd() == 2 and register.tape[-1].kind == "cancelled"
    clocks.mono += 5
    await host.sell(SERVICE)
    assert await host.last_fd() == 3  # no gap: the cancelled check never reached the FN


async def test_a_power_cycle_while_printing_keeps_the_signed_receipt_and_stops_the_print(
        make_register: MakeRegister, clocks: Clocks) -> None:
    register, host = await make_register(print_delay=5.0)
    await host.ok(c.OPEN_SHIFT)
    clocks.mono += 5
    await host.sell(FRAMES)
    await register.power_cycle()
    assert await host.mode() == (Mode.SHIFT_OPEN, 0) and (await host.status()).submode == Submode.IDLE
    assert (await host.ok(c.FN_FIND_DOCUMENT, FindDocument(3))).total == 300000


async def test_a_check_cancelled_with_0x88_leaves_no_fd_taken(host: Host) -> None:
    await host.ok(c.OPEN_SHIFT)
    await host.ok(c.SALE, FRAMES)
    await host.ok(c.SALE, LENSES)
    await host.ok(c.CANCEL_CHECK)
    assert await host.mode() == (Mode.SHIFT_OPEN, 0) and await host.last_fd() == 2
    assert await host.refused(c.CANCEL_CHECK) == 0x73
    await host.sell(FRAMES)
    assert await host.last_fd() == 3 and (await host.ok(c.FN_SHIFT_PARAMS)).receipt_number == 1


async def test_the_offline_limit_reaches_the_host_as_the_fns_code(make_register: MakeRegister,
                                                                  clocks: Clocks) -> None:
    _, host = await make_register(offline_limit=timedelta(hours=1))
    await host.ok(c.OPEN_SHIFT)
    await host.ok(c.SALE, FRAMES)
    clocks.advance(minutes=61)

    assert await host.refused(c.CLOSE_CHECK, CloseCheck((300000, 0, 0, 0))) == 0x15
    await host.ok(c.CANCEL_CHECK)
    assert await host.refused(c.OPEN_CHECK, OpenCheck(0)) == 0x15
    assert (await host.ok(c.FN_STATUS)).warnings & FnWarning.OFD_TIMEOUT
    for fd in (1, 2):
        await host.ok(c.ACKNOWLEDGE, Acknowledge(fd))
    await host.sell(FRAMES)


async def test_an_expired_fn_and_a_clock_before_the_last_document_reach_the_host_as_the_fns_codes(
        make_register: MakeRegister, clocks: Clocks) -> None:
    _, host = await make_register(valid_for=timedelta(days=2))
    assert (await host.ok(c.FN_EXPIRY)).valid_until == date(2026, 11, 23)
    assert (await host.ok(c.FN_STATUS)).warnings & FnWarning.REPLACE_URGENTLY
    clocks.advance(hours=-1)
    assert await host.refused(c.OPEN_SHIFT) == 0x07
    clocks.advance(days=3)
    assert await host.refused(c.OPEN_SHIFT) == 0x05


async def test_a_full_fn_storage_reaches_the_host_as_0x14(make_register: MakeRegister) -> None:
    _, host = await make_register(storage_limit=3)
    await host.ok(c.OPEN_SHIFT)
    await host.sell(FRAMES)
    assert await host.refused(c.OPEN_CHECK, OpenCheck(0)) == 0x14
    assert (await host.ok(c.FN_STATUS)).warnings & FnWarning.MEMORY_ALMOST_FULL


async def test_an_ffd_1_2_check_with_tlv_tags_closes_with_its_fd_and_fiscal_sign(make_register: MakeRegister) -> None:
    register, host = await make_register()
    await host.ok(c.OPEN_SHIFT)
    tags = tlv.string(tlv.CASHIER, "Иванова А.") + tlv.string(tlv.CASHIER_INN, "500100732259")
    await host.ok(c.FN_SEND_TLV, SendTlv(tags + tlv.string(tlv.BUYER_CONTACT, "buyer@example.com")))
    await host.ok(c.FN_OPERATION, Operation(1, 1_000_000, 150000, 1, "Очки", payment_method=1, subject=33))
    await host.ok(c.FN_SEND_ITEM_TLV, SendTlv(tlv.string(tlv.MARKING_CODE, "0104650000000001215abc")))
    await host.ok(c.FN_OPERATION, Operation(1, 2_500_000, 1000, 2, "Салфетка"))
    assert await host.refused(c.FN_OPERATION, Operation(2, 1_000_000, 1000, 2)) == 0x5E  # a refund in a sale
    closed = await host.ok(c.FN_CLOSE_CHECK_EX, CloseCheckEx.of(cash=3000, electronic=150000))

    document = register.tape[-1].data
    assert (closed.fd, closed.fiscal_sign, closed.change) == (3, int(document["fiscal_sign"]), 500)
    assert (document["cashier"], document["cashier_inn"], document["buyer_contact"]) == (
        "Иванова А.", "500100732259", "buyer@example.com")
    first, second = document["items"]
    assert (first["payment_method_sign"], first["subject_sign"], first["marking_code"]) == (
        1, 33, "0104650000000001215abc")
    assert (second["quantity"], second["sum"], second["vat_rate"]) == ("2.500", 2500, "10")
    assert document["payments"] == {"cash": 2500, "electronic": 150000}


async def test_a_correction_check_is_opened_by_ff35_and_signed_as_document_31(make_register: MakeRegister) -> None:
    register, host = await make_register()
    await host.ok(c.OPEN_SHIFT)
    await host.ok(c.FN_BEGIN_CORRECTION)
    basis = tlv.structure(tlv.CORRECTION_BASIS, [tlv.unixtime(tlv.BASIS_DATE, date(2026, 11, 20))])
    await host.ok(c.FN_SEND_TLV, SendTlv(tlv.byte(tlv.CORRECTION_TYPE, 0) + basis))
    await host.ok(c.FN_OPERATION, Operation(1, 1_000_000, 50000, 1, "Оправа"))
    closed = await host.ok(c.FN_CLOSE_CHECK_EX, CloseCheckEx.of(cash=50000))

    found = await host.ok(c.FN_FIND_DOCUMENT, FindDocument(closed.fd))
    assert (found.doc_type, found.total, found.operation) == (31, 50000, 1)
    assert register.tape[-1].data["correction_basis"] == {"date": "2026-11-20"}


async def test_a_correction_without_its_basis_date_is_refused_0x33(host: Host) -> None:
    await host.ok(c.OPEN_SHIFT)
    await host.ok(c.FN_BEGIN_CORRECTION)
    await host.ok(c.FN_OPERATION, Operation(1, 1_000_000, 50000, 1, "Оправа"))
    assert await host.refused(c.FN_CLOSE_CHECK_EX, CloseCheckEx.of(cash=50000)) == 0x33


async def test_the_fn_and_its_numbers_outlive_the_register(make_register: MakeRegister) -> None:
    register, host = await make_register()
    await host.ok(c.OPEN_SHIFT)
    await host.sell(FRAMES)
    await register.close()
    _, again = await make_register()
    assert (await again.ok(c.FN_STATUS)).fn_serial == SERIAL
    await again.sell(LENSES)
    assert await again.last_fd() == 4
