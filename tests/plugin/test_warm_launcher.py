"""The fork launcher (`--opticserp-launcher=fork`): a forked adapter is the process a spawned one is, only sooner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from pytest_opticserp import KktAdapter
from pytest_opticserp.adapter import TEST_TIMINGS, clean_environment
from pytest_opticserp.config import settings_for
from pytest_opticserp.executors.base import SPAWN, Launcher, ServerStartError
from pytest_opticserp.executors.opticserp import opticserp_command
from pytest_opticserp.executors.warm import WarmLauncher
from pytest_opticserp.ports import reserve_port, shared_port_dir
from pytest_opticserp.waiting import eventually

from .support import RECORD_SERVER_PROCESSES, recorded_processes, still_running

MakeAdapter = Callable[..., KktAdapter]


@pytest.fixture(scope="module")
def warm_launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarmLauncher]:
    launcher = WarmLauncher(tmp_path_factory.mktemp("warm") / "warm-launcher.log", opticserp_command(),
                            env=clean_environment())
    yield launcher
    launcher.close()


@pytest.fixture
def make_adapter(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MakeAdapter]:
    """Unstarted adapters on reserved ports, each with its own directory; all stopped at teardown."""
    made: list[tuple[KktAdapter, Any]] = []

    def make(launcher: Launcher, **settings: Any) -> KktAdapter:
        reservation = reserve_port(shared_port_dir(request.config, tmp_path_factory), "kkt-adapter")
        adapter = KktAdapter(reservation.port, tmp_path_factory.mktemp("adapter"),
                             {**TEST_TIMINGS, "odoo_api_url": "", **settings}, startup_timeout=15, launcher=launcher)
        made.append((adapter, reservation))
        return adapter

    yield make
    for adapter, reservation in made:
        adapter.close()
        reservation.release()


def test_a_forked_adapter_refuses_bad_settings_exactly_as_the_command_does(
    make_adapter: MakeAdapter, warm_launcher: WarmLauncher
) -> None:
    forked, spawned = make_adapter(warm_launcher, buffer_max_size=0), make_adapter(SPAWN, buffer_max_size=0)

    for adapter in (forked, spawned):
        with pytest.raises(ServerStartError):
            adapter.start()

    assert forked.returncode == spawned.returncode == 2
    assert forked.log() == spawned.log()
    assert forked.log().startswith("opticserp adapter: ") and "BUFFER_MAX_SIZE" in forked.log()


def test_a_forked_adapter_ends_as_a_spawned_one_does_on_sigterm_and_sigkill(
    make_adapter: MakeAdapter, warm_launcher: WarmLauncher
) -> None:
    forked, spawned = make_adapter(warm_launcher).start(), make_adapter(SPAWN).start()
    endings = {}
    for adapter in (forked, spawned):
        adapter.stop()
        stopped = adapter.returncode
        adapter.start().kill()
        endings[adapter] = (stopped, adapter.returncode)

    assert endings[forked] == endings[spawned]
    assert endings[forked][1] == -signal.SIGKILL


def test_a_forked_adapter_has_its_own_session_environment_directory_and_log(
    make_adapter: MakeAdapter, warm_launcher: WarmLauncher
) -> None:
    adapter = make_adapter(warm_launcher, buffer_max_size=7).start()
    process, parent = psutil.Process(adapter.pid), psutil.Process(warm_launcher.pid)

    assert process.ppid() == parent.pid and os.getsid(adapter.pid) == adapter.pid
    assert Path(process.cwd()) == adapter.workdir
    # Its settings are the ones it was given (/proc/<pid>/environ still shows the warm parent's, read it from the API).
    assert adapter.status()["capacity"] == 7
    assert f"Started server process [{adapter.pid}]" in adapter.log()
    assert Path(os.readlink(f"/proc/{adapter.pid}/fd/1")) == adapter.workdir / "adapter.log"
    # Nothing the warm parent holds open (its log, its socket to the test) is open in the adapter.
    assert set(_open_targets(parent.pid)) & set(_open_targets(adapter.pid)) <= {os.devnull}
    assert parent.num_threads() == 1


def _open_targets(pid: int) -> list[str]:
    return [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]


def test_the_launcher_forks_on_linux_unless_the_ini_file_or_command_line_says_spawn(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    assert settings_for(pytester.parseconfigure(*inner_args)).launcher == "fork"  # auto, on this Linux machine
    pytester.makeini("[pytest]\nopticserp_launcher = spawn\n")
    assert settings_for(pytester.parseconfigure(*inner_args)).launcher == "spawn"
    assert settings_for(pytester.parseconfigure(*inner_args, "--opticserp-launcher=fork")).launcher == "fork"
    assert settings_for(pytester.parseconfigure(*inner_args, "--opticserp-launcher=auto")).launcher == "fork"


def test_an_unknown_launcher_in_the_ini_file_is_a_usage_error(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makeini("[pytest]\nopticserp_launcher = vfork\n")

    result = pytester.runpytest(*inner_args)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*opticserp_launcher = 'vfork': expected one of auto, spawn, fork*"])


def test_commands_other_than_the_opticserp_command_are_refused(warm_launcher: WarmLauncher, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="runs `.*opticserp.* only"):
        warm_launcher.launch([sys.executable, "-c", "pass"], logfile=tmp_path / "log", cwd=None, env=None)


USES_A_FORKED_ADAPTER = RECORD_SERVER_PROCESSES + '''
import psutil, pytest

@pytest.mark.kkt_adapter(redis=False)  # a killed session would orphan its Redis (see test_cleanup)
def test_uses_a_forked_adapter(kkt_adapter):
    warm_parent = psutil.Process(kkt_adapter.pid).parent()
    assert "pytest_opticserp.executors.warm" in warm_parent.cmdline()
    record_server_processes("servers.json", kkt_adapter, warm_parent)
    {ending}
'''


def test_nothing_forked_is_left_running_after_a_failing_test(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makepyfile(USES_A_FORKED_ADAPTER.format(ending="assert False, 'the receipt was lost'"))

    result = pytester.runpytest(*inner_args, "--opticserp-launcher=fork")

    result.assert_outcomes(failed=1)
    recorded = recorded_processes(pytester.path / "servers.json")
    assert len(recorded) >= 2, "the adapter and its warm parent"
    assert still_running(recorded) == []


def test_a_killed_session_leaves_no_warm_parent_and_no_forked_adapter(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    pytester.makepyfile(USES_A_FORKED_ADAPTER.format(ending="import time; time.sleep(60)"))
    session = pytester.popen([sys.executable, "-m", "pytest", *inner_args, "--opticserp-launcher=fork"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        eventually(lambda: (pytester.path / "servers.json").exists() or session.poll() is not None,
                   "the inner session to start its adapter", timeout=60)
    finally:
        session.kill()  # no teardown, no atexit: the warm parent sees its socket close
        session.wait()
    recorded = recorded_processes(pytester.path / "servers.json")
    try:
        eventually(lambda: not still_running(recorded), "the warm parent to end its adapter and exit", timeout=15)
    finally:
        for pid, _, _ in still_running(recorded):
            os.kill(pid, signal.SIGKILL)
