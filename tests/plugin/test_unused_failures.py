"""Failures armed on an emulator and never used fail the test at teardown, naming the call (as pytest-httpx does)."""

from __future__ import annotations

import pytest

INJECTIONS = '''
import httpx
import pytest
from pytest_opticserp import factories

lenient_ofd = factories.ofd("opticserp_ofd_server", assert_all_failures_used=False)


def post_to(ofd):
    return httpx.post(f"{ofd.url}/ofd/v1/receipts", content=b"{}").status_code


def test_unused(ofd_emulator):
    ofd_emulator.fail_next(5)
    assert post_to(ofd_emulator) == 503


def test_disarmed_before_use(odoo_api_emulator):
    odoo_api_emulator.fail_next(2)
    odoo_api_emulator.recover()


def test_all_used(ofd_emulator):
    ofd_emulator.fail_next(2)
    assert [post_to(ofd_emulator) for _ in range(2)] == [503, 503]
    ofd_emulator.recover()


def test_permanent_failures_have_no_count(ofd_emulator):
    ofd_emulator.fail_permanently()


@pytest.mark.opticserp_emulators(assert_all_failures_used=False)
def test_allowed_by_the_marker(ofd_emulator):
    ofd_emulator.fail_next(5)


def test_allowed_by_the_factory(lenient_ofd):
    lenient_ofd.fail_next(5)


def test_a_failed_test_is_not_blamed_twice(ofd_emulator):
    ofd_emulator.fail_next(5)
    assert False, "the real failure"
'''


def test_unused_failure_injections_fail_the_test_naming_them(pytester: pytest.Pytester,
                                                              inner_args: list[str]) -> None:
    pytester.makepyfile(INJECTIONS)

    result = pytester.runpytest(*inner_args, "-p", "no:randomly")

    result.assert_outcomes(passed=6, failed=1, errors=2)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_unused*",
        "*ofd_emulator.fail_next(5): 4 failure(s) never used (still armed when the test ended)*",
        "*@pytest.mark.opticserp_emulators(assert_all_failures_used=False)*",
        "*ERROR at teardown of test_disarmed_before_use*",
        "*odoo_api_emulator.fail_next(2): 2 failure(s) never used (disarmed by recover())*",
    ])
    assert "the real failure" in result.stdout.str()
    assert "ERROR at teardown of test_a_failed_test_is_not_blamed_twice" not in result.stdout.str()


def test_an_unknown_emulator_option_is_a_usage_error(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makepyfile('''
import pytest

@pytest.mark.opticserp_emulators(assert_all_failures_usd=False)
def test_typo(ofd_emulator):
    pass
''')
    result = pytester.runpytest(*inner_args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*opticserp_emulators*assert_all_failures_usd*known: assert_all_failures_used*"])
