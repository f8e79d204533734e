"""The plugin's markers and adapter fixtures as another project sees them: through inner pytest runs."""

from __future__ import annotations

import json
import re

import psutil
import pytest

from pytest_opticserp import EventuallyTimeout, eventually

RECORDS_ITS_ADAPTER = '''
import json, os, pytest

@pytest.mark.parametrize("n", range({count}))
def test_posts_a_receipt(kkt_adapter, n):
    assert kkt_adapter.post_receipt().status_code == 200
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(f"adapter-{{worker}}-{{n}}.json", "w") as file:
        json.dump({{"port": kkt_adapter.port, "pid": kkt_adapter.pid, "buffer": str(kkt_adapter.buffer_path)}}, file)
'''


def test_markers_are_registered_with_descriptions(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    result = pytester.runpytest(*inner_args, "--markers")
    for marker in ("offline(mode='refused')", "circuit_breaker(failures=None, permanent=False)",
                   "ofd_timeout(delay=None)", "kkt_adapter(**settings)"):
        result.stdout.fnmatch_lines([f"@pytest.mark.{marker}: *"])


def test_public_fixtures_are_documented(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    result = pytester.runpytest(*inner_args, "--fixtures")
    text = result.stdout.str()
    for fixture in ("kkt_adapter", "ofd", "odoo_api", "ofd_network", "receipt_factory", "scenario",
                    "opticserp_redis", "opticserp_postgresql"):
        block = re.search(rf"^{fixture}( \[session scope\])? -- .*\n(.*)\n", text, re.MULTILINE)
        assert block and block.group(2).strip(), f"{fixture} has no docstring in --fixtures"


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

@pytest.mark.offline(mode="unplugged")
def test_mode(kkt_adapter):
    pass
''')
    result = pytester.runpytest(*inner_args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*offline mode must be one of refused, blackhole, reset, got 'unplugged'*"])


def test_a_family_is_selected_by_its_marker(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makepyfile('''
import pytest

@pytest.mark.offline
def test_offline_one(ofd_network):
    assert not ofd_network.listening

def test_plain():
    pass
''')
    result = pytester.runpytest(*inner_args, "-m", "offline")
    result.assert_outcomes(passed=1, deselected=1)


def test_adapters_under_xdist_have_their_own_ports_and_buffers_and_are_gone_after(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    pytester.makepyfile(RECORDS_ITS_ADAPTER.format(count=4))
    result = pytester.runpytest_subprocess(*inner_args, "-n", "2")
    result.assert_outcomes(passed=4)
    adapters = [json.loads(path.read_text()) for path in pytester.path.glob("adapter-*.json")]
    assert len({a["port"] for a in adapters}) == len({a["buffer"] for a in adapters}) == 4
    assert not [a["pid"] for a in adapters if psutil.pid_exists(a["pid"])], "an adapter outlived its test"


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


def test_two_workers_run_adapter_tests_at_the_same_time(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makepyfile(MEETS_THE_OTHER_WORKER)
    result = pytester.runpytest_subprocess(*inner_args, "-n", "2")
    result.assert_outcomes(passed=4)
    running = [json.loads(path.read_text()) for path in pytester.path.glob("running-*.json")]
    assert {r["worker"] for r in running} == {"gw0", "gw1"}
    assert len({r["port"] for r in running}) == 4


MEETS_THE_OTHER_WORKER = '''
import json, os, pytest
from pytest_opticserp import eventually

@pytest.mark.parametrize("n", range(4))
def test_an_outage_overlaps_a_test_on_the_other_worker(kkt_adapter, scenario, n):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    other = "gw1" if worker == "gw0" else "gw0"
    with open(f"running-{worker}-{n}.json", "w") as file:
        json.dump({"worker": worker, "port": kkt_adapter.port}, file)
    with scenario.offline():
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

@pytest.mark.offline
def test_offline_refuses_connections_to_the_ofd(kkt_adapter, ofd):
    for _ in range(3):
        assert kkt_adapter.post_receipt().status_code == 200
    kkt_adapter.wait_for_network("OFFLINE")
    assert kkt_adapter.status()["pending_count"] == 3
    assert ofd.counters.calls == 0


@pytest.mark.offline(mode="blackhole")
@pytest.mark.kkt_adapter(ofd_timeout=0.3)
def test_offline_blackhole_leaves_deliveries_hanging_until_timeout(kkt_adapter, ofd):
    kkt_adapter.post_receipt()
    kkt_adapter.wait_for_network("OFFLINE")
    eventually(lambda: kkt_adapter.query("SELECT last_error FROM receipts")[0][0], "a failed delivery")
    (error,) = kkt_adapter.query("SELECT last_error FROM receipts")[0]
    assert "did not answer within 0.3s" in error
    assert ofd.counters.calls == 0


@pytest.mark.circuit_breaker
def test_circuit_breaker_fails_the_ofd_until_the_breaker_opens(kkt_adapter, ofd):
    for _ in range(3):
        kkt_adapter.post_receipt()
    kkt_adapter.wait_for_breaker("OPEN")
    kkt_adapter.wait_for_breaker("CLOSED")
    kkt_adapter.wait_until_synced(3)
    assert ofd.counters.failed_injected == 3


@pytest.mark.ofd_timeout
@pytest.mark.kkt_adapter(ofd_timeout=0.3)
def test_ofd_timeout_makes_every_delivery_time_out(kkt_adapter, ofd):
    kkt_adapter.post_receipt()
    eventually(lambda: kkt_adapter.status()["failed_count"] == 1, "a timed-out delivery", kkt_adapter.status)
    assert kkt_adapter.status()["pending_count"] == 1


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
