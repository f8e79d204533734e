"""Black-box scenario suites: the adapter as a real process, the emulators, the network between them.

Each module is one family, selected with `pytest -m <family>` (see the markers in pyproject.toml).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import pytest

from emulators.ofd.state import UnknownFn
from pytest_opticserp import KktAdapter, eventually
from pytest_opticserp.factories.adapter import ADAPTERS

_PASSED = pytest.StashKey[bool]()
FAMILY = "scenario family"  # how a family's marker describes itself (pyproject.toml, pytest_opticserp.scenarios)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--one-per-family", action="store_true",
                     help="run only the first scenario of each family (CI's sample on the other Pythons)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--one-per-family"):
        return
    families = {line.split(":")[0].strip() for line in config.getini("markers") if FAMILY in line}
    kept, seen = [], set()
    for item in items:
        family = next((mark.name for mark in item.iter_markers() if mark.name in families), None)
        if family is None or family not in seen:  # tests of no family (unit, plugin) all run
            seen.add(family)
            kept.append(item)
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if report.when == "call":
        item.stash[_PASSED] = report.passed
    return report


@pytest.fixture(autouse=True)
def _fd_sequence_gap_free_at_the_ofd(request: pytest.FixtureRequest):
    """After every scenario that passed: each FN's documents at the OFD run from FD 1 with no gap, except numbers
    the adapter holds in its DLQ (a document the OFD rejected, there for a person to look at)."""
    # Taken now, so it is still there after the test's adapters have stopped (they are torn down first).
    ofd = request.getfixturevalue("ofd_emulator") if "ofd_emulator" in request.fixturenames else None
    yield
    if ofd is None or not request.node.stash.get(_PASSED, False):
        return
    for adapter in request.node.stash.get(ADAPTERS, {}).values():
        if not adapter.fiscal_drive_path.exists():
            continue
        try:
            sequence = ofd.fn_sequence(fn_serial_of(adapter))
        except UnknownFn:  # nothing of this FN reached the OFD (an outage to the end)
            continue
        parked = {fd for (fd,) in adapter.query(
            "SELECT fiscal_doc_number FROM receipts WHERE status = 'dlq' UNION "
            "SELECT fiscal_doc_number FROM fn_documents WHERE status = 'dlq'")}
        gaps = set(range(1, sequence.first_fd)) | set(sequence.missing)
        unexplained = sorted(gaps - parked)
        assert not unexplained and sequence.missing_count == len(sequence.missing), (
            f"{request.node.name}: the OFD's sequence of FN {sequence.fn_serial} has gaps the DLQ does not explain: "
            f"{unexplained} (first FD {sequence.first_fd}, {sequence.missing_count} missing)")


@pytest.fixture
def post_receipts(kkt_adapter: KktAdapter) -> Callable[[int], list[dict]]:
    """Post `n` receipts with fresh keys; every one must be accepted. Returns the adapter's answers."""

    def post(n: int) -> list[dict]:
        answers = []
        for _ in range(n):
            response = kkt_adapter.post_receipt()
            assert response.status_code == 200, response.text
            answers.append(response.json())
        return answers

    return post


def delivered_fiscal_numbers(ofd_emulator) -> list[int]:
    """Receipts' fiscal document numbers in the order the OFD received them (the FN's other documents aside)."""
    return [document.document["fiscal_doc_number"] for document in ofd_emulator.receipts()]


def _kopecks(rubles: object) -> int:
    return int((Decimal(str(rubles)) * 100).quantize(Decimal(1), ROUND_HALF_UP))


def _vat(rate: str, amount: int) -> int:
    """VAT inside `amount` kopecks, half-up per item, worked out here rather than by the model under test."""
    if rate in ("0", "none"):
        return 0
    part = Decimal(rate.split("/")[0])
    return int((amount * part / (100 + part)).quantize(Decimal(1), ROUND_HALF_UP))


def shift_totals(bodies: list[dict]) -> dict:
    """What a Z report must count for these receipt bodies: per operation, count, total, cash, electronic, and
    per VAT rate the sum and the VAT in it (kopecks)."""
    totals: dict = {}
    for body in bodies:
        operation = "sale_refund" if body.get("type") == "refund" else "sale"
        counters = totals.setdefault(operation, {"count": 0, "total": 0, "cash": 0, "electronic": 0, "by_rate": {}})
        counters["count"] += 1
        counters["total"] += _kopecks(body["total"])
        payments = body.get("payments") or [{"method": body["payment_method"], "amount": body["total"]}]
        for payment in payments:
            counters["cash" if payment["method"] == "cash" else "electronic"] += _kopecks(payment["amount"])
        for item in body["items"]:
            rate = str(item["tax_rate"])
            amount = _kopecks((Decimal(str(item["price"])) * Decimal(str(item["quantity"]))).quantize(Decimal("0.01"),
                                                                                                    ROUND_HALF_UP))
            by_rate = counters["by_rate"].setdefault(rate, {"sum": 0, "vat": 0})
            by_rate["sum"] += amount
            by_rate["vat"] += _vat(rate, amount)
    return totals


def fn_documents(adapter) -> list[tuple[int, int, dict]]:
    """The register's fiscal drive, read as its archive: (FD, document type, stored fields) in FD order."""
    with sqlite3.connect(f"file:{adapter.fiscal_drive_path}?mode=ro", uri=True) as fn:
        rows = fn.execute("SELECT fd, doc_type, payload FROM documents ORDER BY fd").fetchall()
    return [(fd, doc_type, json.loads(payload or "{}")) for fd, doc_type, payload in rows]


def assert_gap_free(documents: list[tuple[int, int, dict]]) -> None:
    __tracebackhide__ = True
    numbers = [fd for fd, _, _ in documents]
    assert numbers == list(range(1, len(numbers) + 1)), f"gap in the fiscal drive's numbers: {numbers}"


QUEUE_HEAD = ("SELECT attempts, next_attempt_at FROM (SELECT attempts, next_attempt_at, fn_serial, fiscal_doc_number"
              " FROM receipts WHERE status = 'pending' UNION ALL SELECT attempts, next_attempt_at, fn_serial,"
              " fiscal_doc_number FROM fn_documents WHERE status = 'pending') ORDER BY fn_serial, fiscal_doc_number"
              " LIMIT 1")


def queue_head(adapter) -> tuple[int, float]:
    """Attempts and next attempt time of the first document in line for the OFD (a receipt or an FN document:
    they leave in FD order)."""
    ((attempts, next_attempt_at),) = adapter.query(QUEUE_HEAD)
    return attempts, next_attempt_at


def fn_serial_of(adapter) -> str:
    with sqlite3.connect(f"file:{adapter.fiscal_drive_path}?mode=ro", uri=True) as fn:
        return fn.execute("SELECT fn_serial FROM fn").fetchone()[0]


def assert_every_document_at_ofd(ofd_emulator, adapter) -> None:
    """Every document the register's FN signed reached the OFD, numbers 1 to the FN's last without a gap (as
    `GET /ofd/v1/fn/{fn}` shows them): shift, registration and report documents as well as receipts."""
    __tracebackhide__ = True
    last = fn_documents(adapter)[-1][0]
    fn_serial = fn_serial_of(adapter)
    sequence = eventually(lambda: (s := ofd_emulator.fn_sequence(fn_serial)).last_fd == last and s,
                          f"FD {last} of FN {fn_serial} at the OFD", lambda: ofd_emulator.fn_sequence(fn_serial))
    assert (sequence.first_fd, sequence.missing) == (1, []), f"the OFD's sequence has gaps: {sequence}"
    assert sequence.received == last


def shift_expired_code(adapter) -> int:
    """The device code of `shift_expired`: 0x16 from the mock register's FN; 0x4E from a Shtrih register, which
    refuses a sale in a shift over 24 hours itself, before its FN is asked."""
    return 0x4E if adapter.register_device is not None else 0x16
