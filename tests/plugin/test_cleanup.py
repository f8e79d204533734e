"""Nothing a session started is left running when it ends: after failures, and after interruptions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_opticserp.executors.postgresql import runtime_parent, sweep_abandoned_clusters
from pytest_opticserp.waiting import eventually

from .support import RECORD_SERVER_PROCESSES, clusters_owned_by, recorded_processes, still_running

USES_BOTH_SERVERS = RECORD_SERVER_PROCESSES + '''

def test_uses_both_servers(opticserp_redis_proc, opticserp_postgresql_proc, opticserp_redis, opticserp_postgresql):
    record_server_processes("servers.json", opticserp_redis_proc, opticserp_postgresql_proc)
    {ending}
'''


def test_nothing_is_left_running_after_a_failing_test(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makepyfile(USES_BOTH_SERVERS.format(ending="assert False, 'the receipt was lost'"))

    result = pytester.runpytest(*inner_args)

    result.assert_outcomes(failed=1)
    assert still_running(recorded_processes(pytester.path / "servers.json")) == []


def test_nothing_is_left_running_after_a_test_raises_keyboard_interrupt(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    pytester.makepyfile(USES_BOTH_SERVERS.format(ending="raise KeyboardInterrupt"))

    result = pytester.runpytest(*inner_args, no_reraise_ctrlc=True)

    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert still_running(recorded_processes(pytester.path / "servers.json")) == []


WAITS_TO_BE_INTERRUPTED = """import time
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # a long test; the outer test interrupts it
        time.sleep(0.05)"""


def test_nothing_is_left_running_after_the_session_gets_sigint(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    pytester.makepyfile(USES_BOTH_SERVERS.format(ending=WAITS_TO_BE_INTERRUPTED))
    output = pytester.path / "output.txt"
    with open(output, "wb") as log:
        session = pytester.popen(
            [sys.executable, "-m", "pytest", *inner_args], stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        try:
            eventually(lambda: (pytester.path / "servers.json").exists() or session.poll() is not None,
                       "the inner session to start its servers", timeout=60)
            session.send_signal(signal.SIGINT)
            session.wait(60)
        finally:
            if session.poll() is None:  # it did not stop on Ctrl-C: the test fails below, and leaves nothing behind
                session.kill()
                session.wait()
                servers = pytester.path / "servers.json"
                for pid, _, _ in still_running(recorded_processes(servers)) if servers.exists() else []:
                    os.kill(pid, signal.SIGKILL)

    assert session.returncode == pytest.ExitCode.INTERRUPTED, output.read_text()
    assert still_running(recorded_processes(pytester.path / "servers.json")) == []


def test_a_cluster_left_by_a_killed_session_is_swept_away_by_the_next(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    pytester.makepyfile(USES_BOTH_SERVERS.format(ending=WAITS_TO_BE_INTERRUPTED))
    session = pytester.popen([sys.executable, "-m", "pytest", *inner_args], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        eventually(lambda: (pytester.path / "servers.json").exists() or session.poll() is not None,
                   "the inner session to start its servers", timeout=60)
    finally:
        session.kill()
        session.wait()
    orphans = recorded_processes(pytester.path / "servers.json")
    try:
        assert "postgres" in [name for _, _, name in still_running(orphans)], "a killed session orphans its servers"

        sweep_abandoned_clusters(Path(runtime_parent()))

        assert [name for _, _, name in still_running(orphans)] == ["redis-server"], "only Redis is left"
        assert clusters_owned_by(session.pid) == []
    finally:
        for pid, _, _ in still_running(orphans):
            os.kill(pid, signal.SIGKILL)
