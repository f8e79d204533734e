"""`opticserp --help` and the stack's everyday commands answer without importing what they do not use.

A developer types them many times a day; importing FastAPI, aiohttp, redis and uvicorn alone takes most of a
second, pytest and psycopg another 85 ms (a third of `opticserp down`). The commands run in a fresh interpreter
with `-X importtime`, which names every module imported.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.importtime import modules_imported, within

ROOT = Path(__file__).resolve().parents[2]
SERVER_STACK = ("fastapi", "starlette", "aiohttp", "redis", "uvicorn", "httptools", "kkt_adapter.app",
                "kkt_adapter.service", "kkt_adapter.server", "emulators.serving", "locust")
TEST_AND_DATABASE_TOOLS = ("pytest", "_pytest", "psycopg")  # the plugin's and PostgreSQL's, used by `up` alone


def imported_modules(*args: str, cwd: Path, returncode: int = 0) -> set[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "opticserp_tools", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == returncode, done.stdout + done.stderr
    return modules_imported(done.stderr)


@pytest.mark.parametrize("args", [("--help",), ("status",)], ids=["help", "status"])
def test_the_everyday_commands_do_not_import_the_server_stack(args: tuple[str, ...], project) -> None:
    modules = imported_modules(*args, cwd=project.root)

    assert "typer" in modules, "the check sees the imports"
    assert within(modules, SERVER_STACK) == []


@pytest.mark.parametrize(("args", "returncode"), [(("status",), 0), (("down",), 0), (("logs",), 1)],
                         ids=["status", "down", "logs"])
def test_the_stack_commands_that_start_nothing_import_neither_pytest_nor_psycopg(args: tuple[str, ...],
                                                                               returncode: int, project) -> None:
    modules = imported_modules(*args, cwd=project.root, returncode=returncode)  # logs: 1, "no logs yet"

    assert "opticserp_tools.devstack.services" in modules, "the check sees the stack's imports"
    assert within(modules, TEST_AND_DATABASE_TOOLS) == []


def test_the_check_sees_the_server_stack_where_it_is_imported(project) -> None:
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import kkt_adapter.app"], cwd=project.root,
                          capture_output=True, text=True, timeout=60, check=False)
    modules = modules_imported(done.stderr)

    assert {"fastapi", "redis", "kkt_adapter.app"} <= set(within(modules, SERVER_STACK))
