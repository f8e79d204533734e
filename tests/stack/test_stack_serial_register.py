"""`opticserp up --kkt serial`: the Shtrih-M register emulator as a stack service, the adapter on its pty.

One detached stack serves the module's live tests, in order; `down` stops it. The configuration's rule (which
register the adapter gets) is checked without starting anything.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from opticserp_tools.devstack import StackConfigError, load_config
from opticserp_tools.devstack.services import stack_services
from pytest_opticserp import http_client
from tests.stack.project import Project, copy_project, default_ports, stack_environment, stopped_at_exit

pytestmark = pytest.mark.xdist_group("devstack")

SERVICES = ("redis", "ofd", "odoo-api", "register", "adapter")
RECEIPT = {"pos_id": "POS-001", "total": 5000.00, "payment_method": "card",
           "items": [{"name": "Очки солнцезащитные Ray-Ban", "quantity": 1, "price": 5000.00, "tax_rate": 20}]}


def link(project: Project) -> Path:
    return project.root / "data" / "kkt"


def fiscal_drive(project: Project) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{project.root / 'data' / 'register' / 'fn.db'}?mode=ro", uri=True)


def running(pids: list[int]) -> list[int]:
    return [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]


# -- which register the configuration gives the adapter -----------------------------------------------------------


def test_kkt_mode_real_without_a_device_starts_the_register_before_the_adapter_and_points_it_at_the_pty(
        project) -> None:
    config = load_config(project.root, environ={"KKT_MODE": "real"})

    assert stack_services(config, with_postgres=False) == list(SERVICES)
    assert config.adapter_register_variables() == {"KKT_MODE": "real", "KKT_DEVICE": str(link(project))}


@pytest.mark.parametrize("device", ["socket://127.0.0.1:7778", "socket://localhost:7778", "data/kkt"])
def test_a_kkt_device_naming_the_emulators_own_address_is_the_stacks_register_reached_there(project,
                                                                                            device) -> None:
    config = load_config(project.root, environ={"KKT_MODE": "real", "KKT_DEVICE": device})

    assert "register" in stack_services(config, with_postgres=False)
    assert config.adapter_register_variables() == {"KKT_MODE": "real", "KKT_DEVICE": device}


def test_kkt_serial_overrides_a_device_of_ones_own_with_the_emulators_pty(project) -> None:
    config = load_config(project.root, environ={"KKT_MODE": "real", "KKT_DEVICE": "/dev/ttyUSB0"})

    assert config.with_kkt("serial").adapter_register_variables() == {"KKT_MODE": "real",
                                                                      "KKT_DEVICE": str(link(project))}


def test_a_device_of_ones_own_starts_no_emulator_and_reaches_the_adapter_as_configured(project) -> None:
    config = load_config(project.root, environ={"KKT_MODE": "real", "KKT_DEVICE": "/dev/ttyUSB0"})

    assert config.kkt == "device"
    assert "register" not in stack_services(config, with_postgres=False)
    assert config.adapter_register_variables() == {}


def test_the_mock_configuration_of_env_dev_leaves_the_register_out(project) -> None:
    config = load_config(project.root, environ={})

    assert config.kkt == "mock"
    assert "register" not in stack_services(config, with_postgres=False)


def test_a_register_port_shared_with_another_service_is_refused_naming_both(project) -> None:
    with pytest.raises(StackConfigError, match="KKT_REGISTER_PORT and KKT_ADAPTER_PORT both use port 8000"):
        load_config(project.root, environ={"KKT_REGISTER_PORT": "8000"})


# -- the live stack -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, str]]:
    """One detached stack with the serial register, and what `up --detach --kkt serial` printed."""
    project = Project(copy_project(tmp_path_factory.mktemp("serial") / "project"), stack_environment())
    with default_ports(), stopped_at_exit(project):
        yield project, project.run("up", "--detach", "--kkt", "serial").stdout


def test_up_kkt_serial_reports_the_register_healthy_on_its_socket_url_beside_the_other_services(stack) -> None:
    project, output = stack
    pid = project.records()["register"]["pid"]

    assert sorted(project.records()) == sorted(SERVICES)
    assert re.search(rf"^ register +Register emulator \(Shtrih-M\) +socket://127\.0\.0\.1:7778 +{pid} +healthy ",
                     output, re.M), output
    assert "All 5 services healthy" in output


def test_the_register_emulator_runs_on_the_data_folder_with_the_stacks_line_speed_and_print_time(stack) -> None:
    project, _ = stack
    command = psutil.Process(project.records()["register"]["pid"]).cmdline()

    assert command[command.index("shtrih") - 1] == "emulator"
    options = dict(zip(command, command[1:], strict=False))
    assert options["--link"] == str(link(project))
    assert options["--state-dir"] == str(project.root / "data" / "register")
    assert (options["--tcp-port"], options["--admin-port"]) == ("7778", "7779")
    assert (options["--baud"], options["--print-delay"]) == ("115200", "0.35")
    assert os.readlink(link(project)).startswith("/dev/pts/")


def test_the_adapter_runs_the_real_driver_on_the_registers_pty(stack) -> None:
    project, _ = stack
    environment = psutil.Process(project.records()["adapter"]["pid"]).environ()

    health = http_client.get("http://127.0.0.1:8000/v1/health").json()

    assert health["kkt_mode"] == "real"
    assert (environment["KKT_MODE"], environment["KKT_DEVICE"]) == ("real", str(link(project)))


def test_a_receipt_posted_to_the_adapter_is_signed_by_the_register_emulators_fiscal_drive(stack) -> None:
    project, _ = stack

    response = http_client.post("http://127.0.0.1:8000/v1/kkt/receipt", json=RECEIPT, timeout=60,
                                headers={"X-Idempotency-Key": "serial-stack-receipt-001"})

    assert response.status_code < 300 and response.json()["status"] == "fiscalized", response.text
    fiscal = response.json()["fiscal"]
    with fiscal_drive(project) as fn:
        (fn_serial,) = fn.execute("SELECT fn_serial FROM fn").fetchone()
        signed = fn.execute("SELECT total, fiscal_sign FROM documents WHERE fd = ?",
                            (fiscal["fiscal_doc_number"],)).fetchone()
    assert fn_serial == fiscal["fn_serial"]
    assert signed is not None and signed[0] == 500000
    assert int(signed[1]) == int(fiscal["fiscal_sign"])


def test_status_shows_the_register_with_its_socket_url_pty_link_and_admin_api(stack) -> None:
    project, _ = stack
    pid = project.records()["register"]["pid"]

    output = project.run("status").stdout

    assert re.search(rf"^ register .* socket://127\.0\.0\.1:7778 +{pid} +healthy +healthy, powered on; pty data/kkt; "
                     r"admin http://127\.0\.0\.1:7779", output, re.M), output


def test_logs_register_prints_where_the_emulator_listens(stack) -> None:
    project, _ = stack

    output = project.run("logs", "register").stdout

    assert re.search(r"^register +\| shtrih: pty /dev/pts/\d+, link .*data/kkt, tcp 127\.0\.0\.1:7778, ", output,
                     re.M), output


def test_restarting_the_adapter_keeps_it_on_the_running_register(stack) -> None:
    project, _ = stack
    before = project.records()["adapter"]["pid"]

    project.run("restart", "adapter")

    assert project.records()["adapter"]["pid"] != before
    assert http_client.get("http://127.0.0.1:8000/v1/health").json()["kkt_mode"] == "real"


def test_a_busy_register_port_stops_up_before_anything_starts_naming_the_port_and_its_owner(stack,
                                                                                           tmp_path) -> None:
    running_project, _ = stack
    register_pid = running_project.records()["register"]["pid"]
    other = Project(copy_project(tmp_path / "other"), stack_environment())

    result = other.run("up", "register", "--detach", check=False)

    assert result.returncode == 1
    assert f"Cannot start register: port 7778 is in use by pid {register_pid} (" in result.stdout
    assert f"Cannot start register: port 7779 is in use by pid {register_pid} (" in result.stdout
    assert "Nothing was started." in result.stdout
    assert other.records() == {} and other.processes() == []


def test_down_stops_the_register_after_the_adapter_leaving_no_process_and_keeping_the_fiscal_drive(stack) -> None:
    project, _ = stack
    records = project.records()

    output = project.run("down").stdout

    assert output.startswith("Stopped adapter (pid")
    assert f"register (pid {records['register']['pid']})" in output
    assert running([record["pid"] for record in records.values()]) == []
    assert project.processes() == []
    assert not os.path.lexists(link(project)), "the emulator removes its link when it stops"
    assert (project.root / "data" / "register" / "fn.db").is_file()


def test_the_register_started_again_keeps_its_fiscal_drive_and_its_numbers(stack) -> None:
    project, _ = stack
    with fiscal_drive(project) as fn:
        before = fn.execute("SELECT fn_serial, (SELECT max(fd) FROM documents) FROM fn").fetchone()

    project.run("up", "register", "--detach")
    admin = http_client.get("http://127.0.0.1:7779/health").json()
    project.run("down")

    assert admin["status"] == "healthy"
    with fiscal_drive(project) as fn:
        assert fn.execute("SELECT fn_serial, (SELECT max(fd) FROM documents) FROM fn").fetchone() == before
