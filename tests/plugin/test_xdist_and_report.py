"""Under pytest-xdist every worker gets its own servers; start-up times appear in the terminal summary."""

from __future__ import annotations

import json
import re

import psutil
import pytest

MEETS_THE_OTHER_WORKER = '''
import json, os, pytest
from pytest_opticserp import eventually

@pytest.mark.parametrize("n", range(4))
def test_an_outage_overlaps_a_test_on_the_other_worker(kkt_adapter, opticserp_scenario, opticserp_redis_proc, n):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    other = "gw1" if worker == "gw0" else "gw0"
    with open(f"running-{worker}-{n}.json", "w") as file:
        json.dump({"worker": worker, "port": kkt_adapter.port, "pid": kkt_adapter.pid,
                   "buffer": str(kkt_adapter.buffer_path), "redis_port": opticserp_redis_proc.port,
                   "redis_pid": opticserp_redis_proc.pid}, file)
    with opticserp_scenario.ofd_offline():
        kkt_adapter.post_receipt()
        kkt_adapter.wait_for_network("OFFLINE")
        eventually(lambda: any(name.startswith(f"running-{other}-") for name in os.listdir(".")),
                   f"a test on {other} while {worker} is offline (are the workers running one after the other?)",
                   timeout=60)
    kkt_adapter.wait_until_synced(1)
'''

USES_BOTH_SERVERS = "def test_uses_both(opticserp_redis, opticserp_postgresql):\n    pass\n"


def test_two_xdist_workers_run_at_once_each_with_its_own_redis_and_adapters_that_are_gone_after(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    """One inner session with two workers (each such session costs seconds of CPU): the tests overlap across
    the workers; each worker has its own Redis, on its own port, its start-up time in the summary; every adapter
    had a port and a buffer of its own and is gone once the session ends."""
    pytester.makepyfile(MEETS_THE_OTHER_WORKER)

    result = pytester.runpytest_subprocess(*inner_args, "-n", "2")

    result.assert_outcomes(passed=4)
    running = [json.loads(path.read_text()) for path in pytester.path.glob("running-*.json")]
    assert {r["worker"] for r in running} == {"gw0", "gw1"}
    redis = {r["worker"]: (r["redis_port"], r["redis_pid"]) for r in running}
    assert len({port for port, _ in redis.values()}) == len({pid for _, pid in redis.values()}) == 2, redis
    result.stdout.fnmatch_lines(["opticserp: [[]gw?] redis local * ready in * s"] * 2)
    assert len({r["port"] for r in running}) == len({r["buffer"] for r in running}) == 4
    assert not [r["pid"] for r in running if psutil.pid_exists(r["pid"])], "an adapter outlived its test"


def test_start_up_times_are_printed_in_the_terminal_summary(
    pytester: pytest.Pytester, inner_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(USES_BOTH_SERVERS)

    result = pytester.runpytest(*inner_args)

    lines = [line for line in result.outlines if line.startswith("opticserp: ") and " ready in " in line]
    seconds = [float(re.search(r"ready in ([\d.]+) s", line).group(1)) for line in lines]  # type: ignore[union-attr]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert [line.split()[1] for line in lines] == ["redis", "postgresql"]
    assert "cluster from cache" in lines[1]
    assert max(seconds) < 10, "a generous sanity bound, not a benchmark"
