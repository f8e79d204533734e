"""Nothing a session started is left running when it ends: after failures, and after interruptions."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from pytest_opticserp.executors.postgresql import OWNER_FILE, RUNTIME_PREFIX, runtime_parent, sweep_abandoned_clusters
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


# A stand-in for a server another sweep killed a moment ago: its leader (the "postmaster") already gone, one
# "backend" of its process group still running. Both are named `postgres`, as the real ones are.
LEADER_GONE_BACKEND_LEFT = r'''
import ctypes, os, sys, time
def named_postgres():
    ctypes.CDLL(None).prctl(15, b"postgres", 0, 0, 0)  # PR_SET_NAME
named_postgres()
if os.fork() == 0:
    named_postgres()
    for stream in (1, 2):  # the caller reads the leader's output to its end
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream)
    time.sleep(60)
    os._exit(0)
print(os.getpid(), flush=True)
'''


def test_the_sweep_waits_for_the_backends_of_a_server_that_is_already_gone(tmp_path: Path) -> None:
    """A server killed by another session's sweep a moment ago may be gone while a backend still exits: the
    sweep must not delete the directory under it (before: it returned as soon as the server's PID was gone)."""
    leader = subprocess.run([sys.executable, "-c", LEADER_GONE_BACKEND_LEFT], capture_output=True, text=True,
                            start_new_session=True, timeout=30, check=True)
    group = int(leader.stdout)
    [backend] = [process for process in psutil.process_iter() if _pgid(process.pid) == group]
    assert backend.name() == "postgres"
    runtime = tmp_path / f"{RUNTIME_PREFIX}left"
    (runtime / "data").mkdir(parents=True)
    (runtime / "data" / "postmaster.pid").write_text(f"{group}\n")
    (runtime / OWNER_FILE).write_text("999999999")  # an owner that cannot be alive
    timer = threading.Timer(1.0, backend.kill)  # it exits a second later, as a busy machine's backend may
    timer.start()
    try:
        started = time.monotonic()
        sweep_abandoned_clusters(tmp_path)
        waited = time.monotonic() - started
    finally:
        timer.cancel()
        with contextlib.suppress(psutil.NoSuchProcess):
            backend.kill()

    assert not runtime.exists()
    assert not backend.is_running() or backend.status() == psutil.STATUS_ZOMBIE
    assert waited >= 0.9, f"the sweep deleted the directory after {waited:.2f} s, with a backend still running"


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None
