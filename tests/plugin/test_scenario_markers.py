"""The plugin's markers and adapter fixtures as another project sees them: through inner pytest runs."""

from __future__ import annotations

import json
import re

import psutil
import pytest

from pytest_opticserp import EventuallyTimeout, eventually


def test_markers_are_registered_with_descriptions(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    result = pytester.runpytest(*inner_args, "--markers")
    for marker in ("offline", "circuit_breaker", "ofd_timeout", "ofd_offline(mode='refused')",
                   "ofd_failing(failures=None, permanent=False)", "ofd_slow(delay=None)", "kkt_adapter(**settings)",
                   "opticserp_emulators(assert_all_failures_used=True)",
                   "kkt_register(shift_open=None, shift_opened_hours_ago=None, oldest_unsent_days=None, "
                   "unsent_receipts=None, fn_expires_in_days=None, fn_closed=False)"):
        result.stdout.fnmatch_lines([f"@pytest.mark.{marker}: *"])


FIXTURES = ("kkt_adapter", "ofd_emulator", "odoo_api_emulator", "ofd_network", "fiscal_receipt_factory",
            "opticserp_scenario", "opticserp_report_figure", "opticserp_redis", "opticserp_postgresql")
ALIASES = {"ofd": "ofd_emulator", "odoo_api": "odoo_api_emulator", "scenario": "opticserp_scenario",
           "receipt_factory": "fiscal_receipt_factory", "report_figure": "opticserp_report_figure"}


def test_public_fixtures_are_documented(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    result = pytester.runpytest(*inner_args, "--fixtures")
    text = result.stdout.str()
    for fixture in FIXTURES:
        block = re.search(rf"^{fixture}( \[session scope\])? -- .*\n(.*)\n", text, re.MULTILINE)
        assert block and block.group(2).strip(), f"{fixture} has no docstring in --fixtures"
    for alias, name in ALIASES.items():
        block = re.search(rf"^{alias} -- .*\n(.*)\n", text, re.MULTILINE)
        assert block and f"alias of `{name}`" in block.group(1), f"{alias} is not documented as {name}'s alias"


def test_the_first_releases_fixture_names_still_work(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makepyfile('''
def test_old_names(ofd, ofd_emulator, odoo_api, odoo_api_emulator, receipt_factory, report_figure, scenario,
                   opticserp_scenario):
    assert ofd is ofd_emulator and odoo_api is odoo_api_emulator and scenario is opticserp_scenario
    assert receipt_factory()["items"]
    report_figure("an old name still reports")
''')
    result = pytester.runpytest(*inner_args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["an old name still reports"])


def test_an_unknown_adapter_setting_is_a_clear_error(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makepyfile('''
import pytest

@pytest.mark.kkt_adapter(sync_intreval=1)
def test_typo(kkt_adapter):
    pass
''')
    result = pytester.runpytest(*inner_args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown setting(s) sync_intreval*known: *sync_interval*"])


def test_an_unknown_offline_mode_is_a_clear_error(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makepyfile('''
import pytest

@pytest.mark.ofd_offline(mode="unplugged")
def test_mode(kkt_adapter):
    pass
''')
    result = pytester.runpytest(*inner_args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*offline mode must be one of refused, blackhole, reset, got 'unplugged'*"])


def test_a_family_marker_selects_its_tests_and_switches_nothing_on(pytester: pytest.Pytester,
                                                                   inner_args: list[str]) -> None:
    pytester.makepyfile('''
import pytest

@pytest.mark.offline
def test_offline_one(ofd_network, ofd_emulator):
    assert ofd_network.listening and ofd_network.enabled
    assert ofd_emulator.state.faults.snapshot()["failure_mode"] == "disabled"

def test_plain():
    pass
''')
    result = pytester.runpytest(*inner_args, "-m", "offline")
    result.assert_outcomes(passed=1, deselected=1)


def test_a_family_marker_given_arguments_names_the_behaviour_marker(pytester: pytest.Pytester,
                                                                    inner_args: list[str]) -> None:
    pytester.makepyfile('''
import pytest

@pytest.mark.circuit_breaker(permanent=True)
def test_first_release_style():
    pass
''')
    result = pytester.runpytest(*inner_args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.circuit_breaker only selects*use @pytest.mark.ofd_failing(...)*"])


def test_a_behaviour_marker_on_a_test_without_an_adapter_fails_it(pytester: pytest.Pytester,
                                                                  inner_args: list[str]) -> None:
    pytester.makepyfile('''
import pytest

@pytest.mark.ofd_offline
def test_no_adapter(ofd_network):
    pass
''')
    result = pytester.runpytest(*inner_args)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.ofd_offline switched nothing on: the test uses no adapter fixture*"])


def test_adapters_under_two_xdist_workers_run_at_once_each_on_its_own_port_and_buffer_and_are_gone_after(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    """One inner session with two workers (each costs seconds of CPU): the tests overlap across the workers, and
    every adapter had a port and a buffer of its own and is gone once the session ends."""
    pytester.makepyfile(MEETS_THE_OTHER_WORKER)
    result = pytester.runpytest_subprocess(*inner_args, "-n", "2")
    result.assert_outcomes(passed=4)
    running = [json.loads(path.read_text()) for path in pytester.path.glob("running-*.json")]
    assert {r["worker"] for r in running} == {"gw0", "gw1"}
    assert len({r["port"] for r in running}) == len({r["buffer"] for r in running}) == 4
    assert not [r["pid"] for r in running if psutil.pid_exists(r["pid"])], "an adapter outlived its test"


def test_an_interrupted_session_leaves_no_adapter_running(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makepyfile('''
def test_interrupted(kkt_adapter):
    with open("adapter.pid", "w") as file:
        file.write(str(kkt_adapter.pid))
    raise KeyboardInterrupt
''')
    result = pytester.runpytest_subprocess(*inner_args)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    pid = int((pytester.path / "adapter.pid").read_text())
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


MEETS_THE_OTHER_WORKER = '''
import json, os, pytest
from pytest_opticserp import eventually

@pytest.mark.parametrize("n", range(4))
def test_an_outage_overlaps_a_test_on_the_other_worker(kkt_adapter, opticserp_scenario, n):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    other = "gw1" if worker == "gw0" else "gw0"
    with open(f"running-{worker}-{n}.json", "w") as file:
        json.dump({"worker": worker, "port": kkt_adapter.port, "pid": kkt_adapter.pid,
                   "buffer": str(kkt_adapter.buffer_path)}, file)
    with opticserp_scenario.ofd_offline():
        kkt_adapter.post_receipt()
        kkt_adapter.wait_for_network("OFFLINE")
        eventually(lambda: any(name.startswith(f"running-{other}-") for name in os.listdir(".")),
                   f"a test on {other} while {worker} is offline (are the workers running one after the other?)",
                   timeout=60)
    kkt_adapter.wait_until_synced(1)
'''


MARKED_SCENARIOS = '''
import pytest
from pytest_opticserp import eventually

@pytest.mark.ofd_offline
def test_offline_refuses_connections_to_the_ofd(kkt_adapter, ofd_emulator):
    for _ in range(3):
        assert kkt_adapter.post_receipt().status_code == 200
    kkt_adapter.wait_for_network("OFFLINE")
    assert kkt_adapter.status()["pending_count"] == 3
    assert ofd_emulator.counters.calls == 0


@pytest.mark.ofd_offline(mode="blackhole")
@pytest.mark.kkt_adapter(ofd_timeout=0.3)
def test_offline_blackhole_leaves_deliveries_hanging_until_timeout(kkt_adapter, ofd_emulator):
    kkt_adapter.post_receipt()
    kkt_adapter.wait_for_network("OFFLINE")
    # The FN's registration report is first in line for the OFD: its delivery is the one left hanging.
    failed = "SELECT last_error FROM fn_documents WHERE last_error IS NOT NULL"
    eventually(lambda: kkt_adapter.query(failed), "a failed delivery")
    (error,) = kkt_adapter.query(failed)[0]
    assert "did not answer within 0.3s" in error
    assert ofd_emulator.counters.calls == 0


@pytest.mark.ofd_failing
def test_failing_fails_the_ofd_until_the_breaker_opens(kkt_adapter, ofd_emulator):
    for _ in range(3):
        kkt_adapter.post_receipt()
    kkt_adapter.wait_for_breaker("OPEN")
    kkt_adapter.wait_for_breaker("CLOSED")
    kkt_adapter.wait_until_synced(3)
    assert ofd_emulator.counters.failed_injected == 3


@pytest.mark.ofd_slow
@pytest.mark.kkt_adapter(ofd_timeout=0.3)
def test_slow_makes_every_delivery_time_out(kkt_adapter, ofd_emulator):
    kkt_adapter.post_receipt()
    eventually(lambda: kkt_adapter.status()["failed_count"] == 1, "a timed-out delivery", kkt_adapter.status)
    assert kkt_adapter.status()["pending_count"] == 1
    assert ofd_emulator.state.faults.delay == 0.6


'''


def test_each_scenario_marker_is_observed_through_the_adapter(pytester: pytest.Pytester,
                                                              inner_args: list[str]) -> None:
    pytester.makepyfile(MARKED_SCENARIOS)
    result = pytester.runpytest_subprocess(*inner_args)
    result.assert_outcomes(passed=4)


def test_eventually_says_what_was_awaited_and_what_was_last_seen() -> None:
    seen = iter(range(1000))
    with pytest.raises(EventuallyTimeout) as raised:
        eventually(lambda: False, "the OFD to have 3 receipts", lambda: f"{next(seen)} receipts", timeout=0.05)
    assert re.match(r"timed out after 0.05s waiting for the OFD to have 3 receipts; last seen: '\d+ receipts'",
                    str(raised.value))


def test_eventually_returns_the_truthy_value() -> None:
    assert eventually(lambda: {"synced_count": 1}, "a status") == {"synced_count": 1}
