"""A fresh copy of the checkout to run the stack and the documented commands in, as a new user would.

The copy gets its own `.venv` that borrows this virtualenv's interpreter and packages, with `./dev`'s
install stamp already matching, so `./dev` never reinstalls (a reinstall from the copy would point the
shared virtualenv's editable install at a directory the test deletes).

The stack uses the real default ports, so only one stack test may run at a time on a machine: a file lock
in the system temp dir serialises them across xdist workers and across pytest sessions.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from opticserp_tools.devstack import load_config
from opticserp_tools.devstack.config import StackSettings
from opticserp_tools.devstack.runstate import busy
from opticserp_tools.devstack.services import known_services
from pytest_opticserp.adapter import adapter_variables
from pytest_opticserp.waiting import eventually

REPOSITORY = Path(__file__).resolve().parents[2]
NOT_COPIED = shutil.ignore_patterns(".venv", ".git", "data", ".opticserp", "__pycache__", ".ruff_cache",
                                    ".pytest_cache", "*.egg-info", ".env", ".tox", "build", "dist", ".benchmarks",
                                    ".hypothesis")  # written to by other workers while we copy
DEFAULT_PORTS = {6380: "Redis", 5433: "PostgreSQL", 9000: "OFD emulator", 8070: "Odoo API emulator",
                 8000: "KKT adapter", 8069: "Odoo", 7778: "register emulator", 7779: "register emulator's admin API"}
PORTS_LOCK = Path(tempfile.gettempdir()) / "opticserp-devstack-ports.lock"
PORTS_LOCK_TIMEOUT = 600.0


def copy_project(target: Path) -> Path:
    shutil.copytree(REPOSITORY, target, ignore=NOT_COPIED, symlinks=True)
    borrowed_venv(Path(sys.prefix), target / ".venv", target / "pyproject.toml")
    return target


def borrowed_venv(real: Path, target: Path, pyproject: Path) -> None:
    target.mkdir()
    shutil.copy(real / "pyvenv.cfg", target / "pyvenv.cfg")
    for name in ("bin", "lib", "lib64", "include"):
        if (real / name).exists():
            (target / name).symlink_to((real / name).resolve())
    digest = hashlib.sha256(pyproject.read_bytes()).hexdigest()
    (target / ".opticserp-installed").write_text(digest + "\n")


def stack_environment(**extra: str) -> dict[str, str]:
    """This environment without anything the stack or its services read, so only the project's files count."""
    skipped = adapter_variables() | StackSettings.variables() | {"VIRTUAL_ENV"}
    environment = {
        name: value for name, value in os.environ.items()
        if name not in skipped and not name.startswith(("MOCK_OFD_", "MOCK_ODOO_", "PG", "PYTEST_"))
    }
    environment.update({"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200", **extra})
    return environment


_held_here = False


@contextlib.contextmanager
def default_ports() -> Iterator[None]:
    """Hold the machine's stack ports for this test: wait for other stack tests, then require them free."""
    global _held_here
    if _held_here:
        pytest.fail("a stack test wants the default ports while a fixture of this session holds them (a "
                    "module-scoped stack?); give it a module of its own", pytrace=False)
    with open(PORTS_LOCK, "a") as lock:
        eventually(lambda: _locked(lock), "the lock on the dev-stack ports, held by another stack test",
                   timeout=PORTS_LOCK_TIMEOUT, interval=0.1)
        _held_here = True
        try:
            taken = [found.describe() + f" (the {DEFAULT_PORTS[port]}'s)" for port in DEFAULT_PORTS
                     if (found := busy(port)) is not None]
            if taken:
                pytest.fail("the stack tests use the real default ports, but " + "; ".join(taken), pytrace=False)
            yield
        finally:
            _held_here = False
            fcntl.flock(lock, fcntl.LOCK_UN)


def _locked(lock: object) -> bool:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[call-overload]
    except BlockingIOError:
        return False
    return True


@dataclass
class Project:
    """A checkout copy with an `opticserp` command to run in it, and the processes its stack started."""

    root: Path
    env: dict[str, str]
    seen_pids: set[int] = field(default_factory=set)

    @property
    def opticserp(self) -> str:
        return str(self.root / ".venv" / "bin" / "opticserp")

    def run(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([self.opticserp, *args], cwd=self.root, env=self.env, capture_output=True,
                                text=True, timeout=timeout)
        self.remember_pids()
        if check and result.returncode != 0:
            raise AssertionError(f"opticserp {' '.join(args)} exited with {result.returncode}:\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def shell(self, command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["bash", "-c", command], cwd=self.root, env=self.env, capture_output=True, text=True,
                                timeout=timeout)
        self.remember_pids()
        return result

    def records(self) -> dict[str, dict]:
        try:
            return json.loads((self.root / ".opticserp" / "stack.json").read_text())["services"]
        except FileNotFoundError:
            return {}

    def remember_pids(self) -> None:
        self.seen_pids |= {record["pid"] for record in self.records().values()}

    def postgresql_home(self) -> Path:
        return known_services(load_config(self.root, self.env))["postgresql"].log.parent

    def processes(self) -> list[psutil.Process]:
        """Processes running from this project (by working directory or command line), and any PID it recorded."""
        markers = (str(self.root), str(self.postgresql_home()))
        found = {}
        for process in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                if process.status() == psutil.STATUS_ZOMBIE or process.pid == os.getpid():
                    continue
                if process.pid in self.seen_pids or any(
                    marker in text for marker in markers for text in (process.cwd(), " ".join(process.cmdline()))
                ):
                    found[process.pid] = process
        return list(found.values())

    def kill_leftovers(self) -> list[str]:
        """SIGKILL, by PID, whatever of this project still runs; a description of each for the failure."""
        leftovers = self.processes()
        described = []
        for process in leftovers:
            with contextlib.suppress(psutil.Error):
                described.append(f"pid {process.pid}: {' '.join(process.cmdline())}")
                os.kill(process.pid, signal.SIGKILL)
        psutil.wait_procs(leftovers, timeout=10)
        return described

    def remove_postgresql_cluster(self) -> None:
        """A cluster kept outside the project (see devstack.postgresql) is the test's to delete."""
        home = self.postgresql_home()
        if not home.is_relative_to(self.root):
            shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def stopped_at_exit(project: Project) -> Iterator[Project]:
    """`opticserp down` at the end, then SIGKILL by PID for anything left; leftovers fail the test."""
    passed = False
    try:
        yield project
        passed = True
    finally:
        try:
            if project.records():
                project.run("down", timeout=180, check=False)
        finally:
            leftovers = project.kill_leftovers()
            project.remove_postgresql_cluster()
        if passed and leftovers:
            raise AssertionError("processes outlived `opticserp down`:\n" + "\n".join(leftovers))
