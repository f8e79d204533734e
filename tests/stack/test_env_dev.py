""".env.dev: the seed's configuration check, and every variable read by something and explained."""

from __future__ import annotations

import re

from dotenv import dotenv_values

from emulators.faults import FaultSettings
from kkt_adapter.settings import Settings, load_settings
from opticserp_tools.devstack import load_config
from opticserp_tools.devstack.config import StackSettings
from pytest_opticserp.adapter import adapter_variables
from tests.stack.project import REPOSITORY

ENV_DEV = REPOSITORY / ".env.dev"
VARIABLE_LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=")
READ_BY_PYTHON = {"PYTHONUNBUFFERED"}
# The seed's expected output of §3.2, except KKT_ADAPTER_URL: the seed's http://kkt_adapter:8000 is the
# Docker Compose hostname; the local stack's adapter is on 127.0.0.1 (docker-compose.dev.yml sets the other).
SEED_CHECK_LINES = [
    "POSTGRES_DB=opticserp_dev", "POSTGRES_USER=odoo", "POSTGRES_PASSWORD=odoo_dev_password_123", "KKT_MODE=mock",
    "KKT_ADAPTER_URL=http://127.0.0.1:8000", "ODOO_ADMIN_PASSWORD=admin",
]


def variables() -> dict[str, bool]:
    """Each variable in .env.dev, and whether it is set (False: shown commented out, with its meaning)."""
    found = {}
    for line in ENV_DEV.read_text().splitlines():
        match = VARIABLE_LINE.match(line)
        if match:
            found.setdefault(match.group(2), match.group(1) is None)
    return found


def emulator_variables() -> set[str]:
    """The variables the emulators' settings model declares, for the OFD and the Odoo API."""
    return FaultSettings.variables("MOCK_OFD_") | FaultSettings.variables("MOCK_ODOO_")


def test_the_guides_configuration_check_prints_the_seeds_lines_in_order(project) -> None:
    result = project.shell('cp .env.dev .env && cat .env | grep -E "^(POSTGRES_|KKT_|ODOO_)"')
    printed = result.stdout.splitlines()

    assert result.returncode == 0
    assert [line for line in printed if line in SEED_CHECK_LINES] == SEED_CHECK_LINES, printed


def test_every_variable_in_env_dev_is_read_by_something() -> None:
    readers = adapter_variables() | emulator_variables() | StackSettings.variables() | READ_BY_PYTHON

    assert set(variables()) - readers == set()


def test_every_adapter_setting_is_in_env_dev() -> None:
    listed = set(variables())
    for name, field in Settings.model_fields.items():
        aliases = getattr(field.validation_alias, "choices", None) or [name.upper()]

        assert listed & {str(alias).upper() for alias in aliases}, f"{name.upper()} is missing from .env.dev"


def test_every_emulator_and_stack_variable_is_in_env_dev() -> None:
    listed = set(variables())

    assert emulator_variables() <= listed
    assert StackSettings.variables() - listed <= {"OFD_URL", "ODOO_API_URL"}, "aliases named in comments only"


def test_every_variable_has_a_comment_above_it_or_its_group() -> None:
    lines = ENV_DEV.read_text().splitlines()
    for number, line in enumerate(lines):
        if not VARIABLE_LINE.match(line):
            continue
        above = number - 1
        while above >= 0 and VARIABLE_LINE.match(lines[above]) and not lines[above].startswith("#"):
            above -= 1

        assert above >= 0 and lines[above].startswith("#"), f"line {number + 1} ({line}) has no comment"


def test_no_value_carries_an_inline_comment() -> None:
    """`grep` shows the lines as written, and the seed's expected lines have none."""
    values = dotenv_values(ENV_DEV)

    assert not [name for name, value in values.items() if value and "#" in value]


def test_the_adapter_accepts_env_dev_with_the_dev_timings() -> None:
    settings = load_settings(ENV_DEV)

    assert (settings.sync_interval, settings.circuit_breaker_threshold, settings.buffer_max_size) == (5, 3, 100)
    assert settings.redis_url == "redis://127.0.0.1:6380/0"
    assert settings.ofd_base_url == "http://127.0.0.1:9000"
    assert str(settings.odoo_api_url) == "http://127.0.0.1:8070/"
    assert settings.kkt_adapter_host == "127.0.0.1"


def test_the_emulators_accept_env_dev() -> None:
    values = {name: value or "" for name, value in dotenv_values(ENV_DEV).items()}

    for prefix in ("MOCK_OFD_", "MOCK_ODOO_"):
        assert FaultSettings.from_env(values, prefix) == FaultSettings()


def test_the_stack_takes_its_ports_from_env_dev(project) -> None:
    config = load_config(project.root, environ={})

    assert (config.redis_port, config.ofd_port, config.odoo_api_port, config.adapter_port, config.postgres_port,
            config.odoo_port) == (6380, 9000, 8070, 8000, 5433, 8069)
    assert config.environ["SYNC_INTERVAL"] == "5"


def test_the_environment_wins_over_env_which_wins_over_env_dev(project) -> None:
    (project.root / ".env").write_text("KKT_ADAPTER_PORT=8100\nSYNC_INTERVAL=2\n")

    from_files = load_config(project.root, environ={})
    from_environment = load_config(project.root, environ={"KKT_ADAPTER_PORT": "8200"})

    assert (from_files.adapter_port, from_files.environ["SYNC_INTERVAL"]) == (8100, "2")
    assert (from_environment.adapter_port, from_environment.environ["SYNC_INTERVAL"]) == (8200, "2")
    assert from_environment.environ["CIRCUIT_BREAKER_THRESHOLD"] == "3"
