"""A pytest session pays for the servers it uses, not for the ones the plugin could start.

Every `pytest` run in a project with the plugin installed imports it; before, that alone imported FastAPI,
aiohttp, redis' asyncio client and the adapter's app (about a second of CPU), also for a run of plain unit
tests. The inner session runs in a fresh interpreter with `-X importtime` and `-s` (pytest would capture what
it prints), with no plugin but ours loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.importtime import modules_imported, within

SERVER_STACK = ("fastapi", "starlette", "aiohttp", "kkt_adapter.app", "kkt_adapter.components",
                "emulators.ofd.app", "emulators.odoo_api.app",
                "psycopg", "redis")  # the clients of PostgreSQL and Redis: 85 ms of every pytest start, before


def imports_of_a_session(pytester: pytest.Pytester, inner_args: list[str], test: str) -> set[str]:
    pytester.makepyfile(test)
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "pytest", "-p", "pytest_opticserp.plugin",
                           *inner_args, "-q", "-s"], cwd=pytester.path, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return modules_imported(done.stderr)


def test_a_session_that_starts_no_server_imports_none_of_their_stack(pytester: pytest.Pytester,
                                                                    inner_args: list[str]) -> None:
    modules = imports_of_a_session(pytester, inner_args, "def test_sum():\n    assert 1 + 1 == 2\n")

    assert "pytest_opticserp.factories" in modules, "the check sees what the plugin imports"
    assert within(modules, SERVER_STACK) == []


def test_a_session_that_starts_the_ofd_emulator_imports_its_app(pytester: pytest.Pytester,
                                                               inner_args: list[str]) -> None:
    modules = imports_of_a_session(pytester, inner_args,
                                   "def test_ofd(ofd_emulator):\n    assert ofd_emulator.url.startswith('http')\n")

    assert {"fastapi", "emulators.ofd.app"} <= set(within(modules, SERVER_STACK))
