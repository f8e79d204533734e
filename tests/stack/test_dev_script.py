"""`./dev up`, the README's first command: the stack in the foreground until Ctrl-C, then nothing left."""

from __future__ import annotations

import os
import signal
import subprocess
import threading

import pytest

from pytest_opticserp import http_client
from pytest_opticserp.waiting import eventually
from tests.stack.project import stopped_at_exit

pytestmark = pytest.mark.xdist_group("devstack")


def test_dev_up_streams_the_logs_until_ctrl_c_then_stops_every_service(project, stack_ports) -> None:
    with stopped_at_exit(project):
        process = subprocess.Popen(["./dev", "up"], cwd=project.root, env=project.env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
        reader.start()
        try:
            eventually(lambda: any("Streaming their logs" in line for line in lines), "the stack to come up",
                       lambda: "".join(lines), timeout=60)
            project.remember_pids()
            http_client.get("http://localhost:8000/v1/health")
            eventually(lambda: any(line.startswith("adapter    | ") and "GET /v1/health" in line for line in lines),
                       "the adapter's log line for that request", lambda: "".join(lines[-5:]))

            os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
            exit_code = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        reader.join(timeout=10)
        leftovers = project.processes()

    output = "".join(lines)
    assert exit_code == 0, output
    assert "All 4 services healthy" in output
    assert output.rstrip().endswith("Stopped."), output[-500:]
    assert leftovers == []
