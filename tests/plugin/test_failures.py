"""Failures say what went wrong: which URL, which backend and why, and what the server logged."""

from __future__ import annotations

import sys

import psutil
import pytest

from pytest_opticserp.executors.base import ServerProcess, ServerStartError

USES_REDIS = "def test_uses_redis(opticserp_redis):\n    pass\n"
USES_POSTGRESQL = "def test_uses_postgresql(opticserp_postgresql):\n    pass\n"


def test_an_external_redis_nobody_listens_on_fails_naming_its_url(
    pytester: pytest.Pytester, inner_args: list[str], unused_port: int
) -> None:
    pytester.makepyfile(USES_REDIS)
    url = f"redis://127.0.0.1:{unused_port}/0"

    result = pytester.runpytest(*inner_args, f"--opticserp-redis-url={url}", "--opticserp-startup-timeout=0.2")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*external Redis is not reachable: nobody answers PING at {url} (waited 0.2 s)*"])


def test_an_external_postgresql_nobody_listens_on_fails_naming_its_url(
    pytester: pytest.Pytester, inner_args: list[str], unused_port: int
) -> None:
    pytester.makepyfile(USES_POSTGRESQL)
    url = f"postgresql://odoo:s3cret@127.0.0.1:{unused_port}/postgres"

    result = pytester.runpytest(*inner_args, f"--opticserp-postgresql-url={url}", "--opticserp-startup-timeout=0.2")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        f"*external PostgreSQL is not reachable: cannot connect to postgresql://odoo:***@127.0.0.1:{unused_port}/postgres*"
    ])


def test_the_docker_backend_without_docker_fails_with_the_reason(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    pytester.makepyfile(USES_REDIS)

    result = pytester.runpytest(*inner_args, "--opticserp-backend=docker")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no backend can serve redis (--opticserp-backend=docker):*", "*docker: *"])


def test_a_server_that_never_gets_ready_is_stopped_and_reported(tmp_path) -> None:
    server = ServerProcess(
        "sleeper", [sys.executable, "-c", "print('warming up', flush=True); import time; time.sleep(60)"],
        logfile=tmp_path / "sleeper.log", is_ready=lambda: False, startup_timeout=0.5,
    )

    with pytest.raises(ServerStartError, match="(?s)sleeper did not become ready within 0.5 s.*warming up"):
        server.start()
    assert server.pid is None


def test_a_server_that_ignores_the_stop_signal_is_killed(tmp_path) -> None:
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); " \
        "time.sleep(60)"
    server = ServerProcess(
        "stubborn", [sys.executable, "-c", stubborn], logfile=tmp_path / "stubborn.log",
        is_ready=lambda: "up" in (tmp_path / "stubborn.log").read_text(), startup_timeout=10, shutdown_timeout=0.2,
    )
    server.start()
    pid = server.pid

    server.stop()

    assert not psutil.pid_exists(pid)
