"""Under pytest-xdist every worker gets its own servers; start-up times appear in the terminal summary."""

from __future__ import annotations

import json
import re

import pytest

RECORDS_ITS_REDIS = '''
import json, os

def test_records_its_redis(opticserp_redis_proc, opticserp_redis):
    opticserp_redis.set("worker", os.environ["PYTEST_XDIST_WORKER"])
    with open(f"redis-{os.environ['PYTEST_XDIST_WORKER']}.json", "w") as file:
        json.dump({"port": opticserp_redis_proc.port, "pid": opticserp_redis_proc.pid}, file)
'''

USES_BOTH_SERVERS = "def test_uses_both(opticserp_redis, opticserp_postgresql):\n    pass\n"


def test_two_xdist_workers_each_get_their_own_redis_on_its_own_port(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    pytester.makepyfile(RECORDS_ITS_REDIS)

    result = pytester.runpytest_subprocess(*inner_args, "-n", "2", "--dist", "each")

    result.assert_outcomes(passed=2)
    servers = [json.loads(path.read_text()) for path in sorted(pytester.path.glob("redis-gw*.json"))]
    assert len({server["port"] for server in servers}) == len({server["pid"] for server in servers}) == 2
    result.stdout.fnmatch_lines(["opticserp: [[]gw?] redis local * ready in * s"] * 2)


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
