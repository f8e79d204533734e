"""The plugin's options: read from the command line or the ini file, validated, and shown to the user."""

from __future__ import annotations

import subprocess
import traceback

import pytest

from pytest_opticserp import backends
from pytest_opticserp.config import settings_for

PUBLIC_FIXTURES = [
    "opticserp_redis_proc",
    "opticserp_redis",
    "opticserp_postgresql_proc",
    "opticserp_postgresql_database",
    "opticserp_postgresql",
]


def test_settings_are_read_from_the_ini_file(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makeini("[pytest]\nopticserp_backend = local\nopticserp_startup_timeout = 7.5\n")

    settings = settings_for(pytester.parseconfigure(*inner_args))

    assert (settings.backend, settings.startup_timeout) == ("local", 7.5)


def test_the_command_line_wins_over_the_ini_file(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makeini("[pytest]\nopticserp_redis_exec = /from/ini\nopticserp_startup_timeout = 7.5\n")

    settings = settings_for(pytester.parseconfigure(*inner_args, "--opticserp-redis-exec=/from/cli"))

    assert (settings.redis_exec, settings.startup_timeout) == ("/from/cli", 7.5)


def test_an_unknown_backend_on_the_command_line_is_a_usage_error(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    result = pytester.runpytest(*inner_args, "--opticserp-backend=dockr")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--opticserp-backend: invalid choice: 'dockr'*"])


def test_an_unknown_backend_in_the_ini_file_is_a_usage_error(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makeini("[pytest]\nopticserp_backend = dockr\n")

    result = pytester.runpytest(*inner_args)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*opticserp_backend = 'dockr': expected one of auto, local, docker, external*"])


def test_a_startup_timeout_that_is_not_a_positive_number_is_a_usage_error(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    result = pytester.runpytest(*inner_args, "--opticserp-startup-timeout=soon")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*opticserp_startup_timeout = 'soon': expected a positive number of seconds*"])


def test_every_public_fixture_is_listed_with_its_documentation(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    result = pytester.runpytest(*inner_args, "--fixtures")

    listing = result.stdout.str()
    for name in PUBLIC_FIXTURES:
        entry = listing.split(f"\n{name}", 1)[1].splitlines()
        assert entry[1].strip(), f"{name} has no documentation in pytest --fixtures"


def test_the_options_appear_in_help_with_their_ini_names(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    result = pytester.runpytest(*inner_args, "--help")

    result.stdout.fnmatch_lines(["*--opticserp-backend=*", "*--opticserp-postgresql-bindir=*", "*opticserp_redis_url*"])


def test_the_report_header_says_which_backend_serves_each_service(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    result = pytester.runpytest(*inner_args, "--opticserp-backend=local")

    result.stdout.fnmatch_lines(["opticserp: redis local (*redis-server), postgresql local (*bin); register: mock"])


def test_the_report_header_starts_no_process_and_asks_no_docker_engine(
    pytester: pytest.Pytester, inner_args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[object] = []
    real_popen = subprocess.Popen

    class RecordingPopen(real_popen):  # type: ignore[misc, valid-type]
        """Records what the plugin starts (other plugins, such as pytest-benchmark's header, may run git)."""

        def __init__(self, args: object, *rest: object, **kwargs: object) -> None:
            if any("pytest_opticserp" in frame.filename for frame in traceback.extract_stack()):
                started.append(args)
            super().__init__(args, *rest, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
    monkeypatch.setattr(backends, "docker_unavailable_reason", lambda: started.append("docker ping"))
    backends._choose.cache_clear()  # what the outer session found must not hide a check the header would make
    pytester.makepyfile("def test_nothing():\n    pass\n")

    result = pytester.runpytest(*inner_args)  # in this process, so the recorder sees what the header runs

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "opticserp: plugin * (services are checked, and their versions shown, when they start)",
        "opticserp: redis *, postgresql *; register: mock",
    ])
    assert started == []


def test_the_version_is_shown_when_the_service_starts(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makepyfile("def test_uses_redis(opticserp_redis):\n    pass\n")

    result = pytester.runpytest(*inner_args, "--opticserp-backend=local")

    result.stdout.fnmatch_lines(["opticserp: redis local (*redis-server [0-9]*) ready in * s"])


def test_the_report_header_shows_external_urls_without_their_password(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    result = pytester.runpytest(
        *inner_args,
        "--opticserp-redis-url=redis://:s3cret@127.0.0.1:6390/0",
        "--opticserp-postgresql-url=postgresql://odoo:s3cret@127.0.0.1:5433/postgres",
    )

    result.stdout.fnmatch_lines([
        "opticserp: redis external (redis://:***@127.0.0.1:6390/0), "
        "postgresql external (postgresql://odoo:***@127.0.0.1:5433/postgres); register: mock"
    ])
    assert "s3cret" not in result.stdout.str()


def test_the_register_option_takes_mock_or_serial_and_shows_in_the_header(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    serial = pytester.runpytest(*inner_args, "--opticserp-kkt=serial")
    serial.stdout.fnmatch_lines(["opticserp: redis *, postgresql *; register: serial"])
    wrong = pytester.runpytest(*inner_args, "--opticserp-kkt=atol")
    assert wrong.ret == pytest.ExitCode.USAGE_ERROR
    wrong.stderr.fnmatch_lines(["*--opticserp-kkt*invalid choice*'atol'*"])
