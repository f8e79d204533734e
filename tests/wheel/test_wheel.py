"""The built wheel, installed with its dependencies into a fresh virtualenv, works outside the source tree:
`opticserp --help`, `opticserp adapter` started, healthy and stopped, and the pytest plugin in a project of
its own whose test uses `kkt_adapter`.

Unlike tests/load/test_wheel_install.py (which borrows this virtualenv's packages to stay fast), pip resolves
and installs every dependency here, as a user's `pip install opticserp_kkt-*.whl` does; so `./dev test` runs
it as a stage of its own and the suite leaves it out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_opticserp import eventually, http_client
from pytest_opticserp.ports import free_ports
from tests.load.test_wheel_install import build_wheel

INSTALL_TIMEOUT = 900
RUN_TIMEOUT = 300

OUTSIDE_TEST = '''
def test_a_sale_through_the_plugins_adapter_is_signed(kkt_adapter):
    answer = kkt_adapter.post_receipt()
    assert answer.status_code == 200, answer.text
    assert answer.json()["fiscal"]["fiscal_doc_number"] > 0
'''


def clean_environment() -> dict[str, str]:
    """This environment without this virtualenv or the checkout on the path: only the wheel may answer."""
    return {name: value for name, value in os.environ.items()
            if name not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS") and not name.startswith("PYTEST_XDIST")}


def run(command: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**clean_environment(), "PYTHONNOUSERSITE": "1"}, check=False)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-3000:]}\n" \
                                 f"{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel and its dependencies (pip resolves them); its `bin`."""
    root = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(root)
    venv = root / "venv"
    run([sys.executable, "-m", "venv", str(venv)], root, RUN_TIMEOUT)
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], root, INSTALL_TIMEOUT)
    return venv / "bin"


def test_opticserp_help_answers_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    done = run([str(installed / "opticserp"), "--help"], tmp_path, RUN_TIMEOUT)
    where = run([str(installed / "python"), "-c", "import kkt_adapter; print(kkt_adapter.__file__)"], tmp_path,
                RUN_TIMEOUT)

    assert "Usage" in done.stdout and "adapter" in done.stdout
    assert Path(where.stdout.strip()).is_relative_to(installed.parent), f"imported from {where.stdout}"


def test_the_adapter_from_the_wheel_starts_answers_health_and_stops_on_sigterm(installed: Path,
                                                                               tmp_path: Path) -> None:
    (port,) = free_ports(1)
    environment = {**clean_environment(), "KKT_ADAPTER_PORT": str(port), "BUFFER_DB_PATH": "buffer.db",
                   "MOCK_OFD_URL": "http://127.0.0.1:9", "MOCK_ODOO_URL": "http://127.0.0.1:9"}
    adapter = subprocess.Popen([str(installed / "opticserp"), "adapter"], cwd=tmp_path, env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        health = eventually(lambda: _health(port), "the wheel's adapter to answer /v1/health",
                            lambda: adapter.poll(), timeout=60)
        adapter.send_signal(signal.SIGTERM)
        code = adapter.wait(30)
    finally:
        if adapter.poll() is None:
            adapter.kill()
            adapter.wait()
    output = adapter.stdout.read() if adapter.stdout else ""

    assert health["status"] in ("healthy", "degraded"), health
    # Uvicorn raises the signal again once it has shut down, so the process ends as killed by SIGTERM, after
    # its graceful shutdown (the log says so).
    assert code in (0, -signal.SIGTERM) and "Application shutdown complete" in output, output[-3000:]


def _health(port: int) -> dict | None:
    try:
        return http_client.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).json()
    except Exception:  # not listening yet
        return None


def test_the_plugin_from_the_wheel_gives_an_outside_project_its_kkt_adapter(installed: Path,
                                                                            tmp_path: Path) -> None:
    project = tmp_path / "outside"
    project.mkdir()
    (project / "test_outside.py").write_text(OUTSIDE_TEST)

    done = run([str(installed / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, RUN_TIMEOUT)

    assert "1 passed" in done.stdout, done.stdout
