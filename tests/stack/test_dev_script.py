"""`./dev up`, the README's first command: the stack in the foreground until Ctrl-C, then nothing left; and
`./dev test` with arguments, which go to pytest (the developer guide's `./dev test tests/unit -q`)."""

from __future__ import annotations

import signal

import pytest

from pytest_opticserp import http_client
from pytest_opticserp.executors.base import ServerProcess
from pytest_opticserp.waiting import eventually
from tests.stack.project import stopped_at_exit

pytestmark = pytest.mark.xdist_group("devstack")


def test_dev_up_streams_the_logs_until_ctrl_c_then_stops_every_service(project, stack_ports, tmp_path) -> None:
    with stopped_at_exit(project):
        dev_up = ServerProcess("./dev up", ["./dev", "up"], logfile=tmp_path / "dev-up.log", cwd=project.root,
                               env=project.env).start()

        def output() -> str:
            return dev_up.logfile.read_text(errors="replace")

        try:
            eventually(lambda: "Streaming their logs" in output(), "the stack to come up", output, timeout=60)
            project.remember_pids()
            http_client.get("http://localhost:8000/v1/health")
            eventually(lambda: any(line.startswith("adapter    | ") and "GET /v1/health" in line
                                   for line in output().splitlines()),
                       "the adapter's log line for that request", lambda: output()[-500:])

            dev_up.signal_group(signal.SIGINT)  # what Ctrl-C in the terminal does
            exit_code = dev_up.wait(60)
        finally:
            dev_up.stop()
        leftovers = project.processes()

    text = output()
    assert exit_code == 0, text
    assert "All 4 services healthy" in text
    assert text.rstrip().endswith("Stopped."), text[-500:]
    assert leftovers == []


def test_dev_test_with_arguments_runs_pytest_with_them_in_a_copy_of_the_checkout(project) -> None:
    done = project.shell("./dev test tests/unit/test_hlc.py -v -p no:cacheprovider")

    assert done.returncode == 0, done.stdout + done.stderr
    ran = [line.split()[0] for line in done.stdout.splitlines() if line.endswith("%]")]
    assert ran and all(test.startswith("tests/unit/test_hlc.py::") for test in ran), done.stdout
    assert f"{len(ran)} passed" in done.stdout.splitlines()[-1], done.stdout[-500:]
