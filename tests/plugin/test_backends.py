"""Which backend serves a service, and the reasons given when none can."""

from __future__ import annotations

import pytest

from pytest_opticserp.backends import BackendUnavailable, choose, docker_unavailable_reason
from pytest_opticserp.config import Settings


def test_auto_serves_redis_from_a_local_redis_server() -> None:
    choice = choose("redis", Settings())

    assert (choice.backend, choice.location.endswith("redis-server")) == ("local", True)
    assert choice.version[0].isdigit()


def test_auto_serves_postgresql_from_local_binaries() -> None:
    choice = choose("postgresql", Settings())

    assert choice.backend == "local"
    assert choice.version[0].isdigit()


def test_auto_prefers_an_external_server_when_its_url_is_given() -> None:
    choice = choose("redis", Settings(redis_url="redis://127.0.0.1:6390/0"))

    assert (choice.backend, choice.location) == ("external", "redis://127.0.0.1:6390/0")


def test_the_external_backend_without_a_url_names_the_missing_option() -> None:
    with pytest.raises(BackendUnavailable, match="external: no URL given \\(--opticserp-postgresql-url\\)"):
        choose("postgresql", Settings(backend="external"))


def test_a_postgresql_bindir_without_binaries_is_named_in_the_error(tmp_path: object) -> None:
    with pytest.raises(BackendUnavailable, match=f"{tmp_path} has no executable postgres and initdb"):
        choose("postgresql", Settings(backend="local", postgresql_bindir=str(tmp_path)))


def test_the_docker_backend_without_an_engine_says_why() -> None:
    reason = docker_unavailable_reason()
    if reason is None:
        pytest.skip("a Docker engine answers on this machine")

    with pytest.raises(BackendUnavailable) as failure:
        choose("redis", Settings(backend="docker"))

    assert f"docker: {reason}" in str(failure.value)
