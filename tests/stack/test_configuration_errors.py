"""Configurations the stack refuses before anything starts, each with a message that says what to do."""

from __future__ import annotations

import pytest

from opticserp_tools.devstack import StackConfigError, load_config
from opticserp_tools.devstack.services import stack_services

pytestmark = pytest.mark.xdist_group("devstack")  # one test starts the stack on the real ports


def test_a_docker_hostname_in_the_ofd_url_is_refused_with_the_fix(project) -> None:
    (project.root / ".env").write_text("MOCK_OFD_URL=http://mock_ofd:9000\n")

    result = project.run("up", "--detach", check=False)

    assert result.returncode == 2
    assert "MOCK_OFD_URL='http://mock_ofd:9000' names host 'mock_ofd'" in result.stdout
    assert "use http://127.0.0.1:9000" in result.stdout
    assert project.records() == {}


def test_two_services_on_one_port_are_refused_naming_both(project) -> None:
    with pytest.raises(StackConfigError, match="KKT_ADAPTER_PORT and MOCK_OFD_URL both use port 9000"):
        load_config(project.root, environ={"KKT_ADAPTER_PORT": "9000"})


def test_a_port_that_is_not_a_number_is_refused_naming_the_variable(project) -> None:
    with pytest.raises(StackConfigError, match=r"POSTGRES_PORT='54x3': expected a port number 1-65535"):
        load_config(project.root, environ={"POSTGRES_PORT": "54x3"})


def test_an_odoo_bin_that_does_not_exist_is_refused_with_how_to_install_odoo(project) -> None:
    with pytest.raises(StackConfigError, match="ODOO_BIN='/nowhere/odoo-bin': /nowhere/odoo-bin does not exist; set"):
        load_config(project.root, environ={"ODOO_BIN": "/nowhere/odoo-bin"})


def test_an_empty_redis_url_leaves_redis_out_of_the_stack(project) -> None:
    config = load_config(project.root, environ={"REDIS_URL": ""})

    assert stack_services(config, with_postgres=False) == ["ofd", "odoo-api", "adapter"]


def test_a_service_that_fails_to_start_is_reported_with_its_log_and_nothing_is_left(project, stack_ports) -> None:
    (project.root / ".env").write_text("SYNC_INTERVAL=soon\n")

    result = project.run("up", "redis", "adapter", "--detach", check=False)

    assert result.returncode == 1
    assert "adapter did not start:" in result.stdout and "SYNC_INTERVAL" in result.stdout
    assert "What this command started is stopped again." in result.stdout
    assert project.records() == {}
    assert project.processes() == []
