"""`opticserp load` from a wheel install, run outside the source tree: the Locust files ship in the wheel.

The wheel is built from a copy of the checkout (so no `build/` lands in it) and installed,
without its dependencies, into a fresh virtualenv. The dependencies come from this virtualenv's
site-packages through a `.pth` line, which puts that directory on the path without running its own `.pth`
files, so the editable install of this checkout stays inactive: the project is imported from the wheel only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from pytest_opticserp import KktAdapter
from tests.stack.project import NOT_COPIED, REPOSITORY

BUILD_TIMEOUT = 60
RUN_TIMEOUT = 60


def run(command: list[str], cwd: Path, timeout: float = BUILD_TIMEOUT) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**environment, "PYTHONNOUSERSITE": "1"})
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    shutil.copytree(REPOSITORY, source, ignore=NOT_COPIED)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"), "."], source)
    (wheel,) = (tmp_path / "dist").glob("opticserp_kkt-*.whl")
    return wheel


def install_in_fresh_venv(wheel: Path, venv: Path) -> Path:
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], venv.parent)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
         str(wheel)], venv.parent)
    site = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], venv.parent)
    (Path(site.stdout.strip()) / "opticserp-test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"])
    return python


@pytest.mark.kkt_adapter(redis=False, buffer_max_size=100_000)
def test_opticserp_load_from_a_wheel_runs_its_packaged_locustfile_outside_the_source_tree(
    kkt_adapter: KktAdapter, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    python = install_in_fresh_venv(build_wheel(tmp_path), venv)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    where = run([str(python), "-c", "import locustfiles as m; print(m.__file__)"], elsewhere)
    assert Path(where.stdout.strip()).is_relative_to(venv), f"imported from {where.stdout}, not from the wheel"

    done = run([str(venv / "bin" / "opticserp"), "load", "--url", kkt_adapter.url, "-u", "2", "-t", "2s",
                "--think-time", "0.05", "--p95-target", "10000", "--tags", "receipt", "--report-dir", "report"],
               elsewhere, RUN_TIMEOUT)

    assert "result: every target met" in done.stdout, done.stdout
    assert (elsewhere / "report" / "adapter_stats.csv").stat().st_size > 0
    status = kkt_adapter.status()
    assert status["fiscalizing_count"] + status["pending_count"] + status["synced_count"] > 0, status
