"""`opticserp up / down` against real processes on the seed's ports, in a copy of the checkout.

One stack, with PostgreSQL, serves the module; its last test stops it with `opticserp down`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import psutil
import psycopg
import pytest

from pytest_opticserp import http_client
from tests.stack.project import Project, copy_project, default_ports, stack_environment, stopped_at_exit

pytestmark = pytest.mark.xdist_group("devstack")

SERVICES = ("redis", "postgresql", "ofd", "odoo-api", "adapter")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, str]]:
    """One detached stack with PostgreSQL, and what `up --detach --with-postgres` printed."""
    project = Project(copy_project(tmp_path_factory.mktemp("stack") / "project"), stack_environment())
    with default_ports(), stopped_at_exit(project):
        yield project, project.run("up", "--detach", "--with-postgres").stdout


def test_up_reports_every_service_healthy_with_its_url_pid_and_the_start_up_time(stack) -> None:
    project, output = stack
    pids = {name: record["pid"] for name, record in project.records().items()}

    assert sorted(pids) == sorted(SERVICES)
    for name, url in (("redis", "redis://127.0.0.1:6380/0"), ("ofd", "http://127.0.0.1:9000"),
                      ("odoo-api", "http://127.0.0.1:8070"), ("adapter", "http://127.0.0.1:8000"),
                      ("postgresql", "postgresql://odoo@127.0.0.1:5433/opticserp_dev")):
        assert re.search(rf"^ {name} .* {re.escape(url)} +{pids[name]} +healthy ", output, re.M), output
    assert re.search(r"All 5 services healthy \d+\.\d s after the command started", output), output
    assert "Pages: the OFD emulator's console http://127.0.0.1:9000/; the adapter's page http://127.0.0.1:8000/" \
        in output, output


def test_without_odoo_up_says_it_is_not_installed_and_how_to_add_it(stack) -> None:
    _, output = stack

    assert re.search(r"^ odoo .* not installed", output, re.M)
    assert "Odoo is not installed: set ODOO_BIN in .env" in output


def test_the_guides_health_checks_answer_as_documented(stack) -> None:
    adapter = http_client.get("http://localhost:8000/v1/health").json()
    ofd = http_client.get("http://localhost:9000/ofd/v1/health").json()
    odoo_api = http_client.get("http://localhost:8070/api/v1/health").json()

    assert (adapter["status"], adapter["circuit_breaker"]) == ("healthy", "CLOSED")
    assert (ofd["status"], ofd["receipts_received"]) == ("healthy", 0)
    assert odoo_api["status"] == "healthy"


def test_the_adapter_runs_with_the_dev_timings_and_reaches_redis(stack) -> None:
    health = http_client.get("http://127.0.0.1:8000/v1/health").json()

    assert health["buffer"]["capacity"] == 100
    assert health["sync_lock"]["redis"] == "connected"
    assert health["heartbeat"]["url"] == "http://127.0.0.1:8070/api/v1/kkt/heartbeat"


def test_every_service_listens_on_loopback_only(stack) -> None:
    project, _ = stack
    for name, record in project.records().items():
        listening = [c.laddr for c in psutil.Process(record["pid"]).net_connections("inet")
                     if c.status == psutil.CONN_LISTEN]

        assert listening, f"{name} listens nowhere"
        assert {address.ip for address in listening} == {"127.0.0.1"}, f"{name} listens on {listening}"


def test_up_again_finds_the_stack_running_and_starts_nothing(stack) -> None:
    project, _ = stack
    before = project.records()

    output = project.run("up", "--detach").stdout

    assert "Already running" in output
    assert project.records() == before


def test_a_busy_port_stops_up_before_anything_starts_naming_the_port_and_its_owner(stack, tmp_path) -> None:
    running, _ = stack
    adapter_pid = running.records()["adapter"]["pid"]
    other = Project(copy_project(tmp_path / "other"), stack_environment())

    result = other.run("up", "--detach", check=False)

    assert result.returncode == 1
    assert f"Cannot start adapter: port 8000 is in use by pid {adapter_pid} (" in result.stdout
    assert "Nothing was started." in result.stdout
    assert other.records() == {} and other.processes() == []


def test_the_seed_credentials_reach_the_seed_database(stack) -> None:
    with psycopg.connect("postgresql://odoo:odoo_dev_password_123@localhost:5433/opticserp_dev") as connection:
        row = connection.execute("SELECT current_user, current_database()").fetchone()

    assert row == ("odoo", "opticserp_dev")


def test_down_stops_every_service_leaving_no_process_and_keeping_the_database(stack) -> None:
    project, _ = stack
    pids = [record["pid"] for record in project.records().values()]

    output = project.run("down").stdout

    assert output.startswith("Stopped adapter (pid")
    assert not [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert project.processes() == []
    assert not (project.root / ".opticserp" / "stack.json").exists()
    assert (project.postgresql_home() / "data" / "PG_VERSION").is_file(), "the database outlives down"
