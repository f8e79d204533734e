"""With Odoo configured, `opticserp up` adds PostgreSQL and Odoo; a stand-in odoo-bin shows what Odoo gets."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import psutil
import psycopg
import pytest

from opticserp_tools.devstack import load_config
from pytest_opticserp import http_client
from tests.stack.project import Project, stopped_at_exit

pytestmark = pytest.mark.xdist_group("devstack")

FAKE_ODOO = Path(__file__).with_name("fake_odoo.py")


@pytest.fixture
def with_odoo(project: Project) -> Project:
    project.env["ODOO_BIN"] = f"{sys.executable} {FAKE_ODOO}"
    return project


def our_addons(project: Project) -> list[str]:
    return sorted(manifest.parent.name for manifest in (project.root / "addons").glob("*/__manifest__.py"))


def test_with_odoo_configured_up_starts_postgresql_and_odoo_with_the_seed_settings(with_odoo, stack_ports) -> None:
    with stopped_at_exit(with_odoo) as project:
        output = project.run("up", "--detach").stdout
        health = http_client.get("http://localhost:8069/web/health").json()
        given = json.loads((project.root / ".opticserp" / "odoo" / "fake-odoo.json").read_text())
        odoo_pid = project.records()["odoo"]["pid"]
        listening = {c.laddr.ip for c in psutil.Process(odoo_pid).net_connections("inet")
                     if c.status == psutil.CONN_LISTEN}

    assert "All 6 services healthy" in output
    assert health == {"status": "pass"}
    assert listening == {"127.0.0.1"}
    options = given["options"]
    assert {key: options[key] for key in ("db_host", "db_port", "db_user", "db_password", "db_name", "dbfilter",
                                          "admin_passwd", "http_interface", "http_port", "workers", "log_level",
                                          "kkt_adapter_url", "max_cron_threads")} == {
        "db_host": "127.0.0.1", "db_port": "5433", "db_user": "odoo", "db_password": "odoo_dev_password_123",
        "db_name": "opticserp_dev", "dbfilter": "^opticserp_dev$", "admin_passwd": "admin",
        "http_interface": "127.0.0.1", "http_port": "8069", "workers": "0", "log_level": "debug",
        "kkt_adapter_url": "http://127.0.0.1:8000", "max_cron_threads": "1",
    }
    assert options["addons_path"] == str(project.root / "addons")
    assert "optics_pos_ru54fz" in our_addons(with_odoo) and "optics_core" in our_addons(with_odoo)
    assert given["args"][-3:] == ["--dev=all", "-i", ",".join(["base", *our_addons(with_odoo)])], \
        "a new database gets base and our addons"


def test_up_installs_only_the_project_addons_odoo_has_not_installed_yet(with_odoo, stack_ports) -> None:
    *installed, missing = our_addons(with_odoo)
    with stopped_at_exit(with_odoo) as project:
        project.run("up", "--detach")
        with psycopg.connect("postgresql://odoo:odoo_dev_password_123@localhost:5433/opticserp_dev") as connection:
            connection.execute("CREATE TABLE ir_module_module (name varchar, state varchar)")
            for name in ("base", *installed):
                connection.execute("INSERT INTO ir_module_module VALUES (%s, 'installed')", (name,))
            connection.execute("INSERT INTO ir_module_module VALUES (%s, 'uninstalled')", (missing,))
        project.run("down")
        project.run("up", "--detach")
        given = json.loads((project.root / ".opticserp" / "odoo" / "fake-odoo.json").read_text())

    assert given["args"][-2:] == ["-i", missing]


def test_odoo_asked_for_by_name_without_an_installation_says_how_to_add_it(project) -> None:
    result = project.run("up", "odoo", "--detach", check=False)

    assert result.returncode == 2
    assert "Odoo is not installed: set ODOO_BIN in .env" in result.stdout
    assert project.records() == {}


def test_a_checkouts_odoo_bin_runs_with_the_projects_python_and_brings_its_addons(project, tmp_path) -> None:
    checkout = tmp_path / "odoo"
    (checkout / "addons" / "web").mkdir(parents=True)
    (checkout / "addons" / "web" / "__manifest__.py").write_text("{}\n")
    odoo_bin = checkout / "odoo-bin"
    odoo_bin.write_text("#!/usr/bin/env python3\nimport odoo\n")
    odoo_bin.chmod(0o755)

    odoo = load_config(project.root, environ={"ODOO_BIN": str(odoo_bin)}).odoo

    assert odoo is not None
    assert odoo.command == (sys.executable, str(odoo_bin))
    assert odoo.addons_dirs == (checkout / "addons",)
