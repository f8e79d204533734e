"""`@pytest.mark.kkt_register(...)`: the register is found in the marked state when the adapter starts."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest

from pytest_opticserp import InProcessKktAdapter, KktAdapter


def fd_numbers(path) -> list[int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as fn:
        return [row[0] for row in fn.execute("SELECT fd FROM documents ORDER BY fd")]


@pytest.mark.kkt_register(shift_opened_hours_ago=25)
def test_a_shift_opened_25_hours_ago_refuses_sales(kkt_adapter_app: InProcessKktAdapter) -> None:
    state = kkt_adapter_app.shift()
    opened = datetime.fromisoformat(state["shift_opened_at"])
    refused = kkt_adapter_app.post_receipt()
    assert state["shift_open"] is True and state["shift_expired"] is True
    assert timedelta(hours=25) <= datetime.now(opened.tzinfo) - opened < timedelta(hours=25, minutes=1)
    assert (refused.status_code, refused.json()["error"], refused.json()["device_code"]) == (409, "shift_expired", 0x16)


@pytest.mark.kkt_register(oldest_unsent_days=31, unsent_receipts=2)
def test_an_unsent_receipt_31_days_old_blocks_the_fn(kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt = kkt_adapter_app.health()["kkt"]
    oldest = datetime.fromisoformat(kkt["oldest_unsent_at"])
    assert (kkt["unsent_count"], kkt["blocked"]["code"], kkt["shift_open"]) == (2, "fn_offline_limit", False)
    assert timedelta(days=31) <= datetime.now(oldest.tzinfo) - oldest < timedelta(days=31, minutes=1)
    assert kkt_adapter_app.post_receipt().json()["error"] == "fn_offline_limit"


@pytest.mark.kkt_register(fn_expires_in_days=1, shift_open=True)
def test_an_fn_expiring_tomorrow_signs_today(kkt_adapter_app: InProcessKktAdapter) -> None:
    kkt = kkt_adapter_app.health()["kkt"]
    expires = datetime.fromisoformat(kkt["expires_at"])
    assert timedelta(hours=23, minutes=59) < expires - datetime.now(expires.tzinfo) <= timedelta(days=1)
    assert kkt["shift_open"] is True and kkt["last_fiscal_doc_number"] == 2  # registration, open shift
    assert kkt_adapter_app.post_receipt().status_code == 200


@pytest.mark.kkt_register(fn_expires_in_days=-1)
def test_an_fn_that_expired_yesterday_refuses_sales(kkt_adapter_app: InProcessKktAdapter) -> None:
    refused = kkt_adapter_app.post_receipt()
    assert (refused.status_code, refused.json()["error"], refused.json()["device_code"]) == (503, "fn_expired", 0x05)


@pytest.mark.kkt_register(unsent_receipts=3)
@pytest.mark.kkt_adapter(fn_storage_limit=3)
def test_unsent_receipts_up_to_the_storage_limit_fill_the_fn(kkt_adapter_app: InProcessKktAdapter) -> None:
    assert kkt_adapter_app.health()["kkt"]["unsent_count"] == 3
    assert kkt_adapter_app.post_receipt().json()["error"] == "fn_storage_full"


@pytest.mark.kkt_register(fn_closed=True)
def test_a_closed_fn_signs_nothing(kkt_adapter_app: InProcessKktAdapter) -> None:
    refused = kkt_adapter_app.shift_call("open")
    assert (refused.status_code, refused.json()["error"]) == (503, "fn_closed")


@pytest.mark.kkt_register(shift_opened_hours_ago=25)
@pytest.mark.kkt_adapter(kkt_state_path="register/fn.db")
def test_the_adapter_process_finds_the_state_in_its_own_drive_file(kkt_adapter: KktAdapter) -> None:
    assert kkt_adapter.fiscal_drive_path == kkt_adapter.workdir / "register" / "fn.db"
    assert fd_numbers(kkt_adapter.fiscal_drive_path) == [1, 2]  # registration, open shift
    assert kkt_adapter.post_receipt().json()["error"] == "shift_expired"


VARIANT_AND_MISTAKES = '''
import pytest
from pytest_opticserp import factories

late_adapter = factories.kkt_adapter_app(kkt_max_shift_hours=2)


@pytest.mark.kkt_register(shift_opened_hours_ago=3)
def test_a_variant_is_prepared_with_its_own_settings(late_adapter):
    assert late_adapter.post_receipt().json()["error"] == "shift_expired"


@pytest.mark.kkt_register(shift_opend_hours_ago=25)
def test_typo(kkt_adapter_app):
    pass


@pytest.mark.kkt_register(oldest_unsent_days=31, shift_opened_hours_ago=1)
def test_unreachable(kkt_adapter_app):
    pass


@pytest.mark.kkt_register(shift_open=False, shift_opened_hours_ago=1)
def test_contradiction(kkt_adapter_app):
    pass


@pytest.mark.kkt_register(shift_open=True)
def test_no_adapter(ofd_emulator):
    pass
'''


def test_variants_are_prepared_and_mistakes_are_usage_errors_naming_the_options(
        pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makepyfile(VARIANT_AND_MISTAKES)
    result = pytester.runpytest(*inner_args)
    result.assert_outcomes(passed=2, errors=4)
    result.stdout.fnmatch_lines_random([
        "*kkt_register: unknown option(s) shift_opend_hours_ago; known: shift_open, shift_opened_hours_ago, *",
        "*a real fiscal drive cannot reach*refused with fn_offline_limit (0x15)*",
        "*shift_open=False contradicts shift_opened_hours_ago*",
        "*@pytest.mark.kkt_register prepared nothing: the test uses no adapter fixture*",
    ])
