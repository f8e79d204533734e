"""The fiscal drive model: its documents, shifts and limits, on a real SQLite file and an injected clock."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fiscal.fn import (
    CLOSE_FN,
    CLOSE_SHIFT,
    CORRECTION,
    OPEN_SHIFT,
    RECEIPT,
    REGISTRATION,
    STATE_REPORT,
    Cashier,
    DuplicateExtId,
    FiscalDrive,
    FnConfig,
    FnCorrection,
    FnItem,
    FnReceipt,
    FnRefusal,
)
from fiscal.fn.vat import vat_sum

MSK = ZoneInfo("Europe/Moscow")
SERIAL = "9999078900012345"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 10, 0, 0, tzinfo=MSK)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Fn:
    """A drive on its own file; each call is one committed transaction, rolled back if it raises."""

    def __init__(self, path: Path, clock: Clock, **config: Any) -> None:
        self.path, self.clock, self.config = path, clock, config
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.executescript(FiscalDrive.SCHEMA)
        self.drive = FiscalDrive(FnConfig(fn_serial=SERIAL, kkt_reg_number="0000000001012345", **config),
                                 b"key", clock)
        self.tx(self.drive.prepare)

    def tx(self, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            result = operation(self.conn, *args, **kwargs)
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return result

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return lambda *args, **kwargs: self.tx(getattr(self.drive, name), *args, **kwargs)

    def reopen(self) -> Fn:
        self.conn.close()
        return Fn(self.path, self.clock, **self.config)

    def fds(self) -> list[int]:
        return [row[0] for row in self.conn.execute("SELECT fd FROM documents ORDER BY fd")]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_fn(tmp_path: Path, clock: Clock) -> Iterator[Callable[..., Fn]]:
    made: list[Fn] = []

    def make(**config: Any) -> Fn:
        fn = Fn(tmp_path / f"fn{len(made)}.db", clock, **config)
        fn.register()
        made.append(fn)
        return fn

    yield make
    for fn in made:
        fn.conn.close()


@pytest.fixture
def fn(make_fn: Callable[..., Fn]) -> Fn:
    return make_fn()


def receipt(*lines: tuple[int, str], operation: int = 1, cash: bool = True) -> FnReceipt:
    """A receipt of (sum in kopecks, VAT rate) lines, one piece each, paid in cash or electronically."""
    items = tuple(FnItem(f"item {n}", amount, "1.000", amount, rate) for n, (amount, rate) in enumerate(lines))
    total = sum(amount for amount, _ in lines)
    return FnReceipt(operation=operation, items=items, total=total, cash=total if cash else 0,
                     electronic=0 if cash else total)


SALE = receipt((500000, "22"))


def refused(code: str, device_code: int, call: Callable[[], Any]) -> FnRefusal:
    with pytest.raises(FnRefusal) as raised:
        call()
    assert (raised.value.code, raised.value.device_code) == (code, device_code), raised.value.message
    return raised.value


def test_a_new_drive_is_registered_as_fd_1_with_the_users_and_registers_requisites(tmp_path: Path,
                                                                                   clock: Clock) -> None:
    fn = Fn(tmp_path / "fn.db", clock, user_inn="500100732259", user_name="ИП Петров", address="Тверь, Советская 1",
            place="салон", kkt_serial="00106708123456", taxation_system=2)
    assert fn.is_registered() is False
    document = fn.register()
    fn = fn.reopen()
    sold = fn.sell(SALE, "r1")

    assert (document.fd, document.doc_type) == (1, REGISTRATION)
    requisites = {"fn_serial": SERIAL, "user_inn": "500100732259", "user_name": "ИП Петров",
                  "address": "Тверь, Советская 1", "place": "салон", "kkt_serial": "00106708123456"}
    assert requisites.items() <= document.tags.items()
    assert (document.tags["taxation_systems"], document.tags["fn_valid_until"]) == (2, "2028-02-20T10:00:00+03:00")
    assert requisites.items() <= sold.tags.items() and sold.tags["taxation_system"] == 2
    assert fn.status()["last_fiscal_doc_number"] == 3 and fn.status()["life_state"] == "fiscal"
    refused("fn_already_registered", 0x02, fn.register)
    fn.conn.close()


def test_a_sale_with_no_shift_opens_one_which_takes_its_own_number(fn: Fn) -> None:
    document = fn.sell(SALE, "r1")
    assert (document.fd, document.doc_type) == (3, RECEIPT)
    assert (document.tags["shift_number"], document.tags["receipt_number"]) == (1, 1)
    assert fn.conn.execute("SELECT doc_type FROM documents WHERE fd = 2").fetchone()[0] == OPEN_SHIFT


def test_a_receipt_carries_each_items_vat_and_the_sum_per_rate(fn: Fn) -> None:
    tags = fn.sell(receipt((500000, "22"), (129980, "10"), (100, "10"), (5000, "none")), "r1").tags
    assert [item["vat_sum"] for item in tags["items"]] == [90164, 11816, 9, 0]
    assert tags["vat_sums"] == {"22": 90164, "10": 11825, "none": 0}
    assert (tags["user_inn"], tags["fn_serial"], tags["taxation_system"]) == ("7700000009", SERIAL, 1)


def test_with_auto_open_off_a_sale_needs_an_open_shift(make_fn) -> None:
    fn = make_fn(auto_open_shift=False)
    refused("shift_closed", 0x3D, lambda: fn.sell(SALE, "r1"))
    assert fn.fds() == [1]
    fn.open_shift(Cashier("Иванова"))
    assert fn.sell(SALE, "r1").fd == 3


def test_a_shift_cannot_be_opened_twice(fn: Fn) -> None:
    document = fn.open_shift(Cashier("Иванова", "500100732259"))
    assert (document.doc_type, document.tags["cashier"], document.tags["cashier_inn"]) == (
        OPEN_SHIFT, "Иванова", "500100732259")
    refused("shift_already_open", 0x73, fn.open_shift)


def test_a_shift_past_24_hours_refuses_sales_and_stays_open_until_the_pos_closes_it(fn: Fn, clock: Clock) -> None:
    fn.sell(SALE, "r1")
    clock.advance(hours=24)
    refused("shift_expired", 0x16, lambda: fn.sell(SALE, "r2"))
    state = fn.shift_state()
    assert (state["shift_open"], state["shift_expired"], state["shift_number"]) == (True, True, 1)
    assert fn.status()["blocked"]["code"] == "shift_expired"

    z_report = fn.close_shift()
    assert (z_report.doc_type, z_report.fd) == (CLOSE_SHIFT, 4)
    after = fn.sell(SALE, "r2")
    assert (after.fd, after.tags["shift_number"], after.tags["receipt_number"]) == (6, 2, 1)


def test_the_z_report_totals_equal_the_shifts_receipts_by_operation_and_rate(fn: Fn) -> None:
    sold = [
        fn.sell(receipt((500000, "22"), (64990, "10")), "s1"),
        fn.sell(receipt((129980, "22"), cash=False), "s2"),
        fn.sell(receipt((1000, "none")), "s3"),
        fn.sell(receipt((64990, "10"), operation=2), "refund1"),
    ]
    z_report = fn.close_shift(Cashier("Иванова"))

    expected: dict[str, Any] = {}
    for document in sold:
        tags = document.tags
        name = {1: "sale", 2: "sale_refund"}[tags["operation"]]
        counters = expected.setdefault(name, {"count": 0, "total": 0, "cash": 0, "electronic": 0, "by_rate": {}})
        counters["count"] += 1
        counters["total"] += tags["total"]
        counters["cash"] += tags["payments"]["cash"]
        counters["electronic"] += tags["payments"]["electronic"]
        for item in tags["items"]:
            rate = counters["by_rate"].setdefault(item["vat_rate"], {"sum": 0, "vat": 0})
            rate["sum"] += item["sum"]
            rate["vat"] += item["vat_sum"]
    totals = z_report.tags["shift_totals"]
    assert totals == expected
    assert totals["sale"]["by_rate"]["22"] == {"sum": 629980, "vat": vat_sum("22", 500000) + vat_sum("22", 129980)}
    assert totals["sale_refund"] == {"count": 1, "total": 64990, "cash": 64990, "electronic": 0,
                                     "by_rate": {"10": {"sum": 64990, "vat": 5908}}}
    assert (z_report.tags["receipts_in_shift"], z_report.tags["documents_in_shift"]) == (4, 6)
    assert z_report.tags["cashier"] == "Иванова"


def test_the_next_shifts_totals_start_from_zero(fn: Fn) -> None:
    fn.sell(SALE, "r1")
    fn.close_shift()
    fn.sell(receipt((100, "20")), "r2")
    assert fn.close_shift().tags["shift_totals"]["sale"]["total"] == 100


def test_an_x_report_shows_the_counters_and_signs_no_document(fn: Fn) -> None:
    refused("shift_closed", 0x3D, fn.x_report)
    fn.sell(SALE, "r1")
    counters = fn.x_report()
    assert counters["shift_totals"]["sale"]["total"] == 500000 and counters["receipts_in_shift"] == 1
    assert fn.fds() == [1, 2, 3]


def test_closing_a_shift_needs_an_open_one(fn: Fn) -> None:
    refused("shift_closed", 0x3D, fn.close_shift)


def test_a_clock_before_the_last_document_refuses_every_document(fn: Fn, clock: Clock) -> None:
    fn.sell(SALE, "r1")
    clock.advance(seconds=-1)
    refused("fn_clock_before_last_document", 0x07, lambda: fn.sell(SALE, "r2"))
    refused("fn_clock_before_last_document", 0x07, fn.close_shift)
    assert fn.status()["blocked"]["code"] == "fn_clock_before_last_document"
    clock.advance(seconds=1)
    assert fn.sell(SALE, "r2").fd == 4  # the same second as the last document is fine


def test_the_oldest_unacknowledged_document_past_the_offline_limit_blocks_until_acknowledged(
    make_fn, clock: Clock
) -> None:
    fn = make_fn(offline_limit=timedelta(minutes=10), waits_for_ofd=frozenset({RECEIPT}))
    first = fn.sell(SALE, "r1")
    clock.advance(minutes=5)
    second = fn.sell(SALE, "r2")
    clock.advance(minutes=5)

    refusal = refused("fn_offline_limit", 0x15, lambda: fn.sell(SALE, "r3"))
    assert str(first.fd) in refusal.message
    status = fn.status()
    assert (status["unsent_count"], status["oldest_unsent_fd"]) == (2, first.fd)
    assert status["oldest_unsent_at"] == first.datetime.isoformat()
    assert status["blocked"]["device_code"] == 0x15
    fn.close_shift()
    refused("fn_offline_limit", 0x15, fn.open_shift)

    assert fn.acknowledge(first.fd, "operator sign") is True
    assert fn.sell(SALE, "r3").fd == second.fd + 3  # after the Z report and the new shift's opening
    assert fn.status()["oldest_unsent_fd"] == second.fd


def test_a_z_report_is_still_possible_when_the_drive_is_blocked(make_fn, clock: Clock) -> None:
    fn = make_fn(offline_limit=timedelta(minutes=10))
    fn.sell(SALE, "r1")
    clock.advance(minutes=10)
    refused("fn_offline_limit", 0x15, lambda: fn.sell(SALE, "r2"))
    assert fn.close_shift().doc_type == CLOSE_SHIFT
    assert fn.state_report().doc_type == STATE_REPORT


def test_every_document_waits_for_the_ofd_by_default(fn: Fn) -> None:
    fn.sell(SALE, "r1")
    status = fn.status()
    assert (status["unsent_count"], status["oldest_unsent_fd"]) == (3, 1)


def test_acknowledging_twice_or_an_unknown_document_changes_nothing(fn: Fn) -> None:
    assert fn.is_acknowledged(1) is False
    assert fn.acknowledge(1) is True
    assert (fn.is_acknowledged(1), fn.is_acknowledged(99)) == (True, False)
    assert fn.acknowledge(1) is False
    assert fn.acknowledge(99) is False
    assert fn.status()["unsent_count"] == 0


def test_the_drive_expires_its_validity_after_registration(make_fn, clock: Clock) -> None:
    fn = make_fn(valid_for=timedelta(days=1))
    fn.sell(SALE, "r1")
    assert fn.status()["expires_at"] == "2026-11-22T10:00:00+03:00"
    clock.advance(days=1)
    refused("fn_expired", 0x05, lambda: fn.sell(SALE, "r2"))
    assert fn.close_shift().doc_type == CLOSE_SHIFT
    refused("fn_expired", 0x05, fn.open_shift)


def test_full_storage_refuses_and_a_refused_sale_leaves_no_open_shift_behind(make_fn) -> None:
    fn = make_fn(storage_limit=2)  # registration takes one; opening the shift takes the other
    refused("fn_storage_full", 0x14, lambda: fn.sell(SALE, "r1"))
    assert fn.fds() == [1] and fn.shift_state()["shift_open"] is False
    fn.acknowledge(1)
    assert fn.sell(SALE, "r1").fd == 3
    refused("fn_storage_full", 0x14, lambda: fn.sell(SALE, "r2"))
    assert fn.status()["blocked"]["code"] == "fn_storage_full"


def test_the_state_report_says_what_the_ofd_has_not_acknowledged(fn: Fn, clock: Clock) -> None:
    fn.sell(SALE, "r1")
    fn.acknowledge(1)
    clock.advance(hours=1)
    report = fn.state_report()
    assert (report.doc_type, report.fd) == (STATE_REPORT, 4)
    assert (report.tags["unsent_count"], report.tags["oldest_unsent_fd"]) == (2, 2)
    assert report.tags["oldest_unsent_at"] == "2026-11-21T10:00:00+03:00"


def test_a_closed_drive_signs_nothing_more(fn: Fn) -> None:
    fn.sell(SALE, "r1")
    refused("shift_open", 0x73, fn.close_fn)
    fn.close_shift()
    assert fn.close_fn().doc_type == CLOSE_FN
    for call in (lambda: fn.sell(SALE, "r2"), fn.open_shift, fn.state_report, fn.close_fn, fn.x_report):
        refused("fn_closed", 0x02, call)
    status = fn.status()
    assert (status["life_state"], status["blocked"]["code"]) == ("closed", "fn_closed")


def test_numbers_continue_across_a_reopen_and_a_receipt_is_found_by_its_id(fn: Fn) -> None:
    signed = fn.sell(SALE, "r1")
    fn = fn.reopen()
    assert fn.sell(SALE, "r2").fd == signed.fd + 1
    found = fn.find("r1")
    assert (found.fd, found.fiscal_sign, found.tags, found.qr) == (signed.fd, signed.fiscal_sign, signed.tags,
                                                                    signed.qr)
    assert fn.find("unknown") is None
    assert fn.fds() == [1, 2, 3, 4]


def test_one_id_is_never_signed_twice(fn: Fn) -> None:
    fn.sell(SALE, "r1")
    with pytest.raises(DuplicateExtId):
        fn.sell(SALE, "r1")


def test_the_fiscal_sign_and_qr_string_keep_the_registers_format(fn: Fn) -> None:
    document = fn.sell(receipt((394326, "20")), "r1")
    assert document.qr == f"t=20261121T100000&s=3943.26&fn={SERIAL}&i=3&fp={document.fiscal_sign}&n=1"
    assert document.fiscal_sign.isdigit() and int(document.fiscal_sign) < 2**32


def test_a_drive_file_from_before_the_model_keeps_its_numbers(tmp_path: Path, clock: Clock) -> None:
    old = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    old.executescript("""
        CREATE TABLE fn (id INTEGER PRIMARY KEY, fn_serial TEXT NOT NULL, kkt_reg_number TEXT NOT NULL,
            shift_number INTEGER NOT NULL DEFAULT 0, shift_open INTEGER NOT NULL DEFAULT 0, shift_opened_at TEXT,
            receipts_in_shift INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
        CREATE TABLE documents (fd INTEGER PRIMARY KEY, doc_type INTEGER NOT NULL, ext_id TEXT UNIQUE,
            shift_number INTEGER NOT NULL, receipt_number INTEGER, datetime TEXT NOT NULL, operation INTEGER,
            total INTEGER, fiscal_sign TEXT NOT NULL, payload TEXT);
        INSERT INTO fn VALUES (1, '9999000000000001', '1', 1, 1, '2026-11-21T09:00:00+03:00', 1,
            '2026-11-21T09:00:00+03:00');
        INSERT INTO documents VALUES (1, 2, NULL, 1, NULL, '2026-11-21T09:00:00+03:00', NULL, NULL, '1', NULL);
        INSERT INTO documents VALUES (2, 3, 'old', 1, 1, '2026-11-21T09:00:00+03:00', 1, 100, '2',
            '{"fn_serial": "9999000000000001", "kkt_reg_number": "1", "shift_number": 1, "receipt_number": 1,
              "operation": 1, "total": 100}');
    """)
    old.close()

    fn = Fn(tmp_path / "old.db", clock)
    assert fn.is_registered()
    signed = fn.sell(SALE, "new")
    assert (signed.fd, signed.tags["fn_serial"], signed.tags["receipt_number"]) == (3, "9999000000000001", 2)
    assert fn.status()["unsent_count"] == 1  # the old register kept no acknowledgements: they count as delivered
    assert fn.close_shift().tags["shift_totals"]["sale"]["total"] == 100 + 500000
    fn.conn.close()


def test_a_drive_is_configured_with_valid_requisites() -> None:
    with pytest.raises(ValueError, match="control digits"):
        FnConfig(fn_serial=SERIAL, kkt_reg_number="1", user_inn="7700000001")
    with pytest.raises(ValueError, match="fn_serial"):
        FnConfig(fn_serial="123", kkt_reg_number="1")


# -- corrections, cash, and documents found again by the caller's id ----------------------------------------


def by_order(sale: FnReceipt = SALE, order: str | None = "ЕД-42/17") -> FnCorrection:
    return FnCorrection(sale, correction_type=1, basis_date=date(2026, 11, 20), order_number=order)


def test_a_correction_receipt_is_numbered_in_the_shift_and_carries_its_basis(fn: Fn) -> None:
    fn.sell(SALE, "s1")
    correction = fn.correct(by_order(receipt((150000, "10"))), "c1")

    assert (correction.doc_type, correction.fd) == (CORRECTION, 4)
    tags = correction.tags
    assert (tags["receipt_number"], tags["operation"], tags["total"]) == (2, 1, 150000)
    assert tags["correction_type"] == 1
    assert tags["correction_basis"] == {"date": "2026-11-20", "order_number": "ЕД-42/17"}
    assert tags["vat_sums"] == {"10": vat_sum("10", 150000)} and tags["items"][0]["vat_sum"] == 13636
    assert correction.qr.endswith(f"&i=4&fp={correction.fiscal_sign}&n=1")
    assert fn.find("c1").tags == tags


def test_a_correction_on_own_initiative_needs_no_order_and_counts_in_the_z_report(fn: Fn) -> None:
    fn.sell(SALE, "s1")
    fn.correct(FnCorrection(receipt((1000, "22"), operation=2), correction_type=0, basis_date=date(2026, 11, 21)))
    totals = fn.close_shift().tags["shift_totals"]
    assert totals["sale"] == {"count": 1, "total": 500000, "cash": 500000, "electronic": 0,
                              "by_rate": {"22": {"sum": 500000, "vat": vat_sum("22", 500000)}}}
    assert totals["sale_refund"]["count"] == 1 and totals["sale_refund"]["corrections"] == 1
    assert totals["sale_refund"]["total"] == 1000


def test_a_correction_is_refused_without_its_order_number_or_dated_after_today(fn: Fn) -> None:
    refused("correction_invalid", 0x33, lambda: fn.correct(by_order(order=None)))
    refused("correction_invalid", 0x33,
            lambda: fn.correct(FnCorrection(SALE, correction_type=0, basis_date=date(2026, 11, 22))))
    refused("correction_invalid", 0x33,
            lambda: fn.correct(FnCorrection(SALE, correction_type=2, basis_date=date(2026, 11, 20))))
    assert fn.fds() == [1]


def test_a_shift_past_24_hours_refuses_corrections_too(fn: Fn, clock: Clock) -> None:
    fn.open_shift()
    clock.advance(hours=24)
    refused("shift_expired", 0x16, lambda: fn.correct(by_order()))


def test_cash_in_and_out_move_the_drawer_with_the_cash_sales_and_take_no_fd(fn: Fn) -> None:
    fn.open_shift()
    put = fn.cash("in", 100000, Cashier("Иванова"), ext_id="in1")
    fn.sell(receipt((50000, "22")), "s1")  # cash
    fn.sell(receipt((30000, "22"), cash=False), "s2")  # card: not in the drawer
    fn.sell(receipt((20000, "22"), operation=2), "r1")  # a cash refund leaves the drawer
    taken = fn.cash("out", 60000, ext_id="out1")

    assert (put.cash_in_drawer, taken.cash_in_drawer) == (100000, 70000)
    assert fn.fds() == [1, 2, 3, 4, 5]  # three receipts and the shift: cash operations are not fiscal documents
    assert fn.find_cash("in1") == put and fn.find_cash("unknown") is None
    assert fn.cash_operation_count() == 2
    x = fn.x_report()
    assert (x["cash_in"], x["cash_out"], x["cash_in_drawer"]) == (100000, 60000, 70000)
    z = fn.close_shift().tags
    assert (z["cash_in"], z["cash_in_count"], z["cash_out"], z["cash_out_count"], z["cash_in_drawer"]) == (
        100000, 1, 60000, 1, 70000)
    assert fn.status()["cash_in_drawer"] == 70000  # the drawer is kept across shifts


def test_taking_out_more_cash_than_the_drawer_holds_is_refused(fn: Fn) -> None:
    fn.cash("in", 1000)
    refused("insufficient_cash", 0x46, lambda: fn.cash("out", 1001))
    refused("cash_amount_invalid", 0x33, lambda: fn.cash("in", 0))
    assert fn.status()["cash_in_drawer"] == 1000


def test_cash_in_a_shift_past_24_hours_is_refused(fn: Fn, clock: Clock) -> None:
    fn.cash("in", 1000)  # opens the shift, as a sale would
    clock.advance(hours=25)
    refused("shift_expired", 0x16, lambda: fn.cash("in", 1000))


def test_shift_documents_and_state_reports_are_found_by_the_callers_id_and_never_signed_twice(fn: Fn) -> None:
    opened = fn.open_shift(ext_id="op-open")
    report = fn.state_report(ext_id="op-state")
    closed = fn.close_shift(ext_id="op-close")
    for ext_id, document in (("op-open", opened), ("op-state", report), ("op-close", closed)):
        found = fn.find(ext_id)
        assert (found.fd, found.doc_type, found.tags) == (document.fd, document.doc_type, document.tags)
    with pytest.raises(DuplicateExtId):
        fn.open_shift(ext_id="op-open")
    fn.cash("in", 100, ext_id="c")
    with pytest.raises(DuplicateExtId):
        fn.cash("in", 100, ext_id="c")
    assert fn.status()["cash_in_drawer"] == 100  # one cash operation, though asked twice


def test_any_document_can_be_read_back_from_the_archive_by_its_number(fn: Fn) -> None:
    sold = fn.sell(SALE, "s1")
    assert fn.document(sold.fd).tags == sold.tags
    assert fn.document(1).doc_type == REGISTRATION
    assert fn.document(99) is None
